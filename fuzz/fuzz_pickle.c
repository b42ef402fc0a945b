/* fuzz_pickle — raw bytes into the pickle interpreter (io/pickle.h), as the
 * legacy reader runs it: several pickles back to back in one interpreter. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "io/pickle.h"

/* Reads every scalar a value can hold, so that ASan sees any stale pointer. */
static size_t touch(const ccpl__pv *v) {
    if (!v) return 0;
    switch (v->kind) {
    case CCPL__PV_STR:
    case CCPL__PV_BYTES: return v->u.s.n ? (unsigned char)v->u.s.p[v->u.s.n - 1] : 0;
    case CCPL__PV_BIGINT: return v->u.big.n ? v->u.big.mag[v->u.big.n - 1] : 0;
    case CCPL__PV_TUPLE:
    case CCPL__PV_LIST:
    case CCPL__PV_SET:
    case CCPL__PV_DICT: return v->u.seq.n ? (size_t)v->u.seq.v[v->u.seq.n - 1]->kind : 0;
    case CCPL__PV_STORAGE: return (size_t)v->u.st->numel + v->u.st->key[0];
    case CCPL__PV_TENSOR: return (size_t)v->u.t->numel + (size_t)v->u.t->storage->kind;
    default: return (size_t)v->kind;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ccpl__pkl *p = ccpl__pkl_new();
    if (!p) return 0;
    size_t off = 0;
    volatile size_t sink = 0;
    for (int k = 0; k < 4 && off < size; k++) {
        const ccpl__pv *out = NULL;
        size_t used = 0;
        ccpl_error err;
        ccpl_status st = ccpl__pkl_run(p, data + off, size - off, off, "fuzz", &out, &used, &err);
        fuzz_check_error(st, &err);
        if (st != CCPL_OK) break;
        if (used == 0 || used > size - off) abort(); /* STOP was read within the input */
        sink += touch(out);
        off += used;
    }
    size_t n = 0;
    const ccpl__pv *const *st = ccpl__pkl_storages(p, &n);
    for (size_t i = 0; i < n; i++) sink += touch(st[i]);
    (void)sink;
    ccpl__pkl_free(p);
    return 0;
}
