/* image.c — the image half of the public API: allocation, loading (format by
 * content), saving (format by extension, through an atomic temporary file),
 * the reference pre-processing resize, and the float tensor conversions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/image_codecs.h"
#include "io/image_internal.h"
#include "ops/resize.h"

/* The limits of the ccpl_image_load_ex call running on this thread, read by
 * the decoders through ccpl__image_check_dims (their interface predates the
 * limit). Set for the duration of one call only; the size of an image
 * refused for its size is kept so that the call can report it. */
static _Thread_local struct {
    long long max_pixels; /* 0 outside a call: the ceiling */
    long long w, h;       /* of the last image refused as too large */
    int refused;
} load_limits;

static long long effective_max_pixels(long long max_pixels) {
    return max_pixels <= 0 || max_pixels > CCPL__IMAGE_MAX_PIXELS ? CCPL__IMAGE_MAX_PIXELS
                                                                  : max_pixels;
}

ccpl_status ccpl__image_check_dims_max(const char *path, long long w, long long h,
                                       long long max_pixels, ccpl_error *err) {
    if (w <= 0 || h <= 0)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: image has no pixels (%lldx%lld)", path, w, h);
    long long limit = effective_max_pixels(max_pixels);
    if (w > CCPL__IMAGE_MAX_SIDE || h > CCPL__IMAGE_MAX_SIDE)
        return ccpl__fail(err, CCPL_E_TOO_LARGE,
                          "%s: image of %lldx%lld exceeds the limit (%d per side, %lld pixels)",
                          path, w, h, CCPL__IMAGE_MAX_SIDE, limit);
    if (w * h > limit) /* both <= 65535: no overflow */
        return ccpl__fail(err, CCPL_E_TOO_LARGE,
                          "%s: image of %lldx%lld (%lld pixels) exceeds the limit of %lld pixels",
                          path, w, h, w * h, limit);
    return CCPL_OK;
}

ccpl_status ccpl__image_check_dims(const char *path, long long w, long long h, ccpl_error *err) {
    ccpl_status st = ccpl__image_check_dims_max(path, w, h, load_limits.max_pixels, err);
    if (st == CCPL_E_TOO_LARGE) {
        load_limits.w = w;
        load_limits.h = h;
        load_limits.refused = 1;
    }
    return st;
}

ccpl_status ccpl_image_alloc(ccpl_image *img, int width, int height, ccpl_error *err) {
    if (!img) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "ccpl_image_alloc: img is NULL");
    img->width = img->height = 0;
    img->data = NULL;
    if (width <= 0 || height <= 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "image size %dx%d is not positive",
                          width, height);
    ccpl_status st = ccpl__image_check_dims_max("image", width, height, 0, err);
    if (st != CCPL_OK) return st;
    size_t bytes;
    if (!ccpl__mul4_ok(&bytes, (size_t)width, (size_t)height, 3, 1))
        return ccpl__fail(err, CCPL_E_NOMEM, "image of %dx%d is too large for memory", width,
                          height);
    img->data = (unsigned char *)malloc(bytes);
    if (!img->data)
        return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for a %dx%d image", width, height);
    img->width = width;
    img->height = height;
    ccpl__clear(err);
    return CCPL_OK;
}

void ccpl_image_free(ccpl_image *img) {
    if (!img) return;
    free(img->data);
    img->data = NULL;
    img->width = img->height = 0;
}

/* A valid image: positive sizes within the limits and pixel data. */
static ccpl_status check_image(const ccpl_image *img, const char *what, ccpl_error *err) {
    if (!img || !img->data)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: no image data", what);
    if (img->width <= 0 || img->height <= 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: image size %dx%d is not positive",
                          what, img->width, img->height);
    return ccpl__image_check_dims_max(what, img->width, img->height, 0, err);
}

ccpl_image_load_params ccpl_default_image_load_params(void) {
    ccpl_image_load_params p;
    memset(&p, 0, sizeof p);
    p.max_pixels = 0; /* the ceiling */
    p.ignore_orientation = 0;
    p.background[0] = p.background[1] = p.background[2] = 255; /* white */
    return p;
}

ccpl_status ccpl__image_decode(FILE *fp, int kind, const char *path,
                               const ccpl_image_load_params *params, ccpl_image *out,
                               ccpl_error *err) {
    ccpl_image_load_params p = params ? *params : ccpl_default_image_load_params();
    int orientation = 1;
    ccpl_status st = kind == 1 ? ccpl__png_read(fp, path, p.background, out, &orientation, err)
                               : ccpl__jpeg_read(fp, path, out, &orientation, err);
    if (st != CCPL_OK || p.ignore_orientation || orientation == 1) return st;
    st = ccpl__image_orient(out, orientation, err);
    if (st != CCPL_OK) ccpl_image_free(out);
    return st;
}

ccpl_status ccpl_image_load(const char *path, ccpl_image *out, ccpl_error *err) {
    ccpl_status st = ccpl_image_load_ex(path, NULL, out, err);
    if (st != CCPL_OK && out) out->width = out->height = 0; /* empty on any failure, as always */
    return st;
}

ccpl_status ccpl_image_load_ex(const char *path, const ccpl_image_load_params *params,
                               ccpl_image *out, ccpl_error *err) {
    if (!out) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "ccpl_image_load: out is NULL");
    out->width = out->height = 0;
    out->data = NULL;
    if (!path || !*path) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "empty image path");
    ccpl_image_load_params p = params ? *params : ccpl_default_image_load_params();
    if (p.max_pixels < 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: max_pixels %lld is negative", path,
                          p.max_pixels);

    FILE *fp = fopen(path, "rb");
    if (!fp) return ccpl__fail(err, CCPL_E_IO, "%s: %s", path, strerror(errno));
    unsigned char magic[8];
    errno = 0;
    size_t n = fread(magic, 1, sizeof magic, fp);
    ccpl_status st;
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    load_limits.max_pixels = p.max_pixels;
    load_limits.refused = 0;
    if (n < sizeof magic && ferror(fp)) {
        st = ccpl__fail(err, CCPL_E_IO, "%s: %s", path, strerror(errno ? errno : EIO));
    } else if (n == 0) {
        st = ccpl__fail(err, CCPL_E_FORMAT, "%s: empty file", path);
    } else if (n == 8 && memcmp(magic, png_sig, 8) == 0) {
        st = ccpl__image_decode(fp, 1, path, &p, out, err);
    } else if (n >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
        if (fseek(fp, 0, SEEK_SET) != 0)
            st = ccpl__fail(err, CCPL_E_IO, "%s: %s", path, strerror(errno));
        else
            st = ccpl__image_decode(fp, 2, path, &p, out, err);
    } else if (n >= 4 && memcmp(magic, png_sig, 4) == 0) {
        st = ccpl__fail(err, CCPL_E_FORMAT, "%s: truncated PNG signature", path);
    } else {
        st = ccpl__fail(err, CCPL_E_FORMAT, "%s: not a PNG or JPEG image", path);
    }
    fclose(fp);
    if (st == CCPL_E_TOO_LARGE && load_limits.refused && out->data == NULL) {
        /* Tell the caller the size it refused (both fit an int: libpng and
         * libjpeg keep sides below 2^31). */
        out->width = load_limits.w > 0x7fffffff ? 0x7fffffff : (int)load_limits.w;
        out->height = load_limits.h > 0x7fffffff ? 0x7fffffff : (int)load_limits.h;
    }
    load_limits.max_pixels = 0;
    load_limits.refused = 0;
    if (st == CCPL_OK) ccpl__clear(err);
    return st;
}

/* 1 for .png, 2 for .jpg/.jpeg (any case), 0 otherwise. */
static int format_from_name(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot) return 0;
    if (strcasecmp(dot, ".png") == 0) return 1;
    if (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0) return 2;
    return 0;
}

ccpl_image_save_params ccpl_default_image_save_params(void) {
    ccpl_image_save_params p;
    memset(&p, 0, sizeof p);
    p.jpeg_quality = 95;
    p.no_replace = 0;
    return p;
}

ccpl_status ccpl_image_save(const char *path, const ccpl_image *img, int jpeg_quality,
                            ccpl_error *err) {
    ccpl_image_save_params p = ccpl_default_image_save_params();
    p.jpeg_quality = jpeg_quality;
    return ccpl_image_save_ex(path, img, &p, err);
}

ccpl_status ccpl_image_save_ex(const char *path, const ccpl_image *img,
                               const ccpl_image_save_params *params, ccpl_error *err) {
    ccpl_image_save_params p = params ? *params : ccpl_default_image_save_params();
    if (!path || !*path) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "empty output path");
    int fmt = format_from_name(path);
    if (!fmt)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "%s: unknown image type (use .png, .jpg or .jpeg)", path);
    if (fmt == 2 && (p.jpeg_quality < 1 || p.jpeg_quality > 100))
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "%s: JPEG quality %d is outside 1..100", path, p.jpeg_quality);
    ccpl_status st = check_image(img, path, err);
    if (st != CCPL_OK) return st;

    ccpl__atomic_file af;
    st = ccpl__atomic_open(&af, path, err);
    if (st != CCPL_OK) return st;
    af.no_replace = p.no_replace != 0;
    st = fmt == 1 ? ccpl__png_write(af.fp, path, img, err)
                  : ccpl__jpeg_write(af.fp, path, img, p.jpeg_quality, err);
    if (st != CCPL_OK) {
        ccpl__atomic_abort(&af);
        return st;
    }
    st = ccpl__atomic_commit(&af, err);
    if (st == CCPL_OK) ccpl__clear(err);
    return st;
}

ccpl_status ccpl_image_resize_shorter(const ccpl_image *in, int size, int crop,
                                      ccpl_image *out, ccpl_error *err) {
    return ccpl_image_resize_shorter_ex(in, size, crop, 0, out, err);
}

ccpl_status ccpl_image_resize_shorter_ex(const ccpl_image *in, int size, int crop,
                                         long long max_pixels, ccpl_image *out,
                                         ccpl_error *err) {
    if (!out)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "ccpl_image_resize_shorter: out is NULL");
    ccpl_status st = check_image(in, "resize input", err);
    if (st != CCPL_OK) return st;
    if (size < 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "resize: size %d is negative", size);
    if (size == 0 && crop)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "resize: cropping needs a size (size is 0, which keeps the image)");
    if (max_pixels < 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "resize: max_pixels %lld is negative",
                          max_pixels);

    /* torchvision.transforms.Resize(size): the shorter side becomes size. */
    long long rw = in->width, rh = in->height;
    if (size > 0) ccpl__resize_shorter_dims(in->width, in->height, size, &rw, &rh);
    /* Both the resized image and (smaller) the crop are allocated: the
     * resized one bounds the memory. */
    st = ccpl__image_check_dims_max("resize output", rw, rh, max_pixels, err);
    if (st != CCPL_OK) return st;

    ccpl_image resized = {0, 0, NULL};
    st = ccpl_image_alloc(&resized, (int)rw, (int)rh, err);
    if (st != CCPL_OK) return st;
    if (rw == in->width && rh == in->height) {
        /* torchvision/PIL return a copy: no resampling at all. */
        memcpy(resized.data, in->data, (size_t)rw * (size_t)rh * 3);
    } else if (ccpl__resample_bilinear(resized.data, (int)rw, (int)rh, in->data, in->width,
                                       in->height) != CCPL_OK) {
        ccpl_image_free(&resized);
        return ccpl__fail(err, CCPL_E_NOMEM, "resize: out of memory (%dx%d -> %lldx%lld)",
                          in->width, in->height, rw, rh);
    }

    if (crop) {
        /* transforms.CenterCrop(size) */
        ccpl_image cropped = {0, 0, NULL};
        st = ccpl_image_alloc(&cropped, size, size, err);
        if (st != CCPL_OK) {
            ccpl_image_free(&resized);
            return st;
        }
        ccpl__center_crop(cropped.data, size, size, resized.data, resized.width, resized.height);
        ccpl_image_free(&resized);
        resized = cropped;
    }
    if (out == in) ccpl_image_free(out); /* in place: the input is replaced */
    *out = resized;
    ccpl__clear(err);
    return CCPL_OK;
}

void ccpl__image_to_chw(const ccpl_image *img, float *out) {
    size_t plane = (size_t)img->width * (size_t)img->height;
    const unsigned char *p = img->data;
    for (size_t i = 0; i < plane; i++) {
        /* ToTensor: float32 division, correctly rounded. */
        out[i] = (float)p[3 * i + 0] / 255.0f;
        out[plane + i] = (float)p[3 * i + 1] / 255.0f;
        out[2 * plane + i] = (float)p[3 * i + 2] / 255.0f;
    }
}

/* save_image's x.mul(255).add_(0.5).clamp_(0, 255).to(uint8) in float32:
 * two separately rounded float operations (kept as separate statements so
 * no compiler fuses them into an FMA), then truncation. NaN gives 0. */
static inline unsigned char quantise(float x) {
    float t = x * 255.0f;
    t = t + 0.5f;
    if (!(t >= 0.0f)) return 0; /* negative or NaN */
    if (t > 255.0f) t = 255.0f;
    return (unsigned char)t;
}

void ccpl__chw_to_image(const float *in, int srcH, int srcW, ccpl_image *img) {
    size_t plane = (size_t)srcH * (size_t)srcW;
    for (int y = 0; y < img->height; y++) {
        const float *r = in + (size_t)y * srcW;
        unsigned char *dst = img->data + (size_t)y * img->width * 3;
        for (int x = 0; x < img->width; x++) {
            dst[3 * x + 0] = quantise(r[x]);
            dst[3 * x + 1] = quantise(r[plane + x]);
            dst[3 * x + 2] = quantise(r[2 * plane + x]);
        }
    }
}
