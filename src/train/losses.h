/* losses.h — the training losses of spec §5 for one sample. Each returns the
 * sample's loss value and ADDS gscale * d(loss)/d(generated features) into dg
 * (gscale = the loss weight / batch size: batch means are means of the
 * samples' values, all sizes being equal). */
#ifndef CCPL_TRAIN_LOSSES_H
#define CCPL_TRAIN_LOSSES_H

#include <stddef.h>

/* Content loss (§5.3): mean over n of (g - c)^2, c the content's features. */
double ccpl__content_loss(float *dg, const float *g, const float *c, size_t n, float gscale);

/* Style loss of one layer (§5.4): mean over C of (mean_g - mean_s)^2 plus
 * mean over C of (std_g - std_s)^2, mean/std per channel over HW as in §2
 * (unbiased + 1e-5). s_mean, s_std (C): the style's, from
 * ccpl__mean_std_forward. g (C, HW). scratch: 4*C floats. */
double ccpl__style_loss(float *dg, const float *g, const float *s_mean, const float *s_std,
                        int C, int HW, float gscale, float *scratch, int n_threads);

/* One CCPL projection head: Linear(C,C) -> ReLU -> Linear(C,C/4). */
typedef struct ccpl__mlp {
    int c, d;                       /* in/hidden C, out D = C/4 */
    const float *w1, *b1, *w2, *b2; /* (C,C) (C) (D,C) (D) */
} ccpl__mlp;

typedef struct ccpl__mlp_grads {
    float *w1, *b1, *w2, *b2; /* same shapes; NULL: frozen */
} ccpl__mlp_grads;

/* The 8 neighbour offsets (dy, dx) in the spec's order. */
extern const int ccpl__ccp_offsets[8][2];

/* The scratch ccpl__ccp_loss needs, in floats, for num_s anchors and a head
 * of c inputs and d outputs. */
size_t ccpl__ccp_loss_floats(int num_s, int c, int d);

/* CCPL loss of one layer (§5, "CCPL loss, exactly"): differences between
 * each of num_s anchors (anchors[2j] = row, anchors[2j+1] = column, interior
 * positions) and its 8 neighbours, neighbour-major, in fg (query) and fc (key,
 * constant), both (C,H,W); projected by the head, L2-normalised, InfoNCE with
 * temperature tau. Adds gscale * gradient into dfg (C,H,W) and the head's
 * parameter gradients into mg. scratch: ccpl__ccp_loss_floats(num_s, C, D)
 * floats. Returns the loss (mean over the 8*num_s rows). */
double ccpl__ccp_loss(float *dfg, const ccpl__mlp_grads *mg, const ccpl__mlp *mlp,
                      const float *fg, const float *fc, int H, int W, const int *anchors,
                      int num_s, float tau, float gscale, float *scratch);

#endif
