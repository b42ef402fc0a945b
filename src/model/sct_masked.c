/* sct_masked.c — spatially controlled SCT (issue 16; equations in
 * docs/MASKS.md, beside spec §2): per-region styles blended by soft masks,
 * and per-label SCT statistics (semantic region matching). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/model.h"
#include "ops/covariance.h"
#include "ops/stats.h"

#define K CCPL__SCT_K

void ccpl__labels_nearest(unsigned char *out, int h, int w, const unsigned char *in, int lh, int lw) {
    /* centre sampling: the label under the centre of each output cell, in
       integer arithmetic so that the reference computes the same indices */
    for (int y = 0; y < h; y++) {
        const long long sy = ((2LL * y + 1) * lh) / (2LL * h);
        for (int x = 0; x < w; x++) {
            const long long sx = ((2LL * x + 1) * lw) / (2LL * w);
            out[(size_t)y * w + x] = in[(size_t)sy * lw + sx];
        }
    }
}

/* Weights of input cells [j0, j0+n) for output cell i of a resize n_in ->
 * n_out by area: the overlap of [i, i+1) * n_in / n_out with each input
 * cell, divided by the output cell's length. */
static int area_weights(int i, int n_in, int n_out, double *wt, int *j0) {
    const double a = (double)i * n_in / n_out, b = (double)(i + 1) * n_in / n_out;
    int lo = (int)floor(a), hi = (int)ceil(b);
    if (hi > n_in) hi = n_in;
    if (lo >= hi) lo = hi - 1;
    for (int j = lo; j < hi; j++) {
        const double ov = fmin(b, j + 1.0) - fmax(a, (double)j);
        wt[j - lo] = ov > 0 ? ov / (b - a) : 0.0;
    }
    *j0 = lo;
    return hi - lo;
}

ccpl_status ccpl__mask_area_resize(float *out, int h, int w, const float *in, int mh, int mw) {
    /* separable: rows of the mask to w columns (double), then to h rows */
    double *tmp = malloc(sizeof(double) * (size_t)mh * w);
    double *wt = malloc(sizeof(double) * (size_t)((mh > mw ? mh : mw) + 2));
    if (!tmp || !wt) {
        free(tmp);
        free(wt);
        return CCPL_E_NOMEM;
    }
    for (int x = 0; x < w; x++) {
        int j0, n = area_weights(x, mw, w, wt, &j0);
        for (int y = 0; y < mh; y++) {
            double acc = 0;
            for (int j = 0; j < n; j++) acc += wt[j] * in[(size_t)y * mw + j0 + j];
            tmp[(size_t)y * w + x] = acc;
        }
    }
    for (int y = 0; y < h; y++) {
        int j0, n = area_weights(y, mh, h, wt, &j0);
        for (int x = 0; x < w; x++) {
            double acc = 0;
            for (int j = 0; j < n; j++) acc += wt[j] * tmp[(size_t)(j0 + j) * w + x];
            out[(size_t)y * w + x] = (float)acc;
        }
    }
    free(tmp);
    free(wt);
    return CCPL_OK;
}

/* ---- style side ---- */

ccpl_status ccpl__sct_style_labels(ccpl_model *m, const ccpl__tensor *fs, const unsigned char *lab,
                                   ccpl_style *s) {
    const int C = fs->c, Hs = fs->h, Ws = fs->w, HW = Hs * Ws;
    int oh, ow;
    long cnt[256] = {0}, cnt_fs[256] = {0};
    ccpl_status st = ccpl__net_check(&m->snet, C, Hs, Ws, NULL, &oh, &ow, "style image", &m->err);
    if (st != CCPL_OK) return st;
    /* snet's unpadded convolutions shrink by 2r: s' position (y, x) is the
       window centred on fs position (y + r, x + r), whose label it takes */
    const int r = (Hs - oh) / 2, M = oh * ow;
    for (int i = 0; i < HW; i++) cnt_fs[lab[i]]++;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) cnt[lab[(size_t)(y + r) * Ws + x + r]]++;
    s->has_labels = 1;
    s->n_lab = 0;
    for (int l = 0; l < 256; l++) {
        s->label_slot[l] = -1;
        if (l != CCPL_LABEL_NONE && cnt[l] >= CCPL_LABEL_MIN_POSITIONS) s->label_slot[l] = (short)s->n_lab++;
    }
    if (s->n_lab == 0) return CCPL_OK;
    float *sel = NULL;
    if (!(s->lab_cov = malloc(sizeof(float) * (size_t)s->n_lab * K * K)) ||
        !(s->lab_mean = malloc(sizeof(float) * (size_t)s->n_lab * C)) ||
        !(sel = malloc(sizeof(float) * (size_t)K * M))) {
        free(sel);
        return ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory for per-label style statistics");
    }
    ccpl__tensor centred = {1, C, Hs, Ws, NULL}, sp = {0};
    for (int l = 0; l < 256 && st == CCPL_OK; l++) {
        const int k = s->label_slot[l];
        if (k < 0) continue;
        float *mean = s->lab_mean + (size_t)k * C;
        /* the label's mean over its fs positions (spec §2 step 2 per label) */
        for (int c = 0; c < C; c++) {
            const float *src = fs->data + (size_t)c * HW;
            double a = 0;
            for (int i = 0; i < HW; i++)
                if (lab[i] == l) a += src[i];
            mean[c] = (float)(a / (double)cnt_fs[l]);
        }
        if (!(centred.data = ccpl__arena_get(&m->arena, CCPL__SLOT_SCT_IN, (size_t)C * HW))) {
            st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory for SCT");
            break;
        }
        for (int c = 0; c < C; c++) {
            const float *src = fs->data + (size_t)c * HW;
            float *dst = centred.data + (size_t)c * HW;
            for (int i = 0; i < HW; i++) dst[i] = src[i] - mean[c];
        }
        st = ccpl__net_run_arena(&m->snet, &centred, &m->arena, CCPL__SLOT_SCT_MID, &sp, NULL,
                                 m->n_threads, NULL, &m->err);
        if (st != CCPL_OK) break;
        /* cov over the label's s' positions only, divided by their count */
        int n = 0;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                if (lab[(size_t)(y + r) * Ws + x + r] == l) {
                    for (int c = 0; c < K; c++) sel[(size_t)c * cnt[l] + n] = sp.data[(size_t)c * M + (size_t)y * ow + x];
                    n++;
                }
        ccpl__cov_forward(s->lab_cov + (size_t)k * K * K, sel, K, n);
    }
    free(sel);
    return st;
}

/* ---- content side ---- */

ccpl_status ccpl__sct_apply_labels(ccpl_model *m, const ccpl__tensor *fc, const unsigned char *lab,
                                   const ccpl_style *s, ccpl__tensor *out) {
    const int C = fc->c, HW = fc->h * fc->w;
    long cnt[256] = {0};
    int group[256]; /* label -> index of its own statistics, -1: whole image */
    int n_grp = 0;
    ccpl__tensor norm = {1, C, fc->h, fc->w, NULL}, cp = {0}, g = {1, K, fc->h, fc->w, NULL};
    ccpl_status st = CCPL_OK;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < HW; i++) cnt[lab[i]]++;
    for (int l = 0; l < 256; l++) {
        group[l] = -1;
        if (l != CCPL_LABEL_NONE && cnt[l] >= CCPL_LABEL_MIN_POSITIONS && s->label_slot[l] >= 0)
            group[l] = n_grp++;
    }
    /* statistics per group: [0] the whole image, then one per used label */
    float *mean = malloc(sizeof(float) * (size_t)(n_grp + 1) * C);
    float *std = malloc(sizeof(float) * (size_t)(n_grp + 1) * C);
    if (!mean || !std) {
        st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory");
        goto done;
    }
    if (!(norm.data = ccpl__arena_get(&m->arena, CCPL__SLOT_SCT_IN, (size_t)C * HW)) ||
        !(g.data = ccpl__arena_get(&m->arena, CCPL__SLOT_SCT_COV, (size_t)K * HW))) {
        st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory for SCT");
        goto done;
    }
    ccpl__mean_std_forward(mean, std, fc->data, 1, C, HW, m->n_threads);
    for (int l = 0; l < 256; l++) {
        if (group[l] < 0) continue;
        float *mu = mean + (size_t)(group[l] + 1) * C, *sd = std + (size_t)(group[l] + 1) * C;
        for (int c = 0; c < C; c++) {
            const float *src = fc->data + (size_t)c * HW;
            double a = 0, v = 0;
            for (int i = 0; i < HW; i++)
                if (lab[i] == l) a += src[i];
            const double mu_d = a / (double)cnt[l];
            for (int i = 0; i < HW; i++)
                if (lab[i] == l) v += (src[i] - mu_d) * (src[i] - mu_d);
            mu[c] = (float)mu_d;
            sd[c] = (float)sqrt(v / (double)(cnt[l] - 1) + CCPL__STD_EPS);
        }
    }
    /* c = (fc - mean_g) / std_g with each position's group */
    for (int c = 0; c < C; c++) {
        const float *src = fc->data + (size_t)c * HW;
        float *dst = norm.data + (size_t)c * HW;
        for (int i = 0; i < HW; i++) {
            const size_t gi = (size_t)(group[lab[i]] + 1) * C + c;
            dst[i] = (src[i] - mean[gi]) / std[gi];
        }
    }
    st = ccpl__net_run_arena(&m->cnet, &norm, &m->arena, CCPL__SLOT_SCT_MID, &cp, NULL,
                             m->n_threads, NULL, &m->err);
    if (st != CCPL_OK) goto done;
    /* g(p) = cov_g(p) c'(p): the style's covariance of the same label */
    for (int i = 0; i < HW; i++) {
        const int sl = group[lab[i]] < 0 ? -1 : s->label_slot[lab[i]];
        const float *cov = sl < 0 ? s->cov : s->lab_cov + (size_t)sl * K * K;
        for (int a = 0; a < K; a++) {
            float acc = 0;
            for (int b = 0; b < K; b++) acc += cov[a * K + b] * cp.data[(size_t)b * HW + i];
            g.data[(size_t)a * HW + i] = acc;
        }
    }
    ccpl__net un = {.n_ops = 1};
    un.ops[0].kind = CCPL__OP_CONV;
    un.ops[0].conv = m->uncompress;
    st = ccpl__net_run_arena(&un, &g, &m->arena, CCPL__SLOT_SCT_OUT, out, NULL, m->n_threads,
                             NULL, &m->err);
    if (st != CCPL_OK) goto done;
    /* + the style mean of the same label */
    for (int i = 0; i < HW; i++) {
        const int sl = group[lab[i]] < 0 ? -1 : s->label_slot[lab[i]];
        const float *sm = sl < 0 ? s->smean : s->lab_mean + (size_t)sl * C;
        for (int c = 0; c < C; c++) out->data[(size_t)c * HW + i] += sm[c];
    }
done:
    free(mean);
    free(std);
    return st;
}

/* ---- validation and the mix ---- */

static int aspect_ok(int w, int h, int iw, int ih) {
    const double r = ((double)w / h) / ((double)iw / ih);
    return fabs(r - 1.0) <= CCPL_MASK_MAX_ASPECT_DIFF + 1e-12;
}

ccpl_status ccpl__spatial_check(ccpl_model *m, int cw, int ch, ccpl_style *const *styles,
                                const float *weights, int n_styles, const ccpl_spatial *sp) {
    if (sp->masks) {
        if (weights)
            return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                              "style weights cannot be combined with masks (the masks weight the styles)");
        for (int i = 0; i < n_styles; i++) {
            const ccpl_mask *k = &sp->masks[i];
            if (!k->data || k->width <= 0 || k->height <= 0)
                return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "mask %d is empty", i + 1);
            if (!aspect_ok(k->width, k->height, cw, ch))
                return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                                  "mask %d is %dx%d, its aspect differs from the %dx%d content's by more than %.0f %%",
                                  i + 1, k->width, k->height, cw, ch, 100 * CCPL_MASK_MAX_ASPECT_DIFF);
            const size_t n = (size_t)k->width * k->height;
            for (size_t j = 0; j < n; j++)
                if (!(k->data[j] >= 0.0f && k->data[j] <= 1.0f))
                    return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                                      "mask %d has a value outside [0,1] (%g at %zu)", i + 1, k->data[j], j);
        }
    }
    if (sp->content_labels) {
        const ccpl_labels *l = sp->content_labels;
        if (!l->data || l->width <= 0 || l->height <= 0)
            return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "the content label map is empty");
        if (!aspect_ok(l->width, l->height, cw, ch))
            return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                              "the content label map is %dx%d, its aspect differs from the %dx%d content's by more than %.0f %%",
                              l->width, l->height, cw, ch, 100 * CCPL_MASK_MAX_ASPECT_DIFF);
        for (int i = 0; i < n_styles; i++)
            if (!styles[i]->has_labels)
                return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                                  "style %d was made without a label map, but content labels were given", i + 1);
    }
    return CCPL_OK;
}

ccpl_status ccpl__sct_spatial(ccpl_model *m, const ccpl__tensor *fc, ccpl_style *const *styles,
                              const float *weights, int n_styles, const ccpl_spatial *sp,
                              ccpl__tensor *acc) {
    const int C = fc->c, H = fc->h, W = fc->w, HW = H * W;
    const size_t n = (size_t)C * HW;
    unsigned char *lab = NULL;
    float *mk = NULL, *cover = NULL;
    ccpl_status st = CCPL_OK;
    ccpl__tensor g = {0};
    memset(acc, 0, sizeof *acc);
    if (sp->content_labels) {
        const ccpl_labels *l = sp->content_labels;
        if (!(lab = malloc((size_t)HW))) return ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory");
        ccpl__labels_nearest(lab, H, W, l->data, l->height, l->width);
    }
    if (sp->masks) {
        /* every mask at the feature grid, and their sum (the coverage) */
        if (!(mk = malloc(sizeof(float) * (size_t)n_styles * HW)) || !(cover = calloc((size_t)HW, sizeof(float)))) {
            st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory for masks");
            goto done;
        }
        for (int i = 0; i < n_styles; i++) {
            float *mi = mk + (size_t)i * HW;
            if (ccpl__mask_area_resize(mi, H, W, sp->masks[i].data, sp->masks[i].height, sp->masks[i].width) != CCPL_OK) {
                st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory for masks");
                goto done;
            }
            for (int p = 0; p < HW; p++) cover[p] += mi[p];
        }
    }
    double wsum = 0;
    for (int i = 0; i < n_styles; i++) wsum += weights ? weights[i] : 1.0f;
    for (int i = 0; i < n_styles; i++) {
        st = lab ? ccpl__sct_apply_labels(m, fc, lab, styles[i], &g) : ccpl__sct_apply(m, fc, styles[i], &g);
        if (st != CCPL_OK) goto done;
        if (n_styles == 1 && !mk) {
            *acc = g;
            break;
        }
        if (i == 0) {
            *acc = g;
            if (!(acc->data = ccpl__arena_get(&m->arena, CCPL__SLOT_MIX, n))) {
                st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory mixing styles");
                goto done;
            }
        }
        if (mk) {
            /* m_i / max(S, 1): overlapping masks normalised; for one all-ones
               mask this is g * 1 / 1, the unmasked result bit for bit */
            const float *mi = mk + (size_t)i * HW;
            for (int c = 0; c < C; c++)
                for (int p = 0; p < HW; p++) {
                    const size_t k = (size_t)c * HW + p;
                    const float v = g.data[k] * mi[p] / (cover[p] > 1.0f ? cover[p] : 1.0f);
                    acc->data[k] = i == 0 ? v : acc->data[k] + v;
                }
        } else {
            const float w = (float)((weights ? weights[i] : 1.0f) / wsum);
            for (size_t k = 0; k < n; k++) acc->data[k] = i == 0 ? w * g.data[k] : acc->data[k] + w * g.data[k];
        }
    }
    if (mk) {
        /* where the masks cover less than 1: the content's own features */
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++)
                if (cover[p] < 1.0f) {
                    const size_t k = (size_t)c * HW + p;
                    acc->data[k] += (1.0f - cover[p]) * fc->data[k];
                }
    }
done:
    free(lab);
    free(mk);
    free(cover);
    return st;
}
