#include "train/losses.h"

#include <string.h>

#include "ops/infonce.h"
#include "ops/l2norm.h"
#include "ops/linear.h"
#include "ops/relu.h"
#include "ops/stats.h"

const int ccpl__ccp_offsets[8][2] = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1},
                                     {0, 1},   {1, -1}, {1, 0},  {1, 1}};

double ccpl__content_loss(float *dg, const float *g, const float *c, size_t n, float gscale) {
    double s = 0;
    const float k = 2.0f * gscale / (float)n;
    for (size_t i = 0; i < n; i++) {
        const float d = g[i] - c[i];
        s += (double)d * d;
        dg[i] += k * d;
    }
    return s / (double)n;
}

double ccpl__style_loss(float *dg, const float *g, const float *s_mean, const float *s_std,
                        int C, int HW, float gscale, float *scratch, int n_threads) {
    float *buf = scratch;
    float *mean = buf, *std = buf + C, *dmean = buf + 2 * C, *dstd = buf + 3 * C;
    ccpl__mean_std_forward(mean, std, g, 1, C, HW, n_threads);
    double lm = 0, ls = 0;
    for (int c = 0; c < C; c++) {
        const float em = mean[c] - s_mean[c], es = std[c] - s_std[c];
        lm += (double)em * em;
        ls += (double)es * es;
        dmean[c] = 2.0f * gscale * em / (float)C;
        dstd[c] = 2.0f * gscale * es / (float)C;
    }
    ccpl__mean_std_backward(dg, dmean, dstd, g, mean, std, 1, C, HW, n_threads);
    return (lm + ls) / C;
}

/* rows (S,C): row m = o*num_s + j holds F[:, a_j] - F[:, a_j + offset_o]. */
static void gather_diffs(float *rows, const float *F, int C, int H, int W, const int *anchors,
                         int num_s) {
    const size_t plane = (size_t)H * W;
    for (int o = 0; o < 8; o++)
        for (int j = 0; j < num_s; j++) {
            const int y = anchors[2 * j], x = anchors[2 * j + 1];
            const size_t a = (size_t)y * W + x;
            const size_t nb = (size_t)(y + ccpl__ccp_offsets[o][0]) * W + (x + ccpl__ccp_offsets[o][1]);
            float *r = rows + (size_t)(o * num_s + j) * C;
            for (int c = 0; c < C; c++) r[c] = F[c * plane + a] - F[c * plane + nb];
        }
}

/* MLP forward for S rows: h (S,C) = relu(x W1^T + b1), p (S,D) = h W2^T + b2. */
static void mlp_forward(float *h, float *p, const ccpl__mlp *m, const float *x, int S) {
    ccpl__linear_forward(h, x, m->w1, m->b1, S, m->c, m->c);
    ccpl__relu_forward(h, h, (size_t)S * m->c);
    ccpl__linear_forward(p, h, m->w2, m->b2, S, m->c, m->d);
}

size_t ccpl__ccp_loss_floats(int num_s, int c, int d) {
    const size_t S = 8 * (size_t)num_s;
    /* (S,C): xq hq xk hk dh dx; (S,D): pq q pk k dq dp; (S): nq nk; (S,S): prob */
    return 6 * S * (size_t)c + 6 * S * (size_t)d + 2 * S + S * S;
}

double ccpl__ccp_loss(float *dfg, const ccpl__mlp_grads *mg, const ccpl__mlp *mlp,
                      const float *fg, const float *fc, int H, int W, const int *anchors,
                      int num_s, float tau, float gscale, float *scratch) {
    const int S = 8 * num_s, C = mlp->c, D = mlp->d;
    const size_t sc = (size_t)S * C, sd = (size_t)S * D;
    float *mem = scratch;
    memset(mem, 0, sizeof(float) * ccpl__ccp_loss_floats(num_s, C, D)); /* dq accumulates */
    float *xq = mem, *hq = xq + sc, *pq = hq + sc, *q = pq + sd, *xk = q + sd, *hk = xk + sc;
    float *pk = hk + sc, *k = pk + sd, *dq = k + sd, *dp = dq + sd, *dh = dp + sd, *dx = dh + sc;
    float *nq = dx + sc, *nk = nq + S, *prob = nk + S;

    gather_diffs(xq, fg, C, H, W, anchors, num_s);
    gather_diffs(xk, fc, C, H, W, anchors, num_s);
    mlp_forward(hq, pq, mlp, xq, S);
    ccpl__l2norm_forward(q, nq, pq, S, D);
    mlp_forward(hk, pk, mlp, xk, S); /* key branch: constant, no backward */
    ccpl__l2norm_forward(k, nk, pk, S, D);
    const double loss = ccpl__infonce_forward(prob, q, k, 1, S, D, tau);

    /* backward through the query branch only */
    ccpl__infonce_backward(dq, gscale, prob, k, 1, S, D, tau);
    ccpl__l2norm_backward(dp, dq, pq, nq, S, D);
    ccpl__linear_backward(dh, mg ? mg->w2 : NULL, mg ? mg->b2 : NULL, dp, hq, mlp->w2, S, C, D);
    /* through the ReLU in place: dh -> gradient of the pre-activation */
    for (size_t i = 0; i < sc; i++)
        if (!(hq[i] > 0.0f)) dh[i] = 0.0f;
    ccpl__linear_backward(dx, mg ? mg->w1 : NULL, mg ? mg->b1 : NULL, dh, xq, mlp->w1, S, C, C);
    /* scatter: d F[a] += dx, d F[a + offset] -= dx */
    const size_t plane = (size_t)H * W;
    for (int o = 0; o < 8; o++)
        for (int j = 0; j < num_s; j++) {
            const int y = anchors[2 * j], x = anchors[2 * j + 1];
            const size_t a = (size_t)y * W + x;
            const size_t nb = (size_t)(y + ccpl__ccp_offsets[o][0]) * W + (x + ccpl__ccp_offsets[o][1]);
            const float *r = dx + (size_t)(o * num_s + j) * C;
            for (int c = 0; c < C; c++) {
                dfg[c * plane + a] += r[c];
                dfg[c * plane + nb] -= r[c];
            }
        }
    return loss;
}
