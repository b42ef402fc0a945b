/* backend.h — the seam between the networks and the kernels (issue 14).
 *
 * A backend is a table of op implementations on (N, C, H, W) float tensors:
 * convolution forward, its input gradient and its weight gradient, 2x2
 * max-pooling and nearest x2 upsampling with their backwards. The
 * interpreter (model/net.c, model/net_train.c) calls ops only through this
 * table. Each entry may be NULL, and a convolution entry may decline a
 * layer (its `supports` says no): the op then runs on the reference backend,
 * which implements everything. Two backends exist:
 *   ccpl__backend_ref   im2col + OpenBLAS sgemm, direct loops (the
 *                       reference every test compares with PyTorch);
 *   ccpl__backend_fast  Winograd F(2x2,3x3) for wide 3x3 layers (forward and
 *                       input gradient), a direct kernel for few-output
 *                       layers; the rest falls back to ref.
 * A GPU backend (CUDA/cuDNN) would be a third table whose `prepare` uploads
 * the weights, with the interpreter's arena slots in device memory.
 *
 * Shapes: a convolution maps (N, cin, H, W) to (N, cout, OH, OW) with
 * OH = H + 2 pad - k + 1 (reflection padding; pad < H, W checked by the
 * caller, ccpl__net_check). dout arguments of convolution backwards are the
 * gradient of the pre-activation (the fused ReLU's backward comes first).
 * Every backward accumulates (+=) into its outputs. Scratch sizes are in
 * floats for the given per-sample input side and thread count. */
#ifndef CCPL_BACKEND_BACKEND_H
#define CCPL_BACKEND_BACKEND_H

#include <stddef.h>

#include "ccpl/ccpl.h"
#include "model/conv_layer.h"

typedef enum ccpl__conv_pass {
    CCPL__PASS_FORWARD,
    CCPL__PASS_BACKWARD_DATA,    /* the input gradient */
    CCPL__PASS_BACKWARD_WEIGHTS  /* the weight and bias gradients */
} ccpl__conv_pass;

typedef struct ccpl__backend {
    const char *name; /* "ref", "fast" */

    /* Per-layer preparation from cv->w (e.g. transformed weights) for the
     * passes that will run (training: also the input gradient); refresh
     * recomputes it after the weights changed (an optimiser step); release
     * frees it (cv->prep NULL after; safe twice). NULL: nothing to prepare. */
    ccpl_status (*prepare)(ccpl__conv *cv, int training, ccpl_error *err);
    void (*refresh)(ccpl__conv *cv);
    void (*release)(ccpl__conv *cv);

    /* Whether this backend runs `pass` of this (prepared) layer. */
    int (*supports)(const ccpl__conv *cv, ccpl__conv_pass pass);
    size_t (*conv_scratch)(const ccpl__conv *cv, ccpl__conv_pass pass, int h, int w, int n_threads);
    /* dst (N, cout, OH, OW) = relu?(conv(src (N, cin, H, W)) + b) */
    void (*conv_forward)(const ccpl__conv *cv, float *dst, const float *src, int n, int h, int w,
                         float *scratch, int n_threads);
    /* dsrc (N, cin, H, W) += conv^T(dout (N, cout, OH, OW)) */
    void (*conv_backward_data)(const ccpl__conv *cv, float *dsrc, const float *dout, int n, int h,
                               int w, float *scratch, int n_threads);
    /* dw (cout, cin, k, k) += sum_n dout . im2col(src)^T; db (cout) += sum of dout.
     * Either may be NULL. */
    void (*conv_backward_weights)(const ccpl__conv *cv, float *dw, float *db, const float *dout,
                                  const float *src, int n, int h, int w, float *scratch,
                                  int n_threads);

    /* 2x2 max-pool, ceil mode: (N,C,H,W) -> (N,C,ceil(H/2),ceil(W/2)); its
     * backward routes dout to each window's first maximum in src. */
    void (*pool_forward)(float *dst, const float *src, int n, int c, int h, int w, int n_threads);
    void (*pool_backward)(float *dsrc, const float *dout, const float *src, int n, int c, int h,
                          int w, int n_threads);
    /* nearest x2: (N,C,H,W) -> (N,C,2H,2W); backward sums each 2x2 block. */
    void (*upsample_forward)(float *dst, const float *src, int n, int c, int h, int w,
                             int n_threads);
    void (*upsample_backward)(float *dsrc, const float *dout, int n, int c, int h, int w,
                              int n_threads);
    /* dpre[i] += out[i] > 0 ? dout[i] : 0 (the fused ReLU, from its output) */
    void (*relu_backward)(float *dpre, const float *dout, const float *out, size_t count,
                          int n_threads);
} ccpl__backend;

extern const ccpl__backend ccpl__backend_ref;
extern const ccpl__backend ccpl__backend_fast;

/* The backend of a public engine choice (CCPL_ENGINE_REF / _FAST). */
const ccpl__backend *ccpl__backend_of_engine(ccpl_engine engine);

/* The backend that runs `pass` of cv: be when it implements and supports
 * it, else the reference. */
const ccpl__backend *ccpl__backend_for(const ccpl__backend *be, const ccpl__conv *cv,
                                       ccpl__conv_pass pass);

/* The implementation of a non-convolution entry: be's, or the reference's
 * when be leaves it NULL. Usage: CCPL__BACKEND_OP(be, pool_forward)(...). */
#define CCPL__BACKEND_OP(be, fn) (((be) && (be)->fn) ? (be) : &ccpl__backend_ref)->fn

#endif
