/* resize.c — PIL-exact antialiased bilinear resampling (see resize.h).
 *
 * PIL resamples separably. For each output position it evaluates the
 * triangle filter, widened by the downscale factor (support = max(scale, 1)),
 * over the input samples whose centres fall in the window, normalises the
 * weights to sum 1 in double, and rounds them to fixed point with
 * PRECISION_BITS = 32 - 8 - 2 = 22 fractional bits. Each pass accumulates
 * pixel * weight in a 32-bit int starting from half an LSB and keeps the top
 * bits clamped to 0..255, so the horizontal pass's output is 8-bit before the
 * vertical pass reads it. Every double operation below is written in PIL's
 * order so that the weights, hence the pixels, come out bit-identical. */
#include "ops/resize.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define PRECISION_BITS (32 - 8 - 2)

static double triangle(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* One pass's weights: for output index i, input samples bounds[2i] ..
 * bounds[2i] + bounds[2i+1] - 1 with fixed-point weights kk[i*ksize ..].
 * The box is (0, in_size) as PIL passes it (floats, exact here).
 * Returns ksize, or 0 when memory is short. */
static int precompute_coeffs(int in_size, int out_size, int **bounds_out, int32_t **kk_out) {
    const float in0 = 0.0f, in1 = (float)in_size;
    double scale = (double)(in1 - in0) / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale; /* the triangle's support is 1 */
    double ceil_support = ceil(support);
    if (ceil_support > (double)(INT32_MAX / 2 - 1)) return 0;
    int ksize = (int)ceil_support * 2 + 1;

    size_t n;
    if (!ccpl__mul_ok(&n, (size_t)out_size, (size_t)ksize)) return 0;
    size_t nbytes_d, nbytes_k, nbytes_b;
    if (!ccpl__mul_ok(&nbytes_d, n, sizeof(double))) return 0;
    if (!ccpl__mul_ok(&nbytes_k, n, sizeof(int32_t))) return 0;
    if (!ccpl__mul_ok(&nbytes_b, (size_t)out_size, 2 * sizeof(int))) return 0;
    double *w = (double *)malloc(nbytes_d ? nbytes_d : 1);
    int32_t *kk = (int32_t *)malloc(nbytes_k ? nbytes_k : 1);
    int *bounds = (int *)malloc(nbytes_b ? nbytes_b : 1);
    if (!w || !kk || !bounds) {
        free(w);
        free(kk);
        free(bounds);
        return 0;
    }

    for (int xx = 0; xx < out_size; xx++) {
        double center = in0 + (xx + 0.5) * scale;
        double ww = 0.0;
        double ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5); /* truncation, as PIL */
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double *k = &w[(size_t)xx * ksize];
        int x;
        for (x = 0; x < xmax; x++) {
            double v = triangle((x + xmin - center + 0.5) * ss);
            k[x] = v;
            ww += v;
        }
        for (x = 0; x < xmax; x++)
            if (ww != 0.0) k[x] /= ww;
        for (; x < ksize; x++) k[x] = 0;
        bounds[xx * 2 + 0] = xmin;
        bounds[xx * 2 + 1] = xmax;
    }
    /* To fixed point, rounding half away from zero. */
    for (size_t i = 0; i < n; i++) {
        if (w[i] < 0)
            kk[i] = (int32_t)(-0.5 + w[i] * (1 << PRECISION_BITS));
        else
            kk[i] = (int32_t)(0.5 + w[i] * (1 << PRECISION_BITS));
    }
    free(w);
    *bounds_out = bounds;
    *kk_out = kk;
    return ksize;
}

static inline unsigned char clip8(int32_t acc) {
    if (acc < 0) return 0;
    int32_t v = acc >> PRECISION_BITS;
    return (unsigned char)(v > 255 ? 255 : v);
}

/* (rows, inW, 3) -> (rows, outW, 3); rows start at input row `first`. */
static void pass_horizontal(unsigned char *out, int outW, const unsigned char *in, int inW,
                            int first, int rows, int ksize, const int *bounds,
                            const int32_t *kk) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (int yy = 0; yy < rows; yy++) {
        const unsigned char *src = in + ((size_t)(yy + first) * inW) * 3;
        unsigned char *dst = out + (size_t)yy * outW * 3;
        for (int xx = 0; xx < outW; xx++) {
            int xmin = bounds[xx * 2 + 0], xmax = bounds[xx * 2 + 1];
            const int32_t *k = &kk[(size_t)xx * ksize];
            int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
            const unsigned char *p = src + (size_t)xmin * 3;
            for (int x = 0; x < xmax; x++) {
                s0 += p[3 * x + 0] * k[x];
                s1 += p[3 * x + 1] * k[x];
                s2 += p[3 * x + 2] * k[x];
            }
            dst[3 * xx + 0] = clip8(s0);
            dst[3 * xx + 1] = clip8(s1);
            dst[3 * xx + 2] = clip8(s2);
        }
    }
}

/* (inRows, W, 3) -> (outH, W, 3); bounds are relative to the input's rows. */
static void pass_vertical(unsigned char *out, int outH, const unsigned char *in, int W,
                          int ksize, const int *bounds, const int32_t *kk) {
    size_t stride = (size_t)W * 3;
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (int yy = 0; yy < outH; yy++) {
        int ymin = bounds[yy * 2 + 0], ymax = bounds[yy * 2 + 1];
        const int32_t *k = &kk[(size_t)yy * ksize];
        unsigned char *dst = out + (size_t)yy * stride;
        for (size_t c = 0; c < stride; c++) {
            int32_t s = 1 << (PRECISION_BITS - 1);
            const unsigned char *p = in + (size_t)ymin * stride + c;
            for (int y = 0; y < ymax; y++) s += p[(size_t)y * stride] * k[y];
            dst[c] = clip8(s);
        }
    }
}

ccpl_status ccpl__resample_bilinear(unsigned char *out, int outW, int outH,
                                    const unsigned char *in, int inW, int inH) {
    size_t out_bytes;
    if (!ccpl__mul4_ok(&out_bytes, (size_t)outW, (size_t)outH, 3, 1)) return CCPL_E_NOMEM;
    int need_h = outW != inW;
    int need_v = outH != inH;
    if (!need_h && !need_v) {
        memcpy(out, in, out_bytes);
        return CCPL_OK;
    }

    int *bounds_v = NULL, *bounds_h = NULL;
    int32_t *kk_v = NULL, *kk_h = NULL;
    unsigned char *tmp = NULL;
    ccpl_status st = CCPL_E_NOMEM;

    int ksize_v = precompute_coeffs(inH, outH, &bounds_v, &kk_v);
    if (!ksize_v) goto done;
    /* Input rows the vertical pass reads: only those get a horizontal pass. */
    int first = bounds_v[0];
    int last = bounds_v[outH * 2 - 2] + bounds_v[outH * 2 - 1];

    const unsigned char *src = in;
    int srcW = inW;
    if (need_h) {
        int ksize_h = precompute_coeffs(inW, outW, &bounds_h, &kk_h);
        if (!ksize_h) goto done;
        size_t tmp_bytes;
        if (!ccpl__mul4_ok(&tmp_bytes, (size_t)(last - first), (size_t)outW, 3, 1)) goto done;
        if (!need_v) {
            /* Only the horizontal pass: first == 0, last == inH == outH. */
            pass_horizontal(out, outW, in, inW, 0, inH, ksize_h, bounds_h, kk_h);
            st = CCPL_OK;
            goto done;
        }
        tmp = (unsigned char *)malloc(tmp_bytes ? tmp_bytes : 1);
        if (!tmp) goto done;
        pass_horizontal(tmp, outW, in, inW, first, last - first, ksize_h, bounds_h, kk_h);
        for (int i = 0; i < outH; i++) bounds_v[i * 2] -= first;
        src = tmp;
        srcW = outW;
    }
    pass_vertical(out, outH, src, srcW, ksize_v, bounds_v, kk_v);
    st = CCPL_OK;

done:
    free(bounds_v);
    free(kk_v);
    free(bounds_h);
    free(kk_h);
    free(tmp);
    return st;
}

void ccpl__resize_shorter_dims(int w, int h, int size, long long *out_w, long long *out_h) {
    int shorter = w <= h ? w : h, longer = w <= h ? h : w;
    /* Python: int(size * long / short); the product is exact in double. */
    long long new_long = (long long)((double)((long long)size * longer) / (double)shorter);
    if (w <= h) {
        *out_w = size;
        *out_h = new_long;
    } else {
        *out_w = new_long;
        *out_h = size;
    }
}

/* Start of a centred crop of `crop` out of `n` > crop samples: int(round(d/2))
 * with Python's round half to even (d odd gives x.5). */
static int crop_start(int n, int crop) {
    int d = n - crop, h = d / 2;
    if (d % 2 == 0) return h;
    return (h % 2 == 0) ? h : h + 1;
}

void ccpl__center_crop(unsigned char *out, int cropW, int cropH,
                       const unsigned char *in, int inW, int inH) {
    /* Per axis: dst offset (padding) or src offset (cropping), and the span. */
    int dx = 0, sx = 0, nx = cropW, dy = 0, sy = 0, ny = cropH;
    if (cropW > inW) {
        dx = (cropW - inW) / 2;
        nx = inW;
    } else {
        sx = crop_start(inW, cropW);
    }
    if (cropH > inH) {
        dy = (cropH - inH) / 2;
        ny = inH;
    } else {
        sy = crop_start(inH, cropH);
    }
    if (nx != cropW || ny != cropH) memset(out, 0, (size_t)cropW * cropH * 3);
    for (int y = 0; y < ny; y++)
        memcpy(out + ((size_t)(y + dy) * cropW + dx) * 3,
               in + ((size_t)(y + sy) * inW + sx) * 3, (size_t)nx * 3);
}
