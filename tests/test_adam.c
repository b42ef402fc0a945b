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
    ccpl__checkpoint_free(&r);
    return tu_finish();
}
