/* Backward passes against PyTorch autograd (tests/ref/fixtures_grad.py:
 * float64 autograd on float32 inputs, odd sizes, random upstream
 * gradients): conv2d (reflect 3x3, unpadded 3x3, 1x1, zero-padded 3x3),
 * ReLU, ceil-mode max-pool with ties, nearest upsampling, mean/std, the SCT
 * covariance products, linear, L2 normalisation, the CCPL InfoNCE, and a
 * whole CCPL projection head + loss chained from these ops.
 * Each forward is checked too. Every backward is then run a second time into
 * the same buffers (it accumulates: the result must be twice the reference)
 * and with its optional gradients NULL. A convolution large enough for
 * several im2col row blocks is checked by the adjoint identity
 * <dout, conv(x; w)> = <dinp, x> = <dw, w>.
 *
 * Tolerance 1e-3 relative (max |a-b| / max |b| per tensor), the issue's
 * bound; float32 sums over at most a few hundred terms land near 1e-6. */
#include <stdint.h>

#include "core/alloc.h"
#include "ops/conv2d.h"
#include "ops/covariance.h"
#include "ops/infonce.h"
#include "ops/l2norm.h"
#include "ops/linear.h"
#include "ops/pool.h"
#include "ops/relu.h"
#include "ops/stats.h"
#include "ops/upsample.h"
#include "test_util.h"

#define TOL 1e-3

static char g_dir[4096];
static double g_worst;

/* NAME.f32 from the fixture directory; its size must be n floats. */
static float *load(const char *name, size_t n) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s.f32", g_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "FAIL: cannot open %s\n", path);
        exit(1);
    }
    float *p = ccpl__alloc_floats(n + 1);
    size_t got = fread(p, sizeof(float), n + 1, f);
    fclose(f);
    if (got != n) {
        fprintf(stderr, "FAIL: %s holds %zu floats, expected %zu\n", path, got, n);
        exit(1);
    }
    return p;
}

static float *zeros(size_t n) {
    float *p = ccpl__alloc_floats(n);
    memset(p, 0, sizeof(float) * (n ? n : 1));
    return p;
}

/* a vs ref (times `scale`: 2 after a second accumulating call). */
static void cmp(const char *what, const float *a, const float *ref, size_t n, float scale) {
    float *r = ccpl__alloc_floats(n);
    for (size_t i = 0; i < n; i++) r[i] = ref[i] * scale;
    const double e = tu_rel_err(a, r, n);
    if (scale == 1.0f) printf("  %-22s rel err %.2e (tol %.0e)\n", what, e, TOL);
    if (e > g_worst || e != e) g_worst = e;
    CHECK(e <= TOL, "%s (x%g): rel err %.3e > %.0e", what, scale, e, TOL);
    free(r);
}

/* ---- convolution ------------------------------------------------------- */

static void conv_case(const char *name, int N, int C, int H, int W, int OC, int K, int pad,
                      ccpl__pad_mode mode) {
    char nm[64];
#define L(suffix, n) (snprintf(nm, sizeof nm, "%s_" suffix, name), load(nm, n))
    const int OH = ccpl__conv_out(H, K, pad), OW = ccpl__conv_out(W, K, pad);
    const size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * K * K,
                 ny = (size_t)N * OC * OH * OW;
    float *x = L("x", nx), *w = L("w", nw), *b = L("b", OC), *yr = L("y", ny), *dy = L("dy", ny);
    float *dxr = L("dx", nx), *dwr = L("dw", nw), *dbr = L("db", OC);
    float *scratch = zeros(ccpl__conv2d_backward_scratch_floats(C, H, W, K, pad) + 1);
    float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw), *db = zeros(OC);
    char what[96];

    ccpl__conv2d_forward(y, x, w, b, N, C, H, W, OC, K, pad, mode, 0, scratch, 2);
    snprintf(what, sizeof what, "%s y", name), cmp(what, y, yr, ny, 1);

    ccpl__conv2d_backward(dx, dw, db, dy, x, w, N, C, H, W, OC, K, pad, mode, scratch, 2);
    snprintf(what, sizeof what, "%s dx", name), cmp(what, dx, dxr, nx, 1);
    snprintf(what, sizeof what, "%s dw", name), cmp(what, dw, dwr, nw, 1);
    snprintf(what, sizeof what, "%s db", name), cmp(what, db, dbr, OC, 1);
    ccpl__conv2d_backward(dx, dw, db, dy, x, w, N, C, H, W, OC, K, pad, mode, scratch, 2);
    snprintf(what, sizeof what, "%s dx", name), cmp(what, dx, dxr, nx, 2);
    snprintf(what, sizeof what, "%s dw", name), cmp(what, dw, dwr, nw, 2);
    snprintf(what, sizeof what, "%s db", name), cmp(what, db, dbr, OC, 2);

    /* optional gradients: frozen layer (dinp only), first layer (dw, db only) */
    memset(dx, 0, sizeof(float) * nx);
    ccpl__conv2d_backward(dx, NULL, NULL, dy, x, w, N, C, H, W, OC, K, pad, mode, scratch, 2);
    snprintf(what, sizeof what, "%s dx (dw=db=NULL)", name), cmp(what, dx, dxr, nx, 1);
    memset(dw, 0, sizeof(float) * nw), memset(db, 0, sizeof(float) * OC);
    ccpl__conv2d_backward(NULL, dw, db, dy, x, w, N, C, H, W, OC, K, pad, mode, scratch, 2);
    snprintf(what, sizeof what, "%s dw (dx=NULL)", name), cmp(what, dw, dwr, nw, 1);
    snprintf(what, sizeof what, "%s db (dx=NULL)", name), cmp(what, db, dbr, OC, 1);

    /* fused conv+ReLU: relu_backward, then the conv backward, against
       autograd through relu(conv) with the same dy */
    float *yrelu = zeros(ny), *dpre = zeros(ny);
    memset(dx, 0, sizeof(float) * nx), memset(dw, 0, sizeof(float) * nw);
    memset(db, 0, sizeof(float) * OC);
    ccpl__conv2d_forward(yrelu, x, w, b, N, C, H, W, OC, K, pad, mode, 1, scratch, 2);
    ccpl__relu_backward(dpre, dy, yrelu, ny);
    ccpl__conv2d_backward(dx, dw, db, dpre, x, w, N, C, H, W, OC, K, pad, mode, scratch, 2);
    {
        float *ryr = L("yrelu", ny), *rdx = L("rdx", nx), *rdw = L("rdw", nw), *rdb = L("rdb", OC);
        snprintf(what, sizeof what, "%s relu y", name), cmp(what, yrelu, ryr, ny, 1);
        snprintf(what, sizeof what, "%s relu dx", name), cmp(what, dx, rdx, nx, 1);
        snprintf(what, sizeof what, "%s relu dw", name), cmp(what, dw, rdw, nw, 1);
        snprintf(what, sizeof what, "%s relu db", name), cmp(what, db, rdb, OC, 1);
        free(ryr), free(rdx), free(rdw), free(rdb);
    }
    free(yrelu), free(dpre);
#undef L

    free(x), free(w), free(b), free(yr), free(dy), free(dxr), free(dwr), free(dbr);
    free(scratch), free(y), free(dx), free(dw), free(db);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void) { /* xorshift64, uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static double dot(const float *a, const float *b, size_t n, double *abs_sum) {
    double s = 0, t = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i], t += fabs((double)a[i] * b[i]);
    *abs_sum = t;
    return s;
}

/* Several im2col row blocks (512 channels: blocks of 47, 47, 6 rows, as in
 * test_ops): the backward is the adjoint of the (bias-free) forward. */
static void conv_adjoint_case(int C, int H, int W, int OC, int K, int pad, ccpl__pad_mode mode) {
    const int OH = ccpl__conv_out(H, K, pad), OW = ccpl__conv_out(W, K, pad);
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * K * K, ny = (size_t)OC * OH * OW;
    float *x = zeros(nx), *w = zeros(nw), *dy = zeros(ny), *y = zeros(ny);
    float *dx = zeros(nx), *dw = zeros(nw);
    float *scratch = zeros(ccpl__conv2d_backward_scratch_floats(C, H, W, K, pad) + 1);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand();
    for (size_t i = 0; i < ny; i++) dy[i] = frand();
    ccpl__conv2d_forward(y, x, w, NULL, 1, C, H, W, OC, K, pad, mode, 0, scratch, 2);
    ccpl__conv2d_backward(dx, dw, NULL, dy, x, w, 1, C, H, W, OC, K, pad, mode, scratch, 2);
    double a0, a1, a2;
    const double s0 = dot(dy, y, ny, &a0), s1 = dot(dx, x, nx, &a1), s2 = dot(dw, w, nw, &a2);
    const double e1 = fabs(s1 - s0) / a0, e2 = fabs(s2 - s0) / a0;
    printf("  conv adjoint C=%d %dx%d K=%d pad=%d: <dx,x> %.2e, <dw,w> %.2e (of sum |terms|)\n",
           C, H, W, K, pad, e1, e2);
    CHECK(e1 < 1e-5 && e2 < 1e-5, "conv adjoint: %.3e %.3e", e1, e2);
    (void)a1, (void)a2;
    free(x), free(w), free(dy), free(y), free(dx), free(dw), free(scratch);
}

/* ---- element-wise and resampling ops ----------------------------------- */

static void relu_case(void) {
    const size_t n = 2 * 5 * 9 * 7;
    float *x = load("relu_x", n), *yr = load("relu_y", n), *dy = load("relu_dy", n);
    float *dxr = load("relu_dx", n), *y = zeros(n), *dx = zeros(n);
    ccpl__relu_forward(y, x, n);
    cmp("relu y", y, yr, n, 1);
    ccpl__relu_backward(dx, dy, y, n);
    cmp("relu dx", dx, dxr, n, 1);
    ccpl__relu_backward(dx, dy, y, n);
    cmp("relu dx", dx, dxr, n, 2);
    ccpl__relu_forward(x, x, n); /* in place */
    cmp("relu y (in place)", x, yr, n, 1);
    free(x), free(yr), free(dy), free(dxr), free(y), free(dx);
}

static void pool_case(const char *name, int N, int C, int H, int W) {
    char nm[64];
    const int OH = ccpl__pool_out(H), OW = ccpl__pool_out(W);
    const size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * OH * OW;
    snprintf(nm, sizeof nm, "%s_x", name);
    float *x = load(nm, nx);
    snprintf(nm, sizeof nm, "%s_y", name);
    float *yr = load(nm, ny);
    snprintf(nm, sizeof nm, "%s_dy", name);
    float *dy = load(nm, ny);
    snprintf(nm, sizeof nm, "%s_dx", name);
    float *dxr = load(nm, nx);
    float *y = zeros(ny), *dx = zeros(nx);
    char what[64];
    ccpl__maxpool2_forward(y, x, N, C, H, W, 2);
    snprintf(what, sizeof what, "%s y", name), cmp(what, y, yr, ny, 1);
    ccpl__maxpool2_backward(dx, dy, x, N, C, H, W, 2);
    snprintf(what, sizeof what, "%s dx", name), cmp(what, dx, dxr, nx, 1);
    /* ties: exact routing, not merely close */
    size_t bad = 0;
    for (size_t i = 0; i < nx; i++) bad += dx[i] != dxr[i];
    CHECK(bad == 0, "%s: %zu gradients routed differently from PyTorch", name, bad);
    ccpl__maxpool2_backward(dx, dy, x, N, C, H, W, 2);
    snprintf(what, sizeof what, "%s dx", name), cmp(what, dx, dxr, nx, 2);
    free(x), free(yr), free(dy), free(dxr), free(y), free(dx);
}

static void upsample_case(void) {
    const int N = 2, C = 3, H = 5, W = 7;
    const size_t nx = (size_t)N * C * H * W, ny = 4 * nx;
    float *x = load("up_x", nx), *yr = load("up_y", ny), *dy = load("up_dy", ny);
    float *dxr = load("up_dx", nx), *y = zeros(ny), *dx = zeros(nx);
    ccpl__upsample2_forward(y, x, N, C, H, W, 2);
    cmp("upsample y", y, yr, ny, 1);
    ccpl__upsample2_backward(dx, dy, N, C, H, W, 2);
    cmp("upsample dx", dx, dxr, nx, 1);
    ccpl__upsample2_backward(dx, dy, N, C, H, W, 2);
    cmp("upsample dx", dx, dxr, nx, 2);
    free(x), free(yr), free(dy), free(dxr), free(y), free(dx);
}

/* ---- statistics and SCT ------------------------------------------------ */

static void stats_case(void) {
    const int N = 2, C = 5, HW = 63;
    const size_t nx = (size_t)N * C * HW, nc = (size_t)N * C;
    float *x = load("stats_x", nx), *mr = load("stats_mean", nc), *sr = load("stats_std", nc);
    float *dm = load("stats_dmean", nc), *ds = load("stats_dstd", nc), *dxr = load("stats_dx", nx);
    float mean[10], std[10], *dx = zeros(nx), *dx1 = zeros(nx), *dx2 = zeros(nx);
    ccpl__mean_std_forward(mean, std, x, N, C, HW, 2);
    cmp("mean", mean, mr, nc, 1);
    cmp("std", std, sr, nc, 1);
    ccpl__mean_std_backward(dx, dm, ds, x, mean, std, N, C, HW, 2);
    cmp("mean/std dx", dx, dxr, nx, 1);
    ccpl__mean_std_backward(dx, dm, ds, x, mean, std, N, C, HW, 2);
    cmp("mean/std dx", dx, dxr, nx, 2);
    /* NULL dmean / dstd: the two halves add up to the whole */
    ccpl__mean_std_backward(dx1, dm, NULL, x, mean, std, N, C, HW, 2);
    ccpl__mean_std_backward(dx2, NULL, ds, x, mean, std, N, C, HW, 2);
    for (size_t i = 0; i < nx; i++) dx1[i] += dx2[i];
    cmp("mean/std dx (split)", dx1, dxr, nx, 1);
    free(x), free(mr), free(sr), free(dm), free(ds), free(dxr), free(dx), free(dx1), free(dx2);
}

static void cov_case(void) {
    const int K = 7, M = 23, P = 19;
    const size_t ns = (size_t)K * M, nc = (size_t)K * P, nk = (size_t)K * K;
    float *s = load("cov_s", ns), *c = load("cov_c", nc), *covr = load("cov_cov", nk);
    float *gr = load("cov_g", nc), *dg = load("cov_dg", nc), *dcovr = load("cov_dcov", nk);
    float *dsr = load("cov_ds", ns), *dcr = load("cov_dc", nc);
    float *cov = zeros(nk), *g = zeros(nc), *dcov = zeros(nk), *ds = zeros(ns), *dc = zeros(nc);
    ccpl__cov_forward(cov, s, K, M);
    cmp("cov", cov, covr, nk, 1);
    ccpl__cov_apply_forward(g, cov, c, K, P);
    cmp("cov apply g", g, gr, nc, 1);
    ccpl__cov_apply_backward(dcov, dc, dg, cov, c, K, P);
    cmp("cov apply dcov", dcov, dcovr, nk, 1);
    cmp("cov apply dc", dc, dcr, nc, 1);
    ccpl__cov_backward(ds, dcov, s, K, M);
    cmp("cov ds (chained)", ds, dsr, ns, 1);
    ccpl__cov_apply_backward(dcov, dc, dg, cov, c, K, P);
    cmp("cov apply dcov", dcov, dcovr, nk, 2);
    cmp("cov apply dc", dc, dcr, nc, 2);
    memset(dc, 0, sizeof(float) * nc);
    ccpl__cov_apply_backward(NULL, dc, dg, cov, c, K, P);
    cmp("cov apply dc (dcov=NULL)", dc, dcr, nc, 1);
    memset(dcov, 0, sizeof(float) * nk);
    ccpl__cov_apply_backward(dcov, NULL, dg, cov, c, K, P);
    cmp("cov apply dcov (dc=NULL)", dcov, dcovr, nk, 1);
    free(s), free(c), free(covr), free(gr), free(dg), free(dcovr), free(dsr), free(dcr);
    free(cov), free(g), free(dcov), free(ds), free(dc);

    /* non-symmetric upstream gradient */
    float *s2 = load("cov2_s", ns), *cov2r = load("cov2_cov", nk), *dcov2 = load("cov2_dcov", nk);
    float *ds2r = load("cov2_ds", ns), *cov2 = zeros(nk), *ds2 = zeros(ns);
    ccpl__cov_forward(cov2, s2, K, M);
    cmp("cov (2)", cov2, cov2r, nk, 1);
    ccpl__cov_backward(ds2, dcov2, s2, K, M);
    cmp("cov ds (asym dcov)", ds2, ds2r, ns, 1);
    ccpl__cov_backward(ds2, dcov2, s2, K, M);
    cmp("cov ds (asym dcov)", ds2, ds2r, ns, 2);
    free(s2), free(cov2r), free(dcov2), free(ds2r), free(cov2), free(ds2);
}

/* ---- CCPL head and loss ------------------------------------------------ */

static void linear_case(void) {
    const int N = 11, IN = 13, OUT = 5;
    const size_t nx = (size_t)N * IN, nw = (size_t)OUT * IN, ny = (size_t)N * OUT;
    float *x = load("linear_x", nx), *w = load("linear_w", nw), *b = load("linear_b", OUT);
    float *yr = load("linear_y", ny), *dy = load("linear_dy", ny), *dxr = load("linear_dx", nx);
    float *dwr = load("linear_dw", nw), *dbr = load("linear_db", OUT);
    float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw), *db = zeros(OUT);
    ccpl__linear_forward(y, x, w, b, N, IN, OUT);
    cmp("linear y", y, yr, ny, 1);
    ccpl__linear_backward(dx, dw, db, dy, x, w, N, IN, OUT);
    cmp("linear dx", dx, dxr, nx, 1);
    cmp("linear dw", dw, dwr, nw, 1);
    cmp("linear db", db, dbr, OUT, 1);
    ccpl__linear_backward(dx, dw, db, dy, x, w, N, IN, OUT);
    cmp("linear dx", dx, dxr, nx, 2);
    cmp("linear dw", dw, dwr, nw, 2);
    cmp("linear db", db, dbr, OUT, 2);
    memset(dx, 0, sizeof(float) * nx);
    ccpl__linear_backward(dx, NULL, NULL, dy, x, w, N, IN, OUT);
    cmp("linear dx (dw=db=NULL)", dx, dxr, nx, 1);
    memset(dw, 0, sizeof(float) * nw);
    ccpl__linear_backward(NULL, dw, NULL, dy, x, w, N, IN, OUT);
    cmp("linear dw (dx=db=NULL)", dw, dwr, nw, 1);
    free(x), free(w), free(b), free(yr), free(dy), free(dxr), free(dwr), free(dbr);
    free(y), free(dx), free(dw), free(db);
}

static void l2norm_case(void) {
    const int N = 11, D = 9;
    const size_t n = (size_t)N * D;
    float *x = load("l2_x", n), *yr = load("l2_y", n), *dy = load("l2_dy", n);
    float *dxr = load("l2_dx", n), *y = zeros(n), *dx = zeros(n), norm[11];
    ccpl__l2norm_forward(y, norm, x, N, D);
    cmp("l2norm y", y, yr, n, 1);
    ccpl__l2norm_backward(dx, dy, x, norm, N, D);
    /* rows span norms 1e-2..1e2, so gradients span 1e4: compare row by row */
    double worst = 0;
    for (int r = 0; r < N; r++) {
        const double e = tu_rel_err(dx + r * D, dxr + r * D, D);
        if (e > worst) worst = e;
    }
    cmp("l2norm dx", dx, dxr, n, 1);
    printf("  %-22s rel err %.2e (worst row, tol %.0e)\n", "l2norm dx per row", worst, TOL);
    CHECK(worst <= TOL, "l2norm dx worst row %.3e", worst);
    ccpl__l2norm_backward(dx, dy, x, norm, N, D);
    cmp("l2norm dx", dx, dxr, n, 2);
    free(x), free(yr), free(dy), free(dxr), free(y), free(dx);
}

static void infonce_case(void) {
    const int N = 2, S = 24, D = 7;
    const size_t nq = (size_t)N * S * D;
    float *q = load("nce_q", nq), *k = load("nce_k", nq), *lr = load("nce_loss", 1);
    float *dl = load("nce_dloss", 1), *dqr = load("nce_dq", nq);
    float *prob = zeros((size_t)N * S * S), *dq = zeros(nq);
    const float loss = ccpl__infonce_forward(prob, q, k, N, S, D, CCPL__INFONCE_TAU);
    cmp("infonce loss", &loss, lr, 1, 1);
    ccpl__infonce_backward(dq, dl[0], prob, k, N, S, D, CCPL__INFONCE_TAU);
    cmp("infonce dq", dq, dqr, nq, 1);
    ccpl__infonce_backward(dq, dl[0], prob, k, N, S, D, CCPL__INFONCE_TAU);
    cmp("infonce dq", dq, dqr, nq, 2);
    /* each row of prob is a softmax */
    double worst = 0;
    for (int r = 0; r < N * S; r++) {
        double s = 0;
        for (int j = 0; j < S; j++) s += prob[(size_t)r * S + j];
        if (fabs(s - 1) > worst) worst = fabs(s - 1);
    }
    CHECK(worst < 1e-5, "softmax rows sum to 1 within %.3e", worst);
    free(q), free(k), free(lr), free(dl), free(dqr), free(prob), free(dq);
}

/* The CCPL head chained as the trainer will (spec §5 steps 3-4): Linear(C,C),
 * ReLU, Linear(C,C/4), L2 norm, InfoNCE with keys from the same head and no
 * gradient through them; loss gradient 1. N=2, S=16, C=16. */
static void head_case(void) {
    enum { N = 2, S = 16, C = 16, D = C / 4, R = N * S };
    float *d = load("head_d", R * C), *dk = load("head_dk", R * C);
    float *w1 = load("head_w1", C * C), *b1 = load("head_b1", C);
    float *w2 = load("head_w2", D * C), *b2 = load("head_b2", D);
    float *lr = load("head_loss", 1), *ddr = load("head_dd", R * C);
    float *dw1r = load("head_dw1", C * C), *db1r = load("head_db1", C);
    float *dw2r = load("head_dw2", D * C), *db2r = load("head_db2", D);
    float a1[R * C], p[R * D], z[R * D], nrm[R], ka[R * C], kp[R * D], kz[R * D];
    float *prob = zeros((size_t)N * S * S);
    float *dz = zeros(R * D), *dp = zeros(R * D), *da1 = zeros(R * C), *dh1 = zeros(R * C);
    float *dd = zeros(R * C), *dw1 = zeros(C * C), *db1 = zeros(C), *dw2 = zeros(D * C),
          *db2 = zeros(D);

    /* keys: the same head on the content differences, forward only */
    ccpl__linear_forward(ka, dk, w1, b1, R, C, C);
    ccpl__relu_forward(ka, ka, R * C);
    ccpl__linear_forward(kp, ka, w2, b2, R, C, D);
    ccpl__l2norm_forward(kz, NULL, kp, R, D);
    /* queries, keeping what the backward needs */
    ccpl__linear_forward(a1, d, w1, b1, R, C, C);
    ccpl__relu_forward(a1, a1, R * C);
    ccpl__linear_forward(p, a1, w2, b2, R, C, D);
    ccpl__l2norm_forward(z, nrm, p, R, D);
    const float loss = ccpl__infonce_forward(prob, z, kz, N, S, D, CCPL__INFONCE_TAU);
    cmp("head loss", &loss, lr, 1, 1);

    ccpl__infonce_backward(dz, 1.0f, prob, kz, N, S, D, CCPL__INFONCE_TAU);
    ccpl__l2norm_backward(dp, dz, p, nrm, R, D);
    ccpl__linear_backward(da1, dw2, db2, dp, a1, w2, R, C, D);
    ccpl__relu_backward(dh1, da1, a1, R * C);
    ccpl__linear_backward(dd, dw1, db1, dh1, d, w1, R, C, C);
    cmp("head dd", dd, ddr, R * C, 1);
    cmp("head dw1", dw1, dw1r, C * C, 1);
    cmp("head db1", db1, db1r, C, 1);
    cmp("head dw2", dw2, dw2r, D * C, 1);
    cmp("head db2", db2, db2r, D, 1);

    free(d), free(dk), free(w1), free(b1), free(w2), free(b2), free(lr), free(ddr);
    free(dw1r), free(db1r), free(dw2r), free(db2r), free(prob), free(dz), free(dp), free(da1);
    free(dh1), free(dd), free(dw1), free(db1), free(dw2), free(db2);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "%s/grad", tu_env("CCPL_FIXTURES"));
    conv_case("conv_reflect", 2, 5, 9, 7, 6, 3, 1, CCPL__PAD_REFLECT);
    conv_case("conv_valid", 2, 5, 9, 7, 6, 3, 0, CCPL__PAD_ZERO);
    conv_case("conv_1x1", 2, 5, 9, 7, 6, 1, 0, CCPL__PAD_ZERO);
    conv_case("conv_zero", 2, 5, 9, 7, 6, 3, 1, CCPL__PAD_ZERO);
    conv_adjoint_case(512, 100, 77, 2, 3, 1, CCPL__PAD_REFLECT);
    relu_case();
    pool_case("pool_odd", 2, 3, 9, 7);
    pool_case("pool_even", 2, 3, 8, 6);
    upsample_case();
    stats_case();
    cov_case();
    linear_case();
    l2norm_case();
    infonce_case();
    head_case();
    printf("worst relative error %.2e (tolerance %.0e)\n", g_worst, TOL);
    return tu_finish();
}
