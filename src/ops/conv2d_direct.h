/* conv2d_direct.h — 3x3 convolution, stride 1, padding 1, computed directly
 * for layers with very few output channels (the decoder's last layer,
 * 64 -> 3). There im2col + sgemm is an sgemm with 3 rows that spends its
 * time copying 9*C columns per pixel; the direct loop reads each input row
 * three times from cache instead. */
#ifndef CCPL_OPS_CONV2D_DIRECT_H
#define CCPL_OPS_CONV2D_DIRECT_H

#include <stddef.h>

#include "ops/conv2d.h"

/* Whether a (C -> OC, K, pad) layer takes this path. */
int ccpl__direct_suits(int C, int OC, int K, int pad);

/* Floats of scratch for an (C,H,W) -> OC layer with n_threads threads. */
size_t ccpl__direct_scratch_floats(int OC, int W, int n_threads);

/* out (OC,H,W) = conv3x3(inp (C,H,W), w (OC,C,3,3)) + b, padding 1 (reflect
 * needs H, W >= 2), then max(0, .) when relu is non-zero. */
void ccpl__direct_forward(float *out, const float *inp, const float *w, const float *b, int C,
                          int H, int W, int OC, ccpl__pad_mode pad_mode, int relu, float *scratch,
                          int n_threads);

#endif
