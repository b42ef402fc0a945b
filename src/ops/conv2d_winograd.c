#include "ops/conv2d_winograd.h"

#include <string.h>

#include "ops/wino_gemm.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* Target floats of V + M per band, per thread (4 MiB): a band's transforms
 * and its 16 products then run out of the processor's caches. Each thread
 * takes whole bands; the products are ops/wino_gemm's (serial, on operands
 * packed once: U at weight-transform time, V written by the input transform
 * straight into panels), as F(4x4,3x3)'s. OpenBLAS's sgemm, called 16 times
 * per band, re-packed the constant U for every call (issue 14). */
#define WINO_BAND_TARGET ((size_t)1 << 20)

#define MR CCPL__WG_MR
#define NR CCPL__WG_NR

/* floats of one U[e]: OC rounded up to whole blocks of MR */
static size_t u_plane(int OC, int C) { return ccpl__wg_roundup((size_t)OC, MR) * (size_t)C; }

int ccpl__winograd_suits(int C, int OC, int K, int pad) {
    return K == 3 && pad == 1 && C >= 16 && OC >= 16;
}

size_t ccpl__winograd_weight_floats(int OC, int C) { return (size_t)16 * u_plane(OC, C); }

void ccpl__winograd_weight_transform(float *U, const float *w, int OC, int C) {
    const size_t plane = u_plane(OC, C);
    /* U[e] block oc / MR, row c, column oc % MR; the rows past OC are zero */
    for (int e = 0; e < 16; e++)
        for (int oc = OC; oc < (int)ccpl__wg_roundup((size_t)OC, MR); oc++)
            for (int c = 0; c < C; c++)
                U[(size_t)e * plane + (size_t)(oc / MR) * MR * C + (size_t)c * MR + oc % MR] = 0.0f;
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++) {
            const float *g = w + ((size_t)oc * C + c) * 9;
            float t[4][3]; /* G g: (4,3) */
            for (int j = 0; j < 3; j++) {
                const float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                t[0][j] = g0;
                t[1][j] = 0.5f * (g0 + g1 + g2);
                t[2][j] = 0.5f * (g0 - g1 + g2);
                t[3][j] = g2;
            }
            for (int i = 0; i < 4; i++) { /* (G g) G^T: (4,4) */
                const float a = t[i][0], m = t[i][1], z = t[i][2];
                float *u = U + (size_t)(i * 4) * plane + (size_t)(oc / MR) * MR * C +
                           (size_t)c * MR + oc % MR;
                u[0 * plane] = a;
                u[1 * plane] = 0.5f * (a + m + z);
                u[2 * plane] = 0.5f * (a - m + z);
                u[3 * plane] = z;
            }
        }
}

static int band_rows(int C, int OC, int TW, int TH) {
    size_t per_row = (size_t)16 * (size_t)(C + OC) * (size_t)TW;
    size_t rows = WINO_BAND_TARGET / per_row;
    if (rows < 1) rows = 1;
    if (rows > (size_t)TH) rows = (size_t)TH;
    return (int)rows;
}

/* Per-thread row buffers: 4 padded input rows, split into even and odd
 * columns (TW+1 each), and their 4 vertical combinations, likewise. */
static size_t half_floats(int W) { return (size_t)(W + 1) / 2 + 1; }
static size_t row_floats(int W) { return 16 * half_floats(W); }

/* V (16, panels of NR tiles, C, NR), M (16, OC, tiles rounded up to NR),
 * the row buffers, the output transform's (4, tb) */
static size_t thread_floats(int C, int OC, int H, int W) {
    const int TH = (H + 1) / 2, TW = (W + 1) / 2;
    const size_t tb = (size_t)band_rows(C, OC, TW, TH) * TW, tbp = ccpl__wg_roundup(tb, NR);
    return (size_t)16 * (size_t)(C + OC) * tbp + row_floats(W) + (size_t)4 * tb;
}

size_t ccpl__winograd_scratch_floats(int C, int OC, int H, int W, int n_threads) {
    return (size_t)(n_threads < 1 ? 1 : n_threads) * thread_floats(C, OC, H, W);
}

/* Source index of padded coordinate p in [-1, n] (n: the side), -1 for a
 * zero; coordinates past n only feed outputs that are cut off. */
static inline int src1(int p, int n, ccpl__pad_mode mode) {
    if (p >= 0 && p < n) return p;
    if (p > n || mode == CCPL__PAD_ZERO) return -1;
    return p < 0 ? 1 : n - 2; /* reflect: -1 -> 1, n -> n-2 */
}

/* One padded input row p of channel plane x (H,W), split by column parity:
 * even[j] = x[p][2j-1], odd[j] = x[p][2j], j in [0, TW+1) (padded column
 * q = 2j-1 or 2j; -1 and W mirror or are zero, beyond W zero). */
static inline __attribute__((always_inline)) void load_row(float *restrict even, float *restrict odd, const float *x, int p, int H,
                     int W, ccpl__pad_mode mode) {
    const int n = (int)half_floats(W);
    const int sy = src1(p, H, mode);
    if (sy < 0) {
        memset(even, 0, sizeof(float) * (size_t)n);
        memset(odd, 0, sizeof(float) * (size_t)n);
        return;
    }
    const float *restrict s = x + (size_t)sy * W;
    const int inner = (W - 1) / 2; /* j in [1, inner]: both 2j-1 and 2j inside */
    for (int j = 1; j <= inner; j++) {
        even[j] = s[2 * j - 1];
        odd[j] = s[2 * j];
    }
    for (int j = 0; j < n; j = j ? j + 1 : inner + 1) { /* j = 0 and j > inner */
        const int qe = src1(2 * j - 1, W, mode), qo = src1(2 * j, W, mode);
        even[j] = qe >= 0 ? s[qe] : 0.0f;
        odd[j] = qo >= 0 ? s[qo] : 0.0f;
    }
}

/* B^T applied down 4 rows: a = (r0 - r2, r1 + r2, r2 - r1, r1 - r3). */
static inline __attribute__((always_inline)) void combine_rows(float *restrict a0, float *restrict a1, float *restrict a2,
                         float *restrict a3, const float *restrict r0, const float *restrict r1,
                         const float *restrict r2, const float *restrict r3, int n) {
    for (int q = 0; q < n; q++) {
        a0[q] = r0[q] - r2[q];
        a1[q] = r1[q] + r2[q];
        a2[q] = r2[q] - r1[q];
        a3[q] = r1[q] - r3[q];
    }
}

/* B applied along a row split by parity: tile tx has columns
 * (E[tx], O[tx], E[tx+1], O[tx+1]). */
static inline __attribute__((always_inline)) void combine_cols(float *restrict v0, float *restrict v1, float *restrict v2,
                         float *restrict v3, const float *restrict E, const float *restrict O,
                         int TW) {
    for (int tx = 0; tx < TW; tx++) {
        v0[tx] = E[tx] - E[tx + 1];
        v1[tx] = O[tx] + E[tx + 1];
        v2[tx] = E[tx + 1] - O[tx];
        v3[tx] = O[tx] - O[tx + 1];
    }
}

/* One output column j of every tile: m points at M[e = j] of this output
 * channel, ms is the stride of e; col j+i of row k is m[(4k+i)*ms]. sign -1
 * gives column 1 (t1 - t2 - t3), +1 column 0 (t0 + t1 + t2). */
static inline __attribute__((always_inline)) void output_col(float *restrict o0, float *restrict o1, const float *restrict m, size_t ms,
                       float sign, float bias, int tb) {
    const float *restrict m0 = m, *restrict m1 = m + ms, *restrict m2 = m + 2 * ms;
    const float *restrict m4 = m + 4 * ms, *restrict m5 = m + 5 * ms, *restrict m6 = m + 6 * ms;
    const float *restrict m8 = m + 8 * ms, *restrict m9 = m + 9 * ms, *restrict m10 = m + 10 * ms;
    const float *restrict m12 = m + 12 * ms, *restrict m13 = m + 13 * ms,
                          *restrict m14 = m + 14 * ms;
    for (int t = 0; t < tb; t++) {
        const float c0 = m0[t] + m4[t] + m8[t], c1 = m1[t] + m5[t] + m9[t],
                    c2 = m2[t] + m6[t] + m10[t];
        const float d0 = m4[t] - m8[t] - m12[t], d1 = m5[t] - m9[t] - m13[t],
                    d2 = m6[t] - m10[t] - m14[t];
        o0[t] = c0 + sign * (c1 + c2) + bias;
        o1[t] = d0 + sign * (d1 + d2) + bias;
    }
}

/* Interleaves two columns into one image row: row[2t] = c0[t], row[2t+1] = c1[t]. */
static inline __attribute__((always_inline)) void interleave(float *restrict row, const float *restrict c0, const float *restrict c1,
                       int n) {
    for (int t = 0; t < n; t++) {
        row[2 * t] = c0[t];
        row[2 * t + 1] = c1[t];
    }
}

/* One band: tile rows tr0 .. tr0+nr-1, with this thread's buffers.
 * Compiled twice (CCPL__WG_DISPATCH, ops/wino_gemm.h), as F(4x4,3x3)'s. */
static inline __attribute__((always_inline)) void
band_body(ccpl__wg_kernel kern, float *out, const float *inp, const float *U, const float *b,
          int C, int H, int W, int OC, ccpl__pad_mode pad_mode, int relu, int tr0, int nr, float *V,
          float *M, float *r) {
    const int TW = (W + 1) / 2, n = (int)half_floats(W);
    const int tb = nr * TW, np = (tb + NR - 1) / NR;
    const size_t ldm = (size_t)np * NR; /* M's row stride */
    const size_t plane_in = (size_t)H * W, plane_w = u_plane(OC, C);
    const size_t vs = (size_t)C * ldm, ms = (size_t)OC * ldm; /* strides of e */
    float *ev = r, *od = r + 4 * n;            /* input rows i: ev + i*n, od + i*n */
    float *ae = r + 8 * n, *ao = r + 12 * n;   /* B^T d rows k: ae + k*n, ao + k*n */
    float *ytmp = r + 16 * n;                  /* (4, tb) output rows before interleaving */

    /* V[e][tile / NR][c][tile % NR] = (B^T d B)[e] for every tile of the
       band; the last panel's tiles past tb are zero (their products are
       computed, never read). With d's columns split by parity (E: columns
       0,2 of each tile, O: 1,3), tile tx reads E[tx], O[tx], E[tx+1],
       O[tx+1]: all loops run on contiguous data. */
    if (tb % NR)
        for (size_t ec = 0; ec < (size_t)16 * C; ec++)
            memset(V + (ec / C) * vs + (size_t)(np - 1) * NR * C + (ec % C) * NR + tb % NR, 0,
                   sizeof(float) * (size_t)(NR - tb % NR));
    for (int c = 0; c < C; c++)
        for (int ty = 0; ty < nr; ty++) {
            const float *x = inp + (size_t)c * plane_in;
            const int p0 = 2 * (tr0 + ty) - 1;
            for (int i = 0; i < 4; i++) load_row(ev + i * n, od + i * n, x, p0 + i, H, W, pad_mode);
            for (int h = 0; h < 2; h++) { /* B^T d, down the columns */
                const float *r0 = h ? od : ev;
                float *a0 = h ? ao : ae;
                combine_rows(a0, a0 + n, a0 + 2 * n, a0 + 3 * n, r0, r0 + n, r0 + 2 * n,
                             r0 + 3 * n, n);
            }
            for (int k = 0; k < 4; k++) /* (B^T d) B, along the rows */
                for (int tx0 = 0, cnt; tx0 < TW; tx0 += cnt) { /* runs of tiles sharing a panel */
                    const int tile = ty * TW + tx0;
                    cnt = NR - tile % NR < TW - tx0 ? NR - tile % NR : TW - tx0;
                    float *v0 = V + (size_t)(4 * k) * vs + (size_t)(tile / NR) * NR * C +
                                (size_t)c * NR + tile % NR;
                    combine_cols(v0, v0 + vs, v0 + 2 * vs, v0 + 3 * vs, ae + k * n + tx0,
                                 ao + k * n + tx0, cnt);
                }
        }

    /* M[e] (OC, tb) = U[e] (OC, C) . V[e] (C, tb) */
    for (int e = 0; e < 16; e++)
        ccpl__wg_gemm(kern, M + (size_t)e * ms, ldm, U + (size_t)e * plane_w, V + (size_t)e * vs, OC,
                      C, np);

    /* Y = A^T M A + b, ReLU: first (2,4) = A^T m per tile into 8 rows, then
       the 2x2 outputs into ytmp, then interleaved into the image rows */
    for (int oc = 0; oc < OC; oc++) {
        const float bias = b ? b[oc] : 0.0f;
        const float *mo = M + (size_t)oc * ldm;
        float *restrict y00 = ytmp, *restrict y01 = ytmp + tb, *restrict y10 = ytmp + 2 * (size_t)tb,
                        *restrict y11 = ytmp + 3 * (size_t)tb;
        output_col(y00, y10, mo, ms, 1.0f, bias, tb);
        output_col(y01, y11, mo + ms, ms, -1.0f, bias, tb);
        if (relu)
            for (size_t i = 0; i < 4 * (size_t)tb; i++) ytmp[i] = ytmp[i] > 0.0f ? ytmp[i] : 0.0f;
        for (int ty = 0; ty < nr; ty++) {
            const int oy = 2 * (tr0 + ty);
            float *restrict row0 = out + (size_t)oc * plane_in + (size_t)oy * W;
            const size_t o = (size_t)ty * TW;
            const int full = W / 2; /* tiles with both columns inside */
            interleave(row0, y00 + o, y01 + o, full);
            if (full < TW) row0[2 * full] = y00[o + full];
            if (oy + 1 < H) {
                float *row1 = row0 + W;
                interleave(row1, y10 + o, y11 + o, full);
                if (full < TW) row1[2 * full] = y10[o + full];
            }
        }
    }
}

#define BAND_PARAMS                                                                              \
    ccpl__wg_kernel kern, float *out, const float *inp, const float *U, const float *b, int C,   \
        int H, int W, int OC, ccpl__pad_mode pad_mode, int relu, int tr0, int nr, float *V,      \
        float *M, float *r
#define BAND_ARGS kern, out, inp, U, b, C, H, W, OC, pad_mode, relu, tr0, nr, V, M, r

CCPL__WG_DISPATCH(band, band_body, BAND_PARAMS, BAND_ARGS)

void ccpl__winograd_forward_with(ccpl__wg_kernel kernel, float *out, const float *inp,
                                 const float *U, const float *b, int C, int H, int W, int OC,
                                 ccpl__pad_mode pad_mode, int relu, float *scratch, int n_threads) {
    const int TH = (H + 1) / 2, TW = (W + 1) / 2;
    const int nb = band_rows(C, OC, TW, TH), n_bands = (TH + nb - 1) / nb;
    const ccpl__wg_kernel kern = ccpl__wg_resolve(kernel);
    /* bands in parallel, each on one thread (the products are ours, serial);
       a band's arithmetic does not depend on the thread that runs it */
    const int nt = n_threads > 1 && n_bands > 1 ? n_threads : 1;
    const size_t per_thread = thread_floats(C, OC, H, W);
    const size_t tbp = ccpl__wg_roundup((size_t)nb * TW, NR);
    const size_t vm = (size_t)16 * C * tbp, mm = (size_t)16 * OC * tbp;
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

void ccpl__winograd_forward(float *out, const float *inp, const float *U, const float *b, int C,
                            int H, int W, int OC, ccpl__pad_mode pad_mode, int relu, float *scratch,
                            int n_threads) {
    ccpl__winograd_forward_with(CCPL__WG_AUTO, out, inp, U, b, C, H, W, OC, pad_mode, relu, scratch,
                                n_threads);
}
