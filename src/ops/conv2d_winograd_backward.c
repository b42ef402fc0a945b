/* conv2d_winograd_backward.c — the input gradient of a 3x3, stride-1,
 * pad-1 convolution by Winograd F(2x2,3x3) (issue 14).
 *
 * For y = conv(pad(x), w), the gradient of the padded input is the "full"
 * correlation of dy with the kernel flipped in space and transposed in
 * channels: dxp[c] = sum_o corr(zeropad2(dy[o]), w[o][c] rotated 180°), of
 * size (H+2, W+2). That is a same-size, zero-padded 3x3 convolution of dy
 * zero-padded by one more pixel, from OC to C channels, with the weights
 * w'[c][o] = rot180(w[o][c]): ccpl__winograd_forward computes it. The
 * padding's adjoint then folds dxp into dx: a zero pad drops its border, a
 * reflection pad adds border row/column p to the pixel it mirrored (padded
 * index 0 -> 1, H+1 -> H-2). Same arithmetic as ccpl__conv2d_backward's
 * input gradient up to float rounding. */
#include "ops/conv2d_winograd_backward.h"

#include <stdlib.h>
#include <string.h>

#include "ops/conv2d_winograd.h"
#include "ops/conv2d_winograd4.h"

size_t ccpl__winograd_bwd_weight_floats(int OC, int C) {
    return ccpl__winograd_weight_floats(C, OC);
}

size_t ccpl__winograd4_bwd_weight_floats(int OC, int C) {
    return ccpl__winograd4_weight_floats(C, OC);
}

/* The rotated, transposed kernel w' (C, OC, 3, 3), transformed for F(2x2)
 * or F(4x4). */
static int bwd_weight_transform(float *Ut, const float *w, int OC, int C, int f4) {
    float *wt = malloc(sizeof(float) * 9 * (size_t)OC * C);
    if (!wt) return -1;
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++) {
            const float *src = w + ((size_t)o * C + c) * 9;
            float *dst = wt + ((size_t)c * OC + o) * 9;
            for (int k = 0; k < 9; k++) dst[k] = src[8 - k]; /* rot180 */
        }
    if (f4) ccpl__winograd4_weight_transform(Ut, wt, C, OC);
    else ccpl__winograd_weight_transform(Ut, wt, C, OC);
    free(wt);
    return 0;
}

int ccpl__winograd_bwd_weight_transform(float *Ut, const float *w, int OC, int C) {
    return bwd_weight_transform(Ut, w, OC, C, 0);
}

int ccpl__winograd4_bwd_weight_transform(float *Ut, const float *w, int OC, int C) {
    return bwd_weight_transform(Ut, w, OC, C, 1);
}

size_t ccpl__winograd_backward_data_scratch_floats(int C, int OC, int H, int W, int n_threads) {
    const size_t P = (size_t)(H + 2) * (W + 2);
    return (size_t)OC * P + (size_t)C * P + ccpl__winograd_scratch_floats(OC, C, H + 2, W + 2, n_threads);
}

size_t ccpl__winograd4_backward_data_scratch_floats(int C, int OC, int H, int W, int n_threads) {
    const size_t P = (size_t)(H + 2) * (W + 2);
    return (size_t)OC * P + (size_t)C * P + ccpl__winograd4_scratch_floats(OC, C, H + 2, W + 2, n_threads);
}

/* Source index of padded coordinate p in [0, n+1], -1 for a zero pad. */
static inline int src_of(int p, int n, ccpl__pad_mode mode) {
    if (p >= 1 && p <= n) return p - 1;
    if (mode == CCPL__PAD_ZERO) return -1;
    return p == 0 ? 1 : n - 2;
}

static void backward_data(float *dinp, const float *dout, const float *Ut, int C, int H, int W,
                          int OC, ccpl__pad_mode pad_mode, float *scratch, int n_threads, int f4) {
    const int Hp = H + 2, Wp = W + 2;
    const size_t P = (size_t)Hp * Wp;
    float *gp = scratch, *dp = gp + (size_t)OC * P, *ws = dp + (size_t)C * P;
    for (int o = 0; o < OC; o++) { /* dy inside a one-pixel zero frame */
        float *g = gp + (size_t)o * P;
        memset(g, 0, sizeof(float) * (size_t)Wp);
        for (int y = 0; y < H; y++) {
            float *row = g + (size_t)(y + 1) * Wp;
            row[0] = row[Wp - 1] = 0.0f;
            memcpy(row + 1, dout + ((size_t)o * H + y) * W, sizeof(float) * (size_t)W);
        }
        memset(g + (size_t)(Hp - 1) * Wp, 0, sizeof(float) * (size_t)Wp);
    }
    if (f4) ccpl__winograd4_forward(dp, gp, Ut, NULL, OC, Hp, Wp, C, CCPL__PAD_ZERO, 0, ws, n_threads);
    else ccpl__winograd_forward(dp, gp, Ut, NULL, OC, Hp, Wp, C, CCPL__PAD_ZERO, 0, ws, n_threads);
    for (int c = 0; c < C; c++) { /* the padding's adjoint */
        const float *d = dp + (size_t)c * P;
        float *dx = dinp + (size_t)c * H * W;
        for (int y = 1; y <= H; y++) /* the interior maps one to one */
            for (int x = 1; x <= W; x++) dx[(size_t)(y - 1) * W + (x - 1)] += d[(size_t)y * Wp + x];
        for (int y = 0; y < Hp; y++) /* then the border (corners fold twice) */
            for (int x = 0; x < Wp; x += (y == 0 || y == Hp - 1) ? 1 : Wp - 1) {
                const int sy = src_of(y, H, pad_mode), sx = src_of(x, W, pad_mode);
                if (sy >= 0 && sx >= 0) dx[(size_t)sy * W + sx] += d[(size_t)y * Wp + x];
            }
    }
}

void ccpl__winograd_backward_data(float *dinp, const float *dout, const float *Ut, int C, int H,
                                  int W, int OC, ccpl__pad_mode pad_mode, float *scratch,
                                  int n_threads) {
    backward_data(dinp, dout, Ut, C, H, W, OC, pad_mode, scratch, n_threads, 0);
}

void ccpl__winograd4_backward_data(float *dinp, const float *dout, const float *Ut, int C, int H,
                                   int W, int OC, ccpl__pad_mode pad_mode, float *scratch,
                                   int n_threads) {
    backward_data(dinp, dout, Ut, C, H, W, OC, pad_mode, scratch, n_threads, 1);
}
