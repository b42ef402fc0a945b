/* sct.c — Simple Covariance Transformation (spec §2) for inference: the
 * arithmetic of model/sct_core.h with the nets run on the model's arena. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/model.h"
#include "ops/covariance.h"
#include "ops/stats.h"

/* Style side: smean = mean(fs); s' = snet(fs - smean) (32, M); cov = s' s'^T / M. */
ccpl_status ccpl__sct_style(ccpl_model *m, const ccpl__tensor *fs, ccpl_style *s) {
    const int C = fs->c, HW = fs->h * fs->w;
    ccpl__tensor centred = {1, fs->c, fs->h, fs->w, NULL}, sp = {0};
    if (!(centred.data = ccpl__arena_get(&m->arena, CCPL__SLOT_SCT_IN, (size_t)C * HW)))
        return ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory for SCT");
    ccpl__sct_centre(centred.data, s->smean, fs->data, C, HW, m->n_threads);
    ccpl_status st = ccpl__net_run_arena(&m->snet, &centred, &m->arena, CCPL__SLOT_SCT_MID, &sp,
                                         NULL, m->n_threads, NULL, &m->err);
    if (st == CCPL_OK) ccpl__cov_forward(s->cov, sp.data, CCPL__SCT_K, sp.h * sp.w);
    return st;
}

ccpl_status ccpl__sct_apply(ccpl_model *m, const ccpl__tensor *fc, const ccpl_style *s,
                            ccpl__tensor *out) {
    const int C = fc->c, HW = fc->h * fc->w;
    ccpl__tensor norm = {1, fc->c, fc->h, fc->w, NULL}, cp = {0}, g = {1, CCPL__SCT_K, fc->h, fc->w, NULL};
    float *mean = NULL, *std = NULL;
    ccpl_status st;
    memset(out, 0, sizeof *out);

    mean = malloc(sizeof(float) * (size_t)C);
    std = malloc(sizeof(float) * (size_t)C);
    if (!mean || !std) {
        st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory");
        goto done;
    }
    /* c = (fc - mean) / std */
    if (!(norm.data = ccpl__arena_get(&m->arena, CCPL__SLOT_SCT_IN, (size_t)C * HW)) ||
        !(g.data = ccpl__arena_get(&m->arena, CCPL__SLOT_SCT_COV, (size_t)CCPL__SCT_K * HW))) {
        st = ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory for SCT");
        goto done;
    }
    ccpl__sct_normalise(norm.data, mean, std, fc->data, C, HW, m->n_threads);
    st = ccpl__net_run_arena(&m->cnet, &norm, &m->arena, CCPL__SLOT_SCT_MID, &cp, NULL,
                             m->n_threads, NULL, &m->err);
    if (st != CCPL_OK) goto done;
    /* g = cov . c' (32, HW) */
    ccpl__cov_apply_forward(g.data, s->cov, cp.data, CCPL__SCT_K, HW);
    /* out = uncompress(g) + smean */
    ccpl__net un = {.n_ops = 1};
    un.ops[0].kind = CCPL__OP_CONV;
    un.ops[0].conv = m->uncompress;
    st = ccpl__net_run_arena(&un, &g, &m->arena, CCPL__SLOT_SCT_OUT, out, NULL, m->n_threads,
                             NULL, &m->err);
    if (st != CCPL_OK) goto done;
    ccpl__sct_add_mean(out->data, s->smean, C, HW);
done:
    free(mean);
    free(std);
    return st;
}

