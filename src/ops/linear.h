/* linear.h — fully connected layer (the CCPL projection heads, spec §5). */
#ifndef CCPL_OPS_LINEAR_H
#define CCPL_OPS_LINEAR_H

/* y (N,OUT) = x (N,IN) . w^T + b, w (OUT,IN) as in torch.nn.Linear, b (OUT)
 * may be NULL. */
void ccpl__linear_forward(float *y, const float *x, const float *w, const float *b, int N, int IN,
                          int OUT);

/* Accumulates (+=) from dy (N,OUT):
 *   dx (N,IN)   += dy . w
 *   dw (OUT,IN) += dy^T . x
 *   db (OUT)    += sum over N of dy
 * Any of dx, dw, db may be NULL. */
void ccpl__linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                           const float *w, int N, int IN, int OUT);

#endif
