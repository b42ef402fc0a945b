#include "ops/infonce.h"

#include <cblas.h>
#include <math.h>
#include <stddef.h>

float ccpl__infonce_forward(float *prob, const float *q, const float *k, int N, int S, int D,
                            float tau) {
    double loss = 0;
    for (int n = 0; n < N; n++) {
        const float *qn = q + (size_t)n * S * D, *kn = k + (size_t)n * S * D;
        float *pn = prob + (size_t)n * S * S;
        /* logits (S,S) = q (S,D) . k^T (D,S) / tau */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, S, S, D, 1.0f / tau, qn, D, kn, D,
                    0.0f, pn, S);
        for (int m = 0; m < S; m++) {
            float *row = pn + (size_t)m * S;
            float mx = row[0];
            for (int j = 1; j < S; j++)
                if (row[j] > mx) mx = row[j];
            double z = 0;
            for (int j = 0; j < S; j++) z += exp((double)row[j] - mx);
            /* -log softmax[m] = log z + mx - logit[m] */
            loss += log(z) + mx - row[m];
            for (int j = 0; j < S; j++) row[j] = (float)(exp((double)row[j] - mx) / z);
        }
    }
    return (float)(loss / ((double)N * S));
}

void ccpl__infonce_backward(float *dq, float dloss, const float *prob, const float *k, int N,
                            int S, int D, float tau) {
    /* d loss / d logits = (prob - I) / (N*S); d logits / d q = k / tau */
    const float a = (float)((double)dloss / ((double)N * S * tau));
    for (int n = 0; n < N; n++) {
        const float *kn = k + (size_t)n * S * D, *pn = prob + (size_t)n * S * S;
        float *dqn = dq + (size_t)n * S * D;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, D, S, a, pn, S, kn, D, 1.0f, dqn,
                    D);
        for (size_t i = 0; i < (size_t)S * D; i++) dqn[i] -= a * kn[i];
    }
}
