/* step.h — one CCPL training iteration's losses and gradients (spec §5). */
#ifndef CCPL_TRAIN_STEP_H
#define CCPL_TRAIN_STEP_H

#include "train/losses.h"
#include "train/sct_train.h"
#include "train/workspace.h"

#define CCPL__MAX_TAPS 4

/* The networks of a training run; weights point into the trainer's
 * parameter block (or a checkpoint, for the frozen encoder). */
typedef struct ccpl__train_model {
    ccpl_mode mode;
    int n_taps;                     /* 4 (art: relu1_1..relu4_1) or 3 (photo) */
    ccpl__net enc;                  /* frozen */
    /* A copy of enc on another backend (the fast one, prepared for
     * training: ccpl__net_set_backend(copy, &ccpl__backend_fast, 1, err)),
     * or NULL to use enc everywhere. The decoder runs on its own net's
     * backend; a prepared decoder must be refreshed after each update
     * (ccpl__net_refresh). */
    const ccpl__net *enc_frozen;
    ccpl__net dec;
    ccpl__sct_nets sct;
    ccpl__mlp mlp[CCPL__MAX_TAPS];  /* projection head per tapped layer */
} ccpl__train_model;

typedef struct ccpl__train_grads {
    float *dec_w[CCPL__NET_MAX_OPS], *dec_b[CCPL__NET_MAX_OPS];
    ccpl__sct_grads sct;
    ccpl__mlp_grads mlp[CCPL__MAX_TAPS];
} ccpl__train_grads;

typedef struct ccpl__loss_config {
    float content_weight; /* lambda_c, 1 */
    float style_weight;   /* lambda_s, 10 */
    float ccp_weight;     /* lambda_ccp, 5 */
    float tau;            /* 0.07 */
    int num_s;            /* anchors per layer, 8 */
    int num_l;            /* CCPL on the last num_l tapped layers, 3 */
    /* Our addition, not in the paper's loss (spec §5; issue 15): the SCT
     * identity loss, mean over the batch of mean((SCT(fc_n, fc_n) - fc_n)^2)
     * at the last tap. It trains SCT (cnet, snet, uncompress) only, to carry
     * the content's structure through its 32-channel path. 0 (the default):
     * not computed, and the step is exactly what it was without it. */
    float identity_weight;
    /* Our addition too (issue 15): the photorealism loss (ops/photoreal.h;
     * Luan et al. 2017 §3.2 in its guided-filter form), mean over the batch
     * of mean((g_n - A_n g_n)^2), g_n the decoder's output (before any
     * clamp) and A_n the guided filter of radius photoreal_radius (>= 0)
     * and eps photoreal_eps (> 0, units of [0,1]^2) guided by content n. It
     * trains the decoder and, through it, SCT. 0 (the default): not
     * computed, the radius and eps unread, and the step is exactly what it
     * was without it. */
    float photoreal_weight;
    int photoreal_radius; /* 1 */
    float photoreal_eps;  /* 1e-4 */
} ccpl__loss_config;

typedef struct ccpl__losses {
    double content, style, ccp, total; /* batch means, total = weighted sum */
    double identity;                   /* batch mean; 0 when identity_weight is 0 */
    double photoreal;                  /* batch mean; 0 when photoreal_weight is 0 */
} ccpl__losses;

/* Losses of a batch of N content and N style images (3,H,W each; a batch's
 * images share one size) and their gradients, ADDED to g. anchors[l] holds
 * num_s (row, column) pairs for tapped layer l (only the last num_l layers
 * are read). Every activation, trace, gradient and scratch buffer comes from
 * ws (train/workspace.h), which keeps them for the next step: a step whose N
 * and image size ws has seen allocates nothing. */
ccpl_status ccpl__train_step(const ccpl__train_model *m, ccpl__train_ws *ws,
                             const ccpl__tensor *contents,
                             const ccpl__tensor *styles, int N, const int *const *anchors,
                             const ccpl__loss_config *cfg, const ccpl__train_grads *g,
                             ccpl__losses *out, int n_threads, ccpl_error *err);

#endif
