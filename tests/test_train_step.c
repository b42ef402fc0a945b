/* One training step against PyTorch (issue 3, item 2): with weights, batch
 * and anchor positions fixed on both sides (fixtures_train.py), the content,
 * style and CCPL losses and the gradients of every decoder, SCT and MLP
 * parameter match float64 autograd. Tolerance: relative error <= 1e-3.
 *
 * Measured: art worst 9.3e-4 (the decoder and SCT gradients, all 2e-4..9e-4),
 * photo 1.4e-5. The art figure is the float32 floor of this function, not a
 * defect: the loss is piecewise (ReLU and max-pool switch), and in float64 a
 * 1e-6 relative perturbation of the weights already moves the art gradients by
 * 9e-2 (photo 3e-2); PyTorch's own float32 step is 9.3e-2 (art) / 1.6e-3
 * (photo) from the float64 reference. The comparison is deterministic.
 *
 * The fast engine (issue 14): every forward pass of the step (the encoder
 * over the content, the style and the generated image; the decoder), the
 * input gradients of the encoder's and decoder's wide 3x3 layers and the
 * decoder's weight gradients of those layers run on Winograd F(2x2,3x3),
 * whose results differ from im2col's by about 1e-6 relative. Every loss and
 * every decoder and SCT gradient still meets 1e-3 (measured worst with
 * OpenBLAS's products: photo 6.3e-4; with ops/wino_gemm's, 2026-11-30:
 * art 7.6e-4 over all parameters, photo 9.7e-6). The CCPL heads' gradients get HEAD_TOL_FAST,
 * for a reason measured in float64 PyTorch on this fixture (tests/ref, the
 * numbers of issue 14's closing note): the heads' hidden ReLUs in the key
 * branch (built from the content features) have pre-activations within
 * 1.3e-6..8.7e-6 of zero relative to their row's largest (art relu2_1,
 * relu3_1, relu4_1: 1, 1 and 2 of 16k-65k values below 1e-5), so the head
 * gradients are discontinuous here: multiplying the content features by
 * (1 + 1e-7 N(0,1)) moves them by 6e-6, by (1 + 1e-6 N(0,1)) by 5e-3 (mlp.9),
 * by 1e-5 by 1.5e-2; PyTorch's own float32 step is 9.3e-2 away. The fast
 * path's measured worst was 2.8e-2 (art mlp.9.weight) on OpenBLAS's
 * products, 7.6e-4 on ops/wino_gemm's (one FMA sum per product).
 *
 * The SCT identity loss (issue 15, our addition: identity_weight * mean((SCT(fc,
 * fc) - fc)^2) at the last tap), against MODE_ref_id.pth of the same fixtures:
 * ID_FULL, the step with it added (weight 100, where its SCT gradients are of
 * the order of the other losses'), every loss and gradient at the same
 * tolerances; ID_ONLY, the other weights 0, so that the SCT gradients are the
 * identity term's alone, and the decoder's and heads' gradients exactly 0.
 *
 * The photorealism loss (issue 15, ours: photoreal_weight * mean over the
 * batch of mean((g - A g)^2), A the guided filter guided by the content, on
 * the decoder's output), against MODE_ref_pr.pth: PR_FULL, the step with it
 * added (the weight, radius and eps from the file; the weight makes its
 * decoder and SCT gradients of the order of the other losses'), every loss
 * and gradient at the same tolerances, art and photo, both engines; PR_ONLY,
 * the other weights 0: the decoder's and SCT's gradients are its alone, the
 * heads' exactly 0. The art decoder's and SCT's gradients of this term get
 * PR_TOL_ART: they are sums in which the per-pixel terms cancel (the term's
 * image gradient has zero mean per channel: its gradient of the decoder's
 * last bias is 0 in exact arithmetic), so float32 rounding in the decoder's
 * passes shows. Measured on this fixture: the loss op alone, on the float64
 * image, is 1.7e-7 from torch's gradient; PyTorch's own float32 decoder
 * (loss in float64) is 3.4e-2 away on art, 2.4e-3 on photo; ours 2.4e-3
 * (term added) and 4.4e-3 (term alone) on art, 1.4e-5 on photo; float64
 * weights perturbed by 1e-7 relative move it by 1.4e-6 (no ReLU kinks). */
#include "io/checkpoint.h"
#include "test_util.h"
#include "train/train_model.h"

#define TOL 1e-3
#define HEAD_TOL_FAST 5e-2
#define PR_TOL_ART 1e-2

static const ccpl__checkpoint *ref;

static const ccpl__tensor_entry *need(const ccpl__checkpoint *ck, const char *key) {
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(ck, key);
    if (!t) {
        fprintf(stderr, "FAIL: tensor %s missing\n", key);
        exit(1);
    }
    return t;
}

static double worst;
static double head_tol = TOL; /* the CCPL heads' tolerance (HEAD_TOL_FAST on the fast path) */
static double grad_tol = TOL; /* the others' (PR_TOL_ART with the photorealism term in art) */

static double max_abs(const float *p, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)p[i]));
    return m;
}

static void compare(const char *mode, const char *key, const float *got) {
    const ccpl__tensor_entry *t = need(ref, key);
    double e = tu_rel_err(got, t->data, t->numel);
    if (!strncmp(key, "pronly.", 7)) {
        /* a gradient the photorealism term leaves at 0 in exact arithmetic
           (the decoder's last bias: the guided filter reproduces constants,
           so a constant shift of g leaves g - A g as it is; torch's is
           1e-16 of the full step's) is measured on the full step's scale */
        const ccpl__tensor_entry *full = need(ref, key + 7);
        const double mf = max_abs(full->data, full->numel);
        if (max_abs(t->data, t->numel) < 1e-9 * mf) {
            e = max_abs(got, t->numel) / mf;
            printf("  %-5s %s: 0 in exact arithmetic; |got| / |full step's| %.2e\n", mode, key, e);
        }
    }
    if (e > worst) worst = e;
    const double tol = strncmp(key, "mlp.", 4) == 0 ? head_tol : grad_tol;
    CHECK(e <= tol, "%s %s: relative error %.3e (tolerance %.0e)", mode, key, e, tol);
}

/* Zeroed gradient buffer of n floats (owned by the list). */
static float *bufs[256];
static int n_bufs;
static float *zeros(size_t n) { return bufs[n_bufs++] = calloc(n, sizeof(float)); }

static void grads_for_net(const ccpl__net *net, float **dw, float **db) {
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == CCPL__OP_CONV) {
            const ccpl__conv *cv = &net->ops[i].conv;
            dw[i] = zeros((size_t)cv->cout * cv->cin * cv->k * cv->k);
            db[i] = zeros((size_t)cv->cout);
        }
}

static void compare_net(const char *mode, const ccpl__net *net, const char *prefix, float **dw, float **db) {
    char key[96];
    for (int i = 0; i < net->n_ops; i++)
        if (dw[i]) {
            const int k = net->ops[i].conv.key;
            if (k < 0) snprintf(key, sizeof key, "%s.weight", prefix);
            else snprintf(key, sizeof key, "%s%d.weight", prefix, k);
            compare(mode, key, dw[i]);
            if (k < 0) snprintf(key, sizeof key, "%s.bias", prefix);
            else snprintf(key, sizeof key, "%s%d.bias", prefix, k);
            compare(mode, key, db[i]);
        }
}

enum { ID_OFF, ID_FULL, ID_ONLY, PR_FULL, PR_ONLY };

static int all_zero(const float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0.0f) return 0;
    return 1;
}

static void run(ccpl_mode mode, const char *dir, int fast, int id) {
    const char *mname = mode == CCPL_MODE_ART ? "art" : "photo";
    static const char *const idname[5] = {"", " +identity", " identity only", " +photoreal",
                                          " photoreal only"};
    const int pr = id == PR_FULL || id == PR_ONLY, only = id == ID_ONLY || id == PR_ONLY;
    char path[4096];
    ccpl__checkpoint enc, dec, sct, mlp, r, rid;
    ccpl_error err;
#define LOAD(ck, what)                                                                  \
    snprintf(path, sizeof path, "%s/%s_%s.pth", dir, mname, what);                      \
    if (ccpl__checkpoint_load(path, NULL, NULL, &ck, &err) != CCPL_OK) {                \
        fprintf(stderr, "FAIL: %s\n", err.message);                                     \
        exit(1);                                                                        \
    }
    LOAD(enc, "enc");
    LOAD(dec, "dec");
    LOAD(sct, "sct");
    LOAD(mlp, "mlp");
    LOAD(r, "ref");
    if (id != ID_OFF) {
        LOAD(rid, pr ? "ref_pr" : "ref_id");
    }
#undef LOAD
    ref = id != ID_OFF ? &rid : &r;
    worst = 0;

    ccpl__train_model m;
    CHECK(ccpl__train_model_bind(&m, mode, &enc, &dec, &sct, &mlp, &err) == CCPL_OK, "%s", err.message);
    ccpl__train_fast fastnets;
    head_tol = fast ? HEAD_TOL_FAST : TOL;
    grad_tol = pr && mode == CCPL_MODE_ART ? PR_TOL_ART : TOL;
    if (fast) CHECK(ccpl__train_model_use_fast(&m, &fastnets, &err) == CCPL_OK, "%s", err.message);

    ccpl__train_grads g;
    memset(&g, 0, sizeof g);
    n_bufs = 0;
    grads_for_net(&m.dec, g.dec_w, g.dec_b);
    grads_for_net(&m.sct.cnet, g.sct.cnet_w, g.sct.cnet_b);
    grads_for_net(&m.sct.snet, g.sct.snet_w, g.sct.snet_b);
    grads_for_net(&m.sct.uncompress, g.sct.un_w, g.sct.un_b);
    for (int l = 0; l < m.n_taps; l++) {
        const size_t c = (size_t)m.mlp[l].c, d = (size_t)m.mlp[l].d;
        g.mlp[l].w1 = zeros(c * c), g.mlp[l].b1 = zeros(c);
        g.mlp[l].w2 = zeros(d * c), g.mlp[l].b2 = zeros(d);
    }

    /* the batch: views into the reference tensors */
    const ccpl__tensor_entry *ct = need(&r, "contents"), *stt = need(&r, "styles");
    ccpl__tensor contents[2], styles[2];
    for (int n = 0; n < 2; n++) {
        contents[n].n = 1, contents[n].c = 3, contents[n].h = (int)ct->shape[2], contents[n].w = (int)ct->shape[3];
        contents[n].data = ct->data + (size_t)n * 3 * contents[n].h * contents[n].w;
        styles[n].n = 1, styles[n].c = 3, styles[n].h = (int)stt->shape[2], styles[n].w = (int)stt->shape[3];
        styles[n].data = stt->data + (size_t)n * 3 * styles[n].h * styles[n].w;
    }
    int anchors_buf[CCPL__MAX_TAPS][16];
    const int *anchors[CCPL__MAX_TAPS] = {0};
    for (int l = m.n_taps - 3; l < m.n_taps; l++) {
        char k[32];
        snprintf(k, sizeof k, "anchors_l%d", l);
        const ccpl__tensor_entry *a = need(&r, k);
        for (int i = 0; i < 16; i++) anchors_buf[l][i] = (int)a->data[i];
        anchors[l] = anchors_buf[l];
    }
    ccpl__loss_config cfg = {1.0f, 10.0f, 5.0f, 0.07f, 8, 3, 0.0f, 0.0f, 1, 1e-4f};
    if (id == ID_FULL || id == ID_ONLY) cfg.identity_weight = need(&rid, "identity_weight")->data[0];
    if (pr) {
        const float *f = need(&rid, "photoreal_filter")->data;
        cfg.photoreal_weight = need(&rid, "photoreal_weight")->data[0];
        cfg.photoreal_radius = (int)f[0], cfg.photoreal_eps = f[1];
    }
    if (only) cfg.content_weight = cfg.style_weight = cfg.ccp_weight = 0.0f;
    ccpl__losses L;
    ccpl__train_ws ws;
    memset(&ws, 0, sizeof ws);
    CHECK(ccpl__train_step(&m, &ws, contents, styles, 2, anchors, &cfg, &g, &L, 2, &err) == CCPL_OK,
          "%s", err.message);
    ccpl__train_ws_release(&ws);
    const float *want = need(ref, "losses")->data;
    if (id == ID_OFF) {
        const double got[4] = {L.content, L.style, L.ccp, L.total};
        static const char *const names[4] = {"content", "style", "ccp", "total"};
        for (int i = 0; i < 4; i++) {
            double e = fabs(got[i] - want[i]) / fabs(want[i]);
            printf("  %-5s loss %-7s %.6g (torch %.6g)  rel err %.2e\n", mname, names[i], got[i], want[i], e);
            CHECK(e <= TOL, "%s %s loss: %.3e", mname, names[i], e);
        }
        CHECK(L.identity == 0.0, "%s: identity loss %g with weight 0", mname, L.identity);
        CHECK(L.photoreal == 0.0, "%s: photorealism loss %g with weight 0", mname, L.photoreal);
    } else {
        /* ID_ONLY, PR_ONLY: the total is the extra term alone */
        const double wx = pr ? cfg.photoreal_weight : cfg.identity_weight;
        const double wtot = only ? wx * (double)want[3] : want[4];
        const double got[5] = {L.content, L.style, L.ccp, pr ? L.photoreal : L.identity, L.total};
        const double exp[5] = {want[0], want[1], want[2], want[3], wtot};
        const char *const names[5] = {"content", "style", "ccp", pr ? "photoreal" : "identity", "total"};
        CHECK((pr ? L.identity : L.photoreal) == 0.0, "%s%s: the other extra loss is not 0", mname,
              idname[id]);
        for (int i = 0; i < 5; i++) {
            double e = fabs(got[i] - exp[i]) / fabs(exp[i]);
            printf("  %-5s%s loss %-8s %.6g (torch %.6g)  rel err %.2e\n", mname, idname[id], names[i],
                   got[i], exp[i], e);
            CHECK(e <= TOL, "%s%s %s loss: %.3e", mname, idname[id], names[i], e);
        }
    }
    if (id == ID_ONLY) {
        /* the identity term reaches SCT only: nothing else moved */
        for (int i = 0; i < m.dec.n_ops; i++)
            if (g.dec_w[i]) {
                const ccpl__conv *cv = &m.dec.ops[i].conv;
                CHECK(all_zero(g.dec_w[i], (size_t)cv->cout * cv->cin * cv->k * cv->k) &&
                          all_zero(g.dec_b[i], (size_t)cv->cout),
                      "%s identity only: decoder op %d has a gradient", mname, i);
            }
        for (int l = 0; l < m.n_taps; l++) {
            const size_t c = (size_t)m.mlp[l].c, d = (size_t)m.mlp[l].d;
            CHECK(all_zero(g.mlp[l].w1, c * c) && all_zero(g.mlp[l].b1, c) &&
                      all_zero(g.mlp[l].w2, d * c) && all_zero(g.mlp[l].b2, d),
                  "%s identity only: head %d has a gradient", mname, l);
        }
        compare_net(mname, &m.sct.cnet, "idonly.sct.cnet.", g.sct.cnet_w, g.sct.cnet_b);
        compare_net(mname, &m.sct.snet, "idonly.sct.snet.", g.sct.snet_w, g.sct.snet_b);
        compare_net(mname, &m.sct.uncompress, "idonly.sct.uncompress", g.sct.un_w, g.sct.un_b);
    } else if (id == PR_ONLY) {
        /* the photorealism term reaches the decoder and SCT, not the heads */
        for (int l = 0; l < m.n_taps; l++) {
            const size_t c = (size_t)m.mlp[l].c, d = (size_t)m.mlp[l].d;
            CHECK(all_zero(g.mlp[l].w1, c * c) && all_zero(g.mlp[l].b1, c) &&
                      all_zero(g.mlp[l].w2, d * c) && all_zero(g.mlp[l].b2, d),
                  "%s photoreal only: head %d has a gradient", mname, l);
        }
        compare_net(mname, &m.dec, "pronly.dec.", g.dec_w, g.dec_b);
        compare_net(mname, &m.sct.cnet, "pronly.sct.cnet.", g.sct.cnet_w, g.sct.cnet_b);
        compare_net(mname, &m.sct.snet, "pronly.sct.snet.", g.sct.snet_w, g.sct.snet_b);
        compare_net(mname, &m.sct.uncompress, "pronly.sct.uncompress", g.sct.un_w, g.sct.un_b);
    } else {
        compare_net(mname, &m.dec, "dec.", g.dec_w, g.dec_b);
        compare_net(mname, &m.sct.cnet, "sct.cnet.", g.sct.cnet_w, g.sct.cnet_b);
        compare_net(mname, &m.sct.snet, "sct.snet.", g.sct.snet_w, g.sct.snet_b);
        compare_net(mname, &m.sct.uncompress, "sct.uncompress", g.sct.un_w, g.sct.un_b);
        for (int l = m.n_taps - 3; l < m.n_taps; l++) {
            char k[32];
            snprintf(k, sizeof k, "mlp.%d.weight", 3 * l);
            compare(mname, k, g.mlp[l].w1);
            snprintf(k, sizeof k, "mlp.%d.bias", 3 * l);
            compare(mname, k, g.mlp[l].b1);
            snprintf(k, sizeof k, "mlp.%d.weight", 3 * l + 2);
            compare(mname, k, g.mlp[l].w2);
            snprintf(k, sizeof k, "mlp.%d.bias", 3 * l + 2);
            compare(mname, k, g.mlp[l].b2);
        }
    }
    printf("  %-5s %s%s worst gradient relative error over all %s: %.2e\n", mname,
           fast ? "fast" : "ref ", idname[id],
           id == ID_ONLY ? "SCT parameters" : id == PR_ONLY ? "decoder and SCT parameters" : "parameters",
           worst);
    for (int i = 0; i < n_bufs; i++) free(bufs[i]);
    if (fast) ccpl__train_model_fast_release(&m, &fastnets);
    ccpl__checkpoint_free(&enc);
    ccpl__checkpoint_free(&dec);
    ccpl__checkpoint_free(&sct);
    ccpl__checkpoint_free(&mlp);
    ccpl__checkpoint_free(&r);
    if (id != ID_OFF) ccpl__checkpoint_free(&rid);
}

int main(void) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/train", tu_env("CCPL_FIXTURES"));
    run(CCPL_MODE_ART, dir, 0, ID_OFF);
    run(CCPL_MODE_PHOTO, dir, 0, ID_OFF);
    run(CCPL_MODE_ART, dir, 1, ID_OFF);
    run(CCPL_MODE_PHOTO, dir, 1, ID_OFF);
    /* the SCT identity loss (issue 15) */
    run(CCPL_MODE_PHOTO, dir, 0, ID_FULL);
    run(CCPL_MODE_PHOTO, dir, 0, ID_ONLY);
    run(CCPL_MODE_PHOTO, dir, 1, ID_FULL);
    run(CCPL_MODE_ART, dir, 0, ID_FULL);
    run(CCPL_MODE_ART, dir, 0, ID_ONLY);
    /* the photorealism loss (issue 15) */
    run(CCPL_MODE_PHOTO, dir, 0, PR_FULL);
    run(CCPL_MODE_PHOTO, dir, 0, PR_ONLY);
    run(CCPL_MODE_PHOTO, dir, 1, PR_FULL);
    run(CCPL_MODE_ART, dir, 0, PR_FULL);
    run(CCPL_MODE_ART, dir, 0, PR_ONLY);
    run(CCPL_MODE_ART, dir, 1, PR_FULL);
    return tu_finish();
}
