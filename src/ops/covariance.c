#include "ops/covariance.h"

#include <cblas.h>

void ccpl__cov_forward(float *cov, const float *s, int K, int M) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, K, M, 1.0f / (float)M, s, M, s, M,
                0.0f, cov, K);
}

void ccpl__cov_apply_forward(float *g, const float *cov, const float *c, int K, int P) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, P, K, 1.0f, cov, K, c, P, 0.0f, g,
                P);
}

void ccpl__cov_backward(float *ds, const float *dcov, const float *s, int K, int M) {
    const float a = 1.0f / (float)M;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, M, K, a, dcov, K, s, M, 1.0f, ds, M);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, M, K, a, dcov, K, s, M, 1.0f, ds, M);
}

void ccpl__cov_apply_backward(float *dcov, float *dc, const float *dg, const float *cov,
                              const float *c, int K, int P) {
    if (dcov)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, K, P, 1.0f, dg, P, c, P, 1.0f, dcov,
                    K);
    if (dc)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, K, 1.0f, cov, K, dg, P, 1.0f, dc,
                    P);
}
