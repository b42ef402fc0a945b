/* upsample.h — nearest-neighbour upsampling by 2. */
#ifndef CCPL_OPS_UPSAMPLE_H
#define CCPL_OPS_UPSAMPLE_H

/* out (N,C,2H,2W): out[y][x] = inp[y/2][x/2]. */
void ccpl__upsample2_forward(float *out, const float *inp, int N, int C, int H, int W,
                             int n_threads);

/* dinp (N,C,H,W) += sum of the 2x2 block of dout (N,C,2H,2W) each input
 * pixel was copied to. */
void ccpl__upsample2_backward(float *dinp, const float *dout, int N, int C, int H, int W,
                              int n_threads);

#endif
