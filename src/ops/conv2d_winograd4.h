/* conv2d_winograd4.h — 3x3, stride-1, padding-1 convolution by Winograd
 * F(4x4,3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", CVPR 2016): each 4x4 output tile costs 36 multiplications per
 * (input, output) channel pair instead of 144 (4x fewer than a direct
 * convolution; F(2x2,3x3) saves 2.25x). Interpolation points 0, +-1, +-2 and
 * infinity, the usual choice for float32: the transforms' entries stay within
 * [1/24, 8], and test_winograd measures the error against a float64 direct
 * convolution (issue 14). */
#ifndef CCPL_OPS_CONV2D_WINOGRAD4_H
#define CCPL_OPS_CONV2D_WINOGRAD4_H

#include <stddef.h>

#include "ops/conv2d.h"
#include "ops/wino_gemm.h"

/* Floats of the transformed weights U: for each of the 36 positions,
 * ceil(OC/6) blocks of (C, 6), packed for ops/wino_gemm.h. */
size_t ccpl__winograd4_weight_floats(int OC, int C);

/* U = G w G^T for every (oc, c), packed as above (the rows past OC zero);
 * w (OC, C, 3, 3). Computed in double, rounded once. */
void ccpl__winograd4_weight_transform(float *U, const float *w, int OC, int C);

/* Floats of scratch ccpl__winograd4_forward needs for a (C,H,W) -> OC
 * layer with n_threads threads. */
size_t ccpl__winograd4_scratch_floats(int C, int OC, int H, int W, int n_threads);

/* out (OC,H,W) = conv3x3(inp (C,H,W), w) + b (b may be NULL), padding 1
 * (reflect or zero), then max(0, .) when relu is non-zero; U from
 * ccpl__winograd4_weight_transform. Reflection needs H, W >= 2. Bands of
 * tile rows keep scratch bounded for any size. */
void ccpl__winograd4_forward(float *out, const float *inp, const float *U, const float *b, int C,
                             int H, int W, int OC, ccpl__pad_mode pad_mode, int relu,
                             float *scratch, int n_threads);

/* The same with the products on a given kernel (CCPL__WG_AUTO: the one
 * ccpl__winograd4_forward takes; any other must be ccpl__wg_available).
 * For tests and benchmarks. */
void ccpl__winograd4_forward_with(ccpl__wg_kernel kernel, float *out, const float *inp,
                                  const float *U, const float *b, int C, int H, int W, int OC,
                                  ccpl__pad_mode pad_mode, int relu, float *scratch, int n_threads);

#endif
