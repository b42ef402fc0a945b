/* tensor.h — the one array type the interpreter, the ops' callers and the
 * training step pass around: a dense float32 tensor in (N, C, H, W) layout
 * (row-major, W fastest), with its shape. A tensor either owns its data
 * (ccpl__tensor_alloc / ccpl__tensor_free) or is a view into memory someone
 * else owns (an arena slot, a batch); the holder knows which. */
#ifndef CCPL_CORE_TENSOR_H
#define CCPL_CORE_TENSOR_H

#include <stddef.h>

#include "ccpl/ccpl.h"

typedef struct ccpl__tensor {
    int n, c, h, w; /* batch, channels, height, width (all >= 1 when data is set) */
    float *data;    /* n*c*h*w floats */
} ccpl__tensor;

/* n*c*h*w (0 for an empty tensor). Shapes are bounded when allocated. */
static inline size_t ccpl__tensor_numel(const ccpl__tensor *t) {
    return (size_t)t->n * t->c * t->h * t->w;
}
/* One sample's floats: c*h*w. */
static inline size_t ccpl__tensor_sample_numel(const ccpl__tensor *t) {
    return (size_t)t->c * t->h * t->w;
}
/* A view of sample i of t (shape (1, C, H, W)), sharing t's data. */
static inline ccpl__tensor ccpl__tensor_sample(const ccpl__tensor *t, int i) {
    ccpl__tensor s = {1, t->c, t->h, t->w, t->data + (size_t)i * ccpl__tensor_sample_numel(t)};
    return s;
}
/* A view of data with this shape. */
static inline ccpl__tensor ccpl__tensor_view(float *data, int n, int c, int h, int w) {
    ccpl__tensor s = {n, c, h, w, data};
    return s;
}

/* numel = n*c*h*w, overflow-checked, and shape = the shape as text for
 * messages ("C x H x W" when n is 1): CCPL_E_NOMEM naming the shape when a
 * side is not positive or the count overflows. */
ccpl_status ccpl__tensor_shape_numel(size_t *numel, char *shape, size_t shape_n, int n, int c,
                                     int h, int w, ccpl_error *err);
/* Allocates an (n, c, h, w) tensor (64-byte aligned, uninitialised,
 * overflow-checked): CCPL_E_NOMEM with a message naming the shape when it is
 * too large or memory runs out. */
ccpl_status ccpl__tensor_alloc(ccpl__tensor *t, int n, int c, int h, int w, ccpl_error *err);
/* As ccpl__tensor_alloc, zero-filled. */
ccpl_status ccpl__tensor_zeros(ccpl__tensor *t, int n, int c, int h, int w, ccpl_error *err);
/* Frees an owned tensor and clears it (NULL and empty tensors are fine). */
void ccpl__tensor_free(ccpl__tensor *t);

#endif
