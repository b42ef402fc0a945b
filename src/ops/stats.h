/* stats.h — per-channel mean and std (spec §2 mean_std). */
#ifndef CCPL_OPS_STATS_H
#define CCPL_OPS_STATS_H

#define CCPL__STD_EPS 1e-5

/* mean (N*C), std (N*C) of x (N,C,HW): mean over HW and
 * std = sqrt(var_unbiased + 1e-5), var dividing by HW - 1 (HW >= 2).
 * Accumulated in double. std may be NULL. */
void ccpl__mean_std_forward(float *mean, float *std, const float *x, int N, int C, int HW,
                            int n_threads);

#endif
