/* test_coral.c — ccpl__coral against pytorch-AdaIN's function.coral (float32
 * torch, fixtures_image.py), plus its properties and refusals. */
#include "ccpl/ccpl.h"
#include "ops/coral.h"
#include "test_util.h"

static float *read_floats(const char *path, size_t n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    float *buf = (float *)malloc(n * sizeof(float) + 1);
    size_t got = buf ? fread(buf, sizeof(float), n + 1, fp) : 0;
    fclose(fp);
    if (got != n) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void test_reference(const char *dir) {
    FILE *fp = fopen(tu_path(dir, "coral.txt"), "r");
    CHECK(fp != NULL, "coral.txt missing");
    if (!fp) return;
    char name[128], p[256];
    int hs, ws, ht, wt, count = 0;
    while (fscanf(fp, "%127s %d %d %d %d", name, &hs, &ws, &ht, &wt) == 5) {
        count++;
        size_t ns = 3 * (size_t)hs * ws, nt = 3 * (size_t)ht * wt;
        snprintf(p, sizeof p, "%s_source.f32", name);
        float *src = read_floats(tu_path(dir, p), ns);
        snprintf(p, sizeof p, "%s_target.f32", name);
        float *tgt = read_floats(tu_path(dir, p), nt);
        snprintf(p, sizeof p, "%s_expected.f32", name);
        float *exp = read_floats(tu_path(dir, p), ns);
        CHECK(src && tgt && exp, "%s: fixtures missing or wrong size", name);
        if (src && tgt && exp) {
            float *tgt_copy = (float *)malloc(nt * sizeof(float));
            memcpy(tgt_copy, tgt, nt * sizeof(float));
            ccpl_error err;
            ccpl_status st = ccpl__coral(src, hs, ws, tgt, ht, wt, &err);
            CHECK(st == CCPL_OK, "%s: %s", name, err.message);
            double rel = tu_rel_err(src, exp, ns);
            printf("coral %-6s (3,%d,%d) <- (3,%d,%d): rel err %.3g vs torch (tolerance 1e-4)\n",
                   name, hs, ws, ht, wt, rel);
            CHECK(rel <= 1e-4, "%s: rel err %g", name, rel);
            CHECK(memcmp(tgt, tgt_copy, nt * sizeof(float)) == 0, "%s: target modified", name);
            free(tgt_copy);
        }
        free(src);
        free(tgt);
        free(exp);
    }
    fclose(fp);
    CHECK(count >= 2, "only %d CORAL cases", count);
}

/* Recolouring an image to its own statistics leaves it (nearly) unchanged;
 * the result has the target's channel means. */
static void test_properties(void) {
    enum { H = 9, W = 11, N = H * W };
    float a[3 * N], b[3 * N], t[3 * N];
    unsigned s = 12345;
    for (int i = 0; i < 3 * N; i++) {
        s = s * 1103515245u + 12345u;
        a[i] = (float)((s >> 8) & 0xffff) / 65535.0f;
    }
    /* Correlate the channels a little. */
    for (int i = 0; i < N; i++) a[N + i] = 0.5f * a[N + i] + 0.5f * a[i];
    memcpy(b, a, sizeof a);
    ccpl_error err;
    CHECK(ccpl__coral(b, H, W, a, H, W, &err) == CCPL_OK, "%s", err.message);
    double rel = tu_rel_err(b, a, 3 * N);
    printf("coral(x, x) vs x: rel err %.3g\n", rel);
    CHECK(rel < 1e-5, "coral(x, x) moved x by %g", rel);

    for (int i = 0; i < 3 * N; i++) t[i] = a[(i * 7) % (3 * N)] * 0.3f + 0.6f;
    memcpy(b, a, sizeof a);
    CHECK(ccpl__coral(b, H, W, t, H, W, &err) == CCPL_OK, "%s", err.message);
    for (int c = 0; c < 3; c++) {
        double mb = 0, mt = 0;
        for (int i = 0; i < N; i++) {
            mb += b[c * N + i];
            mt += t[c * N + i];
        }
        CHECK(fabs(mb - mt) / N < 1e-5, "channel %d mean %g, target %g", c, mb / N, mt / N);
    }
}

static void test_refusals(void) {
    enum { N = 16 };
    float src[3 * N], tgt[3 * N], keep[3 * N];
    for (int i = 0; i < 3 * N; i++) {
        src[i] = (float)((i * 37) % 11) / 10.0f;
        tgt[i] = (float)((i * 13) % 7) / 6.0f;
    }
    ccpl_error err;
    /* A constant source channel: the reference divides by a zero std (NaN). */
    for (int i = 0; i < N; i++) src[N + i] = 0.5f;
    memcpy(keep, src, sizeof src);
    CHECK(ccpl__coral(src, 4, 4, tgt, 4, 4, &err) == CCPL_E_INVALID_ARGUMENT,
          "constant source channel: %s", err.message);
    CHECK(strstr(err.message, "constant") && strstr(err.message, "source") &&
              strstr(err.message, "channel 1"),
          "message: %s", err.message);
    printf("constant channel -> %s\n", err.message);
    CHECK(memcmp(src, keep, sizeof src) == 0, "source modified on failure");
    for (int i = 0; i < N; i++) src[N + i] = (float)i;
    /* A constant target channel. */
    for (int i = 0; i < N; i++) tgt[2 * N + i] = 0.25f;
    CHECK(ccpl__coral(src, 4, 4, tgt, 4, 4, &err) == CCPL_E_INVALID_ARGUMENT &&
              strstr(err.message, "target"),
          "constant target channel: %s", err.message);
    for (int i = 0; i < N; i++) tgt[2 * N + i] = (float)(i % 3);
    /* Non-finite data. */
    src[5] = NAN;
    CHECK(ccpl__coral(src, 4, 4, tgt, 4, 4, &err) == CCPL_E_INVALID_ARGUMENT, "NaN: %s",
          err.message);
    src[5] = 0.5f;
    /* Too few pixels (the unbiased std needs two), empty, NULL. */
    CHECK(ccpl__coral(src, 1, 1, tgt, 4, 4, &err) == CCPL_E_INVALID_ARGUMENT, "1 pixel");
    CHECK(ccpl__coral(src, 4, 4, tgt, 1, 1, &err) == CCPL_E_INVALID_ARGUMENT, "1 pixel target");
    CHECK(ccpl__coral(src, 0, 4, tgt, 4, 4, &err) == CCPL_E_INVALID_ARGUMENT, "empty");
    CHECK(ccpl__coral(NULL, 4, 4, tgt, 4, 4, &err) == CCPL_E_INVALID_ARGUMENT, "NULL");
    CHECK(ccpl__coral(src, 4, 4, tgt, 4, 4, NULL) == CCPL_OK, "valid call with NULL err");
}

int main(void) {
    const char *fx = tu_env("CCPL_FIXTURES");
    static char dir[2048];
    snprintf(dir, sizeof dir, "%s/image", fx);
    test_reference(dir);
    test_properties();
    test_refusals();
    return tu_finish();
}
