#include "ops/warp.h"

#include <math.h>
#include <stddef.h>

#include "io/flo.h"

void ccpl__warp_backward(float *out, unsigned char *valid, const float *src, const float *flow,
                         int C, int H, int W) {
    const size_t plane = (size_t)H * W;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const size_t i = (size_t)y * W + x;
            const float u = flow[2 * i], v = flow[2 * i + 1];
            /* the sample point, in double so that x + u is exact for float flows */
            const double sx = x + (double)u, sy = y + (double)v;
            int ok = isfinite(u) && isfinite(v) && fabsf(u) <= CCPL__FLOW_UNKNOWN &&
                     fabsf(v) <= CCPL__FLOW_UNKNOWN && sx >= 0.0 && sy >= 0.0 &&
                     sx <= (double)(W - 1) && sy <= (double)(H - 1);
            valid[i] = (unsigned char)ok;
            if (!ok) {
                for (int c = 0; c < C; c++) out[c * plane + i] = 0.0f;
                continue;
            }
            int x0 = (int)floor(sx), y0 = (int)floor(sy);
            if (x0 > W - 2) x0 = W - 2 < 0 ? 0 : W - 2; /* sx == W-1: weight 1 on x0+1 */
            if (y0 > H - 2) y0 = H - 2 < 0 ? 0 : H - 2;
            const double fx = sx - x0, fy = sy - y0;
            const int x1 = x0 + 1 < W ? x0 + 1 : x0, y1 = y0 + 1 < H ? y0 + 1 : y0;
            const double w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy,
                         w11 = fx * fy;
            const size_t i00 = (size_t)y0 * W + x0, i01 = (size_t)y0 * W + x1,
                         i10 = (size_t)y1 * W + x0, i11 = (size_t)y1 * W + x1;
            for (int c = 0; c < C; c++) {
                const float *s = src + c * plane;
                out[c * plane + i] = (float)(w00 * s[i00] + w01 * s[i01] + w10 * s[i10] + w11 * s[i11]);
            }
        }
}
