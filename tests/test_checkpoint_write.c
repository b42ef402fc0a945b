/* Checkpoints we write (training's decoder/SCT files) load in PyTorch and
 * in our own reader, with every value, shape and key intact. */
#include <unistd.h>

#include "io/checkpoint.h"
#include "io/checkpoint_write.h"
#include "test_util.h"

int main(void) {
    const char *fx = tu_env("CCPL_FIXTURES");
    const char *py = tu_env("CCPL_PYTHON");
    char dir[4096], path[4200], cmd[9000];
    snprintf(dir, sizeof dir, "%s/ckwrite_%d", fx, (int)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    CHECK(system(cmd) == 0, "mkdir");
    snprintf(path, sizeof path, "%s/decoder_iter_7.pth.tar", dir);

    static float w[64 * 3 * 3 * 3], b[64], s = 2.5f, big[3000];
    for (int i = 0; i < 64 * 27; i++) w[i] = (float)i * 0.25f - 100.0f;
    for (int i = 0; i < 64; i++) b[i] = -(float)i / 3.0f;
    for (int i = 0; i < 3000; i++) big[i] = (float)(i % 17) * 1e-3f;
    const ccpl__tensor_out t[4] = {
        {"1.weight", 4, {64, 3, 3, 3}, w},
        {"1.bias", 1, {64}, b},
        {"cnet.0.scale", 0, {0}, &s},
        {"mlp.9.weight", 2, {60, 50}, big},
    };
    ccpl_error err;
    CHECK(ccpl__checkpoint_save(path, t, 4, &err) == CCPL_OK, "%s", err.message);

    /* our reader */
    ccpl__checkpoint ck;
    CHECK(ccpl__checkpoint_load(path, NULL, NULL, &ck, &err) == CCPL_OK, "%s", err.message);
    if (err.status == CCPL_OK) {
        CHECK(ck.n == 4 && !strcmp(ck.format, "zip"), "%d tensors, %s", ck.n, ck.format);
        for (int i = 0; i < 4 && i < ck.n; i++) {
            const ccpl__tensor_entry *e = ccpl__checkpoint_find(&ck, t[i].name);
            CHECK(e && e->ndim == t[i].ndim, "%s", t[i].name);
            if (!e) continue;
            size_t n = 1;
            for (int d = 0; d < e->ndim; d++) {
                CHECK(e->shape[d] == t[i].shape[d], "%s dim %d", t[i].name, d);
                n *= (size_t)e->shape[d];
            }
            CHECK(e->numel == n && !memcmp(e->data, t[i].data, n * sizeof(float)), "%s values", t[i].name);
        }
        ccpl__checkpoint_free(&ck);
    }

    /* PyTorch */
    double sum = 0;
    for (int i = 0; i < 3000; i++) sum += big[i];
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import torch; sd = torch.load('%s'); "
             "assert list(sd) == ['1.weight', '1.bias', 'cnet.0.scale', 'mlp.9.weight'], list(sd); "
             "assert sd['1.weight'].shape == (64, 3, 3, 3) and sd['1.weight'].dtype == torch.float32; "
             "assert float(sd['1.weight'][63, 2, 2, 2]) == (64 * 27 - 1) * 0.25 - 100; "
             "assert float(sd['1.bias'][3]) == -1.0 and sd['cnet.0.scale'].shape == () and float(sd['cnet.0.scale']) == 2.5; "
             "assert sd['mlp.9.weight'].shape == (60, 50) and abs(float(sd['mlp.9.weight'].double().sum()) - %.6f) < 1e-3; "
             "print('torch.load: ok')\"",
             py, path, sum);
    CHECK(system(cmd) == 0, "torch.load rejected or misread %s", path);

    /* a folder that does not exist: an error naming the file, nothing written */
    snprintf(path, sizeof path, "%s/missing/sct.pth", dir);
    CHECK(ccpl__checkpoint_save(path, t, 4, &err) == CCPL_E_IO && strstr(err.message, "missing/sct.pth"),
          "missing folder: %s", err.message);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return tu_finish();
}
