/* test_fuzz_regressions.c — every input a fuzzer once crashed on (or that
 * fuzzing showed mishandled), replayed through the harness's entry point:
 * fuzz/regressions/<harness>/<file> for harness pickle, checkpoint, image and
 * flo. Each must fail cleanly: an error status recorded in the ccpl_error
 * with a one-line message, *out left empty, nothing leaked (under ASan).
 * A file whose name contains ".ok." must load instead. See docs/FUZZING.md. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/checkpoint.h"
#include "io/flo.h"
#include "io/image_memory.h"
#include "io/pickle.h"
#include "test_util.h"

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4096;
            unsigned char *b = realloc(buf, cap);
            if (!b) break;
            buf = b;
        }
        size_t k = fread(buf + len, 1, cap - len, fp);
        len += k;
        if (k == 0) break;
    }
    fclose(fp);
    *n = len;
    return buf ? buf : malloc(1);
}

/* A clean failure: the status recorded, one line of message. */
static int clean_error(ccpl_status st, const ccpl_error *err) {
    size_t n = strnlen(err->message, sizeof err->message);
    return st != CCPL_OK && err->status == st && n > 0 && n < sizeof err->message &&
           !memchr(err->message, '\n', n);
}

static void run_pickle(const char *name, const unsigned char *d, size_t n, int ok) {
    ccpl__pkl *p = ccpl__pkl_new();
    CHECK(p != NULL, "out of memory");
    if (!p) return;
    size_t off = 0;
    ccpl_status st = CCPL_OK;
    ccpl_error err;
    for (int k = 0; k < 4 && off < n && st == CCPL_OK; k++) {
        const ccpl__pv *out = NULL;
        size_t used = 0;
        st = ccpl__pkl_run(p, d + off, n - off, off, name, &out, &used, &err);
        if (st == CCPL_OK) off += used;
    }
    if (ok) CHECK(st == CCPL_OK, "%s: %s", name, err.message);
    else CHECK(clean_error(st, &err), "%s: status %d, '%s'", name, (int)st, err.message);
    ccpl__pkl_free(p);
}

static void run_checkpoint(const char *name, const unsigned char *d, size_t n, int ok) {
    ccpl__checkpoint ck;
    ccpl_error err;
    ccpl_status st = ccpl__checkpoint_load_memory(d, n, name, NULL, NULL, &ck, &err);
    if (ok) CHECK(st == CCPL_OK, "%s: %s", name, err.message);
    else CHECK(clean_error(st, &err) && ck.n == 0 && !ck.t, "%s: status %d, '%s'", name, (int)st,
               err.message);
    ccpl__checkpoint_free(&ck);
}

static void run_image(const char *name, const unsigned char *d, size_t n, int ok) {
    ccpl_image img = {0, 0, NULL};
    ccpl_error err;
    ccpl_status st = ccpl__image_load_memory(d, n, name, &img, &err);
    if (ok) CHECK(st == CCPL_OK, "%s: %s", name, err.message);
    else CHECK(clean_error(st, &err) && !img.data, "%s: status %d, '%s'", name, (int)st,
               err.message);
    ccpl_image_free(&img);
}

static void run_flo(const char *name, const unsigned char *d, size_t n, int ok) {
    ccpl__flow f;
    ccpl_error err;
    ccpl_status st = ccpl__flo_load_memory(d, n, name, &f, &err);
    if (ok) CHECK(st == CCPL_OK, "%s: %s", name, err.message);
    else CHECK(clean_error(st, &err) && !f.uv, "%s: status %d, '%s'", name, (int)st, err.message);
    ccpl__flow_free(&f);
}

typedef void (*runner)(const char *, const unsigned char *, size_t, int);

static int run_dir(const char *root, const char *sub, runner fn) {
    char dir[2048], path[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, sub);
    DIR *dp = opendir(dir);
    if (!dp) return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = 0;
        unsigned char *d = read_all(path, &n);
        CHECK(d != NULL, "%s: cannot read", path);
        if (!d) continue;
        fn(path, d, n, strstr(e->d_name, ".ok.") != NULL);
        free(d);
        count++;
    }
    closedir(dp);
    printf("%s: %d inputs\n", sub, count);
    return count;
}

int main(void) {
    char root[1024];
    snprintf(root, sizeof root, "%s/fuzz/regressions", tu_env("CCPL_SOURCE"));
    int total = run_dir(root, "pickle", run_pickle) + run_dir(root, "checkpoint", run_checkpoint) +
                run_dir(root, "image", run_image) + run_dir(root, "flo", run_flo);
    CHECK(total > 0, "no inputs under %s", root);
    return tu_finish();
}
