/* test_winograd — the fast engine's 3x3 kernels (ops/conv2d_winograd, and
 * ops/conv2d_direct for few outputs) against the reference im2col
 * convolution on odd and even sides, both paddings, ReLU, several bands, 1
 * and 2 threads. Tolerance: relative 2e-6 of the largest output (float
 * rounding of two different summation orders). */
#include <stdint.h>

#include "ops/conv2d.h"
#include "ops/conv2d_direct.h"
#include "ops/conv2d_winograd.h"
#include "ops/conv2d_winograd_backward.h"
#include "test_util.h"

static uint32_t rng = 12345;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void one_kernel(int direct, int C, int OC, int H, int W, ccpl__pad_mode mode, int relu,
                       int threads) {
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(OC * sizeof *b);
    float *ref = malloc(ny * sizeof *ref), *got = malloc(ny * sizeof *got);
    float *U = malloc(ccpl__winograd_weight_floats(OC, C) * sizeof *U);
    float *s1 = malloc((ccpl__conv2d_scratch_floats(C, H, W, 3, 1) + 1) * sizeof *s1);
    float *s2 = malloc((direct ? ccpl__direct_scratch_floats(OC, W, threads)
                               : ccpl__winograd_scratch_floats(C, OC, H, W, threads)) *
                       sizeof *s2);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (int i = 0; i < OC; i++) b[i] = frand() * 0.1f;
    ccpl__conv2d_forward(ref, x, w, b, 1, C, H, W, OC, 3, 1, mode, relu, s1, threads);
    ccpl__winograd_weight_transform(U, w, OC, C);
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    if (direct)
        ccpl__direct_forward(got, x, w, b, C, H, W, OC, mode, relu, s2, threads);
    else
        ccpl__winograd_forward(got, x, U, b, C, H, W, OC, mode, relu, s2, threads);
    double maxref = 0, maxdiff = 0;
    int finite = 1;
    for (size_t i = 0; i < ny; i++) {
        if (!isfinite(got[i])) finite = 0;
        double d = fabs((double)got[i] - ref[i]);
        if (d > maxdiff) maxdiff = d;
        if (fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
    }
    const double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
    CHECK(finite && rel < 2e-6, "%s C=%d OC=%d %dx%d %s relu=%d threads=%d: every output written %d, "
          "max|diff|/max|ref| = %.3g", direct ? "direct" : "winograd", C, OC, W, H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero",
          relu, threads, finite, rel);
    printf("%-8s C=%-3d OC=%-3d %4dx%-4d %-7s relu=%d threads=%d  rel %.2e\n",
           direct ? "direct" : "winograd", C, OC, W, H,
           mode == CCPL__PAD_REFLECT ? "reflect" : "zero", relu, threads, rel);
    free(x), free(w), free(b), free(ref), free(got), free(U), free(s1), free(s2);
}

/* The input gradient by Winograd against ccpl__conv2d_backward's (both
 * accumulate into a non-zero start). */
static void one_backward(int C, int OC, int H, int W, ccpl__pad_mode mode, int threads) {
    const size_t nx = (size_t)C * H * W, nw = (size_t)OC * C * 9, ny = (size_t)OC * H * W;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *dy = malloc(ny * sizeof *dy);
    float *ref = malloc(nx * sizeof *ref), *got = malloc(nx * sizeof *got);
    float *Ut = malloc(ccpl__winograd_bwd_weight_floats(OC, C) * sizeof *Ut);
    float *s1 = malloc((ccpl__conv2d_backward_scratch_floats(C, H, W, 3, 1) + 1) * sizeof *s1);
    float *s2 = malloc(ccpl__winograd_backward_data_scratch_floats(C, OC, H, W, threads) * sizeof *s2);
    for (size_t i = 0; i < nx; i++) x[i] = frand();
    for (size_t i = 0; i < nw; i++) w[i] = frand() * 0.2f;
    for (size_t i = 0; i < ny; i++) dy[i] = frand();
    for (size_t i = 0; i < nx; i++) ref[i] = got[i] = 0.5f * frand();
    ccpl__conv2d_backward(ref, NULL, NULL, dy, x, w, 1, C, H, W, OC, 3, 1, mode, s1, threads);
    CHECK(ccpl__winograd_bwd_weight_transform(Ut, w, OC, C) == 0, "transform");
    ccpl__winograd_backward_data(got, dy, Ut, C, H, W, OC, mode, s2, threads);
    double maxref = 0, maxdiff = 0;
    for (size_t i = 0; i < nx; i++) {
        double d = fabs((double)got[i] - ref[i]);
        if (!(d <= maxdiff)) maxdiff = d; /* NaN propagates */
        if (fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
    }
    const double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
    CHECK(rel < 2e-6, "backward C=%d OC=%d %dx%d %s threads=%d: max|diff|/max|ref| = %.3g", C, OC, W,
          H, mode == CCPL__PAD_REFLECT ? "reflect" : "zero", threads, rel);
    printf("bwd-data C=%-3d OC=%-3d %4dx%-4d %-7s threads=%d  rel %.2e\n", C, OC, W, H,
           mode == CCPL__PAD_REFLECT ? "reflect" : "zero", threads, rel);
    free(x), free(w), free(dy), free(ref), free(got), free(Ut), free(s1), free(s2);
}

static void one(int C, int OC, int H, int W, ccpl__pad_mode mode, int relu, int threads) {
    one_kernel(0, C, OC, H, W, mode, relu, threads);
}

int main(void) {
    CHECK(ccpl__winograd_suits(64, 64, 3, 1) && !ccpl__winograd_suits(3, 64, 3, 1) &&
              !ccpl__winograd_suits(64, 64, 1, 0),
          "which layers take the fast path");
    const int sides[][2] = {{2, 2}, {2, 3}, {3, 2}, {5, 7}, {8, 8}, {17, 10}, {33, 64}};
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        for (int m = 0; m < 2; m++)
            one(16, 24, sides[i][0], sides[i][1], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, m, 1 + m);
    one(32, 16, 31, 45, CCPL__PAD_REFLECT, 1, 2);
    /* 420x380 with 16 -> 16 channels spans two bands of tile rows */
    one(16, 16, 420, 380, CCPL__PAD_REFLECT, 1, 2);
    one(16, 16, 421, 381, CCPL__PAD_REFLECT, 0, 1);
    CHECK(ccpl__direct_suits(64, 3, 3, 1) && !ccpl__direct_suits(64, 16, 3, 1),
          "which layers take the direct kernel");
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        for (int m = 0; m < 2; m++)
            one_kernel(1, 16, 3, sides[i][0], sides[i][1], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, m,
                       1 + m);
    one_kernel(1, 64, 3, 97, 130, CCPL__PAD_REFLECT, 0, 2);
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        for (int m = 0; m < 2; m++)
            one_backward(16, 24, sides[i][0], sides[i][1], m ? CCPL__PAD_REFLECT : CCPL__PAD_ZERO, 1 + m);
    one_backward(24, 16, 31, 45, CCPL__PAD_REFLECT, 2);
    one_kernel(1, 32, 1, 31, 45, CCPL__PAD_REFLECT, 1, 1);
    return tu_finish();
}
