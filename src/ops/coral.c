/* coral.c — pytorch-AdaIN's function.coral, in double (see coral.h).
 *
 *   f_s  = (source - mean_s) / std_s            per channel, unbiased std
 *   C_s  = f_s f_s^T + I,  C_t = f_t f_t^T + I  (3x3, not divided by N)
 *   out  = (C_t^1/2 C_s^-1/2 f_s) * std_t + mean_t
 *
 * The reference takes the square roots through torch.svd and inverts with
 * torch.inverse; C + I is symmetric positive definite (eigenvalues >= 1), so
 * its SVD is its eigen-decomposition Q diag(l) Q^T, and the square root and
 * the inverse square root are Q diag(l^(+-1/2)) Q^T. */
#include "ops/coral.h"

#include <math.h>
#include <stddef.h>

#include "core/error.h"

/* Cyclic Jacobi on a symmetric 3x3 matrix: a = q diag(l) q^T. */
static void eig_sym3(const double a_in[3][3], double l[3], double q[3][3]) {
    double a[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            a[i][j] = a_in[i][j];
            q[i][j] = i == j ? 1.0 : 0.0;
        }
    for (int sweep = 0; sweep < 64; sweep++) {
        double off = fabs(a[0][1]) + fabs(a[0][2]) + fabs(a[1][2]);
        double scale = fabs(a[0][0]) + fabs(a[1][1]) + fabs(a[2][2]);
        if (off <= 1e-300 || off <= 1e-17 * scale) break;
        for (int p = 0; p < 2; p++)
            for (int r = p + 1; r < 3; r++) {
                if (a[p][r] == 0.0) continue;
                /* Rotation that zeroes a[p][r] (Numerical Recipes' form). */
                double theta = (a[r][r] - a[p][p]) / (2.0 * a[p][r]);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 3; k++) { /* a = a J */
                    double akp = a[k][p], akr = a[k][r];
                    a[k][p] = c * akp - s * akr;
                    a[k][r] = s * akp + c * akr;
                }
                for (int k = 0; k < 3; k++) { /* a = J^T a */
                    double apk = a[p][k], ark = a[r][k];
                    a[p][k] = c * apk - s * ark;
                    a[r][k] = s * apk + c * ark;
                }
                for (int k = 0; k < 3; k++) { /* q = q J */
                    double qkp = q[k][p], qkr = q[k][r];
                    q[k][p] = c * qkp - s * qkr;
                    q[k][r] = s * qkp + c * qkr;
                }
            }
    }
    for (int i = 0; i < 3; i++) l[i] = a[i][i];
}

/* out = q diag(l^power) q^T */
static void sym_pow(const double m[3][3], double power, double out[3][3]) {
    double l[3], q[3][3];
    eig_sym3(m, l, q);
    double lp[3];
    for (int i = 0; i < 3; i++) lp[i] = pow(l[i], power);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += q[i][k] * lp[k] * q[j][k];
            out[i][j] = s;
        }
}

/* Per-channel mean, unbiased std and f f^T + I of the standardised (3, n)
 * data. Fails on a channel without variation (the reference divides by 0). */
static ccpl_status stats(const float *x, size_t n, const char *which, double mean[3],
                         double std[3], double cov[3][3], ccpl_error *err) {
    for (int c = 0; c < 3; c++) {
        const float *p = x + (size_t)c * n;
        double s = 0;
        for (size_t i = 0; i < n; i++) s += p[i];
        mean[c] = s / (double)n;
        double v = 0;
        for (size_t i = 0; i < n; i++) {
            double d = p[i] - mean[c];
            v += d * d;
        }
        std[c] = sqrt(v / (double)(n - 1));
        if (!(std[c] > 0.0) || !isfinite(std[c]))
            return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                              "coral: channel %d of the %s image is constant or not finite "
                              "(std %g): its colour statistics are undefined",
                              c, which, std[c]);
    }
    for (int a = 0; a < 3; a++)
        for (int b = a; b < 3; b++) {
            const float *pa = x + (size_t)a * n, *pb = x + (size_t)b * n;
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += ((pa[i] - mean[a]) / std[a]) * ((pb[i] - mean[b]) / std[b]);
            cov[a][b] = cov[b][a] = s + (a == b ? 1.0 : 0.0);
        }
    return CCPL_OK;
}

ccpl_status ccpl__coral(float *source, int Hs, int Ws, const float *target, int Ht, int Wt,
                        ccpl_error *err) {
    if (!source || !target)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "coral: NULL image");
    if (Hs <= 0 || Ws <= 0 || Ht <= 0 || Wt <= 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "coral: empty image (%dx%d, %dx%d)", Ws,
                          Hs, Wt, Ht);
    size_t ns = (size_t)Hs * (size_t)Ws, nt = (size_t)Ht * (size_t)Wt;
    if (ns < 2 || nt < 2)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "coral: images need at least 2 pixels (%dx%d, %dx%d)", Ws, Hs, Wt, Ht);

    double mean_s[3], std_s[3], cov_s[3][3], mean_t[3], std_t[3], cov_t[3][3];
    ccpl_status st = stats(source, ns, "source", mean_s, std_s, cov_s, err);
    if (st != CCPL_OK) return st;
    st = stats(target, nt, "target", mean_t, std_t, cov_t, err);
    if (st != CCPL_OK) return st;

    double sqrt_t[3][3], isqrt_s[3][3], m[3][3];
    sym_pow(cov_t, 0.5, sqrt_t);
    sym_pow(cov_s, -0.5, isqrt_s);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += sqrt_t[i][k] * isqrt_s[k][j];
            m[i][j] = s;
        }

    float *p0 = source, *p1 = source + ns, *p2 = source + 2 * ns;
    for (size_t i = 0; i < ns; i++) {
        double f[3] = {(p0[i] - mean_s[0]) / std_s[0], (p1[i] - mean_s[1]) / std_s[1],
                       (p2[i] - mean_s[2]) / std_s[2]};
        double o[3];
        for (int c = 0; c < 3; c++)
            o[c] = (m[c][0] * f[0] + m[c][1] * f[1] + m[c][2] * f[2]) * std_t[c] + mean_t[c];
        p0[i] = (float)o[0];
        p1[i] = (float)o[1];
        p2[i] = (float)o[2];
    }
    ccpl__clear(err);
    return CCPL_OK;
}
