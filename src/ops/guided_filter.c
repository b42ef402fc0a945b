#include "ops/guided_filter.h"

#include <stdint.h>

#define GF_PLANES 18

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

size_t ccpl__guided_filter_scratch(int H, int W) {
    if (H <= 0 || W <= 0) return 0;
    const size_t plane = (size_t)H * (size_t)W;
    if (plane > SIZE_MAX / sizeof(float) / (GF_PLANES + 1)) return 0;
    return GF_PLANES * plane * sizeof(float) + 2 * (size_t)W * sizeof(double);
}

/* dst (H,W) = B src, B the mean over the (2r+1)^2 window clipped to the
 * image: (B x)_k = (1/n_k) sum_{j in w_k} x_j, n_k = |w_k|. With adjoint
 * set, dst = B^T src instead: (B^T y)_j = sum_{k in w_j} y_k / n_k (j in
 * w_k iff k in w_j), which differs from B y where the windows are clipped.
 * Both are separable (n_k = rows_k * cols_k), so each pass divides either
 * after summing (B) or before (B^T). Horizontal pass into tmp (running sums
 * of a row in double), then a vertical running sum of tmp's rows in acc (W
 * doubles). dst may be src. */
static void box_pass(float *dst, const float *src, int H, int W, int r, float *tmp, double *acc,
                     int adjoint) {
    for (int y = 0; y < H; y++) {
        const float *s = src + (size_t)y * W;
        float *t = tmp + (size_t)y * W;
        double run = 0; /* sum of s[0 .. hi] (over its column counts, adjoint) */
        double lo_sum = 0; /* the same of s[0 .. lo-1] */
        int hi = -1, lo = 0;
        for (int x = 0; x < W; x++) {
            const int want_hi = x + r < W - 1 ? x + r : W - 1, want_lo = x - r > 0 ? x - r : 0;
            while (hi < want_hi) {
                hi++;
                run += adjoint ? s[hi] / (double)(imin(hi + r, W - 1) - imax(hi - r, 0) + 1)
                               : s[hi];
            }
            while (lo < want_lo) {
                lo_sum += adjoint ? s[lo] / (double)(imin(lo + r, W - 1) - imax(lo - r, 0) + 1)
                                  : s[lo];
                lo++;
            }
            t[x] = (float)(adjoint ? run - lo_sum : (run - lo_sum) / (hi - lo + 1));
        }
    }
    for (int x = 0; x < W; x++) acc[x] = 0;
    int hi = -1, lo = 0; /* acc = sum of tmp rows lo..hi (each over its count, adjoint) */
    for (int y = 0; y < H; y++) {
        const int want_hi = y + r < H - 1 ? y + r : H - 1, want_lo = y - r > 0 ? y - r : 0;
        while (hi < want_hi) {
            const float *t = tmp + (size_t)(++hi) * W;
            const double inv = adjoint ? 1.0 / (imin(hi + r, H - 1) - imax(hi - r, 0) + 1) : 1.0;
            for (int x = 0; x < W; x++) acc[x] += t[x] * inv;
        }
        while (lo < want_lo) {
            const double inv = adjoint ? 1.0 / (imin(lo + r, H - 1) - imax(lo - r, 0) + 1) : 1.0;
            const float *t = tmp + (size_t)(lo++) * W;
            for (int x = 0; x < W; x++) acc[x] -= t[x] * inv;
        }
        const double n = adjoint ? 1.0 : hi - lo + 1;
        float *d = dst + (size_t)y * W;
        for (int x = 0; x < W; x++) d[x] = (float)(acc[x] / n);
    }
}

static void box_mean(float *dst, const float *src, int H, int W, int r, float *tmp, double *acc) {
    box_pass(dst, src, H, W, r, tmp, acc, 0);
}

/* mu (3 planes) and Sigma (6: rr, rg, rb, gg, gb, bb) of the guide I over
 * every window. */
static void guide_stats(float *mu, float *sg, const float *const I[3], int H, int W, int r,
                        float *tmp, double *acc) {
    static const int pi[6] = {0, 0, 0, 1, 1, 2}, pj[6] = {0, 1, 2, 1, 2, 2};
    const size_t plane = (size_t)H * W;
    for (int c = 0; c < 3; c++) box_mean(mu + c * plane, I[c], H, W, r, tmp, acc);
    for (int q = 0; q < 6; q++) {
        float *s = sg + q * plane;
        for (size_t p = 0; p < plane; p++) s[p] = I[pi[q]][p] * I[pj[q]][p];
        box_mean(s, s, H, W, r, tmp, acc);
        const float *m0 = mu + pi[q] * plane, *m1 = mu + pj[q] * plane;
        for (size_t p = 0; p < plane; p++) s[p] -= m0[p] * m1[p];
    }
}

/* q = A p (adjoint 0) or q = A^T p (adjoint 1), A the guided filter with
 * this guide as a linear map of p. The forward, per output channel:
 *   pbar = B(p), ip = B(I p), a = S^-1 (ip - mu pbar), S = Sigma + eps U,
 *   b = pbar - a . mu, q = B(a) . I + B(b)   (B the clipped box mean).
 * Its adjoint, by reverse-mode differentiation (G the gradient on q, B^T the
 * box mean's adjoint, box_pass):
 *   grad a_k = B^T(G I)_k =: ga_k,  grad b_k = B^T(G)_k =: gb_k
 *   b_k = pbar_k - a_k . mu_k  =>  total grad of a_k: ga_k - gb_k mu_k
 *   a_k = S_k^-1 (ip_k - mu_k pbar_k), S_k symmetric:
 *     h_k := S_k^-1 (ga_k - gb_k mu_k) is the gradient on ip_k,
 *     and pbar_k gets gb_k - h_k . mu_k =: gpbar_k
 *   (A^T G)_j = I_j . B^T(h)_j + B^T(gpbar)_j
 * -- the same steps with B^T for B, so one body serves both.
 * Scratch planes: 0-2 mu (r,g,b), 3-8 Sigma (rr, rg, rb, gg, gb, bb), 9 pbar
 * (gb), 10-12 B(I p) then a (B^T(G I) then h), 13 b (gpbar), 14-16 B(a)
 * (B^T(h)), 17 box tmp. */
static void apply(float *out, const float *in, const float *guide, int C, int H, int W, int r,
                  float eps, void *scratch, int adjoint) {
    const size_t plane = (size_t)H * W;
    float *f = scratch;
    float *mu = f, *sg = f + 3 * plane, *pb = f + 9 * plane, *ip = f + 10 * plane,
          *bb = f + 13 * plane, *ma = f + 14 * plane, *tmp = f + 17 * plane;
    double *acc = (double *)(f + GF_PLANES * plane);
    const float *I[3] = {guide, guide + plane, guide + 2 * plane};
    guide_stats(mu, sg, I, H, W, r, tmp, acc);
    for (int ch = 0; ch < C; ch++) {
        const float *P = in + (size_t)ch * plane;
        box_pass(pb, P, H, W, r, tmp, acc, adjoint);
        for (int c = 0; c < 3; c++) {
            float *s = ip + c * plane;
            for (size_t p = 0; p < plane; p++) s[p] = I[c][p] * P[p];
            box_pass(s, s, H, W, r, tmp, acc, adjoint);
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
        for (int c = 0; c < 3; c++) box_pass(ma + c * plane, ip + c * plane, H, W, r, tmp, acc, adjoint);
        box_pass(bb, bb, H, W, r, tmp, acc, adjoint);
        float *o = out + (size_t)ch * plane;
        for (size_t p = 0; p < plane; p++)
            o[p] = ma[p] * I[0][p] + ma[plane + p] * I[1][p] + ma[2 * plane + p] * I[2][p] + bb[p];
    }
}

void ccpl__guided_filter(float *out, const float *in, const float *guide, int C, int H, int W,
                         int r, float eps, void *scratch) {
    apply(out, in, guide, C, H, W, r, eps, scratch, 0);
}

void ccpl__guided_filter_adjoint(float *out, const float *in, const float *guide, int C, int H,
                                 int W, int r, float eps, void *scratch) {
    apply(out, in, guide, C, H, W, r, eps, scratch, 1);
}
