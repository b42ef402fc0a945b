/* Gradients through whole networks (issue 3): the art decoder (input and
 * every weight/bias) and the frozen encoder's input gradient from losses on
 * all four taps, against PyTorch autograd in float64 (fixtures_netgrad.py).
 * Tolerance: relative error <= 1e-3 (the issue's); expected ~1e-6. */
#include "io/checkpoint.h"
#include "model/arch.h"
#include "model/net_train.h"
#include "test_util.h"

#define TOL 1e-3

static const ccpl__checkpoint *ref;

/* An activation holding the (1,C,H,W) reference tensor `key` (a view). */
static ccpl__tensor ref_act(const char *key) {
    ccpl__tensor a = {0};
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(ref, key);
    if (!t || t->ndim != 4) {
        fprintf(stderr, "FAIL: reference tensor %s missing\n", key);
        exit(1);
    }
    a.n = 1, a.c = (int)t->shape[1], a.h = (int)t->shape[2], a.w = (int)t->shape[3];
    a.data = t->data;
    return a;
}

static void compare(const char *what, const float *got, const char *key) {
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(ref, key);
    CHECK(t != NULL, "reference %s missing", key);
    if (!t) return;
    double e = tu_rel_err(got, t->data, t->numel);
    printf("  %-22s max rel err %.2e\n", what, e);
    CHECK(e <= TOL, "%s: %.3e", what, e);
}

static void decoder_case(const char *dir) {
    ccpl__checkpoint ck;
    ccpl_error err;
    CHECK(ccpl__checkpoint_load(tu_path(dir, "dec.pth"), NULL, NULL, &ck, &err) == CCPL_OK, "%s", err.message);
    ccpl__net net;
    ccpl__arch_decoder(&net, CCPL_MODE_ART);
    CHECK(ccpl__net_bind(&net, &ck, "dec.pth", "", "", &err) == CCPL_OK, "%s", err.message);
    ccpl__tensor x = ref_act("dec_in"), R = ref_act("dec_R"), dx = {0};
    ccpl__net_trace tr;
    memset(&tr, 0, sizeof tr);
    CHECK(ccpl__net_forward_trace(&net, &x, &tr, NULL, NULL, 2, &err) == CCPL_OK, "%s", err.message);
    float *dw[CCPL__NET_MAX_OPS] = {0}, *db[CCPL__NET_MAX_OPS] = {0};
    for (int i = 0; i < net.n_ops; i++)
        if (net.ops[i].kind == CCPL__OP_CONV) {
            const ccpl__conv *cv = &net.ops[i].conv;
            dw[i] = calloc((size_t)cv->cout * cv->cin * cv->k * cv->k, sizeof(float));
            db[i] = calloc((size_t)cv->cout, sizeof(float));
        }
    ccpl__tensor_alloc(&dx, 1, x.c, x.h, x.w, NULL);
    memset(dx.data, 0, sizeof(float) * (size_t)x.c * x.h * x.w);
    CHECK(ccpl__net_backward(&net, &tr, &R, NULL, &dx, dw, db, NULL, 2, &err) == CCPL_OK, "%s", err.message);
    compare("decoder d input", dx.data, "dec_din");
    for (int i = 0; i < net.n_ops; i++)
        if (dw[i]) {
            char key[64], what[64];
            snprintf(key, sizeof key, "dec_%d.weight", net.ops[i].conv.key);
            snprintf(what, sizeof what, "decoder d%d.weight", net.ops[i].conv.key);
            compare(what, dw[i], key);
            snprintf(key, sizeof key, "dec_%d.bias", net.ops[i].conv.key);
            snprintf(what, sizeof what, "decoder d%d.bias", net.ops[i].conv.key);
            compare(what, db[i], key);
            free(dw[i]);
            free(db[i]);
        }
    ccpl__tensor_free(&dx);
    ccpl__net_trace_free(&tr);
    ccpl__checkpoint_free(&ck);
}

static void encoder_case(const char *dir) {
    ccpl__checkpoint ck;
    ccpl_error err;
    CHECK(ccpl__checkpoint_load(tu_path(dir, "enc.pth"), NULL, NULL, &ck, &err) == CCPL_OK, "%s", err.message);
    ccpl__net net;
    ccpl__arch_encoder(&net, CCPL_MODE_ART);
    CHECK(ccpl__net_bind(&net, &ck, "enc.pth", "", "", &err) == CCPL_OK, "%s", err.message);
    ccpl__tensor x = ref_act("enc_x"), dx = {0};
    ccpl__tensor R[4] = {ref_act("enc_R1"), ref_act("enc_R2"), ref_act("enc_R3"), ref_act("enc_R4")};
    const ccpl__tensor *taps[4];
    ccpl__net_trace tr;
    memset(&tr, 0, sizeof tr);
    CHECK(ccpl__net_forward_trace(&net, &x, &tr, taps, NULL, 2, &err) == CCPL_OK, "%s", err.message);
    for (int k = 0; k < 4; k++)
        CHECK(taps[k]->c == R[k].c && taps[k]->h == R[k].h && taps[k]->w == R[k].w, "tap %d shape", k);
    ccpl__tensor_alloc(&dx, 1, x.c, x.h, x.w, NULL);
    memset(dx.data, 0, sizeof(float) * (size_t)x.c * x.h * x.w);
    /* frozen encoder: no weight gradients, only the input's; the last tap is
       the output, so its gradient enters as dout through the TAP op */
    CHECK(ccpl__net_backward(&net, &tr, NULL, R, &dx, NULL, NULL, NULL, 2, &err) == CCPL_OK, "%s", err.message);
    compare("encoder d input (4 taps)", dx.data, "enc_dx");
    /* accumulation: a second backward adds the same again */
    CHECK(ccpl__net_backward(&net, &tr, NULL, R, &dx, NULL, NULL, NULL, 2, &err) == CCPL_OK, "%s", err.message);
    for (size_t i = 0; i < (size_t)x.c * x.h * x.w; i++) dx.data[i] *= 0.5f;
    compare("encoder d input, twice/2", dx.data, "enc_dx");
    ccpl__tensor_free(&dx);
    ccpl__net_trace_free(&tr);
    ccpl__checkpoint_free(&ck);
}

int main(void) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/netgrad", tu_env("CCPL_FIXTURES"));
    ccpl__checkpoint r;
    ccpl_error err;
    if (ccpl__checkpoint_load(tu_path(dir, "ref.pth"), NULL, NULL, &r, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        return 1;
    }
    ref = &r;
    decoder_case(dir);
    encoder_case(dir);
    ccpl__checkpoint_free(&r);
    return tu_finish();
}
