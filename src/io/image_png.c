/* image_png.c — PNG through libpng, decoded as PIL's Image.convert('RGB').
 *
 * libpng reports errors by calling an error function that must not return;
 * ours records the message and longjmps back. Everything that must be freed
 * after such a jump lives in a struct owned by the caller of the function
 * that calls setjmp, so no automatic variable of that function changes
 * between setjmp and longjmp (C11 7.13.2.1). Warnings are dropped: the
 * library never prints. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/exif.h"
#include "io/image_codecs.h"

typedef struct png_ctx {
    jmp_buf jb;
    FILE *fp;
    int truncated; /* the file ended early */
    int io_errno;  /* a read or write call failed with this errno */
    char msg[192]; /* libpng's message */
    png_structp png;
    png_infop info;
    unsigned char *data; /* (h, w, 3 or 4), handed over as (h, w, 3) on success */
    png_bytep *rows;     /* h row pointers into data */
} png_ctx;

static void on_error(png_structp png, png_const_charp msg) {
    png_ctx *c = (png_ctx *)png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "unknown error");
    longjmp(c->jb, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void on_read(png_structp png, png_bytep data, size_t len) {
    png_ctx *c = (png_ctx *)png_get_io_ptr(png);
    if (fread(data, 1, len, c->fp) != len) {
        if (ferror(c->fp))
            c->io_errno = errno ? errno : EIO;
        else
            c->truncated = 1;
        png_error(png, "read failed");
    }
}

static void on_write(png_structp png, png_bytep data, size_t len) {
    png_ctx *c = (png_ctx *)png_get_io_ptr(png);
    if (fwrite(data, 1, len, c->fp) != len) {
        c->io_errno = errno ? errno : EIO;
        png_error(png, "write failed");
    }
}

static void on_flush(png_structp png) {
    png_ctx *c = (png_ctx *)png_get_io_ptr(png);
    if (fflush(c->fp) != 0) {
        c->io_errno = errno ? errno : EIO;
        png_error(png, "write failed");
    }
}

/* The status and message for a longjmp out of libpng. */
static ccpl_status jump_status(const png_ctx *c, const char *path, int reading, ccpl_error *err) {
    if (c->io_errno)
        return ccpl__fail(err, CCPL_E_IO, "%s: %s", path, strerror(c->io_errno));
    if (c->truncated) return ccpl__fail(err, CCPL_E_FORMAT, "%s: truncated PNG data", path);
    if (strstr(c->msg, "memory") || strstr(c->msg, "Memory"))
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory (libpng: %s)", path, c->msg);
    if (!reading) return ccpl__fail(err, CCPL_E_IO, "%s: PNG encoding failed: %s", path, c->msg);
    return ccpl__fail(err, CCPL_E_FORMAT, "%s: corrupt PNG data (%s)", path, c->msg);
}

static ccpl_status decode(png_ctx *c, const char *path, const unsigned char *bg, ccpl_image *out,
                          int *orientation, ccpl_error *err) {
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    if (!c->png) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    c->info = png_create_info_struct(c->png);
    if (!c->info) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    if (setjmp(c->jb)) return jump_status(c, path, 1, err);

    png_set_read_fn(c->png, c, on_read);
    png_set_sig_bytes(c->png, 8);
    /* Our own limits apply below; libpng's default (1e6) would misreport
     * huge images as corrupt. */
    png_set_user_limits(c->png, 0x7fffffff, 0x7fffffff);
    png_read_info(c->png, c->info);

    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(c->png, c->info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    ccpl_status st = ccpl__image_check_dims(path, w, h, err);
    if (st != CCPL_OK) return st;

    /* Samples as PIL's convert('RGBA') sees them: palette -> RGB, grey ->
     * replicated RGB, low bit depths scaled to 0..255, tRNS -> alpha, 16-bit
     * samples keep their high byte. Alpha is then composited over the
     * background (below), as a viewer shows the picture. */
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(c->png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(c->png);
    if (png_get_valid(c->png, c->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(c->png);
    if (depth == 16) png_set_strip_16(c->png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(c->png);
    png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    const int ch = png_get_channels(c->png, c->info);
    if ((ch != 3 && ch != 4) || png_get_bit_depth(c->png, c->info) != 8 ||
        png_get_rowbytes(c->png, c->info) != (size_t)w * ch)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: unsupported PNG layout", path);

    size_t bytes, nrows;
    if (!ccpl__mul4_ok(&bytes, w, h, (size_t)ch, 1) || !ccpl__mul_ok(&nrows, h, sizeof(png_bytep)))
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: image too large for memory", path);
    c->data = (unsigned char *)malloc(bytes);
    c->rows = (png_bytep *)malloc(nrows);
    if (!c->data || !c->rows) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    for (png_uint_32 y = 0; y < h; y++) c->rows[y] = c->data + (size_t)y * w * ch;
    png_read_image(c->png, c->rows);
    /* Reads through IEND: a file cut after its pixels is still truncated.
     * An eXIf chunk after the pixels lands in info too. */
    png_read_end(c->png, c->info);

    if (ch == 4) {
        /* In place, front to back: pixel i's 3 bytes never pass its 4. */
        const size_t n = (size_t)w * h;
        unsigned char *d = c->data;
        for (size_t i = 0; i < n; i++) {
            const unsigned a = d[4 * i + 3], na = 255 - a;
            for (int k = 0; k < 3; k++)
                d[3 * i + k] = (unsigned char)((d[4 * i + k] * a + bg[k] * na + 127) / 255);
        }
        unsigned char *shrunk = (unsigned char *)realloc(c->data, n * 3);
        if (shrunk) c->data = shrunk;
    }
    png_uint_32 exif_len = 0;
    png_bytep exif = NULL;
    if (png_get_eXIf_1(c->png, c->info, &exif_len, &exif) && exif)
        *orientation = ccpl__exif_orientation(exif, exif_len);

    out->width = (int)w;
    out->height = (int)h;
    out->data = c->data;
    c->data = NULL;
    return CCPL_OK;
}

ccpl_status ccpl__png_read(FILE *fp, const char *path, const unsigned char background[3],
                           ccpl_image *out, int *orientation, ccpl_error *err) {
    png_ctx *c = (png_ctx *)calloc(1, sizeof *c);
    if (!c) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    c->fp = fp;
    *orientation = 1;
    ccpl_status st = decode(c, path, background, out, orientation, err);
    if (c->png) png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
    free(c->rows);
    free(c->data);
    free(c);
    return st;
}

static ccpl_status encode(png_ctx *c, const char *path, const ccpl_image *img, ccpl_error *err) {
    c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    if (!c->png) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    c->info = png_create_info_struct(c->png);
    if (!c->info) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    if (setjmp(c->jb)) return jump_status(c, path, 0, err);

    png_set_write_fn(c->png, c, on_write, on_flush);
    /* zlib's run-length strategy after libpng's per-row filters: on
     * stylized pictures the filtered rows hold few repeats worth the
     * default strategy's match search, and RLE writes smaller files in less
     * than half the time (512x512 result: 44 -> 18 ms CPU, 555 -> 543 KB;
     * photographs: 3-4x faster, 0-8 % larger; docs/PERFORMANCE.md, "Start-up
     * and the whole run"). The pixels are the same either way. */
    png_set_compression_strategy(c->png, Z_RLE);
    png_set_IHDR(c->png, c->info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(c->png, c->info);
    for (int y = 0; y < img->height; y++)
        png_write_row(c->png, img->data + (size_t)y * img->width * 3);
    png_write_end(c->png, c->info);
    return CCPL_OK;
}

ccpl_status ccpl__png_write(FILE *fp, const char *path, const ccpl_image *img, ccpl_error *err) {
    png_ctx *c = (png_ctx *)calloc(1, sizeof *c);
    if (!c) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    c->fp = fp;
    ccpl_status st = encode(c, path, img, err);
    if (c->png) png_destroy_write_struct(&c->png, c->info ? &c->info : NULL);
    free(c);
    return st;
}
