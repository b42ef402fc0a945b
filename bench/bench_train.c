/* bench_train — seconds per training iteration (losses, forward and
 * backward; the Adam update is negligible) on random data.
 * Usage: bench_train MODE FIXTURE_TRAIN_DIR BATCH CROP RUNS THREADS [fast|ref [PR]]
 * (fast, the default: the encoder's passes and the decoder on Winograd, as
 * ccpl train does; ref: im2col everywhere; PR: the photorealism loss's
 * weight, default 0: off, with its default filter r = 1, eps = 1e-4)
 * (weights: MODE_{enc,dec,sct,mlp}.pth written by tests/ref/fixtures_train.py) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#include "core/blas_threads.h"
#include "train/train_model.h"

static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

static void grads_for(const ccpl__net *net, float **dw, float **db) {
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == CCPL__OP_CONV) {
            const ccpl__conv *cv = &net->ops[i].conv;
            dw[i] = zeros((size_t)cv->cout * cv->cin * cv->k * cv->k);
            db[i] = zeros((size_t)cv->cout);
        }
}

int main(int argc, char **argv) {
    if (argc < 7 || argc > 9) {
        fprintf(stderr, "usage: bench_train art|photo FIXTURE_TRAIN_DIR BATCH CROP RUNS THREADS [fast|ref [PR]]\n");
        return 2;
    }
    const ccpl_mode mode = strcmp(argv[1], "photo") ? CCPL_MODE_ART : CCPL_MODE_PHOTO;
    const int B = atoi(argv[3]), S = atoi(argv[4]), runs = atoi(argv[5]), nt = atoi(argv[6]);
    ccpl__checkpoint ck[4];
    static const char *const what[4] = {"enc", "dec", "sct", "mlp"};
    ccpl_error err;
    for (int k = 0; k < 4; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_%s.pth", argv[2], argv[1], what[k]);
        if (ccpl__checkpoint_load(path, NULL, NULL, &ck[k], &err) != CCPL_OK) {
            fprintf(stderr, "bench_train: %s\n", err.message);
            return 1;
        }
    }
    ccpl__train_model m;
    if (ccpl__train_model_bind(&m, mode, &ck[0], &ck[1], &ck[2], &ck[3], &err) != CCPL_OK) {
        fprintf(stderr, "bench_train: %s\n", err.message);
        return 1;
    }
    const char *engine = argc >= 8 ? argv[7] : "fast";
    ccpl__train_fast fastnets;
    if (strcmp(engine, "ref") != 0) {
        if (ccpl__train_model_use_fast(&m, &fastnets, &err) != CCPL_OK) {
            fprintf(stderr, "bench_train: %s\n", err.message);
            return 1;
        }
    }
    ccpl__train_grads g;
    memset(&g, 0, sizeof g);
    grads_for(&m.dec, g.dec_w, g.dec_b);
    grads_for(&m.sct.cnet, g.sct.cnet_w, g.sct.cnet_b);
    grads_for(&m.sct.snet, g.sct.snet_w, g.sct.snet_b);
    grads_for(&m.sct.uncompress, g.sct.un_w, g.sct.un_b);
    for (int l = 0; l < m.n_taps; l++) {
        const size_t c = (size_t)m.mlp[l].c, d = (size_t)m.mlp[l].d;
        g.mlp[l].w1 = zeros(c * c), g.mlp[l].b1 = zeros(c), g.mlp[l].w2 = zeros(d * c), g.mlp[l].b2 = zeros(d);
    }
    ccpl__tensor *c = calloc((size_t)B, sizeof *c), *s = calloc((size_t)B, sizeof *s);
    unsigned seed = 1;
    for (int n = 0; n < B; n++) {
        ccpl__tensor_alloc(&c[n], 1, 3, S, S, NULL);
        ccpl__tensor_alloc(&s[n], 1, 3, S, S, NULL);
        for (size_t i = 0; i < (size_t)3 * S * S; i++) {
            seed = seed * 1103515245u + 12345u;
            c[n].data[i] = (float)((seed >> 16) & 0xff) / 255.0f;
            seed = seed * 1103515245u + 12345u;
            s[n].data[i] = (float)((seed >> 16) & 0xff) / 255.0f;
        }
    }
    int anchors_buf[4][16];
    const int *anchors[4] = {0};
    for (int l = m.n_taps - 3; l < m.n_taps; l++) {
        for (int j = 0; j < 8; j++) anchors_buf[l][2 * j] = 1 + j, anchors_buf[l][2 * j + 1] = 2 + j;
        anchors[l] = anchors_buf[l];
    }
    ccpl__loss_config cfg = {1.0f, 10.0f, 5.0f, 0.07f, 8, 3, 0.0f, 0.0f, 1, 1e-4f};
    if (argc == 9) cfg.photoreal_weight = (float)atof(argv[8]);
    double *t = calloc((size_t)runs, sizeof *t);
    ccpl__train_ws ws; /* kept across the runs, as the trainer keeps it across iterations */
    memset(&ws, 0, sizeof ws);
    for (int r = 0; r < runs; r++) {
        ccpl__losses L;
        const double t0 = bench_now();
        ccpl__net_refresh(&m.dec); /* as the trainer does before each step */
        ccpl__blas_use_threads(nt); /* as the trainer does */
        const ccpl_status st = ccpl__train_step(&m, &ws, c, s, B, anchors, &cfg, &g, &L, nt, &err);
        ccpl__blas_done_threads();
        if (st != CCPL_OK) {
            fprintf(stderr, "bench_train: %s\n", err.message);
            return 1;
        }
        t[r] = bench_now() - t0;
        printf("run %d %.3f s (loss %.4g)\n", r + 1, t[r], L.total);
    }
    printf("median %.3f s\n", bench_median(t, runs));
    ccpl__train_ws_release(&ws);
    return 0;
}
