/* wino_gemm.h — the 36 matrix products of Winograd F(4x4,3x3) inference
 * (ops/conv2d_winograd4.c): M[e] (OC, tiles) = U[e] (OC, C) . V[e] (C,
 * tiles), on operands packed once into the layout the micro-kernel reads,
 * so that nothing is re-packed per call (OpenBLAS's sgemm re-packed the
 * constant U for every call: 17 % of a one-thread art run, issue 14).
 *
 * Layouts (MR = CCPL__WG_MR output channels, NR = CCPL__WG_NR tiles):
 *   U: ceil(OC/MR) blocks, each [C][MR] (row r of block i is output channel
 *      i*MR + r; the rows past OC are zero);
 *   V: np panels, each [C][NR] (column q of panel j is tile j*NR + q);
 *   M: OC rows of np*NR columns, row stride ldm.
 *
 * Kernels are chosen at run time: AVX2+FMA where the processor has them,
 * otherwise a portable one with the same layout. Both sum over c in the same
 * order; they differ by the FMA's single rounding. */
#ifndef CCPL_OPS_WINO_GEMM_H
#define CCPL_OPS_WINO_GEMM_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define CCPL__WG_X86 1 /* the AVX2 kernel exists in this build */
#endif

#define CCPL__WG_MR 6
#define CCPL__WG_NR 16

typedef enum ccpl__wg_kernel {
    CCPL__WG_AUTO = 0, /* the fastest this processor runs */
    CCPL__WG_PORTABLE, /* plain C, any processor */
    CCPL__WG_AVX2      /* AVX2 + FMA, x86 */
} ccpl__wg_kernel;

/* Non-zero when kernel k runs on this processor (AUTO and PORTABLE always). */
int ccpl__wg_available(ccpl__wg_kernel k);

/* The kernel AUTO stands for here; any other k unchanged. */
ccpl__wg_kernel ccpl__wg_resolve(ccpl__wg_kernel k);

/* Its name, for tests and benchmarks ("portable", "avx2"). */
const char *ccpl__wg_name(ccpl__wg_kernel k);

/* n rounded up to a multiple of m. */
static inline size_t ccpl__wg_roundup(size_t n, size_t m) { return (n + m - 1) / m * m; }

/* Floats of a 64-byte cache line. */
#define CCPL__WG_LINE ((size_t)16)

/* p moved up to its first cache-line boundary (malloc gives 16 bytes): a
 * scratch sized with CCPL__WG_LINE - 1 floats to spare, whose blocks are
 * whole lines, then has every block on a line, so that neither the
 * transforms' 64-byte runs nor the products' 32-byte loads split across two
 * lines (issue 14). */
static inline float *ccpl__wg_line_align(float *p) {
    const size_t mis = (size_t)((uintptr_t)p % (CCPL__WG_LINE * sizeof(float))) / sizeof(float);
    return mis ? p + (CCPL__WG_LINE - mis) : p;
}

/* M = U . V as above, over np panels of V and C >= 1 input channels, with
 * kernel k (resolved and available: the caller checks). Deterministic: the
 * same operands give the same M, bit for bit, for a given kernel. */
void ccpl__wg_gemm(ccpl__wg_kernel k, float *M, size_t ldm, const float *U, const float *V,
                   int OC, int C, int np);

/* M += U . V, likewise (the Winograd weight gradient's sums over tiles). */
void ccpl__wg_gemm_acc(ccpl__wg_kernel k, float *M, size_t ldm, const float *U, const float *V,
                       int OC, int C, int np);

/* CCPL__WG_DISPATCH(name, body, PARAMS, ARGS): defines `static void
 * name(PARAMS)` that runs body(ARGS) compiled for AVX2+FMA when kern (a
 * parameter among PARAMS) is CCPL__WG_AVX2 -- the AVX2 transforms go with the
 * AVX2 products, behind the same processor check -- and the generic build of
 * body otherwise. body is a static inline function; compiling it twice lets
 * its loops vectorise twice as wide (and inline the AVX2 kernel) without a
 * build-time -mavx2. PARAMS/ARGS are macros of the parameter list and the
 * matching argument list. */
#ifdef CCPL__WG_X86
#define CCPL__WG_DISPATCH(name, body, PARAMS, ARGS)                                       \
    static void name##_generic(PARAMS) { body(ARGS); }                                     \
    __attribute__((target("avx2,fma"))) static void name##_avx2(PARAMS) { body(ARGS); }   \
    static void name(PARAMS) {                                                             \
        if (kern == CCPL__WG_AVX2)                                                         \
            name##_avx2(ARGS);                                                             \
        else                                                                               \
            name##_generic(ARGS);                                                          \
    }
#else
#define CCPL__WG_DISPATCH(name, body, PARAMS, ARGS) \
    static void name(PARAMS) { body(ARGS); }
#endif

#endif
