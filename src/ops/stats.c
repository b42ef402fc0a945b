#include "ops/stats.h"

#include <math.h>
#include <stddef.h>

void ccpl__mean_std_forward(float *mean, float *std, const float *x, int N, int C, int HW,
                            int n_threads) {
    const int planes = N * C;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *v = x + (size_t)p * HW;
        double s = 0;
        for (int i = 0; i < HW; i++) s += v[i];
        const double m = s / HW;
        mean[p] = (float)m;
        if (std) {
            double q = 0; /* two-pass: exact for large offsets */
            for (int i = 0; i < HW; i++) {
                const double d = v[i] - m;
                q += d * d;
            }
            std[p] = (float)sqrt(q / (HW - 1) + CCPL__STD_EPS);
        }
    }
}

void ccpl__mean_std_backward(float *dx, const float *dmean, const float *dstd, const float *x,
                             const float *mean, const float *std, int N, int C, int HW,
                             int n_threads) {
    const int planes = N * C;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *v = x + (size_t)p * HW;
        float *d = dx + (size_t)p * HW;
        /* d mean / d x_i = 1/HW;
           d std / d x_i = (x_i - mean) / ((HW - 1) std)  (the mean's own
           dependence on x_i cancels: sum_j (x_j - mean) = 0) */
        const double a = dmean ? (double)dmean[p] / HW : 0.0;
        const double b = dstd ? (double)dstd[p] / ((double)(HW - 1) * std[p]) : 0.0;
        const double m = mean[p];
        for (int i = 0; i < HW; i++) d[i] += (float)(a + b * (v[i] - m));
    }
}
