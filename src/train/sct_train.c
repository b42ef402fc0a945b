#include "train/sct_train.h"

#include <string.h>

#include "core/error.h"
#include "ops/covariance.h"
#include "ops/stats.h"

void ccpl__sct_trace_free(ccpl__sct_trace *tr) {
    ccpl__net_trace_free(&tr->cnet);
    ccpl__net_trace_free(&tr->snet);
    ccpl__net_trace_free(&tr->un);
}

size_t ccpl__sct_trace_allocs(const ccpl__sct_trace *tr) {
    return ccpl__net_trace_allocs(&tr->cnet) + ccpl__net_trace_allocs(&tr->snet) +
           ccpl__net_trace_allocs(&tr->un);
}

static const ccpl__tensor *last(const ccpl__net_trace *t) { return &t->a[t->n_ops]; }

/* An arena slot as an (1,c,h,w) tensor, zeroed when zero is set; data NULL
   when memory runs out. */
static ccpl__tensor slot_tensor(ccpl__arena *ar, ccpl__slot slot, int c, int h, int w, int zero) {
    const size_t n = (size_t)c * h * w; /* the shape of an existing tensor: no overflow */
    ccpl__tensor t = ccpl__tensor_view(ccpl__arena_get(ar, slot, n), 1, c, h, w);
    if (zero && t.data) memset(t.data, 0, sizeof(float) * n);
    return t;
}

ccpl_status ccpl__sct_train_forward(const ccpl__sct_nets *sct, const ccpl__tensor *fc,
                                    const ccpl__tensor *fs, ccpl__tensor *out, ccpl__sct_trace *tr,
                                    ccpl__arena *ar, int n_threads, ccpl_error *err) {
    const int C = fc->c, HW = fc->h * fc->w, HWs = fs->h * fs->w;
    ccpl_status st;
    float *stats = ccpl__arena_get(ar, CCPL__SLOT_SCT_OUT, 3 * (size_t)C);
    const ccpl__tensor c = slot_tensor(ar, CCPL__SLOT_SCT_IN, fc->c, fc->h, fc->w, 0);
    const ccpl__tensor s = slot_tensor(ar, CCPL__SLOT_SCT_MID, fs->c, fs->h, fs->w, 0);
    const ccpl__tensor g = slot_tensor(ar, CCPL__SLOT_SCT_COV, CCPL__SCT_K, fc->h, fc->w, 0);
    if (!stats || !c.data || !s.data || !g.data)
        return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for SCT's intermediates");
    float *mean = stats, *std = stats + C, *smean = stats + 2 * C;
    ccpl__sct_normalise(c.data, mean, std, fc->data, C, HW, n_threads);
    ccpl__sct_centre(s.data, smean, fs->data, C, HWs, n_threads);
    if ((st = ccpl__net_forward_trace(&sct->cnet, &c, &tr->cnet, NULL, ar, n_threads, err)) != CCPL_OK ||
        (st = ccpl__net_forward_trace(&sct->snet, &s, &tr->snet, NULL, ar, n_threads, err)) != CCPL_OK)
        return st;
    const ccpl__tensor *cp = last(&tr->cnet), *sp = last(&tr->snet);
    ccpl__cov_forward(tr->cov, sp->data, CCPL__SCT_K, sp->h * sp->w);
    ccpl__cov_apply_forward(g.data, tr->cov, cp->data, CCPL__SCT_K, HW);
    if ((st = ccpl__net_forward_trace(&sct->uncompress, &g, &tr->un, NULL, ar, n_threads, err)) != CCPL_OK)
        return st;
    const ccpl__tensor *u = last(&tr->un);
    memcpy(out->data, u->data, sizeof(float) * (size_t)C * HW);
    ccpl__sct_add_mean(out->data, smean, C, HW);
    return CCPL_OK;
}

ccpl_status ccpl__sct_train_backward(const ccpl__sct_nets *sct, const ccpl__sct_trace *tr,
                                     const ccpl__tensor *dout, const ccpl__sct_grads *gr,
                                     ccpl__arena *ar, int n_threads, ccpl_error *err) {
    const ccpl__tensor *cp = last(&tr->cnet), *sp = last(&tr->snet), *g = &tr->un.a[0];
    const int HW = cp->h * cp->w, M = sp->h * sp->w;
    float dcov[CCPL__SCT_K * CCPL__SCT_K];
    ccpl_status st;
    /* out = u + smean: smean depends only on fs (data), so du = dout */
    ccpl__tensor dg = slot_tensor(ar, CCPL__SLOT_SCT_COV, g->c, g->h, g->w, 1);
    if (!dg.data) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for SCT's gradients");
    if ((st = ccpl__net_backward(&sct->uncompress, &tr->un, dout, NULL, &dg, gr->un_w, gr->un_b, ar,
                                 n_threads, err)) != CCPL_OK)
        return st;
    /* g = cov . c' */
    const ccpl__tensor dcp = slot_tensor(ar, CCPL__SLOT_SCT_IN, cp->c, cp->h, cp->w, 1);
    if (!dcp.data) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for SCT's gradients");
    memset(dcov, 0, sizeof dcov);
    ccpl__cov_apply_backward(dcov, dcp.data, dg.data, tr->cov, cp->data, CCPL__SCT_K, HW);
    if ((st = ccpl__net_backward(&sct->cnet, &tr->cnet, &dcp, NULL, NULL, gr->cnet_w, gr->cnet_b, ar,
                                 n_threads, err)) != CCPL_OK)
        return st;
    /* cov = s' s'^T / M */
    const ccpl__tensor dsp = slot_tensor(ar, CCPL__SLOT_SCT_MID, sp->c, sp->h, sp->w, 1);
    if (!dsp.data) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for SCT's gradients");
    ccpl__cov_backward(dsp.data, dcov, sp->data, CCPL__SCT_K, M);
    return ccpl__net_backward(&sct->snet, &tr->snet, &dsp, NULL, NULL, gr->snet_w, gr->snet_b, ar,
                              n_threads, err);
}
