#include "ops/l2norm.h"

#include <math.h>
#include <stddef.h>

void ccpl__l2norm_forward(float *y, float *norm, const float *x, int N, int D) {
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * D;
        float *yr = y + (size_t)n * D;
        double q = 0;
        for (int j = 0; j < D; j++) q += (double)xr[j] * xr[j];
        const double nn = sqrt(q);
        const double r = 1.0 / (nn + CCPL__L2NORM_EPS);
        for (int j = 0; j < D; j++) yr[j] = (float)(xr[j] * r);
        if (norm) norm[n] = (float)nn;
    }
}

void ccpl__l2norm_backward(float *dx, const float *dy, const float *x, const float *norm, int N,
                           int D) {
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * D, *dyr = dy + (size_t)n * D;
        float *dxr = dx + (size_t)n * D;
        const double nn = norm[n], r = 1.0 / (nn + CCPL__L2NORM_EPS);
        double dot = 0;
        for (int j = 0; j < D; j++) dot += (double)dyr[j] * xr[j];
        /* d n / d x_j = x_j / n; 0 at n = 0 */
        const double c = nn > 0 ? dot * r * r / nn : 0.0;
        for (int j = 0; j < D; j++) dxr[j] += (float)(dyr[j] * r - xr[j] * c);
    }
}
