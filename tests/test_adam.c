/* Adam with CCPL's learning-rate schedule against torch.optim.Adam on the
 * same gradients (fixtures_adam.py): five steps from iteration 20, gradients
 * from 0.01 to 100 in scale, moments fresh (torch's step count 1..5) while
 * the lr schedule is at iterations 20..24. Tolerance: 1e-6 of the update
 * (the same float32 operations in the same order; expect 0 or a few ulps). */
#include "io/checkpoint.h"
#include "test_util.h"
#include "train/adam.h"

int main(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/adam/ref.pth", tu_env("CCPL_FIXTURES"));
    ccpl__checkpoint r;
    ccpl_error err;
    if (ccpl__checkpoint_load(path, NULL, NULL, &r, &err) != CCPL_OK) {
        fprintf(stderr, "FAIL: %s\n", err.message);
        return 1;
    }
    const size_t n = 1000;
    float p[1000], m[1000] = {0}, v[1000] = {0};
    memcpy(p, ccpl__checkpoint_find(&r, "p0")->data, sizeof p);
    ccpl__adam a = ccpl__adam_default();
    CHECK(a.lr == 1e-4 && a.decay == 5e-5 && a.beta1 == 0.9 && a.beta2 == 0.999 && a.eps == 1e-8,
          "defaults");
    CHECK(fabs(ccpl__adam_lr(&a, 0) - 1e-4) < 1e-18 && fabs(ccpl__adam_lr(&a, 20000) - 5e-5) < 1e-18,
          "lr schedule: %g %g", ccpl__adam_lr(&a, 0), ccpl__adam_lr(&a, 20000));
    for (int k = 0; k < 5; k++) {
        char gk[8], pk[8];
        snprintf(gk, sizeof gk, "g%d", k);
        snprintf(pk, sizeof pk, "p%d", k + 1);
        const long iter = 20 + k;
        ccpl__adam_step(&a, p, ccpl__checkpoint_find(&r, gk)->data, m, v, n, k + 1, ccpl__adam_lr(&a, iter));
        const float *want = ccpl__checkpoint_find(&r, pk)->data;
        const float *p0 = ccpl__checkpoint_find(&r, "p0")->data;
        /* error relative to the size of the update so far, the part Adam computes */
        double md = 0, mu = 0;
        for (size_t i = 0; i < n; i++) {
            md = fmax(md, fabs((double)p[i] - want[i]));
            mu = fmax(mu, fabs((double)want[i] - p0[i]));
        }
        printf("  step %d (iteration %ld): max |p - torch| %.3g, relative to the update %.2e\n", k + 1,
               iter, md, md / mu);
        CHECK(md / mu <= 1e-6, "step %d: %.3g of the update", k + 1, md / mu);
    }

    /* One call over a range of tensors is one call per tensor, bit for bit,
     * and the zero padding between them stays zero (the trainer runs Adam
     * once over its trainable range, tensors at 64-byte boundaries): the
     * same five steps with the values split in two tensors of 600 and 400
     * at offsets 0 and 608, against the single tensor above. */
    enum { A = 600, B = 400, OFF_B = 608, RANGE = OFF_B + B };
    static float rp[RANGE], rg[RANGE], rm[RANGE], rv[RANGE];
    float sp[1000], sm[1000] = {0}, sv[1000] = {0};
    memcpy(rp, ccpl__checkpoint_find(&r, "p0")->data, sizeof(float) * A);
    memcpy(rp + OFF_B, ccpl__checkpoint_find(&r, "p0")->data + A, sizeof(float) * B);
    memcpy(sp, ccpl__checkpoint_find(&r, "p0")->data, sizeof sp);
    for (int k = 0; k < 5; k++) {
        char gk[8];
        snprintf(gk, sizeof gk, "g%d", k);
        const float *g = ccpl__checkpoint_find(&r, gk)->data;
        memcpy(rg, g, sizeof(float) * A);
        memcpy(rg + OFF_B, g + A, sizeof(float) * B);
        const double lr = ccpl__adam_lr(&a, 20 + k);
        ccpl__adam_step(&a, rp, rg, rm, rv, RANGE, k + 1, lr);
        ccpl__adam_step(&a, sp, g, sm, sv, A, k + 1, lr);
        ccpl__adam_step(&a, sp + A, g + A, sm + A, sv + A, B, k + 1, lr);
    }
    CHECK(!memcmp(sp, p, sizeof p) && !memcmp(sm, m, sizeof m) && !memcmp(sv, v, sizeof v),
          "two calls of 600 and 400 differ from one call of 1000");
    CHECK(!memcmp(rp, p, sizeof(float) * A) && !memcmp(rp + OFF_B, p + A, sizeof(float) * B) &&
          !memcmp(rm, m, sizeof(float) * A) && !memcmp(rm + OFF_B, m + A, sizeof(float) * B) &&
          !memcmp(rv, v, sizeof(float) * A) && !memcmp(rv + OFF_B, v + A, sizeof(float) * B),
          "one call over the padded range differs from one call per tensor");
    int pad_zero = 1;
    for (int i = A; i < OFF_B; i++) pad_zero &= rp[i] == 0 && rm[i] == 0 && rv[i] == 0 && !signbit(rp[i]);
    CHECK(pad_zero, "the padding between the tensors did not stay zero");
    ccpl__checkpoint_free(&r);
    return tu_finish();
}
