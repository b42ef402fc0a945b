/* Real pretrained weights: the exact normalised VGG to relu3_1 and the
 * Universal Style Transfer relu3_1 decoder (../shared/models, PROVENANCE.md)
 * mapped onto CCPL's photo decoder keys (1->14, 5->18, 8->21, 12->25,
 * 15->28; key 11 an identity, exact on non-negative relu3_1 features).
 * Encode -> decode must reconstruct real photos at >= 25 dB PSNR. */
#include <math.h>

#include "io/checkpoint.h"
#include "io/image_internal.h"
#include "model/arch.h"
#include "model/net.h"
#include "test_util.h"

static double reconstruct(const char *photo, const ccpl__net *enc, const ccpl__net *dec) {
    ccpl_image raw = {0}, img = {0}, out = {0};
    ccpl_error err;
    ccpl__tensor x = {0}, f = {0}, y = {0};
    double psnr = -1;
    if (ccpl_image_load(photo, &raw, &err) != CCPL_OK ||
        ccpl_image_resize_shorter(&raw, 256, 1, &img, &err) != CCPL_OK) {
        CHECK(0, "%s", err.message);
        goto done;
    }
    ccpl__tensor_alloc(&x, 1, 3, img.height, img.width, NULL);
    ccpl__image_to_chw(&img, x.data);
    CHECK(ccpl__net_run(enc, &x, &f, NULL, 2, NULL, &err) == CCPL_OK, "%s", err.message);
    CHECK(ccpl__net_run(dec, &f, &y, NULL, 2, NULL, &err) == CCPL_OK, "%s", err.message);
    if (!y.data) goto done;
    ccpl_image_alloc(&out, img.width, img.height, NULL);
    ccpl__chw_to_image(y.data, y.h, y.w, &out);
    double se = 0;
    size_t n = (size_t)img.width * img.height * 3;
    for (size_t i = 0; i < n; i++) {
        double d = (double)out.data[i] - img.data[i];
        se += d * d;
    }
    psnr = 10 * log10(255.0 * 255.0 / (se / n));
done:
    ccpl_image_free(&raw);
    ccpl_image_free(&img);
    ccpl_image_free(&out);
    ccpl__tensor_free(&x);
    ccpl__tensor_free(&f);
    ccpl__tensor_free(&y);
    return psnr;
}

int main(void) {
    const char *shared = tu_env("CCPL_SHARED");
    const char *vgg_path = tu_path(shared, "models/vgg_normalised_conv3_1.pth");
    const char *inv_path = tu_path(shared, "models/feature_invertor_conv3_1.pth");
    FILE *probe = fopen(vgg_path, "rb");
    if (!probe) {
        SKIP("real-weights reconstruction: %s not found (the shared/ folder is absent)", vgg_path);
        return tu_finish();
    }
    fclose(probe);

    ccpl__checkpoint vgg, inv;
    ccpl_error err;
    CHECK(ccpl__checkpoint_load(vgg_path, NULL, NULL, &vgg, &err) == CCPL_OK, "%s", err.message);
    CHECK(ccpl__checkpoint_load(inv_path, NULL, NULL, &inv, &err) == CCPL_OK, "%s", err.message);
    if (tu_failed) return tu_finish();

    ccpl__net enc, dec;
    ccpl__arch_encoder(&enc, CCPL_MODE_PHOTO);
    CHECK(ccpl__net_bind(&enc, &vgg, vgg_path, "", "", &err) == CCPL_OK, "%s", err.message);
    ccpl__arch_decoder(&dec, CCPL_MODE_PHOTO);
    /* key 11: identity 3x3 conv (centre tap 1 on the diagonal, zero bias) */
    static float ident_w[256 * 256 * 9], ident_b[256];
    for (int o = 0; o < 256; o++) ident_w[((size_t)o * 256 + o) * 9 + 4] = 1.0f;
    static const struct { int ccpl_key; const char *inv_key; } map[] = {
        {14, "1"}, {18, "5"}, {21, "8"}, {25, "12"}, {28, "15"}};
    for (int i = 0; i < dec.n_ops; i++) {
        ccpl__conv *cv = &dec.ops[i].conv;
        if (dec.ops[i].kind != CCPL__OP_CONV) continue;
        if (cv->key == 11) {
            cv->w = ident_w, cv->b = ident_b;
            continue;
        }
        for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
            if (map[k].ccpl_key == cv->key)
                CHECK(ccpl__conv_bind(cv, &inv, inv_path, map[k].inv_key, "", &err) == CCPL_OK, "%s",
                      err.message);
    }
    if (tu_failed) return tu_finish();

    static const struct { const char *file; double min_db; } photos[] = {
        {"data/train/content/sk_astronaut.jpg", 25.0},
        {"data/train/content/ocv_baboon.jpg", 24.0}, /* heavy fur texture: the hardest case */
        {"data/train/content/grace_hopper.jpg", 25.0},
    };
    for (size_t i = 0; i < sizeof photos / sizeof photos[0]; i++) {
        double db = reconstruct(tu_path(shared, photos[i].file), &enc, &dec);
        printf("  %-40s %.2f dB PSNR (need >= %.1f)\n", photos[i].file, db, photos[i].min_db);
        CHECK(db >= photos[i].min_db, "%s: %.2f dB", photos[i].file, db);
    }
    ccpl__checkpoint_free(&vgg);
    ccpl__checkpoint_free(&inv);
    return tu_finish();
}
