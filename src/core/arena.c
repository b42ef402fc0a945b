/* arena.c — see arena.h. */
#include "core/arena.h"

#include <stdlib.h>

#include "core/alloc.h"

float *ccpl__arena_get(ccpl__arena *a, ccpl__slot slot, size_t n) {
    if (n == 0) n = 1;
    if (a->cap[slot] >= n) return a->buf[slot];
    free(a->buf[slot]); /* contents need not survive: no realloc copy */
    a->buf[slot] = ccpl__alloc_floats(n);
    a->cap[slot] = a->buf[slot] ? n : 0;
    a->allocs++;
    return a->buf[slot];
}

void ccpl__arena_release(ccpl__arena *a) {
    for (int i = 0; i < CCPL__N_SLOTS; i++) {
        free(a->buf[i]);
        a->buf[i] = NULL;
        a->cap[i] = 0;
    }
}

size_t ccpl__arena_bytes(const ccpl__arena *a) {
    size_t n = 0;
    for (int i = 0; i < CCPL__N_SLOTS; i++) n += a->cap[i] * sizeof(float);
    return n;
}
