/* The training step's workspace (train/workspace.h, issue 14 "planned
 * memory"): a second step with the same shapes allocates nothing and gives
 * bit-identical losses and gradients; a smaller batch reuses the larger
 * buffers and gives bit-identically what a fresh workspace gives. Art and
 * photo, on the fast engine (the trainer's default) and the reference; and
 * photo with the SCT identity loss on (issue 15: its buffers and trace),
 * and art and photo with the photorealism loss on (issue 15: its scratch;
 * photo with both extra losses together).
 * Weights and images: tests/ref/fixtures_train.py's. */
#include "io/checkpoint.h"
#include "test_util.h"
#include "train/train_model.h"

/* Every gradient of the step in one block (so two steps compare by memcmp). */
typedef struct grads {
    ccpl__train_grads g;
    float *block;
    size_t n;
} grads;

static size_t net_floats(const ccpl__net *net, float **dw, float **db, float *at) {
    size_t n = 0;
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == CCPL__OP_CONV) {
            const ccpl__conv *cv = &net->ops[i].conv;
            if (at) dw[i] = at + n;
            n += (size_t)cv->cout * cv->cin * cv->k * cv->k;
            if (at) db[i] = at + n;
            n += (size_t)cv->cout;
        }
    return n;
}

/* Lays out (at NULL: counts) the gradients of m in at. */
static size_t layout(const ccpl__train_model *m, ccpl__train_grads *g, float *at) {
    size_t n = 0;
    n += net_floats(&m->dec, g->dec_w, g->dec_b, at ? at + n : NULL);
    n += net_floats(&m->sct.cnet, g->sct.cnet_w, g->sct.cnet_b, at ? at + n : NULL);
    n += net_floats(&m->sct.snet, g->sct.snet_w, g->sct.snet_b, at ? at + n : NULL);
    n += net_floats(&m->sct.uncompress, g->sct.un_w, g->sct.un_b, at ? at + n : NULL);
    for (int l = 0; l < m->n_taps; l++) {
        const size_t c = (size_t)m->mlp[l].c, d = (size_t)m->mlp[l].d;
        if (at) g->mlp[l].w1 = at + n, g->mlp[l].b1 = at + n + c * c;
        n += c * c + c;
        if (at) g->mlp[l].w2 = at + n, g->mlp[l].b2 = at + n + d * c;
        n += d * c + d;
    }
    return n;
}

static void grads_new(grads *gr, const ccpl__train_model *m) {
    memset(gr, 0, sizeof *gr);
    gr->n = layout(m, &gr->g, NULL);
    gr->block = calloc(gr->n, sizeof(float));
    if (!gr->block) {
        fprintf(stderr, "FAIL: out of memory\n");
        exit(1);
    }
    layout(m, &gr->g, gr->block);
}

static int same_losses(const ccpl__losses *a, const ccpl__losses *b) {
    return a->content == b->content && a->style == b->style && a->ccp == b->ccp &&
           a->total == b->total && a->identity == b->identity && a->photoreal == b->photoreal;
}

static void run(ccpl_mode mode, const char *dir, int fast, float identity_weight,
                float photoreal_weight) {
    const char *mname = mode == CCPL_MODE_ART ? "art" : "photo";
    char engine[64];
    snprintf(engine, sizeof engine, "%s%s%s", fast ? "fast" : "ref",
             identity_weight != 0.0f ? " +identity" : "", photoreal_weight != 0.0f ? " +photoreal" : "");
    char path[4096];
    ccpl__checkpoint enc, dec, sct, mlp, r;
    ccpl_error err;
    ccpl__checkpoint *cks[5] = {&enc, &dec, &sct, &mlp, &r};
    static const char *const what[5] = {"enc", "dec", "sct", "mlp", "ref"};
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/%s_%s.pth", dir, mname, what[k]);
        if (ccpl__checkpoint_load(path, NULL, NULL, cks[k], &err) != CCPL_OK) {
            fprintf(stderr, "FAIL: %s\n", err.message);
            exit(1);
        }
    }
    ccpl__train_model m;
    CHECK(ccpl__train_model_bind(&m, mode, &enc, &dec, &sct, &mlp, &err) == CCPL_OK, "%s", err.message);
    ccpl__net enc_fast = m.enc;
    if (fast) {
        CHECK(ccpl__net_set_backend(&enc_fast, &ccpl__backend_fast, 1, &err) == CCPL_OK, "%s",
              err.message);
        m.enc_frozen = &enc_fast;
        CHECK(ccpl__net_set_backend(&m.dec, &ccpl__backend_fast, 1, &err) == CCPL_OK, "%s",
              err.message);
    }

    /* the fixture's batch of 2 and its anchors */
    const ccpl__tensor_entry *ct = ccpl__checkpoint_find(&r, "contents");
    const ccpl__tensor_entry *stt = ccpl__checkpoint_find(&r, "styles");
    CHECK(ct && stt, "%s: contents/styles missing", mname);
    if (!ct || !stt) return;
    ccpl__tensor contents[2], styles[2];
    for (int n = 0; n < 2; n++) {
        const int h = (int)ct->shape[2], w = (int)ct->shape[3];
        const int hs = (int)stt->shape[2], ws_ = (int)stt->shape[3];
        contents[n] = ccpl__tensor_view(ct->data + (size_t)n * 3 * h * w, 1, 3, h, w);
        styles[n] = ccpl__tensor_view(stt->data + (size_t)n * 3 * hs * ws_, 1, 3, hs, ws_);
    }
    int anchors_buf[CCPL__MAX_TAPS][16];
    const int *anchors[CCPL__MAX_TAPS] = {0};
    for (int l = m.n_taps - 3; l < m.n_taps; l++) {
        char k[32];
        snprintf(k, sizeof k, "anchors_l%d", l);
        const ccpl__tensor_entry *a = ccpl__checkpoint_find(&r, k);
        CHECK(a != NULL, "%s missing", k);
        for (int i = 0; i < 16; i++) anchors_buf[l][i] = a ? (int)a->data[i] : 1;
        anchors[l] = anchors_buf[l];
    }
    const ccpl__loss_config cfg = {1.0f, 10.0f, 5.0f, 0.07f, 8, 3, identity_weight,
                                   photoreal_weight, 2, 1e-3f};

    ccpl__train_ws ws, fresh;
    memset(&ws, 0, sizeof ws);
    memset(&fresh, 0, sizeof fresh);
    grads g1, g2;
    grads_new(&g1, &m);
    grads_new(&g2, &m);
    ccpl__losses L1, L2;

    /* the first step plans the workspace, the second (same shapes) reuses it */
    CHECK(ccpl__train_step(&m, &ws, contents, styles, 2, anchors, &cfg, &g1.g, &L1, 2, &err) ==
              CCPL_OK, "%s", err.message);
    const size_t allocs = ccpl__train_ws_allocs(&ws);
    CHECK(allocs > 0, "%s %s: the first step allocated nothing in the workspace", mname, engine);
    CHECK(ccpl__train_step(&m, &ws, contents, styles, 2, anchors, &cfg, &g2.g, &L2, 2, &err) ==
              CCPL_OK, "%s", err.message);
    CHECK(ccpl__train_ws_allocs(&ws) == allocs, "%s %s: the second step allocated %zu buffers",
          mname, engine, ccpl__train_ws_allocs(&ws) - allocs);
    CHECK(same_losses(&L1, &L2), "%s %s: the second step's losses differ", mname, engine);
    CHECK(memcmp(g1.block, g2.block, sizeof(float) * g1.n) == 0,
          "%s %s: the second step's gradients differ", mname, engine);

    /* a batch of 1 in the larger buffers (stale contents in them) equals a
       fresh workspace's */
    memset(g1.block, 0, sizeof(float) * g1.n);
    memset(g2.block, 0, sizeof(float) * g2.n);
    CHECK(ccpl__train_step(&m, &ws, contents, styles, 1, anchors, &cfg, &g1.g, &L1, 2, &err) ==
              CCPL_OK, "%s", err.message);
    CHECK(ccpl__train_ws_allocs(&ws) == allocs, "%s %s: a smaller batch allocated %zu buffers",
          mname, engine, ccpl__train_ws_allocs(&ws) - allocs);
    CHECK(ccpl__train_step(&m, &fresh, contents, styles, 1, anchors, &cfg, &g2.g, &L2, 2, &err) ==
              CCPL_OK, "%s", err.message);
    CHECK(same_losses(&L1, &L2), "%s %s: batch 1 in a reused workspace: losses differ", mname, engine);
    CHECK(memcmp(g1.block, g2.block, sizeof(float) * g1.n) == 0,
          "%s %s: batch 1 in a reused workspace: gradients differ", mname, engine);
    printf("  %-5s %s: %zu allocations in the first step, none after (total %.6g)\n", mname, engine,
           allocs, L1.total);
    CHECK((identity_weight != 0.0f) == (L1.identity > 0.0), "%s %s: identity loss %g", mname, engine,
          L1.identity);
    CHECK((photoreal_weight != 0.0f) == (L1.photoreal > 0.0), "%s %s: photorealism loss %g", mname,
          engine, L1.photoreal);

    ccpl__train_ws_release(&ws);
    CHECK(ccpl__train_ws_allocs(&ws) == 0, "a released workspace counts no allocations");
    ccpl__train_ws_release(&fresh);
    free(g1.block);
    free(g2.block);
    if (fast) ccpl__net_release(&enc_fast), ccpl__net_release(&m.dec);
    for (int k = 0; k < 5; k++) ccpl__checkpoint_free(cks[k]);
}

int main(void) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/train", tu_env("CCPL_FIXTURES"));
    run(CCPL_MODE_ART, dir, 1, 0.0f, 0.0f);
    run(CCPL_MODE_PHOTO, dir, 1, 0.0f, 0.0f);
    run(CCPL_MODE_ART, dir, 0, 0.0f, 0.0f);
    run(CCPL_MODE_PHOTO, dir, 0, 0.0f, 0.0f);
    run(CCPL_MODE_PHOTO, dir, 1, 100.0f, 0.0f);
    run(CCPL_MODE_ART, dir, 1, 0.0f, 1000.0f);
    run(CCPL_MODE_PHOTO, dir, 1, 100.0f, 1000.0f);
    return tu_finish();
}
