#include "model/net_train.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

void ccpl__net_trace_free(ccpl__net_trace *tr) {
    for (int i = 0; i <= CCPL__NET_MAX_OPS; i++) ccpl__buf_release(&tr->mem[i]);
    memset(tr, 0, sizeof *tr);
}

size_t ccpl__net_trace_allocs(const ccpl__net_trace *tr) {
    size_t n = 0;
    for (int i = 0; i <= CCPL__NET_MAX_OPS; i++) n += tr->mem[i].allocs;
    return n;
}

ccpl_status ccpl__net_forward_trace(const ccpl__net *net, const ccpl__tensor *x,
                                    ccpl__net_trace *tr, const ccpl__tensor **taps,
                                    ccpl__arena *ar, int n_threads, ccpl_error *err) {
    ccpl_status st;
    float *scratch = NULL;
    tr->n_ops = net->n_ops;
    memset(tr->shared, 0, sizeof tr->shared);
    if ((st = ccpl__net_check(net, x->c, x->h, x->w, NULL, NULL, NULL, "input", err)) != CCPL_OK)
        return st;
    /* the plan: one kept buffer per op output, for the backward */
    const size_t ns = ccpl__net_plan_shapes(net, x, tr->a, n_threads);
    for (int i = 0, n_taps = 0; i <= net->n_ops; i++) {
        ccpl__tensor *t = &tr->a[i];
        if (i > 0 && net->ops[i - 1].kind == CCPL__OP_TAP) { /* the output is the input, shared */
            t->data = tr->a[i - 1].data;
            tr->shared[i] = 1;
            if (taps) taps[n_taps] = &tr->a[i - 1];
            n_taps++;
            continue;
        }
        const ccpl__tensor shape = *t;
        if ((st = ccpl__buf_tensor(&tr->mem[i], t, shape.n, shape.c, shape.h, shape.w, 0, err)) !=
            CCPL_OK)
            return st;
    }
    memcpy(tr->a[0].data, x->data, sizeof(float) * ccpl__tensor_numel(x));
    if (ns && !(scratch = ar ? ccpl__arena_get(ar, CCPL__SLOT_SCRATCH, ns) : ccpl__alloc_floats(ns)))
        return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for convolution scratch");
    st = ccpl__net_execute(net, tr->a, scratch, NULL, n_threads, NULL, err);
    if (!ar) free(scratch);
    return st;
}

ccpl_status ccpl__net_backward(const ccpl__net *net, const ccpl__net_trace *tr,
                               const ccpl__tensor *dout, const ccpl__tensor *dtaps, ccpl__tensor *dx,
                               float *const *dw, float *const *db, ccpl__arena *ar, int n_threads,
                               ccpl_error *err) {
    ccpl_status st = CCPL_OK;
    const ccpl__backend *be = net->be;
    ccpl__arena local;
    memset(&local, 0, sizeof local);
    if (!ar) ar = &local;
    int tap = 0;
    for (int i = 0; i < net->n_ops; i++) tap += net->ops[i].kind == CCPL__OP_TAP;

    /* the plan: the gradients alternate between two buffers of the largest
       activation the walk visits, the gradient before a fused ReLU and the
       convolution scratch get the largest each op needs (the input
       gradient is needed unless it is the first op's and dx is NULL) */
    size_t n_g = ccpl__tensor_numel(&tr->a[net->n_ops]), n_pre = 0, n_scr = 0;
    for (int i = net->n_ops - 1; i >= 0; i--) {
        const ccpl__op *op = &net->ops[i];
        const ccpl__tensor *in = &tr->a[i], *out = &tr->a[i + 1];
        if (op->kind == CCPL__OP_TAP) continue;
        const int need_in = i > 0 || dx != NULL;
        if (need_in && ccpl__tensor_numel(in) > n_g) n_g = ccpl__tensor_numel(in);
        if (op->kind == CCPL__OP_CONV) {
            const ccpl__conv *cv = &op->conv;
            size_t s;
            if (cv->relu && ccpl__tensor_numel(out) > n_pre) n_pre = ccpl__tensor_numel(out);
            if (need_in &&
                (s = ccpl__backend_for(be, cv, CCPL__PASS_BACKWARD_DATA)
                         ->conv_scratch(cv, CCPL__PASS_BACKWARD_DATA, in->h, in->w, n_threads)) > n_scr)
                n_scr = s;
            if (((dw && dw[i]) || (db && db[i])) &&
                (s = ccpl__backend_for(be, cv, CCPL__PASS_BACKWARD_WEIGHTS)
                         ->conv_scratch(cv, CCPL__PASS_BACKWARD_WEIGHTS, in->h, in->w, n_threads)) > n_scr)
                n_scr = s;
        }
        if (!need_in) break;
    }
    float *gbuf[2], *pre = NULL, *scratch = NULL;
    if (!(gbuf[0] = ccpl__arena_get(ar, CCPL__SLOT_PING, n_g)) ||
        !(gbuf[1] = ccpl__arena_get(ar, CCPL__SLOT_PONG, n_g)) ||
        (n_pre && !(pre = ccpl__arena_get(ar, CCPL__SLOT_GRAD_PRE, n_pre))) ||
        (n_scr && !(scratch = ccpl__arena_get(ar, CCPL__SLOT_SCRATCH, n_scr)))) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the backward pass's gradients");
        goto done;
    }

    /* g: gradient of the current activation, starting at the output */
    const ccpl__tensor *y = &tr->a[net->n_ops];
    int cur = 0;
    ccpl__tensor g = ccpl__tensor_view(gbuf[cur], y->n, y->c, y->h, y->w);
    if (dout) memcpy(g.data, dout->data, sizeof(float) * ccpl__tensor_numel(&g));
    else memset(g.data, 0, sizeof(float) * ccpl__tensor_numel(&g));
    for (int i = net->n_ops - 1; i >= 0; i--) {
        const ccpl__op *op = &net->ops[i];
        const ccpl__tensor *in = &tr->a[i], *out = &tr->a[i + 1];
        if (op->kind == CCPL__OP_TAP) {
            tap--;
            if (dtaps && dtaps[tap].data) {
                const size_t n = ccpl__tensor_numel(&g);
                for (size_t k = 0; k < n; k++) g.data[k] += dtaps[tap].data[k];
            }
            continue;
        }
        const int need_in = i > 0 || dx != NULL;
        ccpl__tensor gin = {0, 0, 0, 0, NULL};
        if (need_in) {
            gin = ccpl__tensor_view(gbuf[cur ^ 1], in->n, in->c, in->h, in->w);
            memset(gin.data, 0, sizeof(float) * ccpl__tensor_numel(&gin));
        }
        switch (op->kind) {
        case CCPL__OP_CONV: {
            const ccpl__conv *cv = &op->conv;
            const float *gconv = g.data;
            if (cv->relu) { /* through the fused ReLU first */
                memset(pre, 0, sizeof(float) * ccpl__tensor_numel(out));
                CCPL__BACKEND_OP(be, relu_backward)(pre, g.data, out->data, ccpl__tensor_numel(out),
                                                    n_threads);
                gconv = pre;
            }
            float *gw = dw ? dw[i] : NULL, *gb = db ? db[i] : NULL;
            if (need_in)
                ccpl__backend_for(be, cv, CCPL__PASS_BACKWARD_DATA)
                    ->conv_backward_data(cv, gin.data, gconv, in->n, in->h, in->w, scratch, n_threads);
            if (gw || gb)
                ccpl__backend_for(be, cv, CCPL__PASS_BACKWARD_WEIGHTS)
                    ->conv_backward_weights(cv, gw, gb, gconv, in->data, in->n, in->h, in->w, scratch,
                                            n_threads);
            break;
        }
        case CCPL__OP_POOL:
            if (need_in)
                CCPL__BACKEND_OP(be, pool_backward)(gin.data, g.data, in->data, in->n, in->c, in->h,
                                                    in->w, n_threads);
            break;
        case CCPL__OP_UPSAMPLE:
            if (need_in)
                CCPL__BACKEND_OP(be, upsample_backward)(gin.data, g.data, in->n, in->c, in->h, in->w,
                                                        n_threads);
            break;
        case CCPL__OP_TAP: break;
        }
        g = gin;
        cur ^= 1;
        if (!need_in) break;
    }
    if (dx && g.data) {
        const size_t n = ccpl__tensor_numel(dx);
        for (size_t k = 0; k < n; k++) dx->data[k] += g.data[k];
    }
done:
    ccpl__arena_release(&local);
    return st;
}
