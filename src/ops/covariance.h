/* covariance.h — SCT's second-order products (spec §2 steps 4-5). */
#ifndef CCPL_OPS_COVARIANCE_H
#define CCPL_OPS_COVARIANCE_H

/* cov (K,K) = s (K,M) . s^T / M, s not re-centred. */
void ccpl__cov_forward(float *cov, const float *s, int K, int M);

/* g (K,P) = cov (K,K) . c (K,P). */
void ccpl__cov_apply_forward(float *g, const float *cov, const float *c, int K, int P);

#endif
