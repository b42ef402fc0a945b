/* covariance.h — SCT's second-order products (spec §2 steps 4-5). */
#ifndef CCPL_OPS_COVARIANCE_H
#define CCPL_OPS_COVARIANCE_H

/* cov (K,K) = s (K,M) . s^T / M, s not re-centred. */
void ccpl__cov_forward(float *cov, const float *s, int K, int M);

/* g (K,P) = cov (K,K) . c (K,P). */
void ccpl__cov_apply_forward(float *g, const float *cov, const float *c, int K, int P);

/* Backward of ccpl__cov_forward: ds (K,M) += (dcov + dcov^T) (K,K) . s (K,M) / M
 * (dcov need not be symmetric). */
void ccpl__cov_backward(float *ds, const float *dcov, const float *s, int K, int M);

/* Backward of ccpl__cov_apply_forward, from dg (K,P):
 *   dcov (K,K) += dg . c^T,   dc (K,P) += cov^T . dg.
 * Either of dcov, dc may be NULL. */
void ccpl__cov_apply_backward(float *dcov, float *dc, const float *dg, const float *cov,
                              const float *c, int K, int P);

#endif
