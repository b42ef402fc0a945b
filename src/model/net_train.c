#include "model/net_train.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

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
    memset(tr, 0, sizeof *tr);
    tr->n_ops = net->n_ops;
    if ((st = ccpl__net_check(net, x->c, x->h, x->w, NULL, NULL, NULL, "input", err)) != CCPL_OK)
        return st;
    /* the plan: one buffer per op output, kept for the backward */
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
        if ((st = ccpl__tensor_alloc(t, t->n, t->c, t->h, t->w, err)) != CCPL_OK) goto fail;
    }
    memcpy(tr->a[0].data, x->data, sizeof(float) * ccpl__tensor_numel(x));
    if (ns && !(scratch = ccpl__alloc_floats(ns))) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory for convolution scratch");
        goto fail;
    }
    st = ccpl__net_execute(net, tr->a, scratch, NULL, n_threads, NULL, err);
    free(scratch);
    if (st == CCPL_OK) return CCPL_OK;
fail:
    ccpl__net_trace_free(tr);
    return st;
}

/* A zeroed tensor of a's shape. */
static ccpl_status zeros_like(ccpl__tensor *g, const ccpl__tensor *a, ccpl_error *err) {
    return ccpl__tensor_zeros(g, a->n, a->c, a->h, a->w, err);
}

/* Grows *scratch to need floats. */
static int reserve(float **scratch, size_t *have, size_t need) {
    if (need <= *have) return 1;
    free(*scratch);
    *scratch = ccpl__alloc_floats(need);
    *have = *scratch ? need : 0;
    return *scratch != NULL;
}

ccpl_status ccpl__net_backward(const ccpl__net *net, const ccpl__net_trace *tr,
                               const ccpl__tensor *dout, const ccpl__tensor *dtaps, ccpl__tensor *dx,
                               float *const *dw, float *const *db, int n_threads,
                               ccpl_error *err) {
    ccpl_status st;
    const ccpl__backend *be = net->be;
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
                if ((st = ccpl__tensor_zeros(&gpre, out->n, out->c, out->h, out->w, err)) != CCPL_OK)
                    goto done;
                CCPL__BACKEND_OP(be, relu_backward)(gpre.data, g.data, out->data,
                                                    ccpl__tensor_numel(out), n_threads);
                gconv = gpre.data;
            }
            float *gw = dw ? dw[i] : NULL, *gb = db ? db[i] : NULL;
            const ccpl__backend *bd = ccpl__backend_for(be, cv, CCPL__PASS_BACKWARD_DATA);
            const ccpl__backend *bw = ccpl__backend_for(be, cv, CCPL__PASS_BACKWARD_WEIGHTS);
            if (need_in) {
                if (!reserve(&scratch, &ns, bd->conv_scratch(cv, CCPL__PASS_BACKWARD_DATA, in->h,
                                                             in->w, n_threads)))
                    goto nomem;
                bd->conv_backward_data(cv, gin.data, gconv, in->n, in->h, in->w, scratch, n_threads);
            }
            if (gw || gb) {
                if (!reserve(&scratch, &ns, bw->conv_scratch(cv, CCPL__PASS_BACKWARD_WEIGHTS, in->h,
                                                             in->w, n_threads)))
                    goto nomem;
                bw->conv_backward_weights(cv, gw, gb, gconv, in->data, in->n, in->h, in->w, scratch,
                                          n_threads);
            }
            ccpl__tensor_free(&gpre);
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
    goto done;
nomem:
    st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory for convolution scratch");
done:
    ccpl__tensor_free(&g);
    ccpl__tensor_free(&gin);
    ccpl__tensor_free(&gpre);
    free(scratch);
    return st;
}
