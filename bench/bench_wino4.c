/* bench_wino4 — Winograd F(4x4,3x3) inference per layer on each product
 * kernel this processor runs (ops/wino_gemm.h: portable, avx2), for the
 * 3x3 layers of the art encoder (to relu4_1) and decoder at one image size.
 * GFLOP/s counts the direct convolution's 2*OC*C*9*H*W flops, as bench_conv.
 * Usage: bench_wino4 SIZE RUNS THREADS [KERNEL]   (KERNEL: portable or avx2;
 * default: every kernel this processor runs)
 * Prints, per layer and kernel, the median and the fastest wall-clock time
 * (the fastest is the steadier figure on a shared machine). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "ops/conv2d_winograd4.h"

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: bench_wino4 SIZE RUNS THREADS [portable|avx2]\n");
        return 2;
    }
    const int size = atoi(argv[1]), runs = atoi(argv[2]), threads = atoi(argv[3]);
    if (size < 16 || runs < 1 || threads < 1) return 2;
    static const struct {
        const char *name;
        int c, oc, div;
    } L[] = {
        {"enc conv1_2", 64, 64, 1},    {"enc conv2_1", 64, 128, 2},  {"enc conv2_2", 128, 128, 2},
        {"enc conv3_1", 128, 256, 4},  {"enc conv3_x", 256, 256, 4}, {"enc conv4_1", 256, 512, 8},
        {"dec 512->256", 512, 256, 8}, {"dec 256->128", 256, 128, 4}, {"dec 128->64", 128, 64, 2},
        {"dec 64->64", 64, 64, 1},
    };
    static const ccpl__wg_kernel K[] = {CCPL__WG_PORTABLE, CCPL__WG_AVX2};
    printf("auto = %s\n%-14s %5s  %-9s %9s %9s %9s\n", ccpl__wg_name(ccpl__wg_resolve(CCPL__WG_AUTO)),
           "layer", "side", "kernel", "median s", "min s", "GFLOP/s");
    double *t = malloc(sizeof(double) * (size_t)runs);
    for (size_t l = 0; l < sizeof L / sizeof L[0]; l++) {
        const int C = L[l].c, OC = L[l].oc, H = size / L[l].div, W = H;
        const size_t nx = (size_t)C * H * W, ny = (size_t)OC * H * W, nw = (size_t)OC * C * 9;
        float *x = malloc(nx * 4), *y = malloc(ny * 4), *w = malloc(nw * 4), *b = calloc(OC, 4);
        float *U = malloc(ccpl__winograd4_weight_floats(OC, C) * 4);
        float *s = malloc(ccpl__winograd4_scratch_floats(C, OC, H, W, threads) * 4);
        if (!x || !y || !w || !b || !U || !s || !t) return 1;
        for (size_t i = 0; i < nx; i++) x[i] = (float)(i % 7) * 0.1f;
        for (size_t i = 0; i < nw; i++) w[i] = (float)(i % 5) * 0.01f;
        ccpl__winograd4_weight_transform(U, w, OC, C);
        const double gf = 2.0 * OC * C * 9 * (double)H * W * 1e-9;
        for (size_t k = 0; k < sizeof K / sizeof K[0]; k++) {
            if (!ccpl__wg_available(K[k]) || (argc == 5 && strcmp(argv[4], ccpl__wg_name(K[k])))) continue;
            for (int r = 0; r < runs; r++) {
                const double t0 = bench_now();
                ccpl__winograd4_forward_with(K[k], y, x, U, b, C, H, W, OC, CCPL__PAD_REFLECT, 1, s,
                                             threads);
                t[r] = bench_now() - t0;
            }
            const double med = bench_median(t, runs);
            printf("%-14s %5d  %-9s %9.4f %9.4f %9.1f\n", L[l].name, H, ccpl__wg_name(K[k]), med, t[0],
                   gf / t[0]);
        }
        free(x), free(y), free(w), free(b), free(U), free(s);
    }
    free(t);
    return 0;
}
