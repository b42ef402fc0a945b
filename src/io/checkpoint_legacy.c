/* checkpoint_legacy.c — torch.save < 1.6 (or _use_new_zipfile_serialization
 * =False): five pickles back to back, then the raw storages (spec §6):
 *
 *   pickle 1  magic number 0x1950a86a20f9469cfc6c (LONG1)
 *   pickle 2  protocol version 1001
 *   pickle 3  sys_info {'protocol_version', 'little_endian': True, 'type_sizes'}
 *   pickle 4  the object; storages are persistent ids
 *             ('storage', StorageType, key, location, numel, view_metadata)
 *   pickle 5  list of storage keys
 *   then for each key in that order: int64 little-endian element count and
 *   count * element_size bytes of little-endian data. */
#include <inttypes.h>
#include <string.h>

#include "io/checkpoint_internal.h"

#define LEGACY_PROTOCOL_VERSION 1001

/* 0x1950a86a20f9469cfc6c, little-endian */
static const unsigned char magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static int is_magic(const ccpl__pv *v) {
    return v->kind == CCPL__PV_BIGINT && !v->u.big.neg && v->u.big.n == sizeof magic &&
           memcmp(v->u.big.mag, magic, sizeof magic) == 0;
}

static ccpl_status not_checkpoint(ccpl__ck_ctx *c) {
    return ccpl__ck_fail(c, CCPL_E_FORMAT,
                         "not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save stream)");
}

static const ccpl__pv *dict_get(const ccpl__pv *d, const char *key) {
    for (size_t i = 0; i + 1 < d->u.seq.n; i += 2) {
        const ccpl__pv *k = d->u.seq.v[i];
        if (k->kind == CCPL__PV_STR && k->u.s.n == strlen(key) && memcmp(k->u.s.p, key, k->u.s.n) == 0)
            return d->u.seq.v[i + 1];
    }
    return NULL;
}

/* Walks the storage records that follow the pickles. */
static ccpl_status read_records(ccpl__ck_ctx *c, const ccpl__pv *keys, const unsigned char *data,
                                size_t size, size_t pos) {
    for (size_t i = 0; i < keys->u.seq.n; i++) {
        const ccpl__pv *k = keys->u.seq.v[i];
        char pk[80];
        if (k->kind != CCPL__PV_STR)
            return ccpl__ck_fail(c, CCPL_E_FORMAT, "storage key list holds a %s", ccpl__pv_kind_name(k->kind));
        ccpl__pkl_printable(pk, sizeof pk, k->u.s.p, k->u.s.n);
        char key[257];
        ccpl__ck_storage *s = NULL;
        if (k->u.s.n < sizeof key && !memchr(k->u.s.p, '\0', k->u.s.n)) {
            memcpy(key, k->u.s.p, k->u.s.n);
            key[k->u.s.n] = '\0';
            s = ccpl__ck_find_storage(c, key);
        }
        if (!s)
            return ccpl__ck_fail(c, CCPL_E_FORMAT, "storage '%s' is listed but no tensor refers to it", pk);
        if (s->present) return ccpl__ck_fail(c, CCPL_E_FORMAT, "storage '%s' is listed twice", pk);
        if (size - pos < 8)
            return ccpl__ck_fail(c, CCPL_E_FORMAT, "truncated: storage %s needs 8 bytes for its size, %zu left",
                                 pk, size - pos);
        uint64_t count = 0;
        for (int b = 7; b >= 0; b--) count = (count << 8) | data[pos + (size_t)b];
        pos += 8;
        uint64_t el = (uint64_t)ccpl__pkl_storage_type_elsize(s->type);
        if (count > (uint64_t)INT64_MAX / el || count * el > size - pos)
            return ccpl__ck_fail(c, CCPL_E_FORMAT, "truncated: storage %s needs %" PRIu64 " bytes, %zu left",
                                 pk, count > (uint64_t)INT64_MAX / el ? UINT64_MAX : count * el, size - pos);
        s->data = data + pos;
        s->avail = (int64_t)count;
        s->present = 1;
        pos += (size_t)(count * el);
    }
    return CCPL_OK;
}

ccpl_status ccpl__ck_read_legacy(ccpl__ck_ctx *c, const unsigned char *data, size_t size) {
    const ccpl__pv *v;
    size_t used, pos = 0;
    /* pickle 1: the magic number. Any failure but a refusal means "not ours". */
    ccpl_status st = ccpl__pkl_run(c->pkl, data, size, 0, c->name, &v, &used, c->err);
    if (st == CCPL_E_UNSAFE || st == CCPL_E_TOO_LARGE || st == CCPL_E_NOMEM) return st;
    if (st || !is_magic(v)) return not_checkpoint(c);
    pos += used;
    /* pickle 2: protocol version */
    if ((st = ccpl__pkl_run(c->pkl, data + pos, size - pos, pos, c->name, &v, &used, c->err))) return st;
    if (v->kind != CCPL__PV_INT || v->u.i != LEGACY_PROTOCOL_VERSION)
        return ccpl__ck_fail(c, CCPL_E_FORMAT, "unsupported legacy checkpoint protocol version");
    pos += used;
    /* pickle 3: sys_info */
    if ((st = ccpl__pkl_run(c->pkl, data + pos, size - pos, pos, c->name, &v, &used, c->err))) return st;
    const ccpl__pv *le = v->kind == CCPL__PV_DICT ? dict_get(v, "little_endian") : NULL;
    if (!le || le->kind != CCPL__PV_BOOL)
        return ccpl__ck_fail(c, CCPL_E_FORMAT, "legacy checkpoint has no little_endian flag in its header");
    if (!le->u.b) return ccpl__ck_fail(c, CCPL_E_FORMAT, "big-endian legacy checkpoints are not supported");
    pos += used;
    /* pickle 4: the object */
    const ccpl__pv *root;
    if ((st = ccpl__pkl_run(c->pkl, data + pos, size - pos, pos, c->name, &root, &used, c->err))) return st;
    pos += used;
    /* pickle 5: storage keys */
    const ccpl__pv *keys;
    if ((st = ccpl__pkl_run(c->pkl, data + pos, size - pos, pos, c->name, &keys, &used, c->err))) return st;
    if (keys->kind != CCPL__PV_LIST)
        return ccpl__ck_fail(c, CCPL_E_FORMAT, "legacy storage key list is a %s", ccpl__pv_kind_name(keys->kind));
    pos += used;
    if ((st = ccpl__ck_prepare(c, root))) return st;
    return read_records(c, keys, data, size, pos);
}
