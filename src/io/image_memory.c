/* image_memory.c — ccpl_image_load's format detection over a memory buffer,
 * handed to the FILE-based decoders through fmemopen (POSIX 2008). */
#include "io/image_memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "io/image_codecs.h"

ccpl_status ccpl__image_load_memory(const void *data, size_t size, const char *name,
                                    ccpl_image *out, ccpl_error *err) {
    if (!out)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "ccpl__image_load_memory: out is NULL");
    out->width = out->height = 0;
    out->data = NULL;
    if (!name) name = "<memory>";
    if (size == 0) return ccpl__fail(err, CCPL_E_FORMAT, "%s: empty file", name);
    if (!data) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: NULL data", name);

    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const unsigned char *d = (const unsigned char *)data;
    int is_png = size >= 8 && memcmp(d, png_sig, 8) == 0;
    int is_jpeg = size >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff;
    if (!is_png && !is_jpeg) {
        if (size >= 4 && memcmp(d, png_sig, 4) == 0)
            return ccpl__fail(err, CCPL_E_FORMAT, "%s: truncated PNG signature", name);
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: not a PNG or JPEG image", name);
    }
    /* fmemopen takes a void *; the stream is opened for reading only. */
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp) return ccpl__fail(err, CCPL_E_NOMEM, "%s: %s", name, strerror(errno));
    ccpl_status st;
    if (is_png && fseek(fp, 8, SEEK_SET) != 0)
        st = ccpl__fail(err, CCPL_E_IO, "%s: %s", name, strerror(errno));
    else
        st = ccpl__image_decode(fp, is_png ? 1 : 2, name, NULL, out, err);
    fclose(fp);
    if (st == CCPL_OK) ccpl__clear(err);
    return st;
}
