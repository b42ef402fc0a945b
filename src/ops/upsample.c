#include "ops/upsample.h"

#include <stddef.h>

void ccpl__upsample2_forward(float *out, const float *inp, int N, int C, int H, int W,
                             int n_threads) {
    const int OW = 2 * W;
    const int planes = N * C;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *x = inp + (size_t)p * H * W;
        float *y = out + (size_t)p * 4 * H * W;
        for (int iy = 0; iy < H; iy++) {
            float *r0 = y + (size_t)(2 * iy) * OW;
            const float *s = x + (size_t)iy * W;
            for (int ix = 0; ix < W; ix++) r0[2 * ix] = r0[2 * ix + 1] = s[ix];
            float *r1 = r0 + OW;
            for (int ox = 0; ox < OW; ox++) r1[ox] = r0[ox];
        }
    }
}

void ccpl__upsample2_backward(float *dinp, const float *dout, int N, int C, int H, int W,
                              int n_threads) {
    const int OW = 2 * W;
    const int planes = N * C;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *dy = dout + (size_t)p * 4 * H * W;
        float *dx = dinp + (size_t)p * H * W;
        for (int iy = 0; iy < H; iy++) {
            const float *r0 = dy + (size_t)(2 * iy) * OW, *r1 = r0 + OW;
            float *d = dx + (size_t)iy * W;
            for (int ix = 0; ix < W; ix++)
                d[ix] += (r0[2 * ix] + r0[2 * ix + 1]) + (r1[2 * ix] + r1[2 * ix + 1]);
        }
    }
}
