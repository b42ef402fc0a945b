#include "ops/conv2d_direct.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define DIRECT_MAX_OC 4

int ccpl__direct_suits(int C, int OC, int K, int pad) {
    return K == 3 && pad == 1 && OC <= DIRECT_MAX_OC && C >= 16;
}

/* per thread: the padded input row (W+2) and OC accumulator rows (W) */
size_t ccpl__direct_scratch_floats(int OC, int W, int n_threads) {
    return (size_t)(n_threads < 1 ? 1 : n_threads) * ((size_t)W + 2 + (size_t)OC * W);
}

static inline int src1(int p, int n, ccpl__pad_mode mode) {
    if (p >= 0 && p < n) return p;
    if (mode == CCPL__PAD_ZERO) return -1;
    return p < 0 ? 1 : n - 2;
}

/* acc[x] += k0 * r[x] + k1 * r[x+1] + k2 * r[x+2] */
static void row_taps(float *restrict acc, const float *restrict r, float k0, float k1, float k2,
                     int W) {
    for (int x = 0; x < W; x++) acc[x] += k0 * r[x] + k1 * r[x + 1] + k2 * r[x + 2];
}

void ccpl__direct_forward(float *out, const float *inp, const float *w, const float *b, int C,
                          int H, int W, int OC, ccpl__pad_mode pad_mode, int relu, float *scratch,
                          int n_threads) {
    const int nt = n_threads > 0 ? n_threads : 1;
    const size_t plane = (size_t)H * W, per_thread = (size_t)W + 2 + (size_t)OC * W;
    const int l = src1(-1, W, pad_mode), r = src1(W, W, pad_mode);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int oy = 0; oy < H; oy++) {
#ifdef _OPENMP
        float *pr = scratch + (size_t)omp_get_thread_num() * per_thread;
#else
        float *pr = scratch;
#endif
        float *acc = pr + W + 2; /* (OC, W) */
        for (int oc = 0; oc < OC; oc++)
            for (int x = 0; x < W; x++) acc[(size_t)oc * W + x] = b ? b[oc] : 0.0f;
        for (int c = 0; c < C; c++)
            for (int ki = 0; ki < 3; ki++) {
                const int iy = src1(oy + ki - 1, H, pad_mode);
                if (iy < 0) continue;
                const float *s = inp + (size_t)c * plane + (size_t)iy * W;
                memcpy(pr + 1, s, sizeof(float) * (size_t)W); /* pr[q+1] = x[iy][q] */
                pr[0] = l >= 0 ? s[l] : 0.0f;
                pr[W + 1] = r >= 0 ? s[r] : 0.0f;
                for (int oc = 0; oc < OC; oc++) {
                    const float *k = w + (((size_t)oc * C + c) * 3 + ki) * 3;
                    row_taps(acc + (size_t)oc * W, pr, k[0], k[1], k[2], W);
                }
            }
        for (int oc = 0; oc < OC; oc++) {
            float *y = out + (size_t)oc * plane + (size_t)oy * W;
            const float *a = acc + (size_t)oc * W;
            if (relu)
                for (int x = 0; x < W; x++) y[x] = a[x] > 0.0f ? a[x] : 0.0f;
            else
                memcpy(y, a, sizeof(float) * (size_t)W);
        }
    }
}
