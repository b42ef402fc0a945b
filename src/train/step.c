#include "train/step.h"

#include <string.h>

#include "core/error.h"
#include "ops/photoreal.h"
#include "ops/stats.h"

/* The N images of a batch stacked into one (N,3,H,W) tensor in mem. */
static ccpl_status stack(ccpl__tensor *out, ccpl__buf *mem, const ccpl__tensor *imgs, int N,
                         const char *what, ccpl_error *err) {
    const ccpl__tensor *a = &imgs[0];
    for (int n = 1; n < N; n++)
        if (imgs[n].c != a->c || imgs[n].h != a->h || imgs[n].w != a->w)
            return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                              "the %s images of a batch differ in size (%dx%d and %dx%d)", what,
                              a->w, a->h, imgs[n].w, imgs[n].h);
    ccpl_status st = ccpl__buf_tensor(mem, out, N, a->c, a->h, a->w, 0, err);
    if (st != CCPL_OK) return st;
    const size_t per = ccpl__tensor_sample_numel(a);
    for (int n = 0; n < N; n++) memcpy(out->data + (size_t)n * per, imgs[n].data, sizeof(float) * per);
    return CCPL_OK;
}

/* The SCT identity loss (step.h, identity_weight): for each sample, SCT
 * with the content's own features as the style, fid = SCT(fc_n, fc_n), and
 * weight * mean((fid - fc_n)^2), its gradient scaled by weight / N like the
 * other losses'. fc is frozen data, so no decoder or encoder pass: the
 * gradient goes into SCT's parameters only. Forward and backward run back to
 * back per sample, so one trace (ws->sct_id) serves the whole batch. */
static ccpl_status identity_loss(const ccpl__train_model *m, ccpl__train_ws *ws,
                                 const ccpl__tensor *fcl, int N, float weight,
                                 const ccpl__sct_grads *gs, ccpl__losses *out, int nt,
                                 ccpl_error *err) {
    ccpl__arena *ar = &ws->tmp;
    ccpl__tensor fid, dfid;
    ccpl_status st;
    for (int n = 0; n < N; n++) {
        const ccpl__tensor c1 = ccpl__tensor_sample(fcl, n);
        if ((st = ccpl__buf_tensor(&ws->fid, &fid, 1, c1.c, c1.h, c1.w, 0, err)) != CCPL_OK ||
            (st = ccpl__buf_tensor(&ws->dfid, &dfid, 1, c1.c, c1.h, c1.w, 1, err)) != CCPL_OK ||
            (st = ccpl__sct_train_forward(&m->sct, &c1, &c1, &fid, &ws->sct_id, ar, nt, err)) != CCPL_OK)
            return st;
        out->identity += ccpl__content_loss(dfid.data, fid.data, c1.data, ccpl__tensor_numel(&fid),
                                            weight / N) / N;
        if ((st = ccpl__sct_train_backward(&m->sct, &ws->sct_id, &dfid, gs, ar, nt, err)) != CCPL_OK)
            return st;
    }
    return CCPL_OK;
}

/* The photorealism loss (step.h, photoreal_weight): per sample, the
 * generated image img_n against its content xc_n as the guide, its gradient
 * scaled by weight / N and added into dimg. */
static ccpl_status photoreal_loss(ccpl__train_ws *ws, const ccpl__tensor *img, const ccpl__tensor *xc,
                                  ccpl__tensor *dimg, int N, const ccpl__loss_config *cfg,
                                  ccpl__losses *out, ccpl_error *err) {
    if (img->c != 3 || xc->c != 3 || img->h != xc->h || img->w != xc->w)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "the photorealism loss needs RGB images of the content's size (%dx%d, %dx%d)",
                          img->w, img->h, xc->w, xc->h);
    const size_t bytes = ccpl__photoreal_scratch(img->h, img->w);
    float *scratch = bytes ? ccpl__buf_get(&ws->pr, (bytes + sizeof(float) - 1) / sizeof(float)) : NULL;
    if (!scratch) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the photorealism loss");
    for (int n = 0; n < N; n++) {
        const ccpl__tensor g1 = ccpl__tensor_sample(img, n), c1 = ccpl__tensor_sample(xc, n);
        ccpl__tensor d1 = ccpl__tensor_sample(dimg, n);
        out->photoreal += ccpl__photoreal_loss(d1.data, g1.data, c1.data, g1.h, g1.w, cfg->photoreal_radius,
                                               cfg->photoreal_eps, cfg->photoreal_weight / N, scratch) / N;
    }
    return CCPL_OK;
}

ccpl_status ccpl__train_step(const ccpl__train_model *m, ccpl__train_ws *ws,
                             const ccpl__tensor *contents, const ccpl__tensor *styles, int N,
                             const int *const *anchors, const ccpl__loss_config *cfg,
                             const ccpl__train_grads *g, ccpl__losses *out, int n_threads,
                             ccpl_error *err) {
    const int T = m->n_taps, nt = n_threads;
    ccpl__arena *ar = &ws->tmp; /* every phase's temporaries */
    ccpl__tensor xc, xs, fc[CCPL__MAX_TAPS], fs[CCPL__MAX_TAPS], last, t, dt, dimg;
    ccpl__tensor dG[CCPL__MAX_TAPS];
    const ccpl__tensor *G[CCPL__MAX_TAPS];
    ccpl_status st;
    memset(out, 0, sizeof *out);
    if (N < 1 || cfg->num_l < 1 || cfg->num_l > T || cfg->num_s < 1)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "bad batch size, num_l or num_s");
    if (cfg->photoreal_weight != 0.0f && (cfg->photoreal_radius < 0 || !(cfg->photoreal_eps > 0)))
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "bad photorealism filter: radius %d, eps %g (radius >= 0, eps > 0)",
                          cfg->photoreal_radius, (double)cfg->photoreal_eps);
    if ((st = ccpl__train_ws_reserve_sct(ws, N, err)) != CCPL_OK) return st;

    /* encoder features of the contents and the styles, the whole batch per
     * op (frozen, no backward: plain runs, on the encoder's backend; the
     * taps are kept in ws, the activations ping-pong in its arena) */
    const ccpl__net *enc = m->enc_frozen ? m->enc_frozen : &m->enc;
    if ((st = stack(&xc, &ws->xc, contents, N, "content", err)) != CCPL_OK ||
        (st = stack(&xs, &ws->xs, styles, N, "style", err)) != CCPL_OK ||
        (st = ccpl__net_run_arena_kept_taps(enc, &xc, ar, CCPL__SLOT_FEAT, &last, fc, ws->fc, nt,
                                            err)) != CCPL_OK ||
        (st = ccpl__net_run_arena_kept_taps(enc, &xs, ar, CCPL__SLOT_FEAT, &last, fs, ws->fs, nt,
                                            err)) != CCPL_OK)
        return st;
    /* SCT, one sample at a time (its statistics are per image), into t */
    const ccpl__tensor *fcl = &fc[T - 1];
    if ((st = ccpl__buf_tensor(&ws->t, &t, N, fcl->c, fcl->h, fcl->w, 0, err)) != CCPL_OK) return st;
    for (int n = 0; n < N; n++) {
        const ccpl__tensor c1 = ccpl__tensor_sample(fcl, n), s1 = ccpl__tensor_sample(&fs[T - 1], n);
        ccpl__tensor t1 = ccpl__tensor_sample(&t, n);
        if ((st = ccpl__sct_train_forward(&m->sct, &c1, &s1, &t1, &ws->sct[n], ar, nt, err)) != CCPL_OK)
            return st;
    }
    /* generated images and their features, the whole batch per op */
    if ((st = ccpl__net_forward_trace(&m->dec, &t, &ws->dec, NULL, ar, nt, err)) != CCPL_OK ||
        (st = ccpl__net_forward_trace(enc, &ws->dec.a[ws->dec.n_ops], &ws->enc, G, ar, nt, err)) !=
            CCPL_OK)
        return st;
    for (int l = 0; l < T; l++)
        if ((st = ccpl__buf_tensor(&ws->dG[l], &dG[l], N, G[l]->c, G[l]->h, G[l]->w, 1, err)) != CCPL_OK)
            return st;

    /* the losses' scratch: the style's statistics and the style loss's (6C
       floats), or the CCPL loss's, for the widest layer */
    size_t n_loss = 0;
    for (int l = 0; l < T; l++) {
        size_t k = 6 * (size_t)fs[l].c;
        if (l >= T - cfg->num_l) {
            const size_t kc = ccpl__ccp_loss_floats(cfg->num_s, m->mlp[l].c, m->mlp[l].d);
            if (kc > k) k = kc;
        }
        if (k > n_loss) n_loss = k;
    }
    float *scratch = ccpl__buf_get(&ws->loss, n_loss);
    if (!scratch) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the losses");

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
            float *smean = scratch, *sstd = scratch + C;
            ccpl__mean_std_forward(smean, sstd, fsn[l].data, 1, C, HWs, nt);
            out->style += ccpl__style_loss(dGn[l].data, Gn[l].data, smean, sstd, C, Gn[l].h * Gn[l].w,
                                           cfg->style_weight / N, scratch + 2 * C, nt) / N;
        }
        /* CCPL on the last num_l taps */
        for (int l = T - cfg->num_l; l < T; l++)
            out->ccp += ccpl__ccp_loss(dGn[l].data, &g->mlp[l], &m->mlp[l], Gn[l].data, fcn[l].data,
                                       Gn[l].h, Gn[l].w, anchors[l], cfg->num_s, cfg->tau,
                                       cfg->ccp_weight / N, scratch) / N;
    }

    /* backward: frozen encoder -> images -> decoder (whole batch) -> SCT (per sample) */
    const ccpl__tensor *img = &ws->dec.a[ws->dec.n_ops];
    if ((st = ccpl__buf_tensor(&ws->dimg, &dimg, N, img->c, img->h, img->w, 1, err)) != CCPL_OK ||
        (st = ccpl__buf_tensor(&ws->dt, &dt, N, t.c, t.h, t.w, 1, err)) != CCPL_OK)
        return st;
    if ((st = ccpl__net_backward(enc, &ws->enc, NULL, dG, &dimg, NULL, NULL, ar, nt, err)) != CCPL_OK)
        return st;
    /* the photorealism loss acts on the images themselves: its gradient
       joins the encoder's before the decoder's backward */
    if (cfg->photoreal_weight != 0.0f &&
        (st = photoreal_loss(ws, img, &xc, &dimg, N, cfg, out, err)) != CCPL_OK)
        return st;
    if ((st = ccpl__net_backward(&m->dec, &ws->dec, &dimg, NULL, &dt, g->dec_w, g->dec_b, ar, nt,
                                 err)) != CCPL_OK)
        return st;
    for (int n = 0; n < N; n++) {
        const ccpl__tensor dt1 = ccpl__tensor_sample(&dt, n);
        if ((st = ccpl__sct_train_backward(&m->sct, &ws->sct[n], &dt1, &g->sct, ar, nt, err)) != CCPL_OK)
            return st;
    }
    if (cfg->identity_weight != 0.0f && (st = identity_loss(m, ws, fcl, N, cfg->identity_weight,
                                                           &g->sct, out, nt, err)) != CCPL_OK)
        return st;
    out->total = cfg->content_weight * out->content + cfg->style_weight * out->style +
                 cfg->ccp_weight * out->ccp;
    if (cfg->identity_weight != 0.0f) out->total += cfg->identity_weight * out->identity;
    if (cfg->photoreal_weight != 0.0f) out->total += cfg->photoreal_weight * out->photoreal;
    return CCPL_OK;
}
