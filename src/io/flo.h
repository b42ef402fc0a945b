/* flo.h — strict reader of Middlebury .flo optical-flow files.
 *
 * Layout (little-endian): float32 tag 202021.25 ("PIEH"), int32 width,
 * int32 height, then width*height (u, v) float32 pairs, row-major; u is the
 * horizontal displacement in pixels from frame t to frame t+1, v the vertical
 * one. The file must be exactly 12 + 8*width*height bytes. Values are kept as
 * stored; Middlebury marks unknown flow with |u| or |v| > 1e9 (see
 * CCPL__FLOW_UNKNOWN), which ccpl__warp_backward flags invalid. */
#ifndef CCPL_IO_FLO_H
#define CCPL_IO_FLO_H

#include <stddef.h>

#include "ccpl/ccpl.h"

#define CCPL__FLO_TAG 202021.25f
#define CCPL__FLO_MAX_SIDE 16384            /* as images (CCPL__IMAGE_MAX_SIDE) */
#define CCPL__FLO_MAX_PIXELS (1L << 27)     /* 134 M pixels, 1 GiB of flow */
#define CCPL__FLOW_UNKNOWN 1e9f             /* Middlebury UNKNOWN_FLOW_THRESH */

typedef struct ccpl__flow {
    int w, h;
    float *uv; /* (h, w, 2): uv[2*(y*w+x)] = u, uv[2*(y*w+x)+1] = v */
} ccpl__flow;

/* Reads path into *out (allocated; free with ccpl__flow_free). On failure
 * *out is empty and err holds one line starting with the path. */
ccpl_status ccpl__flo_load(const char *path, ccpl__flow *out, ccpl_error *err);

/* Same from memory; `name` stands for the path in messages. */
ccpl_status ccpl__flo_load_memory(const void *data, size_t size, const char *name,
                                  ccpl__flow *out, ccpl_error *err);

void ccpl__flow_free(ccpl__flow *f);

#endif
