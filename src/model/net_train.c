#include "model/net_train.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "ops/conv2d.h"
#include "ops/conv2d_winograd_backward.h"
#include "ops/pool.h"
#include "ops/relu.h"
#include "ops/upsample.h"

void ccpl__net_trace_free(ccpl__net_trace *tr) {
    for (int i = 0; i <= tr->n_ops && i <= CCPL__NET_MAX_OPS; i++)
        if (!tr->shared[i]) ccpl__tensor_free(&tr->a[i]);
    memset(tr, 0, sizeof *tr);
}


ccpl_status ccpl__net_forward_trace(const ccpl__net *net, const ccpl__tensor *x,
                                    ccpl__net_trace *tr, const ccpl__tensor **taps, int n_threads,
                                    ccpl_error *err) {
    ccpl_status st;
    float *scratch = NULL;
    size_t ns = 0;
    int n_taps = 0;
    memset(tr, 0, sizeof *tr);
    tr->n_ops = net->n_ops;
    if ((st = ccpl__net_check(net, x->c, x->h, x->w, NULL, NULL, NULL, "input", err)) != CCPL_OK)
        return st;
    if ((st = ccpl__tensor_alloc(&tr->a[0], 1, x->c, x->h, x->w, err)) != CCPL_OK) return st;
    memcpy(tr->a[0].data, x->data, sizeof(float) * ccpl__tensor_numel(x));

    for (int i = 0; i < net->n_ops; i++) {
        const ccpl__op *op = &net->ops[i];
        const ccpl__tensor *in = &tr->a[i];
        ccpl__tensor *out = &tr->a[i + 1];
        if (op->kind == CCPL__OP_TAP) { /* the output is the input, shared */
            *out = *in;
            tr->shared[i + 1] = 1;
            if (taps) taps[n_taps] = in;
            n_taps++;
            continue;
        }
        const size_t need = ccpl__op_scratch_floats(op, in->h, in->w, n_threads);
        if (need > ns) {
            free(scratch);
            if (!(scratch = ccpl__alloc_floats(need))) {
                st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory for convolution scratch");
                goto fail;
            }
            ns = need;
        }
        int c = in->c, h = in->h, w = in->w;
        ccpl__op_out_shape(op, &c, &h, &w);
        if ((st = ccpl__tensor_alloc(out, 1, c, h, w, err)) != CCPL_OK) goto fail;
        ccpl__op_forward(op, out->data, in->data, in->c, in->h, in->w, scratch, n_threads);
    }
    free(scratch);
    return CCPL_OK;
fail:
    free(scratch);
    ccpl__net_trace_free(tr);
    return st;
}

/* A zeroed activation of a's shape. */
static ccpl_status zeros_like(ccpl__tensor *g, const ccpl__tensor *a, ccpl_error *err) {
    ccpl_status st = ccpl__tensor_alloc(g, 1, a->c, a->h, a->w, err);
    if (st == CCPL_OK) memset(g->data, 0, sizeof(float) * ccpl__tensor_numel(a));
    return st;
}

ccpl_status ccpl__net_backward(const ccpl__net *net, const ccpl__net_trace *tr,
                               const ccpl__tensor *dout, const ccpl__tensor *dtaps, ccpl__tensor *dx,
                               float *const *dw, float *const *db, int n_threads,
                               ccpl_error *err) {
    ccpl_status st;
    ccpl__tensor g = {0}, gin = {0}, gpre = {0};
    float *scratch = NULL;
    size_t ns = 0;
    int tap = 0;
    for (int i = 0; i < net->n_ops; i++) tap += net->ops[i].kind == CCPL__OP_TAP;

    /* g: gradient of the current activation, starting at the output */
    if ((st = zeros_like(&g, &tr->a[net->n_ops], err)) != CCPL_OK) return st;
    if (dout) {
        const size_t n = ccpl__tensor_numel(&g);
        for (size_t k = 0; k < n; k++) g.data[k] = dout->data[k];
    }
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
        /* the input gradient is needed unless this is the first op and dx is NULL */
        const int need_in = i > 0 || dx != NULL;
        if (need_in && (st = zeros_like(&gin, in, err)) != CCPL_OK) goto done;
        switch (op->kind) {
        case CCPL__OP_CONV: {
            const ccpl__conv *cv = &op->conv;
            const float *gconv = g.data;
            if (cv->relu) { /* through the fused ReLU first */
                if ((st = zeros_like(&gpre, out, err)) != CCPL_OK) goto done;
                ccpl__relu_backward(gpre.data, g.data, out->data, ccpl__tensor_numel(out));
                gconv = gpre.data;
            }
            const int fast_in = need_in && cv->wino_t; /* the input gradient on Winograd */
            size_t need = ccpl__conv2d_backward_scratch_floats(cv->cin, in->h, in->w, cv->k, cv->pad);
            if (fast_in) {
                const size_t nw = ccpl__winograd_backward_data_scratch_floats(cv->cin, cv->cout, in->h,
                                                                           in->w, n_threads);
                if (nw > need) need = nw;
            }
            if (need > ns) {
                free(scratch);
                if (!(scratch = ccpl__alloc_floats(need))) {
                    st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory for convolution scratch");
                    goto done;
                }
                ns = need;
            }
            float *gw = dw ? dw[i] : NULL, *gb = db ? db[i] : NULL;
            const ccpl__pad_mode pm = cv->pad ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO;
            if (fast_in)
                ccpl__winograd_backward_data(gin.data, gconv, cv->wino_t, in->c, in->h, in->w,
                                             cv->cout, pm, scratch, n_threads);
            if ((need_in && !fast_in) || gw || gb)
                ccpl__conv2d_backward(need_in && !fast_in ? gin.data : NULL, gw, gb, gconv, in->data,
                                      cv->w, 1, in->c, in->h, in->w, cv->cout, cv->k, cv->pad, pm,
                                      scratch, n_threads);
            ccpl__tensor_free(&gpre);
            break;
        }
        case CCPL__OP_POOL:
            if (need_in)
                ccpl__maxpool2_backward(gin.data, g.data, in->data, 1, in->c, in->h, in->w, n_threads);
            break;
        case CCPL__OP_UPSAMPLE:
            if (need_in) ccpl__upsample2_backward(gin.data, g.data, 1, in->c, in->h, in->w, n_threads);
            break;
        case CCPL__OP_TAP: break;
        }
        ccpl__tensor_free(&g);
        g = gin;
        memset(&gin, 0, sizeof gin);
        if (!need_in) break;
    }
    if (dx && g.data) {
        const size_t n = ccpl__tensor_numel(dx);
        for (size_t k = 0; k < n; k++) dx->data[k] += g.data[k];
    }
    st = CCPL_OK;
done:
    ccpl__tensor_free(&g);
    ccpl__tensor_free(&gin);
    ccpl__tensor_free(&gpre);
    free(scratch);
    return st;
}
