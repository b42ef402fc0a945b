/* test_backend_ops — every op of every backend (backend/backend.h) against
 * plain double-precision loops written here from the definitions in
 * backend.h, in the spirit of ggml's test-backend-ops. The reference
 * backend is checked against the loops too, not taken as the truth.
 *
 * Convolutions: 3x3 reflection-padded (with and without the fused ReLU),
 * 1x1 unpadded and one unpadded 3x3; narrow (3) and wide (>= 16) channel
 * counts so that the fast backend takes its Winograd (forward, input and,
 * in training, weight gradient) and direct (few outputs) kernels; odd
 * sides; N = 1, 2, 3. Each
 * layer is prepared for training, each pass runs on the backend
 * ccpl__backend_for picks (printed: the log shows which kernel ran), the
 * backwards start from a known non-zero pattern (they accumulate), new
 * weights go through `refresh`, and `release` (twice) must leave cv.prep
 * NULL with the layer still correct on the fallback. A layer prepared for
 * inference has its input gradient checked too, wherever it runs.
 * Pooling, upsampling and the ReLU backward go through CCPL__BACKEND_OP.
 *
 * Errors: max|got - ref| / max|ref| (as tu_rel_err) and the relative L2
 * error ||got - ref|| / ||ref||, both against the double loops; both must be
 * within the path's tolerance:
 *   1e-5 for im2col + sgemm and the direct kernel (float sums of up to
 *        33*9 products in a different order than the double loop);
 *   1e-4 for the Winograd F(2x2,3x3) paths: the input and output
 *        transforms add and subtract up to 4 (resp. 9) values before and
 *        after the products, which cancel in exact arithmetic but not in
 *        float, so the rounding can be several times the direct sum's (measured
 *        <= 3e-7 on these sizes; 1e-4 leaves room for wider layers and is
 *        still far below what a wrong tap, tile or edge would give);
 *   exact for pooling, upsampling and the ReLU backward: the data are
 *        multiples of 1/1024 in [-1, 1), whose sums of a few terms are
 *        exact in float whatever the order.
 * The data are pseudo-random with a fixed seed. */
#include <stdint.h>

#include "backend/backend.h"
#include "ops/conv2d_direct.h"
#include "ops/conv2d_winograd.h"
#include "test_util.h"

/* Every backend under test: a new backend is one line here. */
static const ccpl__backend *const backends[] = {
    &ccpl__backend_ref,
    &ccpl__backend_fast,
};
#define N_BACKENDS ((int)(sizeof backends / sizeof backends[0]))

#define TOL_SGEMM 1e-5
#define TOL_WINOGRAD 1e-4

/* ---- data ---------------------------------------------------------------- */

static uint32_t rng = 20240531u;
static uint32_t next_u32(void) {
    rng = rng * 1664525u + 1013904223u;
    return rng;
}
/* uniform in [-1, 1) */
static float frand(void) { return (float)((next_u32() >> 8) & 0xffff) / 32768.0f - 1.0f; }
/* a multiple of 1/1024 in [-1, 1): sums of a few are exact in float */
static float qrand(void) { return (float)((int)((next_u32() >> 16) & 0x7ff) - 1024) / 1024.0f; }
/* a multiple of 1/4 in [-1, 1): few values, so max-pool windows tie */
static float coarse(void) { return (float)((int)((next_u32() >> 20) & 7) - 4) / 4.0f; }

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "FAIL: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}
static float *falloc(size_t n) { return xmalloc(n * sizeof(float)); }
static double *dalloc(size_t n) { return xmalloc(n * sizeof(double)); }
static float *fcopy(const float *src, size_t n) {
    float *p = falloc(n);
    memcpy(p, src, n * sizeof *p);
    return p;
}
static void fill(float *p, size_t n, float (*gen)(void), float scale) {
    for (size_t i = 0; i < n; i++) p[i] = scale * gen();
}

/* ---- error measures and the summary -------------------------------------- */

typedef struct err2 {
    double max_rel; /* max|d| / max|ref| (tu_rel_err's measure) */
    double l2_rel;  /* ||d|| / ||ref|| */
} err2;

/* got (minus base, when given: what a backward accumulated onto) against ref.
 * A non-finite output gives an infinite error. */
static err2 compare(const float *got, const float *base, const double *ref, size_t n) {
    double md = 0, mr = 0, sd = 0, sr = 0;
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) finite = 0;
        const double g = (double)got[i] - (base ? (double)base[i] : 0.0);
        const double d = fabs(g - ref[i]);
        if (d > md) md = d;
        if (fabs(ref[i]) > mr) mr = fabs(ref[i]);
        sd += d * d;
        sr += ref[i] * ref[i];
    }
    err2 e = {md / (mr > 1e-30 ? mr : 1e-30), sqrt(sd) / (sr > 1e-60 ? sqrt(sr) : 1e-30)};
    if (!finite) e.max_rel = e.l2_rel = INFINITY;
    return e;
}
static double worst(err2 e) { return e.max_rel > e.l2_rel ? e.max_rel : e.l2_rel; }

typedef struct stat {
    char key[64];
    double max_rel, l2_rel;
    int runs;
} stat;
static stat stats[64];
static int n_stats;

static void record(const char *key, err2 e) {
    stat *s = NULL;
    for (int i = 0; i < n_stats; i++)
        if (!strcmp(stats[i].key, key)) s = &stats[i];
    if (!s) {
        if (n_stats == (int)(sizeof stats / sizeof stats[0])) return;
        s = &stats[n_stats++];
        snprintf(s->key, sizeof s->key, "%s", key);
    }
    if (!(e.max_rel <= s->max_rel)) s->max_rel = e.max_rel;
    if (!(e.l2_rel <= s->l2_rel)) s->l2_rel = e.l2_rel;
    s->runs++;
}

/* ---- convolution: the definitions, in double ----------------------------- */

typedef struct conv_case {
    int cin, cout, k, pad, relu, h, w, n;
} conv_case;

static int out_side(int side, const conv_case *c) { return side + 2 * c->pad - c->k + 1; }

/* The source index of padded coordinate p in [-pad, n + pad): reflection
 * without repeating the edge ([b | a b c | b]). */
static int reflect(int p, int n) {
    if (p < 0) return -p;
    if (p >= n) return 2 * n - 2 - p;
    return p;
}

/* y (N, cout, OH, OW) = relu?(b + sum w . pad(x)) */
static void naive_forward(double *y, const float *x, const float *w, const float *b,
                          const conv_case *c) {
    const int oh = out_side(c->h, c), ow = out_side(c->w, c), k = c->k;
    for (int n = 0; n < c->n; n++)
        for (int o = 0; o < c->cout; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double s = b[o];
                    for (int ci = 0; ci < c->cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                const int iy = reflect(oy + ky - c->pad, c->h);
                                const int ix = reflect(ox + kx - c->pad, c->w);
                                s += (double)w[((size_t)(o * c->cin + ci) * k + ky) * k + kx] *
                                     x[(((size_t)n * c->cin + ci) * c->h + iy) * c->w + ix];
                            }
                    if (c->relu && s < 0) s = 0;
                    y[(((size_t)n * c->cout + o) * oh + oy) * ow + ox] = s;
                }
}

/* dx (N, cin, H, W) = the input gradient for the pre-activation gradient dy:
 * each padded tap's contribution goes back to the pixel it was copied from. */
static void naive_backward_data(double *dx, const float *dy, const float *w, const conv_case *c) {
    const int oh = out_side(c->h, c), ow = out_side(c->w, c), k = c->k;
    memset(dx, 0, (size_t)c->n * c->cin * c->h * c->w * sizeof *dx);
    for (int n = 0; n < c->n; n++)
        for (int o = 0; o < c->cout; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    const double g = dy[(((size_t)n * c->cout + o) * oh + oy) * ow + ox];
                    for (int ci = 0; ci < c->cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                const int iy = reflect(oy + ky - c->pad, c->h);
                                const int ix = reflect(ox + kx - c->pad, c->w);
                                dx[(((size_t)n * c->cin + ci) * c->h + iy) * c->w + ix] +=
                                    g * w[((size_t)(o * c->cin + ci) * k + ky) * k + kx];
                            }
                }
}

/* dw (cout, cin, k, k) = sum over N and outputs of dy . pad(x); db = sum dy */
static void naive_backward_weights(double *dw, double *db, const float *dy, const float *x,
                                   const conv_case *c) {
    const int oh = out_side(c->h, c), ow = out_side(c->w, c), k = c->k;
    memset(dw, 0, (size_t)c->cout * c->cin * k * k * sizeof *dw);
    memset(db, 0, (size_t)c->cout * sizeof *db);
    for (int n = 0; n < c->n; n++)
        for (int o = 0; o < c->cout; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    const double g = dy[(((size_t)n * c->cout + o) * oh + oy) * ow + ox];
                    db[o] += g;
                    for (int ci = 0; ci < c->cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                const int iy = reflect(oy + ky - c->pad, c->h);
                                const int ix = reflect(ox + kx - c->pad, c->w);
                                dw[((size_t)(o * c->cin + ci) * k + ky) * k + kx] +=
                                    g * x[(((size_t)n * c->cin + ci) * c->h + iy) * c->w + ix];
                            }
                }
}

/* ---- convolution through the seam ---------------------------------------- */

/* One case's data and its reference results, shared by every backend. */
typedef struct conv_data {
    const conv_case *c;
    int threads;
    size_t nx, ny, nw;
    float *x, *dy;        /* input, pre-activation gradient */
    float *w0, *b0;       /* the weights prepared */
    float *w1, *b1;       /* the weights after a step (refresh) */
    float *px, *pw, *pb;  /* what the backwards accumulate onto */
    double *y0, *y1;      /* forward with w0, w1 */
    double *dx0, *dx1;    /* input gradient with w0, w1 */
    double *dw, *db;      /* weight gradients (independent of the weights) */
} conv_data;

static const char *pass_name(ccpl__conv_pass pass) {
    return pass == CCPL__PASS_FORWARD         ? "fwd"
           : pass == CCPL__PASS_BACKWARD_DATA ? "bwd-data"
                                              : "bwd-weights";
}

/* Which kernel the fast backend runs for a pass it takes (its design, from
 * backend_fast.c). */
static const char *fast_kernel(const ccpl__conv *cv, ccpl__conv_pass pass) {
    if (pass == CCPL__PASS_FORWARD)
        return ccpl__winograd_suits(cv->cin, cv->cout, cv->k, cv->pad)  ? "winograd"
               : ccpl__direct_suits(cv->cin, cv->cout, cv->k, cv->pad) ? "direct"
               : cv->k == 3 && cv->pad == 0                             ? "winograd valid"
                                                                        : "?";
    if (pass == CCPL__PASS_BACKWARD_DATA)
        return ccpl__winograd_suits(cv->cout, cv->cin, cv->k, cv->pad) ? "winograd" : "?";
    return ccpl__winograd_suits(cv->cin, cv->cout, cv->k, cv->pad) ? "winograd" : "?";
}

/* Whether the fast backend must take the pass: prepared is -1 (not
 * prepared, or released), 0 (for inference) or 1 (for training). */
static int fast_expected(const ccpl__conv *cv, ccpl__conv_pass pass, int prepared) {
    if (prepared < 0) return 0;
    switch (pass) {
    case CCPL__PASS_FORWARD:
        /* an unpadded 3x3 layer runs as the zero-padded one, border cut */
        return ccpl__winograd_suits(cv->cin, cv->cout, cv->k, cv->pad) ||
               (cv->k == 3 && cv->pad == 0 && ccpl__winograd_suits(cv->cin, cv->cout, 3, 1)) ||
               ccpl__direct_suits(cv->cin, cv->cout, cv->k, cv->pad);
    case CCPL__PASS_BACKWARD_DATA:
        return prepared == 1 && ccpl__winograd_suits(cv->cout, cv->cin, cv->k, cv->pad);
    case CCPL__PASS_BACKWARD_WEIGHTS: /* the padded wide 3x3 layers, in training */
        return prepared == 1 && ccpl__winograd_suits(cv->cin, cv->cout, cv->k, cv->pad);
    }
    return 0;
}

/* Ran-on counters: the fast paths must actually run somewhere. */
static int ran_fast_winograd_fwd, ran_fast_winograd_bwd, ran_fast_direct_fwd, ran_fallback;

/* The implementer of `pass`, printed with the case; checks the routing of
 * the fast backend against its design. Sets *tol and the summary key. */
static const ccpl__backend *route(const ccpl__backend *be, const ccpl__conv *cv,
                                  ccpl__conv_pass pass, int prepared, const conv_data *d,
                                  double *tol, char *key, size_t key_size,
                                  char *label, size_t label_size) {
    const conv_case *c = d->c;
    const ccpl__backend *impl = ccpl__backend_for(be, cv, pass);
    const char *kernel = "im2col+sgemm";
    *tol = TOL_SGEMM;
    if (impl == &ccpl__backend_fast) {
        kernel = fast_kernel(cv, pass);
        if (!strcmp(kernel, "winograd")) *tol = TOL_WINOGRAD;
    } else if (impl != &ccpl__backend_ref) {
        kernel = "own"; /* a backend this test does not know the kernels of */
        *tol = TOL_WINOGRAD;
    }
    if (be == &ccpl__backend_fast)
        CHECK((impl == &ccpl__backend_fast) == fast_expected(cv, pass, prepared),
              "fast %s %d->%d k%d pad%d prepared=%d: ran on %s", pass_name(pass), c->cin, c->cout,
              c->k, c->pad, prepared, impl->name);
    if (impl != be) ran_fallback++;
    if (impl == &ccpl__backend_fast && !strcmp(kernel, "winograd"))
        ++*(pass == CCPL__PASS_FORWARD ? &ran_fast_winograd_fwd : &ran_fast_winograd_bwd);
    if (impl == &ccpl__backend_fast && !strcmp(kernel, "direct")) ran_fast_direct_fwd++;
    if (impl == be)
        snprintf(label, label_size, "%s (%s)", impl->name, kernel);
    else
        snprintf(label, label_size, "%s fallback (%s)", impl->name, kernel);
    snprintf(key, key_size, "%-5s %-12s -> %s/%s", be->name, pass_name(pass), impl->name,
             kernel);
    return impl;
}

/* One line per check (sides W x H, as the other tests print them) and the
 * tolerance check. */
static void report(const ccpl__backend *be, const conv_data *d, ccpl__conv_pass pass,
                   const char *what, const char *label, const char *key, const char *tensor,
                   err2 e, double tol) {
    const conv_case *c = d->c;
    char full_key[64];
    snprintf(full_key, sizeof full_key, "%s%s%s", key, tensor ? " " : "", tensor ? tensor : "");
    record(full_key, e);
    char what_full[64];
    snprintf(what_full, sizeof what_full, "%s%s%s", tensor ? tensor : "",
             tensor && *what ? ", " : "", what);
    printf("%-4s conv %-11s %2d->%-2d k%d %s%-5s %2dx%-2d n=%d t=%d %-14s: %-26s "
           "max %.2e l2 %.2e\n",
           be->name, pass_name(pass), c->cin, c->cout, c->k, c->pad ? "reflect" : "nopad  ",
           c->relu ? "+relu" : "", c->w, c->h, c->n, d->threads, what_full, label, e.max_rel,
           e.l2_rel);
    CHECK(worst(e) <= tol,
          "%s conv %s %d->%d k%d pad%d relu%d %dx%d n=%d t=%d [%s] on %s: max-rel %.3g, "
          "l2-rel %.3g > %.0e",
          be->name, pass_name(pass), c->cin, c->cout, c->k, c->pad, c->relu, c->w, c->h, c->n,
          d->threads, what_full, label, e.max_rel, e.l2_rel, tol);
}

/* The scratch a pass needs, exactly as many floats as the implementer asks
 * for (so that the sanitizers see overruns); NULL when it needs none. */
static float *scratch_for(const ccpl__backend *impl, const ccpl__conv *cv, ccpl__conv_pass pass,
                          const conv_data *d) {
    const size_t n = impl->conv_scratch(cv, pass, d->c->h, d->c->w, d->threads);
    return n ? falloc(n) : NULL;
}

static void check_forward(const ccpl__backend *be, const ccpl__conv *cv, int prepared,
                          const conv_data *d, const double *ref, const char *what) {
    double tol;
    char key[64], label[64];
    const ccpl__backend *impl = route(be, cv, CCPL__PASS_FORWARD, prepared, d, &tol, key,
                                      sizeof key, label, sizeof label);
    float *y = falloc(d->ny), *s = scratch_for(impl, cv, CCPL__PASS_FORWARD, d);
    for (size_t i = 0; i < d->ny; i++) y[i] = NAN; /* every output must be written */
    impl->conv_forward(cv, y, d->x, d->c->n, d->c->h, d->c->w, s, d->threads);
    report(be, d, CCPL__PASS_FORWARD, what, label, key, NULL, compare(y, NULL, ref, d->ny), tol);
    free(y), free(s);
}

static void check_backward_data(const ccpl__backend *be, const ccpl__conv *cv, int prepared,
                                const conv_data *d, const double *ref, const char *what) {
    double tol;
    char key[64], label[64];
    const ccpl__backend *impl = route(be, cv, CCPL__PASS_BACKWARD_DATA, prepared, d, &tol,
                                      key, sizeof key, label, sizeof label);
    float *dx = fcopy(d->px, d->nx), *s = scratch_for(impl, cv, CCPL__PASS_BACKWARD_DATA, d);
    impl->conv_backward_data(cv, dx, d->dy, d->c->n, d->c->h, d->c->w, s, d->threads);
    /* accumulated: dx - pattern is the gradient */
    report(be, d, CCPL__PASS_BACKWARD_DATA, what, label, key, NULL, compare(dx, d->px, ref, d->nx),
           tol);
    free(dx), free(s);
}

/* dw and db together, then each alone (the other NULL). */
static void check_backward_weights(const ccpl__backend *be, const ccpl__conv *cv, int prepared,
                                   const conv_data *d, const char *what) {
    double tol;
    char key[64], label[64];
    const ccpl__backend *impl = route(be, cv, CCPL__PASS_BACKWARD_WEIGHTS, prepared, d, &tol,
                                      key, sizeof key, label, sizeof label);
    const int cout = d->c->cout;
    for (int variant = 0; variant < 3; variant++) { /* both, dw only, db only */
        float *dw = variant != 2 ? fcopy(d->pw, d->nw) : NULL;
        float *db = variant != 1 ? fcopy(d->pb, (size_t)cout) : NULL;
        float *s = scratch_for(impl, cv, CCPL__PASS_BACKWARD_WEIGHTS, d);
        impl->conv_backward_weights(cv, dw, db, d->dy, d->x, d->c->n, d->c->h, d->c->w, s,
                                    d->threads);
        static const char *const names[3][2] = {
            {"dw", "db"}, {"dw (db NULL)", NULL}, {NULL, "db (dw NULL)"}};
        if (dw)
            report(be, d, CCPL__PASS_BACKWARD_WEIGHTS, what, label, key, names[variant][0],
                   compare(dw, d->pw, d->dw, d->nw), tol);
        if (db)
            report(be, d, CCPL__PASS_BACKWARD_WEIGHTS, what, label, key, names[variant][1],
                   compare(db, d->pb, d->db, (size_t)cout), tol);
        free(dw), free(db), free(s);
    }
}

static void conv_on_backend(const ccpl__backend *be, const conv_data *d, int case_index) {
    const conv_case *c = d->c;
    float *w = fcopy(d->w0, d->nw), *b = fcopy(d->b0, (size_t)c->cout);
    ccpl__conv cv = {.key = case_index, .cin = c->cin, .cout = c->cout, .k = c->k, .pad = c->pad,
                     .relu = c->relu, .w = w, .b = b, .prep = NULL};
    ccpl_error err = {0};
    int prepared = -1;
    if (be->prepare) {
        const ccpl_status st = be->prepare(&cv, 1, &err);
        CHECK(st == CCPL_OK, "%s prepare %d->%d: %s", be->name, c->cin, c->cout, err.message);
        if (st != CCPL_OK) goto out;
        prepared = 1;
    }
    check_forward(be, &cv, prepared, d, d->y0, "");
    check_backward_data(be, &cv, prepared, d, d->dx0, "");
    check_backward_weights(be, &cv, prepared, d, "");

    /* an optimiser step: new weights in place, then refresh */
    memcpy(w, d->w1, d->nw * sizeof *w);
    memcpy(b, d->b1, (size_t)c->cout * sizeof *b);
    if (be->refresh) be->refresh(&cv);
    check_forward(be, &cv, prepared, d, d->y1, "after refresh");
    check_backward_data(be, &cv, prepared, d, d->dx1, "after refresh");

    if (be->release) {
        be->release(&cv);
        CHECK(cv.prep == NULL, "%s release leaves cv.prep NULL", be->name);
        be->release(&cv); /* safe twice */
        CHECK(cv.prep == NULL, "%s release twice leaves cv.prep NULL", be->name);
        prepared = -1;
        /* nothing prepared: whatever runs must still be right */
        check_forward(be, &cv, prepared, d, d->y1, "after release");
        check_backward_data(be, &cv, prepared, d, d->dx1, "after release");
    }

    /* prepared for inference only: the input gradient still right (on the
       reference, for the fast backend) */
    if (be->prepare) {
        const ccpl_status st = be->prepare(&cv, 0, &err);
        CHECK(st == CCPL_OK, "%s prepare (inference) %d->%d: %s", be->name, c->cin, c->cout,
              err.message);
        if (st == CCPL_OK) {
            check_forward(be, &cv, 0, d, d->y1, "inference prep");
            check_backward_data(be, &cv, 0, d, d->dx1, "inference prep");
        }
        if (be->release) be->release(&cv);
        CHECK(cv.prep == NULL, "%s release after inference prep", be->name);
    }
out:
    if (be->release) be->release(&cv);
    free(w), free(b);
}

static void conv_case_run(const conv_case *c, int case_index) {
    conv_data d = {.c = c, .threads = 1 + (case_index & 1)};
    const int oh = out_side(c->h, c), ow = out_side(c->w, c);
    d.nx = (size_t)c->n * c->cin * c->h * c->w;
    d.ny = (size_t)c->n * c->cout * oh * ow;
    d.nw = (size_t)c->cout * c->cin * c->k * c->k;
    const size_t nb = (size_t)c->cout;
    d.x = falloc(d.nx), d.dy = falloc(d.ny), d.px = falloc(d.nx);
    d.w0 = falloc(d.nw), d.w1 = falloc(d.nw), d.pw = falloc(d.nw);
    d.b0 = falloc(nb), d.b1 = falloc(nb), d.pb = falloc(nb);
    fill(d.x, d.nx, frand, 1.0f);
    fill(d.dy, d.ny, frand, 1.0f);
    fill(d.px, d.nx, frand, 0.5f);
    fill(d.w0, d.nw, frand, 0.3f);
    fill(d.w1, d.nw, frand, 0.3f);
    fill(d.pw, d.nw, frand, 0.5f);
    fill(d.b0, nb, frand, 0.1f);
    fill(d.b1, nb, frand, 0.1f);
    fill(d.pb, nb, frand, 0.5f);
    d.y0 = dalloc(d.ny), d.y1 = dalloc(d.ny);
    d.dx0 = dalloc(d.nx), d.dx1 = dalloc(d.nx);
    d.dw = dalloc(d.nw), d.db = dalloc(nb);
    naive_forward(d.y0, d.x, d.w0, d.b0, c);
    naive_forward(d.y1, d.x, d.w1, d.b1, c);
    naive_backward_data(d.dx0, d.dy, d.w0, c);
    naive_backward_data(d.dx1, d.dy, d.w1, c);
    naive_backward_weights(d.dw, d.db, d.dy, d.x, c);
    for (int i = 0; i < N_BACKENDS; i++) conv_on_backend(backends[i], &d, case_index);
    free(d.x), free(d.dy), free(d.px), free(d.w0), free(d.w1), free(d.pw);
    free(d.b0), free(d.b1), free(d.pb);
    free(d.y0), free(d.y1), free(d.dx0), free(d.dx1), free(d.dw), free(d.db);
}

/* ---- pooling, upsampling, ReLU backward ---------------------------------- */

typedef struct shape4 {
    int n, c, h, w;
} shape4;

/* The backend whose entry CCPL__BACKEND_OP picks (for the log). */
#define OP_OWNER(be, fn) (((be) && (be)->fn) ? (be) : &ccpl__backend_ref)->name

static void exact_report(const char *be, const char *owner, const char *op, const shape4 *s,
                         const float *got, const double *ref, size_t n) {
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (!((double)got[i] == ref[i])) {
            if (!bad) first = i;
            bad++;
        }
    char key[64];
    snprintf(key, sizeof key, "%-5s %-12s -> %s", be, op, owner);
    err2 e = compare(got, NULL, ref, n);
    record(key, e);
    printf("%-4s %-17s n=%d c=%d %2dx%-2d: %-4s%s max %.2e\n", be, op, s->n, s->c, s->w, s->h,
           owner, strcmp(be, owner) ? " fallback" : "", e.max_rel);
    CHECK(bad == 0,
          "%s %s (on %s) n=%d c=%d %dx%d: %zu of %zu values differ, first [%zu] %.9g vs %.9g",
          be, op, owner, s->n, s->c, s->w, s->h, bad, n, first, bad ? (double)got[first] : 0.0,
          bad ? ref[first] : 0.0);
}

static void pool_case(const ccpl__backend *be, const shape4 *s, int threads) {
    const int oh = (s->h + 1) / 2, ow = (s->w + 1) / 2, planes = s->n * s->c;
    const size_t nx = (size_t)planes * s->h * s->w, ny = (size_t)planes * oh * ow;
    float *x = falloc(nx), *y = falloc(ny), *dy = falloc(ny), *px = falloc(nx), *dx;
    double *ry = dalloc(ny), *rdx = dalloc(nx);
    fill(x, nx, coarse, 1.0f);
    /* plane 0 all negative: a ceil-mode edge window padded with 0 would show */
    for (size_t i = 0; i < (size_t)s->h * s->w; i++) x[i] -= 2.0f;
    fill(dy, ny, qrand, 1.0f);
    fill(px, nx, qrand, 1.0f);
    for (size_t i = 0; i < nx; i++) rdx[i] = px[i];
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                /* the window's first maximum in row-major order */
                size_t arg = 0;
                int have = 0;
                for (int ky = 0; ky < 2; ky++)
                    for (int kx = 0; kx < 2; kx++) {
                        const int iy = 2 * oy + ky, ix = 2 * ox + kx;
                        if (iy >= s->h || ix >= s->w) continue;
                        const size_t i = ((size_t)p * s->h + iy) * s->w + ix;
                        if (!have || x[i] > x[arg]) arg = i, have = 1;
                    }
                const size_t o = ((size_t)p * oh + oy) * ow + ox;
                ry[o] = x[arg];
                rdx[arg] += dy[o];
            }
    for (size_t i = 0; i < ny; i++) y[i] = NAN;
    CCPL__BACKEND_OP(be, pool_forward)(y, x, s->n, s->c, s->h, s->w, threads);
    exact_report(be->name, OP_OWNER(be, pool_forward), "pool_forward", s, y, ry, ny);
    dx = fcopy(px, nx);
    CCPL__BACKEND_OP(be, pool_backward)(dx, dy, x, s->n, s->c, s->h, s->w, threads);
    exact_report(be->name, OP_OWNER(be, pool_backward), "pool_backward", s, dx, rdx, nx);
    free(x), free(y), free(dy), free(px), free(dx), free(ry), free(rdx);
}

static void upsample_case(const ccpl__backend *be, const shape4 *s, int threads) {
    const int planes = s->n * s->c, oh = 2 * s->h, ow = 2 * s->w;
    const size_t nx = (size_t)planes * s->h * s->w, ny = (size_t)planes * oh * ow;
    float *x = falloc(nx), *y = falloc(ny), *dy = falloc(ny), *px = falloc(nx), *dx;
    double *ry = dalloc(ny), *rdx = dalloc(nx);
    fill(x, nx, qrand, 1.0f);
    fill(dy, ny, qrand, 1.0f);
    fill(px, nx, qrand, 1.0f);
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                ry[((size_t)p * oh + oy) * ow + ox] =
                    x[((size_t)p * s->h + oy / 2) * s->w + ox / 2];
    for (size_t i = 0; i < nx; i++) rdx[i] = px[i];
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                rdx[((size_t)p * s->h + oy / 2) * s->w + ox / 2] +=
                    dy[((size_t)p * oh + oy) * ow + ox];
    for (size_t i = 0; i < ny; i++) y[i] = NAN;
    CCPL__BACKEND_OP(be, upsample_forward)(y, x, s->n, s->c, s->h, s->w, threads);
    exact_report(be->name, OP_OWNER(be, upsample_forward), "upsample_forward", s, y, ry, ny);
    dx = fcopy(px, nx);
    CCPL__BACKEND_OP(be, upsample_backward)(dx, dy, s->n, s->c, s->h, s->w, threads);
    exact_report(be->name, OP_OWNER(be, upsample_backward), "upsample_backward", s, dx, rdx, nx);
    free(x), free(y), free(dy), free(px), free(dx), free(ry), free(rdx);
}

static void relu_case(const ccpl__backend *be, size_t count, int threads) {
    float *out = falloc(count), *dout = falloc(count), *dpre = falloc(count);
    double *ref = dalloc(count);
    for (size_t i = 0; i < count; i++) {
        /* a ReLU's outputs: zeros (+0 and -0: no gradient at 0) and positives */
        const float v = qrand();
        out[i] = v > 0 ? v : (i % 3 == 0 ? -0.0f : 0.0f);
        if (i % 7 == 3) out[i] = qrand(); /* negatives too: masked as well */
    }
    fill(dout, count, qrand, 1.0f);
    fill(dpre, count, qrand, 1.0f);
    for (size_t i = 0; i < count; i++) ref[i] = (double)dpre[i] + (out[i] > 0 ? dout[i] : 0.0);
    CCPL__BACKEND_OP(be, relu_backward)(dpre, dout, out, count, threads);
    const shape4 s = {1, 1, 1, (int)count};
    exact_report(be->name, OP_OWNER(be, relu_backward), "relu_backward", &s, dpre, ref, count);
    free(out), free(dout), free(dpre), free(ref);
}

/* ---- the cases ----------------------------------------------------------- */

int main(void) {
    /* The shapes the fast backend routes: Winograd needs cin, cout >= 16
       (its input gradient is a cout -> cin Winograd), direct cin >= 16 and
       cout <= 4; everything else is the reference's. */
    CHECK(ccpl__winograd_suits(16, 17, 3, 1) && !ccpl__winograd_suits(3, 16, 3, 1) &&
              !ccpl__winograd_suits(24, 17, 1, 0) && ccpl__direct_suits(17, 3, 3, 1) &&
              !ccpl__direct_suits(3, 3, 3, 1),
          "the case list reaches the fast paths it means to");

    static const conv_case convs[] = {
        /* cin cout k pad relu  h   w  n */
        {3, 3, 3, 1, 1, 7, 5, 1},     /* narrow: ref everywhere */
        {3, 16, 3, 1, 1, 2, 2, 2},    /* the encoder's first 3x3: ref (cin 3) */
        {16, 17, 3, 1, 0, 7, 5, 3},   /* Winograd fwd + bwd-data */
        {33, 24, 3, 1, 1, 11, 13, 2}, /* Winograd fwd + bwd-data */
        {24, 16, 3, 1, 1, 4, 9, 1},   /* Winograd fwd + bwd-data */
        {16, 16, 3, 1, 1, 2, 2, 3},   /* Winograd on the smallest reflectable side */
        {17, 33, 3, 1, 0, 3, 2, 2},   /* Winograd, odd/even sides */
        {17, 3, 3, 1, 0, 4, 9, 2},    /* direct fwd; bwd-data 3 -> 17: ref */
        {33, 3, 3, 1, 1, 11, 13, 1},  /* direct fwd (the decoder's last layer shape) */
        {16, 4, 3, 1, 1, 2, 2, 3},    /* direct fwd, cout = its maximum */
        {16, 5, 3, 1, 1, 7, 5, 2},    /* neither: cout 5 */
        {3, 3, 1, 0, 0, 7, 5, 2},     /* the 1x1 input layer */
        {24, 17, 1, 0, 1, 11, 13, 3}, /* 1x1 wide: ref */
        {16, 33, 1, 0, 0, 2, 2, 1},
        {16, 17, 3, 0, 1, 4, 9, 2},   /* unpadded 3x3: (4,9) -> (2,7), ref */
    };
    const int n_convs = (int)(sizeof convs / sizeof convs[0]);
    for (int i = 0; i < n_convs; i++) conv_case_run(&convs[i], i);

    static const shape4 shapes[] = {{1, 3, 7, 5}, {2, 4, 2, 2}, {3, 2, 9, 4}, {2, 5, 13, 11},
                                    {1, 2, 1, 3}, {2, 3, 3, 1}, {1, 1, 1, 1}, {3, 17, 6, 8}};
    const int n_shapes = (int)(sizeof shapes / sizeof shapes[0]);
    static const size_t counts[] = {1, 7, 1000, 70001};
    for (int b = 0; b < N_BACKENDS; b++) {
        for (int i = 0; i < n_shapes; i++) {
            pool_case(backends[b], &shapes[i], 1 + (i & 1));
            upsample_case(backends[b], &shapes[i], 1 + (i & 1));
        }
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
            relu_case(backends[b], counts[i], 1 + (int)(i & 1));
    }

    CHECK(ran_fast_winograd_fwd > 0 && ran_fast_winograd_bwd > 0 && ran_fast_direct_fwd > 0,
          "the fast kernels ran: winograd fwd %d, winograd bwd-data %d, direct fwd %d",
          ran_fast_winograd_fwd, ran_fast_winograd_bwd, ran_fast_direct_fwd);
    CHECK(ran_fallback > 0, "some pass fell back to the reference");
    printf("\nfast kernels ran: winograd fwd %d, winograd bwd-data %d, direct fwd %d; "
           "passes on the fallback %d\n",
           ran_fast_winograd_fwd, ran_fast_winograd_bwd, ran_fast_direct_fwd, ran_fallback);
    printf("\nmax errors against the double loops (backend, op -> implementer/kernel):\n");
    for (int i = 0; i < n_stats; i++)
        printf("  %-52s runs %3d  max-rel %.2e  l2-rel %.2e\n", stats[i].key, stats[i].runs,
               stats[i].max_rel, stats[i].l2_rel);
    return tu_finish();
}
