/* pool.h — 2x2 max-pooling, stride 2, ceil_mode=True. */
#ifndef CCPL_OPS_POOL_H
#define CCPL_OPS_POOL_H

/* Output side for input side n: ceil(n/2) (the last window may cover one
 * row/column only). */
static inline int ccpl__pool_out(int n) { return (n + 1) / 2; }

/* out (N,C,ceil(H/2),ceil(W/2)) = max over each 2x2 window of inp (N,C,H,W). */
void ccpl__maxpool2_forward(float *out, const float *inp, int N, int C, int H, int W,
                            int n_threads);

/* dinp (N,C,H,W) += dout (N,C,ceil(H/2),ceil(W/2)) routed to each window's
 * arg-max in inp (N,C,H,W); on ties the first in row-major window order
 * wins, as in PyTorch. */
void ccpl__maxpool2_backward(float *dinp, const float *dout, const float *inp, int N, int C, int H,
                             int W, int n_threads);

#endif
