/* Metrics of `ccpl eval` against tests/ref/fixtures_eval.py: the .flo reader
 * (good and malformed files), backward warping (max abs diff <= 1e-5 in
 * [0,1] units against the float64 numpy warp), temporal errors on a clip
 * with exact known motion (<= 1e-4 relative), SSIM (<= 1e-4 relative, vs a
 * numpy/torch implementation of Wang et al. 2004) and the content/style
 * losses on a random VGG in both modes (<= 1e-4 relative, vs PyTorch in
 * float64). */
#include <stdint.h>

#include "io/checkpoint.h"
#include "io/flo.h"
#include "io/image_internal.h"
#include "model/encoder.h"
#include "ops/metrics.h"
#include "ops/stats.h"
#include "ops/warp.h"
#include "test_util.h"

#define TOL_REL 1e-4
#define TOL_WARP 1e-5

static const char *dir;
static ccpl__checkpoint ref;

static double num(const char *key) {
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(&ref, key);
    if (!t || t->numel != 1) {
        fprintf(stderr, "FAIL: expected value '%s' missing\n", key);
        exit(1);
    }
    return t->data[0];
}

static void load_act(const char *name, ccpl__tensor *a) {
    ccpl_image img = {0};
    ccpl_error err;
    if (ccpl_image_load(tu_path(dir, name), &img, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        exit(1);
    }
    ccpl__tensor_alloc(a, 1, 3, img.height, img.width, NULL);
    ccpl__image_to_chw(&img, a->data);
    ccpl_image_free(&img);
}

/* keep[p] &= !(mask pixel white) */
static void and_not_mask(const char *name, unsigned char *keep, size_t n) {
    ccpl_image img = {0};
    ccpl_error err;
    CHECK(ccpl_image_load(tu_path(dir, name), &img, &err) == CCPL_OK, "%s", err.message);
    if (!img.data) return;
    CHECK((size_t)img.width * img.height == n, "%s: size", name);
    for (size_t p = 0; p < n && p < (size_t)img.width * img.height; p++)
        if (img.data[3 * p] >= 128) keep[p] = 0;
    ccpl_image_free(&img);
}

static void check_rel(const char *what, double got, double want) {
    double e = fabs(got - want) / fmax(fabs(want), 1e-30);
    printf("  %-28s got %.9e  ref %.9e  rel err %.2e\n", what, got, want, e);
    CHECK(e <= TOL_REL, "%s: relative error %.3e > %.0e", what, e, TOL_REL);
}

static void test_flo(void) {
    ccpl__flow f;
    ccpl_error err;
    printf("flo reader\n");
    CHECK(ccpl__flo_load(tu_path(dir, "seq/flow/frame_0001.flo"), &f, &err) == CCPL_OK, "%s", err.message);
    CHECK(f.w == 64 && f.h == 48, "size %dx%d", f.w, f.h);
    if (f.uv) CHECK(f.uv[0] == 1.5f && f.uv[1] == -0.75f && f.uv[2 * 64 * 48 - 1] == -0.75f, "values");
    ccpl__flow_free(&f);
    CHECK(ccpl__flo_load(tu_path(dir, "bad/small.flo"), &f, &err) == CCPL_OK && f.w == 4 && f.h == 3,
          "small: %s", err.message);
    ccpl__flow_free(&f);
    static const struct {
        const char *file;
        ccpl_status st;
        const char *msg;
    } bad[] = {
        {"bad/truncated.flo", CCPL_E_FORMAT, "truncated"},
        {"bad/overlong.flo", CCPL_E_FORMAT, "overlong"},
        {"bad/bad_tag.flo", CCPL_E_FORMAT, "tag"},
        {"bad/huge.flo", CCPL_E_TOO_LARGE, "limit"},
        {"bad/negative.flo", CCPL_E_FORMAT, "no pixels"},
        {"bad/missing.flo", CCPL_E_IO, "cannot open"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *path = tu_path(dir, bad[i].file);
        ccpl_status st = ccpl__flo_load(path, &f, &err);
        printf("  %-22s -> %s\n", bad[i].file, err.message);
        CHECK(st == bad[i].st && f.uv == NULL, "%s: status %d", bad[i].file, (int)st);
        CHECK(strstr(err.message, path) == err.message && strstr(err.message, bad[i].msg),
              "%s: message '%s'", bad[i].file, err.message);
    }
    /* from memory: header only, a short header, a declared size whose byte
     * count would overflow 32 bits */
    unsigned char hdr[12] = {0};
    const float tag = CCPL__FLO_TAG;
    memcpy(hdr, &tag, 4);
    int32_t wh[2] = {16384, 16384};
    memcpy(hdr + 4, wh, 8);
    CHECK(ccpl__flo_load_memory(hdr, 12, "mem", &f, &err) == CCPL_E_TOO_LARGE, "16384^2: %s", err.message);
    wh[0] = wh[1] = 8192;
    memcpy(hdr + 4, wh, 8);
    CHECK(ccpl__flo_load_memory(hdr, 12, "mem", &f, &err) == CCPL_E_FORMAT && strstr(err.message, "truncated"),
          "8192^2 header only: %s", err.message);
    CHECK(ccpl__flo_load_memory(hdr, 7, "mem", &f, &err) == CCPL_E_FORMAT, "7 bytes: %s", err.message);
}

/* Warps src by the flow file and compares with the reference warp. */
static void check_warp(const char *flo, const char *src_png, const char *key) {
    ccpl__flow f;
    ccpl__tensor src;
    ccpl_error err;
    char wk[16], vk[16];
    snprintf(wk, sizeof wk, "warp%s", key);
    snprintf(vk, sizeof vk, "valid%s", key);
    CHECK(ccpl__flo_load(tu_path(dir, flo), &f, &err) == CCPL_OK, "%s", err.message);
    load_act(src_png, &src);
    const size_t HW = (size_t)f.w * f.h;
    float *out = malloc(sizeof(float) * 3 * HW);
    unsigned char *valid = malloc(HW);
    ccpl__warp_backward(out, valid, src.data, f.uv, 3, f.h, f.w);
    const ccpl__tensor_entry *w = ccpl__checkpoint_find(&ref, wk), *v = ccpl__checkpoint_find(&ref, vk);
    CHECK(w && v && w->numel == 3 * HW && v->numel == HW, "reference %s", wk);
    if (w && v && w->numel == 3 * HW && v->numel == HW) {
        double md = 0;
        size_t vdiff = 0, nvalid = 0;
        for (size_t p = 0; p < HW; p++) {
            vdiff += valid[p] != (v->data[p] != 0);
            nvalid += valid[p];
        }
        for (size_t i = 0; i < 3 * HW; i++) md = fmax(md, fabs((double)out[i] - w->data[i]));
        printf("  warp %-24s valid %zu/%zu, %zu validity differences, max abs diff %.2e\n", flo,
               nvalid, HW, vdiff, md);
        CHECK(vdiff == 0, "%s: %zu pixels differ in validity", flo, vdiff);
        CHECK(md <= TOL_WARP, "%s: warp max abs diff %.3e > %.0e", flo, md, TOL_WARP);
        char nk[16];
        snprintf(nk, sizeof nk, "nvalid%s", key);
        CHECK((double)nvalid == num(nk), "%s: valid count", flo);
    }
    free(out);
    free(valid);
    ccpl__tensor_free(&src);
    ccpl__flow_free(&f);
}

/* MSE of frame a vs frame b warped back by flo, with optional masks. */
static double pair_mse(const char *a, const char *b, const char *flo, const char *occ, const char *inv) {
    ccpl__flow f;
    ccpl__tensor fa, fb;
    ccpl_error err;
    CHECK(ccpl__flo_load(tu_path(dir, flo), &f, &err) == CCPL_OK, "%s", err.message);
    load_act(a, &fa);
    load_act(b, &fb);
    const size_t HW = (size_t)f.w * f.h;
    float *out = malloc(sizeof(float) * 3 * HW);
    unsigned char *keep = malloc(HW);
    ccpl__warp_backward(out, keep, fb.data, f.uv, 3, f.h, f.w);
    if (occ) and_not_mask(occ, keep, HW);
    if (inv) and_not_mask(inv, keep, HW);
    long long n = 0;
    double m = ccpl__masked_mse(fa.data, out, keep, 3, (int)HW, &n);
    CHECK(n > 0, "%s: no valid pixel", flo);
    free(out);
    free(keep);
    ccpl__tensor_free(&fa);
    ccpl__tensor_free(&fb);
    ccpl__flow_free(&f);
    return m;
}

static void test_temporal(void) {
    printf("warping and temporal error\n");
    check_warp("seq/flow/frame_0001.flo", "seq/frame_0002.png", "1");
    check_warp("seq/flow/frame_0002.flo", "seq/frame_0003.png", "2");
    check_warp("seq/long/frame_0001.flo", "seq/frame_0003.png", "l");
    static const char *const clips[] = {"seq", "noisy"};
    for (int c = 0; c < 2; c++) {
        char f1[64], f2[64], f3[64], key[64];
        snprintf(f1, sizeof f1, "%s/frame_0001.png", clips[c]);
        snprintf(f2, sizeof f2, "%s/frame_0002.png", clips[c]);
        snprintf(f3, sizeof f3, "%s/frame_0003.png", clips[c]);
        double s1 = pair_mse(f1, f2, "seq/flow/frame_0001.flo", "seq/occ/frame_0001.png", "seq/inv/frame_0001.png");
        double s2 = pair_mse(f2, f3, "seq/flow/frame_0002.flo", "seq/occ/frame_0002.png", "seq/inv/frame_0002.png");
        double l = pair_mse(f1, f3, "seq/long/frame_0001.flo", NULL, NULL);
        snprintf(key, sizeof key, "%s_short1", clips[c]);
        check_rel(key, s1, num(key));
        snprintf(key, sizeof key, "%s_short2", clips[c]);
        check_rel(key, s2, num(key));
        snprintf(key, sizeof key, "%s_long", clips[c]);
        check_rel(key, l, num(key));
        if (c == 0) /* exact motion: only 8-bit rounding and interpolation remain */
            CHECK(s1 < 2e-5 && s2 < 2e-5 && l < 2e-5, "exact motion MSE %.3e %.3e %.3e", s1, s2, l);
    }
    /* a zero flow warps a frame onto itself exactly, every pixel valid */
    ccpl__tensor a;
    load_act("noisy/frame_0001.png", &a);
    const size_t HW = (size_t)a.w * a.h;
    float *flow = calloc(2 * HW, sizeof(float)), *out = malloc(sizeof(float) * 3 * HW);
    unsigned char *keep = malloc(HW);
    ccpl__warp_backward(out, keep, a.data, flow, 3, a.h, a.w);
    long long n = 0;
    CHECK(ccpl__masked_mse(a.data, out, keep, 3, (int)HW, &n) == 0.0 && n == (long long)HW, "zero flow");
    /* unknown flow (>1e9), NaN and flow out of the image are invalid */
    flow[0] = 2e9f;
    flow[2] = NAN;
    flow[4] = -3.0f; /* pixel 2: x = 2 - 3 < 0 */
    flow[2 * (HW - 1)] = 0.5f; /* last pixel: x = W - 0.5 > W - 1 */
    ccpl__warp_backward(out, keep, a.data, flow, 3, a.h, a.w);
    CHECK(!keep[0] && !keep[1] && !keep[2] && keep[3] && !keep[HW - 1], "invalid flags");
    free(flow);
    free(out);
    free(keep);
    ccpl__tensor_free(&a);
}

static void test_ssim(void) {
    printf("SSIM\n");
    ccpl__tensor r, c, n1, n2;
    load_act("img/results/c1_stylized_s1.png", &r);
    load_act("img/content/c1.png", &c);
    load_act("noisy/frame_0001.png", &n1);
    load_act("noisy/frame_0002.png", &n2);
    double *scratch = malloc(sizeof(double) * ccpl__ssim_scratch(r.h, r.w));
    check_rel("ssim result/content", ccpl__ssim(r.data, c.data, r.h, r.w, scratch), num("ssim_result_content"));
    CHECK(fabs(ccpl__ssim(c.data, c.data, c.h, c.w, scratch) - 1.0) < 1e-12, "ssim(x,x) = 1");
    free(scratch);
    scratch = malloc(sizeof(double) * ccpl__ssim_scratch(n1.h, n1.w));
    check_rel("ssim noisy 1/2", ccpl__ssim(n1.data, n2.data, n1.h, n1.w, scratch), num("ssim_noisy12"));
    free(scratch);
    CHECK(isnan(ccpl__ssim(r.data, c.data, 10, 10, NULL)), "below 11x11: NaN");
    ccpl__tensor_free(&r);
    ccpl__tensor_free(&c);
    ccpl__tensor_free(&n1);
    ccpl__tensor_free(&n2);
}

static void test_losses(ccpl_mode mode) {
    const int art = mode == CCPL_MODE_ART, nt = art ? 4 : 3;
    printf("content and style losses, %s mode\n", art ? "art" : "photo");
    ccpl_error err;
    ccpl_model *m = ccpl__encoder_load(tu_path(dir, "vgg.pth"), mode, 2, &err);
    CHECK(m != NULL, "encoder load: %s", err.message);
    if (!m) return;
    ccpl__tensor img[3], last, taps[3][4];
    memset(taps, 0, sizeof taps);
    const char *names[3] = {"img/results/c1_stylized_s1.png", "img/content/c1.png", "img/style/s1.png"};
    float *mean[3][4], *std[3][4];
    for (int i = 0; i < 3; i++) {
        load_act(names[i], &img[i]);
        CHECK(ccpl__encode(m, &img[i], &last, taps[i]) == CCPL_OK, "encode: %s", ccpl_model_error(m));
        ccpl__tensor_free(&last);
        for (int t = 0; t < nt; t++) {
            mean[i][t] = malloc(sizeof(float) * (size_t)taps[i][t].c);
            std[i][t] = malloc(sizeof(float) * (size_t)taps[i][t].c);
            ccpl__mean_std_forward(mean[i][t], std[i][t], taps[i][t].data, 1, taps[i][t].c,
                                   taps[i][t].h * taps[i][t].w, 1);
        }
    }
    const ccpl__tensor *lr = &taps[0][nt - 1], *lcn = &taps[1][nt - 1];
    CHECK(lr->c == (art ? 512 : 256), "last tap channels %d", lr->c);
    double lc = ccpl__mse(lr->data, lcn->data, (size_t)lr->c * lr->h * lr->w);
    double ls = 0;
    for (int t = 0; t < nt; t++) ls += ccpl__style_term(mean[0][t], std[0][t], mean[2][t], std[2][t], taps[0][t].c);
    if (art) {
        check_rel("content loss (vs f64)", lc, num("content_loss"));
        check_rel("style loss (vs f64)", ls, num("style_loss"));
        check_rel("content loss (vs torch f32)", lc, num("content_loss_f32"));
        check_rel("style loss (vs torch f32)", ls, num("style_loss_f32"));
    } else {
        check_rel("photo content loss (vs f64)", lc, num("content_loss_photo"));
        check_rel("photo style loss (vs f64)", ls, num("style_loss_photo"));
    }
    for (int i = 0; i < 3; i++) {
        ccpl__tensor_free(&img[i]);
        for (int t = 0; t < nt; t++) {
            ccpl__tensor_free(&taps[i][t]);
            free(mean[i][t]);
            free(std[i][t]);
        }
    }
    ccpl_model_free(m);
    /* a VGG that stops at relu3_1 serves photo mode, not art mode */
    const char *fx = tu_env("CCPL_FIXTURES");
    char p3[4096];
    snprintf(p3, sizeof p3, "%s/model/vgg_conv3_1_legacy.pth", fx);
    m = ccpl__encoder_load(p3, mode, 1, &err);
    if (art)
        CHECK(m == NULL && err.status == CCPL_E_MISSING_KEY && strstr(err.message, p3),
              "relu3_1 VGG in art mode: %s", err.message);
    else
        CHECK(m != NULL, "relu3_1 VGG in photo mode: %s", err.message);
    ccpl_model_free(m);
}

int main(void) {
    static char d[2048];
    snprintf(d, sizeof d, "%s/eval", tu_env("CCPL_FIXTURES"));
    dir = d;
    ccpl_error err;
    if (ccpl__checkpoint_load(tu_path(dir, "expected.pth"), NULL, NULL, &ref, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        return 1;
    }
    test_flo();
    test_temporal();
    test_ssim();
    test_losses(CCPL_MODE_ART);
    test_losses(CCPL_MODE_PHOTO);
    ccpl__checkpoint_free(&ref);
    return tu_finish();
}
