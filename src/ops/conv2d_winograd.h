/* conv2d_winograd.h — 3x3 convolution, stride 1, padding 1, by Winograd's
 * minimal filtering F(2x2, 3x3) (Lavin & Gray 2016): each 2x2 output tile
 * comes from a 4x4 input tile with 16 multiplications per (oc, c) pair
 * instead of 36, i.e. 2.25x fewer. The 16 products of a band of tiles run on
 * ops/wino_gemm's kernels (U packed once, V written in their panel layout);
 * the transforms around them are elementwise.
 *
 * Transforms (d: 4x4 input tile, g: 3x3 kernel, m: 4x4 products):
 *   V = B^T d B,  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   U = G g G^T,  G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   M[e] = sum_c U[e][oc][c] V[e][c][tile]   (e = one of the 16 positions)
 *   Y = A^T M A,  A^T = [1 1 1 0; 0 1 -1 -1]
 * Same arithmetic as the direct convolution up to float rounding (the
 * constants are exact in binary); the parity tests compare the two. */
#ifndef CCPL_OPS_CONV2D_WINOGRAD_H
#define CCPL_OPS_CONV2D_WINOGRAD_H

#include <stddef.h>

#include "ops/conv2d.h"
#include "ops/wino_gemm.h"

/* Whether the fast path is worth it for a (C -> OC) 3x3 layer: tiny channel
 * counts give sgemm too little depth, and im2col is as fast there. */
int ccpl__winograd_suits(int C, int OC, int K, int pad);

/* Floats of the transformed weights U: 16 positions, each ceil(OC/6)
 * blocks of (C, 6), packed for ops/wino_gemm.h (the rows past OC zero). */
size_t ccpl__winograd_weight_floats(int OC, int C);

/* U = G w G^T for every (oc, c), packed as above; w (OC, C, 3, 3). Done once
 * per layer when a model is loaded (in training, after each update). */
void ccpl__winograd_weight_transform(float *U, const float *w, int OC, int C);

/* Floats of scratch ccpl__winograd_forward needs for an (C,H,W) -> OC layer
 * with n_threads threads. */
size_t ccpl__winograd_scratch_floats(int C, int OC, int H, int W, int n_threads);

/* out (OC,H,W) = conv3x3(inp (C,H,W), w) + b, padding 1 (reflect or zero),
 * then max(0, .) when relu is non-zero; U from ccpl__winograd_weight_transform.
 * Reflection needs H, W >= 2. Processes bands of tile rows so that scratch
 * stays bounded for any image size. */
void ccpl__winograd_forward(float *out, const float *inp, const float *U, const float *b, int C,
                            int H, int W, int OC, ccpl__pad_mode pad_mode, int relu, float *scratch,
                            int n_threads);

/* The same with the products on a given kernel (CCPL__WG_AUTO: the one
 * ccpl__winograd_forward takes); the caller checks ccpl__wg_available. */
void ccpl__winograd_forward_with(ccpl__wg_kernel kernel, float *out, const float *inp,
                                 const float *U, const float *b, int C, int H, int W, int OC,
                                 ccpl__pad_mode pad_mode, int relu, float *scratch, int n_threads);

#endif
