/* Thread safety of the public API: separate models used at the same time
 * from different threads give byte-identical results to the same calls made
 * one at a time (ccpl.h: "separate models are independent").
 *
 * Four models (two art, two photo; zip and legacy checkpoints) each get one
 * thread; every thread encodes its style and stylizes two small contents
 * several times while the others do the same. The references are the same
 * models' outputs computed first on the main thread, one call at a time.
 * Three settings of n_threads per model: all 1, all 2, and 1/2 mixed (the
 * mixed case is the one where OpenBLAS's process-wide thread count is set
 * to different values by different callers). */
#include <pthread.h>
#include <stdint.h>

#include "ccpl/ccpl.h"
#include "test_util.h"

#define N_MODELS 4
#define N_CONTENTS 2
#define ROUNDS 3

static const char *dir;
static ccpl_image contents[N_CONTENTS], style_img;

typedef struct job {
    ccpl_model *model;
    const char *name;
    ccpl_image ref[N_CONTENTS]; /* single-threaded results */
    /* filled by the worker thread, checked by the main thread */
    int calls, mismatches, errors;
    char first_error[600];
} job;

static void load_image(const char *name, int shorter, ccpl_image *out) {
    ccpl_image img = {0};
    ccpl_error err;
    if (ccpl_image_load(tu_path(dir, name), &img, &err) != CCPL_OK ||
        ccpl_image_resize_shorter(&img, shorter, 0, out, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        exit(1);
    }
    ccpl_image_free(&img);
}

/* A 96x80 content with structure at every scale (a deterministic pattern). */
static void make_pattern(ccpl_image *out) {
    ccpl_error err;
    if (ccpl_image_alloc(out, 96, 80, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        exit(1);
    }
    uint32_t s = 12345;
    for (int y = 0; y < out->height; y++)
        for (int x = 0; x < out->width; x++) {
            unsigned char *p = out->data + 3 * ((size_t)y * out->width + x);
            s = s * 1664525u + 1013904223u;
            p[0] = (unsigned char)(x * 255 / 95);
            p[1] = (unsigned char)(((x / 8 + y / 8) & 1) ? 200 : 40);
            p[2] = (unsigned char)(s >> 24);
        }
}

static int same_image(const ccpl_image *a, const ccpl_image *b) {
    return a->width == b->width && a->height == b->height &&
           !memcmp(a->data, b->data, (size_t)a->width * a->height * 3);
}

/* One stylization of content i with a freshly encoded style. */
static ccpl_status run_once(ccpl_model *m, ccpl_style *s, int i, ccpl_image *out) {
    ccpl_stylize_params sp = ccpl_default_stylize_params();
    return ccpl_stylize(m, &contents[i], &s, NULL, 1, &sp, out);
}

static void note_error(job *j, const char *what) {
    if (!j->errors++)
        snprintf(j->first_error, sizeof j->first_error, "%s: %s", what, ccpl_model_error(j->model));
}

static void *worker(void *arg) {
    job *j = (job *)arg;
    for (int r = 0; r < ROUNDS; r++) {
        ccpl_style *s = ccpl_style_new(j->model, &style_img, NULL);
        if (!s) {
            note_error(j, "style");
            continue;
        }
        for (int i = 0; i < N_CONTENTS; i++) {
            ccpl_image out = {0};
            j->calls++;
            if (run_once(j->model, s, i, &out) != CCPL_OK)
                note_error(j, "stylize");
            else if (!same_image(&out, &j->ref[i]))
                j->mismatches++;
            ccpl_image_free(&out);
        }
        ccpl_style_free(s);
    }
    return NULL;
}

static ccpl_model *load_model(int photo, int legacy, int n_threads) {
    ccpl_params p = ccpl_default_params();
    p.mode = photo ? CCPL_MODE_PHOTO : CCPL_MODE_ART;
    p.n_threads = n_threads;
    const char *vgg = photo ? "vgg_conv3_1_legacy.pth" : legacy ? "vgg_legacy.pth" : "vgg.pth";
    const char *dec = photo ? (legacy ? "photo_decoder_legacy.pth" : "photo_decoder.pth")
                            : (legacy ? "art_decoder_legacy.pth" : "art_decoder.pth");
    const char *sct = photo ? (legacy ? "photo_sct_legacy.pth" : "photo_sct.pth")
                            : (legacy ? "art_sct_legacy.pth" : "art_sct.pth");
    ccpl_error err;
    ccpl_model *m = ccpl_model_load(tu_path(dir, vgg), tu_path(dir, dec), tu_path(dir, sct), &p, &err);
    if (!m) {
        fprintf(stderr, "FAIL: loading %s/%s/%s: %s\n", vgg, dec, sct, err.message);
        exit(1);
    }
    return m;
}

/* first_refs[mode][i]: the first all-1-thread references, to report
 * whether results depend on n_threads (informational). */
static ccpl_image first_refs[2][N_CONTENTS];

static void run_setting(const char *label, const int n_threads[N_MODELS]) {
    static const char *names[N_MODELS] = {"art/zip", "photo/legacy", "art/legacy", "photo/zip"};
    job jobs[N_MODELS];
    memset(jobs, 0, sizeof jobs);
    for (int k = 0; k < N_MODELS; k++) {
        jobs[k].model = load_model(k & 1, k == 1 || k == 2, n_threads[k]);
        jobs[k].name = names[k];
    }
    /* references: one call at a time on this thread */
    int n_differ = 0;
    for (int k = 0; k < N_MODELS; k++) {
        ccpl_style *s = ccpl_style_new(jobs[k].model, &style_img, NULL);
        CHECK(s != NULL, "%s: %s", names[k], ccpl_model_error(jobs[k].model));
        if (!s) exit(1);
        for (int i = 0; i < N_CONTENTS; i++) {
            ccpl_status st = run_once(jobs[k].model, s, i, &jobs[k].ref[i]);
            CHECK(st == CCPL_OK, "%s: %s", names[k], ccpl_model_error(jobs[k].model));
            if (st != CCPL_OK) exit(1);
            const int mode = k & 1;
            if (!first_refs[mode][i].data) {
                ccpl_error err;
                ccpl_image *f = &first_refs[mode][i];
                if (ccpl_image_alloc(f, jobs[k].ref[i].width, jobs[k].ref[i].height, &err) != CCPL_OK) exit(1);
                memcpy(f->data, jobs[k].ref[i].data, (size_t)f->width * f->height * 3);
            } else if (!same_image(&first_refs[mode][i], &jobs[k].ref[i])) {
                n_differ++;
            }
        }
        ccpl_style_free(s);
    }
    if (n_differ)
        printf("  note: %d of %d results differ from those with n_threads=1 (allowed: OpenBLAS "
               "may sum in another order with another thread count)\n",
               n_differ, N_MODELS * N_CONTENTS);
    /* the same calls, all models at once */
    pthread_t th[N_MODELS];
    int started[N_MODELS] = {0};
    for (int k = 0; k < N_MODELS; k++) {
        started[k] = pthread_create(&th[k], NULL, worker, &jobs[k]) == 0;
        CHECK(started[k], "%s: pthread_create failed", names[k]);
    }
    for (int k = 0; k < N_MODELS; k++)
        if (started[k]) pthread_join(th[k], NULL);
    for (int k = 0; k < N_MODELS; k++) {
        job *j = &jobs[k];
        printf("  %-6s %-13s n_threads=%d: %d concurrent calls, %d errors, %d differ from the "
               "single-threaded result\n",
               label, j->name, n_threads[k], j->calls, j->errors, j->mismatches);
        CHECK(j->errors == 0, "%s %s: %d failed calls, first: %s", label, j->name, j->errors, j->first_error);
        CHECK(j->mismatches == 0, "%s %s: %d of %d concurrent results differ from the single-threaded one",
              label, j->name, j->mismatches, j->calls);
        CHECK(j->calls == ROUNDS * N_CONTENTS, "%s %s: %d calls", label, j->name, j->calls);
        for (int i = 0; i < N_CONTENTS; i++) ccpl_image_free(&j->ref[i]);
        ccpl_model_free(j->model);
    }
}

int main(void) {
    dir = tu_path(tu_env("CCPL_FIXTURES"), "model");
    dir = strdup(dir); /* tu_path's buffers rotate */
    load_image("content.png", 80, &contents[0]); /* 107x80 */
    make_pattern(&contents[1]);                  /* 96x80 */
    load_image("style.png", 64, &style_img);

    static const int one[N_MODELS] = {1, 1, 1, 1}, two[N_MODELS] = {2, 2, 2, 2},
                     mixed[N_MODELS] = {1, 2, 2, 1};
    run_setting("1", one);
    run_setting("2", two);
    run_setting("mixed", mixed);

    for (int m = 0; m < 2; m++)
        for (int i = 0; i < N_CONTENTS; i++) ccpl_image_free(&first_refs[m][i]);
    for (int i = 0; i < N_CONTENTS; i++) ccpl_image_free(&contents[i]);
    ccpl_image_free(&style_img);
    free((void *)dir);
    return tu_finish();
}
