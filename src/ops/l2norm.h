/* l2norm.h — row-wise L2 normalisation of the CCPL projections (spec §5
 * step 3): y = x / (||x||_2 + 1e-7), as the reference's Normalize. */
#ifndef CCPL_OPS_L2NORM_H
#define CCPL_OPS_L2NORM_H

#define CCPL__L2NORM_EPS 1e-7

/* y (N,D) = x (N,D) / (norm + 1e-7) per row; norm (N) = ||x row||_2, kept
 * for the backward (may be NULL if no backward follows). Sums in double. */
void ccpl__l2norm_forward(float *y, float *norm, const float *x, int N, int D);

/* dx (N,D) += dy/(n+eps) - x (sum_j dy_j x_j) / ((n+eps)^2 n) per row, with
 * n = norm (N) from the forward. A zero row (n = 0) gets dy/eps, the limit
 * PyTorch takes (its norm's gradient at 0 is 0). */
void ccpl__l2norm_backward(float *dx, const float *dy, const float *x, const float *norm, int N,
                           int D);

#endif
