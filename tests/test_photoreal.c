/* The photorealism loss (issue 15, ours: Luan et al. 2017 §3.2 in its
 * guided-filter form; src/ops/photoreal.c) and the guided filter's adjoint
 * it needs (src/ops/guided_filter.c, ccpl__guided_filter_adjoint):
 * - the adjoint identity <A x, y> = <x, A^T y> on random data, odd sizes,
 *   radii 0 to larger than the image; and A^T against the explicit
 *   transpose of A's matrix (built column by column) on small images;
 * - the loss's gradient against central finite differences;
 * - loss and gradient against float64 PyTorch autograd
 *   (tests/ref/fixtures_smooth.py, pr_*.txt). */
#include "ops/guided_filter.h"
#include "ops/photoreal.h"
#include "test_util.h"

/* float32 planes, double running sums and 3x3 solves: the adjoint identity
 * holds to a few 1e-7 relative (measured); the explicit transpose to a few
 * 1e-7 of the matrix's largest entry. */
#define TOL_ADJ 1e-5
/* The loss is quadratic in g (A is linear), so central differences are
 * exact up to rounding; with a step of 1e-2 the float32 loss's rounding
 * leaves about 1.5e-5 of the largest gradient entry (measured). */
#define TOL_FD 1e-4
/* float32 against float64 torch: the residual g - A g cancels about 1.5
 * digits (|g| ~ 0.5, |res| ~ 0.03); measured 2.7e-5 at eps 1e-4, below
 * 2e-6 at 1e-3 and 1e-2. */
#define TOL_TORCH 1e-4

static unsigned rs = 1515;
static float urand(void) {
    rs = rs * 1103515245u + 12345u;
    return (float)((rs >> 8) & 0xffff) / 65535.0f;
}

static double dot(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static void test_adjoint_identity(void) {
    static const int sizes[][2] = {{7, 5}, {13, 17}, {1, 11}, {6, 1}};
    static const int radii[] = {0, 1, 2, 5, 20};
    static const float epss[] = {1e-4f, 1e-2f};
    double worst = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (size_t ri = 0; ri < sizeof radii / sizeof radii[0]; ri++)
            for (size_t ei = 0; ei < 2; ei++) {
                const int H = sizes[si][0], W = sizes[si][1], r = radii[ri], C = 2;
                const size_t plane = (size_t)H * W, n = C * plane;
                float *I = malloc(sizeof(float) * 3 * plane), *x = malloc(sizeof(float) * n),
                      *y = malloc(sizeof(float) * n), *Ax = malloc(sizeof(float) * n),
                      *Aty = malloc(sizeof(float) * n);
                void *scratch = malloc(ccpl__guided_filter_scratch(H, W));
                for (size_t i = 0; i < 3 * plane; i++) I[i] = urand();
                for (size_t i = 0; i < n; i++) x[i] = urand() - 0.5f, y[i] = urand() - 0.5f;
                ccpl__guided_filter(Ax, x, I, C, H, W, r, epss[ei], scratch);
                ccpl__guided_filter_adjoint(Aty, y, I, C, H, W, r, epss[ei], scratch);
                const double a = dot(Ax, y, n), b = dot(x, Aty, n);
                /* relative to the product of the norms: x, y are centred, so
                   the inner products themselves may be near 0 */
                const double scale = sqrt(dot(Ax, Ax, n) * dot(y, y, n));
                const double e = fabs(a - b) / scale;
                if (e > worst) worst = e;
                CHECK(e <= TOL_ADJ, "%dx%d r=%d eps=%g: <Ax,y> %.9g, <x,A^T y> %.9g (rel %.2e)", H, W,
                      r, (double)epss[ei], a, b, e);
                /* in place gives the same */
                ccpl__guided_filter_adjoint(y, y, I, C, H, W, r, epss[ei], scratch);
                CHECK(memcmp(y, Aty, sizeof(float) * n) == 0, "%dx%d r=%d: adjoint in place differs", H, W, r);
                free(I), free(x), free(y), free(Ax), free(Aty), free(scratch);
            }
    printf("  adjoint identity, 4 sizes x r 0,1,2,5,20 x eps 1e-4,1e-2: worst |<Ax,y> - <x,A^T y>| / "
           "(|Ax||y|) %.2e (tol %.0e)\n", worst, TOL_ADJ);
}

/* A^T against the transpose of A's matrix, column j = A e_j. */
static void test_adjoint_matrix(int H, int W, int r, float eps) {
    const size_t n = (size_t)H * W;
    float *I = malloc(sizeof(float) * 3 * n), *M = malloc(sizeof(float) * n * n),
          *Mt = malloc(sizeof(float) * n * n), *e = calloc(n, sizeof(float)), *col = malloc(sizeof(float) * n);
    void *scratch = malloc(ccpl__guided_filter_scratch(H, W));
    for (size_t i = 0; i < 3 * n; i++) I[i] = urand();
    for (size_t j = 0; j < n; j++) {
        e[j] = 1;
        ccpl__guided_filter(col, e, I, 1, H, W, r, eps, scratch);
        for (size_t i = 0; i < n; i++) M[i * n + j] = col[i]; /* A[i][j] */
        ccpl__guided_filter_adjoint(col, e, I, 1, H, W, r, eps, scratch);
        for (size_t i = 0; i < n; i++) Mt[j * n + i] = col[i]; /* (A^T e_j)_i = A[j][i] */
        e[j] = 0;
    }
    const double err = tu_rel_err(Mt, M, n * n);
    printf("  A^T vs the transposed matrix of A, %dx%d r=%d eps=%g: rel err %.2e (tol %.0e)\n", H, W, r,
           (double)eps, err, TOL_ADJ);
    CHECK(err <= TOL_ADJ, "%dx%d r=%d: explicit transpose %.3e", H, W, r, err);
    free(I), free(M), free(Mt), free(e), free(col), free(scratch);
}

static void test_finite_differences(void) {
    enum { H = 19, W = 23, K = 300 };
    const int r = 2;
    const float eps = 1e-3f;
    const size_t n = 3 * (size_t)H * W;
    float *I = malloc(sizeof(float) * n), *g = malloc(sizeof(float) * n), *dg = calloc(n, sizeof(float));
    void *scratch = malloc(ccpl__photoreal_scratch(H, W));
    for (size_t i = 0; i < n; i++) I[i] = urand();
    for (size_t i = 0; i < n; i++) g[i] = 0.6f * I[(i + (size_t)H * W) % n] + 0.2f * urand();
    const double L = ccpl__photoreal_loss(dg, g, I, H, W, r, eps, 1.0f, scratch);
    double gmax = 0;
    for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(dg[i]));
    double worst = 0;
    const float h = 1e-2f;
    for (int k = 0; k < K; k++) {
        rs = rs * 1103515245u + 12345u;
        const size_t i = (rs >> 4) % n;
        const float g0 = g[i];
        g[i] = g0 + h;
        const double lp = ccpl__photoreal_loss(NULL, g, I, H, W, r, eps, 1.0f, scratch);
        g[i] = g0 - h;
        const double lm = ccpl__photoreal_loss(NULL, g, I, H, W, r, eps, 1.0f, scratch);
        g[i] = g0;
        const double fd = (lp - lm) / (2.0 * ((double)(g0 + h) - (double)g0));
        const double e = fabs(fd - dg[i]) / gmax;
        if (e > worst) worst = e;
    }
    printf("  finite differences, %dx%d r=%d eps=%g, L %.4g, %d coordinates: worst |fd - grad| / "
           "max|grad| %.2e (tol %.0e)\n", H, W, r, (double)eps, L, K, worst, TOL_FD);
    CHECK(L > 0 && worst <= TOL_FD, "finite differences: %.3e", worst);
    /* gscale scales the gradient, and it is ADDED: dg + 0.5 dg = 1.5 dg */
    float *dg2 = malloc(sizeof(float) * n);
    memcpy(dg2, dg, sizeof(float) * n);
    const double L2 = ccpl__photoreal_loss(dg2, g, I, H, W, r, eps, 0.5f, scratch);
    double md = 0;
    for (size_t i = 0; i < n; i++) md = fmax(md, fabs(dg2[i] - 1.5 * dg[i]));
    CHECK(L2 == L && md <= 1e-6 * gmax, "gscale / accumulation: %.3e of %.3e", md, gmax);
    /* an image that is the guide's affine function has no loss (up to eps's
       regularisation: with a tiny eps, none) */
    for (size_t i = 0; i < n; i++) g[i] = 0.5f * I[i] + 0.25f;
    const double L0 = ccpl__photoreal_loss(NULL, g, I, H, W, r, 1e-8f, 1.0f, scratch);
    printf("  an affine function of the guide (eps 1e-8): L %.2e (random image: %.2e)\n", L0, L);
    CHECK(L0 < 1e-3 * L, "affine image: L %.3e", L0);
    free(I), free(g), free(dg), free(dg2), free(scratch);
}

static void test_torch(const char *dir, const char *name) {
    FILE *f = fopen(tu_path(dir, name), "r");
    int H, W, r;
    double eps, want;
    if (!f || fscanf(f, "%d %d %d %lf", &H, &W, &r, &eps) != 4) {
        fprintf(stderr, "FAIL: %s/%s: cannot read\n", dir, name);
        exit(1);
    }
    const size_t n = 3 * (size_t)H * W;
    float *I = tu_read_vals(f, n), *g = tu_read_vals(f, n);
    if (fscanf(f, "%lf", &want) != 1) exit(1);
    float *grad = tu_read_vals(f, n);
    fclose(f);
    float *dg = calloc(n, sizeof(float));
    void *scratch = malloc(ccpl__photoreal_scratch(H, W));
    const double L = ccpl__photoreal_loss(dg, g, I, H, W, r, (float)eps, 1.0f, scratch);
    const double el = fabs(L - want) / want, eg = tu_rel_err(dg, grad, n);
    printf("  torch %-12s %2dx%-2d r=%d eps=%g: L %.6g (torch %.6g) rel err %.2e, gradient rel err %.2e "
           "(tol %.0e)\n", name, H, W, r, eps, L, want, el, eg, TOL_TORCH);
    CHECK(el <= TOL_TORCH && eg <= TOL_TORCH, "%s: loss %.3e, gradient %.3e", name, el, eg);
    free(I), free(g), free(grad), free(dg), free(scratch);
}

int main(void) {
    static char d[4096];
    snprintf(d, sizeof d, "%s/smooth", tu_env("CCPL_FIXTURES"));
    printf("guided filter adjoint\n");
    test_adjoint_identity();
    test_adjoint_matrix(7, 5, 1, 1e-4f);
    test_adjoint_matrix(5, 9, 3, 1e-2f);
    test_adjoint_matrix(4, 3, 20, 1e-3f);
    printf("photorealism loss\n");
    test_finite_differences();
    test_torch(d, "pr_small.txt");
    test_torch(d, "pr_bigr.txt");
    test_torch(d, "pr_odd.txt");
    CHECK(ccpl__photoreal_scratch(0, 5) == 0 && ccpl__photoreal_scratch(1 << 30, 1 << 30) == 0,
          "scratch size of a bad shape");
    return tu_finish();
}
