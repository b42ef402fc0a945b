#include "train/step.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ops/stats.h"


/* One sample: forward through SCT, decoder and encoder with traces, the three
 * losses, and the backward into g. Each loss's gradient is scaled by its
 * weight / N so that the sums over samples are the batch means' gradients. */
static ccpl_status sample_step(const ccpl__train_model *m, const ccpl__tensor *content,
                               const ccpl__tensor *style, int N, const int *const *anchors,
                               const ccpl__loss_config *cfg, const ccpl__train_grads *g,
                               ccpl__losses *acc, int nt, ccpl_error *err) {
    const int T = m->n_taps;
    ccpl__tensor fc[CCPL__MAX_TAPS] = {{0}}, fs[CCPL__MAX_TAPS] = {{0}}, last_c = {0}, last_s = {0};
    ccpl__tensor t = {0}, dt = {0}, dimg = {0}, dG[CCPL__MAX_TAPS] = {{0}};
    ccpl__sct_trace st_tr;
    ccpl__net_trace dec_tr, enc_tr;
    const ccpl__tensor *G[CCPL__MAX_TAPS];
    float *smean = NULL, *sstd = NULL;
    ccpl_status st;
    memset(&st_tr, 0, sizeof st_tr);
    memset(&dec_tr, 0, sizeof dec_tr);
    memset(&enc_tr, 0, sizeof enc_tr);

    /* encoder features of the content and the style (frozen, no backward:
     * plain runs, on the fast engine when the trainer prepared one) */
    const ccpl__net *enc_nb = m->enc_frozen ? m->enc_frozen : &m->enc;
    if ((st = ccpl__net_run(enc_nb, content, &last_c, fc, nt, NULL, err)) != CCPL_OK ||
        (st = ccpl__net_run(enc_nb, style, &last_s, fs, nt, NULL, err)) != CCPL_OK)
        goto done;
    /* generated image and its features */
    if ((st = ccpl__sct_train_forward(&m->sct, &fc[T - 1], &fs[T - 1], &t, &st_tr, nt, err)) != CCPL_OK ||
        (st = ccpl__net_forward_trace(&m->dec, &t, &dec_tr, NULL, nt, err)) != CCPL_OK ||
        (st = ccpl__net_forward_trace(enc_nb, &dec_tr.a[dec_tr.n_ops], &enc_tr, G, nt, err)) != CCPL_OK)
        goto done;
    for (int l = 0; l < T; l++) {
        if ((st = ccpl__tensor_alloc(&dG[l], 1, G[l]->c, G[l]->h, G[l]->w, err)) != CCPL_OK) goto done;
        memset(dG[l].data, 0, sizeof(float) * ccpl__tensor_numel(G[l]));
    }

    /* content loss at the last tap, against the content's features */
    acc->content += ccpl__content_loss(dG[T - 1].data, G[T - 1]->data, fc[T - 1].data,
                                       ccpl__tensor_numel(G[T - 1]), cfg->content_weight / N) / N;
    /* style loss over all taps */
    for (int l = 0; l < T; l++) {
        const int C = fs[l].c, HWs = fs[l].h * fs[l].w;
        free(smean), free(sstd);
        smean = malloc(sizeof(float) * (size_t)C), sstd = malloc(sizeof(float) * (size_t)C);
        if (!smean || !sstd) {
            st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
            goto done;
        }
        ccpl__mean_std_forward(smean, sstd, fs[l].data, 1, C, HWs, nt);
        double ls = ccpl__style_loss(dG[l].data, G[l]->data, smean, sstd, C, G[l]->h * G[l]->w,
                                     cfg->style_weight / N, nt);
        if (ls < 0) {
            st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
            goto done;
        }
        acc->style += ls / N;
    }
    /* CCPL on the last num_l taps */
    for (int l = T - cfg->num_l; l < T; l++) {
        double lc = ccpl__ccp_loss(dG[l].data, &g->mlp[l], &m->mlp[l], G[l]->data, fc[l].data,
                                   G[l]->h, G[l]->w, anchors[l], cfg->num_s, cfg->tau,
                                   cfg->ccp_weight / N);
        if (lc < 0) {
            st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
            goto done;
        }
        acc->ccp += lc / N;
    }

    /* backward: frozen encoder -> image -> decoder -> SCT */
    const ccpl__tensor *img = &dec_tr.a[dec_tr.n_ops];
    if ((st = ccpl__tensor_alloc(&dimg, 1, img->c, img->h, img->w, err)) != CCPL_OK ||
        (st = ccpl__tensor_alloc(&dt, 1, t.c, t.h, t.w, err)) != CCPL_OK)
        goto done;
    memset(dimg.data, 0, sizeof(float) * ccpl__tensor_numel(img));
    memset(dt.data, 0, sizeof(float) * ccpl__tensor_numel(&t));
    if ((st = ccpl__net_backward(enc_nb, &enc_tr, NULL, dG, &dimg, NULL, NULL, nt, err)) != CCPL_OK ||
        (st = ccpl__net_backward(&m->dec, &dec_tr, &dimg, NULL, &dt, g->dec_w, g->dec_b, nt, err)) != CCPL_OK ||
        (st = ccpl__sct_train_backward(&m->sct, &st_tr, &dt, &g->sct, nt, err)) != CCPL_OK)
        goto done;
done:
    for (int l = 0; l < CCPL__MAX_TAPS; l++) {
        ccpl__tensor_free(&fc[l]);
        ccpl__tensor_free(&fs[l]);
        ccpl__tensor_free(&dG[l]);
    }
    ccpl__tensor_free(&last_c);
    ccpl__tensor_free(&last_s);
    ccpl__tensor_free(&t);
    ccpl__tensor_free(&dt);
    ccpl__tensor_free(&dimg);
    ccpl__sct_trace_free(&st_tr);
    ccpl__net_trace_free(&dec_tr);
    ccpl__net_trace_free(&enc_tr);
    free(smean);
    free(sstd);
    return st;
}

ccpl_status ccpl__train_step(const ccpl__train_model *m, const ccpl__tensor *contents,
                             const ccpl__tensor *styles, int N, const int *const *anchors,
                             const ccpl__loss_config *cfg, const ccpl__train_grads *g,
                             ccpl__losses *out, int n_threads, ccpl_error *err) {
    memset(out, 0, sizeof *out);
    if (N < 1 || cfg->num_l < 1 || cfg->num_l > m->n_taps || cfg->num_s < 1)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "bad batch size, num_l or num_s");
    for (int n = 0; n < N; n++) {
        ccpl_status st = sample_step(m, &contents[n], &styles[n], N, anchors, cfg, g, out,
                                     n_threads, err);
        if (st != CCPL_OK) return st;
    }
    out->total = cfg->content_weight * out->content + cfg->style_weight * out->style +
                 cfg->ccp_weight * out->ccp;
    return CCPL_OK;
}
