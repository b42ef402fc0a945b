/* metrics.h — image-quality and stability measures of `ccpl eval`
 * (formulas in docs/METRICS.md). */
#ifndef CCPL_OPS_METRICS_H
#define CCPL_OPS_METRICS_H

#include <stddef.h>

/* Masked mean squared error between a and b (C,H*W):
 *   sum_{p: mask[p]} sum_c (a[c,p] - b[c,p])^2 / (C * #{p: mask[p]}),
 * accumulated in double; *n_valid receives #{p: mask[p]} (0 gives 0.0). */
double ccpl__masked_mse(const float *a, const float *b, const unsigned char *mask, int C, int HW,
                        long long *n_valid);

#define CCPL__SSIM_WIN 11     /* Gaussian window side */
#define CCPL__SSIM_SIGMA 1.5
#define CCPL__SSIM_K1 0.01
#define CCPL__SSIM_K2 0.03

/* Doubles of scratch ccpl__ssim needs for an H x W image. */
size_t ccpl__ssim_scratch(int H, int W);

/* Mean SSIM (Wang et al. 2004) between the luminances of a and b, both
 * (3,H,W) RGB in [0,1]: Y = 255 (0.299 R + 0.587 G + 0.114 B), 11x11
 * Gaussian window (sigma 1.5, normalised), C1 = (0.01*255)^2,
 * C2 = (0.03*255)^2, over the 'valid' positions (window inside the image,
 * (H-10) x (W-10) of them); H, W >= 11. scratch: ccpl__ssim_scratch(H,W). */
double ccpl__ssim(const float *a, const float *b, int H, int W, double *scratch);

/* Plain mean of squared differences over n values (spec §5.3 content loss). */
double ccpl__mse(const float *a, const float *b, size_t n);

/* One layer's term of the style loss (spec §5.4): given per-channel means
 * and stds (mean_std of spec §2) of the result (mr, sr) and the style
 * (ms, ss), mean_c (mr-ms)^2 + mean_c (sr-ss)^2. */
double ccpl__style_term(const float *mr, const float *sr, const float *ms, const float *ss, int C);

/* Flat-region texture (docs/METRICS.md): on luminance Y = 255 (0.299 R +
 * 0.587 G + 0.114 B) of the result a and its content b, both (3,H,W) RGB in
 * [0,1], the local standard deviation sigma(p) over the 7x7 window centred
 * at p (biased, sqrt(E[Y^2] - E[Y]^2)), at the (H-6) x (W-6) positions whose
 * window lies inside the image. A position is flat when the content's
 * sigma_b(p) < CCPL__FLAT_THRESHOLD grey levels. Returns the mean over flat
 * positions of sigma_a(p) - sigma_b(p), in grey levels of 255 (the texture
 * the result adds where the content has none), NaN when no position is flat
 * or H, W < 7; *flat_share (may be NULL) receives the share of flat
 * positions. scratch: ccpl__flat_texture_scratch(H, W) doubles. */
#define CCPL__FLAT_WIN 7
#define CCPL__FLAT_THRESHOLD 2.0
size_t ccpl__flat_texture_scratch(int H, int W);
double ccpl__flat_texture(const float *a, const float *b, int H, int W, double *flat_share,
                          double *scratch);

#endif
