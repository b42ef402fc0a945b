/* Spatial control (issue 16, docs/MASKS.md): soft masks per style and
 * per-label SCT statistics, against the PyTorch reference
 * (tests/ref/fixtures_masked.py, ccpl_ref.sct_spatial / sct_forward_labels)
 * with the parity tests' tolerance (max|a-b|/max|b| <= 1e-4); a single
 * all-ones mask equal to the unmasked result bit for bit; bad arguments. */
#include "io/checkpoint.h"
#include "io/image_internal.h"
#include "model/model.h"
#include "test_util.h"

#define TOL 1e-4

static char mdir[4096], kdir[4096];

static void load_act(const char *dir, const char *png, ccpl__tensor *a) {
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

/* A grey PNG's first channel: as a mask (/255, float) and as labels. */
static void load_grey(const char *png, ccpl_mask *mask, ccpl_labels *lab) {
    ccpl_image img = {0};
    ccpl_error err;
    if (ccpl_image_load(tu_path(kdir, png), &img, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        exit(1);
    }
    const size_t n = (size_t)img.width * img.height;
    if (mask) {
        float *d = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) d[i] = img.data[3 * i] / 255.0f;
        *mask = (ccpl_mask){img.width, img.height, d};
    }
    if (lab) {
        unsigned char *d = malloc(n);
        for (size_t i = 0; i < n; i++) d[i] = img.data[3 * i];
        *lab = (ccpl_labels){img.width, img.height, d};
    }
    ccpl_image_free(&img);
}

static void compare(const ccpl__checkpoint *ref, const char *mode, const char *key, const ccpl__tensor *got) {
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(ref, key);
    CHECK(t != NULL, "%s: expected tensor '%s' missing", mode, key);
    if (!t) return;
    int ok = t->ndim == 4 && t->shape[1] == got->c && t->shape[2] == got->h && t->shape[3] == got->w;
    CHECK(ok, "%s %s: shape (%d,%d,%d) vs reference (%lld,%lld,%lld)", mode, key, got->c, got->h, got->w,
          (long long)t->shape[1], (long long)t->shape[2], (long long)t->shape[3]);
    if (!ok) return;
    double e = tu_rel_err(got->data, t->data, t->numel);
    printf("  %-6s %-17s (%3d,%4d,%4d)  max rel err %.2e\n", mode, key, got->c, got->h, got->w, e);
    CHECK(e <= TOL, "%s %s: relative error %.3e > %.0e", mode, key, e, TOL);
}

static void run_mode(ccpl_mode mode) {
    const char *mname = mode == CCPL_MODE_ART ? "art" : "photo";
    char dec[64], sct[64], exp[64];
    snprintf(dec, sizeof dec, "%s_decoder.pth", mname);
    snprintf(sct, sizeof sct, "%s_sct.pth", mname);
    snprintf(exp, sizeof exp, "expected_%s.pth", mname);
    ccpl_params p = ccpl_default_params();
    p.mode = mode;
    p.n_threads = 2;
    ccpl_error err;
    ccpl_model *m = ccpl_model_load(tu_path(mdir, "vgg.pth"), tu_path(mdir, dec), tu_path(mdir, sct), &p, &err);
    CHECK(m != NULL, "load: %s", err.message);
    if (!m) return;
    ccpl__checkpoint ref;
    CHECK(ccpl__checkpoint_load(tu_path(kdir, exp), NULL, NULL, &ref, &err) == CCPL_OK, "%s", err.message);

    ccpl__tensor content, style, style2, fc = {0}, y = {0}, y2 = {0};
    load_act(mdir, "content.png", &content);
    load_act(mdir, "style.png", &style);
    load_act(mdir, "style2.png", &style2);
    ccpl_mask masks[2];
    ccpl_labels lab_c, lab_s;
    load_grey("mask1.png", &masks[0], NULL);
    load_grey("mask2.png", &masks[1], NULL);
    load_grey("labels_content.png", NULL, &lab_c);
    load_grey("labels_style.png", NULL, &lab_s);
    unsigned char *none2 = malloc((size_t)style2.w * style2.h);
    memset(none2, CCPL_LABEL_NONE, (size_t)style2.w * style2.h);
    ccpl_labels lab_s2 = {style2.w, style2.h, none2};

    CHECK(ccpl__encode(m, &content, &fc, NULL) == CCPL_OK, "%s", ccpl_model_error(m));
    ccpl_style *s1 = ccpl__style_new_labels_chw(m, &style, NULL, &lab_s);
    ccpl_style *s2 = ccpl__style_new_labels_chw(m, &style2, NULL, &lab_s2);
    ccpl_style *plain = ccpl__style_new_chw(m, &style, NULL);
    CHECK(s1 && s2 && plain, "styles: %s", ccpl_model_error(m));
    if (s1 && s2 && plain) {
        ccpl_style *pair[2] = {s1, s2};
        ccpl_spatial sp = ccpl_default_spatial();
        sp.masks = masks;
        ccpl__tensor acc = {0};
        CHECK(ccpl__sct_spatial(m, &fc, pair, NULL, 2, &sp, &acc) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, mname, "mask_sct", &acc);
        unsigned char *lc = malloc((size_t)fc.h * fc.w);
        ccpl__labels_nearest(lc, fc.h, fc.w, lab_c.data, lab_c.height, lab_c.width);
        CHECK(ccpl__sct_apply_labels(m, &fc, lc, s1, &acc) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, mname, "lab_sct", &acc);
        free(lc);

        CHECK(ccpl__stylize_spatial_chw(m, &content, pair, NULL, 2, 1.0f, &sp, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, mname, "out_mask2", &y);
        ccpl__tensor_free(&y);
        CHECK(ccpl__stylize_spatial_chw(m, &content, pair, NULL, 2, 0.6f, &sp, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, mname, "out_mask2_alpha", &y);
        ccpl__tensor_free(&y);
        ccpl_spatial sl = ccpl_default_spatial();
        sl.content_labels = &lab_c;
        CHECK(ccpl__stylize_spatial_chw(m, &content, &s1, NULL, 1, 1.0f, &sl, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, mname, "out_labels", &y);
        ccpl__tensor_free(&y);
        sl.masks = masks;
        CHECK(ccpl__stylize_spatial_chw(m, &content, pair, NULL, 2, 1.0f, &sl, &y) == CCPL_OK, "%s", ccpl_model_error(m));
        compare(&ref, mname, "out_labels_mask2", &y);
        ccpl__tensor_free(&y);

        /* one all-ones mask (any size of the content's aspect): bit for bit
           the unmasked result, for a style made with or without labels */
        float ones_d[12];
        for (int i = 0; i < 12; i++) ones_d[i] = 1.0f;
        ccpl_mask ones = {4, 3, ones_d};
        ccpl_spatial so = ccpl_default_spatial();
        so.masks = &ones;
        for (int k = 0; k < 2; k++) {
            ccpl_style *st = k ? s1 : plain;
            CHECK(ccpl__stylize_chw(m, &content, &st, NULL, 1, 0.7f, &y) == CCPL_OK, "%s", ccpl_model_error(m));
            CHECK(ccpl__stylize_spatial_chw(m, &content, &st, NULL, 1, 0.7f, &so, &y2) == CCPL_OK, "%s", ccpl_model_error(m));
            int same = y.data && y2.data && y.c == y2.c && y.h == y2.h && y.w == y2.w &&
                       !memcmp(y.data, y2.data, sizeof(float) * (size_t)y.c * y.h * y.w);
            CHECK(same, "%s: all-ones mask differs from the unmasked result (style %s labels)", mname, k ? "with" : "without");
            if (same) printf("  %-6s all-ones mask == unmasked, bit for bit (style %s labels)\n", mname, k ? "with" : "without");
            ccpl__tensor_free(&y);
            ccpl__tensor_free(&y2);
        }

        /* bad arguments: one line, CCPL_E_INVALID_ARGUMENT */
        const float w2[2] = {1, 1};
        CHECK(ccpl__stylize_spatial_chw(m, &content, pair, w2, 2, 1.0f, &sp, &y) == CCPL_E_INVALID_ARGUMENT,
              "weights with masks accepted");
        ccpl_mask wide = {40, 10, ones_d}; /* data only read after the aspect check */
        ccpl_mask bad2[2] = {masks[0], wide};
        ccpl_spatial sb = ccpl_default_spatial();
        sb.masks = bad2;
        CHECK(ccpl__stylize_spatial_chw(m, &content, pair, NULL, 2, 1.0f, &sb, &y) == CCPL_E_INVALID_ARGUMENT &&
                  strstr(ccpl_model_error(m), "mask 2 is 40x10"),
              "wide mask: %s", ccpl_model_error(m));
        printf("  wide mask -> %s\n", ccpl_model_error(m));
        ones_d[5] = 1.5f;
        CHECK(ccpl__stylize_spatial_chw(m, &content, &plain, NULL, 1, 1.0f, &so, &y) == CCPL_E_INVALID_ARGUMENT,
              "mask value 1.5 accepted");
        sl.masks = NULL;
        CHECK(ccpl__stylize_spatial_chw(m, &content, &plain, NULL, 1, 1.0f, &sl, &y) == CCPL_E_INVALID_ARGUMENT &&
                  strstr(ccpl_model_error(m), "without a label map"),
              "content labels with an unlabelled style: %s", ccpl_model_error(m));
        ccpl_labels wide_l = {50, 10, none2};
        CHECK(ccpl__style_new_labels_chw(m, &style, NULL, &wide_l) == NULL &&
                  ccpl_model_status(m) == CCPL_E_INVALID_ARGUMENT,
              "wide style labels accepted");
        printf("  wide style labels -> %s\n", ccpl_model_error(m));
    }

    /* the public 8-bit API: labels once per style, then any content */
    ccpl_image cimg = {0}, simg = {0}, out = {0}, out2 = {0};
    ccpl_image_load(tu_path(mdir, "content.png"), &cimg, &err);
    ccpl_image_load(tu_path(mdir, "style.png"), &simg, &err);
    ccpl_style *ps = ccpl_style_new_labels(m, &simg, NULL, &lab_s);
    CHECK(ps != NULL, "%s", ccpl_model_error(m));
    ccpl_spatial sl = ccpl_default_spatial();
    sl.content_labels = &lab_c;
    CHECK(ps && ccpl_stylize_spatial(m, &cimg, &ps, NULL, 1, NULL, &sl, &out) == CCPL_OK &&
              out.width == cimg.width && out.height == cimg.height,
          "public labelled stylize: %s", ccpl_model_error(m));
    /* without content labels the labelled style is the plain one */
    CHECK(ps && ccpl_stylize(m, &cimg, &ps, NULL, 1, NULL, &out2) == CCPL_OK, "%s", ccpl_model_error(m));
    ccpl_image_free(&out);
    ccpl_image_free(&out2);
    ccpl_style_free(ps);
    ccpl_image_free(&cimg);
    ccpl_image_free(&simg);

    ccpl_style_free(s1);
    ccpl_style_free(s2);
    ccpl_style_free(plain);
    free((void *)masks[0].data);
    free((void *)masks[1].data);
    free((void *)lab_c.data);
    free((void *)lab_s.data);
    free(none2);
    ccpl__tensor_free(&fc);
    ccpl__tensor_free(&content);
    ccpl__tensor_free(&style);
    ccpl__tensor_free(&style2);
    ccpl__checkpoint_free(&ref);
    ccpl_model_free(m);
}

/* The resamplers on small cases worked by hand. */
static void resamplers(void) {
    const float in[4] = {0, 1, 1, 0}; /* 2x2 -> 1x1: the mean */
    float o[6];
    CHECK(ccpl__mask_area_resize(o, 1, 1, in, 2, 2) == CCPL_OK && fabsf(o[0] - 0.5f) < 1e-7f, "area 2x2->1 %g", o[0]);
    const float row[3] = {0, 0.3f, 0.9f}; /* 1x3 -> 1x2: cells [0,1.5) and [1.5,3) */
    CHECK(ccpl__mask_area_resize(o, 1, 2, row, 1, 3) == CCPL_OK && fabsf(o[0] - 0.1f) < 1e-6f &&
              fabsf(o[1] - 0.7f) < 1e-6f,
          "area 3->2: %g %g", o[0], o[1]);
    const unsigned char lab[6] = {1, 2, 3, 4, 5, 6}; /* 2x3 -> 1x2: centres (0.5,0.75),(0.5,2.25) */
    unsigned char lo[2];
    ccpl__labels_nearest(lo, 1, 2, lab, 2, 3);
    CHECK(lo[0] == 4 && lo[1] == 6, "nearest: %d %d", lo[0], lo[1]);
}

int main(void) {
    snprintf(mdir, sizeof mdir, "%s/model", tu_env("CCPL_FIXTURES"));
    snprintf(kdir, sizeof kdir, "%s/masked", tu_env("CCPL_FIXTURES"));
    resamplers();
    run_mode(CCPL_MODE_ART);
    run_mode(CCPL_MODE_PHOTO);
    return tu_finish();
}
