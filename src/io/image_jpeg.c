/* image_jpeg.c — JPEG through libjpeg(-turbo), decoded as PIL does.
 *
 * libjpeg's error_exit must not return: ours formats the message and
 * longjmps back. Its warnings (emit_message with level -1) are failures too:
 * on a truncated file libjpeg warns "premature end of data", inserts an EOI
 * and fills the rest with grey, and on corrupt entropy data it warns and
 * resynchronises; either way the picture is not the file's, so it is refused.
 * Trace messages (level >= 0) and output_message are silenced.
 *
 * As in the PNG reader, what must be freed after a jump lives in a
 * heap-allocated context, not in automatics of the function calling setjmp. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs FILE and size_t first. */
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/exif.h"
#include "io/image_codecs.h"

typedef struct jpeg_ctx {
    struct jpeg_error_mgr mgr; /* first: libjpeg hands us &mgr as cinfo->err */
    jmp_buf jb;
    int code;                   /* libjpeg's message code at the failure */
    char msg[JMSG_LENGTH_MAX];  /* its text */
    struct jpeg_decompress_struct d;
    struct jpeg_compress_struct e;
    int d_made, e_made;
    unsigned char *data; /* (h, w, 3), handed over on success */
    unsigned char *row;  /* one decoded row for grey and CMYK */
} jpeg_ctx;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
    c->code = c->mgr.msg_code;
    c->mgr.format_message(cinfo, c->msg);
    longjmp(c->jb, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return; /* trace output */
    on_error_exit(cinfo);   /* a warning: the data is damaged */
}

static void on_output_message(j_common_ptr cinfo) {
    (void)cinfo;
}

static void init_errors(jpeg_ctx *c) {
    jpeg_std_error(&c->mgr);
    c->mgr.error_exit = on_error_exit;
    c->mgr.emit_message = on_emit_message;
    c->mgr.output_message = on_output_message;
}

static ccpl_status read_jump_status(const jpeg_ctx *c, const char *path, ccpl_error *err) {
    switch (c->code) {
    case JWRN_JPEG_EOF:
    case JERR_INPUT_EOF:
    case JERR_INPUT_EMPTY:
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: truncated JPEG data", path);
    case JERR_OUT_OF_MEMORY:
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory decoding JPEG", path);
    case JERR_IMAGE_TOO_BIG:
        return ccpl__fail(err, CCPL_E_TOO_LARGE, "%s: image exceeds libjpeg's limit (%s)", path,
                          c->msg);
    case JERR_FILE_READ:
        return ccpl__fail(err, CCPL_E_IO, "%s: read error", path);
    default:
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: corrupt JPEG data (%s)", path, c->msg);
    }
}

/* PIL reads 4-component JPEGs as "CMYK;I" (Adobe's inverted samples, always
 * assumed) and converts CMYK -> RGB as R = nk - nk*C/255 with nk = 255 - K in
 * its rounded integer form MULDIV255(a, b) = ((a*b+128) >> 8 + a*b+128) >> 8. */
static unsigned char cmyk_channel(unsigned char raw_c, unsigned char raw_k) {
    int C = 255 - raw_c, nk = raw_k; /* nk = 255 - (255 - raw_k) */
    int tmp = C * nk + 128;
    int v = nk - (((tmp >> 8) + tmp) >> 8);
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static ccpl_status decode(jpeg_ctx *c, FILE *fp, const char *path, ccpl_image *out,
                          int *orientation, ccpl_error *err) {
    init_errors(c);
    c->d.err = &c->mgr;
    if (setjmp(c->jb)) return read_jump_status(c, path, err);
    jpeg_create_decompress(&c->d);
    c->d_made = 1;
    jpeg_stdio_src(&c->d, fp);
    /* Keep APP1 markers: EXIF's Orientation is in one (64 KB at most). */
    jpeg_save_markers(&c->d, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&c->d, TRUE);
    for (jpeg_saved_marker_ptr m = c->d.marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1) continue;
        int o = ccpl__exif_app1_orientation(m->data, m->data_length);
        if (o != 1) {
            *orientation = o;
            break;
        }
    }

    ccpl_status st = ccpl__image_check_dims(path, c->d.image_width, c->d.image_height, err);
    if (st != CCPL_OK) return st;
    int ncomp = c->d.num_components;
    switch (ncomp) {
    case 1: c->d.out_color_space = JCS_GRAYSCALE; break;
    case 3: c->d.out_color_space = JCS_RGB; break;      /* from YCbCr or RGB */
    case 4: c->d.out_color_space = JCS_CMYK; break;     /* from CMYK or YCCK */
    default:
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: unsupported JPEG with %d components", path,
                          ncomp);
    }
    jpeg_start_decompress(&c->d);
    int w = (int)c->d.output_width, h = (int)c->d.output_height;
    if ((long long)c->d.output_width != (long long)c->d.image_width ||
        (long long)c->d.output_height != (long long)c->d.image_height ||
        c->d.output_components != ncomp)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: unexpected JPEG output layout", path);

    size_t bytes, row_bytes;
    if (!ccpl__mul4_ok(&bytes, (size_t)w, (size_t)h, 3, 1) ||
        !ccpl__mul_ok(&row_bytes, (size_t)w, (size_t)ncomp))
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: image too large for memory", path);
    c->data = (unsigned char *)malloc(bytes);
    if (!c->data) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    if (ncomp != 3) {
        c->row = (unsigned char *)malloc(row_bytes);
        if (!c->row) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    }
    while (c->d.output_scanline < c->d.output_height) {
        unsigned char *dst = c->data + (size_t)c->d.output_scanline * w * 3;
        JSAMPROW rowp = ncomp == 3 ? dst : c->row;
        if (jpeg_read_scanlines(&c->d, &rowp, 1) != 1)
            return ccpl__fail(err, CCPL_E_FORMAT, "%s: truncated JPEG data", path);
        if (ncomp == 1) {
            for (int x = 0; x < w; x++) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = c->row[x];
        } else if (ncomp == 4) {
            for (int x = 0; x < w; x++) {
                const unsigned char *p = c->row + 4 * x;
                dst[3 * x + 0] = cmyk_channel(p[0], p[3]);
                dst[3 * x + 1] = cmyk_channel(p[1], p[3]);
                dst[3 * x + 2] = cmyk_channel(p[2], p[3]);
            }
        }
    }
    /* Reads to EOI, so damage after the last scanline still counts. */
    jpeg_finish_decompress(&c->d);

    out->width = w;
    out->height = h;
    out->data = c->data;
    c->data = NULL;
    return CCPL_OK;
}

ccpl_status ccpl__jpeg_read(FILE *fp, const char *path, ccpl_image *out, int *orientation,
                            ccpl_error *err) {
    jpeg_ctx *c = (jpeg_ctx *)calloc(1, sizeof *c);
    if (!c) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    *orientation = 1;
    ccpl_status st = decode(c, fp, path, out, orientation, err);
    if (c->d_made) jpeg_destroy_decompress(&c->d);
    free(c->row);
    free(c->data);
    free(c);
    return st;
}

static ccpl_status encode(jpeg_ctx *c, FILE *fp, const char *path, const ccpl_image *img,
                          int quality, ccpl_error *err) {
    init_errors(c);
    c->e.err = &c->mgr;
    if (setjmp(c->jb)) {
        if (c->code == JERR_FILE_WRITE)
            return ccpl__fail(err, CCPL_E_IO, "%s: write failed", path);
        if (c->code == JERR_OUT_OF_MEMORY)
            return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory encoding JPEG", path);
        return ccpl__fail(err, CCPL_E_IO, "%s: JPEG encoding failed: %s", path, c->msg);
    }
    jpeg_create_compress(&c->e);
    c->e_made = 1;
    jpeg_stdio_dest(&c->e, fp);
    c->e.image_width = (JDIMENSION)img->width;
    c->e.image_height = (JDIMENSION)img->height;
    c->e.input_components = 3;
    c->e.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c->e); /* baseline, 4:2:0 chroma subsampling */
    jpeg_set_quality(&c->e, quality, TRUE);
    jpeg_start_compress(&c->e, TRUE);
    while (c->e.next_scanline < c->e.image_height) {
        /* libjpeg's row type is not const; it only reads the samples. */
        JSAMPROW rowp = (JSAMPROW)(img->data + (size_t)c->e.next_scanline * img->width * 3);
        jpeg_write_scanlines(&c->e, &rowp, 1);
    }
    jpeg_finish_compress(&c->e);
    return CCPL_OK;
}

ccpl_status ccpl__jpeg_write(FILE *fp, const char *path, const ccpl_image *img, int quality,
                             ccpl_error *err) {
    jpeg_ctx *c = (jpeg_ctx *)calloc(1, sizeof *c);
    if (!c) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    ccpl_status st = encode(c, fp, path, img, quality, err);
    if (c->e_made) jpeg_destroy_compress(&c->e);
    free(c);
    return st;
}
