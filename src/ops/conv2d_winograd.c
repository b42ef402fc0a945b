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
#define ALIGN CCPL__WG_LINE
/* A cache line between V's planes and between M's rows: their strides are
 * otherwise multiples of 4 KiB for most layers (e.g. 128 KiB between V's
 * planes at C = 64 and 512 tiles), so that the 16 planes the input
 * transform writes at once, and the 16 rows of M the output transform reads
 * at once, all fell in one of L1's 8-way sets. */
#define SKEW ((size_t)16)

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

/* Per-thread row buffers: a ring of 4 padded input rows, split into even
 * and odd columns (TW+1 each), and a scratch output row. */
static size_t half_floats(int W) { return (size_t)(W + 1) / 2 + 1; }
static size_t row_floats(int W) { return 10 * half_floats(W); }

/* V (16, panels of NR tiles, C, NR), M (OC, 16, tiles rounded up to NR),
 * the row buffers */
static size_t thread_floats(int C, int OC, int H, int W) {
    const int TH = (H + 1) / 2, TW = (W + 1) / 2;
    const size_t tb = (size_t)band_rows(C, OC, TW, TH) * TW, tbp = ccpl__wg_roundup(tb, NR);
    return ccpl__wg_roundup((size_t)16 * ((size_t)C * tbp + SKEW) +
                                (size_t)16 * OC * (tbp + SKEW) + row_floats(W),
                            ALIGN);
}

size_t ccpl__winograd_scratch_floats(int C, int OC, int H, int W, int n_threads) {
    return (size_t)(n_threads < 1 ? 1 : n_threads) * thread_floats(C, OC, H, W) + ALIGN - 1;
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

#define WINO_INLINE static inline __attribute__((always_inline))

/* 8 floats as one value (GCC and Clang vector extensions): the generic
 * build runs each operation as two SSE instructions, the AVX2 build as one.
 * gcc 12 vectorised neither fused transform below by itself (issue 14). */
typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4), may_alias)); /* any float* */
/* macros rather than functions: a vector argument or return value of a
 * function would change the ABI of the generic build (-Wpsabi) */
#define ld8(p) (*(const v8u *)(p))
#define st8(p, x) (*(v8u *)(p) = (x))
/* and 4 floats (SSE in both builds), for short runs */
typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4), may_alias));
#define ld4(p) (*(const v4u *)(p))
#define st4(p, x) (*(v4u *)(p) = (x))

/* (B^T d B)[e] of tile t, for T = float (one tile) or v8 (tiles t .. t+7):
 * the input rows split by parity (E[i], O[i]: row i's even and odd
 * columns), tile t reading E[i][t], O[i][t], E[i][t+1], O[i][t+1]; v: V[e =
 * 0] of tile 0, vs: the stride of e. The same sums in the same order as B^T
 * down the rows, then B along them, with nothing stored in between (the
 * vertical sums of column t+1 are computed again rather than stored and
 * re-read). */
#define TILE_IN(T, LD, ST)                                                                      \
    do {                                                                                        \
        const T E0 = LD(E[0] + t), E1 = LD(E[1] + t), E2 = LD(E[2] + t), E3 = LD(E[3] + t);      \
        const T O0 = LD(O[0] + t), O1 = LD(O[1] + t), O2 = LD(O[2] + t), O3 = LD(O[3] + t);      \
        const T F0 = LD(E[0] + t + 1), F1 = LD(E[1] + t + 1), F2 = LD(E[2] + t + 1),             \
                F3 = LD(E[3] + t + 1);                                                          \
        const T G0 = LD(O[0] + t + 1), G1 = LD(O[1] + t + 1), G2 = LD(O[2] + t + 1),             \
                G3 = LD(O[3] + t + 1);                                                          \
        /* B^T d of the tile's 4 columns (e: E[t], o: O[t], f: E[t+1], g: O[t+1]) */             \
        const T e0 = E0 - E2, e1 = E1 + E2, e2 = E2 - E1, e3 = E1 - E3;                         \
        const T o0 = O0 - O2, o1 = O1 + O2, o2 = O2 - O1, o3 = O1 - O3;                         \
        const T f0 = F0 - F2, f1 = F1 + F2, f2 = F2 - F1, f3 = F1 - F3;                         \
        const T g0 = G0 - G2, g1 = G1 + G2, g2 = G2 - G1, g3 = G1 - G3;                         \
        /* then B along each row k: (e - f, o + f, f - o, o - g) */                             \
        float *w = v + t;                                                                       \
        ST(w, e0 - f0), ST(w + vs, o0 + f0), ST(w + 2 * vs, f0 - o0), ST(w + 3 * vs, o0 - g0);  \
        w += 4 * vs;                                                                            \
        ST(w, e1 - f1), ST(w + vs, o1 + f1), ST(w + 2 * vs, f1 - o1), ST(w + 3 * vs, o1 - g1);  \
        w += 4 * vs;                                                                            \
        ST(w, e2 - f2), ST(w + vs, o2 + f2), ST(w + 2 * vs, f2 - o2), ST(w + 3 * vs, o2 - g2);  \
        w += 4 * vs;                                                                            \
        ST(w, e3 - f3), ST(w + vs, o3 + f3), ST(w + 2 * vs, f3 - o3), ST(w + 3 * vs, o3 - g3);  \
    } while (0)
#define LD1(p) (*(p))
#define ST1(p, x) (*(p) = (x))

/* cnt consecutive tiles of one tile row, straight into V's panels. Where
 * TW is no multiple of NR (odd in every input gradient: 17 .. 129 tiles),
 * the panels cut the runs anywhere; a run's last tiles are then done as a
 * last vector ending at its end, overlapping the one before (the tiles in
 * both are written twice, with the same values): one tile at a time, they
 * made those layers 6-10 % slower than before the fusion. */
WINO_INLINE void tiles_in(float *restrict v, size_t vs, const float *const E[4],
                          const float *const O[4], int cnt) {
    int t = 0;
    if (cnt >= 8) {
        for (; t + 8 <= cnt; t += 8) TILE_IN(v8, ld8, st8);
        if (t < cnt) {
            t = cnt - 8;
            TILE_IN(v8, ld8, st8);
        }
    } else if (cnt >= 4) {
        TILE_IN(v4, ld4, st4);
        if (cnt > 4) {
            t = cnt - 4;
            TILE_IN(v4, ld4, st4);
        }
    } else {
        for (; t < cnt; t++) TILE_IN(float, LD1, ST1);
    }
}

/* Y = A^T m A + bias (then ReLU) of tile t, for T = float or v8 as above:
 * y00, y01 (output row 0, columns 0 and 1), y10, y11; m points at one
 * output channel's M[e = 0] of tile 0, ms is the stride of e (m[(4k+i)*ms]
 * is row k, column i). A^T = [1 1 1 0; 0 1 -1 -1]: the column sums of A^T
 * m that both output columns use are computed once; the additions are
 * otherwise those of t0 + s*(t1 + t2), s = +-1, in the order they had when
 * each output column was a pass of its own. */
#define TILE_OUT(T, LD)                                                                         \
    const float *p = m + t;                                                                     \
    const T c0 = LD(p) + LD(p + 4 * ms) + LD(p + 8 * ms),                                       \
            c1 = LD(p + ms) + LD(p + 5 * ms) + LD(p + 9 * ms),                                  \
            c2 = LD(p + 2 * ms) + LD(p + 6 * ms) + LD(p + 10 * ms),                             \
            c3 = LD(p + 3 * ms) + LD(p + 7 * ms) + LD(p + 11 * ms);                             \
    const T d0 = LD(p + 4 * ms) - LD(p + 8 * ms) - LD(p + 12 * ms),                             \
            d1 = LD(p + 5 * ms) - LD(p + 9 * ms) - LD(p + 13 * ms),                             \
            d2 = LD(p + 6 * ms) - LD(p + 10 * ms) - LD(p + 14 * ms),                            \
            d3 = LD(p + 7 * ms) - LD(p + 11 * ms) - LD(p + 15 * ms);                            \
    T y00 = c0 + (c1 + c2) + bias, y01 = c1 - (c2 + c3) + bias;                                 \
    T y10 = d0 + (d1 + d2) + bias, y11 = d1 - (d2 + d3) + bias

WINO_INLINE float relu1(float y) { return y > 0.0f ? y : 0.0f; }
/* y > 0 ? y : 0 on 8 floats, NaN and -0 to +0 as relu1 */
#define relu8(y) ((v8)((v8i)(y) & ((y) > (v8){0.0f})))

/* The n tiles of one tile row of one output channel, written interleaved
 * into its image rows row0, row1 (a scratch row past the image's last), in
 * one pass over M with nothing stored in between; with half (odd W), the
 * column 0 of tile n too. */
WINO_INLINE void tiles_out(float *restrict row0, float *restrict row1, const float *restrict m,
                           size_t ms, float bias, int relu, int n, int half) {
    int t = 0;
    for (; t + 8 <= n; t += 8) {
        TILE_OUT(v8, ld8);
        if (relu) y00 = relu8(y00), y01 = relu8(y01), y10 = relu8(y10), y11 = relu8(y11);
        st8(row0 + 2 * t, __builtin_shufflevector(y00, y01, 0, 8, 1, 9, 2, 10, 3, 11));
        st8(row0 + 2 * t + 8, __builtin_shufflevector(y00, y01, 4, 12, 5, 13, 6, 14, 7, 15));
        st8(row1 + 2 * t, __builtin_shufflevector(y10, y11, 0, 8, 1, 9, 2, 10, 3, 11));
        st8(row1 + 2 * t + 8, __builtin_shufflevector(y10, y11, 4, 12, 5, 13, 6, 14, 7, 15));
    }
    for (; t < n + half; t++) {
        TILE_OUT(float, LD1);
        if (relu) y00 = relu1(y00), y01 = relu1(y01), y10 = relu1(y10), y11 = relu1(y11);
        row0[2 * t] = y00, row1[2 * t] = y10;
        if (t < n) row0[2 * t + 1] = y01, row1[2 * t + 1] = y11;
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
    const size_t ldm = (size_t)np * NR + SKEW; /* M's row stride */
    const size_t plane_in = (size_t)H * W, plane_w = u_plane(OC, C);
    const size_t vs = (size_t)C * np * NR + SKEW; /* V's stride of e */
    float *ev = r, *od = r + 4 * n;    /* ring of 4 input rows: slot s at ev + s*n, od + s*n */
    float *dump = r + 8 * n;           /* (W floats) the row past an odd H */

    /* V[e][tile / NR][c][tile % NR] = (B^T d B)[e] for every tile of the
       band; the last panel's tiles past tb are zero (their products are
       computed, never read). With d's columns split by parity (E: columns
       0,2 of each tile, O: 1,3), tile tx reads E[tx], O[tx], E[tx+1],
       O[tx+1]: all loops run on contiguous data. Tile row ty reads padded
       rows 2ty-1 .. 2ty+2, the last two of which the next one reads again:
       they stay in the ring (row p in slot p % 4), so that each row is
       split once. */
    if (tb % NR)
        for (size_t ec = 0; ec < (size_t)16 * C; ec++)
            memset(V + (ec / C) * vs + (size_t)(np - 1) * NR * C + (ec % C) * NR + tb % NR, 0,
                   sizeof(float) * (size_t)(NR - tb % NR));
    for (int c = 0; c < C; c++) {
        const float *x = inp + (size_t)c * plane_in;
        const int p0 = 2 * tr0 - 1;
        for (int ty = 0; ty < nr; ty++) {
            for (int i = ty ? 2 : 0; i < 4; i++) {
                const int s = (2 * ty + i) & 3;
                load_row(ev + s * n, od + s * n, x, p0 + 2 * ty + i, H, W, pad_mode);
            }
            for (int tx0 = 0, cnt; tx0 < TW; tx0 += cnt) { /* runs of tiles sharing a panel */
                const int tile = ty * TW + tx0;
                cnt = NR - tile % NR < TW - tx0 ? NR - tile % NR : TW - tx0;
                const float *E[4], *O[4];
                for (int i = 0; i < 4; i++) {
                    const int s = (2 * ty + i) & 3;
                    E[i] = ev + s * n + tx0, O[i] = od + s * n + tx0;
                }
                float *v0 = V + (size_t)(tile / NR) * NR * C + (size_t)c * NR + tile % NR;
                if (cnt == NR) /* a whole panel: a constant count, no remainder loop */
                    tiles_in(v0, vs, E, O, NR);
                else
                    tiles_in(v0, vs, E, O, cnt);
            }
        }
    }

    /* M[e] (OC, tb) = U[e] (OC, C) . V[e] (C, tb), stored with the 16 e of
       one output channel side by side, M[(oc * 16 + e) * ldm + tile], so
       that the output transform of a channel reads one block of 16 rows
       rather than 16 rows OC * ldm apart (issue 14) */
    for (int e = 0; e < 16; e++)
        ccpl__wg_gemm(kern, M + (size_t)e * ldm, 16 * ldm, U + (size_t)e * plane_w,
                      V + (size_t)e * vs, OC, C, np);

    /* Y = A^T M A + b, ReLU, straight into the image rows */
    for (int oc = 0; oc < OC; oc++) {
        const float bias = b ? b[oc] : 0.0f;
        const float *mo = M + (size_t)oc * 16 * ldm;
        for (int ty = 0; ty < nr; ty++) {
            const int oy = 2 * (tr0 + ty);
            float *row0 = out + (size_t)oc * plane_in + (size_t)oy * W;
            float *row1 = oy + 1 < H ? row0 + W : dump;
            const int full = W / 2; /* tiles with both columns inside */
            const float *m = mo + (size_t)ty * TW;
            /* relu as a constant, so that the inlined loop tests it once */
            if (relu)
                tiles_out(row0, row1, m, ldm, bias, 1, full, full < TW);
            else
                tiles_out(row0, row1, m, ldm, bias, 0, full, full < TW);
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
    const size_t vm = (size_t)16 * (C * tbp + SKEW), mm = (size_t)16 * OC * (tbp + SKEW);
    scratch = ccpl__wg_line_align(scratch);
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
