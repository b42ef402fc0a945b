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

size_t ccpl__flat_texture_scratch(int H, int W) { return 4 * (size_t)(H + 1) * (W + 1); }

/* Integral images of Y and Y^2 ((H+1) x (W+1), zero first row and column). */
static void luma_integrals(const float *x, int H, int W, double *s1, double *s2) {
    const size_t plane = (size_t)H * W, W1 = (size_t)W + 1;
    for (int i = 0; i <= W; i++) s1[i] = s2[i] = 0;
    for (int y = 0; y < H; y++) {
        double r1 = 0, r2 = 0;
        s1[(y + 1) * W1] = s2[(y + 1) * W1] = 0;
        for (int i = 0; i < W; i++) {
            const size_t p = (size_t)y * W + i;
            const double v = 255.0 * (0.299 * x[p] + 0.587 * x[plane + p] + 0.114 * x[2 * plane + p]);
            r1 += v;
            r2 += v * v;
            s1[(y + 1) * W1 + i + 1] = s1[y * W1 + i + 1] + r1;
            s2[(y + 1) * W1 + i + 1] = s2[y * W1 + i + 1] + r2;
        }
    }
}

static double window_std(const double *s1, const double *s2, size_t W1, int y, int x, int K) {
    const double n = (double)K * K;
    const size_t a = (size_t)y * W1 + x, b = a + K, c = a + K * W1, d = c + K;
    const double m = (s1[d] - s1[b] - s1[c] + s1[a]) / n;
    const double v = (s2[d] - s2[b] - s2[c] + s2[a]) / n - m * m;
    return v > 0 ? sqrt(v) : 0.0;
}

double ccpl__flat_texture(const float *a, const float *b, int H, int W, double *flat_share,
                          double *scratch) {
    const int K = CCPL__FLAT_WIN, OH = H - K + 1, OW = W - K + 1;
    if (flat_share) *flat_share = 0;
    if (OH < 1 || OW < 1) return NAN;
    const size_t n1 = (size_t)(H + 1) * (W + 1), W1 = (size_t)W + 1;
    double *a1 = scratch, *a2 = scratch + n1, *b1 = scratch + 2 * n1, *b2 = scratch + 3 * n1;
    luma_integrals(a, H, W, a1, a2);
    luma_integrals(b, H, W, b1, b2);
    double sum = 0;
    long long n = 0;
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++) {
            const double sb = window_std(b1, b2, W1, y, x, K);
            if (sb >= CCPL__FLAT_THRESHOLD) continue;
            sum += window_std(a1, a2, W1, y, x, K) - sb;
            n++;
        }
    if (flat_share) *flat_share = (double)n / ((double)OH * OW);
    return n ? sum / n : NAN;
}
