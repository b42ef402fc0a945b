/* image_codecs.h — PNG (libpng) and JPEG (libjpeg) readers and writers
 * behind ccpl_image_load / ccpl_image_save. Every message starts with `path`. */
#ifndef CCPL_IO_IMAGE_CODECS_H
#define CCPL_IO_IMAGE_CODECS_H

#include <stdio.h>

#include "ccpl/ccpl.h"

/* Largest accepted side and pixel count whatever the caller asks (the latter
 * keeps 3*W*H bytes and the float tensors made from them well inside memory
 * limits): the public ceilings of ccpl.h. */
#define CCPL__IMAGE_MAX_SIDE CCPL_IMAGE_MAX_SIDE
#define CCPL__IMAGE_MAX_PIXELS CCPL_IMAGE_MAX_PIXELS

/* CCPL_OK, CCPL_E_FORMAT (a side is 0 or negative) or CCPL_E_TOO_LARGE (a
 * side over CCPL__IMAGE_MAX_SIDE, or more pixels than max_pixels; 0 or
 * anything above CCPL__IMAGE_MAX_PIXELS means CCPL__IMAGE_MAX_PIXELS). */
ccpl_status ccpl__image_check_dims_max(const char *path, long long w, long long h,
                                       long long max_pixels, ccpl_error *err);

/* The decoders' check, called once the header is read and before any pixel
 * buffer exists: ccpl__image_check_dims_max with the limit of the
 * ccpl_image_load_ex call running on this thread (the ceiling outside one). */
ccpl_status ccpl__image_check_dims(const char *path, long long w, long long h, ccpl_error *err);

/* Decoders: fp is positioned after the 8-byte signature (PNG) or at the
 * start of the file (JPEG). On success *out holds a new image, as stored
 * (not yet turned upright), and *orientation the EXIF Orientation found
 * (1..8; 1 when none). The PNG reader composites transparent pixels (alpha,
 * grey+alpha, tRNS) over background (RGB): out = (c*a + bg*(255-a) + 127) /
 * 255 on 8-bit samples (16-bit ones keep their high byte first). On failure
 * *out is untouched and nothing is leaked. */
ccpl_status ccpl__png_read(FILE *fp, const char *path, const unsigned char background[3],
                           ccpl_image *out, int *orientation, ccpl_error *err);
ccpl_status ccpl__jpeg_read(FILE *fp, const char *path, ccpl_image *out, int *orientation,
                            ccpl_error *err);

/* Turns a decoded image upright by an EXIF Orientation value (1..8; others
 * leave it as is): image_orient.c. On failure the image is unchanged. */
ccpl_status ccpl__image_orient(ccpl_image *img, int orientation, ccpl_error *err);

/* The decode shared by files and memory buffers: kind 1 PNG (fp after the
 * signature), 2 JPEG (fp at the start); then the orientation of params
 * (NULL: the defaults). */
ccpl_status ccpl__image_decode(FILE *fp, int kind, const char *path,
                               const ccpl_image_load_params *params, ccpl_image *out,
                               ccpl_error *err);

/* Encoders into an open stream (the atomic temporary file). They do not
 * close fp. */
ccpl_status ccpl__png_write(FILE *fp, const char *path, const ccpl_image *img, ccpl_error *err);
ccpl_status ccpl__jpeg_write(FILE *fp, const char *path, const ccpl_image *img, int quality,
                             ccpl_error *err);

#endif
