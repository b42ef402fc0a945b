/* Parity with the PyTorch reference (tests/ref/ccpl_ref.py) on random-weight
 * checkpoints in the official layouts, zip and legacy formats, both modes,
 * odd sizes, alpha, two-style interpolation and preserve-colour.
 * Tolerances (issue 2): float tensors max|a-b|/max|b| <= 1e-4; 8-bit images
 * equal on >= 99.9 % of values and never off by more than 1.
 *
 * The 8-bit figure is held against the float64 reference (the exact answer
 * for these weights and inputs): PyTorch's own float32 output agrees with it
 * on only ~99.90 % of values on this deliberately ill-conditioned random
 * network, so two float32 implementations can only be compared to each other
 * at the sum of both errors. Against PyTorch float32 we require max diff 1 and
 * >= 99.8 % equal. */
#include <stdint.h>

#include "io/checkpoint.h"
#include "io/image_internal.h"
#include "model/model.h"
#include "test_util.h"

#define TOL 1e-4

static const char *dir;

static void load_act(const char *png, ccpl__tensor *a) {
    ccpl_image img = {0};
    ccpl_error err;
    if (ccpl_image_load(tu_path(dir, png), &img, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        exit(1);
    }
    ccpl__tensor_alloc(a, 1, 3, img.height, img.width, NULL);
    ccpl__image_to_chw(&img, a->data);
    ccpl_image_free(&img);
}

static void compare(const ccpl__checkpoint *ref, const char *mode, const char *key,
                    const ccpl__tensor *got) {
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(ref, key);
    CHECK(t != NULL, "%s: expected tensor '%s' missing", mode, key);
    if (!t) return;
    /* reference tensors are (1, C, H, W) */
    int ok = t->ndim == 4 && t->shape[0] == 1 && t->shape[1] == got->c && t->shape[2] == got->h &&
             t->shape[3] == got->w;
    CHECK(ok, "%s %s: shape (%d,%d,%d) vs reference (%lld,%lld,%lld)", mode, key, got->c, got->h,
          got->w, (long long)t->shape[1], (long long)t->shape[2], (long long)t->shape[3]);
    if (!ok) return;
    double e = tu_rel_err(got->data, t->data, t->numel);
    printf("  %-6s %-12s (%3d,%4d,%4d)  max rel err %.2e\n", mode, key, got->c, got->h, got->w, e);
    CHECK(e <= TOL, "%s %s: relative error %.3e > %.0e", mode, key, e, TOL);
}

/* Compares got with ref; min_pct is the share of equal values required. */
static void compare_u8_with(const char *mode, const char *what, const ccpl_image *ref,
                            const ccpl_image *got, double min_pct) {
    CHECK(ref->width == got->width && ref->height == got->height, "%s %s: size %dx%d vs %dx%d",
          mode, what, got->width, got->height, ref->width, ref->height);
    if (ref->width != got->width || ref->height != got->height) return;
    size_t n = (size_t)ref->width * ref->height * 3, eq = 0;
    int maxd = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)ref->data[i] - (int)got->data[i]);
        eq += d == 0;
        if (d > maxd) maxd = d;
    }
    double pct = 100.0 * eq / n;
    printf("  %-9s %-26s %dx%d  %.4f %% equal, max diff %d\n", mode, what, got->width,
           got->height, pct, maxd);
    CHECK(pct >= min_pct && maxd <= 1, "%s %s: %.4f %% equal (need %.1f), max diff %d", mode,
          what, pct, min_pct, maxd);
}

/* got against the reference's saved PNG (float32 PyTorch) and against the
 * float64 reference tensor `key` quantised the same way. */
static void compare_u8(const ccpl__checkpoint *ref64, const char *mode, const char *png,
                       const char *key, const ccpl_image *got) {
    ccpl_image ref = {0};
    ccpl_error err;
    char what[96];
    CHECK(ccpl_image_load(tu_path(dir, png), &ref, &err) == CCPL_OK, "%s", err.message);
    if (!ref.data) return;
    snprintf(what, sizeof what, "%s (torch f32)", png);
    compare_u8_with(mode, what, &ref, got, 99.8);
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(ref64, key);
    CHECK(t && t->ndim == 4 && t->shape[2] == ref.height && t->shape[3] == ref.width,
          "f64 tensor %s", key);
    if (t && t->ndim == 4 && t->shape[2] == ref.height && t->shape[3] == ref.width) {
        ccpl__chw_to_image(t->data, ref.height, ref.width, &ref);
        snprintf(what, sizeof what, "%s (f64 exact)", key);
        compare_u8_with(mode, what, &ref, got, 99.9);
    }
    ccpl_image_free(&ref);
}

static void run_mode(ccpl_mode mode, const char *vgg, const char *fmt, ccpl_engine engine) {
    const char *mname = mode == CCPL_MODE_ART ? "art" : "photo";
    char dec[256], sct[256], expected[256], expected64[256], label[64];
    snprintf(dec, sizeof dec, "%s_decoder%s.pth", mname, fmt);
    snprintf(sct, sizeof sct, "%s_sct%s.pth", mname, fmt);
    snprintf(expected, sizeof expected, "expected_%s.pth", mname);
    snprintf(expected64, sizeof expected64, "expected_%s_f64.pth", mname);
    snprintf(label, sizeof label, "%s%s%s", mname, *fmt ? "/leg" : "/zip",
             engine == CCPL_ENGINE_REF ? "/ref" : "");
    printf("%s: %s %s %s\n", label, vgg, dec, sct);

    ccpl_params p = ccpl_default_params();
    p.mode = mode;
    p.n_threads = 2;
    p.engine = engine;
    ccpl_error err;
    ccpl_model *m = ccpl_model_load(tu_path(dir, vgg), tu_path(dir, dec), tu_path(dir, sct), &p, &err);
    CHECK(m != NULL, "load: %s", err.message);
    if (!m) return;
    ccpl__checkpoint ref, ref64;
    CHECK(ccpl__checkpoint_load(tu_path(dir, expected), NULL, NULL, &ref, &err) == CCPL_OK, "%s",
          err.message);
    CHECK(ccpl__checkpoint_load(tu_path(dir, expected64), NULL, NULL, &ref64, &err) == CCPL_OK,
          "%s", err.message);

    ccpl__tensor content, style, style2, small, fc = {0}, fs = {0}, taps[4] = {{0}}, y = {0};
    load_act("content.png", &content);
    load_act("style.png", &style);
    load_act("style2.png", &style2);
    load_act("content_small.png", &small);
    compare(&ref, label, "content", &content);

    CHECK(ccpl__encode(m, &content, &fc, taps) == CCPL_OK, "%s", ccpl_model_error(m));
    static const char *const tap_names[4] = {"c_relu1_1", "c_relu2_1", "c_relu3_1", "c_relu4_1"};
    for (int i = 0; i < (mode == CCPL_MODE_ART ? 4 : 3); i++) compare(&ref, label, tap_names[i], &taps[i]);
    CHECK(ccpl__encode(m, &style, &fs, NULL) == CCPL_OK, "%s", ccpl_model_error(m));
    compare(&ref, label, "s_last", &fs);

    ccpl_style *s1 = ccpl__style_new_chw(m, &style, NULL);
    ccpl_style *s2 = ccpl__style_new_chw(m, &style2, NULL);
    ccpl_style *sp = ccpl__style_new_chw(m, &style, &content);
    CHECK(s1 && s2 && sp, "style: %s", ccpl_model_error(m));
    if (s1 && s2 && sp) {
        ccpl__tensor g = {0};
        CHECK(ccpl__sct_apply(m, &fc, s1, &g) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, label, "sct", &g); /* a view into the model's arena: not freed */

        CHECK(ccpl__stylize_chw(m, &content, &s1, NULL, 1, 1.0f, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, label, "out", &y);
        ccpl__tensor_free(&y);
        CHECK(ccpl__stylize_chw(m, &content, &s1, NULL, 1, 0.6f, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, label, "out_alpha", &y);
        ccpl__tensor_free(&y);
        ccpl_style *pair[2] = {s1, s2};
        const float w[2] = {0.3f, 0.7f};
        CHECK(ccpl__stylize_chw(m, &content, pair, w, 2, 1.0f, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, label, "out_interp", &y);
        ccpl__tensor_free(&y);
        CHECK(ccpl__stylize_chw(m, &content, &sp, NULL, 1, 1.0f, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, label, "out_preserve", &y);
        ccpl__tensor_free(&y);
        CHECK(ccpl__stylize_chw(m, &small, &s1, NULL, 1, 1.0f, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, label, "out_small", &y);
        ccpl__tensor_free(&y);
    }
    ccpl_style_free(s1);
    ccpl_style_free(s2);
    ccpl_style_free(sp);

    /* 8-bit, through the public API as the CLI uses it */
    ccpl_image cimg = {0}, simg = {0}, s2img = {0}, out = {0};
    ccpl_image_load(tu_path(dir, "content.png"), &cimg, &err);
    ccpl_image_load(tu_path(dir, "style.png"), &simg, &err);
    ccpl_image_load(tu_path(dir, "style2.png"), &s2img, &err);
    ccpl_style *ps = ccpl_style_new(m, &simg, NULL), *ps2 = ccpl_style_new(m, &s2img, NULL);
    ccpl_style *pp = ccpl_style_new(m, &simg, &cimg);
    CHECK(ps && ps2 && pp, "%s", ccpl_model_error(m));
    ccpl_stylize_params sprm = ccpl_default_stylize_params();
    sprm.full_output = 1;
    char name[64];
    if (ps && ps2 && pp) {
        CHECK(ccpl_stylize(m, &cimg, &ps, NULL, 1, &sprm, &out) == CCPL_OK, "%s", ccpl_model_error(m));
        snprintf(name, sizeof name, "%s_out.png", mname);
        compare_u8(&ref64, label, name, "out", &out);
        /* default: cropped to the content size, top-left aligned */
        ccpl_image crop = {0};
        CHECK(ccpl_stylize(m, &cimg, &ps, NULL, 1, NULL, &crop) == CCPL_OK, "%s", ccpl_model_error(m));
        CHECK(crop.width == cimg.width && crop.height == cimg.height, "crop size %dx%d", crop.width, crop.height);
        int same = 1;
        for (int yy = 0; same && yy < crop.height; yy++)
            same = !memcmp(crop.data + (size_t)yy * crop.width * 3, out.data + (size_t)yy * out.width * 3,
                           (size_t)crop.width * 3);
        CHECK(same, "cropped output differs from the top-left of the full output");
        ccpl_image_free(&crop);
        ccpl_image_free(&out);

        sprm.alpha = 0.6f;
        CHECK(ccpl_stylize(m, &cimg, &ps, NULL, 1, &sprm, &out) == CCPL_OK, "%s", ccpl_model_error(m));
        snprintf(name, sizeof name, "%s_alpha.png", mname);
        compare_u8(&ref64, label, name, "out_alpha", &out);
        ccpl_image_free(&out);
        sprm.alpha = 1.0f;
        ccpl_style *pair[2] = {ps, ps2};
        const float w[2] = {3.0f, 7.0f}; /* normalised to 0.3, 0.7 */
        CHECK(ccpl_stylize(m, &cimg, pair, w, 2, &sprm, &out) == CCPL_OK, "%s", ccpl_model_error(m));
        snprintf(name, sizeof name, "%s_interp.png", mname);
        compare_u8(&ref64, label, name, "out_interp", &out);
        ccpl_image_free(&out);
        CHECK(ccpl_stylize(m, &cimg, &pp, NULL, 1, &sprm, &out) == CCPL_OK, "%s", ccpl_model_error(m));
        snprintf(name, sizeof name, "%s_preserve.png", mname);
        compare_u8(&ref64, label, name, "out_preserve", &out);
        ccpl_image_free(&out);
    }
    ccpl_style_free(ps);
    ccpl_style_free(ps2);
    ccpl_style_free(pp);
    ccpl_image_free(&cimg);
    ccpl_image_free(&simg);
    ccpl_image_free(&s2img);

    for (int i = 0; i < 4; i++) ccpl__tensor_free(&taps[i]);
    ccpl__tensor_free(&fc);
    ccpl__tensor_free(&fs);
    ccpl__tensor_free(&content);
    ccpl__tensor_free(&style);
    ccpl__tensor_free(&style2);
    ccpl__tensor_free(&small);
    ccpl__checkpoint_free(&ref);
    ccpl__checkpoint_free(&ref64);
    ccpl_model_free(m);
}

/* c[0] = last done, c[1] = total, c[2] = cancel when done reaches it (0: never). */
static int progress_cb(int done, int total, void *user) {
    int *c = (int *)user;
    c[0] = done, c[1] = total;
    return c[2] > 0 && done >= c[2];
}

/* The progress callback sees every convolution of a stylization (art: 10 in
 * the encoder, 9 in the decoder) and can cancel it. */
static void progress(void) {
    int c[3] = {0, 0, 0};
    ccpl_params p = ccpl_default_params();
    p.progress = progress_cb;
    p.progress_user_data = c;
    ccpl_error err;
    ccpl_model *m = ccpl_model_load(tu_path(dir, "vgg.pth"), tu_path(dir, "art_decoder.pth"),
                                    tu_path(dir, "art_sct.pth"), &p, &err);
    CHECK(m != NULL, "%s", err.message);
    if (!m) return;
    ccpl_image img = {0}, out = {0};
    ccpl_image_alloc(&img, 40, 36, NULL);
    for (int i = 0; i < 40 * 36 * 3; i++) img.data[i] = (unsigned char)(i * 13);
    ccpl_style *s = ccpl_style_new(m, &img, NULL);
    CHECK(s && ccpl_stylize(m, &img, &s, NULL, 1, NULL, &out) == CCPL_OK, "%s", ccpl_model_error(m));
    CHECK(c[0] == 19 && c[1] == 19, "progress ended at %d/%d, expected 19/19", c[0], c[1]);
    ccpl_image_free(&out);
    c[2] = 3;
    CHECK(ccpl_stylize(m, &img, &s, NULL, 1, NULL, &out) == CCPL_E_CANCELLED && !out.data && c[0] == 3,
          "cancel at 3: status %d, done %d", ccpl_model_status(m), c[0]);
    ccpl_style_free(s);
    ccpl_image_free(&img);
    ccpl_model_free(m);
}

/* Wrong-mode, missing-key and too-small inputs give the right status and a
 * message naming the file. */
static void errors(void) {
    ccpl_params p = ccpl_default_params();
    ccpl_error err;
    char vgg[1024], vgg31[1024], adec[1024], asct[1024], psct[1024], pdec[1024];
    snprintf(vgg, sizeof vgg, "%s", tu_path(dir, "vgg.pth"));
    snprintf(vgg31, sizeof vgg31, "%s", tu_path(dir, "vgg_conv3_1_legacy.pth"));
    snprintf(adec, sizeof adec, "%s", tu_path(dir, "art_decoder.pth"));
    snprintf(asct, sizeof asct, "%s", tu_path(dir, "art_sct.pth"));
    snprintf(pdec, sizeof pdec, "%s", tu_path(dir, "photo_decoder.pth"));
    snprintf(psct, sizeof psct, "%s", tu_path(dir, "photo_sct.pth"));

    p.mode = CCPL_MODE_ART;
    ccpl_model *m = ccpl_model_load(vgg, adec, psct, &p, &err);
    CHECK(!m && err.status == CCPL_E_SHAPE && strstr(err.message, "photo_sct.pth") &&
              strstr(err.message, "cnet.0.weight"),
          "photo SCT in art mode: %s", err.message);
    printf("  photo SCT in art mode -> %s\n", err.message);
    p.mode = CCPL_MODE_PHOTO;
    m = ccpl_model_load(vgg, pdec, asct, &p, &err);
    CHECK(!m && err.status == CCPL_E_SHAPE && strstr(err.message, "art_sct.pth"), "%s", err.message);
    p.mode = CCPL_MODE_ART;
    m = ccpl_model_load(vgg31, adec, asct, &p, &err);
    CHECK(!m && err.status == CCPL_E_MISSING_KEY && strstr(err.message, "19.weight") &&
              strstr(err.message, "vgg_conv3_1_legacy.pth"),
          "conv3_1 VGG in art mode: %s", err.message);
    printf("  relu3_1 VGG in art mode -> %s\n", err.message);
    m = ccpl_model_load(tu_path(dir, "no_such_file.pth"), adec, asct, &p, &err);
    CHECK(!m && err.status == CCPL_E_IO && strstr(err.message, "no_such_file.pth"), "%s", err.message);

    /* photo mode works with the relu3_1-only encoder, as the real file */
    p.mode = CCPL_MODE_PHOTO;
    m = ccpl_model_load(vgg31, pdec, psct, &p, &err);
    CHECK(m != NULL, "photo mode with relu3_1 VGG: %s", err.message);
    if (m) {
        CHECK(ccpl_model_min_content_side(m) == 5 && ccpl_model_min_style_side(m) == 9,
              "photo min sides %d %d", ccpl_model_min_content_side(m), ccpl_model_min_style_side(m));
        ccpl_model_free(m);
    }
    p.mode = CCPL_MODE_ART;
    m = ccpl_model_load(vgg, adec, asct, &p, &err);
    CHECK(m != NULL, "%s", err.message);
    if (!m) return;
    CHECK(ccpl_model_min_content_side(m) == 9 && ccpl_model_min_style_side(m) == 33,
          "art min sides %d %d", ccpl_model_min_content_side(m), ccpl_model_min_style_side(m));
    ccpl_image tiny = {0}, ok = {0}, out = {0};
    ccpl_image_alloc(&tiny, 8, 40, NULL);
    memset(tiny.data, 128, 8 * 40 * 3);
    ccpl_image_alloc(&ok, 40, 40, NULL);
    memset(ok.data, 100, 40 * 40 * 3);
    for (int i = 0; i < 40 * 40 * 3; i++) ok.data[i] = (unsigned char)(i * 7);
    CHECK(ccpl_style_new(m, &tiny, NULL) == NULL && ccpl_model_status(m) == CCPL_E_TOO_SMALL,
          "tiny style: %s", ccpl_model_error(m));
    printf("  8x40 style -> %s\n", ccpl_model_error(m));
    ccpl_style *s = ccpl_style_new(m, &ok, NULL);
    CHECK(s != NULL, "%s", ccpl_model_error(m));
    CHECK(ccpl_stylize(m, &tiny, &s, NULL, 1, NULL, &out) == CCPL_E_TOO_SMALL && !out.data,
          "tiny content: %s", ccpl_model_error(m));
    ccpl_stylize_params sp = ccpl_default_stylize_params();
    sp.alpha = 1.5f;
    CHECK(ccpl_stylize(m, &ok, &s, NULL, 1, &sp, &out) == CCPL_E_INVALID_ARGUMENT, "alpha 1.5 accepted");
    const float zero = 0.0f;
    CHECK(ccpl_stylize(m, &ok, &s, &zero, 1, NULL, &out) == CCPL_E_INVALID_ARGUMENT, "zero weight accepted");
    ccpl_style_free(s);
    ccpl_image_free(&tiny);
    ccpl_image_free(&ok);
    ccpl_model_free(m);
}

int main(void) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/model", tu_env("CCPL_FIXTURES"));
    dir = buf;
    /* the fast engine (default) on both checkpoint formats, the reference
       engine (--engine ref) on the zip ones: both meet the same tolerances */
    run_mode(CCPL_MODE_ART, "vgg.pth", "", CCPL_ENGINE_FAST);
    run_mode(CCPL_MODE_ART, "vgg_legacy.pth", "_legacy", CCPL_ENGINE_FAST);
    run_mode(CCPL_MODE_ART, "vgg.pth", "", CCPL_ENGINE_REF);
    run_mode(CCPL_MODE_PHOTO, "vgg.pth", "", CCPL_ENGINE_FAST);
    run_mode(CCPL_MODE_PHOTO, "vgg_conv3_1_legacy.pth", "_legacy", CCPL_ENGINE_FAST);
    run_mode(CCPL_MODE_PHOTO, "vgg.pth", "", CCPL_ENGINE_REF);
    errors();
    progress();
    return tu_finish();
}
