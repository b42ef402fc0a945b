/* bench_conv — per-layer speed of the 3x3 convolutions of the art-mode
 * encoder (to relu4_1) and decoder at one image size, for both engines:
 * im2col + sgemm (ref) and the fast engine's kernel for the layer (Winograd
 * F(2x2,3x3), or the direct kernel for few outputs). GFLOP/s counts the
 * direct convolution's 2*OC*C*9*H*W flops for both, so the numbers compare
 * with the sgemm rate (bench_sgemm) and with each other.
 * Usage: bench_conv SIZE RUNS THREADS
 * Prints wall-clock medians and the process CPU time per layer. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "ops/conv2d.h"
#include "ops/conv2d_direct.h"
#include "ops/conv2d_winograd.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct layer {
    const char *name;
    int c, oc, div; /* channels in/out, image side / div */
} layer;

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_conv SIZE RUNS THREADS\n");
        return 2;
    }
    const int size = atoi(argv[1]), runs = atoi(argv[2]), threads = atoi(argv[3]);
    if (size < 16 || runs < 1 || threads < 1) return 2;
    openblas_set_num_threads(threads); /* as a model does for its calls */
    static const layer L[] = {
        {"enc conv1_2", 64, 64, 1},    {"enc conv2_1", 64, 128, 2},  {"enc conv2_2", 128, 128, 2},
        {"enc conv3_1", 128, 256, 4},  {"enc conv3_x", 256, 256, 4}, {"enc conv4_1", 256, 512, 8},
        {"dec 512->256", 512, 256, 8}, {"dec 256->128", 256, 128, 4}, {"dec 128->64", 128, 64, 2},
        {"dec 64->64", 64, 64, 1},     {"dec 64->3", 64, 3, 1},
    };
    printf("%-14s %5s  %8s %8s  %8s %8s  %s\n", "layer", "side", "ref s", "GFLOP/s", "fast s",
           "GFLOP/s", "cpu ref/fast");
    for (size_t l = 0; l < sizeof L / sizeof L[0]; l++) {
        const int C = L[l].c, OC = L[l].oc, H = size / L[l].div, W = H;
        const size_t nx = (size_t)C * H * W, ny = (size_t)OC * H * W, nw = (size_t)OC * C * 9;
        float *x = malloc(nx * 4), *y = malloc(ny * 4), *w = malloc(nw * 4), *b = calloc(OC, 4);
        for (size_t i = 0; i < nx; i++) x[i] = (float)(i % 7) * 0.1f;
        for (size_t i = 0; i < nw; i++) w[i] = (float)(i % 5) * 0.01f;
        float *s1 = malloc((ccpl__conv2d_scratch_floats(C, H, W, 3, 1) + 1) * 4);
        const int wino = ccpl__winograd_suits(C, OC, 3, 1), direct = ccpl__direct_suits(C, OC, 3, 1);
        float *U = wino ? malloc(ccpl__winograd_weight_floats(OC, C) * 4) : NULL;
        float *s2 = wino     ? malloc(ccpl__winograd_scratch_floats(C, OC, H, W, threads) * 4)
                    : direct ? malloc(ccpl__direct_scratch_floats(OC, W, threads) * 4)
                             : NULL;
        if (wino) ccpl__winograd_weight_transform(U, w, OC, C);
        double *t = malloc(sizeof(double) * (size_t)runs), tr, tf = 0, cr, cf = 0, c0;
        c0 = cpu_now();
        for (int r = 0; r < runs; r++) {
            double t0 = bench_now();
            ccpl__conv2d_forward(y, x, w, b, 1, C, H, W, OC, 3, 1, CCPL__PAD_REFLECT, 1, s1, threads);
            t[r] = bench_now() - t0;
        }
        cr = (cpu_now() - c0) / runs;
        tr = bench_median(t, runs);
        if (wino || direct) {
            c0 = cpu_now();
            for (int r = 0; r < runs; r++) {
                double t0 = bench_now();
                if (wino)
                    ccpl__winograd_forward(y, x, U, b, C, H, W, OC, CCPL__PAD_REFLECT, 1, s2, threads);
                else
                    ccpl__direct_forward(y, x, w, b, C, H, W, OC, CCPL__PAD_REFLECT, 1, s2, threads);
                t[r] = bench_now() - t0;
            }
            cf = (cpu_now() - c0) / runs;
            tf = bench_median(t, runs);
        }
        const double gf = 2.0 * OC * C * 9 * (double)H * W * 1e-9;
        if (wino || direct)
            printf("%-14s %5d  %8.4f %8.1f  %8.4f %8.1f  %.4f/%.4f\n", L[l].name, H, tr, gf / tr, tf,
                   gf / tf, cr, cf);
        else
            printf("%-14s %5d  %8.4f %8.1f  %8s %8s  %.4f\n", L[l].name, H, tr, gf / tr, "-", "-", cr);
        free(x), free(y), free(w), free(b), free(s1), free(U), free(s2), free(t);
    }
    return 0;
}
