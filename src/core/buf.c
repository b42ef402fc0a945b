/* buf.c — see buf.h. */
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

float *ccpl__buf_get(ccpl__buf *b, size_t n) {
    if (n == 0) n = 1;
    if (b->cap >= n) return b->data;
    free(b->data); /* contents need not survive: no realloc copy */
    b->data = ccpl__alloc_floats(n);
    b->cap = b->data ? n : 0;
    b->allocs++;
    return b->data;
}

ccpl_status ccpl__buf_tensor(ccpl__buf *b, ccpl__tensor *t, int n, int c, int h, int w, int zero,
                             ccpl_error *err) {
    size_t numel = 0;
    char shape[64];
    memset(t, 0, sizeof *t);
    ccpl_status st = ccpl__tensor_shape_numel(&numel, shape, sizeof shape, n, c, h, w, err);
    if (st != CCPL_OK) return st;
    float *d = ccpl__buf_get(b, numel);
    if (!d) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for a %s activation", shape);
    if (zero) memset(d, 0, sizeof(float) * numel);
    *t = ccpl__tensor_view(d, n, c, h, w);
    return CCPL_OK;
}

void ccpl__buf_release(ccpl__buf *b) {
    free(b->data);
    b->data = NULL;
    b->cap = 0;
}
