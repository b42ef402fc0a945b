/* Planned memory (issue 14): a model keeps its working memory between calls
 * (core/arena.h). What must hold: the same call gives byte-identical
 * results the first time, the second time, after a larger and a smaller
 * input, and after ccpl_model_release_memory; a repeated shape grows the
 * held memory by nothing; releasing gives it all back. Both modes, with the
 * random-weight fixture models. */
#include "ccpl/ccpl.h"
#include "test_util.h"

static const char *dir;

static void load(const char *name, int shorter, ccpl_image *out) {
    ccpl_image img = {0};
    ccpl_error err;
    if (ccpl_image_load(tu_path(dir, name), &img, &err) != CCPL_OK ||
        ccpl_image_resize_shorter(&img, shorter, 0, out, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        exit(1);
    }
    ccpl_image_free(&img);
}

static int same(const ccpl_image *a, const ccpl_image *b) {
    return a->width == b->width && a->height == b->height &&
           memcmp(a->data, b->data, (size_t)a->width * a->height * 3) == 0;
}

static void run(ccpl_model *m, ccpl_style *s, const ccpl_image *c, ccpl_image *out) {
    CHECK(ccpl_stylize(m, c, &s, NULL, 1, NULL, out) == CCPL_OK, "%s", ccpl_model_error(m));
}

static void check_mode(ccpl_mode mode, const char *vgg, const char *dec, const char *sct) {
    const char *name = mode == CCPL_MODE_ART ? "art" : "photo";
    ccpl_params p = ccpl_default_params();
    p.mode = mode;
    p.n_threads = 1;
    ccpl_error err;
    ccpl_model *m = ccpl_model_load(tu_path(dir, vgg), tu_path(dir, dec), tu_path(dir, sct), &p, &err);
    CHECK(m != NULL, "%s", err.message);
    if (!m) return;
    ccpl_image big = {0}, small = {0}, sty = {0}, r0 = {0}, r = {0}, rs0 = {0}, rs = {0};
    load("content.png", 96, &big);
    load("content_small.png", 48, &small);
    load("style.png", 64, &sty);
    ccpl_style *s = ccpl_style_new(m, &sty, NULL);
    CHECK(s != NULL, "%s", ccpl_model_error(m));
    if (!s) goto done;

    run(m, s, &small, &rs0); /* first, the small one: the big one then grows the plan */
    run(m, s, &big, &r0);
    const size_t held = ccpl_model_release_memory(m);
    CHECK(held > 0, "%s: no working memory was held", name);
    run(m, s, &big, &r); /* planned again from nothing */
    CHECK(same(&r0, &r), "%s: result differs after release", name);
    ccpl_image_free(&r);
    run(m, s, &big, &r); /* same shape: nothing new */
    CHECK(same(&r0, &r), "%s: second call differs", name);
    ccpl_image_free(&r);
    run(m, s, &small, &rs); /* smaller: reuses the larger buffers */
    CHECK(same(&rs0, &rs), "%s: small input differs in larger buffers", name);
    const size_t held2 = ccpl_model_release_memory(m);
    CHECK(held2 == held, "%s: held %zu bytes after repeated shapes, %zu at first", name, held2, held);
    CHECK(ccpl_model_release_memory(m) == 0, "%s: memory left after a release", name);
    printf("%s: %zu bytes of working memory for a %dx%d content\n", name, held, big.width, big.height);
done:
    ccpl_style_free(s);
    ccpl_image_free(&big);
    ccpl_image_free(&small);
    ccpl_image_free(&sty);
    ccpl_image_free(&r0);
    ccpl_image_free(&rs0);
    ccpl_image_free(&rs);
    ccpl_model_free(m);
}

int main(void) {
    dir = strdup(tu_path(tu_env("CCPL_FIXTURES"), "model")); /* tu_path's buffers rotate */
    check_mode(CCPL_MODE_ART, "vgg.pth", "art_decoder.pth", "art_sct.pth");
    check_mode(CCPL_MODE_PHOTO, "vgg_conv3_1_legacy.pth", "photo_decoder_legacy.pth",
               "photo_sct_legacy.pth");
    free((void *)dir);
    return tu_finish();
}
