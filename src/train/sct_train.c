#include "train/sct_train.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "ops/covariance.h"
#include "ops/stats.h"

void ccpl__sct_trace_free(ccpl__sct_trace *tr) {
    ccpl__net_trace_free(&tr->cnet);
    ccpl__net_trace_free(&tr->snet);
    ccpl__net_trace_free(&tr->un);
}

static const ccpl__tensor *last(const ccpl__net_trace *t) { return &t->a[t->n_ops]; }

ccpl_status ccpl__sct_train_forward(const ccpl__sct_nets *sct, const ccpl__tensor *fc,
                                    const ccpl__tensor *fs, ccpl__tensor *out, ccpl__sct_trace *tr,
                                    int n_threads, ccpl_error *err) {
    const int C = fc->c, HW = fc->h * fc->w, HWs = fs->h * fs->w;
    ccpl__tensor c = {0}, s = {0}, g = {0};
    float *mean = NULL, *std = NULL, *smean = NULL;
    ccpl_status st;
    memset(tr, 0, sizeof *tr);
    memset(out, 0, sizeof *out);
    mean = malloc(sizeof(float) * (size_t)C);
    std = malloc(sizeof(float) * (size_t)C);
    smean = malloc(sizeof(float) * (size_t)C);
    if (!mean || !std || !smean) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
        goto done;
    }
    if ((st = ccpl__tensor_alloc(&c, 1, fc->c, fc->h, fc->w, err)) != CCPL_OK ||
        (st = ccpl__tensor_alloc(&s, 1, fs->c, fs->h, fs->w, err)) != CCPL_OK)
        goto done;
    ccpl__sct_normalise(c.data, mean, std, fc->data, C, HW, n_threads);
    ccpl__sct_centre(s.data, smean, fs->data, C, HWs, n_threads);
    if ((st = ccpl__net_forward_trace(&sct->cnet, &c, &tr->cnet, NULL, n_threads, err)) != CCPL_OK ||
        (st = ccpl__net_forward_trace(&sct->snet, &s, &tr->snet, NULL, n_threads, err)) != CCPL_OK)
        goto done;
    const ccpl__tensor *cp = last(&tr->cnet), *sp = last(&tr->snet);
    ccpl__cov_forward(tr->cov, sp->data, CCPL__SCT_K, sp->h * sp->w);
    if ((st = ccpl__tensor_alloc(&g, 1, CCPL__SCT_K, fc->h, fc->w, err)) != CCPL_OK) goto done;
    ccpl__cov_apply_forward(g.data, tr->cov, cp->data, CCPL__SCT_K, HW);
    if ((st = ccpl__net_forward_trace(&sct->uncompress, &g, &tr->un, NULL, n_threads, err)) != CCPL_OK)
        goto done;
    if ((st = ccpl__tensor_alloc(out, 1, C, fc->h, fc->w, err)) != CCPL_OK) goto done;
    const ccpl__tensor *u = last(&tr->un);
    memcpy(out->data, u->data, sizeof(float) * (size_t)C * HW);
    ccpl__sct_add_mean(out->data, smean, C, HW);
done:
    if (st != CCPL_OK) {
        ccpl__sct_trace_free(tr);
        ccpl__tensor_free(out);
    }
    ccpl__tensor_free(&c);
    ccpl__tensor_free(&s);
    ccpl__tensor_free(&g);
    free(mean);
    free(std);
    free(smean);
    return st;
}

ccpl_status ccpl__sct_train_backward(const ccpl__sct_nets *sct, const ccpl__sct_trace *tr,
                                     const ccpl__tensor *dout, const ccpl__sct_grads *gr,
                                     int n_threads, ccpl_error *err) {
    const ccpl__tensor *cp = last(&tr->cnet), *sp = last(&tr->snet), *g = &tr->un.a[0];
    const int HW = cp->h * cp->w, M = sp->h * sp->w;
    ccpl__tensor dg = {0}, dcp = {0}, dsp = {0};
    float dcov[CCPL__SCT_K * CCPL__SCT_K];
    ccpl_status st;
    /* out = u + smean: smean depends only on fs (data), so du = dout */
    if ((st = ccpl__tensor_alloc(&dg, 1, g->c, g->h, g->w, err)) != CCPL_OK) return st;
    memset(dg.data, 0, sizeof(float) * (size_t)g->c * HW);
    if ((st = ccpl__net_backward(&sct->uncompress, &tr->un, dout, NULL, &dg, gr->un_w, gr->un_b,
                                 n_threads, err)) != CCPL_OK)
        goto done;
    /* g = cov . c' */
    if ((st = ccpl__tensor_alloc(&dcp, 1, cp->c, cp->h, cp->w, err)) != CCPL_OK) goto done;
    memset(dcp.data, 0, sizeof(float) * (size_t)cp->c * HW);
    memset(dcov, 0, sizeof dcov);
    ccpl__cov_apply_backward(dcov, dcp.data, dg.data, tr->cov, cp->data, CCPL__SCT_K, HW);
    if ((st = ccpl__net_backward(&sct->cnet, &tr->cnet, &dcp, NULL, NULL, gr->cnet_w, gr->cnet_b,
                                 n_threads, err)) != CCPL_OK)
        goto done;
    /* cov = s' s'^T / M */
    if ((st = ccpl__tensor_alloc(&dsp, 1, sp->c, sp->h, sp->w, err)) != CCPL_OK) goto done;
    memset(dsp.data, 0, sizeof(float) * (size_t)sp->c * M);
    ccpl__cov_backward(dsp.data, dcov, sp->data, CCPL__SCT_K, M);
    st = ccpl__net_backward(&sct->snet, &tr->snet, &dsp, NULL, NULL, gr->snet_w, gr->snet_b,
                            n_threads, err);
done:
    ccpl__tensor_free(&dg);
    ccpl__tensor_free(&dcp);
    ccpl__tensor_free(&dsp);
    return st;
}
