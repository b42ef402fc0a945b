/* backend_ref.c — the reference backend: every op, on the plain kernels of
 * src/ops (im2col + OpenBLAS sgemm for convolutions). Tests compare it with
 * PyTorch (tests/test_parity.c, test_grad.c) and every other backend with
 * it (tests/test_backend_ops.c). */
#include "backend/backend.h"

#include "ops/conv2d.h"
#include "ops/pool.h"
#include "ops/relu.h"
#include "ops/upsample.h"

static ccpl__pad_mode pad_mode(const ccpl__conv *cv) {
    return cv->pad ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO;
}

static int ref_supports(const ccpl__conv *cv, ccpl__conv_pass pass) {
    (void)cv, (void)pass;
    return 1;
}

static size_t ref_conv_scratch(const ccpl__conv *cv, ccpl__conv_pass pass, int h, int w,
                               int n_threads) {
    (void)n_threads;
    return pass == CCPL__PASS_FORWARD
               ? ccpl__conv2d_scratch_floats(cv->cin, h, w, cv->k, cv->pad)
               : ccpl__conv2d_backward_scratch_floats(cv->cin, h, w, cv->k, cv->pad);
}

static void ref_conv_forward(const ccpl__conv *cv, float *dst, const float *src, int n, int h,
                             int w, float *scratch, int n_threads) {
    ccpl__conv2d_forward(dst, src, cv->w, cv->b, n, cv->cin, h, w, cv->cout, cv->k, cv->pad,
                         pad_mode(cv), cv->relu, scratch, n_threads);
}

static void ref_conv_backward_data(const ccpl__conv *cv, float *dsrc, const float *dout, int n,
                                   int h, int w, float *scratch, int n_threads) {
    ccpl__conv2d_backward(dsrc, NULL, NULL, dout, NULL, cv->w, n, cv->cin, h, w, cv->cout, cv->k,
                          cv->pad, pad_mode(cv), scratch, n_threads);
}

static void ref_conv_backward_weights(const ccpl__conv *cv, float *dw, float *db,
                                      const float *dout, const float *src, int n, int h, int w,
                                      float *scratch, int n_threads) {
    ccpl__conv2d_backward(NULL, dw, db, dout, src, cv->w, n, cv->cin, h, w, cv->cout, cv->k,
                          cv->pad, pad_mode(cv), scratch, n_threads);
}

static void ref_relu_backward(float *dpre, const float *dout, const float *out, size_t count,
                              int n_threads) {
    (void)n_threads;
    ccpl__relu_backward(dpre, dout, out, count);
}

const ccpl__backend ccpl__backend_ref = {
    .name = "ref",
    .supports = ref_supports,
    .conv_scratch = ref_conv_scratch,
    .conv_forward = ref_conv_forward,
    .conv_backward_data = ref_conv_backward_data,
    .conv_backward_weights = ref_conv_backward_weights,
    .pool_forward = ccpl__maxpool2_forward,
    .pool_backward = ccpl__maxpool2_backward,
    .upsample_forward = ccpl__upsample2_forward,
    .upsample_backward = ccpl__upsample2_backward,
    .relu_backward = ref_relu_backward,
};

const ccpl__backend *ccpl__backend_of_engine(ccpl_engine engine) {
    return engine == CCPL_ENGINE_FAST ? &ccpl__backend_fast : &ccpl__backend_ref;
}

const ccpl__backend *ccpl__backend_for(const ccpl__backend *be, const ccpl__conv *cv,
                                       ccpl__conv_pass pass) {
    if (!be || !be->supports || !be->supports(cv, pass)) return &ccpl__backend_ref;
    const int has = pass == CCPL__PASS_FORWARD         ? be->conv_forward != NULL
                    : pass == CCPL__PASS_BACKWARD_DATA ? be->conv_backward_data != NULL
                                                       : be->conv_backward_weights != NULL;
    return has ? be : &ccpl__backend_ref;
}
