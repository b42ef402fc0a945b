/* relu.h — rectified linear unit, separate from the convolution's fused one
 * (the backward of a fused conv+ReLU is ccpl__relu_backward, then
 * ccpl__conv2d_backward). */
#ifndef CCPL_OPS_RELU_H
#define CCPL_OPS_RELU_H

#include <stddef.h>

/* out (n) = max(0, inp (n)); out may equal inp (in place). */
void ccpl__relu_forward(float *out, const float *inp, size_t n);

/* dinp (n) += dout (n) where out (n) > 0 (PyTorch's convention: no gradient
 * at 0). out is the forward's output, so it works after an in-place ReLU.
 * dinp must not alias dout. */
void ccpl__relu_backward(float *dinp, const float *dout, const float *out, size_t n);

#endif
