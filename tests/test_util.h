/* test_util.h — tiny assertion helpers. Each check prints on failure; the
 * test ends with "N passed, N failed" and exits non-zero on any failure. */
#ifndef CCPL_TEST_UTIL_H
#define CCPL_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tu_passed, tu_failed, tu_skipped;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            tu_passed++;                                                   \
        } else {                                                           \
            tu_failed++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

#define SKIP(...)                                  \
    do {                                           \
        tu_skipped++;                              \
        fprintf(stdout, "SKIP: ");                 \
        fprintf(stdout, __VA_ARGS__);              \
        fputc('\n', stdout);                       \
    } while (0)

/* Ends main(): prints the closing line and returns the exit code. */
static inline int tu_finish(void) {
    if (tu_skipped)
        printf("%d passed, %d failed, %d skipped\n", tu_passed, tu_failed, tu_skipped);
    else
        printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}

/* Environment variable or a fatal error naming it (tests never skip silently). */
static inline const char *tu_env(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "FAIL: environment variable %s is not set (run through ctest)\n", name);
        exit(1);
    }
    return v;
}

/* Path join into a static rotating buffer. */
static inline const char *tu_path(const char *dir, const char *name) {
    static char buf[8][4096];
    static int k;
    char *b = buf[k++ & 7];
    if ((size_t)snprintf(b, sizeof buf[0], "%s/%s", dir, name) >= sizeof buf[0]) {
        fprintf(stderr, "FAIL: path too long: %s/%s\n", dir, name);
        exit(1);
    }
    return b;
}

/* max |a-b| / max(max |b|, tiny): error relative to the tensor's scale. */
/* n numbers (one per line, as the Python fixture writers print them) from
 * f, as floats; a short file fails the test program. The caller frees. */
static inline float *tu_read_vals(FILE *f, size_t n) {
    float *v = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        double d;
        if (!v || fscanf(f, "%lf", &d) != 1) {
            fprintf(stderr, "FAIL: fixture too short\n");
            exit(1);
        }
        v[i] = (float)d;
    }
    return v;
}

static inline double tu_rel_err(const float *a, const float *b, size_t n) {
    double md = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > md || d != d) md = d;
        if (fabs((double)b[i]) > mb) mb = fabs((double)b[i]);
    }
    return md / (mb > 1e-30 ? mb : 1e-30);
}

#endif
