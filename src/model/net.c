#include "model/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "ops/conv2d_direct.h"
#include "ops/conv2d_winograd.h"
#include "ops/conv2d_winograd_backward.h"
#include "ops/pool.h"
#include "ops/upsample.h"

int ccpl__net_n_convs(const ccpl__net *net) {
    int n = 0;
    for (int i = 0; i < net->n_ops; i++) n += net->ops[i].kind == CCPL__OP_CONV;
    return n;
}

ccpl_status ccpl__net_check(const ccpl__net *net, int c, int h, int w, int *oc, int *oh,
                            int *ow, const char *what, ccpl_error *err) {
    for (int i = 0; i < net->n_ops; i++) {
        const ccpl__op *op = &net->ops[i];
        if (op->kind == CCPL__OP_CONV) {
            const ccpl__conv *cv = &op->conv;
            if (c != cv->cin)
                return ccpl__fail(err, CCPL_E_SHAPE, "%s: layer %d expects %d channels, got %d",
                                  what, cv->key, cv->cin, c);
            /* reflection padding needs pad < side; an unpadded conv needs side >= k */
            if ((cv->pad > 0 && (h <= cv->pad || w <= cv->pad)) ||
                ccpl__conv_out(h, cv->k, cv->pad) < 1 || ccpl__conv_out(w, cv->k, cv->pad) < 1)
                return ccpl__fail(err, CCPL_E_TOO_SMALL,
                                  "%s is too small: its features are %dx%d at layer %d", what, w,
                                  h, cv->key);
        } else if (op->kind == CCPL__OP_UPSAMPLE && (h > (1 << 29) || w > (1 << 29))) {
            return ccpl__fail(err, CCPL_E_TOO_LARGE, "%s is too large", what);
        }
        ccpl__op_out_shape(op, &c, &h, &w);
    }
    if (oc) *oc = c;
    if (oh) *oh = h;
    if (ow) *ow = w;
    return CCPL_OK;
}

ccpl_status ccpl__net_prepare_fast(ccpl__net *net, ccpl_error *err) {
    for (int i = 0; i < net->n_ops; i++) {
        ccpl__conv *cv = &net->ops[i].conv;
        if (net->ops[i].kind != CCPL__OP_CONV) continue;
        cv->direct = ccpl__direct_suits(cv->cin, cv->cout, cv->k, cv->pad);
        if (cv->wino || !ccpl__winograd_suits(cv->cin, cv->cout, cv->k, cv->pad)) continue;
        if (!(cv->wino = ccpl__alloc_floats(ccpl__winograd_weight_floats(cv->cout, cv->cin)))) {
            ccpl__net_release(net);
            return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the fast engine's weights");
        }
        ccpl__winograd_weight_transform(cv->wino, cv->w, cv->cout, cv->cin);
    }
    return CCPL_OK;
}

ccpl_status ccpl__net_prepare_fast_backward(ccpl__net *net, ccpl_error *err) {
    for (int i = 0; i < net->n_ops; i++) {
        ccpl__conv *cv = &net->ops[i].conv;
        /* the input gradient is a convolution from cout to cin channels */
        if (net->ops[i].kind != CCPL__OP_CONV || cv->wino_t ||
            !ccpl__winograd_suits(cv->cout, cv->cin, cv->k, cv->pad))
            continue;
        if (!(cv->wino_t = ccpl__alloc_floats(ccpl__winograd_bwd_weight_floats(cv->cout, cv->cin))) ||
            ccpl__winograd_bwd_weight_transform(cv->wino_t, cv->w, cv->cout, cv->cin) != 0) {
            ccpl__net_release(net);
            return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the fast engine's weights");
        }
    }
    return CCPL_OK;
}

void ccpl__net_refresh_fast(ccpl__net *net) {
    for (int i = 0; i < net->n_ops; i++) {
        ccpl__conv *cv = &net->ops[i].conv;
        if (net->ops[i].kind != CCPL__OP_CONV) continue;
        if (cv->wino) ccpl__winograd_weight_transform(cv->wino, cv->w, cv->cout, cv->cin);
        /* (a failed allocation inside leaves the previous step's weights:
           the transform's temporary is 9*cin*cout floats) */
        if (cv->wino_t) (void)ccpl__winograd_bwd_weight_transform(cv->wino_t, cv->w, cv->cout, cv->cin);
    }
}

void ccpl__net_release(ccpl__net *net) {
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == CCPL__OP_CONV) {
            free(net->ops[i].conv.wino);
            net->ops[i].conv.wino = NULL;
            free(net->ops[i].conv.wino_t);
            net->ops[i].conv.wino_t = NULL;
            net->ops[i].conv.direct = 0;
        }
}

void ccpl__op_out_shape(const ccpl__op *op, int *c, int *h, int *w) {
    switch (op->kind) {
    case CCPL__OP_CONV:
        *c = op->conv.cout;
        *h = ccpl__conv_out(*h, op->conv.k, op->conv.pad);
        *w = ccpl__conv_out(*w, op->conv.k, op->conv.pad);
        break;
    case CCPL__OP_POOL: *h = ccpl__pool_out(*h), *w = ccpl__pool_out(*w); break;
    case CCPL__OP_UPSAMPLE: *h *= 2, *w *= 2; break;
    case CCPL__OP_TAP: break;
    }
}

size_t ccpl__op_scratch_floats(const ccpl__op *op, int h, int w, int n_threads) {
    if (op->kind != CCPL__OP_CONV) return 0;
    const ccpl__conv *cv = &op->conv;
    if (cv->wino) return ccpl__winograd_scratch_floats(cv->cin, cv->cout, h, w, n_threads);
    if (cv->direct) return ccpl__direct_scratch_floats(cv->cout, w, n_threads);
    return ccpl__conv2d_scratch_floats(cv->cin, h, w, cv->k, cv->pad);
}

void ccpl__op_forward(const ccpl__op *op, float *dst, const float *src, int c, int h, int w,
                      float *scratch, int n_threads) {
    switch (op->kind) {
    case CCPL__OP_CONV: {
        const ccpl__conv *cv = &op->conv;
        if (cv->wino)
            ccpl__winograd_forward(dst, src, cv->wino, cv->b, c, h, w, cv->cout, CCPL__PAD_REFLECT,
                                   cv->relu, scratch, n_threads);
        else if (cv->direct)
            ccpl__direct_forward(dst, src, cv->w, cv->b, c, h, w, cv->cout, CCPL__PAD_REFLECT,
                                 cv->relu, scratch, n_threads);
        else
            ccpl__conv2d_forward(dst, src, cv->w, cv->b, 1, c, h, w, cv->cout, cv->k, cv->pad,
                                 cv->pad ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, cv->relu, scratch,
                                 n_threads);
        break;
    }
    case CCPL__OP_POOL: ccpl__maxpool2_forward(dst, src, 1, c, h, w, n_threads); break;
    case CCPL__OP_UPSAMPLE: ccpl__upsample2_forward(dst, src, 1, c, h, w, n_threads); break;
    case CCPL__OP_TAP: break;
    }
}

/* Largest conv scratch over the run, following shapes from (h,w). */
static size_t max_scratch(const ccpl__net *net, int h, int w, int n_threads) {
    size_t m = 0;
    int c = 0;
    for (int i = 0; i < net->n_ops; i++) {
        const size_t s = ccpl__op_scratch_floats(&net->ops[i], h, w, n_threads);
        if (s > m) m = s;
        ccpl__op_out_shape(&net->ops[i], &c, &h, &w);
    }
    return m;
}

/* Largest intermediate activation (every op's output but the last) over the
 * run, in floats: the size of each ping-pong slot. */
static size_t max_intermediate(const ccpl__net *net, int c, int h, int w, int last) {
    size_t m = 0;
    for (int i = 0; i < last; i++) {
        if (net->ops[i].kind == CCPL__OP_TAP) continue;
        ccpl__op_out_shape(&net->ops[i], &c, &h, &w);
        const size_t n = (size_t)c * h * w; /* fits: net_check bounded the shapes */
        if (n > m) m = n;
    }
    return m;
}

ccpl_status ccpl__net_run_arena(const ccpl__net *net, const ccpl__tensor *x, ccpl__arena *ar,
                                ccpl__slot out_slot, ccpl__tensor *out, ccpl__tensor *taps,
                                int n_threads, ccpl__progress *progress, ccpl_error *err) {
    int oc, oh, ow, n_taps = 0, last = -1;
    memset(out, 0, sizeof *out);
    ccpl_status st = ccpl__net_check(net, x->c, x->h, x->w, &oc, &oh, &ow, "input", err);
    if (st != CCPL_OK) return st;
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind != CCPL__OP_TAP) last = i;

    /* the plan: every buffer sized for this input shape before the first op */
    size_t n_out, n_mid = max_intermediate(net, x->c, x->h, x->w, last < 0 ? 0 : last);
    size_t n_scratch = max_scratch(net, x->h, x->w, n_threads);
    if (!ccpl__mul4_ok(&n_out, (size_t)oc, (size_t)oh, (size_t)ow, 1))
        return ccpl__fail(err, CCPL_E_NOMEM, "activation of %d x %d x %d is too large", oc, oh, ow);
    float *buf[2] = {NULL, NULL}, *scratch = NULL;
    float *dst_out = ccpl__arena_get(ar, out_slot, n_out);
    if (n_mid && (!(buf[0] = ccpl__arena_get(ar, CCPL__SLOT_PING, n_mid)) ||
                  !(buf[1] = ccpl__arena_get(ar, CCPL__SLOT_PONG, n_mid))))
        dst_out = NULL;
    if (n_scratch && !(scratch = ccpl__arena_get(ar, CCPL__SLOT_SCRATCH, n_scratch))) dst_out = NULL;
    if (!dst_out)
        return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for activations of a %dx%d input",
                          x->w, x->h);

    const float *src = x->data;
    int c = x->c, h = x->h, w = x->w, flip = 0;
    if (last < 0) memcpy(dst_out, x->data, sizeof(float) * n_out); /* taps only */
    for (int i = 0; i < net->n_ops; i++) {
        const ccpl__op *op = &net->ops[i];
        if (op->kind == CCPL__OP_TAP) {
            if (taps) {
                if ((st = ccpl__tensor_alloc(&taps[n_taps], 1, c, h, w, err)) != CCPL_OK) goto fail;
                memcpy(taps[n_taps].data, src, sizeof(float) * (size_t)c * h * w);
            }
            n_taps++;
            continue;
        }
        float *dst = i == last ? dst_out : buf[flip];
        flip ^= 1;
        ccpl__op_forward(op, dst, src, c, h, w, scratch, n_threads);
        ccpl__op_out_shape(op, &c, &h, &w);
        if (op->kind == CCPL__OP_CONV && progress) {
            progress->done++;
            if (progress->fn && progress->fn(progress->done, progress->total, progress->user)) {
                st = ccpl__fail(err, CCPL_E_CANCELLED, "cancelled by the progress callback");
                goto fail;
            }
        }
        src = dst;
    }
    out->n = 1, out->c = oc, out->h = oh, out->w = ow;
    out->data = dst_out;
    return CCPL_OK;
fail:
    if (taps)
        for (int i = 0; i < n_taps; i++) ccpl__tensor_free(&taps[i]);
    return st;
}

ccpl_status ccpl__net_run(const ccpl__net *net, const ccpl__tensor *x, ccpl__tensor *out,
                          ccpl__tensor *taps, int n_threads, ccpl__progress *progress,
                          ccpl_error *err) {
    ccpl__arena ar;
    ccpl__tensor view;
    memset(&ar, 0, sizeof ar);
    memset(out, 0, sizeof *out);
    ccpl_status st = ccpl__net_run_arena(net, x, &ar, CCPL__SLOT_FEAT, &view, taps, n_threads,
                                         progress, err);
    if (st == CCPL_OK) {
        /* hand the output over without a copy: the slot's buffer becomes
         * the caller's (room for at least its floats) */
        out->n = 1, out->c = view.c, out->h = view.h, out->w = view.w;
        out->data = ar.buf[CCPL__SLOT_FEAT];
        ar.buf[CCPL__SLOT_FEAT] = NULL;
        ar.cap[CCPL__SLOT_FEAT] = 0;
    }
    ccpl__arena_release(&ar);
    return st;
}

ccpl_status ccpl__conv_bind(ccpl__conv *conv, const ccpl__checkpoint *ck, const char *file,
                            const char *prefix, const char *hint, ccpl_error *err) {
    char wname[64], bname[64];
    snprintf(wname, sizeof wname, "%s.weight", prefix);
    snprintf(bname, sizeof bname, "%s.bias", prefix);
    const ccpl__tensor_entry *w = ccpl__checkpoint_find(ck, wname);
    const ccpl__tensor_entry *b = ccpl__checkpoint_find(ck, bname);
    const char *missing = !w ? wname : !b ? bname : NULL;
    if (missing)
        return ccpl__fail(err, CCPL_E_MISSING_KEY, "%s: missing key '%s'%s", file, missing, hint);
    const int64_t want_w[4] = {conv->cout, conv->cin, conv->k, conv->k};
    int ok = w->ndim == 4;
    for (int i = 0; ok && i < 4; i++) ok = w->shape[i] == want_w[i];
    if (!ok) {
        char got[128] = "";
        size_t len = 0;
        for (int i = 0; i < w->ndim && len < sizeof got - 24; i++)
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%lld", i ? "," : "",
                                    (long long)w->shape[i]);
        return ccpl__fail(err, CCPL_E_SHAPE, "%s: '%s' has shape (%s), expected (%d,%d,%d,%d)%s",
                          file, wname, got, conv->cout, conv->cin, conv->k, conv->k, hint);
    }
    if (b->ndim != 1 || b->shape[0] != conv->cout)
        return ccpl__fail(err, CCPL_E_SHAPE, "%s: '%s' has %zu values, expected (%d)%s", file,
                          bname, b->numel, conv->cout, hint);
    if (!w->data || !b->data)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: '%s' was not loaded", file, wname);
    /* A NaN or infinity would silently give a black or damaged picture. */
    const ccpl__tensor_entry *both[2] = {w, b};
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < both[t]->numel; i++)
            if (!isfinite(both[t]->data[i]))
                return ccpl__fail(err, CCPL_E_FORMAT,
                                  "%s: '%s' holds a non-finite value (NaN or infinity) at index %zu: "
                                  "a diverged training run?",
                                  file, t ? bname : wname, i);
    conv->w = w->data;
    conv->b = b->data;
    return CCPL_OK;
}
