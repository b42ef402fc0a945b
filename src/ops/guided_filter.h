/* guided_filter.h — the guided filter of He, Sun, Tang ("Guided Image
 * Filtering", ECCV 2010 / TPAMI 2013), colour-guide form (TPAMI eq. 19-21),
 * as the edge-preserving smoothing step of photo-realistic stylization
 * (PhotoWCT's fast variant, Li et al. 2018, smooths with it, content as the
 * guide). */
#ifndef CCPL_OPS_GUIDED_FILTER_H
#define CCPL_OPS_GUIDED_FILTER_H

#include <stddef.h>

/* Bytes of scratch ccpl__guided_filter needs for an H x W image
 * (18 float planes and 2 rows of doubles; 0 when the size overflows). */
size_t ccpl__guided_filter_scratch(int H, int W);

/* out (C,H,W) = the guided filter of in (C,H,W) with guide (3,H,W).
 * Each output channel is filtered on its own against the 3-channel colour
 * guide I: in every (2r+1)x(2r+1) window w_k (clipped at the image border,
 * means over the pixels inside it)
 *   a_k = (Sigma_k + eps U)^-1 (mean_k(I p) - mu_k pbar_k)    (3-vector)
 *   b_k = pbar_k - a_k . mu_k
 *   q_i = mean_{k: i in w_k}(a_k) . I_i + mean_{k: i in w_k}(b_k)
 * with mu_k, Sigma_k the mean and 3x3 (biased) covariance of I in w_k and
 * pbar_k the mean of p. Values are expected in [0,1] (eps is then in units
 * of [0,1]^2: eps = 1e-2 smooths variations of about 0.1 = 25 grey levels).
 * Box means by running sums in double: O(1) per pixel whatever r. r >= 0
 * (0: each window one pixel), eps > 0. out may be in. scratch:
 * ccpl__guided_filter_scratch(H, W) bytes. */
void ccpl__guided_filter(float *out, const float *in, const float *guide, int C, int H, int W,
                         int r, float eps, void *scratch);

/* out (C,H,W) = A^T in, the adjoint of ccpl__guided_filter for the same
 * guide (3,H,W), r and eps: for a fixed guide the filter is a linear map
 * q = A p of its input, and <A x, y> = <x, A^T y> for all x, y. This is the
 * gradient of the filter's output wrt its input: given G = dL/dq (C,H,W),
 * A^T G = dL/dp. Units: those of in (the guide's in [0,1], eps as above).
 * Derived by reverse-mode differentiation of the forward (guided_filter.c),
 * with the clipped box mean's exact adjoint (y -> sum over the windows
 * containing j of y_k / |w_k|, not a box mean where windows are clipped).
 * Used by the photorealism loss (ops/photoreal.h; Luan et al. 2017, "Deep
 * Photo Style Transfer", in its guided-filter form). r >= 0, eps > 0; out
 * may be in; scratch: ccpl__guided_filter_scratch(H, W) bytes. */
void ccpl__guided_filter_adjoint(float *out, const float *in, const float *guide, int C, int H,
                                 int W, int r, float eps, void *scratch);

#endif
