#include "train/step.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ops/stats.h"

/* The N images of a batch stacked into one (N,3,H,W) tensor. */
static ccpl_status stack(ccpl__tensor *out, const ccpl__tensor *imgs, int N, const char *what,
                         ccpl_error *err) {
    const ccpl__tensor *a = &imgs[0];
    for (int n = 1; n < N; n++)
        if (imgs[n].c != a->c || imgs[n].h != a->h || imgs[n].w != a->w)
            return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                              "the %s images of a batch differ in size (%dx%d and %dx%d)", what,
                              a->w, a->h, imgs[n].w, imgs[n].h);
    ccpl_status st = ccpl__tensor_alloc(out, N, a->c, a->h, a->w, err);
    if (st != CCPL_OK) return st;
    const size_t per = ccpl__tensor_sample_numel(a);
    for (int n = 0; n < N; n++) memcpy(out->data + (size_t)n * per, imgs[n].data, sizeof(float) * per);
    return CCPL_OK;
}

ccpl_status ccpl__train_step(const ccpl__train_model *m, const ccpl__tensor *contents,
                             const ccpl__tensor *styles, int N, const int *const *anchors,
                             const ccpl__loss_config *cfg, const ccpl__train_grads *g,
                             ccpl__losses *out, int n_threads, ccpl_error *err) {
    const int T = m->n_taps, nt = n_threads;
    ccpl__tensor xc = {0}, xs = {0}, fc[CCPL__MAX_TAPS] = {{0}}, fs[CCPL__MAX_TAPS] = {{0}};
    ccpl__tensor last_c = {0}, last_s = {0}, t = {0}, dt = {0}, dimg = {0}, dG[CCPL__MAX_TAPS] = {{0}};
    ccpl__sct_trace *st_tr = NULL;
    ccpl__net_trace dec_tr, enc_tr;
    const ccpl__tensor *G[CCPL__MAX_TAPS];
    float *smean = NULL, *sstd = NULL;
    ccpl_status st;
    memset(out, 0, sizeof *out);
    memset(&dec_tr, 0, sizeof dec_tr);
    memset(&enc_tr, 0, sizeof enc_tr);
    if (N < 1 || cfg->num_l < 1 || cfg->num_l > T || cfg->num_s < 1)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "bad batch size, num_l or num_s");
    if (!(st_tr = calloc((size_t)N, sizeof *st_tr)))
        return ccpl__fail(err, CCPL_E_NOMEM, "out of memory");

    /* encoder features of the contents and the styles, the whole batch per
     * op (frozen, no backward: plain runs, on the encoder's backend) */
    const ccpl__net *enc = m->enc_frozen ? m->enc_frozen : &m->enc;
    if ((st = stack(&xc, contents, N, "content", err)) != CCPL_OK ||
        (st = stack(&xs, styles, N, "style", err)) != CCPL_OK ||
        (st = ccpl__net_run(enc, &xc, &last_c, fc, nt, NULL, err)) != CCPL_OK ||
        (st = ccpl__net_run(enc, &xs, &last_s, fs, nt, NULL, err)) != CCPL_OK)
        goto done;
    /* SCT, one sample at a time (its statistics are per image), into t */
    const ccpl__tensor *fcl = &fc[T - 1];
    if ((st = ccpl__tensor_alloc(&t, N, fcl->c, fcl->h, fcl->w, err)) != CCPL_OK) goto done;
    for (int n = 0; n < N; n++) {
        const ccpl__tensor c1 = ccpl__tensor_sample(fcl, n), s1 = ccpl__tensor_sample(&fs[T - 1], n);
        ccpl__tensor t1 = {0};
        if ((st = ccpl__sct_train_forward(&m->sct, &c1, &s1, &t1, &st_tr[n], nt, err)) != CCPL_OK)
            goto done;
        memcpy(t.data + (size_t)n * ccpl__tensor_sample_numel(&t), t1.data,
               sizeof(float) * ccpl__tensor_sample_numel(&t));
        ccpl__tensor_free(&t1);
    }
    /* generated images and their features, the whole batch per op */
    if ((st = ccpl__net_forward_trace(&m->dec, &t, &dec_tr, NULL, nt, err)) != CCPL_OK ||
        (st = ccpl__net_forward_trace(enc, &dec_tr.a[dec_tr.n_ops], &enc_tr, G, nt, err)) != CCPL_OK)
        goto done;
    for (int l = 0; l < T; l++)
        if ((st = ccpl__tensor_zeros(&dG[l], N, G[l]->c, G[l]->h, G[l]->w, err)) != CCPL_OK) goto done;

    /* the losses, per sample; each gradient is scaled by its weight / N so
       that the sums over samples are the batch means' gradients */
    for (int n = 0; n < N; n++) {
        ccpl__tensor Gn[CCPL__MAX_TAPS], dGn[CCPL__MAX_TAPS], fcn[CCPL__MAX_TAPS], fsn[CCPL__MAX_TAPS];
        for (int l = 0; l < T; l++) {
            Gn[l] = ccpl__tensor_sample(G[l], n), dGn[l] = ccpl__tensor_sample(&dG[l], n);
            fcn[l] = ccpl__tensor_sample(&fc[l], n), fsn[l] = ccpl__tensor_sample(&fs[l], n);
        }
        /* content loss at the last tap, against the content's features */
        out->content += ccpl__content_loss(dGn[T - 1].data, Gn[T - 1].data, fcn[T - 1].data,
                                           ccpl__tensor_numel(&Gn[T - 1]), cfg->content_weight / N) / N;
        /* style loss over all taps */
        for (int l = 0; l < T; l++) {
            const int C = fsn[l].c, HWs = fsn[l].h * fsn[l].w;
            free(smean), free(sstd);
            smean = malloc(sizeof(float) * (size_t)C), sstd = malloc(sizeof(float) * (size_t)C);
            if (!smean || !sstd) {
                st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
                goto done;
            }
            ccpl__mean_std_forward(smean, sstd, fsn[l].data, 1, C, HWs, nt);
            double ls = ccpl__style_loss(dGn[l].data, Gn[l].data, smean, sstd, C, Gn[l].h * Gn[l].w,
                                         cfg->style_weight / N, nt);
            if (ls < 0) {
                st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
                goto done;
            }
            out->style += ls / N;
        }
        /* CCPL on the last num_l taps */
        for (int l = T - cfg->num_l; l < T; l++) {
            double lc = ccpl__ccp_loss(dGn[l].data, &g->mlp[l], &m->mlp[l], Gn[l].data, fcn[l].data,
                                       Gn[l].h, Gn[l].w, anchors[l], cfg->num_s, cfg->tau,
                                       cfg->ccp_weight / N);
            if (lc < 0) {
                st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
                goto done;
            }
            out->ccp += lc / N;
        }
    }

    /* backward: frozen encoder -> images -> decoder (whole batch) -> SCT (per sample) */
    const ccpl__tensor *img = &dec_tr.a[dec_tr.n_ops];
    if ((st = ccpl__tensor_zeros(&dimg, N, img->c, img->h, img->w, err)) != CCPL_OK ||
        (st = ccpl__tensor_zeros(&dt, N, t.c, t.h, t.w, err)) != CCPL_OK)
        goto done;
    if ((st = ccpl__net_backward(enc, &enc_tr, NULL, dG, &dimg, NULL, NULL, nt, err)) != CCPL_OK ||
        (st = ccpl__net_backward(&m->dec, &dec_tr, &dimg, NULL, &dt, g->dec_w, g->dec_b, nt, err)) != CCPL_OK)
        goto done;
    for (int n = 0; n < N; n++) {
        const ccpl__tensor dt1 = ccpl__tensor_sample(&dt, n);
        if ((st = ccpl__sct_train_backward(&m->sct, &st_tr[n], &dt1, &g->sct, nt, err)) != CCPL_OK)
            goto done;
    }
    out->total = cfg->content_weight * out->content + cfg->style_weight * out->style +
                 cfg->ccp_weight * out->ccp;
done:
    for (int l = 0; l < CCPL__MAX_TAPS; l++) {
        ccpl__tensor_free(&fc[l]);
        ccpl__tensor_free(&fs[l]);
        ccpl__tensor_free(&dG[l]);
    }
    ccpl__tensor_free(&xc);
    ccpl__tensor_free(&xs);
    ccpl__tensor_free(&last_c);
    ccpl__tensor_free(&last_s);
    ccpl__tensor_free(&t);
    ccpl__tensor_free(&dt);
    ccpl__tensor_free(&dimg);
    for (int n = 0; n < N; n++) ccpl__sct_trace_free(&st_tr[n]);
    free(st_tr);
    ccpl__net_trace_free(&dec_tr);
    ccpl__net_trace_free(&enc_tr);
    free(smean);
    free(sstd);
    return st;
}
