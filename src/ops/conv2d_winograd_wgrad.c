/* conv2d_winograd_wgrad.c — see conv2d_winograd_wgrad.h.
 *
 * Work is split into units (sample, band of tile rows); n_threads chunks
 * of consecutive units each sum into their own dU, and the chunks' dU are
 * then added in chunk order: the same sums whichever thread runs a chunk.
 * Per band: V in panels of 16 input channels ([tiles][16]), dM in blocks of
 * 6 output channels ([tiles][6]), so that ops/wino_gemm's kernel sums over
 * the tiles: dU[e] (OC, C) += dM[e] (OC, tiles) . V[e]^T (tiles, C). */
#include "ops/conv2d_winograd_wgrad.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define MR CCPL__WG_MR
#define NR CCPL__WG_NR
#define ALIGN CCPL__WG_LINE
#define WG_BAND_TARGET ((size_t)1 << 20) /* floats of V + dM per band, as the forward's */

static int band_rows(int C, int OC, int TW, int TH) {
    const size_t per_row = (size_t)16 * (size_t)(C + OC) * (size_t)TW;
    size_t rows = WG_BAND_TARGET / per_row;
    if (rows < 1) rows = 1;
    if (rows > (size_t)TH) rows = (size_t)TH;
    return (int)rows;
}

typedef struct dims {
    int C, OC, H, W, TH, TW, nb, n_bands;
    size_t Cp, OCp, tbmax; /* C to whole panels, OC to whole blocks, tiles per band */
} dims;

static dims dims_of(int C, int OC, int H, int W) {
    dims d;
    d.C = C, d.OC = OC, d.H = H, d.W = W;
    d.TH = (H + 1) / 2, d.TW = (W + 1) / 2;
    d.nb = band_rows(C, OC, d.TW, d.TH);
    d.n_bands = (d.TH + d.nb - 1) / d.nb;
    d.Cp = ccpl__wg_roundup((size_t)C, NR), d.OCp = ccpl__wg_roundup((size_t)OC, MR);
    d.tbmax = (size_t)d.nb * d.TW;
    return d;
}

/* Floats between the channels of the transposition buffer: 16 TW and a
 * cache line more. Its transposition reads one tile of 16 channels at a
 * time; at 16 TW (8 KiB at TW = 128, a multiple of the 4 KiB over which
 * L1's sets repeat), all 16 fell in one 8-way set and missed L1 on every
 * read. */
static size_t tmp_stride(int TW) { return (size_t)16 * TW + 16; }

/* row buffers: 4 padded rows, their combinations, (16 channels, 16, TW) */
static size_t row_floats(const dims *d) {
    return (size_t)8 * (2 * (size_t)d->TW + 2) + (size_t)NR * tmp_stride(d->TW);
}

/* per chunk: V, dM, dU, the row buffers, to whole cache lines */
static size_t chunk_floats(const dims *d) {
    return ccpl__wg_roundup((size_t)16 * (d->Cp + d->OCp) * d->tbmax +
                                (size_t)16 * d->OC * d->Cp + row_floats(d),
                            ALIGN);
}

size_t ccpl__winograd_backward_weights_scratch_floats(int C, int OC, int H, int W, int n_threads) {
    const dims d = dims_of(C, OC, H, W);
    return (size_t)(n_threads < 1 ? 1 : n_threads) * chunk_floats(&d) + ALIGN - 1;
}

/* source of padded coordinate p (-1 .. n) on a side of n, -1 for a zero */
static inline int src1(int p, int n, ccpl__pad_mode mode) {
    if (p >= 0 && p < n) return p;
    if (p > n || mode == CCPL__PAD_ZERO) return -1;
    return p < 0 ? 1 : n - 2;
}

#define WG_INLINE static inline __attribute__((always_inline))

/* (B^T d B)[e] of every tile of one tile row of one channel: v + e * TW,
 * from the four padded input rows R (2 TW + 2 floats each, padded column
 * q at R[q + 1]); t: 4 (2 TW + 2) floats. */
WG_INLINE void tiles_in(float *restrict v, float *restrict t, const float *restrict R, int TW) {
    const int n = 2 * TW + 2;
    const float *restrict R0 = R, *restrict R1 = R + n, *restrict R2 = R + 2 * n,
                          *restrict R3 = R + 3 * n;
    float *restrict t0 = t, *restrict t1 = t + n, *restrict t2 = t + 2 * n, *restrict t3 = t + 3 * n;
    for (int q = 0; q < n; q++) { /* B^T d, down the columns */
        t0[q] = R0[q] - R2[q];
        t1[q] = R1[q] + R2[q];
        t2[q] = R2[q] - R1[q];
        t3[q] = R1[q] - R3[q];
    }
    for (int k = 0; k < 4; k++) { /* (B^T d) B, along the rows */
        const float *restrict a = t + (size_t)k * n;
        float *restrict v0 = v + (size_t)(4 * k) * TW, *restrict v1 = v0 + TW, *restrict v2 = v1 + TW,
                        *restrict v3 = v2 + TW;
        for (int tx = 0; tx < TW; tx++) {
            const float e0 = a[2 * tx], o0 = a[2 * tx + 1], e1 = a[2 * tx + 2], o1 = a[2 * tx + 3];
            v0[tx] = e0 - e1;
            v1[tx] = o0 + e1;
            v2[tx] = e1 - o0;
            v3[tx] = o0 - o1;
        }
    }
}

/* (A dY A^T)[e] of every tile of one tile row of one output channel: m + e
 * * TW, from its two output-gradient rows g0, g1 (2 TW floats each, zero
 * past the image). */
WG_INLINE void tiles_out(float *restrict m, const float *restrict g0, const float *restrict g1,
                         int TW) {
    for (int tx = 0; tx < TW; tx++) {
        const float a = g0[2 * tx], b = g0[2 * tx + 1], c = g1[2 * tx], d = g1[2 * tx + 1];
        const float p[4] = {a, a + c, a - c, -c}, q[4] = {b, b + d, b - d, -d};
        for (int i = 0; i < 4; i++) {
            m[(size_t)(4 * i + 0) * TW + tx] = p[i];
            m[(size_t)(4 * i + 1) * TW + tx] = p[i] + q[i];
            m[(size_t)(4 * i + 2) * TW + tx] = p[i] - q[i];
            m[(size_t)(4 * i + 3) * TW + tx] = -q[i];
        }
    }
}

/* One band of one sample: V, dM, then dU += dM . V^T. r: the row buffers
 * (row_floats). */
WG_INLINE void band_body(ccpl__wg_kernel kern, const dims *d, float *dU, const float *x,
                         const float *dy, ccpl__pad_mode mode, int tr0, int nr, float *V, float *dM,
                         float *r) {
    const int C = d->C, OC = d->OC, H = d->H, W = d->W, TW = d->TW, n = 2 * TW + 2;
    const size_t tb = (size_t)nr * TW, plane = (size_t)H * W;
    const size_t vs = d->Cp * tb, ms = d->OCp * tb; /* strides of e */
    float *R = r, *t = R + 4 * (size_t)n, *tmp = t + 4 * (size_t)n; /* tmp: (NR, 16, TW), padded */
    const size_t ts = tmp_stride(TW);
    /* V[e][c / 16][t][c % 16] = (B^T d B)[e], 16 channels at a time */
    for (int ty = 0; ty < nr; ty++) {
        const int p0 = 2 * (tr0 + ty) - 1;
        for (size_t c0 = 0; c0 < d->Cp; c0 += NR) {
            for (int cc = 0; cc < NR; cc++) {
                const int c = (int)c0 + cc;
                float *tv = tmp + (size_t)cc * ts;
                if (c >= C) {
                    memset(tv, 0, sizeof(float) * 16 * (size_t)TW);
                    continue;
                }
                const float *xc = x + (size_t)c * plane;
                for (int i = 0; i < 4; i++) { /* padded row p0 + i, columns -1 .. 2 TW */
                    float *Ri = R + (size_t)i * n;
                    const int sy = src1(p0 + i, H, mode);
                    if (sy < 0) {
                        memset(Ri, 0, sizeof(float) * (size_t)n);
                        continue;
                    }
                    const float *row = xc + (size_t)sy * W;
                    memcpy(Ri + 1, row, sizeof(float) * (size_t)W);
                    Ri[0] = mode == CCPL__PAD_ZERO ? 0.0f : row[1];
                    for (int q = W; q < n - 1; q++) {
                        const int sx = src1(q, W, mode);
                        Ri[q + 1] = sx >= 0 ? row[sx] : 0.0f;
                    }
                }
                tiles_in(tv, t, R, TW);
            }
            for (int e = 0; e < 16; e++) {
                float *v = V + (size_t)e * vs + c0 * tb + (size_t)ty * TW * NR;
                for (int tx = 0; tx < TW; tx++)
                    for (int cc = 0; cc < NR; cc++)
                        v[(size_t)tx * NR + cc] = tmp[(size_t)cc * ts + (size_t)e * TW + tx];
            }
        }
    }
    /* dM[e][o / 6][t][o % 6] = (A dY A^T)[e], 6 output channels at a time,
       dY zero outside the image */
    float *g0 = R, *g1 = R + n;
    for (int ty = 0; ty < nr; ty++) {
        const int y0 = 2 * (tr0 + ty);
        for (size_t o0 = 0; o0 < d->OCp; o0 += MR) {
            for (int rr = 0; rr < MR; rr++) {
                const int o = (int)o0 + rr;
                float *tm = tmp + (size_t)rr * ts;
                if (o >= OC) {
                    memset(tm, 0, sizeof(float) * 16 * (size_t)TW);
                    continue;
                }
                const float *g = dy + (size_t)o * plane + (size_t)y0 * W;
                memcpy(g0, g, sizeof(float) * (size_t)W);
                g0[W] = 0.0f; /* (odd W: the last tile's second column) */
                if (y0 + 1 < H) {
                    memcpy(g1, g + W, sizeof(float) * (size_t)W);
                    g1[W] = 0.0f;
                } else {
                    memset(g1, 0, sizeof(float) * (size_t)(W + 1));
                }
                tiles_out(tm, g0, g1, TW);
            }
            for (int e = 0; e < 16; e++) {
                float *m = dM + (size_t)e * ms + o0 * tb + (size_t)ty * TW * MR;
                for (int tx = 0; tx < TW; tx++)
                    for (int rr = 0; rr < MR; rr++)
                        m[(size_t)tx * MR + rr] = tmp[(size_t)rr * ts + (size_t)e * TW + tx];
            }
        }
    }
    /* dU[e] (OC, Cp) += dM[e] (OC, tb) . V[e]^T (tb, Cp) */
    for (int e = 0; e < 16; e++)
        ccpl__wg_gemm_acc(kern, dU + (size_t)e * OC * d->Cp, d->Cp, dM + (size_t)e * ms,
                          V + (size_t)e * vs, OC, (int)tb, (int)(d->Cp / NR));
}

#define BAND_PARAMS                                                                              \
    ccpl__wg_kernel kern, const dims *d, float *dU, const float *x, const float *dy,             \
        ccpl__pad_mode mode, int tr0, int nr, float *V, float *dM, float *r
#define BAND_ARGS kern, d, dU, x, dy, mode, tr0, nr, V, dM, r

CCPL__WG_DISPATCH(band, band_body, BAND_PARAMS, BAND_ARGS)

/* Chunk k of nt: units [units*k/nt, units*(k+1)/nt) summed into its own dU. */
static void chunk(ccpl__wg_kernel kern, const dims *d, int k, int nt, int units, float *scratch,
                  size_t per, size_t vm, size_t mm, size_t nu, const float *dout,
                  const float *inp, ccpl__pad_mode pad_mode) {
    const int C = d->C, OC = d->OC, H = d->H, W = d->W;
    float *V = scratch + (size_t)k * per, *dM = V + vm, *dU = dM + mm;
    memset(dU, 0, sizeof(float) * nu);
    for (int u = (int)((long)units * k / nt); u < (int)((long)units * (k + 1) / nt); u++) {
        const int n = u / d->n_bands, tr0 = (u % d->n_bands) * d->nb;
        band(kern, d, dU, inp + (size_t)n * C * H * W, dout + (size_t)n * OC * H * W, pad_mode,
             tr0, tr0 + d->nb <= d->TH ? d->nb : d->TH - tr0, V, dM, dU + nu);
    }
}

void ccpl__winograd_backward_weights_with(ccpl__wg_kernel kernel, float *dw, const float *dout,
                                          const float *inp, int N, int C, int H, int W, int OC,
                                          ccpl__pad_mode pad_mode, float *scratch, int n_threads) {
    const dims d = dims_of(C, OC, H, W);
    const ccpl__wg_kernel kern = ccpl__wg_resolve(kernel);
    const int units = N * d.n_bands;
    const int nt = n_threads < 1 ? 1 : n_threads > units ? units : n_threads;
    const size_t per = chunk_floats(&d), nu = (size_t)16 * OC * d.Cp;
    const size_t vm = (size_t)16 * d.Cp * d.tbmax, mm = (size_t)16 * d.OCp * d.tbmax;
    scratch = ccpl__wg_line_align(scratch);
    if (nt == 1) {
        /* no OpenMP region at all, not even a serialised one: after an
           if(0) region with num_threads, clang's libomp gave the next
           OpenBLAS (OpenMP build) call a team of one thread, whose threaded
           sgemm then waited forever for its second thread (tests hung) */
        chunk(kern, &d, 0, 1, units, scratch, per, vm, mm, nu, dout, inp, pad_mode);
    } else {
#pragma omp parallel for num_threads(nt) schedule(static, 1)
        for (int k = 0; k < nt; k++)
            chunk(kern, &d, k, nt, units, scratch, per, vm, mm, nu, dout, inp, pad_mode);
    }
    /* the chunks' sums in order, then dw += G^T dU G */
    float *dU = scratch + vm + mm;
    for (int k = 1; k < nt; k++) {
        const float *o = scratch + (size_t)k * per + vm + mm;
        for (size_t i = 0; i < nu; i++) dU[i] += o[i];
    }
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++) {
            float u[4][4], t[3][4];
            for (int e = 0; e < 16; e++) u[e / 4][e % 4] = dU[(size_t)e * OC * d.Cp + (size_t)o * d.Cp + c];
            for (int j = 0; j < 4; j++) { /* G^T u: G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1] */
                t[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
                t[1][j] = 0.5f * (u[1][j] - u[2][j]);
                t[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
            }
            float *g = dw + ((size_t)o * C + c) * 9;
            for (int i = 0; i < 3; i++) { /* (G^T u) G */
                g[i * 3 + 0] += t[i][0] + 0.5f * (t[i][1] + t[i][2]);
                g[i * 3 + 1] += 0.5f * (t[i][1] - t[i][2]);
                g[i * 3 + 2] += 0.5f * (t[i][1] + t[i][2]) + t[i][3];
            }
        }
}

void ccpl__winograd_backward_weights(float *dw, const float *dout, const float *inp, int N, int C,
                                     int H, int W, int OC, ccpl__pad_mode pad_mode, float *scratch,
                                     int n_threads) {
    ccpl__winograd_backward_weights_with(CCPL__WG_AUTO, dw, dout, inp, N, C, H, W, OC, pad_mode,
                                         scratch, n_threads);
}
