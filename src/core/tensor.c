#include "core/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

ccpl_status ccpl__tensor_shape_numel(size_t *numel, char *shape, size_t shape_n, int n, int c,
                                     int h, int w, ccpl_error *err) {
    if (n == 1) snprintf(shape, shape_n, "%d x %d x %d", c, h, w);
    else snprintf(shape, shape_n, "%d x %d x %d x %d", n, c, h, w);
    if (n <= 0 || c <= 0 || h <= 0 || w <= 0 ||
        !ccpl__mul4_ok(numel, (size_t)n, (size_t)c, (size_t)h, (size_t)w))
        return ccpl__fail(err, CCPL_E_NOMEM, "activation of %s is too large", shape);
    return CCPL_OK;
}

ccpl_status ccpl__tensor_alloc(ccpl__tensor *t, int n, int c, int h, int w, ccpl_error *err) {
    size_t numel = 0;
    char shape[64];
    memset(t, 0, sizeof *t);
    ccpl_status st = ccpl__tensor_shape_numel(&numel, shape, sizeof shape, n, c, h, w, err);
    if (st != CCPL_OK) return st;
    if (!(t->data = ccpl__alloc_floats(numel)))
        return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for a %s activation", shape);
    t->n = n, t->c = c, t->h = h, t->w = w;
    return CCPL_OK;
}

ccpl_status ccpl__tensor_zeros(ccpl__tensor *t, int n, int c, int h, int w, ccpl_error *err) {
    ccpl_status st = ccpl__tensor_alloc(t, n, c, h, w, err);
    if (st == CCPL_OK) memset(t->data, 0, sizeof(float) * ccpl__tensor_numel(t));
    return st;
}

void ccpl__tensor_free(ccpl__tensor *t) {
    if (!t) return;
    free(t->data);
    memset(t, 0, sizeof *t);
}
