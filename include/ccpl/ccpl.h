/*
 * ccpl.h — public API of libccpl, a C implementation of CCPL versatile style
 * transfer (Wu et al., ECCV 2022).
 *
 *   ccpl_params p = ccpl_default_params();
 *   p.mode = CCPL_MODE_ART;
 *   ccpl_error err;
 *   ccpl_model *m = ccpl_model_load("vgg.pth", "decoder.pth", "sct.pth", &p, &err);
 *   if (!m) { fprintf(stderr, "%s\n", err.message); ... }
 *   ccpl_style *s = ccpl_style_new(m, &style_img, NULL);
 *   ccpl_stylize_params sp = ccpl_default_stylize_params();
 *   ccpl_image out = {0};
 *   if (ccpl_stylize(m, &content_img, &s, NULL, 1, &sp, &out) != CCPL_OK)
 *       fprintf(stderr, "%s\n", ccpl_model_error(m));
 *   ccpl_image_free(&out); ccpl_style_free(s); ccpl_model_free(m);
 *
 * Thread safety: one model, one thread at a time (a model keeps its last
 * error and its scratch state). Separate models are independent and may be
 * used concurrently from different threads, with the same results as the
 * same calls made one at a time (tests/test_threads.c). OpenBLAS's thread
 * count is process-wide: calls on models loaded with equal n_threads run in
 * parallel, and a call whose n_threads differs from the calls in flight waits
 * for them to finish. A call sets the calling thread's OpenMP thread count
 * to the model's n_threads. Results are reproducible for a given n_threads;
 * another n_threads may change them by float rounding. A program that calls
 * OpenBLAS itself should not do so while a ccpl call runs, and a progress
 * callback must not wait for a ccpl call in another thread. Styles belong to
 * the model that made them. The library never prints and never exits: every
 * failure comes back as a ccpl_status with a one-line message.
 */
#ifndef CCPL_CCPL_H
#define CCPL_CCPL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shared library exports exactly the declarations of this header. */
#if defined(CCPL_BUILDING) && defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define CCPL_VERSION_STRING "0.1.0"

typedef enum ccpl_status {
    CCPL_OK = 0,
    CCPL_E_INVALID_ARGUMENT, /* a parameter out of its range */
    CCPL_E_NOMEM,            /* an allocation failed or a size overflowed */
    CCPL_E_IO,               /* a file is missing, unreadable or unwritable */
    CCPL_E_FORMAT,           /* not a checkpoint/image, or a corrupt/truncated one */
    CCPL_E_UNSAFE,           /* a pickle references something outside the allow-list */
    CCPL_E_MISSING_KEY,      /* a checkpoint lacks a tensor the model needs */
    CCPL_E_SHAPE,            /* a tensor has the wrong shape (often: wrong mode) */
    CCPL_E_TOO_SMALL,        /* an image is below the network's minimum size */
    CCPL_E_TOO_LARGE,        /* an image or tensor exceeds a safety limit */
    CCPL_E_CANCELLED         /* a progress callback asked to stop */
} ccpl_status;

/* A short constant English name for a status ("invalid argument", ...). */
const char *ccpl_status_string(ccpl_status status);

/* Out-parameter for calls that have no model to keep the message in. */
typedef struct ccpl_error {
    ccpl_status status;
    char message[512]; /* one line, names the file and the cause */
} ccpl_error;

typedef enum ccpl_mode {
    CCPL_MODE_ART = 0,   /* encoder to relu4_1, 512-channel SCT */
    CCPL_MODE_PHOTO = 1  /* encoder to relu3_1, 256-channel SCT */
} ccpl_mode;

/* How convolutions are computed. Both give the same result up to float
 * rounding (the parity tests hold both to the same tolerances). */
typedef enum ccpl_engine {
    CCPL_ENGINE_FAST = 0, /* Winograd F(4x4,3x3) for the wide 3x3 layers, sgemm elsewhere */
    CCPL_ENGINE_REF = 1   /* every layer im2col + sgemm: the plain reference path */
} ccpl_engine;

/* An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B,
 * row stride 3*width bytes. Images made by the library are freed with
 * ccpl_image_free. */
typedef struct ccpl_image {
    int width;
    int height;
    unsigned char *data; /* (height, width, 3) */
} ccpl_image;

/* Progress: called with done/total work units; return non-zero to cancel. */
typedef int (*ccpl_progress_fn)(int done, int total, void *user_data);

typedef struct ccpl_params {
    ccpl_mode mode;           /* CCPL_MODE_ART */
    int n_threads;            /* 0: all available cores */
    ccpl_engine engine;       /* CCPL_ENGINE_FAST */
    ccpl_progress_fn progress; /* NULL: none; called between layers */
    void *progress_user_data; /* passed to progress */
} ccpl_params;

ccpl_params ccpl_default_params(void);

typedef struct ccpl_model ccpl_model;
typedef struct ccpl_style ccpl_style;

/* Loads the encoder (normalised VGG), decoder and SCT checkpoints
 * (PyTorch zip or legacy format, official key layouts). Returns NULL on
 * failure with err filled (err may be NULL). */
ccpl_model *ccpl_model_load(const char *vgg_path, const char *decoder_path,
                            const char *sct_path, const ccpl_params *params,
                            ccpl_error *err);
void ccpl_model_free(ccpl_model *model);

/* Memory: a model plans its working memory (activations, convolution
 * scratch) for the shapes it is given and keeps it for the next call, so
 * that repeated calls of one size allocate nothing (no page faults, no
 * system time). It holds the working memory of the largest input so far
 * (mostly two buffers of the largest activation, 64 x H x W floats each:
 * 134 MB for a 512x512 content, 1.06 GB for 1920x1080) until this call
 * gives it back; the next call plans it again. Returns the bytes released. */
size_t ccpl_model_release_memory(ccpl_model *model);

/* The message of the last failed call on this model ("" if none). */
const char *ccpl_model_error(const ccpl_model *model);
ccpl_status ccpl_model_status(const ccpl_model *model);
ccpl_mode ccpl_model_mode(const ccpl_model *model);

/* Smallest content/style side the model accepts (SCT's unpadded style
 * convolutions need style features of at least 5x5 (art) or 3x3 (photo)). */
int ccpl_model_min_content_side(const ccpl_model *model);
int ccpl_model_min_style_side(const ccpl_model *model);

/* Encodes a style image once (encoder, snet, covariance, mean) so that it
 * can be applied to many contents. With color_reference non-NULL, the style
 * is first recoloured to that image's colour statistics (CORAL, "preserve
 * colour"). Returns NULL on failure (see ccpl_model_error). */
ccpl_style *ccpl_style_new(ccpl_model *model, const ccpl_image *style,
                           const ccpl_image *color_reference);
void ccpl_style_free(ccpl_style *style);

typedef struct ccpl_stylize_params {
    float alpha;     /* 1.0: blend alpha*SCT(fc,fs) + (1-alpha)*fc, in [0,1] */
    int full_output; /* 0: crop to the content's size; 1: keep the decoder's
                        padded-up size as the reference saves it */
    int guided_radius; /* 0: off; 1..CCPL_GUIDED_MAX_RADIUS: smooth the
                          result with the guided filter (He et al. 2010,
                          colour-guide form), the content as the guide, window
                          (2r+1)x(2r+1) pixels; needs full_output 0 */
    float guided_eps;  /* 1e-2: the filter's regulariser in (0,1], in units of
                          [0,1]^2 colour values: content variations well below
                          sqrt(eps) (0.1 = 25 grey levels) are smoothed over,
                          edges well above it are kept */
} ccpl_stylize_params;

#define CCPL_GUIDED_MAX_RADIUS 512

ccpl_stylize_params ccpl_default_stylize_params(void);

/* Stylizes content with n_styles styles mixed by weights (NULL: equal
 * weights; weights are normalised to sum to 1). out->data is allocated by
 * the library (free with ccpl_image_free); on failure out is left empty. */
ccpl_status ccpl_stylize(ccpl_model *model, const ccpl_image *content,
                         ccpl_style *const *styles, const float *weights,
                         int n_styles, const ccpl_stylize_params *params,
                         ccpl_image *out);

/* ---- spatial control (docs/MASKS.md has the equations) --------------- */

/* A soft region mask: (height, width) floats in [0,1], row-major, any size
 * whose aspect (width/height) is within 5 % of the content image's (the
 * mask covers the whole image). It is resampled to the content feature grid
 * (H', W') by exact area averaging (each feature cell takes the mean of the
 * mask over the part of the mask its cell covers). Borrowed, not copied. */
typedef struct ccpl_mask {
    int width;
    int height;
    const float *data; /* (height, width) */
} ccpl_mask;

/* A label map: one label per pixel, (height, width) bytes, row-major, any
 * size whose aspect is within 5 % of its image's. Labels 0..254 name
 * regions; CCPL_LABEL_NONE marks pixels that belong to none (they use the
 * whole-image statistics). Resampled to a feature grid by centre-nearest:
 * feature row y takes label row floor((2y+1) * height / (2 H')), columns
 * likewise. Borrowed, not copied. */
typedef struct ccpl_labels {
    int width;
    int height;
    const unsigned char *data; /* (height, width) */
} ccpl_labels;

#define CCPL_LABEL_NONE 255
/* A label region with fewer feature positions than this (in the content's
 * relu grid, or in the style's s' grid) uses the whole-image statistics
 * instead of its own: a 32x32 covariance from fewer positions is noise. */
#define CCPL_LABEL_MIN_POSITIONS 64
/* Largest relative difference between a mask's or label map's aspect and
 * its image's: |(w_m/h_m) / (w/h) - 1| <= this. */
#define CCPL_MASK_MAX_ASPECT_DIFF 0.05

/* ccpl_style_new, and also the style's SCT statistics per label of
 * `labels` (the style image's label map; NULL: same as ccpl_style_new):
 * for each label with at least CCPL_LABEL_MIN_POSITIONS positions in the
 * style's s' grid, the mean of the style features over the label and the
 * covariance of snet(fs - that mean) over the label. Computed once; the
 * style can then be used with or without content labels. Errors: those of
 * ccpl_style_new, CCPL_E_INVALID_ARGUMENT for an empty label map or one
 * whose aspect differs from the style image's by more than
 * CCPL_MASK_MAX_ASPECT_DIFF. */
ccpl_style *ccpl_style_new_labels(ccpl_model *model, const ccpl_image *style,
                                  const ccpl_image *color_reference, const ccpl_labels *labels);

/* Spatial control for ccpl_stylize_spatial; zero it (or use
 * ccpl_default_spatial) and set what is wanted. */
typedef struct ccpl_spatial {
    /* NULL, or one mask per style: style i applies where masks[i] is set.
     * At a feature position p with coverage S = sum_i m_i(p):
     *   t(p) = sum_i m_i(p) SCT_i(p) / max(S, 1) + max(0, 1 - S) fc(p)
     * i.e. overlapping masks are normalised, and where masks cover less
     * than 1 in total the content's own features fill the rest. With masks,
     * the weights argument must be NULL. A single all-ones mask gives the
     * unmasked result bit for bit. */
    const ccpl_mask *masks;
    /* NULL, or the content image's label map: each style's SCT is then
     * computed per label (content normalised over the label's positions,
     * the style's statistics of the same label) where both the content's
     * region and the style's have at least CCPL_LABEL_MIN_POSITIONS
     * positions; other positions (labels absent from the style, tiny
     * regions, CCPL_LABEL_NONE) use the whole-image SCT. Every style must
     * have been made by ccpl_style_new_labels with a label map. */
    const ccpl_labels *content_labels;
} ccpl_spatial;

ccpl_spatial ccpl_default_spatial(void);

/* ccpl_stylize with spatial control (spatial NULL or all fields NULL: the
 * same as ccpl_stylize, bit for bit). Alpha blends the masked/labelled
 * result with the content features as usual. Errors: those of
 * ccpl_stylize; CCPL_E_INVALID_ARGUMENT for weights given with masks, an
 * empty mask or label map, mask values outside [0,1] or not finite, an
 * aspect off by more than CCPL_MASK_MAX_ASPECT_DIFF, content labels with a
 * style made without labels. */
ccpl_status ccpl_stylize_spatial(ccpl_model *model, const ccpl_image *content,
                                 ccpl_style *const *styles, const float *weights, int n_styles,
                                 const ccpl_stylize_params *params, const ccpl_spatial *spatial,
                                 ccpl_image *out);

/* ---- images ---------------------------------------------------------- */

/* Allocates a width x height image (contents undefined). */
ccpl_status ccpl_image_alloc(ccpl_image *img, int width, int height, ccpl_error *err);
void ccpl_image_free(ccpl_image *img);

/* Absolute ceilings on images the library makes or reads, whatever the
 * parameters: a side above CCPL_IMAGE_MAX_SIDE or a width*height above
 * CCPL_IMAGE_MAX_PIXELS (268 M pixels: 805 MB as RGB, 3.2 GB as a float
 * tensor) is CCPL_E_TOO_LARGE. */
#define CCPL_IMAGE_MAX_SIDE 65535
#define CCPL_IMAGE_MAX_PIXELS (1LL << 28)

/* Loads a PNG or JPEG file (detected by content, not by name) as a viewer
 * shows it: turned upright by its EXIF Orientation, transparent pixels
 * composited over white. Grey, palette and 16-bit inputs become 8-bit RGB
 * (16-bit samples keep their high byte). Truncated or corrupt files are
 * errors. Same as ccpl_image_load_ex with the default parameters, except
 * that out is left empty on every failure. */
ccpl_status ccpl_image_load(const char *path, ccpl_image *out, ccpl_error *err);

typedef struct ccpl_image_load_params {
    long long max_pixels; /* 0 (default): CCPL_IMAGE_MAX_PIXELS; an image with
                             more pixels (width*height) is refused before its
                             pixel buffer is allocated; values above the
                             ceiling act as the ceiling */
    int ignore_orientation; /* 0 (default): an EXIF Orientation (JPEG APP1 or
                               PNG eXIf; values 2..8) is applied, so the image
                               is upright as viewers show it (a phone's
                               portrait shot stored sideways comes out
                               portrait); 1: the pixels as stored */
    unsigned char background[3]; /* 255,255,255 (white, default): transparent
                                    PNG pixels (alpha channel, grey+alpha, or
                                    tRNS) are composited over this RGB colour,
                                    out = (c*a + bg*(255-a) + 127) / 255 per
                                    8-bit sample, so what is hidden under
                                    transparent pixels never shows */
} ccpl_image_load_params;

/* The defaults above. Start from these and change fields: a zeroed struct
 * would mean a black background. */
ccpl_image_load_params ccpl_default_image_load_params(void);

/* ccpl_image_load with limits (params NULL: the defaults). An image over a
 * limit fails with CCPL_E_TOO_LARGE and, only then, out->width and
 * out->height hold its size (out->data stays NULL; ccpl_image_free is safe)
 * so that a caller can say by how much; on other failures out is empty. */
ccpl_status ccpl_image_load_ex(const char *path, const ccpl_image_load_params *params,
                               ccpl_image *out, ccpl_error *err);

/* Saves as PNG or JPEG, chosen by the extension (.png, .jpg, .jpeg, any
 * case). Written to a temporary name in the same folder and renamed when
 * complete, so a failure never leaves a partial file or truncates an existing
 * one. jpeg_quality in 1..100 (ignored for PNG). */
ccpl_status ccpl_image_save(const char *path, const ccpl_image *img,
                            int jpeg_quality, ccpl_error *err);

typedef struct ccpl_image_save_params {
    int jpeg_quality; /* 95: 1..100 (ignored for PNG) */
    int no_replace;   /* 0: replace an existing file; 1: never replace one:
                         if path exists when the finished file is renamed into
                         place (checked atomically by the rename itself), the
                         call fails with CCPL_E_IO, "PATH: exists (not
                         replaced)", and the existing file is untouched */
} ccpl_image_save_params;

ccpl_image_save_params ccpl_default_image_save_params(void);

/* ccpl_image_save with parameters (params NULL: the defaults). */
ccpl_status ccpl_image_save_ex(const char *path, const ccpl_image *img,
                               const ccpl_image_save_params *params, ccpl_error *err);

/* The reference pre-processing: scales so that the shorter side is `size`
 * (bilinear with antialiasing, as PIL's resize; aspect kept; size 0 copies),
 * then with crop non-zero takes the centre size x size square. */
ccpl_status ccpl_image_resize_shorter(const ccpl_image *in, int size, int crop,
                                      ccpl_image *out, ccpl_error *err);

/* The same with a limit on the result: when the resized (then cropped) image
 * would have more than max_pixels pixels (0: CCPL_IMAGE_MAX_PIXELS, the
 * ceiling always applies) it fails with CCPL_E_TOO_LARGE before allocating
 * anything. Applies to size 0 (a copy) as well, and with crop non-zero to the
 * intermediate resized image too. */
ccpl_status ccpl_image_resize_shorter_ex(const ccpl_image *in, int size, int crop,
                                         long long max_pixels, ccpl_image *out,
                                         ccpl_error *err);

#if defined(CCPL_BUILDING) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* CCPL_CCPL_H */
