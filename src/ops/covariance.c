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
