#include "model/net.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "model/net_band.h"
#include "ops/pool.h"

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

ccpl_status ccpl__net_set_backend(ccpl__net *net, const ccpl__backend *be, int training,
                                  ccpl_error *err) {
    ccpl__net_release(net);
    net->be = be;
    if (!be || !be->prepare) return CCPL_OK;
    for (int i = 0; i < net->n_ops; i++) {
        if (net->ops[i].kind != CCPL__OP_CONV) continue;
        ccpl_status st = be->prepare(&net->ops[i].conv, training, err);
        if (st != CCPL_OK) {
            ccpl__net_release(net);
            return st;
        }
    }
    return CCPL_OK;
}

void ccpl__net_refresh(ccpl__net *net) {
    if (!net->be || !net->be->refresh) return;
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == CCPL__OP_CONV) net->be->refresh(&net->ops[i].conv);
}

void ccpl__net_release(ccpl__net *net) {
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == CCPL__OP_CONV && net->ops[i].conv.prep && net->be &&
            net->be->release)
            net->be->release(&net->ops[i].conv);
    net->be = NULL;
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

size_t ccpl__op_scratch_floats(const ccpl__backend *be, const ccpl__op *op, int h, int w,
                               int n_threads) {
    if (op->kind != CCPL__OP_CONV) return 0;
    const ccpl__backend *cb = ccpl__backend_for(be, &op->conv, CCPL__PASS_FORWARD);
    return cb->conv_scratch(&op->conv, CCPL__PASS_FORWARD, h, w, n_threads);
}

void ccpl__op_forward(const ccpl__backend *be, const ccpl__op *op, float *dst, const float *src,
                      int n, int c, int h, int w, float *scratch, int n_threads) {
    switch (op->kind) {
    case CCPL__OP_CONV:
        ccpl__backend_for(be, &op->conv, CCPL__PASS_FORWARD)
            ->conv_forward(&op->conv, dst, src, n, h, w, scratch, n_threads);
        break;
    case CCPL__OP_POOL: CCPL__BACKEND_OP(be, pool_forward)(dst, src, n, c, h, w, n_threads); break;
    case CCPL__OP_UPSAMPLE:
        CCPL__BACKEND_OP(be, upsample_forward)(dst, src, n, c, h, w, n_threads);
        break;
    case CCPL__OP_TAP: break;
    }
}

size_t ccpl__net_plan_shapes(const ccpl__net *net, const ccpl__tensor *x, ccpl__tensor *a,
                             int n_threads) {
    size_t scratch = 0;
    a[0] = *x;
    a[0].data = NULL;
    for (int i = 0; i < net->n_ops; i++) {
        const ccpl__op *op = &net->ops[i];
        const size_t s = ccpl__op_scratch_floats(net->be, op, a[i].h, a[i].w, n_threads);
        if (s > scratch) scratch = s;
        a[i + 1] = a[i];
        ccpl__op_out_shape(op, &a[i + 1].c, &a[i + 1].h, &a[i + 1].w);
    }
    return scratch;
}

/* The stretches of a run that execute in bands (net_band.h). */
typedef struct band_plan {
    int n;
    int first[CCPL__NET_MAX_OPS], end[CCPL__NET_MAX_OPS]; /* ops [first, end) */
    int rows[CCPL__NET_MAX_OPS];                            /* rows of a[end] per band */
    float *buf[2];                                          /* the two band buffers */
} band_plan;

/* One convolution done: progress->done++ and its callback (non-zero:
   cancelled). */
static ccpl_status conv_done(ccpl__progress *progress, ccpl_error *err) {
    if (!progress) return CCPL_OK;
    progress->done++;
    if (progress->fn && progress->fn(progress->done, progress->total, progress->user))
        return ccpl__fail(err, CCPL_E_CANCELLED, "cancelled by the progress callback");
    return CCPL_OK;
}

/* ccpl__net_execute, with the stretches of bp (NULL: none) run in bands;
   the tap copies are allocated, or (tap_mem non-NULL) views into the kept
   buffers tap_mem[i]. */
static ccpl_status execute(const ccpl__net *net, ccpl__tensor *a, const band_plan *bp,
                           float *scratch, ccpl__tensor *tap_copies, ccpl__buf *tap_mem,
                           int n_threads, ccpl__progress *progress, ccpl_error *err) {
    ccpl_status st;
    int n_taps = 0, stretch = 0;
    for (int i = 0; i < net->n_ops; i++) {
        const ccpl__op *op = &net->ops[i];
        const ccpl__tensor *in = &a[i];
        if (bp && stretch < bp->n && i == bp->first[stretch]) {
            const int end = bp->end[stretch];
            ccpl__band_run(net, a, i, end, bp->rows[stretch], bp->buf, scratch, n_threads);
            for (; i < end; i++) { /* no tap copies inside a stretch (plan_bands) */
                n_taps += net->ops[i].kind == CCPL__OP_TAP;
                if (net->ops[i].kind == CCPL__OP_CONV && (st = conv_done(progress, err)) != CCPL_OK)
                    goto fail;
            }
            i--, stretch++;
            continue;
        }
        if (op->kind == CCPL__OP_TAP) {
            if (tap_copies) {
                ccpl__tensor *t = &tap_copies[n_taps];
                st = tap_mem ? ccpl__buf_tensor(&tap_mem[n_taps], t, in->n, in->c, in->h, in->w, 0, err)
                             : ccpl__tensor_alloc(t, in->n, in->c, in->h, in->w, err);
                if (st != CCPL_OK) goto fail;
                memcpy(t->data, in->data, sizeof(float) * ccpl__tensor_numel(in));
            }
            n_taps++;
            continue;
        }
        ccpl__op_forward(net->be, op, a[i + 1].data, in->data, in->n, in->c, in->h, in->w, scratch,
                         n_threads);
        if (op->kind == CCPL__OP_CONV && (st = conv_done(progress, err)) != CCPL_OK) goto fail;
    }
    return CCPL_OK;
fail:
    if (tap_copies && !tap_mem)
        for (int i = 0; i < n_taps; i++) ccpl__tensor_free(&tap_copies[i]);
    return st;
}

ccpl_status ccpl__net_execute(const ccpl__net *net, ccpl__tensor *a, float *scratch,
                              ccpl__tensor *tap_copies, int n_threads, ccpl__progress *progress,
                              ccpl_error *err) {
    return execute(net, a, NULL, scratch, tap_copies, NULL, n_threads, progress, err);
}

/* Plans bp for a run with shapes a whose last computing op is `last`: a
 * stretch around every intermediate activation (a[1..last]) of more than
 * `above` floats, widened while its input and output are that large too
 * (the run's input and output are never intermediates); `rows` rows of
 * a[end] per band, or (rows <= 0) as many as keep its largest activation's
 * band near CCPL__BAND_TARGET floats. No stretch at all when one would
 * hold an op that cannot run in bands (or a tap whose copy is wanted), or
 * for a batch. */
static void plan_bands(const ccpl__net *net, const ccpl__tensor *a, int last, int want_taps,
                       size_t above, int rows, band_plan *bp) {
    bp->n = 0;
    if (a[0].n != 1) return;
    for (int i = 0; i < last; i++) {
        if (ccpl__tensor_numel(&a[i + 1]) <= above) continue;
        int first = i, end = i + 1;
        while (first > 0 && ccpl__tensor_numel(&a[first]) > above) first--;
        while (end <= last && ccpl__tensor_numel(&a[end]) > above) end++;
        size_t largest = 0;
        for (int j = first; j < end; j++) {
            const ccpl__op *op = &net->ops[j];
            if (!ccpl__band_op_ok(op) || (want_taps && op->kind == CCPL__OP_TAP)) {
                bp->n = 0;
                return;
            }
            if (ccpl__tensor_numel(&a[j + 1]) > largest) largest = ccpl__tensor_numel(&a[j + 1]);
        }
        const int h = a[end].h;
        const size_t n_bands = (largest + CCPL__BAND_TARGET - 1) / CCPL__BAND_TARGET;
        bp->first[bp->n] = first, bp->end[bp->n] = end;
        bp->rows[bp->n] = rows > 0 ? rows : (int)(((size_t)h + n_bands - 1) / n_bands);
        bp->n++;
        i = end - 1;
    }
}

/* ccpl__net_run_arena_bands, the tap copies kept in tap_mem when it is
   non-NULL (ccpl__net_run_arena_kept_taps). */
static ccpl_status run_arena(const ccpl__net *net, const ccpl__tensor *x, ccpl__arena *ar,
                             ccpl__slot out_slot, ccpl__tensor *out, ccpl__tensor *taps,
                             ccpl__buf *tap_mem, int n_threads, ccpl__progress *progress,
                             size_t band_above, int band_rows, ccpl_error *err) {
    ccpl__tensor a[CCPL__NET_MAX_OPS + 1];
    int last = -1;
    memset(out, 0, sizeof *out);
    ccpl_status st = ccpl__net_check(net, x->c, x->h, x->w, NULL, NULL, NULL, "input", err);
    if (st != CCPL_OK) return st;
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind != CCPL__OP_TAP) last = i;

    /* the plan: every buffer sized for this input shape before the first op;
       the ops' outputs alternate between two slots of the largest
       intermediate (ping-pong), the last goes to out_slot; a stretch run in
       bands counts as one op, its inner activations only ever exist as
       bands (two more slots) */
    size_t n_scratch = ccpl__net_plan_shapes(net, x, a, n_threads);
    size_t n_mid = 0, n_out, n_band = 0;
    for (int i = 0; i < last; i++)
        if (net->ops[i].kind != CCPL__OP_TAP && ccpl__tensor_numel(&a[i + 1]) > n_mid)
            n_mid = ccpl__tensor_numel(&a[i + 1]);
    if (band_above == CCPL__BAND_AUTO)
        band_above = n_mid > CCPL__BAND_FROM ? n_mid / 4 * 3 : SIZE_MAX;
    band_plan bp;
    plan_bands(net, a, last, taps != NULL, band_above, band_rows, &bp);
    if (bp.n) {
        n_mid = n_scratch = 0;
        for (int s = 0; s < bp.n; s++) {
            size_t nb, ns;
            ccpl__band_sizes(net, a, bp.first[s], bp.end[s], bp.rows[s], n_threads, &nb, &ns);
            if (nb > n_band) n_band = nb;
            if (ns > n_scratch) n_scratch = ns;
        }
        /* the ping-pong slots: every activation outside the stretches */
        for (int i = 0, s = 0; i < net->n_ops; i++) {
            if (s < bp.n && i == bp.first[s]) { /* the stretch's output */
                i = bp.end[s++] - 1;
                if (i < last && ccpl__tensor_numel(&a[i + 1]) > n_mid)
                    n_mid = ccpl__tensor_numel(&a[i + 1]);
                continue;
            }
            const size_t sc = ccpl__op_scratch_floats(net->be, &net->ops[i], a[i].h, a[i].w,
                                                      n_threads);
            if (sc > n_scratch) n_scratch = sc;
            if (i < last && net->ops[i].kind != CCPL__OP_TAP && ccpl__tensor_numel(&a[i + 1]) > n_mid)
                n_mid = ccpl__tensor_numel(&a[i + 1]);
        }
    }
    const ccpl__tensor *y = &a[net->n_ops];
    if (!ccpl__mul4_ok(&n_out, (size_t)y->n, (size_t)y->c, (size_t)y->h, (size_t)y->w))
        return ccpl__fail(err, CCPL_E_NOMEM, "activation of %d x %d x %d is too large", y->c, y->h,
                          y->w);
    float *buf[2] = {NULL, NULL}, *scratch = NULL;
    float *dst_out = ccpl__arena_get(ar, out_slot, n_out);
    if (n_mid && (!(buf[0] = ccpl__arena_get(ar, CCPL__SLOT_PING, n_mid)) ||
                  !(buf[1] = ccpl__arena_get(ar, CCPL__SLOT_PONG, n_mid))))
        dst_out = NULL;
    if (n_scratch && !(scratch = ccpl__arena_get(ar, CCPL__SLOT_SCRATCH, n_scratch))) dst_out = NULL;
    if (n_band && (!(bp.buf[0] = ccpl__arena_get(ar, CCPL__SLOT_BAND_A, n_band)) ||
                   !(bp.buf[1] = ccpl__arena_get(ar, CCPL__SLOT_BAND_B, n_band))))
        dst_out = NULL;
    if (!dst_out)
        return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for activations of a %dx%d input",
                          x->w, x->h);
    a[0].data = x->data;
    for (int i = 0, flip = 0, s = 0; i < net->n_ops; i++) {
        if (s < bp.n && i == bp.first[s]) { /* inner activations: no memory */
            const int end = bp.end[s++];
            for (int j = i + 1; j < end; j++) a[j].data = NULL;
            a[end].data = end - 1 == last ? dst_out : buf[flip];
            flip ^= 1;
            i = end - 1;
            continue;
        }
        if (net->ops[i].kind == CCPL__OP_TAP) {
            a[i + 1].data = a[i].data;
            continue;
        }
        a[i + 1].data = i == last ? dst_out : buf[flip];
        flip ^= 1;
    }
    if (last < 0) memcpy(dst_out, x->data, sizeof(float) * n_out); /* taps only */
    if ((st = execute(net, a, &bp, scratch, taps, tap_mem, n_threads, progress, err)) != CCPL_OK)
        return st;
    *out = a[net->n_ops];
    out->data = dst_out;
    return CCPL_OK;
}

ccpl_status ccpl__net_run_arena_bands(const ccpl__net *net, const ccpl__tensor *x, ccpl__arena *ar,
                                      ccpl__slot out_slot, ccpl__tensor *out, ccpl__tensor *taps,
                                      int n_threads, ccpl__progress *progress, size_t band_above,
                                      int band_rows, ccpl_error *err) {
    return run_arena(net, x, ar, out_slot, out, taps, NULL, n_threads, progress, band_above,
                     band_rows, err);
}

ccpl_status ccpl__net_run_arena_kept_taps(const ccpl__net *net, const ccpl__tensor *x,
                                          ccpl__arena *ar, ccpl__slot out_slot, ccpl__tensor *out,
                                          ccpl__tensor *taps, ccpl__buf *tap_mem, int n_threads,
                                          ccpl_error *err) {
    return run_arena(net, x, ar, out_slot, out, taps, tap_mem, n_threads, NULL, CCPL__BAND_AUTO, 0,
                     err);
}

ccpl_status ccpl__net_run_arena(const ccpl__net *net, const ccpl__tensor *x, ccpl__arena *ar,
                                ccpl__slot out_slot, ccpl__tensor *out, ccpl__tensor *taps,
                                int n_threads, ccpl__progress *progress, ccpl_error *err) {
    return ccpl__net_run_arena_bands(net, x, ar, out_slot, out, taps, n_threads, progress,
                                     CCPL__BAND_AUTO, 0, err);
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
        out->n = view.n, out->c = view.c, out->h = view.h, out->w = view.w;
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
