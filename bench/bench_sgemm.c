/* bench_sgemm — the machine's single-precision GEMM rate through the BLAS
 * ccpl links (the ceiling for its convolutions).
 * Usage: bench_sgemm [N] [RUNS] [THREADS]   (N x N x N products) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"

int main(int argc, char **argv) {
    const int n = argc > 1 ? atoi(argv[1]) : 2048;
    const int runs = argc > 2 ? atoi(argv[2]) : 7;
    const int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (n <= 0 || runs <= 0 || threads <= 0) {
        fprintf(stderr, "usage: bench_sgemm [N] [RUNS] [THREADS]\n");
        return 2;
    }
    openblas_set_num_threads(threads);
    float *a = malloc(sizeof(float) * (size_t)n * n), *b = malloc(sizeof(float) * (size_t)n * n),
          *c = malloc(sizeof(float) * (size_t)n * n);
    double *g = malloc(sizeof(double) * (size_t)runs);
    if (!a || !b || !c || !g) return 1;
    for (size_t i = 0; i < (size_t)n * n; i++) a[i] = (float)(i % 7) - 3, b[i] = (float)(i % 5) - 2;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    for (int r = 0; r < runs; r++) {
        double t0 = bench_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        g[r] = 2.0 * n * n * (double)n / (bench_now() - t0) / 1e9;
    }
    qsort(g, (size_t)runs, sizeof *g, bench_cmp_double);
    printf("sgemm %d^3, %d threads (%s): median %.1f GFLOP/s (min %.1f, max %.1f)\n", n, threads,
           openblas_get_config(), g[runs / 2], g[0], g[runs - 1]);
    free(a), free(b), free(c), free(g);
    return 0;
}
