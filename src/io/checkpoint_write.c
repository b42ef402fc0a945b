#include "io/checkpoint_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zip.h>

#include "core/error.h"
#include "io/atomic_file.h"

/* A growable byte buffer for the pickle. */
typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *s, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void put_c(buf *b, char c) { put(b, &c, 1); }
static void put_str(buf *b, const char *s) { put(b, s, strlen(s)); }

/* BINUNICODE: 'X', uint32 length, UTF-8 bytes */
static void put_unicode(buf *b, const char *s) {
    const uint32_t n = (uint32_t)strlen(s);
    const unsigned char len[4] = {n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >> 24};
    put_c(b, 'X');
    put(b, len, 4);
    put(b, s, n);
}

/* An int: BININT (4-byte signed) when it fits, else LONG1 (8 bytes). */
static void put_int(buf *b, int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {
        const uint32_t u = (uint32_t)(int32_t)v;
        const unsigned char le[4] = {u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff, u >> 24};
        put_c(b, 'J');
        put(b, le, 4);
    } else {
        unsigned char le[10] = {0x8a, 8};
        for (int i = 0; i < 8; i++) le[2 + i] = (unsigned char)((uint64_t)v >> (8 * i));
        put(b, le, 10);
    }
}

static void put_int_tuple(buf *b, const int64_t *v, int n) {
    put_c(b, '(');
    for (int i = 0; i < n; i++) put_int(b, v[i]);
    put_c(b, 't');
}

/* OrderedDict([(name, _rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict()))]) */
static void pickle_state_dict(buf *b, const ccpl__tensor_out *t, int n) {
    put(b, "\x80\x02", 2);
    put_str(b, "ccollections\nOrderedDict\n)R");
    for (int i = 0; i < n; i++) {
        int64_t stride[4], numel = 1;
        for (int d = t[i].ndim - 1; d >= 0; d--) {
            stride[d] = numel;
            numel *= t[i].shape[d];
        }
        char key[24];
        snprintf(key, sizeof key, "%d", i);
        put_unicode(b, t[i].name);
        put_str(b, "ctorch._utils\n_rebuild_tensor_v2\n(");
        /* persistent id ('storage', FloatStorage, key, 'cpu', numel) */
        put_c(b, '(');
        put_unicode(b, "storage");
        put_str(b, "ctorch\nFloatStorage\n");
        put_unicode(b, key);
        put_unicode(b, "cpu");
        put_int(b, numel);
        put_str(b, "tQ");
        put_int(b, 0); /* storage offset */
        put_int_tuple(b, t[i].shape, t[i].ndim);
        put_int_tuple(b, stride, t[i].ndim);
        put_str(b, "\x89" "ccollections\nOrderedDict\n)R" "tR" "s");
    }
    put_c(b, '.');
}

static ccpl_status add_entry(zip_t *z, const char *path, const char *name, const void *data,
                             size_t n, ccpl_error *err) {
    zip_source_t *src = zip_source_buffer(z, data, n, 0);
    zip_int64_t idx = src ? zip_file_add(z, name, src, ZIP_FL_OVERWRITE) : -1;
    if (idx < 0) {
        if (src) zip_source_free(src);
        return ccpl__fail(err, CCPL_E_IO, "%s: cannot add %s: %s", path, name, zip_strerror(z));
    }
    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    /* a fixed time stamp (2000-01-01, as PyTorch's writer does not record the
       time either): the same tensors give the same bytes, whenever saved */
    zip_file_set_mtime(z, (zip_uint64_t)idx, (time_t)946728000, 0);
    return CCPL_OK;
}

/* Copies the finished in-memory archive src into the atomic file af. */
static ccpl_status copy_out(zip_source_t *src, ccpl__atomic_file *af, const char *path, ccpl_error *err) {
    if (zip_source_open(src) != 0)
        return ccpl__fail(err, CCPL_E_IO, "%s: cannot write: %s", path, zip_error_strerror(zip_source_error(src)));
    ccpl_status st = CCPL_OK;
    unsigned char chunk[1 << 16];
    for (;;) {
        const zip_int64_t k = zip_source_read(src, chunk, sizeof chunk);
        if (k < 0) {
            st = ccpl__fail(err, CCPL_E_IO, "%s: cannot write: %s", path, zip_error_strerror(zip_source_error(src)));
            break;
        }
        if (k == 0) break;
        if (fwrite(chunk, 1, (size_t)k, af->fp) != (size_t)k) {
            st = ccpl__fail(err, CCPL_E_IO, "%s: write failed: %s", path, strerror(errno));
            break;
        }
    }
    zip_source_close(src);
    return st;
}

/* The archive is assembled in memory and then written through an atomic
 * file (temporary name ".<name>.tmp-XXXXXX" beside the target, fsync, rename,
 * fsync of the folder): a process killed at any moment leaves either the old
 * file or the complete new one, never a half-written one, and a crash of the
 * machine cannot leave a renamed but empty file. (libzip's own zip_close
 * writes "<name>.XXXXXX" and renames it without any fsync, and a kill leaves
 * that temporary behind under a name nothing cleans up.) */
ccpl_status ccpl__checkpoint_save(const char *path, const ccpl__tensor_out *t, int n,
                                  ccpl_error *err) {
    for (int i = 0; i < n; i++)
        if (t[i].ndim < 0 || t[i].ndim > 4 || !t[i].name || (!t[i].data && t[i].ndim))
            return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: bad tensor %d", path, i);
    /* the temporary file first: an unwritable folder fails before any work */
    ccpl__atomic_file af;
    ccpl_status st = ccpl__atomic_open(&af, path, err);
    if (st != CCPL_OK) return st;
    buf pk = {0};
    pickle_state_dict(&pk, t, n);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = pk.oom ? NULL : zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    if (!z) {
        if (pk.oom) st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        else st = ccpl__fail(err, CCPL_E_NOMEM, "%s: cannot create: %s", path, zip_error_strerror(&ze));
        if (src) zip_source_free(src);
        zip_error_fini(&ze);
        free(pk.p);
        ccpl__atomic_abort(&af);
        return st;
    }
    zip_error_fini(&ze);
    zip_source_keep(src); /* zip_close must leave the finished archive readable */
    st = add_entry(z, path, "archive/data.pkl", pk.p, pk.n, err);
    for (int i = 0; st == CCPL_OK && i < n; i++) {
        char name[48];
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
        snprintf(name, sizeof name, "archive/data/%d", i);
        st = add_entry(z, path, name, t[i].data, numel * sizeof(float), err);
    }
    if (st == CCPL_OK) st = add_entry(z, path, "archive/version", "3\n", 2, err);
    if (st != CCPL_OK) {
        zip_discard(z);
    } else if (zip_close(z) != 0) {
        st = ccpl__fail(err, CCPL_E_IO, "%s: cannot write: %s", path, zip_strerror(z));
        zip_discard(z);
    } else {
        st = copy_out(src, &af, path, err);
    }
    zip_source_free(src);
    free(pk.p);
    if (st != CCPL_OK) {
        ccpl__atomic_abort(&af);
        return st;
    }
    return ccpl__atomic_commit(&af, err);
}
