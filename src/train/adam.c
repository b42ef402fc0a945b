#include "train/adam.h"

#include <math.h>

ccpl__adam ccpl__adam_default(void) {
    ccpl__adam a = {1e-4, 5e-5, 0.9, 0.999, 1e-8};
    return a;
}

double ccpl__adam_lr(const ccpl__adam *a, long iter) { return a->lr / (1.0 + a->decay * (double)iter); }

void ccpl__adam_step(const ccpl__adam *a, float *p, const float *g, float *m, float *v, size_t n,
                     long t, double lr) {
    const double step = (double)t;
    const double bc1 = 1.0 - pow(a->beta1, step), bc2 = 1.0 - pow(a->beta2, step);
    /* torch: step_size = lr / bc1; denom = sqrt(v) / sqrt(bc2) + eps;
       p -= step_size * m / denom, scalars rounded to float as its CPU kernels do */
    const float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float b1 = (float)a->beta1, b2 = (float)a->beta2, eps = (float)a->eps;
    const float one_b1 = (float)(1.0 - a->beta1), one_b2 = (float)(1.0 - a->beta2);
    for (size_t i = 0; i < n; i++) {
        m[i] = m[i] * b1 + g[i] * one_b1;
        v[i] = v[i] * b2 + g[i] * g[i] * one_b2;
        const float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] = p[i] - step_size * (m[i] / denom);
    }
}
