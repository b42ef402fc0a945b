/* alloc.h — allocation with overflow-checked sizes. */
#ifndef CCPL_CORE_ALLOC_H
#define CCPL_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* *out = a * b; returns 0 if the product overflows size_t. */
static inline int ccpl__mul_ok(size_t *out, size_t a, size_t b) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* *out = a * b * c * d; returns 0 on overflow. */
static inline int ccpl__mul4_ok(size_t *out, size_t a, size_t b, size_t c, size_t d) {
    size_t t;
    return ccpl__mul_ok(&t, a, b) && ccpl__mul_ok(&t, t, c) && ccpl__mul_ok(out, t, d);
}

/* malloc of n floats (NULL on overflow or failure; n == 0 gives a 1-byte block). */
float *ccpl__alloc_floats(size_t n);

#endif
