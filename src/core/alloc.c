#include "core/alloc.h"

#include <stdlib.h>

float *ccpl__alloc_floats(size_t n) {
    size_t bytes;
    if (!ccpl__mul_ok(&bytes, n, sizeof(float))) return NULL;
    return (float *)malloc(bytes ? bytes : 1);
}
