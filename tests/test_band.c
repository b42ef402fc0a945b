/* test_band — networks run in row bands (model/net_band.h) against the same
 * networks run whole, on both backends, 1 and 2 threads: the art encoder
 * and decoder with random weights on odd sides (heights that are no
 * multiple of the band, of a Winograd tile or of 2), bands of 1 to 9 rows
 * so that seams fall next to the reflection-padded top and bottom edges,
 * next to pooled rows of odd images and between upsampled rows; the whole
 * net as one stretch (pooling and upsampling inside) and the stretches the
 * automatic rule picks (the full-resolution layers). Also: a banded run is
 * the same from run to run, and its activation slots are smaller.
 *
 * Tolerance: max|banded - whole| / max|whole| < 2e-5 (reference) and 5e-5
 * (fast): float rounding only — a band starts its own im2col blocks and
 * Winograd tile grid, a different summation order per output (about 1e-6
 * per layer, test_winograd), compounded over up to 10 layers. A wrong halo
 * or seam gives errors of the order of the values (1). Reads no fixtures. */
#include <stdint.h>

#include "core/blas_threads.h"
#include "model/arch.h"
#include "model/net.h"
#include "test_util.h"

static uint32_t rng = 2024;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* Random weights for every convolution of net, scaled to keep activations
 * of the order of 1 through ReLU layers; the blocks go to *keep. */
static void random_weights(ccpl__net *net, float **keep, int *n_keep) {
    for (int i = 0; i < net->n_ops; i++) {
        ccpl__conv *cv = &net->ops[i].conv;
        if (net->ops[i].kind != CCPL__OP_CONV) continue;
        const size_t nw = (size_t)cv->cout * cv->cin * cv->k * cv->k;
        float *w = malloc(sizeof(float) * (nw + (size_t)cv->cout));
        const float scale = sqrtf(6.0f / (float)(cv->cin * cv->k * cv->k));
        for (size_t j = 0; j < nw; j++) w[j] = frand() * scale;
        for (int j = 0; j < cv->cout; j++) w[nw + j] = 0.1f * frand();
        cv->w = w, cv->b = w + nw;
        keep[(*n_keep)++] = w;
    }
}

/* Largest intermediate activation of net on x (what the ping-pong slots hold
 * unbanded). */
static size_t largest_mid(const ccpl__net *net, const ccpl__tensor *x) {
    ccpl__tensor a[CCPL__NET_MAX_OPS + 1];
    ccpl__net_plan_shapes(net, x, a, 1);
    size_t n = 0;
    for (int i = 1; i < net->n_ops; i++)
        if (ccpl__tensor_numel(&a[i]) > n) n = ccpl__tensor_numel(&a[i]);
    return n;
}

static void one(const char *what, const ccpl__net *net, int c, int h, int w, size_t above, int rows,
                int threads, double tol) {
    ccpl__tensor x = {0}, whole = {0}, band = {0};
    ccpl__arena a1, a2;
    ccpl_error err;
    memset(&a1, 0, sizeof a1);
    memset(&a2, 0, sizeof a2);
    ccpl__tensor_alloc(&x, 1, c, h, w, NULL);
    ccpl__blas_use_threads(threads); /* as the library's entry points do */
    for (size_t i = 0; i < ccpl__tensor_numel(&x); i++) x.data[i] = 0.5f + 0.5f * frand();
    CHECK(ccpl__net_run_arena_bands(net, &x, &a1, CCPL__SLOT_FEAT, &whole, NULL, threads, NULL,
                                    SIZE_MAX, 0, &err) == CCPL_OK, "%s", err.message);
    CHECK(a1.cap[CCPL__SLOT_BAND_A] == 0, "%s: the whole run used band slots", what);
    CHECK(ccpl__net_run_arena_bands(net, &x, &a2, CCPL__SLOT_FEAT, &band, NULL, threads, NULL,
                                    above, rows, &err) == CCPL_OK, "%s", err.message);
    CHECK(a2.cap[CCPL__SLOT_BAND_A] > 0 && a2.cap[CCPL__SLOT_PING] < a1.cap[CCPL__SLOT_PING],
          "%s: not banded (band slot %zu floats, ping %zu vs %zu whole)", what,
          a2.cap[CCPL__SLOT_BAND_A], a2.cap[CCPL__SLOT_PING], a1.cap[CCPL__SLOT_PING]);
    const size_t n = ccpl__tensor_numel(&whole);
    CHECK(band.c == whole.c && band.h == whole.h && band.w == whole.w, "%s: shape", what);
    double maxref = 0, maxdiff = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)band.data[i] - whole.data[i]);
        if (!(d <= maxdiff)) maxdiff = d; /* NaN propagates */
        if (fabs(whole.data[i]) > maxref) maxref = fabs(whole.data[i]);
    }
    const double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
    CHECK(rel < tol && maxref > 0, "%s %dx%d bands of %d rows, threads %d: rel %.3g (tolerance %.0e)",
          what, w, h, rows, threads, rel, tol);
    /* the same banded run again: bit for bit */
    float *first = malloc(sizeof(float) * n);
    memcpy(first, band.data, sizeof(float) * n);
    CHECK(ccpl__net_run_arena_bands(net, &x, &a2, CCPL__SLOT_FEAT, &band, NULL, threads, NULL,
                                    above, rows, &err) == CCPL_OK, "%s", err.message);
    CHECK(!memcmp(first, band.data, sizeof(float) * n), "%s: banded run not repeatable", what);
    printf("%-26s %3dx%-3d above %9zu rows %2d threads %d  rel %.2e\n", what, w, h, above, rows,
           threads, rel);
    free(first);
    ccpl__blas_done_threads();
    ccpl__arena_release(&a1);
    ccpl__arena_release(&a2);
    ccpl__tensor_free(&x);
}

int main(void) {
    ccpl__net enc, dec;
    float *keep[CCPL__NET_MAX_OPS * 2];
    int n_keep = 0;
    ccpl_error err;
    ccpl__arch_encoder(&enc, CCPL_MODE_ART);
    ccpl__arch_decoder(&dec, CCPL_MODE_ART);
    random_weights(&enc, keep, &n_keep);
    random_weights(&dec, keep, &n_keep);
    /* encoder inputs: odd heights (37: pooled rows of odd images at every
       level), decoder inputs: 512-channel features (outputs 8x as high) */
    const int eh[2] = {37, 26}, ew[2] = {23, 31}, dh[2] = {5, 3}, dw[2] = {3, 4};
    for (int fast = 0; fast < 2; fast++) {
        const ccpl__backend *be = fast ? &ccpl__backend_fast : NULL;
        const double tol = fast ? 5e-5 : 2e-5;
        CHECK(ccpl__net_set_backend(&enc, be, 0, &err) == CCPL_OK, "%s", err.message);
        CHECK(ccpl__net_set_backend(&dec, be, 0, &err) == CCPL_OK, "%s", err.message);
        char name[64];
        for (int s = 0; s < 2; s++) {
            ccpl__tensor xe = {1, 3, eh[s], ew[s], NULL}, xd = {1, 512, dh[s], dw[s], NULL};
            /* the automatic rule's stretches (3/4 of the largest), then the whole net */
            const size_t ae = largest_mid(&enc, &xe) / 4 * 3, ad = largest_mid(&dec, &xd) / 4 * 3;
            const int rows[3] = {1, 4, 9};
            for (int r = 0; r < 3; r++) {
                /* two threads once per backend (OpenMP's hand-offs dominate
                   these small runs on a busy machine) */
                const int threads = r == 1 && s == 0 ? 2 : 1;
                snprintf(name, sizeof name, "%s encoder full-res", fast ? "fast" : "ref");
                one(name, &enc, 3, eh[s], ew[s], ae, rows[r], threads, tol);
                snprintf(name, sizeof name, "%s decoder full-res", fast ? "fast" : "ref");
                one(name, &dec, 512, dh[s], dw[s], ad, rows[r] + 1, threads, tol);
            }
            snprintf(name, sizeof name, "%s encoder whole", fast ? "fast" : "ref");
            one(name, &enc, 3, eh[s], ew[s], 1, 1 + s, 1, tol);
            snprintf(name, sizeof name, "%s decoder whole", fast ? "fast" : "ref");
            one(name, &dec, 512, dh[s], dw[s], 1, 7 + 4 * s, 1, tol);
        }
    }
    ccpl__net_release(&enc);
    ccpl__net_release(&dec);
    for (int i = 0; i < n_keep; i++) free(keep[i]);
    return tu_finish();
}
