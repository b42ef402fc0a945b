#include "ops/pool.h"

#include <stddef.h>

void ccpl__maxpool2_forward(float *out, const float *inp, int N, int C, int H, int W,
                            int n_threads) {
    const int OH = ccpl__pool_out(H), OW = ccpl__pool_out(W);
    const int planes = N * C;
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *x = inp + (size_t)p * H * W;
        float *y = out + (size_t)p * OH * OW;
        for (int oy = 0; oy < OH; oy++) {
            const int y0 = 2 * oy, y1 = (2 * oy + 1 < H) ? 2 * oy + 1 : 2 * oy;
            for (int ox = 0; ox < OW; ox++) {
                const int x0 = 2 * ox, x1 = (2 * ox + 1 < W) ? 2 * ox + 1 : 2 * ox;
                float m = x[(size_t)y0 * W + x0];
                float v = x[(size_t)y0 * W + x1];
                if (v > m) m = v;
                v = x[(size_t)y1 * W + x0];
                if (v > m) m = v;
                v = x[(size_t)y1 * W + x1];
                if (v > m) m = v;
                y[(size_t)oy * OW + ox] = m;
            }
        }
    }
}

void ccpl__maxpool2_backward(float *dinp, const float *dout, const float *inp, int N, int C, int H,
                             int W, int n_threads) {
    const int OH = ccpl__pool_out(H), OW = ccpl__pool_out(W);
    const int planes = N * C;
    /* windows do not overlap: planes are independent */
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *x = inp + (size_t)p * H * W;
        const float *dy = dout + (size_t)p * OH * OW;
        float *dx = dinp + (size_t)p * H * W;
        for (int oy = 0; oy < OH; oy++) {
            const int y0 = 2 * oy, y1 = (2 * oy + 1 < H) ? 2 * oy + 1 : 2 * oy;
            for (int ox = 0; ox < OW; ox++) {
                const int x0 = 2 * ox, x1 = (2 * ox + 1 < W) ? 2 * ox + 1 : 2 * ox;
                /* window in row-major order; strict > keeps the first maximum */
                const size_t idx[4] = {(size_t)y0 * W + x0, (size_t)y0 * W + x1,
                                       (size_t)y1 * W + x0, (size_t)y1 * W + x1};
                size_t best = idx[0];
                for (int k = 1; k < 4; k++)
                    if (x[idx[k]] > x[best]) best = idx[k];
                dx[best] += dy[(size_t)oy * OW + ox];
            }
        }
    }
}
