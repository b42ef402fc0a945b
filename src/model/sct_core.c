#include "model/sct_core.h"

#include <stddef.h>

#include "ops/stats.h"

void ccpl__sct_normalise(float *dst, float *mean, float *std, const float *fc, int C, int HW,
                         int n_threads) {
    ccpl__mean_std_forward(mean, std, fc, 1, C, HW, n_threads);
    for (int c = 0; c < C; c++) {
        const float *src = fc + (size_t)c * HW;
        float *d = dst + (size_t)c * HW;
        for (int i = 0; i < HW; i++) d[i] = (src[i] - mean[c]) / std[c];
    }
}

void ccpl__sct_centre(float *dst, float *smean, const float *fs, int C, int HW, int n_threads) {
    ccpl__mean_std_forward(smean, NULL, fs, 1, C, HW, n_threads);
    for (int c = 0; c < C; c++) {
        const float *src = fs + (size_t)c * HW;
        float *d = dst + (size_t)c * HW;
        for (int i = 0; i < HW; i++) d[i] = src[i] - smean[c];
    }
}

void ccpl__sct_add_mean(float *x, const float *mean, int C, int HW) {
    for (int c = 0; c < C; c++) {
        float *p = x + (size_t)c * HW;
        for (int i = 0; i < HW; i++) p[i] += mean[c];
    }
}
