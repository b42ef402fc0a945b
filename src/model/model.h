/* model.h — the loaded CCPL model and its float-level entry points (used by
 * the public API in model.c and by the parity tests). Errors go to m->err. */
#ifndef CCPL_MODEL_MODEL_H
#define CCPL_MODEL_MODEL_H

#include "ccpl/ccpl.h"
#include "io/checkpoint.h"
#include "model/net.h"

#define CCPL__SCT_K 32 /* compressed channels */

struct ccpl_model {
    ccpl_params params;
    int n_threads;                 /* resolved (>= 1) */
    ccpl__checkpoint vgg, dec, sct; /* own the weights the nets point into */
    ccpl__net enc, decoder, cnet, snet;
    ccpl__conv uncompress;
    int feat_c;                    /* 512 art, 256 photo */
    ccpl__progress progress;       /* of the call in flight */
    ccpl__arena arena;             /* planned activations, reused across calls */
    ccpl_error err;
};

struct ccpl_style {
    const ccpl_model *model;
    int c;                                   /* feat_c */
    float cov[CCPL__SCT_K * CCPL__SCT_K];    /* s' s'^T / M */
    float *smean;                            /* (c) mean of the style features */
};

/* x (3,H,W) in [0,1] -> the encoder's taps (taps: NULL or room for 4; the
 * last one is also returned in *last). */
ccpl_status ccpl__encode(ccpl_model *m, const ccpl__act *x, ccpl__act *last, ccpl__act *taps);

/* Style features from a (3,Hs,Ws) float image; color_ref (3,H,W) or NULL. */
ccpl_style *ccpl__style_new_chw(ccpl_model *m, const ccpl__act *style, const ccpl__act *color_ref);

/* Fills s->cov and s->smean from the style's last-tap features fs (c,Hs,Ws)
 * (fs must not live in the SCT_* slots). */
ccpl_status ccpl__sct_style(ccpl_model *m, const ccpl__act *fs, ccpl_style *s);

/* SCT(fc, style) -> out (c,H,W), a view into the model's arena (slot
 * SCT_OUT; do not free it). fc must not live in the SCT_* slots. */
ccpl_status ccpl__sct_apply(ccpl_model *m, const ccpl__act *fc, const ccpl_style *s,
                            ccpl__act *out);

/* Full pipeline on a (3,H,W) float content; *out is the decoder's output
 * before clamping, at the decoder's (padded-up) size. */
ccpl_status ccpl__stylize_chw(ccpl_model *m, const ccpl__act *content, ccpl_style *const *styles,
                              const float *weights, int n_styles, float alpha, ccpl__act *out);

#endif
