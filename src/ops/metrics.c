#include "ops/metrics.h"

#include <math.h>

double ccpl__masked_mse(const float *a, const float *b, const unsigned char *mask, int C, int HW,
                        long long *n_valid) {
    double s = 0;
    long long n = 0;
    for (int p = 0; p < HW; p++) {
        if (!mask[p]) continue;
        n++;
        for (int c = 0; c < C; c++) {
            const double d = (double)a[(size_t)c * HW + p] - b[(size_t)c * HW + p];
            s += d * d;
        }
    }
    if (n_valid) *n_valid = n;
    return n ? s / ((double)C * (double)n) : 0.0;
}

double ccpl__mse(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)a[i] - b[i];
        s += d * d;
    }
    return n ? s / (double)n : 0.0;
}

double ccpl__style_term(const float *mr, const float *sr, const float *ms, const float *ss, int C) {
    double dm = 0, ds = 0;
    for (int c = 0; c < C; c++) {
        const double a = (double)mr[c] - ms[c], b = (double)sr[c] - ss[c];
        dm += a * a;
        ds += b * b;
    }
    return dm / C + ds / C;
}

size_t ccpl__ssim_scratch(int H, int W) {
    const int ow = W - CCPL__SSIM_WIN + 1;
    return 2 * (size_t)H * W + 5 * (size_t)H * (ow > 0 ? ow : 0);
}

double ccpl__ssim(const float *a, const float *b, int H, int W, double *scratch) {
    const int K = CCPL__SSIM_WIN, R = K / 2, OH = H - K + 1, OW = W - K + 1;
    const size_t plane = (size_t)H * W, hp = (size_t)H * OW;
    if (OH < 1 || OW < 1) return NAN;
    double g[CCPL__SSIM_WIN], gs = 0;
    for (int k = 0; k < K; k++) {
        g[k] = exp(-(double)(k - R) * (k - R) / (2.0 * CCPL__SSIM_SIGMA * CCPL__SSIM_SIGMA));
        gs += g[k];
    }
    for (int k = 0; k < K; k++) g[k] /= gs;
    double *ya = scratch, *yb = scratch + plane, *h = scratch + 2 * plane; /* h: 5 x (H,OW) */
    for (size_t p = 0; p < plane; p++) {
        ya[p] = 255.0 * (0.299 * a[p] + 0.587 * a[plane + p] + 0.114 * a[2 * plane + p]);
        yb[p] = 255.0 * (0.299 * b[p] + 0.587 * b[plane + p] + 0.114 * b[2 * plane + p]);
    }
    /* horizontal pass of a, b, a^2, b^2, ab */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < OW; x++) {
            double s[5] = {0, 0, 0, 0, 0};
            for (int k = 0; k < K; k++) {
                const double va = ya[(size_t)y * W + x + k], vb = yb[(size_t)y * W + x + k];
                s[0] += g[k] * va;
                s[1] += g[k] * vb;
                s[2] += g[k] * va * va;
                s[3] += g[k] * vb * vb;
                s[4] += g[k] * va * vb;
            }
            for (int q = 0; q < 5; q++) h[q * hp + (size_t)y * OW + x] = s[q];
        }
    const double C1 = (CCPL__SSIM_K1 * 255) * (CCPL__SSIM_K1 * 255);
    const double C2 = (CCPL__SSIM_K2 * 255) * (CCPL__SSIM_K2 * 255);
    double total = 0;
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++) {
            double s[5] = {0, 0, 0, 0, 0};
            for (int k = 0; k < K; k++)
                for (int q = 0; q < 5; q++) s[q] += g[k] * h[q * hp + (size_t)(y + k) * OW + x];
            const double ma = s[0], mb = s[1];
            const double va = s[2] - ma * ma, vb = s[3] - mb * mb, cab = s[4] - ma * mb;
            total += ((2 * ma * mb + C1) * (2 * cab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        }
    return total / ((double)OH * OW);
}
