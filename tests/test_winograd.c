/* test_winograd — the fast engine's 3x3 kernels (ops/conv2d_winograd, and
 * ops/conv2d_direct for few outputs) against the reference im2col
 * convolution on odd and even sides, both paddings, ReLU, several bands, 1
 * and 2 threads. Tolerance: relative 2e-6 of the largest output (float
 * rounding of two different summation orders). F(4x4,3x3) runs on each
 * product kernel against a float64 direct convolution. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/blas_threads.h"
#include "ops/conv2d.h"
#include "ops/conv2d_direct.h"
#include "ops/conv2d_winograd.h"
#include "ops/conv2d_winograd4.h"
#include "ops/conv2d_winograd_backward.h"
#include "ops/conv2d_winograd_wgrad.h"
#include "test_util.h"

static uint32_t rng = 12345;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void one_kernel(int direct, int C, int OC, int H, int W, ccpl__pad_mode mode, int relu,
                       int threads) {
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(OC * sizeof *b);
    float *ref = malloc(ny * sizeof *ref), *got = malloc(ny * sizeof *got);
    float *U = malloc(ccpl__winograd_weight_floats(OC, C) * sizeof *U);
    float *s1 = malloc((ccpl__conv2d_scratch_floats(C, H, W, 3, 1) + 1) * sizeof *s1);
    float *s2 = malloc((direct ? ccpl__direct_scratch_floats(OC, W, threads)
                               : ccpl__winograd_scratch_floats(C, OC, H, W, threads)) *
                       sizeof *s2);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (int i = 0; i < OC; i++) b[i] = frand() * 0.1f;
    ccpl__conv2d_forward(ref, x, w, b, 1, C, H, W, OC, 3, 1, mode, relu, s1, threads);
    ccpl__winograd_weight_transform(U, w, OC, C);
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    if (direct)
        ccpl__direct_forward(got, x, w, b, C, H, W, OC, mode, relu, s2, threads);
    else
        ccpl__winograd_forward(got, x, U, b, C, H, W, OC, mode, relu, s2, threads);
    double maxref = 0, maxdiff = 0;
    int finite = 1;
    for (size_t i = 0; i < ny; i++) {
        if (!isfinite(got[i])) finite = 0;
        double d = fabs((double)got[i] - ref[i]);
        if (d > maxdiff) maxdiff = d;
        if (fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
    }
    const double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
    CHECK(finite && rel < 2e-6, "%s C=%d OC=%d %dx%d %s relu=%d threads=%d: every output written %d, "
          "max|diff|/max|ref| = %.3g", direct ? "direct" : "winograd", C, OC, W, H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero",
          relu, threads, finite, rel);
    printf("%-8s C=%-3d OC=%-3d %4dx%-4d %-7s relu=%d threads=%d  rel %.2e\n",
           direct ? "direct" : "winograd", C, OC, W, H,
           mode == CCPL__PAD_REFLECT ? "reflect" : "zero", relu, threads, rel);
    free(x), free(w), free(b), free(ref), free(got), free(U), free(s1), free(s2);
}

/* The input gradient by Winograd against ccpl__conv2d_backward's (both
 * accumulate into a non-zero start). */
static void one_backward(int C, int OC, int H, int W, ccpl__pad_mode mode, int threads) {
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *dy = malloc(ny * sizeof *dy);
    float *ref = malloc(nx * sizeof *ref), *got = malloc(nx * sizeof *got);
    float *Ut = malloc(ccpl__winograd_bwd_weight_floats(OC, C) * sizeof *Ut);
    float *s1 = malloc((ccpl__conv2d_backward_scratch_floats(C, H, W, 3, 1) + 1) * sizeof *s1);
    float *s2 = malloc(ccpl__winograd_backward_data_scratch_floats(C, OC, H, W, threads) * sizeof *s2);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (size_t i = 0; i < ny; i++) dy[i] = frand();
    for (size_t i = 0; i < nx; i++) ref[i] = got[i] = 0.5f * frand();
    ccpl__conv2d_backward(ref, NULL, NULL, dy, x, w, 1, C, H, W, OC, 3, 1, mode, s1, threads);
    CHECK(ccpl__winograd_bwd_weight_transform(Ut, w, OC, C) == 0, "transform");
    ccpl__winograd_backward_data(got, dy, Ut, C, H, W, OC, mode, s2, threads);
    double maxref = 0, maxdiff = 0;
    for (size_t i = 0; i < nx; i++) {
        double d = fabs((double)got[i] - ref[i]);
        if (!(d <= maxdiff)) maxdiff = d; /* NaN propagates */
        if (fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
    }
    const double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
    CHECK(rel < 2e-6, "backward C=%d OC=%d %dx%d %s threads=%d: max|diff|/max|ref| = %.3g", C, OC, W,
          H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero", threads, rel);
    printf("bwd-data C=%-3d OC=%-3d %4dx%-4d %-7s threads=%d  rel %.2e\n", C, OC, W, H,
           mode == CCPL__PAD_REFLECT ? "reflect" : "zero", threads, rel);
    free(x), free(w), free(dy), free(ref), free(got), free(Ut), free(s1), free(s2);
}

/* F(2x2,3x3) on each product kernel of ops/wino_gemm against im2col
 * (bound 2e-6, as above), at 1 and 2 threads, the two bit-identical. */
static int kernels2_not_run;
static void kernels2(int C, int OC, int H, int W, ccpl__pad_mode mode, int relu) {
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(OC * sizeof *b);
    float *ref = malloc(ny * sizeof *ref), *y1 = malloc(ny * sizeof *y1), *y2 = malloc(ny * sizeof *y2);
    float *U = malloc(ccpl__winograd_weight_floats(OC, C) * sizeof *U);
    float *s1 = malloc((ccpl__conv2d_scratch_floats(C, H, W, 3, 1) + 1) * sizeof *s1);
    float *s2 = malloc(ccpl__winograd_scratch_floats(C, OC, H, W, 2) * sizeof *s2);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (int i = 0; i < OC; i++) b[i] = frand() * 0.1f;
    ccpl__conv2d_forward(ref, x, w, b, 1, C, H, W, OC, 3, 1, mode, relu, s1, 1);
    ccpl__winograd_weight_transform(U, w, OC, C);
    static const ccpl__wg_kernel K[] = {CCPL__WG_PORTABLE, CCPL__WG_AVX2};
    for (int k = 0; k < 2; k++) {
        if (!ccpl__wg_available(K[k])) {
            printf("NOT RUN: F(2x2) on the %s kernel (this processor lacks it) C=%d OC=%d %dx%d\n",
                   ccpl__wg_name(K[k]), C, OC, W, H);
            kernels2_not_run++;
            continue;
        }
        for (size_t i = 0; i < ny; i++) y1[i] = y2[i] = NAN;
        ccpl__winograd_forward_with(K[k], y1, x, U, b, C, H, W, OC, mode, relu, s2, 1);
        ccpl__winograd_forward_with(K[k], y2, x, U, b, C, H, W, OC, mode, relu, s2, 2);
        double mx = 0, md = 0;
        for (size_t i = 0; i < ny; i++) {
            const double d = fabs((double)y1[i] - ref[i]);
            if (!(d <= md)) md = d; /* NaN propagates */
            mx = fmax(mx, fabs(ref[i]));
        }
        const double rel = mx > 0 ? md / mx : md;
        printf("F(2x2) %-8s C=%-3d OC=%-3d %4dx%-4d %-7s relu=%d  rel %.2e\n", ccpl__wg_name(K[k]), C,
               OC, W, H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero", relu, rel);
        CHECK(rel < 2e-6, "F(2x2) %s C=%d OC=%d %dx%d: %.3g", ccpl__wg_name(K[k]), C, OC, W, H, rel);
        CHECK(!memcmp(y1, y2, ny * sizeof *y1), "F(2x2) %s C=%d OC=%d %dx%d: 1 and 2 threads differ",
              ccpl__wg_name(K[k]), C, OC, W, H);
    }
    free(x), free(w), free(b), free(ref), free(y1), free(y2), free(U), free(s1), free(s2);
}

/* The F(2x2) weight gradient on each product kernel against
 * ccpl__conv2d_backward's (im2col), N samples, into a non-zero start;
 * bound 2e-6 of the largest gradient; 1 and 2 threads. */
static void one_wgrad(int N, int C, int OC, int H, int W, ccpl__pad_mode mode) {
    const size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)N * OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *dy = malloc(ny * sizeof *dy);
    float *ref = malloc(nw * sizeof *ref), *got = malloc(nw * sizeof *got);
    float *s1 = malloc((ccpl__conv2d_backward_scratch_floats(C, H, W, 3, 1) + 1) * sizeof *s1);
    float *s2 = malloc(ccpl__winograd_backward_weights_scratch_floats(C, OC, H, W, 2) * sizeof *s2);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (size_t i = 0; i < ny; i++) dy[i] = frand();
    float *start = malloc(nw * sizeof *start);
    for (size_t i = 0; i < nw; i++) ref[i] = start[i] = 0.5f * frand();
    ccpl__conv2d_backward(NULL, ref, NULL, dy, x, w, N, C, H, W, OC, 3, 1, mode, s1, 1);
    static const ccpl__wg_kernel K[] = {CCPL__WG_PORTABLE, CCPL__WG_AVX2};
    for (int k = 0; k < 2; k++) {
        if (!ccpl__wg_available(K[k])) {
            printf("NOT RUN: F(2x2) weight gradient on the %s kernel (this processor lacks it)\n",
                   ccpl__wg_name(K[k]));
            kernels2_not_run++;
            continue;
        }
        for (int threads = 1; threads <= 2; threads++) {
            memcpy(got, start, nw * sizeof *got);
            ccpl__winograd_backward_weights_with(K[k], got, dy, x, N, C, H, W, OC, mode, s2, threads);
            double mx = 0, md = 0;
            for (size_t i = 0; i < nw; i++) {
                const double d = fabs((double)got[i] - ref[i]);
                if (!(d <= md)) md = d;
                mx = fmax(mx, fabs(ref[i]));
            }
            printf("F(2x2) dw %-8s N=%d C=%-3d OC=%-3d %4dx%-4d %-7s threads=%d  rel %.2e\n",
                   ccpl__wg_name(K[k]), N, C, OC, W, H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero",
                   threads, md / mx);
            CHECK(md / mx < 2e-6, "F(2x2) weight gradient %s N=%d C=%d OC=%d %dx%d threads=%d: %.3g",
                  ccpl__wg_name(K[k]), N, C, OC, W, H, threads, md / mx);
        }
    }
    free(x), free(w), free(dy), free(ref), free(got), free(s1), free(s2), free(start);
}

static void one(int C, int OC, int H, int W, ccpl__pad_mode mode, int relu, int threads) {
    one_kernel(0, C, OC, H, W, mode, relu, threads);
}

/* F(2x2,3x3) and F(4x4,3x3) against a float64 direct convolution (the
 * accuracy of each tile size with its interpolation points: 0, +-1, inf for
 * F(2x2); 0, +-1, +-2, inf for F(4x4)), relu off so every output counts.
 * Bounds: 2e-6 and 5e-5 of the largest output; measured (AVX2 machine,
 * 2026-11-30) up to 7.1e-7 and 1.4e-5, the worst at C = 256 -> 512 (the
 * error grows with the channel count summed in each tile). */
static int src_index(int p, int n, ccpl__pad_mode mode) {
    if (p >= 0 && p < n) return p;
    if (mode == CCPL__PAD_ZERO) return -1;
    return p < 0 ? -p : 2 * n - 2 - p;
}

/* yd (OC,H,W) = the float64 direct convolution of x (C,H,W) with w, b. */
static void direct64(double *yd, const float *x, const float *w, const float *b, int C, int H, int W,
                     int OC, ccpl__pad_mode mode) {
    for (int o = 0; o < OC; o++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double a = b[o];
                for (int c = 0; c < C; c++)
                    for (int u = 0; u < 3; u++)
                        for (int v = 0; v < 3; v++) {
                            const int p = src_index(i + u - 1, H, mode), q = src_index(j + v - 1, W, mode);
                            if (p >= 0 && q >= 0)
                                a += (double)w[((size_t)o * C + c) * 9 + u * 3 + v] * x[((size_t)c * H + p) * W + q];
                        }
                yd[((size_t)o * H + i) * W + j] = a;
            }
}

static void vs_float64(int C, int OC, int H, int W, ccpl__pad_mode mode, int threads) {
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(OC * sizeof *b);
    float *y2 = malloc(ny * sizeof *y2), *y4 = malloc(ny * sizeof *y4);
    double *yd = malloc(ny * sizeof *yd);
    float *U2 = malloc(ccpl__winograd_weight_floats(OC, C) * sizeof *U2);
    float *U4 = malloc(ccpl__winograd4_weight_floats(OC, C) * sizeof *U4);
    float *s2 = malloc(ccpl__winograd_scratch_floats(C, OC, H, W, threads) * sizeof *s2);
    float *s4 = malloc(ccpl__winograd4_scratch_floats(C, OC, H, W, threads) * sizeof *s4);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (int i = 0; i < OC; i++) b[i] = frand() * 0.1f;
    direct64(yd, x, w, b, C, H, W, OC, mode);
    ccpl__winograd_weight_transform(U2, w, OC, C);
    ccpl__winograd4_weight_transform(U4, w, OC, C);
    for (size_t i = 0; i < ny; i++) y2[i] = y4[i] = NAN;
    ccpl__winograd_forward(y2, x, U2, b, C, H, W, OC, mode, 0, s2, threads);
    ccpl__winograd4_forward(y4, x, U4, b, C, H, W, OC, mode, 0, s4, threads);
    double mx = 0, e2 = 0, e4 = 0;
    int finite = 1;
    for (size_t i = 0; i < ny; i++) {
        if (!isfinite(y2[i]) || !isfinite(y4[i])) finite = 0;
        mx = fmax(mx, fabs(yd[i]));
        e2 = fmax(e2, fabs(y2[i] - yd[i]));
        e4 = fmax(e4, fabs(y4[i] - yd[i]));
    }
    e2 /= mx, e4 /= mx;
    printf("vs float64 C=%-3d OC=%-3d %3dx%-3d %-7s threads=%d  F(2x2) %.2e  F(4x4) %.2e\n", C, OC,
           W, H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero", threads, e2, e4);
    CHECK(finite && e2 < 2e-6 && e4 < 5e-5,
          "C=%d OC=%d %dx%d: every output written %d, F(2x2) %.3g (bound 2e-6), F(4x4) %.3g (bound 5e-5)",
          C, OC, W, H, finite, e2, e4);
    free(x), free(w), free(b), free(y2), free(y4), free(yd), free(U2), free(U4), free(s2), free(s4);
}

/* F(4x4) on each product kernel of ops/wino_gemm (the portable one, and
 * AVX2+FMA where the processor has it; a kernel that cannot run here is
 * reported as not run, loudly) against the float64 direct convolution, with
 * the bound above; sizes where OC is not a multiple of the kernels' 6 rows,
 * the tiles of a band not a multiple of their 16 columns, and several bands.
 * The default kernel must give the very results of the one it stands for,
 * bit for bit, at 1 and at 2 threads (bands are independent). */
static int kernels_not_run;

static void kernels_vs_float64(int C, int OC, int H, int W, ccpl__pad_mode mode, int relu) {
    static const ccpl__wg_kernel K[] = {CCPL__WG_PORTABLE, CCPL__WG_AVX2};
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(OC * sizeof *b);
    float *y = malloc(ny * sizeof *y), *ya = malloc(ny * sizeof *ya);
    double *yd = malloc(ny * sizeof *yd);
    float *U = malloc(ccpl__winograd4_weight_floats(OC, C) * sizeof *U);
    float *s = malloc(ccpl__winograd4_scratch_floats(C, OC, H, W, 2) * sizeof *s);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (int i = 0; i < OC; i++) b[i] = frand() * 0.1f;
    direct64(yd, x, w, b, C, H, W, OC, mode);
    if (relu)
        for (size_t i = 0; i < ny; i++) yd[i] = yd[i] > 0 ? yd[i] : 0;
    ccpl__winograd4_weight_transform(U, w, OC, C);
    const ccpl__wg_kernel def = ccpl__wg_resolve(CCPL__WG_AUTO);
    for (size_t k = 0; k < sizeof K / sizeof K[0]; k++) {
        if (!ccpl__wg_available(K[k])) {
            printf("NOT RUN: the %s kernel (this processor lacks it) C=%d OC=%d %dx%d\n",
                   ccpl__wg_name(K[k]), C, OC, W, H);
            kernels_not_run++;
            continue;
        }
        for (int threads = 1; threads <= 2; threads++) {
            for (size_t i = 0; i < ny; i++) y[i] = NAN;
            ccpl__winograd4_forward_with(K[k], y, x, U, b, C, H, W, OC, mode, relu, s, threads);
            double mx = 0, e = 0;
            int finite = 1;
            for (size_t i = 0; i < ny; i++) {
                if (!isfinite(y[i])) finite = 0;
                mx = fmax(mx, fabs(yd[i]));
                e = fmax(e, fabs(y[i] - yd[i]));
            }
            e /= mx;
            printf("F(4x4) %-8s C=%-3d OC=%-3d %3dx%-3d %-7s relu=%d threads=%d  vs float64 %.2e\n",
                   ccpl__wg_name(K[k]), C, OC, W, H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero",
                   relu, threads, e);
            CHECK(finite && e < 5e-5,
                  "F(4x4) %s kernel C=%d OC=%d %dx%d relu=%d threads=%d: every output written %d, "
                  "%.3g (bound 5e-5)",
                  ccpl__wg_name(K[k]), C, OC, W, H, relu, threads, finite, e);
            if (K[k] != def) continue;
            for (size_t i = 0; i < ny; i++) ya[i] = NAN;
            ccpl__winograd4_forward(ya, x, U, b, C, H, W, OC, mode, relu, s, 3 - threads);
            CHECK(memcmp(y, ya, ny * sizeof *y) == 0,
                  "F(4x4) default kernel at %d threads = the %s kernel at %d, bit for bit (C=%d OC=%d %dx%d)",
                  3 - threads, ccpl__wg_name(K[k]), threads, C, OC, W, H);
        }
    }
    free(x), free(w), free(b), free(y), free(ya), free(yd), free(U), free(s);
}

/* The F(4x4) input gradient against im2col's (both accumulate). */
static void one_backward4(int C, int OC, int H, int W, ccpl__pad_mode mode, int threads) {
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *dy = malloc(ny * sizeof *dy), *w = malloc(nw * sizeof *w);
    float *ref = malloc(nx * sizeof *ref), *got = malloc(nx * sizeof *got);
    float *Ut = malloc(ccpl__winograd4_bwd_weight_floats(OC, C) * sizeof *Ut);
    float *s1 = malloc((ccpl__conv2d_backward_scratch_floats(C, H, W, 3, 1) + 1) * sizeof *s1);
    float *s2 = malloc(ccpl__winograd4_backward_data_scratch_floats(C, OC, H, W, threads) * sizeof *s2);
    for (size_t i = 0; i < ny; i++) dy[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (size_t i = 0; i < nx; i++) ref[i] = got[i] = frand();
    ccpl__conv2d_backward(ref, NULL, NULL, dy, NULL, w, 1, C, H, W, OC, 3, 1, mode, s1, threads);
    CHECK(ccpl__winograd4_bwd_weight_transform(Ut, w, OC, C) == 0, "transform");
    ccpl__winograd4_backward_data(got, dy, Ut, C, H, W, OC, mode, s2, threads);
    double mx = 0, md = 0;
    for (size_t i = 0; i < nx; i++) {
        md = fmax(md, fabs((double)got[i] - ref[i]));
        mx = fmax(mx, fabs(ref[i]));
    }
    printf("F(4x4) dinp C=%-3d OC=%-3d %3dx%-3d %-7s threads=%d  rel %.2e\n", C, OC, W, H,
           mode == CCPL__PAD_REFLECT ? "reflect" : "zero", threads, md / mx);
    CHECK(md / mx < 5e-5, "F(4x4) input gradient C=%d OC=%d %dx%d: %.3g", C, OC, W, H, md / mx);
    free(dy), free(w), free(ref), free(got), free(Ut), free(s1), free(s2);
}

/* Fault found: a one-thread weight gradient used to open a serialised
 * OpenMP region (if(0), with num_threads); under clang's libomp the next
 * threaded OpenBLAS sgemm (OpenMP build) then got a team of one thread and
 * waited forever for its second (test_train_ws hung in CI). A 1-thread
 * weight gradient, then a 2-thread OpenBLAS product must finish. */
static void on_alarm(int sig) {
    (void)sig;
    static const char m[] = "FAIL: threaded sgemm after a 1-thread F(2x2) weight gradient hung "
                            "(OpenMP team of one)\n";
    if (write(2, m, sizeof m - 1)) {}
    _exit(1);
}
static void wgrad_then_threaded_sgemm(void) {
    const int C = 256, OC = 256, H = 64, W = 64;
    const size_t n = (size_t)C * H * W;
    float *x = calloc(n, sizeof *x), *dy = calloc(n, sizeof *dy), *dx = calloc(n, sizeof *dx);
    float *w = calloc((size_t)OC * C * 9, sizeof *w);
    float *s = malloc(ccpl__winograd_backward_weights_scratch_floats(16, 16, 8, 8, 1) * sizeof *s);
    for (size_t i = 0; i < n; i++) x[i] = frand(), dy[i] = frand();
    signal(SIGALRM, on_alarm);
    alarm(60);
    ccpl__blas_use_threads(2);
    ccpl__winograd_backward_weights(w, dy, x, 1, 16, 8, 8, 16, CCPL__PAD_REFLECT, s, 1);
    /* 1x1 input gradient: one 256 x 4096 x 256 OpenBLAS product */
    ccpl__conv2d_backward(dx, NULL, NULL, dy, x, w, 1, C, H, W, OC, 1, 0, CCPL__PAD_ZERO, NULL, 2);
    ccpl__blas_done_threads();
    alarm(0);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += fabs(dx[i]);
    CHECK(sum > 0, "the product after the weight gradient ran (sum |dx| = %g)", sum);
    free(x), free(dy), free(dx), free(w), free(s);
}

int main(void) {
    wgrad_then_threaded_sgemm();
    {
        static const int f[][4] = {{16, 16, 5, 7}, {33, 24, 13, 11}, {17, 33, 2, 3}, {24, 16, 9, 4},
                                   {64, 64, 2, 2}, {32, 48, 37, 29}, {256, 512, 16, 16}};
        for (int i = 0; i < 7; i++)
            for (int m = 0; m < 2; m++)
                vs_float64(f[i][0], f[i][1], f[i][2], f[i][3], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO,
                           1 + (i & 1));
        one_backward4(16, 24, 7, 9, CCPL__PAD_REFLECT, 1);
        one_backward4(33, 17, 12, 5, CCPL__PAD_ZERO, 2);
        one_backward4(24, 16, 2, 3, CCPL__PAD_REFLECT, 1);
        /* C, OC, H, W: OC = 1, 5, 7, 13 (one partial block of 6 rows, or
           whole ones plus one), tiles per band 1, 3, 10, 19 (partial panels
           of 16), C = 1, 3, 17, 40; the 210-row cases span two bands */
        static const int k[][4] = {{1, 1, 3, 5},    {3, 7, 9, 11},   {17, 13, 13, 37},
                                   {40, 5, 6, 75},  {17, 13, 210, 75}, {3, 12, 450, 70},
                                   {1, 6, 2, 2},    {64, 64, 16, 16}};
        for (int i = 0; i < 8; i++)
            for (int m = 0; m < 2; m++)
                kernels_vs_float64(k[i][0], k[i][1], k[i][2], k[i][3],
                                   m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, (i + m) & 1);
        if (kernels_not_run)
            printf("NOTE: %d F(4x4) kernel runs NOT RUN on this processor (see the lines above)\n",
                   kernels_not_run);
    }
    {
        /* C, OC, H, W: OC 16..70 (partial blocks of 6), tiles per band not
           multiples of 16, several bands (330 rows at 64 channels) */
        static const int k[][4] = {{16, 16, 5, 7}, {17, 23, 13, 37}, {64, 64, 330, 40},
                                   {40, 70, 9, 31}, {24, 16, 2, 3}};
        for (int i = 0; i < 5; i++)
            for (int m = 0; m < 2; m++)
                kernels2(k[i][0], k[i][1], k[i][2], k[i][3], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO,
                         (i + m) & 1);
        /* N, C, OC, H, W: odd and even sides, partial panels of 16
           channels and blocks of 6, several bands (330 rows), two samples */
        static const int g[][5] = {{1, 16, 16, 5, 7}, {2, 17, 23, 13, 37}, {1, 64, 64, 330, 40},
                                   {2, 40, 70, 9, 31}, {1, 24, 16, 2, 3}};
        for (int i = 0; i < 5; i++)
            for (int m = 0; m < 2; m++)
                one_wgrad(g[i][0], g[i][1], g[i][2], g[i][3], g[i][4],
                          m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO);
        if (kernels2_not_run)
            printf("NOTE: %d F(2x2) kernel runs NOT RUN on this processor (see the lines above)\n",
                   kernels2_not_run);
    }
    CHECK(ccpl__winograd_suits(64, 64, 3, 1) && !ccpl__winograd_suits(3, 64, 3, 1) &&
              !ccpl__winograd_suits(64, 64, 1, 0),
          "which layers take the fast path");
    const int sides[][2] = {{2, 2}, {2, 3}, {3, 2}, {5, 7}, {8, 8}, {17, 10}, {33, 64}};
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        for (int m = 0; m < 2; m++)
            one(16, 24, sides[i][0], sides[i][1], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, m, 1 + m);
    one(32, 16, 31, 45, CCPL__PAD_REFLECT, 1, 2);
    /* 420x380 with 16 -> 16 channels spans two bands of tile rows */
    one(16, 16, 420, 380, CCPL__PAD_REFLECT, 1, 2);
    one(16, 16, 421, 381, CCPL__PAD_REFLECT, 0, 1);
    CHECK(ccpl__direct_suits(64, 3, 3, 1) && !ccpl__direct_suits(64, 16, 3, 1),
          "which layers take the direct kernel");
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        for (int m = 0; m < 2; m++)
            one_kernel(1, 16, 3, sides[i][0], sides[i][1], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, m,
                       1 + m);
    one_kernel(1, 64, 3, 97, 130, CCPL__PAD_REFLECT, 0, 2);
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        for (int m = 0; m < 2; m++)
            one_backward(16, 24, sides[i][0], sides[i][1], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, 1 + m);
    one_backward(24, 16, 31, 45, CCPL__PAD_REFLECT, 2);
    one_kernel(1, 32, 1, 31, 45, CCPL__PAD_REFLECT, 1, 1);
    return tu_finish();
}
