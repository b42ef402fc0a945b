/* backend_fast.c — the fast backend: Winograd for the wide 3x3 layers —
 * F(4x4,3x3) for inference's forward (ops/conv2d_winograd4.h), F(2x2,3x3)
 * for training's forward and input gradient (ops/conv2d_winograd.h,
 * ops/conv2d_winograd_backward.h) — and a direct kernel for the layers with
 * few outputs (ops/conv2d_direct.h); an unpadded 3x3 layer runs as the
 * zero-padded one with its border cut; in training, the weight gradients
 * of the padded wide 3x3 layers on F(2x2,3x3) too
 * (ops/conv2d_winograd_wgrad.h). Everything else — 1x1 layers, pooling,
 * upsampling — runs on the reference backend. The
 * per-layer Winograd weights live in cv->prep. */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/alloc.h"
#include "core/error.h"
#include "ops/conv2d_direct.h"
#include "ops/conv2d_winograd.h"
#include "ops/conv2d_winograd4.h"
#include "ops/conv2d_winograd_backward.h"
#include "ops/conv2d_winograd_wgrad.h"

typedef struct fast_prep {
    float *wino;   /* forward Winograd weights: for F(4x4,3x3) 36 (cout, cin) planes packed
                      for ops/wino_gemm, for F(2x2,3x3) 16 such planes; NULL: not Winograd */
    float *wino_t; /* input-gradient F(2x2,3x3) weights (16 (cin, cout) planes), or NULL */
    int f4;        /* the forward uses F(4x4,3x3) */
    int wgrad;     /* weight gradient on F(2x2,3x3) (training, padded 3x3 layers) */
    int direct;    /* forward on the direct kernel */
} fast_prep;

static ccpl__pad_mode pad_mode(const ccpl__conv *cv) {
    return cv->pad ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO;
}

static void fast_release(ccpl__conv *cv) {
    fast_prep *p = (fast_prep *)cv->prep;
    if (!p) return;
    free(p->wino);
    free(p->wino_t);
    free(p);
    cv->prep = NULL;
}

static void fast_refresh(ccpl__conv *cv) {
    fast_prep *p = (fast_prep *)cv->prep;
    if (!p) return;
    if (p->wino && p->f4) ccpl__winograd4_weight_transform(p->wino, cv->w, cv->cout, cv->cin);
    else if (p->wino) ccpl__winograd_weight_transform(p->wino, cv->w, cv->cout, cv->cin);
    /* (a failed allocation inside leaves the previous weights: the
       transform's temporary is 9*cin*cout floats) */
    if (p->wino_t) (void)ccpl__winograd_bwd_weight_transform(p->wino_t, cv->w, cv->cout, cv->cin);
}

/* An unpadded ("valid") 3x3 layer (SCT's style net) runs as the padded
 * layer with zero padding, its border then cut: every output of the valid
 * convolution is an interior output of the zero-padded one. */
static int valid3(const ccpl__conv *cv) { return cv->k == 3 && cv->pad == 0; }

static ccpl_status fast_prepare(ccpl__conv *cv, int training, ccpl_error *err) {
    fast_release(cv);
    const int fwd = ccpl__winograd_suits(cv->cin, cv->cout, cv->k, cv->pad) ||
                    (valid3(cv) && ccpl__winograd_suits(cv->cin, cv->cout, 3, 1));
    /* the input gradient is a convolution from cout to cin channels */
    const int bwd = training && ccpl__winograd_suits(cv->cout, cv->cin, cv->k, cv->pad);
    const int direct = ccpl__direct_suits(cv->cin, cv->cout, cv->k, cv->pad);
    const int wgrad = training && ccpl__winograd_suits(cv->cin, cv->cout, cv->k, cv->pad);
    if (!fwd && !bwd && !direct && !wgrad) return CCPL_OK;
    fast_prep *p = calloc(1, sizeof *p);
    if (!p) goto nomem;
    cv->prep = p;
    p->direct = direct;
    p->wgrad = wgrad;
    /* Inference takes F(4x4,3x3) (4x fewer multiplications than direct;
       relative error about 1e-5 per layer against float64, test_winograd).
       Training keeps F(2x2,3x3) (2.25x, about 5e-7): with F(4x4) in the
       training step the decoder and SCT gradients moved 1.4e-3 to 3.8e-3
       from PyTorch's (test_train_step, tolerance 1e-3), and saved at most
       6 % of a training iteration at 256x256 crops, nothing at 128x128
       (docs/PERFORMANCE.md, "F(4x4,3x3) in training"). */
    p->f4 = !training;
    const size_t nw = p->f4 ? ccpl__winograd4_weight_floats(cv->cout, cv->cin)
                            : ccpl__winograd_weight_floats(cv->cout, cv->cin);
    if (fwd && !(p->wino = ccpl__alloc_floats(nw))) goto nomem;
    if (bwd && (!(p->wino_t = ccpl__alloc_floats(ccpl__winograd_bwd_weight_floats(cv->cout, cv->cin))) ||
                ccpl__winograd_bwd_weight_transform(p->wino_t, cv->w, cv->cout, cv->cin) != 0))
        goto nomem;
    if (p->wino && p->f4) ccpl__winograd4_weight_transform(p->wino, cv->w, cv->cout, cv->cin);
    else if (p->wino) ccpl__winograd_weight_transform(p->wino, cv->w, cv->cout, cv->cin);
    return CCPL_OK;
nomem:
    fast_release(cv);
    return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the fast engine's weights");
}

static int fast_supports(const ccpl__conv *cv, ccpl__conv_pass pass) {
    const fast_prep *p = (const fast_prep *)cv->prep;
    if (!p) return 0;
    switch (pass) {
    case CCPL__PASS_FORWARD: return p->wino != NULL || p->direct;
    case CCPL__PASS_BACKWARD_DATA: return p->wino_t != NULL;
    case CCPL__PASS_BACKWARD_WEIGHTS: return p->wgrad;
    }
    return 0;
}

static size_t fast_conv_scratch(const ccpl__conv *cv, ccpl__conv_pass pass, int h, int w,
                                int n_threads) {
    const fast_prep *p = (const fast_prep *)cv->prep;
    if (!fast_supports(cv, pass)) return 0; /* the caller asks the implementer (backend_for) */
    if (pass == CCPL__PASS_FORWARD)
        return p->wino ? (p->f4 ? ccpl__winograd4_scratch_floats(cv->cin, cv->cout, h, w, n_threads)
                                : ccpl__winograd_scratch_floats(cv->cin, cv->cout, h, w, n_threads)) +
                             (valid3(cv) ? (size_t)cv->cout * h * w : 0) /* the padded result */
                       : ccpl__direct_scratch_floats(cv->cout, w, n_threads);
    if (pass == CCPL__PASS_BACKWARD_WEIGHTS)
        return ccpl__winograd_backward_weights_scratch_floats(cv->cin, cv->cout, h, w, n_threads);
    return ccpl__winograd_backward_data_scratch_floats(cv->cin, cv->cout, h, w, n_threads);
}

static void fast_conv_forward(const ccpl__conv *cv, float *dst, const float *src, int n, int h,
                              int w, float *scratch, int n_threads) {
    const fast_prep *p = (const fast_prep *)cv->prep;
    const size_t in = (size_t)cv->cin * h * w;
    if (valid3(cv)) { /* (h, w) -> (h-2, w-2): the zero-padded result's interior */
        const int oh = h - 2, ow = w - 2;
        const size_t full = (size_t)cv->cout * h * w, out = (size_t)cv->cout * oh * ow;
        float *tmp = scratch, *ws = scratch + full;
        for (int i = 0; i < n; i++) {
            if (p->f4)
                ccpl__winograd4_forward(tmp, src + i * in, p->wino, cv->b, cv->cin, h, w, cv->cout,
                                        CCPL__PAD_ZERO, cv->relu, ws, n_threads);
            else
                ccpl__winograd_forward(tmp, src + i * in, p->wino, cv->b, cv->cin, h, w, cv->cout,
                                       CCPL__PAD_ZERO, cv->relu, ws, n_threads);
            for (int o = 0; o < cv->cout; o++)
                for (int y = 0; y < oh; y++)
                    memcpy(dst + i * out + ((size_t)o * oh + y) * ow,
                           tmp + ((size_t)o * h + y + 1) * w + 1, sizeof(float) * (size_t)ow);
        }
        return;
    }
    /* the other fast kernels are 3x3 with padding 1: the output has the input's side */
    const size_t out = (size_t)cv->cout * h * w;
    for (int i = 0; i < n; i++) {
        if (p->wino && p->f4)
            ccpl__winograd4_forward(dst + i * out, src + i * in, p->wino, cv->b, cv->cin, h, w,
                                    cv->cout, pad_mode(cv), cv->relu, scratch, n_threads);
        else if (p->wino)
            ccpl__winograd_forward(dst + i * out, src + i * in, p->wino, cv->b, cv->cin, h, w,
                                   cv->cout, pad_mode(cv), cv->relu, scratch, n_threads);
        else
            ccpl__direct_forward(dst + i * out, src + i * in, cv->w, cv->b, cv->cin, h, w,
                                 cv->cout, pad_mode(cv), cv->relu, scratch, n_threads);
    }
}

static void fast_conv_backward_data(const ccpl__conv *cv, float *dsrc, const float *dout, int n,
                                    int h, int w, float *scratch, int n_threads) {
    const fast_prep *p = (const fast_prep *)cv->prep;
    const size_t in = (size_t)cv->cin * h * w, out = (size_t)cv->cout * h * w;
    for (int i = 0; i < n; i++)
        ccpl__winograd_backward_data(dsrc + i * in, dout + i * out, p->wino_t, cv->cin, h, w,
                                     cv->cout, pad_mode(cv), scratch, n_threads);
}

static void fast_conv_backward_weights(const ccpl__conv *cv, float *dw, float *db,
                                       const float *dout, const float *src, int n, int h, int w,
                                       float *scratch, int n_threads) {
    if (db) /* the bias gradient as the reference backend sums it */
        ccpl__conv2d_backward(NULL, NULL, db, dout, NULL, NULL, n, cv->cin, h, w, cv->cout, cv->k,
                              cv->pad, pad_mode(cv), NULL, n_threads);
    if (dw)
        ccpl__winograd_backward_weights(dw, dout, src, n, cv->cin, h, w, cv->cout, pad_mode(cv),
                                        scratch, n_threads);
}

const ccpl__backend ccpl__backend_fast = {
    .name = "fast",
    .prepare = fast_prepare,
    .refresh = fast_refresh,
    .release = fast_release,
    .supports = fast_supports,
    .conv_scratch = fast_conv_scratch,
    .conv_forward = fast_conv_forward,
    .conv_backward_data = fast_conv_backward_data,
    .conv_backward_weights = fast_conv_backward_weights,
};
