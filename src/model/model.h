/* model.h — the loaded CCPL model and its float-level entry points (used by
 * the public API in model.c and by the parity tests). Errors go to m->err. */
#ifndef CCPL_MODEL_MODEL_H
#define CCPL_MODEL_MODEL_H

#include "ccpl/ccpl.h"
#include "io/checkpoint.h"
#include "model/net.h"
#include "model/sct_core.h"


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
    /* Per-label statistics (ccpl_style_new_labels, sct_masked.c): label l
     * has its own cov/mean at index label_slot[l] of lab_cov (n_lab,32,32)
     * and lab_mean (n_lab,c); -1 for labels absent from the style or below
     * CCPL_LABEL_MIN_POSITIONS (they use cov/smean). has_labels 0: made
     * without a label map. */
    int has_labels;
    short label_slot[256];
    int n_lab;
    float *lab_cov;
    float *lab_mean;
};

/* x (3,H,W) in [0,1] -> the encoder's taps (taps: NULL or room for 4; the
 * last one is also returned in *last). */
ccpl_status ccpl__encode(ccpl_model *m, const ccpl__tensor *x, ccpl__tensor *last, ccpl__tensor *taps);

/* Style features from a (3,Hs,Ws) float image; color_ref (3,H,W) or NULL. */
ccpl_style *ccpl__style_new_chw(ccpl_model *m, const ccpl__tensor *style, const ccpl__tensor *color_ref);

/* Fills s->cov and s->smean from the style's last-tap features fs (c,Hs,Ws)
 * (fs must not live in the SCT_* slots). */
ccpl_status ccpl__sct_style(ccpl_model *m, const ccpl__tensor *fs, ccpl_style *s);

/* SCT(fc, style) -> out (c,H,W), a view into the model's arena (slot
 * SCT_OUT; do not free it). fc must not live in the SCT_* slots. */
ccpl_status ccpl__sct_apply(ccpl_model *m, const ccpl__tensor *fc, const ccpl_style *s,
                            ccpl__tensor *out);

/* Full pipeline on a (3,H,W) float content; *out is the decoder's output
 * before clamping, at the decoder's (padded-up) size. */
ccpl_status ccpl__stylize_chw(ccpl_model *m, const ccpl__tensor *content, ccpl_style *const *styles,
                              const float *weights, int n_styles, float alpha, ccpl__tensor *out);

/* ---- spatial control (sct_masked.c, docs/MASKS.md) ---- */

/* Label map (lh,lw) -> (h,w) by centre-nearest (ccpl.h, ccpl_labels). */
void ccpl__labels_nearest(unsigned char *out, int h, int w, const unsigned char *in, int lh, int lw);

/* Mask (mh,mw) in [0,1] -> (h,w) by exact area averaging (ccpl.h,
 * ccpl_mask); accumulated in double. Returns CCPL_E_NOMEM on failure. */
ccpl_status ccpl__mask_area_resize(float *out, int h, int w, const float *in, int mh, int mw);

/* Fills s's per-label statistics from the style features fs (c,Hs,Ws)
 * and the style's label map already at fs's grid, lab (Hs,Ws). fs must not
 * live in the SCT_* slots. */
ccpl_status ccpl__sct_style_labels(ccpl_model *m, const ccpl__tensor *fs, const unsigned char *lab,
                                   ccpl_style *s);

/* Per-label SCT: lab (H,W) is the content's label map at fc's grid. out is a
 * view into the arena (slot SCT_OUT). */
ccpl_status ccpl__sct_apply_labels(ccpl_model *m, const ccpl__tensor *fc, const unsigned char *lab,
                                   const ccpl_style *s, ccpl__tensor *out);

/* The spatially controlled mix of the styles' SCT outputs (before alpha),
 * for content features fc; *acc is a view into the arena (SCT_OUT or MIX).
 * spatial has masks and/or content_labels; arguments already validated. */
ccpl_status ccpl__sct_spatial(ccpl_model *m, const ccpl__tensor *fc, ccpl_style *const *styles,
                              const float *weights, int n_styles, const ccpl_spatial *spatial,
                              ccpl__tensor *acc);

/* Validates spatial against the content size and styles (message in m->err). */
ccpl_status ccpl__spatial_check(ccpl_model *m, int content_w, int content_h,
                                ccpl_style *const *styles, const float *weights, int n_styles,
                                const ccpl_spatial *spatial);

/* ccpl__stylize_chw with spatial control (spatial may be NULL). */
ccpl_status ccpl__stylize_spatial_chw(ccpl_model *m, const ccpl__tensor *content,
                                      ccpl_style *const *styles, const float *weights,
                                      int n_styles, float alpha, const ccpl_spatial *spatial,
                                      ccpl__tensor *out);

/* ccpl__style_new_chw with a style label map (labels may be NULL). */
ccpl_style *ccpl__style_new_labels_chw(ccpl_model *m, const ccpl__tensor *style,
                                       const ccpl__tensor *color_ref, const ccpl_labels *labels);

#endif
