/* conv2d_winograd_backward.h — the input gradient of a 3x3, stride-1,
 * padding-1 convolution by Winograd F(2x2,3x3): the training backward's
 * counterpart of ccpl__winograd_forward (issue 14). The weight and bias
 * gradients stay with ccpl__conv2d_backward. */
#ifndef CCPL_OPS_CONV2D_WINOGRAD_BACKWARD_H
#define CCPL_OPS_CONV2D_WINOGRAD_BACKWARD_H

#include <stddef.h>

#include "ops/conv2d.h"

/* Floats of the backward's transformed weights Ut (16, C, OC). */
size_t ccpl__winograd_bwd_weight_floats(int OC, int C);

/* Ut = the Winograd transform of w' (C, OC, 3, 3), w'[c][o] = rot180(w[o][c]),
 * for w (OC, C, 3, 3). 0, or -1 when out of memory (Ut untouched). */
int ccpl__winograd_bwd_weight_transform(float *Ut, const float *w, int OC, int C);

/* Floats of scratch ccpl__winograd_backward_data needs. */
size_t ccpl__winograd_backward_data_scratch_floats(int C, int OC, int H, int W, int n_threads);

/* dinp (C,H,W) += the input gradient of y = conv3x3(pad1(x), w) for
 * dout = dy (OC,H,W) (after the ReLU's backward, when fused); pad_mode as
 * the forward's (reflection needs H, W >= 2). */
void ccpl__winograd_backward_data(float *dinp, const float *dout, const float *Ut, int C, int H,
                                  int W, int OC, ccpl__pad_mode pad_mode, float *scratch,
                                  int n_threads);

/* The same by Winograd F(4x4,3x3) (ops/conv2d_winograd4.h): weights
 * (36, C, OC), scratch and arguments as above. */
size_t ccpl__winograd4_bwd_weight_floats(int OC, int C);
int ccpl__winograd4_bwd_weight_transform(float *Ut, const float *w, int OC, int C);
size_t ccpl__winograd4_backward_data_scratch_floats(int C, int OC, int H, int W, int n_threads);
void ccpl__winograd4_backward_data(float *dinp, const float *dout, const float *Ut, int C, int H,
                                   int W, int OC, ccpl__pad_mode pad_mode, float *scratch,
                                   int n_threads);

#endif
