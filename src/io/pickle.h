/* pickle.h — a small, strict pickle interpreter for torch state_dicts.
 *
 * It understands the opcodes of protocols 0 to 5 that torch.save and Python's
 * pickler emit for plain data, and a fixed allow-list of globals:
 * collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_tensor
 * / _rebuild_parameter, the torch storage types (torch.FloatStorage, ...,
 * also torch.cuda.*) and a few torch dtypes. It never imports or calls
 * anything: REDUCE on an allowed callable builds an inert value (an empty or
 * filled dict, a tensor description); every other global is refused with
 * CCPL_E_UNSAFE ("refusing global os.system") as soon as it is named.
 *
 * Persistent ids of the torch form ('storage', StorageType, key, location,
 * numel[, view_metadata]) become STORAGE values; _rebuild_tensor* calls
 * become TENSOR values (storage, offset, shape, stride: no data is read).
 *
 * Everything is bounded: mark depth, stack, memo, total values and container
 * items, tensors and storages; every length is checked against the bytes
 * left, and nothing recurses over input-driven structure. All values live in
 * the interpreter's arena and stay valid until ccpl__pkl_free. */
#ifndef CCPL_IO_PICKLE_H
#define CCPL_IO_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ccpl/ccpl.h"
#include "io/checkpoint.h"

#define CCPL__PKL_MAX_MARKS 64            /* nested MARKs (tuples/lists/dicts being built) */
#define CCPL__PKL_MAX_STACK (1u << 20)    /* values on the stack */
#define CCPL__PKL_MAX_MEMO (1u << 20)     /* memo index bound */
#define CCPL__PKL_MAX_VALUES (1u << 24)   /* values created per interpreter */
#define CCPL__PKL_MAX_ITEMS (1u << 25)    /* container slots per interpreter */
#define CCPL__PKL_MAX_TENSORS 100000      /* tensors per interpreter */
#define CCPL__PKL_MAX_STORAGES 100000     /* storage references per interpreter */

typedef enum ccpl__pv_kind {
    CCPL__PV_NONE = 0,
    CCPL__PV_BOOL,
    CCPL__PV_INT,     /* fits int64 */
    CCPL__PV_BIGINT,  /* does not fit int64: sign + magnitude */
    CCPL__PV_FLOAT,
    CCPL__PV_STR,     /* text (UTF-8 bytes; Python 2 str kept as bytes) */
    CCPL__PV_BYTES,
    CCPL__PV_TUPLE,
    CCPL__PV_LIST,
    CCPL__PV_SET,
    CCPL__PV_DICT,    /* dict or OrderedDict, pairs in insertion order */
    CCPL__PV_GLOBAL,  /* an allow-listed global, inert */
    CCPL__PV_STORAGE, /* a persistent-id storage reference */
    CCPL__PV_TENSOR   /* a rebuilt tensor (description only) */
} ccpl__pv_kind;

typedef enum ccpl__pkl_global {
    CCPL__G_ORDERED_DICT = 0,
    CCPL__G_REBUILD_TENSOR_V2,
    CCPL__G_REBUILD_TENSOR,
    CCPL__G_REBUILD_PARAMETER,
    CCPL__G_STORAGE_TYPE, /* sub: storage type index */
    CCPL__G_DTYPE         /* sub: ccpl__dtype */
} ccpl__pkl_global;

typedef struct ccpl__pv ccpl__pv;

typedef struct ccpl__pkl_storage {
    int type;            /* storage type index (ccpl__pkl_storage_type_*) */
    char *key;           /* NUL-terminated root storage key ("0", "140737...") */
    int64_t root_numel;  /* elements of the root storage, as the id says */
    int64_t base;        /* element offset of this view in the root (legacy views; else 0) */
    int64_t numel;       /* elements visible through this reference */
} ccpl__pkl_storage;

typedef struct ccpl__pkl_tensor {
    const ccpl__pv *storage; /* a CCPL__PV_STORAGE value */
    int64_t offset;          /* in elements, relative to the storage view */
    int ndim;
    int64_t shape[CCPL__MAX_DIMS];
    int64_t stride[CCPL__MAX_DIMS];
    int64_t numel;
    int64_t max_index;       /* offset + sum (shape-1)*stride; -1 when numel == 0 */
} ccpl__pkl_tensor;

struct ccpl__pv {
    ccpl__pv_kind kind;
    unsigned char owned; /* STR/BYTES: s.p is ours to free */
    union {
        int b;
        int64_t i;
        double f;
        struct { const char *p; size_t n; } s;                 /* STR, BYTES */
        struct { unsigned char *mag; size_t n; int neg; } big; /* BIGINT, little-endian magnitude */
        struct { ccpl__pv **v; size_t n, cap; } seq;           /* TUPLE/LIST/SET; DICT: v[2k] key, v[2k+1] value */
        struct { ccpl__pkl_global g; int sub; } glob;
        ccpl__pkl_storage *st;
        ccpl__pkl_tensor *t;
    } u;
};

typedef struct ccpl__pkl ccpl__pkl;

/* NULL when out of memory. */
ccpl__pkl *ccpl__pkl_new(void);
void ccpl__pkl_free(ccpl__pkl *p);

/* Runs one pickle starting at data[0] (at most size bytes). On success *out is
 * the unpickled object and *used the bytes read up to and including STOP.
 * Several pickles may run in one interpreter (each with a fresh stack and
 * memo); all their values stay valid. `name` starts every message; `base` is
 * added to the byte offsets that messages quote. */
ccpl_status ccpl__pkl_run(ccpl__pkl *p, const unsigned char *data, size_t size, size_t base,
                          const char *name, const ccpl__pv **out, size_t *used,
                          ccpl_error *err);

/* Every storage reference made so far, in order of appearance. */
const ccpl__pv *const *ccpl__pkl_storages(const ccpl__pkl *p, size_t *n);

/* Storage types: "torch.FloatStorage", bytes per element, and its ccpl__dtype
 * (-1 for types this library does not read: complex, quantized, untyped). */
const char *ccpl__pkl_storage_type_name(int type);
int ccpl__pkl_storage_type_elsize(int type);
int ccpl__pkl_storage_type_dtype(int type);

/* Python-ish name of a value kind for messages ("dict", "tensor", ...). */
const char *ccpl__pv_kind_name(ccpl__pv_kind kind);

/* Copies s[0..n) into dst (capacity cap >= 4) for a one-line message:
 * control and non-ASCII bytes become '?', long strings end in "...". */
void ccpl__pkl_printable(char *dst, size_t cap, const char *s, size_t n);

#endif
