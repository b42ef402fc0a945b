/* Forward ops against direct, obviously-correct loops (in double), on odd
 * sizes: convolution (reflect-padded 3x3, unpadded 3x3, 1x1, and a size
 * large enough to need several im2col blocks), ceil-mode max-pool,
 * nearest upsampling, mean/std and the SCT covariance products. */
#include <stdint.h>

#include "core/alloc.h"
#include "ops/conv2d.h"
#include "ops/covariance.h"
#include "ops/pool.h"
#include "ops/stats.h"
#include "ops/upsample.h"
#include "test_util.h"

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* xorshift64, uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}
static float *rand_buf(size_t n) {
    float *p = ccpl__alloc_floats(n);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

static int reflect(int p, int n) { return p < 0 ? -p : p >= n ? 2 * n - 2 - p : p; }

static void conv_case(int C, int H, int W, int OC, int K, int pad, ccpl__pad_mode mode, int relu) {
    const int OH = ccpl__conv_out(H, K, pad), OW = ccpl__conv_out(W, K, pad);
    float *x = rand_buf((size_t)C * H * W), *w = rand_buf((size_t)OC * C * K * K), *b = rand_buf(OC);
    float *y = ccpl__alloc_floats((size_t)OC * OH * OW);
    float *ref = ccpl__alloc_floats((size_t)OC * OH * OW);
    float *scratch = ccpl__alloc_floats(ccpl__conv2d_scratch_floats(C, H, W, K, pad) + 1);
    ccpl__conv2d_forward(y, x, w, b, 1, C, H, W, OC, K, pad, mode, relu, scratch, 2);
    for (int o = 0; o < OC; o++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                double s = b[o];
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < K; i++)
                        for (int j = 0; j < K; j++) {
                            int iy = oy - pad + i, ix = ox - pad + j;
                            if (mode == CCPL__PAD_REFLECT) iy = reflect(iy, H), ix = reflect(ix, W);
                            else if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            s += (double)w[((o * C + c) * K + i) * K + j] * x[((size_t)c * H + iy) * W + ix];
                        }
                if (relu && s < 0) s = 0;
                ref[((size_t)o * OH + oy) * OW + ox] = (float)s;
            }
    double e = tu_rel_err(y, ref, (size_t)OC * OH * OW);
    printf("  conv C=%d %dx%d OC=%d K=%d pad=%d %s relu=%d: rel err %.2e\n", C, H, W, OC, K, pad,
           mode == CCPL__PAD_REFLECT ? "reflect" : "zero", relu, e);
    CHECK(e < 1e-5, "conv rel err %.3e", e);
    free(x), free(w), free(b), free(y), free(ref), free(scratch);
}

static void pool_case(int C, int H, int W) {
    const int OH = ccpl__pool_out(H), OW = ccpl__pool_out(W);
    float *x = rand_buf((size_t)C * H * W), *y = ccpl__alloc_floats((size_t)C * OH * OW);
    ccpl__maxpool2_forward(y, x, 1, C, H, W, 2);
    int bad = 0;
    for (int c = 0; c < C; c++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float m = -1e30f;
                for (int i = 2 * oy; i < 2 * oy + 2 && i < H; i++)
                    for (int j = 2 * ox; j < 2 * ox + 2 && j < W; j++)
                        if (x[((size_t)c * H + i) * W + j] > m) m = x[((size_t)c * H + i) * W + j];
                bad += y[((size_t)c * OH + oy) * OW + ox] != m;
            }
    CHECK(OH == (H + 1) / 2 && OW == (W + 1) / 2 && bad == 0, "pool %dx%d: %d wrong", H, W, bad);
    free(x), free(y);
}

static void upsample_case(int C, int H, int W) {
    float *x = rand_buf((size_t)C * H * W), *y = ccpl__alloc_floats((size_t)C * 4 * H * W);
    ccpl__upsample2_forward(y, x, 1, C, H, W, 2);
    int bad = 0;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < 2 * H; i++)
            for (int j = 0; j < 2 * W; j++)
                bad += y[((size_t)c * 2 * H + i) * 2 * W + j] != x[((size_t)c * H + i / 2) * W + j / 2];
    CHECK(bad == 0, "upsample %dx%d: %d wrong", H, W, bad);
    free(x), free(y);
}

static void stats_case(void) {
    /* a channel with a large offset: two-pass variance must stay exact */
    const int C = 3, HW = 1001;
    float *x = rand_buf((size_t)C * HW), mean[3], std[3];
    for (int i = 0; i < HW; i++) x[HW + i] += 1000.0f;
    ccpl__mean_std_forward(mean, std, x, 1, C, HW, 2);
    for (int c = 0; c < C; c++) {
        double m = 0, q = 0;
        for (int i = 0; i < HW; i++) m += x[c * HW + i];
        m /= HW;
        for (int i = 0; i < HW; i++) q += (x[c * HW + i] - m) * (x[c * HW + i] - m);
        double s = sqrt(q / (HW - 1) + 1e-5);
        CHECK(fabs(mean[c] - m) <= 1e-6 * fabs(m) + 1e-7 && fabs(std[c] - s) <= 1e-6 * s,
              "channel %d: mean %g vs %g, std %g vs %g", c, mean[c], m, std[c], s);
    }
    /* the unbiased variance plus 1e-5: a constant channel gives sqrt(1e-5) */
    float k[4] = {2, 2, 2, 2}, km, ks;
    ccpl__mean_std_forward(&km, &ks, k, 1, 1, 4, 1);
    CHECK(km == 2.0f && fabsf(ks - sqrtf(1e-5f)) < 1e-9f, "constant channel: %g %g", km, ks);
    free(x);
}

static void cov_case(void) {
    const int K = 32, M = 77, P = 51;
    float *s = rand_buf((size_t)K * M), *c = rand_buf((size_t)K * P);
    float cov[32 * 32], *g = ccpl__alloc_floats((size_t)K * P), ref[32 * 32];
    float *gref = ccpl__alloc_floats((size_t)K * P);
    ccpl__cov_forward(cov, s, K, M);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double a = 0;
            for (int m = 0; m < M; m++) a += (double)s[i * M + m] * s[j * M + m];
            ref[i * K + j] = (float)(a / M);
        }
    CHECK(tu_rel_err(cov, ref, K * K) < 1e-5, "cov rel err %g", tu_rel_err(cov, ref, K * K));
    ccpl__cov_apply_forward(g, cov, c, K, P);
    for (int i = 0; i < K; i++)
        for (int p = 0; p < P; p++) {
            double a = 0;
            for (int k = 0; k < K; k++) a += (double)cov[i * K + k] * c[k * P + p];
            gref[i * P + p] = (float)a;
        }
    CHECK(tu_rel_err(g, gref, (size_t)K * P) < 1e-5, "cov apply rel err");
    free(s), free(c), free(g), free(gref);
}

int main(void) {
    conv_case(3, 7, 5, 4, 3, 1, CCPL__PAD_REFLECT, 1);
    conv_case(5, 2, 9, 3, 3, 1, CCPL__PAD_REFLECT, 0); /* smallest side reflection allows */
    conv_case(6, 9, 11, 5, 3, 0, CCPL__PAD_ZERO, 1);   /* SCT's unpadded style convs */
    conv_case(7, 13, 6, 8, 1, 0, CCPL__PAD_ZERO, 0);   /* 1x1 */
    conv_case(4, 8, 7, 3, 3, 1, CCPL__PAD_ZERO, 1);
    conv_case(512, 100, 77, 2, 3, 1, CCPL__PAD_REFLECT, 1); /* im2col blocks of 47, 47, 6 rows */
    for (int h = 1; h <= 6; h++)
        for (int w = 1; w <= 5; w++) pool_case(2, h, w);
    upsample_case(3, 5, 7);
    upsample_case(1, 1, 1);
    stats_case();
    cov_case();
    return tu_finish();
}
