/* The guided filter (src/ops/guided_filter.c) and the flat-region texture
 * metric (src/ops/metrics.c) against the float64 numpy references of
 * tests/ref/fixtures_smooth.py (explicit windows, written from the paper and
 * from docs/METRICS.md), on small odd sizes, a radius larger than the image,
 * a 1x1 and a one-row image; and the guided filter's defining properties. */
#include "ops/guided_filter.h"
#include "ops/metrics.h"
#include "test_util.h"

/* float32 storage, box means from double running sums, the 3x3 solve in
 * double: measured <= 1e-6 relative; 1e-5 leaves room for other compilers. */
#define TOL_GF 1e-5
#define TOL_FLAT 1e-6

static const char *dir;

static FILE *open_case(const char *name) {
    FILE *f = fopen(tu_path(dir, name), "r");
    if (!f) {
        fprintf(stderr, "FAIL: cannot open %s/%s\n", dir, name);
        exit(1);
    }
    return f;
}

static void test_gf_case(const char *name) {
    FILE *f = open_case(name);
    int H, W, C, r;
    double eps;
    if (fscanf(f, "%d %d %d %d %lf", &H, &W, &C, &r, &eps) != 5) {
        fprintf(stderr, "FAIL: %s: bad header\n", name);
        exit(1);
    }
    const size_t plane = (size_t)H * W;
    float *I = tu_read_vals(f, 3 * plane), *p = tu_read_vals(f, C * plane), *q = tu_read_vals(f, C * plane);
    fclose(f);
    float *out = malloc(sizeof(float) * C * plane);
    void *scratch = malloc(ccpl__guided_filter_scratch(H, W));
    ccpl__guided_filter(out, p, I, C, H, W, r, (float)eps, scratch);
    double e = tu_rel_err(out, q, C * plane);
    printf("  %-14s %2dx%-2d C=%d r=%-2d eps=%g: rel err %.2e (tol %.0e)\n", name, H, W, C, r, eps, e, TOL_GF);
    CHECK(e <= TOL_GF, "%s: %.3e", name, e);
    /* in place (out == in) gives the same */
    ccpl__guided_filter(p, p, I, C, H, W, r, (float)eps, scratch);
    CHECK(memcmp(p, out, sizeof(float) * C * plane) == 0, "%s: in place differs", name);
    free(I);
    free(p);
    free(q);
    free(out);
    free(scratch);
}

/* A constant input stays constant (a_k = 0); with the guide as input and a
 * tiny eps the filter returns the guide (a_k = unit vector). */
static void test_gf_properties(void) {
    enum { H = 23, W = 17 };
    const size_t plane = (size_t)H * W;
    float *I = malloc(sizeof(float) * 3 * plane), *p = malloc(sizeof(float) * 3 * plane),
          *out = malloc(sizeof(float) * 3 * plane);
    void *scratch = malloc(ccpl__guided_filter_scratch(H, W));
    unsigned s = 15;
    for (size_t i = 0; i < 3 * plane; i++) {
        s = s * 1103515245u + 12345u;
        I[i] = (float)((s >> 8) & 0xffff) / 65535.0f;
        p[i] = 0.25f;
    }
    ccpl__guided_filter(out, p, I, 3, H, W, 4, 1e-2f, scratch);
    double md = 0;
    for (size_t i = 0; i < 3 * plane; i++) md = fmax(md, fabs(out[i] - 0.25));
    CHECK(md < 1e-6, "constant input moved by %.3e", md);
    ccpl__guided_filter(out, I, I, 3, H, W, 3, 1e-8f, scratch);
    double e = tu_rel_err(out, I, 3 * plane);
    printf("  constant: max change %.1e; guide through itself (eps 1e-8): rel err %.1e\n", md, e);
    CHECK(e < 1e-3, "guide through itself: %.3e", e);
    free(I);
    free(p);
    free(out);
    free(scratch);
}

static void test_flat(void) {
    FILE *f = open_case("flat_mixed.txt");
    int H, W;
    if (fscanf(f, "%d %d", &H, &W) != 2) exit(1);
    const size_t plane = (size_t)H * W;
    float *res = tu_read_vals(f, 3 * plane), *con = tu_read_vals(f, 3 * plane), *want = tu_read_vals(f, 2);
    fclose(f);
    double *scratch = malloc(sizeof(double) * ccpl__flat_texture_scratch(H, W)), share;
    const double ft = ccpl__flat_texture(res, con, H, W, &share, scratch);
    const double e = fabs(ft - want[0]) / fabs(want[0]);
    printf("  flat texture %dx%d: %.6f grey levels (numpy %.6f, rel err %.1e, tol %.0e), share %.3f\n",
           H, W, ft, want[0], e, TOL_FLAT, share);
    CHECK(e <= TOL_FLAT, "flat texture %.9g vs %.9g", ft, want[0]);
    CHECK(fabs(share - want[1]) < 1e-6, "flat share %.6f vs %.6f", share, want[1]);
    /* the content against itself adds nothing; below 7x7 there is no window */
    CHECK(ccpl__flat_texture(con, con, H, W, NULL, scratch) == 0.0, "self: not 0");
    CHECK(isnan(ccpl__flat_texture(con, con, 6, 6, &share, scratch)) && share == 0, "6x6: not NaN");
    free(res);
    free(con);
    free(want);
    free(scratch);
}

int main(void) {
    static char d[4096];
    snprintf(d, sizeof d, "%s/smooth", tu_env("CCPL_FIXTURES"));
    dir = d;
    printf("guided filter vs numpy (He et al., colour guide)\n");
    const char *cases[] = {"gf_small.txt", "gf_odd.txt", "gf_bigr.txt", "gf_one.txt", "gf_row.txt", "gf_col.txt"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) test_gf_case(cases[i]);
    test_gf_properties();
    printf("flat-region texture vs numpy\n");
    test_flat();
    return tu_finish();
}
