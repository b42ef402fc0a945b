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
#include "backend/backend.h"

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
    printf("%-14s %5s  %8s %8s  %8s %8s  %8s %8s  %s\n", "layer", "side", "ref s", "GFLOP/s",
           "F2x2 s", "GFLOP/s", "fast s", "GFLOP/s", "cpu ref/F2x2/fast");
    for (size_t l = 0; l < sizeof L / sizeof L[0]; l++) {
        const int C = L[l].c, OC = L[l].oc, H = size / L[l].div, W = H;
        const size_t nx = (size_t)C * H * W, ny = (size_t)OC * H * W, nw = (size_t)OC * C * 9;
        float *x = malloc(nx * 4), *y = malloc(ny * 4), *w = malloc(nw * 4), *b = calloc(OC, 4);
        for (size_t i = 0; i < nx; i++) x[i] = (float)(i % 7) * 0.1f;
        for (size_t i = 0; i < nw; i++) w[i] = (float)(i % 5) * 0.01f;
        /* three setups of the layer: the reference backend, the fast backend
           prepared for training (F(2x2,3x3)) and for inference (F(4x4,3x3));
           the direct kernel serves the few-output layer in both fast ones */
        ccpl__conv cv = {.key = (int)l, .cin = C, .cout = OC, .k = 3, .pad = 1, .relu = 1, .w = w, .b = b};
        const ccpl__backend *bes[3] = {&ccpl__backend_ref, &ccpl__backend_fast, &ccpl__backend_fast};
        double tm[3], cpu[3];
        double *t = malloc(sizeof(double) * (size_t)runs);
        for (int k = 0; k < 3; k++) {
            ccpl_error err;
            if (bes[k]->prepare && bes[k]->prepare(&cv, k == 1, &err) != CCPL_OK) {
                fprintf(stderr, "bench_conv: %s\n", err.message);
                return 1;
            }
            const ccpl__backend *be = ccpl__backend_for(bes[k], &cv, CCPL__PASS_FORWARD);
            float *scratch = malloc((be->conv_scratch(&cv, CCPL__PASS_FORWARD, H, W, threads) + 1) * 4);
            const double c0 = cpu_now();
            for (int r = 0; r < runs; r++) {
                const double t0 = bench_now();
                be->conv_forward(&cv, y, x, 1, H, W, scratch, threads);
                t[r] = bench_now() - t0;
            }
            cpu[k] = (cpu_now() - c0) / runs;
            tm[k] = bench_median(t, runs);
            free(scratch);
            if (bes[k]->release) bes[k]->release(&cv);
        }
        const double gf = 2.0 * OC * C * 9 * (double)H * W * 1e-9;
        printf("%-14s %5d  %8.4f %8.1f  %8.4f %8.1f  %8.4f %8.1f  %.4f/%.4f/%.4f\n", L[l].name, H,
               tm[0], gf / tm[0], tm[1], gf / tm[1], tm[2], gf / tm[2], cpu[0], cpu[1], cpu[2]);
        free(x), free(y), free(w), free(b), free(t);
    }
    return 0;
}
