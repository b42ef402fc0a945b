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
