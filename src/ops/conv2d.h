/* conv2d.h — 2-D convolution, stride 1, square kernel, optional padding. */
#ifndef CCPL_OPS_CONV2D_H
#define CCPL_OPS_CONV2D_H

#include <stddef.h>

typedef enum ccpl__pad_mode {
    CCPL__PAD_ZERO = 0,    /* zeros outside (also used with pad = 0) */
    CCPL__PAD_REFLECT = 1  /* mirror without repeating the edge: [b | a b c | b] */
} ccpl__pad_mode;

/* Output side for input side n: n + 2*pad - K + 1. */
static inline int ccpl__conv_out(int n, int K, int pad) { return n + 2 * pad - K + 1; }

/* Floats of scratch ccpl__conv2d_forward needs for these sizes (0 for a 1x1
 * convolution without padding, which needs none). */
size_t ccpl__conv2d_scratch_floats(int C, int H, int W, int K, int pad);

/* out (N,OC,OH,OW) = conv(inp (N,C,H,W), w (OC,C,K,K)) + b (OC), then
 * max(0, .) when relu is non-zero. OH = H + 2*pad - K + 1, likewise OW.
 * Reflection padding needs pad < H and pad < W (checked by the caller).
 * scratch: ccpl__conv2d_scratch_floats(C,H,W,K,pad) floats. Lowered to
 * im2col in row blocks + sgemm, so scratch stays bounded for any size. */
void ccpl__conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                          int N, int C, int H, int W, int OC, int K, int pad,
                          ccpl__pad_mode pad_mode, int relu, float *scratch, int n_threads);

/* Floats of scratch ccpl__conv2d_backward needs (the forward's amount: one
 * block of columns plus the tap map; 0 for an unpadded 1x1). */
size_t ccpl__conv2d_backward_scratch_floats(int C, int H, int W, int K, int pad);

/* Backward of ccpl__conv2d_forward without its ReLU: dout (N,OC,OH,OW) is the
 * gradient of the pre-activation (pass it through ccpl__relu_backward first
 * when the forward fused a ReLU). Accumulates (+=):
 *   dinp (N,C,H,W)    += conv^T(dout, w)   (mirrored pixels fold back to
 *                                            their source; zero pads drop)
 *   dw   (OC,C,K,K)   += sum_n dout . im2col(inp)^T
 *   db   (OC)         += sum over N, OH, OW of dout
 * Any of dinp, dw, db may be NULL (frozen input or frozen layer). inp
 * (N,C,H,W) and w (OC,C,K,K) are the forward's. scratch:
 * ccpl__conv2d_backward_scratch_floats(C,H,W,K,pad) floats. */
void ccpl__conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, int N, int C, int H, int W, int OC, int K, int pad,
                           ccpl__pad_mode pad_mode, float *scratch, int n_threads);

#endif
