/* stats.h — per-channel mean and std (spec §2 mean_std). */
#ifndef CCPL_OPS_STATS_H
#define CCPL_OPS_STATS_H

#define CCPL__STD_EPS 1e-5

/* mean (N*C), std (N*C) of x (N,C,HW): mean over HW and
 * std = sqrt(var_unbiased + 1e-5), var dividing by HW - 1 (HW >= 2).
 * Accumulated in double. std may be NULL. */
void ccpl__mean_std_forward(float *mean, float *std, const float *x, int N, int C, int HW,
                            int n_threads);

/* Backward of ccpl__mean_std_forward: dx (N,C,HW) += dmean (N*C) / HW
 * + dstd (N*C) * (x - mean) / ((HW - 1) * std), with x (N,C,HW), mean and
 * std (N*C) the forward's. dmean or dstd may be NULL (no gradient). */
void ccpl__mean_std_backward(float *dx, const float *dmean, const float *dstd, const float *x,
                             const float *mean, const float *std, int N, int C, int HW,
                             int n_threads);

#endif
