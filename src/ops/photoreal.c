/* photoreal.c — see photoreal.h. */
#include "ops/photoreal.h"

#include <stdint.h>

#include "ops/guided_filter.h"

size_t ccpl__photoreal_scratch(int H, int W) {
    const size_t gf = ccpl__guided_filter_scratch(H, W);
    if (gf == 0) return 0;
    const size_t planes = 6 * (size_t)H * (size_t)W * sizeof(float); /* < gf: no overflow */
    return gf > SIZE_MAX - planes ? 0 : gf + planes;
}

double ccpl__photoreal_loss(float *dg, const float *g, const float *guide, int H, int W, int r,
                            float eps, float gscale, void *scratch) {
    const size_t n = 3 * (size_t)H * W;
    float *res = scratch, *back = res + n; /* g - A g; A^T res */
    void *gf = back + n;
    ccpl__guided_filter(res, g, guide, 3, H, W, r, eps, gf);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        res[i] = g[i] - res[i];
        sum += (double)res[i] * res[i];
    }
    if (dg) {
        ccpl__guided_filter_adjoint(back, res, guide, 3, H, W, r, eps, gf);
        const float k = (float)(2.0 * gscale / (double)n);
        for (size_t i = 0; i < n; i++) dg[i] += k * (res[i] - back[i]);
    }
    return sum / (double)n;
}
