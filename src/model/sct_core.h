/* sct_core.h — the arithmetic of the Simple Covariance Transformation
 * between its small networks (spec §2), written once and used by inference
 * (model/sct.c, model/sct_masked.c) and training (train/sct_train.c):
 *   c  = (fc - mean fc) / std fc         content side, per channel
 *   s  = fs - mean fs                    style side, per channel
 *   c' = cnet(c), s' = snet(s)           (32, HW), (32, M)
 *   cov = s' s'^T / M                    ops/covariance.h
 *   out = uncompress(cov . c') + mean fs */
#ifndef CCPL_MODEL_SCT_CORE_H
#define CCPL_MODEL_SCT_CORE_H

#define CCPL__SCT_K 32 /* SCT's compressed channels (spec §2) */

/* dst (C,HW) = (fc - mean) / std per channel; mean, std (C) receive the
 * statistics (std with ops/stats.h's epsilon). dst may not alias fc. */
void ccpl__sct_normalise(float *dst, float *mean, float *std, const float *fc, int C, int HW,
                         int n_threads);

/* dst (C,HW) = fs - smean per channel; smean (C) receives the mean. */
void ccpl__sct_centre(float *dst, float *smean, const float *fs, int C, int HW, int n_threads);

/* x (C,HW) += mean per channel. */
void ccpl__sct_add_mean(float *x, const float *mean, int C, int HW);

#endif
