/* wino_gemm.c — see wino_gemm.h.
 *
 * Loop order: for each panel of V (C x NR floats: 16 KiB at C = 256, kept
 * in L1), every block of U (C x MR) streams past it; one micro-kernel call
 * computes an MR x NR block of M over all C. Blocking over C (slices of
 * 128 or 256 channels) measured no different for this model's C <= 512
 * (issue 14), so there is none. */
#include "ops/wino_gemm.h"

#ifdef CCPL__WG_X86
#include <immintrin.h>
#endif

#define MR CCPL__WG_MR
#define NR CCPL__WG_NR

int ccpl__wg_available(ccpl__wg_kernel k) {
    switch (k) {
    case CCPL__WG_AUTO:
    case CCPL__WG_PORTABLE: return 1;
    case CCPL__WG_AVX2:
#ifdef CCPL__WG_X86
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
        return 0;
#endif
    }
    return 0;
}

ccpl__wg_kernel ccpl__wg_resolve(ccpl__wg_kernel k) {
    if (k != CCPL__WG_AUTO) return k;
    return ccpl__wg_available(CCPL__WG_AVX2) ? CCPL__WG_AVX2 : CCPL__WG_PORTABLE;
}

const char *ccpl__wg_name(ccpl__wg_kernel k) {
    switch (k) {
    case CCPL__WG_AUTO: return "auto";
    case CCPL__WG_PORTABLE: return "portable";
    case CCPL__WG_AVX2: return "avx2";
    }
    return "?";
}

/* m[r][q] = sum_c u[c][r] v[c][q], rows r < mr stored; in two
 * halves of NR / 2 columns, so that the 6 x 8 sums fit in the 16 vector
 * registers of baseline x86-64 (SSE2) once the compiler vectorises q. */
static inline void kernel_portable(int C, const float *restrict u, const float *restrict v,
                                   float *restrict m, size_t ldm, int mr, int acc) {
    enum { H = NR / 2 };
    for (int h = 0; h < NR; h += H) {
        float s[MR][H] = {{0.0f}};
        const float *uc = u, *vc = v + h;
        for (int c = 0; c < C; c++, uc += MR, vc += NR)
            for (int r = 0; r < MR; r++) {
                const float a = uc[r];
                for (int q = 0; q < H; q++) s[r][q] += a * vc[q];
            }
        for (int r = 0; r < mr; r++)
            for (int q = 0; q < H; q++)
                m[(size_t)r * ldm + h + q] = acc ? m[(size_t)r * ldm + h + q] + s[r][q] : s[r][q];
    }
}

static void gemm_portable(float *M, size_t ldm, const float *U, const float *V, int OC, int C,
                          int np, int acc) {
    const int nb = (OC + MR - 1) / MR;
    for (int j = 0; j < np; j++)
        for (int i = 0; i < nb; i++)
            kernel_portable(C, U + (size_t)i * MR * C, V + (size_t)j * NR * C,
                            M + (size_t)i * MR * ldm + (size_t)j * NR, ldm,
                            OC - i * MR < MR ? OC - i * MR : MR, acc);
}

#ifdef CCPL__WG_X86
/* 6 x 16: twelve ymm accumulators; per c, two loads of V and six
 * broadcasts of U feed twelve FMAs. */
__attribute__((target("avx2,fma"))) static inline void
kernel_avx2(int C, const float *restrict u, const float *restrict v, float *restrict m, size_t ldm,
            int mr, int acc) {
    __m256 s00 = _mm256_setzero_ps(), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00,
           s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00;
    for (int c = 0; c < C; c++, u += MR, v += NR) {
        const __m256 b0 = _mm256_loadu_ps(v), b1 = _mm256_loadu_ps(v + 8);
        __m256 a = _mm256_broadcast_ss(u);
        s00 = _mm256_fmadd_ps(a, b0, s00), s01 = _mm256_fmadd_ps(a, b1, s01);
        a = _mm256_broadcast_ss(u + 1);
        s10 = _mm256_fmadd_ps(a, b0, s10), s11 = _mm256_fmadd_ps(a, b1, s11);
        a = _mm256_broadcast_ss(u + 2);
        s20 = _mm256_fmadd_ps(a, b0, s20), s21 = _mm256_fmadd_ps(a, b1, s21);
        a = _mm256_broadcast_ss(u + 3);
        s30 = _mm256_fmadd_ps(a, b0, s30), s31 = _mm256_fmadd_ps(a, b1, s31);
        a = _mm256_broadcast_ss(u + 4);
        s40 = _mm256_fmadd_ps(a, b0, s40), s41 = _mm256_fmadd_ps(a, b1, s41);
        a = _mm256_broadcast_ss(u + 5);
        s50 = _mm256_fmadd_ps(a, b0, s50), s51 = _mm256_fmadd_ps(a, b1, s51);
    }
    const __m256 s[MR][2] = {{s00, s01}, {s10, s11}, {s20, s21},
                             {s30, s31}, {s40, s41}, {s50, s51}};
    for (int r = 0; r < mr; r++) {
        float *mr0 = m + (size_t)r * ldm;
        if (acc) {
            _mm256_storeu_ps(mr0, _mm256_add_ps(_mm256_loadu_ps(mr0), s[r][0]));
            _mm256_storeu_ps(mr0 + 8, _mm256_add_ps(_mm256_loadu_ps(mr0 + 8), s[r][1]));
        } else {
            _mm256_storeu_ps(mr0, s[r][0]);
            _mm256_storeu_ps(mr0 + 8, s[r][1]);
        }
    }
}

__attribute__((target("avx2,fma"))) static void gemm_avx2(float *M, size_t ldm, const float *U,
                                                          const float *V, int OC, int C, int np,
                                                          int acc) {
    const int nb = (OC + MR - 1) / MR;
    for (int j = 0; j < np; j++)
        for (int i = 0; i < nb; i++)
            kernel_avx2(C, U + (size_t)i * MR * C, V + (size_t)j * NR * C,
                        M + (size_t)i * MR * ldm + (size_t)j * NR, ldm,
                        OC - i * MR < MR ? OC - i * MR : MR, acc);
}
#endif

static void gemm(ccpl__wg_kernel k, float *M, size_t ldm, const float *U, const float *V, int OC,
                 int C, int np, int acc) {
#ifdef CCPL__WG_X86
    if (k == CCPL__WG_AVX2) {
        gemm_avx2(M, ldm, U, V, OC, C, np, acc);
        return;
    }
#endif
    (void)k;
    gemm_portable(M, ldm, U, V, OC, C, np, acc);
}

void ccpl__wg_gemm(ccpl__wg_kernel k, float *M, size_t ldm, const float *U, const float *V,
                   int OC, int C, int np) {
    gemm(k, M, ldm, U, V, OC, C, np, 0);
}

void ccpl__wg_gemm_acc(ccpl__wg_kernel k, float *M, size_t ldm, const float *U, const float *V,
                       int OC, int C, int np) {
    gemm(k, M, ldm, U, V, OC, C, np, 1);
}
