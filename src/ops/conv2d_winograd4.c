/* conv2d_winograd4.c — Winograd F(4x4,3x3); see conv2d_winograd4.h.
 *
 * With d a 6x6 input tile (padded rows 4ty-1 .. 4ty+4, likewise columns),
 * g a 3x3 kernel and m = (G g G^T) .* (B^T d B), the 4x4 output tile is
 * A^T m A, where (points 0, 1, -1, 2, -2, infinity)
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0;
 *          0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
 *          1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
 * The sum over input channels of the element-wise products is, for each of
 * the 36 positions e, a matrix product M[e] (OC, tiles) = U[e] (OC, C) .
 * V[e] (C, tiles): 36 products per band of tile rows, on ops/wino_gemm's
 * kernels. U is stored packed for them at weight-transform time (blocks of
 * MR output channels, [C][MR]), and the input transform writes V straight
 * into their panels of NR tiles ([C][NR]), so nothing is re-packed. */
#include "ops/conv2d_winograd4.h"

#include <string.h>

#include "ops/wino_gemm.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* Target floats of V + M per band, per thread (4 MiB), as F(2x2,3x3)'s. */
#define W4_BAND_TARGET ((size_t)1 << 20)

#define MR CCPL__WG_MR
#define NR CCPL__WG_NR

/* floats of one U[e]: OC rounded up to whole blocks of MR */
static size_t u_plane(int OC, int C) { return ccpl__wg_roundup((size_t)OC, MR) * (size_t)C; }

size_t ccpl__winograd4_weight_floats(int OC, int C) { return (size_t)36 * u_plane(OC, C); }

void ccpl__winograd4_weight_transform(float *U, const float *w, int OC, int C) {
    static const double G[6][3] = {{1.0 / 4, 0, 0},
                                   {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                   {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                   {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                   {0, 0, 1}};
    const size_t plane = u_plane(OC, C);
    /* U[e] block oc / MR, row c, column oc % MR; the rows past OC are zero */
    for (int e = 0; e < 36; e++)
        for (int oc = OC; oc < (int)ccpl__wg_roundup((size_t)OC, MR); oc++)
            for (int c = 0; c < C; c++)
                U[(size_t)e * plane + (size_t)(oc / MR) * MR * C + (size_t)c * MR + oc % MR] = 0.0f;
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++) {
            const float *g = w + ((size_t)oc * C + c) * 9;
            double t[6][3]; /* G g */
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 3; j++)
                    t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
            for (int i = 0; i < 6; i++) /* (G g) G^T */
                for (int j = 0; j < 6; j++)
                    U[(size_t)(i * 6 + j) * plane + (size_t)(oc / MR) * MR * C + (size_t)c * MR +
                      oc % MR] =
                        (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
        }
}

static int band_rows(int C, int OC, int TW, int TH) {
    const size_t per_row = (size_t)36 * (size_t)(C + OC) * (size_t)TW;
    size_t rows = W4_BAND_TARGET / per_row;
    if (rows < 1) rows = 1;
    if (rows > (size_t)TH) rows = (size_t)TH;
    return (int)rows;
}

/* padded row width: columns -1 .. 4 TW + 4 */
static size_t padded_w(int W) { return (size_t)4 * ((W + 3) / 4) + 2; }

/* V (36, panels of NR tiles, C, NR), M (36, OC, tiles rounded up to NR),
 * a zero row and 6 combined rows (7 Wp), the edge columns (96), the output
 * transform's (40, tiles) */
static size_t thread_floats(int C, int OC, int H, int W) {
    const int TH = (H + 3) / 4, TW = (W + 3) / 4;
    const size_t tb = (size_t)band_rows(C, OC, TW, TH) * TW, tbp = ccpl__wg_roundup(tb, NR);
    return (size_t)36 * (size_t)(C + OC) * tbp + 7 * padded_w(W) + 96 + (size_t)40 * tb;
}

size_t ccpl__winograd4_scratch_floats(int C, int OC, int H, int W, int n_threads) {
    return (size_t)(n_threads < 1 ? 1 : n_threads) * thread_floats(C, OC, H, W);
}

/* Source of padded coordinate p in [-1, ...] on a side of n: p itself
 * inside, the mirror (-1 -> 1, n -> n-2) or -1 (zero) at the pad, -1 past
 * it (those inputs only feed outputs that are cut off). */
static inline int src1(int p, int n, ccpl__pad_mode mode) {
    if (p >= 0 && p < n) return p;
    if (p > n || p < -1 || mode == CCPL__PAD_ZERO) return -1;
    return p < 0 ? 1 : n - 2;
}

/* The transforms' loops, each on restrict pointers: written inline on
 * plain pointers into shared buffers, gcc 12 vectorised none of them
 * (-fopt-info-vec: "couldn't vectorize loop"), and the scalar transforms
 * were 37 % of a one-thread run, as much as the products. */
#define W4_INLINE static inline __attribute__((always_inline))

/* B^T d, down the columns of six padded rows */
W4_INLINE void cols_in(float *restrict t0, float *restrict t1, float *restrict t2,
                       float *restrict t3, float *restrict t4, float *restrict t5,
                       const float *restrict r0, const float *restrict r1,
                       const float *restrict r2, const float *restrict r3,
                       const float *restrict r4, const float *restrict r5, size_t n) {
    for (size_t q = 0; q < n; q++) {
        t0[q] = 4 * r0[q] - 5 * r2[q] + r4[q];
        t1[q] = -4 * (r1[q] + r2[q]) + r3[q] + r4[q];
        t2[q] = 4 * (r1[q] - r2[q]) - r3[q] + r4[q];
        t3[q] = 2 * (r3[q] - r1[q]) - r2[q] + r4[q];
        t4[q] = 2 * (r1[q] - r3[q]) - r2[q] + r4[q];
        t5[q] = 4 * r1[q] - 5 * r3[q] + r5[q];
    }
}

/* (B^T d) B along a combined row: tile tx reads d[4 tx .. 4 tx + 5] */
W4_INLINE void row_in(float *restrict v0, float *restrict v1, float *restrict v2,
                      float *restrict v3, float *restrict v4, float *restrict v5,
                      const float *restrict d, int n) {
    for (int tx = 0; tx < n; tx++, d += 4) {
        v0[tx] = 4 * d[0] - 5 * d[2] + d[4];
        v1[tx] = -4 * (d[1] + d[2]) + d[3] + d[4];
        v2[tx] = 4 * (d[1] - d[2]) - d[3] + d[4];
        v3[tx] = 2 * (d[3] - d[1]) - d[2] + d[4];
        v4[tx] = 2 * (d[1] - d[3]) - d[2] + d[4];
        v5[tx] = 4 * d[1] - 5 * d[3] + d[5];
    }
}

/* A^T m (one direction of the output transform) plus bias */
W4_INLINE void out_4of6(float *restrict o0, float *restrict o1, float *restrict o2,
                        float *restrict o3, const float *restrict m0, const float *restrict m1,
                        const float *restrict m2, const float *restrict m3,
                        const float *restrict m4, const float *restrict m5, float bias, int n) {
    for (int q = 0; q < n; q++) {
        const float s12 = m1[q] + m2[q], d12 = m1[q] - m2[q];
        const float s34 = m3[q] + m4[q], d34 = m3[q] - m4[q];
        o0[q] = m0[q] + s12 + s34 + bias;
        o1[q] = d12 + 2 * d34 + bias;
        o2[q] = s12 + 4 * s34 + bias;
        o3[q] = d12 + 8 * d34 + m5[q] + bias;
    }
}

/* row[4 tx + cc] = y_cc[tx] */
W4_INLINE void interleave4(float *restrict row, const float *restrict y0,
                           const float *restrict y1, const float *restrict y2,
                           const float *restrict y3, int n) {
    for (int tx = 0; tx < n; tx++) {
        row[4 * tx] = y0[tx];
        row[4 * tx + 1] = y1[tx];
        row[4 * tx + 2] = y2[tx];
        row[4 * tx + 3] = y3[tx];
    }
}

/* One band: tile rows tr0 .. tr0+nr-1. Compiled twice (CCPL__WG_DISPATCH,
 * ops/wino_gemm.h): the transforms vectorise twice as wide with AVX2. */
W4_INLINE void band_body(ccpl__wg_kernel kern, float *out, const float *inp, const float *U,
                         const float *b, int C, int H, int W, int OC, ccpl__pad_mode pad_mode,
                         int relu, int tr0, int nr, float *V, float *M, float *r) {
    const int TW = (W + 3) / 4;
    const size_t Wp = padded_w(W);
    const int tb = nr * TW, np = (tb + NR - 1) / NR;
    const size_t ldm = (size_t)np * NR; /* M's row stride */
    const size_t plane_in = (size_t)H * W, plane_w = u_plane(OC, C);
    const size_t vs = (size_t)C * ldm, ms = (size_t)OC * ldm; /* strides of e */
    float *zero = r, *t = r + Wp, *edge = r + 7 * Wp; /* W zeros, 6 combined rows, 96 */
    float *a = edge + 96, *y = a + (size_t)24 * tb;  /* output: (4,6,tb), (4,4,tb) */

    /* V[e][tile / NR][c][tile % NR] = (B^T d B)[e]; the last panel's tiles
       past tb are zero (their products are computed, never read) */
    if (tb % NR)
        for (size_t ec = 0; ec < (size_t)36 * C; ec++)
            memset(V + (ec / C) * vs + (size_t)(np - 1) * NR * C + (ec % C) * NR + tb % NR, 0,
                   sizeof(float) * (size_t)(NR - tb % NR));
    memset(zero, 0, sizeof(float) * (size_t)W);
    for (int c = 0; c < C; c++) {
        const float *x = inp + (size_t)c * plane_in;
        for (int ty = 0; ty < nr; ty++) {
            const int p0 = 4 * (tr0 + ty) - 1;
            /* B^T d down the columns, straight from the image rows for
               padded columns 1 .. W, from a few gathered values for the
               others (column 0 and W+1 .. Wp-1, at most five) */
            const float *src[6];
            const int ne = (int)Wp - W; /* edge: (6 rows, 8) gathered, then (6, 8) combined */
            for (int i = 0; i < 6; i++) {
                const int sy = src1(p0 + i, H, pad_mode);
                src[i] = sy < 0 ? zero : x + (size_t)sy * W;
                for (int j = 0; j < ne; j++) {
                    const int q = j == 0 ? 0 : W + j; /* padded column */
                    const int sx = src1(q - 1, W, pad_mode);
                    edge[i * 8 + j] = sy >= 0 && sx >= 0 ? src[i][sx] : 0.0f;
                }
            }
            cols_in(t + 1, t + Wp + 1, t + 2 * Wp + 1, t + 3 * Wp + 1, t + 4 * Wp + 1,
                    t + 5 * Wp + 1, src[0], src[1], src[2], src[3], src[4], src[5], (size_t)W);
            float *te = edge + 48;
            cols_in(te, te + 8, te + 16, te + 24, te + 32, te + 40, edge, edge + 8, edge + 16,
                    edge + 24, edge + 32, edge + 40, (size_t)ne);
            for (int k = 0; k < 6; k++)
                for (int j = 0; j < ne; j++) t[k * Wp + (j == 0 ? 0 : (size_t)W + j)] = te[k * 8 + j];
            for (int k = 0; k < 6; k++) { /* (B^T d) B, along the rows */
                const float *tk = t + k * Wp;
                /* runs of tiles that share a panel */
                for (int tx0 = 0, n; tx0 < TW; tx0 += n) {
                    const int tile = ty * TW + tx0;
                    n = NR - tile % NR < TW - tx0 ? NR - tile % NR : TW - tx0;
                    float *v = V + (size_t)(6 * k) * vs + (size_t)(tile / NR) * NR * C +
                               (size_t)c * NR + tile % NR;
                    row_in(v, v + vs, v + 2 * vs, v + 3 * vs, v + 4 * vs, v + 5 * vs, tk + 4 * tx0,
                           n);
                }
            }
        }
    }

    /* M[e] (OC, tb) = U[e] (OC, C) . V[e] (C, tb) */
    for (int e = 0; e < 36; e++)
        ccpl__wg_gemm(kern, M + (size_t)e * ms, ldm, U + (size_t)e * plane_w, V + (size_t)e * vs, OC,
                      C, np);

    /* Y = A^T m A + b, ReLU, into the image */
    for (int oc = 0; oc < OC; oc++) {
        const float bias = b ? b[oc] : 0.0f;
        const float *mo = M + (size_t)oc * ldm;
        for (int l = 0; l < 6; l++) { /* a[rr][l] = (A^T m)[rr][l], down k */
            const float *m0 = mo + (size_t)l * ms, *m1 = m0 + 6 * ms, *m2 = m0 + 12 * ms,
                        *m3 = m0 + 18 * ms, *m4 = m0 + 24 * ms, *m5 = m0 + 30 * ms;
            float *a0 = a + (size_t)l * tb;
            out_4of6(a0, a0 + (size_t)6 * tb, a0 + (size_t)12 * tb, a0 + (size_t)18 * tb, m0, m1,
                     m2, m3, m4, m5, 0.0f, tb);
        }
        for (int rr = 0; rr < 4; rr++) { /* y[rr][cc] = (a A)[rr][cc], along l */
            const float *n0 = a + (size_t)(6 * rr) * tb, *n1 = n0 + tb, *n2 = n0 + 2 * (size_t)tb,
                        *n3 = n0 + 3 * (size_t)tb, *n4 = n0 + 4 * (size_t)tb, *n5 = n0 + 5 * (size_t)tb;
            float *y0 = y + (size_t)(4 * rr) * tb;
            out_4of6(y0, y0 + tb, y0 + 2 * (size_t)tb, y0 + 3 * (size_t)tb, n0, n1, n2, n3, n4, n5,
                     bias, tb);
        }
        if (relu)
            for (size_t i = 0; i < (size_t)16 * tb; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        for (int ty = 0; ty < nr; ty++)
            for (int rr = 0; rr < 4; rr++) {
                const int oy = 4 * (tr0 + ty) + rr;
                if (oy >= H) break;
                float *row = out + (size_t)oc * plane_in + (size_t)oy * W;
                const float *yr = y + (size_t)(4 * rr) * tb + (size_t)ty * TW;
                const int full = W / 4; /* whole tiles, then a partial one */
                interleave4(row, yr, yr + tb, yr + 2 * (size_t)tb, yr + 3 * (size_t)tb, full);
                for (int cc = 0; 4 * full + cc < W; cc++)
                    row[4 * full + cc] = yr[(size_t)cc * tb + full];
            }
    }
}

#define BAND_PARAMS                                                                              \
    ccpl__wg_kernel kern, float *out, const float *inp, const float *U, const float *b, int C,   \
        int H, int W, int OC, ccpl__pad_mode pad_mode, int relu, int tr0, int nr, float *V,      \
        float *M, float *r
#define BAND_ARGS kern, out, inp, U, b, C, H, W, OC, pad_mode, relu, tr0, nr, V, M, r

CCPL__WG_DISPATCH(band, band_body, BAND_PARAMS, BAND_ARGS)

void ccpl__winograd4_forward_with(ccpl__wg_kernel kernel, float *out, const float *inp,
                                  const float *U, const float *b, int C, int H, int W, int OC,
                                  ccpl__pad_mode pad_mode, int relu, float *scratch, int n_threads) {
    const int TH = (H + 3) / 4, TW = (W + 3) / 4;
    const int nb = band_rows(C, OC, TW, TH), n_bands = (TH + nb - 1) / nb;
    const ccpl__wg_kernel kern = ccpl__wg_resolve(kernel);
    /* bands in parallel, each on one thread (the products are ours, serial) */
    const int nt = n_threads > 1 && n_bands > 1 ? n_threads : 1;
    const size_t per_thread = thread_floats(C, OC, H, W);
    const size_t tbp = ccpl__wg_roundup((size_t)nb * TW, NR);
    const size_t vm = (size_t)36 * C * tbp, mm = (size_t)36 * OC * tbp;
    if (nt == 1) {
        for (int k = 0; k < n_bands; k++) {
            const int tr0 = k * nb;
            band(kern, out, inp, U, b, C, H, W, OC, pad_mode, relu, tr0,
                 tr0 + nb <= TH ? nb : TH - tr0, scratch, scratch + vm, scratch + vm + mm);
        }
        return;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int k = 0; k < n_bands; k++) {
#ifdef _OPENMP
        float *V = scratch + (size_t)omp_get_thread_num() * per_thread;
#else
        float *V = scratch;
#endif
        const int tr0 = k * nb;
        band(kern, out, inp, U, b, C, H, W, OC, pad_mode, relu, tr0,
             tr0 + nb <= TH ? nb : TH - tr0, V, V + vm, V + vm + mm);
    }
    (void)per_thread;
}

void ccpl__winograd4_forward(float *out, const float *inp, const float *U, const float *b, int C,
                             int H, int W, int OC, ccpl__pad_mode pad_mode, int relu,
                             float *scratch, int n_threads) {
    ccpl__winograd4_forward_with(CCPL__WG_AUTO, out, inp, U, b, C, H, W, OC, pad_mode, relu, scratch,
                                 n_threads);
}
