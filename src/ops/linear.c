#include "ops/linear.h"

#include <cblas.h>
#include <stddef.h>

void ccpl__linear_forward(float *y, const float *x, const float *w, const float *b, int N, int IN,
                          int OUT) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OUT, IN, 1.0f, x, IN, w, IN, 0.0f, y,
                OUT);
    if (b)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OUT; o++) y[(size_t)n * OUT + o] += b[o];
}

void ccpl__linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                           const float *w, int N, int IN, int OUT) {
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IN, OUT, 1.0f, dy, OUT, w, IN,
                    1.0f, dx, IN);
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OUT, IN, N, 1.0f, dy, OUT, x, IN, 1.0f,
                    dw, IN);
    if (db)
        for (int o = 0; o < OUT; o++) {
            double s = 0;
            for (int n = 0; n < N; n++) s += dy[(size_t)n * OUT + o];
            db[o] += (float)s;
        }
}
