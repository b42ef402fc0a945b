/* buf.h — one growable float buffer, kept between calls: the unit of planned
 * memory where the arena's fixed slots do not fit (a training trace's
 * activations, a training step's kept tensors; train/workspace.h).
 *
 * Asked for n floats, a buffer reallocates only when it holds fewer, so a
 * repeated shape touches no new memory: no malloc, no page faults, whatever
 * the program's malloc settings. `allocs` counts its (re)allocations, which
 * lets a test prove that a second call of the same shape allocated nothing.
 * A zeroed ccpl__buf is empty and ready. */
#ifndef CCPL_CORE_BUF_H
#define CCPL_CORE_BUF_H

#include <stddef.h>

#include "core/error.h"
#include "core/tensor.h"

typedef struct ccpl__buf {
    float *data;
    size_t cap;    /* floats */
    size_t allocs; /* (re)allocations so far */
} ccpl__buf;

/* Room for at least n floats (n == 0 is treated as 1); the contents are
 * undefined after a reallocation. NULL when memory runs out (b is then
 * empty). */
float *ccpl__buf_get(ccpl__buf *b, size_t n);

/* *t = an (n, c, h, w) view into b, grown as needed (shape overflow-checked
 * as ccpl__tensor_alloc does, with the same messages); zeroed when zero is
 * set. */
ccpl_status ccpl__buf_tensor(ccpl__buf *b, ccpl__tensor *t, int n, int c, int h, int w, int zero,
                             ccpl_error *err);

/* Frees the buffer (its allocation count is kept). */
void ccpl__buf_release(ccpl__buf *b);

#endif
