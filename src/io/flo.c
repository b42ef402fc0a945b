/* flo.c — Middlebury .flo reader (see flo.h). */
#include "io/flo.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float le_f32(const unsigned char *p) {
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void ccpl__flow_free(ccpl__flow *f) {
    if (!f) return;
    free(f->uv);
    memset(f, 0, sizeof *f);
}

ccpl_status ccpl__flo_load_memory(const void *data, size_t size, const char *name,
                                  ccpl__flow *out, ccpl_error *err) {
    const unsigned char *p = (const unsigned char *)data;
    memset(out, 0, sizeof *out);
    if (size < 12)
        return ccpl__fail(err, CCPL_E_FORMAT,
                          "%s: not a .flo file (%zu bytes, the header alone is 12)", name, size);
    const float tag = le_f32(p);
    if (tag != CCPL__FLO_TAG)
        return ccpl__fail(err, CCPL_E_FORMAT,
                          "%s: not a .flo file (tag %.9g, expected 202021.25 'PIEH')", name,
                          (double)tag);
    const long long w = (int32_t)le32(p + 4), h = (int32_t)le32(p + 8);
    if (w <= 0 || h <= 0)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: flow of %lldx%lld has no pixels", name, w, h);
    if (w > CCPL__FLO_MAX_SIDE || h > CCPL__FLO_MAX_SIDE || w * h > CCPL__FLO_MAX_PIXELS)
        return ccpl__fail(err, CCPL_E_TOO_LARGE,
                          "%s: flow of %lldx%lld exceeds the limit (%d per side, %ld pixels)",
                          name, w, h, CCPL__FLO_MAX_SIDE, CCPL__FLO_MAX_PIXELS);
    size_t n, bytes; /* n floats; w*h <= 2^27 so neither overflows, checked anyway */
    if (!ccpl__mul4_ok(&n, (size_t)w, (size_t)h, 2, 1) || !ccpl__mul_ok(&bytes, n, 4) ||
        bytes > SIZE_MAX - 12)
        return ccpl__fail(err, CCPL_E_TOO_LARGE, "%s: flow of %lldx%lld is too large", name, w, h);
    if (size != 12 + bytes)
        return ccpl__fail(err, CCPL_E_FORMAT,
                          "%s: %s .flo file: %lldx%lld flow needs %zu bytes, the file has %zu",
                          name, size < 12 + bytes ? "truncated" : "overlong", w, h, 12 + bytes,
                          size);
    float *uv = ccpl__alloc_floats(n);
    if (!uv) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory for a %lldx%lld flow", name, w, h);
    for (size_t i = 0; i < n; i++) uv[i] = le_f32(p + 12 + 4 * i);
    out->w = (int)w;
    out->h = (int)h;
    out->uv = uv;
    ccpl__clear(err);
    return CCPL_OK;
}

ccpl_status ccpl__flo_load(const char *path, ccpl__flow *out, ccpl_error *err) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return ccpl__fail(err, CCPL_E_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t size = 0, cap = 0;
    ccpl_status st = CCPL_OK;
    /* Read in growing chunks: the header is validated against the actual
     * length, so a huge declared size never triggers a huge allocation. */
    for (;;) {
        if (size == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            const size_t limit = 12 + (size_t)CCPL__FLO_MAX_PIXELS * 8 + 1;
            if (cap >= limit) {
                st = ccpl__fail(err, CCPL_E_TOO_LARGE, "%s: file exceeds the .flo size limit", path);
                break;
            }
            unsigned char *nb = (unsigned char *)realloc(buf, ncap);
            if (!nb) {
                st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory reading the file", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0) {
            if (ferror(f)) st = ccpl__fail(err, CCPL_E_IO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (st == CCPL_OK) st = ccpl__flo_load_memory(buf, size, path, out, err);
    free(buf);
    return st;
}
