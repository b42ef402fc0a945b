/* image_encode_memory.c — the file encoders of image_png.c / image_jpeg.c
 * writing into an open_memstream (POSIX 2008) buffer instead of a file, so a
 * server can answer with the same bytes ccpl_image_save would have written. */
#include "io/image_encode_memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/image_codecs.h"

ccpl_status ccpl__image_encode_memory(const ccpl_image *img, ccpl__image_format format,
                                      int jpeg_quality, unsigned char **data, size_t *size,
                                      ccpl_error *err) {
    if (data) *data = NULL;
    if (size) *size = 0;
    if (!img || !data || !size)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "ccpl__image_encode_memory: NULL argument");
    if (format != CCPL__IMAGE_PNG && format != CCPL__IMAGE_JPEG)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "encode: unknown image format %d", (int)format);
    if (format == CCPL__IMAGE_JPEG && (jpeg_quality < 1 || jpeg_quality > 100))
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "encode: JPEG quality %d is outside 1..100",
                          jpeg_quality);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp) return ccpl__fail(err, CCPL_E_NOMEM, "encode: %s", strerror(errno));
    const char *name = format == CCPL__IMAGE_PNG ? "<png>" : "<jpeg>";
    ccpl_status st = format == CCPL__IMAGE_PNG ? ccpl__png_write(fp, name, img, err)
                                               : ccpl__jpeg_write(fp, name, img, jpeg_quality, err);
    /* The buffer and its length are final only after fclose. */
    int close_failed = fclose(fp) != 0;
    if (st == CCPL_OK && close_failed) st = ccpl__fail(err, CCPL_E_NOMEM, "encode: %s", strerror(errno));
    if (st != CCPL_OK) {
        free(buf);
        return st;
    }
    *data = (unsigned char *)buf;
    *size = len;
    ccpl__clear(err);
    return CCPL_OK;
}
