/* conv2d_winograd_wgrad.h — the weight gradient of a 3x3, stride-1,
 * padding-1 convolution by Winograd F(2x2,3x3) (issue 14).
 *
 * With V = B^T d B the transformed input tiles (as the forward's) and
 * dM = A dY A^T the transformed 2x2 output-gradient tiles, the gradient of
 * U = G g G^T is dU[e][o][c] = sum over tiles of dM[e][o][t] V[e][c][t]
 * (16 products of (OC, tiles) by (tiles, C), on ops/wino_gemm's kernels),
 * and dg = G^T dU G. 16 multiplications per tile and channel pair instead
 * of im2col's 36; same arithmetic up to float rounding (test_winograd
 * compares it with ccpl__conv2d_backward's). */
#ifndef CCPL_OPS_CONV2D_WINOGRAD_WGRAD_H
#define CCPL_OPS_CONV2D_WINOGRAD_WGRAD_H

#include <stddef.h>

#include "ops/conv2d.h"
#include "ops/wino_gemm.h"

/* Floats of scratch for N samples of (C,H,W) -> OC with n_threads threads. */
size_t ccpl__winograd_backward_weights_scratch_floats(int C, int OC, int H, int W, int n_threads);

/* dw (OC, C, 3, 3) += the weight gradient of y = conv3x3(pad1(x), w) over
 * N samples, for inp = x (N, C, H, W) and dout = dy (N, OC, H, W) (after
 * the ReLU's backward, when fused); pad_mode as the forward's. Results
 * depend on n_threads (the sums are split over that many partial sums,
 * always the same way), not on the scheduling. */
void ccpl__winograd_backward_weights(float *dw, const float *dout, const float *inp, int N, int C,
                                     int H, int W, int OC, ccpl__pad_mode pad_mode, float *scratch,
                                     int n_threads);

/* The same on a given product kernel (the caller checks ccpl__wg_available). */
void ccpl__winograd_backward_weights_with(ccpl__wg_kernel kernel, float *dw, const float *dout,
                                          const float *inp, int N, int C, int H, int W, int OC,
                                          ccpl__pad_mode pad_mode, float *scratch, int n_threads);

#endif
