/* image_memory.h — decoding a PNG or JPEG held in memory (fuzzing, tests). */
#ifndef CCPL_IO_IMAGE_MEMORY_H
#define CCPL_IO_IMAGE_MEMORY_H

#include <stddef.h>

#include "ccpl/ccpl.h"

/* As ccpl_image_load, from data[0..size): the format is taken from the
 * content, through the same decoders. `name` stands for the path in
 * messages. On failure *out is empty. */
ccpl_status ccpl__image_load_memory(const void *data, size_t size, const char *name,
                                    ccpl_image *out, ccpl_error *err);

#endif
