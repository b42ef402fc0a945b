/* checkpoint_internal.h — shared state of the checkpoint readers: the common
 * part (checkpoint.c) flattens the unpickled state_dict, checks every tensor
 * against its storage and converts; the two container readers
 * (checkpoint_zip.c, checkpoint_legacy.c) run the pickle and supply the raw
 * bytes of each storage. */
#ifndef CCPL_IO_CHECKPOINT_INTERNAL_H
#define CCPL_IO_CHECKPOINT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "io/checkpoint.h"
#include "io/pickle.h"

/* Whether this process stores numbers little-endian, as checkpoints do. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CCPL__CK_LITTLE_ENDIAN 1
#else
#define CCPL__CK_LITTLE_ENDIAN 0
#endif

/* Largest tensor converted to float (elements): 8 GiB of floats. */
#define CCPL__CKPT_MAX_NUMEL ((int64_t)1 << 31)
/* Bound on what the converted tensors may add up to (elements): this many
 * plus CCPL__CKPT_MAX_ALIAS times the stored elements they read. Stride-0
 * (expanded) tensors otherwise let a file of a few hundred bytes ask for
 * 2^31 floats per tensor (found by fuzz_checkpoint, docs/FUZZING.md). */
#define CCPL__CKPT_EXPAND_SLACK ((int64_t)1 << 24)
#define CCPL__CKPT_MAX_ALIAS 4
/* Nested dicts followed when flattening or looking for the state_dict. */
#define CCPL__CKPT_MAX_DICT_DEPTH 16
/* dict entries visited when flattening or looking for the state_dict
 * (shared sub-dicts are revisited). */
#define CCPL__CKPT_MAX_VISITS ((size_t)1 << 24)

/* One root storage (by key), shared by every tensor that views it. */
typedef struct ccpl__ck_storage {
    const char *key;            /* points into the pickle arena */
    int type;                   /* pickle storage type index */
    int64_t root_numel;         /* elements, as the persistent id says */
    int64_t need;               /* elements the wanted tensors read (0: none) */
    int present;                /* data/avail are set */
    int64_t avail;              /* elements readable at data */
    const unsigned char *data;  /* element 0 of the root storage, little-endian; NULL when
                                   its one user was converted while reading (flat->pre) */
    unsigned char *owned;       /* data's block when the reader allocated it */
    int users;                  /* wanted tensors with elements that view it */
    struct ccpl__ck_flat *user; /* the last of them (the only one when users == 1) */
} ccpl__ck_storage;

typedef struct ccpl__ck_flat {
    char *name;                  /* flattened key, e.g. "state_dict.0.weight" */
    size_t key_off;              /* the state_dict key starts at name + key_off */
    int outside;                 /* not in the state_dict */
    const ccpl__pkl_tensor *t;
    const ccpl__pkl_storage *ref; /* t's storage reference (view) */
    ccpl__ck_storage *st;        /* its root storage */
    int wanted;
    float *pre;                  /* converted by the container reader (or NULL) */
} ccpl__ck_flat;

typedef struct ccpl__ck_ctx {
    const char *name; /* file name that starts every message */
    ccpl_error *err;
    ccpl__want_fn want;
    void *user;
    ccpl__pkl *pkl;
    const char *format; /* "zip" or "legacy" */
    ccpl__ck_flat *flat;
    size_t nflat, capflat;
    size_t visits;
    const ccpl__pv *sd;   /* the dict holding the state_dict (the root unless wrapped) */
    char *sd_path;        /* its dotted path with a trailing '.' ("" for the root) */
    char *wrapping;       /* sd_path plus the key prefixes stripped ("module.") */
    ccpl__ck_storage *st; /* sorted by key */
    size_t nst;
} ccpl__ck_ctx;

ccpl_status ccpl__ck_fail(ccpl__ck_ctx *c, ccpl_status st, const char *fmt, ...) CCPL__PRINTF(3, 4);

/* After the object pickle ran: flattens root into tensors, builds the storage
 * table from every storage reference, checks dtypes and bounds against the
 * persistent ids, and sets each storage's `need`. */
ccpl_status ccpl__ck_prepare(ccpl__ck_ctx *c, const ccpl__pv *root);

/* checkpoint_unwrap.c. Before flattening: finds the dict that holds the
 * state_dict inside root ({'state_dict': sd, 'epoch': 3} -> sd) and sets
 * c->sd and c->sd_path. */
ccpl_status ccpl__ck_find_state_dict(ccpl__ck_ctx *c, const ccpl__pv *root);
/* After flattening: removes the key prefixes every state_dict key shares
 * ("module." of nn.DataParallel...), sets c->wrapping and each key_off. */
ccpl_status ccpl__ck_strip_prefixes(ccpl__ck_ctx *c);

/* The storage with this key, or NULL. */
ccpl__ck_storage *ccpl__ck_find_storage(ccpl__ck_ctx *c, const char *key);

/* Container readers: run the pickle(s), call ccpl__ck_prepare, and set
 * avail/present for (at least) every storage with need > 0, and data for
 * those whose tensors they did not convert themselves (into flat->pre). */
ccpl_status ccpl__ck_read_zip(ccpl__ck_ctx *c, const unsigned char *data, size_t size);
/* The same from an open file (closed by the call, whatever happens): the
 * archive is read where it lies, never copied whole into memory. */
ccpl_status ccpl__ck_read_zip_file(ccpl__ck_ctx *c, FILE *fp);
ccpl_status ccpl__ck_read_legacy(ccpl__ck_ctx *c, const unsigned char *data, size_t size);

/* dst[0..n) = the n little-endian elements of type dt at src, as float32
 * (float16 through the F16C instruction where the processor has it). */
void ccpl__ck_convert(float *dst, const unsigned char *src, ccpl__dtype dt, size_t n);
/* Whether t's elements are consecutive in its storage (row-major). */
int ccpl__ck_contiguous(const ccpl__pkl_tensor *t);

#endif
