/* image_encode_memory.h — encoding an image into a memory buffer (PNG or
 * JPEG), byte for byte what ccpl_image_save writes to a file. */
#ifndef CCPL_IO_IMAGE_ENCODE_MEMORY_H
#define CCPL_IO_IMAGE_ENCODE_MEMORY_H

#include <stddef.h>

#include "ccpl/ccpl.h"

typedef enum ccpl__image_format {
    CCPL__IMAGE_PNG = 1,
    CCPL__IMAGE_JPEG = 2
} ccpl__image_format;

/* Encodes img as format (jpeg_quality 1..100, ignored for PNG) into a new
 * buffer: on success *data (free with free()) and *size hold the file's
 * bytes; on failure *data is NULL, *size 0 and err says why
 * (CCPL_E_INVALID_ARGUMENT for a bad image or quality, CCPL_E_NOMEM). */
ccpl_status ccpl__image_encode_memory(const ccpl_image *img, ccpl__image_format format,
                                      int jpeg_quality, unsigned char **data, size_t *size,
                                      ccpl_error *err);

#endif
