/* fuzz_checkpoint — whole files into ccpl__checkpoint_load_memory: the zip
 * reader for inputs starting "PK\3\4" / "PK\5\6", the legacy one otherwise.
 * The first byte picks whether every tensor is converted or only some. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "io/checkpoint.h"

static int want_some(const char *name, void *user) {
    (void)user;
    return name[0] && (strlen(name) & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ccpl__checkpoint ck;
    ccpl_error err;
    ccpl__want_fn want = size && (data[size - 1] & 0x80) ? want_some : NULL;
    ccpl_status st = ccpl__checkpoint_load_memory(data, size, "fuzz.pth", want, NULL, &ck, &err);
    fuzz_check_error(st, &err);
    if (st != CCPL_OK) {
        if (ck.n || ck.t) abort(); /* a failure leaves *out empty */
        return 0;
    }
    volatile float sink = 0;
    for (int i = 0; i < ck.n; i++) {
        const ccpl__tensor_entry *t = &ck.t[i];
        if (!t->name || t->ndim < 0 || t->ndim > CCPL__MAX_DIMS) abort();
        size_t numel = 1;
        for (int d = 0; d < t->ndim; d++) numel *= (size_t)t->shape[d];
        if (numel != t->numel) abort();
        if (ccpl__checkpoint_entry(&ck, t->name) == NULL) abort();
        /* integer tensors and those outside the state_dict: listed, never converted */
        int weight = !t->outside && ccpl__dtype_is_float(t->dtype);
        if (!weight && t->data) abort();
        if (weight && ccpl__checkpoint_find(&ck, t->name) == NULL) abort();
        if (t->data && numel) sink += t->data[0] + t->data[numel - 1];
        if (!want && weight && !t->data && numel) abort(); /* keep-all converts every weight */
    }
    (void)sink;
    ccpl__checkpoint_free(&ck);
    return 0;
}
