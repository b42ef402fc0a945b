/* bench_stylize — seconds per stylization through the public API.
 * Usage: bench_stylize MODE VGG DECODER SCT SIZE RUNS THREADS [fast|ref]
 * Prints one line per run and the median; the model is loaded once, the
 * style is encoded in every run (as for a single CLI stylization). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#include "ccpl/ccpl.h"

static void fill(ccpl_image *img, int size, unsigned seed) {
    ccpl_image_alloc(img, size, size, NULL);
    for (size_t i = 0; i < (size_t)size * size * 3; i++) {
        seed = seed * 1103515245u + 12345u;
        img->data[i] = (unsigned char)((seed >> 16) & 0xff);
    }
}

int main(int argc, char **argv) {
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: bench_stylize art|photo VGG DECODER SCT SIZE RUNS THREADS [fast|ref]\n");
        return 2;
    }
    ccpl_params p = ccpl_default_params();
    p.mode = strcmp(argv[1], "photo") ? CCPL_MODE_ART : CCPL_MODE_PHOTO;
    const int size = atoi(argv[5]), runs = atoi(argv[6]);
    p.n_threads = atoi(argv[7]);
    p.engine = argc == 9 && !strcmp(argv[8], "ref") ? CCPL_ENGINE_REF : CCPL_ENGINE_FAST;
    ccpl_error err;
    double t0 = bench_now();
    ccpl_model *m = ccpl_model_load(argv[2], argv[3], argv[4], &p, &err);
    if (!m) {
        fprintf(stderr, "bench_stylize: %s\n", err.message);
        return 1;
    }
    printf("load %.3f s\n", bench_now() - t0);
    ccpl_image content = {0}, style = {0}, out = {0};
    fill(&content, size, 1);
    fill(&style, size, 2);
    double *t = calloc((size_t)runs, sizeof *t);
    for (int r = 0; r < runs; r++) {
        t0 = bench_now();
        ccpl_style *s = ccpl_style_new(m, &style, NULL);
        if (!s || ccpl_stylize(m, &content, &s, NULL, 1, NULL, &out) != CCPL_OK) {
            fprintf(stderr, "bench_stylize: %s\n", ccpl_model_error(m));
            return 1;
        }
        t[r] = bench_now() - t0;
        printf("run %d %.3f s\n", r + 1, t[r]);
        ccpl_style_free(s);
        ccpl_image_free(&out);
    }
    printf("median %.3f s\n", bench_median(t, runs));
    free(t);
    ccpl_image_free(&content);
    ccpl_image_free(&style);
    ccpl_model_free(m);
    return 0;
}
