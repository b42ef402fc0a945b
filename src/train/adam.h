/* adam.h — the optimiser of spec §5: Adam (beta 0.9/0.999, eps 1e-8) with
 * lr_i = lr / (1 + decay * i) at iteration i (0-based), as torch.optim.Adam
 * (no weight decay, no amsgrad) computes it, operation for operation. */
#ifndef CCPL_TRAIN_ADAM_H
#define CCPL_TRAIN_ADAM_H

#include <stddef.h>

typedef struct ccpl__adam {
    double lr;       /* base learning rate, 1e-4 */
    double decay;    /* lr decay, 5e-5 */
    double beta1;    /* 0.9 */
    double beta2;    /* 0.999 */
    double eps;      /* 1e-8 */
} ccpl__adam;

ccpl__adam ccpl__adam_default(void);

/* lr for 0-based iteration i. */
double ccpl__adam_lr(const ccpl__adam *a, long iter);

/* One step over n parameters p with gradients g and moments m, v (zero at
 * the start); t is the 1-based count of steps taken with these moments
 * (torch's state['step'], which bias-corrects) and lr this step's rate.
 * Each element is updated on its own, so the n values may be many tensors
 * laid out one after another (the trainer's trainable range): one call over
 * the range gives bit for bit what one call per tensor gives, and zero
 * padding between them (p = g = m = v = 0) stays zero. */
void ccpl__adam_step(const ccpl__adam *a, float *p, const float *g, float *m, float *v, size_t n,
                     long t, double lr);

#endif
