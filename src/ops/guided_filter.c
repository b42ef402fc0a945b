#include "ops/guided_filter.h"

#include <stdint.h>

#define GF_PLANES 18

size_t ccpl__guided_filter_scratch(int H, int W) {
    if (H <= 0 || W <= 0) return 0;
    const size_t plane = (size_t)H * (size_t)W;
    if (plane > SIZE_MAX / sizeof(float) / (GF_PLANES + 1)) return 0;
    return GF_PLANES * plane * sizeof(float) + 2 * (size_t)W * sizeof(double);
}

/* dst (H,W) = mean of src over the (2r+1)^2 window clipped to the image.
 * Horizontal pass into tmp (prefix sums of a row in double), then a
 * vertical running sum of tmp's rows in acc (W doubles). dst may be src. */
static void box_mean(float *dst, const float *src, int H, int W, int r, float *tmp, double *acc) {
    for (int y = 0; y < H; y++) {
        const float *s = src + (size_t)y * W;
        float *t = tmp + (size_t)y * W;
        double run = 0; /* sum of s[0 .. hi] */
        double lo_sum = 0; /* sum of s[0 .. lo-1] */
        int hi = -1, lo = 0;
        for (int x = 0; x < W; x++) {
            const int want_hi = x + r < W - 1 ? x + r : W - 1, want_lo = x - r > 0 ? x - r : 0;
            while (hi < want_hi) run += s[++hi];
            while (lo < want_lo) lo_sum += s[lo++];
            t[x] = (float)((run - lo_sum) / (hi - lo + 1));
        }
    }
    for (int x = 0; x < W; x++) acc[x] = 0;
    int hi = -1, lo = 0; /* acc = sum of tmp rows lo..hi */
    for (int y = 0; y < H; y++) {
        const int want_hi = y + r < H - 1 ? y + r : H - 1, want_lo = y - r > 0 ? y - r : 0;
        while (hi < want_hi) {
            const float *t = tmp + (size_t)(++hi) * W;
            for (int x = 0; x < W; x++) acc[x] += t[x];
        }
        while (lo < want_lo) {
            const float *t = tmp + (size_t)(lo++) * W;
            for (int x = 0; x < W; x++) acc[x] -= t[x];
        }
        const double n = hi - lo + 1;
        float *d = dst + (size_t)y * W;
        for (int x = 0; x < W; x++) d[x] = (float)(acc[x] / n);
    }
}

void ccpl__guided_filter(float *out, const float *in, const float *guide, int C, int H, int W,
                         int r, float eps, void *scratch) {
    const size_t plane = (size_t)H * W;
    float *f = scratch;
    /* planes: 0-2 mu (r,g,b), 3-8 Sigma (rr, rg, rb, gg, gb, bb), 9 pbar,
       10-12 mean(I p) then a, 13 b, 14-16 mean(a), 17 box tmp */
    float *mu = f, *sg = f + 3 * plane, *pb = f + 9 * plane, *ip = f + 10 * plane,
          *bb = f + 13 * plane, *tmp = f + 17 * plane;
    double *acc = (double *)(f + GF_PLANES * plane);
    const float *I[3] = {guide, guide + plane, guide + 2 * plane};
    static const int pi[6] = {0, 0, 0, 1, 1, 2}, pj[6] = {0, 1, 2, 1, 2, 2};
    for (int c = 0; c < 3; c++) box_mean(mu + c * plane, I[c], H, W, r, tmp, acc);
    for (int q = 0; q < 6; q++) {
        float *s = sg + q * plane;
        for (size_t p = 0; p < plane; p++) s[p] = I[pi[q]][p] * I[pj[q]][p];
        box_mean(s, s, H, W, r, tmp, acc);
        const float *m0 = mu + pi[q] * plane, *m1 = mu + pj[q] * plane;
        for (size_t p = 0; p < plane; p++) s[p] -= m0[p] * m1[p];
    }
    for (int ch = 0; ch < C; ch++) {
        const float *P = in + (size_t)ch * plane;
        box_mean(pb, P, H, W, r, tmp, acc);
        for (int c = 0; c < 3; c++) {
            float *s = ip + c * plane;
            for (size_t p = 0; p < plane; p++) s[p] = I[c][p] * P[p];
            box_mean(s, s, H, W, r, tmp, acc);
        }
        /* a = (Sigma + eps U)^-1 cov(I, p) by the adjugate, in double */
        for (size_t p = 0; p < plane; p++) {
            const double srr = sg[p] + (double)eps, srg = sg[plane + p], srb = sg[2 * plane + p],
                         sgg = sg[3 * plane + p] + (double)eps, sgb = sg[4 * plane + p],
                         sbb = sg[5 * plane + p] + (double)eps;
            const double m0 = mu[p], m1 = mu[plane + p], m2 = mu[2 * plane + p], pm = pb[p];
            const double v0 = ip[p] - m0 * pm, v1 = ip[plane + p] - m1 * pm,
                         v2 = ip[2 * plane + p] - m2 * pm;
            const double c00 = sgg * sbb - sgb * sgb, c01 = srb * sgb - srg * sbb,
                         c02 = srg * sgb - srb * sgg, c11 = srr * sbb - srb * srb,
                         c12 = srb * srg - srr * sgb, c22 = srr * sgg - srg * srg;
            const double det = srr * c00 + srg * c01 + srb * c02;
            const double a0 = (c00 * v0 + c01 * v1 + c02 * v2) / det,
                         a1 = (c01 * v0 + c11 * v1 + c12 * v2) / det,
                         a2 = (c02 * v0 + c12 * v1 + c22 * v2) / det;
            ip[p] = (float)a0;
            ip[plane + p] = (float)a1;
            ip[2 * plane + p] = (float)a2;
            bb[p] = (float)(pm - a0 * m0 - a1 * m1 - a2 * m2);
        }
        float *ma = f + 14 * plane;
        for (int c = 0; c < 3; c++) box_mean(ma + c * plane, ip + c * plane, H, W, r, tmp, acc);
        box_mean(bb, bb, H, W, r, tmp, acc);
        float *o = out + (size_t)ch * plane;
        for (size_t p = 0; p < plane; p++)
            o[p] = ma[p] * I[0][p] + ma[plane + p] * I[1][p] + ma[2 * plane + p] * I[2][p] + bb[p];
    }
}
