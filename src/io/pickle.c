/* pickle.c — the strict pickle interpreter of pickle.h.
 *
 * Semantics follow CPython's Lib/pickle.py _Unpickler: a value stack with
 * marks (a MARK hides everything below it until the opcode that pops it),
 * a memo indexed by PUT/BINPUT/MEMOIZE, and STOP returning the top value.
 * Opcodes that would call or instantiate arbitrary Python (INST, OBJ, EXT*,
 * REDUCE/NEWOBJ on anything outside the allow-list) are refused. */
#include "io/pickle.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define BLOCK_VALUES 1024
#define MAX_GLOBAL_LINE 256  /* module or name of a GLOBAL */
#define MAX_NUMBER_LINE 4096 /* digits of a text INT/LONG/FLOAT */

typedef struct pv_block {
    struct pv_block *next;
    size_t used;
    ccpl__pv v[BLOCK_VALUES];
} pv_block;

struct ccpl__pkl {
    pv_block *blocks;
    size_t nvalues;
    size_t nitems; /* container slots handed out */
    size_t ntensors;

    ccpl__pv **stack;
    size_t sp, stack_cap;
    size_t marks[CCPL__PKL_MAX_MARKS];
    int nmarks;

    ccpl__pv **memo;
    size_t memo_cap;   /* allocated slots */
    size_t memo_count; /* slots set (len(memo) in Python, for MEMOIZE) */

    ccpl__pv **storages;
    size_t nstorages, storages_cap;

    ccpl__pv none_v, true_v, false_v;

    /* the current run */
    const unsigned char *buf;
    size_t size, pos, base, op_pos;
    const char *name;
    ccpl_error *err;
    ccpl_status last; /* status of the last failure (err may be NULL) */
};

/* ---- storage types and globals ----------------------------------------- */

static const struct {
    const char *name; /* attribute of torch (and torch.cuda) */
    int dtype;        /* ccpl__dtype or -1 */
    int elsize;
} storage_types[] = {
    {"FloatStorage", CCPL__DT_F32, 4},
    {"HalfStorage", CCPL__DT_F16, 2},
    {"BFloat16Storage", CCPL__DT_BF16, 2},
    {"DoubleStorage", CCPL__DT_F64, 8},
    /* Integer and bool tensors (num_batches_tracked, step counters) are
     * listed but never converted: no weight is an integer. */
    {"LongStorage", CCPL__DT_I64, 8},
    {"IntStorage", CCPL__DT_I32, 4},
    {"ShortStorage", CCPL__DT_I16, 2},
    {"CharStorage", CCPL__DT_I8, 1},
    {"ByteStorage", CCPL__DT_U8, 1},
    {"BoolStorage", CCPL__DT_BOOL, 1},
    /* Known but not read: a tensor of one of these in a state_dict is a
     * format error naming the tensor; their sizes let legacy streams be
     * walked past them. */
    {"ComplexFloatStorage", -1, 8},
    {"ComplexDoubleStorage", -1, 16},
    {"QInt8Storage", -1, 1},
    {"QUInt8Storage", -1, 1},
    {"QInt32Storage", -1, 4},
    {"QUInt4x2Storage", -1, 1},
    {"QUInt2x4Storage", -1, 1},
    {"UntypedStorage", -1, 1},
};
#define N_STORAGE_TYPES ((int)(sizeof storage_types / sizeof storage_types[0]))

static const char *const storage_type_full[N_STORAGE_TYPES] = {
    "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage",
    "torch.DoubleStorage", "torch.LongStorage", "torch.IntStorage",
    "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
    "torch.BoolStorage", "torch.ComplexFloatStorage", "torch.ComplexDoubleStorage",
    "torch.QInt8Storage", "torch.QUInt8Storage", "torch.QInt32Storage",
    "torch.QUInt4x2Storage", "torch.QUInt2x4Storage", "torch.UntypedStorage",
};

const char *ccpl__pkl_storage_type_name(int type) {
    return type >= 0 && type < N_STORAGE_TYPES ? storage_type_full[type] : "unknown storage";
}

int ccpl__pkl_storage_type_elsize(int type) {
    return type >= 0 && type < N_STORAGE_TYPES ? storage_types[type].elsize : 0;
}

int ccpl__pkl_storage_type_dtype(int type) {
    return type >= 0 && type < N_STORAGE_TYPES ? storage_types[type].dtype : -1;
}

static const struct {
    const char *module, *name;
    ccpl__pkl_global g;
    int sub;
} allowed_globals[] = {
    {"collections", "OrderedDict", CCPL__G_ORDERED_DICT, 0},
    {"torch._utils", "_rebuild_tensor_v2", CCPL__G_REBUILD_TENSOR_V2, 0},
    {"torch._utils", "_rebuild_tensor", CCPL__G_REBUILD_TENSOR, 0},
    {"torch._utils", "_rebuild_parameter", CCPL__G_REBUILD_PARAMETER, 0},
    /* dtypes may appear as inert values (tensor metadata of newer torch) */
    {"torch", "float32", CCPL__G_DTYPE, CCPL__DT_F32},
    {"torch", "float", CCPL__G_DTYPE, CCPL__DT_F32},
    {"torch", "float16", CCPL__G_DTYPE, CCPL__DT_F16},
    {"torch", "half", CCPL__G_DTYPE, CCPL__DT_F16},
    {"torch", "bfloat16", CCPL__G_DTYPE, CCPL__DT_BF16},
    {"torch", "float64", CCPL__G_DTYPE, CCPL__DT_F64},
    {"torch", "double", CCPL__G_DTYPE, CCPL__DT_F64},
    {"torch", "int64", CCPL__G_DTYPE, CCPL__DT_I64},
    {"torch", "long", CCPL__G_DTYPE, CCPL__DT_I64},
    {"torch", "int32", CCPL__G_DTYPE, CCPL__DT_I32},
    {"torch", "int", CCPL__G_DTYPE, CCPL__DT_I32},
    {"torch", "int16", CCPL__G_DTYPE, CCPL__DT_I16},
    {"torch", "short", CCPL__G_DTYPE, CCPL__DT_I16},
    {"torch", "int8", CCPL__G_DTYPE, CCPL__DT_I8},
    {"torch", "uint8", CCPL__G_DTYPE, CCPL__DT_U8},
    {"torch", "bool", CCPL__G_DTYPE, CCPL__DT_BOOL},
};

static int eq_mem(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* 1 (and the tag in g, sub) when module.name is allowed. Storage types are accepted from
 * torch and torch.cuda (old legacy files saved on a GPU name the latter). */
static int lookup_global(const char *mod, size_t modn, const char *name, size_t namen,
                         ccpl__pkl_global *g, int *sub) {
    for (size_t i = 0; i < sizeof allowed_globals / sizeof allowed_globals[0]; i++) {
        if (eq_mem(mod, modn, allowed_globals[i].module) &&
            eq_mem(name, namen, allowed_globals[i].name)) {
            *g = allowed_globals[i].g;
            *sub = allowed_globals[i].sub;
            return 1;
        }
    }
    if (eq_mem(mod, modn, "torch") || eq_mem(mod, modn, "torch.cuda")) {
        for (int i = 0; i < N_STORAGE_TYPES; i++) {
            if (eq_mem(name, namen, storage_types[i].name)) {
                *g = CCPL__G_STORAGE_TYPE;
                *sub = i;
                return 1;
            }
        }
    }
    return 0;
}

static const char *global_name(const ccpl__pv *v, char *buf, size_t cap) {
    switch (v->u.glob.g) {
    case CCPL__G_ORDERED_DICT: return "collections.OrderedDict";
    case CCPL__G_REBUILD_TENSOR_V2: return "torch._utils._rebuild_tensor_v2";
    case CCPL__G_REBUILD_TENSOR: return "torch._utils._rebuild_tensor";
    case CCPL__G_REBUILD_PARAMETER: return "torch._utils._rebuild_parameter";
    case CCPL__G_STORAGE_TYPE: return ccpl__pkl_storage_type_name(v->u.glob.sub);
    case CCPL__G_DTYPE:
        snprintf(buf, cap, "torch.%s", ccpl__dtype_name((ccpl__dtype)v->u.glob.sub));
        return buf;
    }
    return "?";
}

const char *ccpl__pv_kind_name(ccpl__pv_kind kind) {
    switch (kind) {
    case CCPL__PV_NONE: return "None";
    case CCPL__PV_BOOL: return "bool";
    case CCPL__PV_INT:
    case CCPL__PV_BIGINT: return "int";
    case CCPL__PV_FLOAT: return "float";
    case CCPL__PV_STR: return "str";
    case CCPL__PV_BYTES: return "bytes";
    case CCPL__PV_TUPLE: return "tuple";
    case CCPL__PV_LIST: return "list";
    case CCPL__PV_SET: return "set";
    case CCPL__PV_DICT: return "dict";
    case CCPL__PV_GLOBAL: return "global";
    case CCPL__PV_STORAGE: return "storage";
    case CCPL__PV_TENSOR: return "tensor";
    }
    return "?";
}

void ccpl__pkl_printable(char *dst, size_t cap, const char *s, size_t n) {
    if (cap < 4) {
        if (cap) dst[0] = '\0';
        return;
    }
    size_t keep = n < cap ? n : cap - 4; /* room for "..." when cut */
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (keep < n)
        memcpy(dst + keep, "...", 4);
    else
        dst[keep] = '\0';
}

/* ---- errors --------------------------------------------------------- */

static ccpl_status pfail(ccpl__pkl *p, ccpl_status st, const char *fmt, ...) CCPL__PRINTF(3, 4);

static ccpl_status pfail(ccpl__pkl *p, ccpl_status st, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->last = st;
    return ccpl__fail(p->err, st, "%s: %s", p->name, msg);
}

static ccpl_status truncated(ccpl__pkl *p, size_t need) {
    return pfail(p, CCPL_E_FORMAT,
                 "truncated: pickle opcode 0x%02x at byte %zu needs %zu more bytes, %zu left",
                 p->buf[p->op_pos], p->base + p->op_pos, need, p->size - p->pos);
}

static ccpl_status nomem(ccpl__pkl *p) {
    return pfail(p, CCPL_E_NOMEM, "out of memory while reading the pickle");
}

/* ---- arena ---------------------------------------------------------- */

static void pv_release(ccpl__pv *v) {
    switch (v->kind) {
    case CCPL__PV_STR:
    case CCPL__PV_BYTES:
        if (v->owned) free((void *)v->u.s.p);
        break;
    case CCPL__PV_BIGINT: free(v->u.big.mag); break;
    case CCPL__PV_TUPLE:
    case CCPL__PV_LIST:
    case CCPL__PV_SET:
    case CCPL__PV_DICT: free(v->u.seq.v); break;
    case CCPL__PV_STORAGE:
        if (v->u.st) free(v->u.st->key);
        free(v->u.st);
        break;
    case CCPL__PV_TENSOR: free(v->u.t); break;
    default: break;
    }
}

ccpl__pkl *ccpl__pkl_new(void) {
    ccpl__pkl *p = (ccpl__pkl *)calloc(1, sizeof *p);
    if (!p) return NULL;
    p->none_v.kind = CCPL__PV_NONE;
    p->true_v.kind = CCPL__PV_BOOL;
    p->true_v.u.b = 1;
    p->false_v.kind = CCPL__PV_BOOL;
    p->false_v.u.b = 0;
    p->stack_cap = 64; /* never NULL: pop_mark takes stack + mark */
    p->stack = (ccpl__pv **)malloc(p->stack_cap * sizeof *p->stack);
    if (!p->stack) {
        free(p);
        return NULL;
    }
    return p;
}

void ccpl__pkl_free(ccpl__pkl *p) {
    if (!p) return;
    pv_block *b = p->blocks;
    while (b) {
        pv_block *next = b->next;
        for (size_t i = 0; i < b->used; i++) pv_release(&b->v[i]);
        free(b);
        b = next;
    }
    free(p->stack);
    free(p->memo);
    free(p->storages);
    free(p);
}

const ccpl__pv *const *ccpl__pkl_storages(const ccpl__pkl *p, size_t *n) {
    *n = p->nstorages;
    return (const ccpl__pv *const *)p->storages;
}

/* A zeroed value of `kind`, or NULL with the error set. */
static ccpl__pv *pv_new(ccpl__pkl *p, ccpl__pv_kind kind) {
    if (p->nvalues >= CCPL__PKL_MAX_VALUES) {
        pfail(p, CCPL_E_TOO_LARGE, "pickle creates more than %u values (safety limit)",
              (unsigned)CCPL__PKL_MAX_VALUES);
        return NULL;
    }
    if (!p->blocks || p->blocks->used == BLOCK_VALUES) {
        pv_block *b = (pv_block *)malloc(sizeof *b);
        if (!b) {
            nomem(p);
            return NULL;
        }
        b->next = p->blocks;
        b->used = 0;
        p->blocks = b;
    }
    ccpl__pv *v = &p->blocks->v[p->blocks->used++];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    p->nvalues++;
    return v;
}

/* Reserves room for `extra` more items in a container. */
static ccpl_status seq_reserve(ccpl__pkl *p, ccpl__pv *c, size_t extra) {
    if (extra > CCPL__PKL_MAX_ITEMS - p->nitems)
        return pfail(p, CCPL_E_TOO_LARGE, "pickle containers hold more than %u items (safety limit)",
                     (unsigned)CCPL__PKL_MAX_ITEMS);
    size_t need = c->u.seq.n + extra;
    if (need > c->u.seq.cap) {
        size_t cap = c->u.seq.cap ? c->u.seq.cap : 4;
        while (cap < need) cap *= 2; /* need <= 2^25: no overflow */
        ccpl__pv **v = (ccpl__pv **)realloc(c->u.seq.v, cap * sizeof *v);
        if (!v) return nomem(p);
        c->u.seq.v = v;
        c->u.seq.cap = cap;
    }
    p->nitems += extra;
    return CCPL_OK;
}

/* A container of `kind` holding items[0..n). */
static ccpl__pv *seq_new(ccpl__pkl *p, ccpl__pv_kind kind, ccpl__pv *const *items, size_t n) {
    ccpl__pv *c = pv_new(p, kind);
    if (!c) return NULL;
    if (n) {
        if (seq_reserve(p, c, n) != CCPL_OK) return NULL;
        memcpy(c->u.seq.v, items, n * sizeof *items);
        c->u.seq.n = n;
    }
    return c;
}

/* ---- stack, marks, memo -------------------------------------------- */

static size_t mark_base(const ccpl__pkl *p) {
    return p->nmarks ? p->marks[p->nmarks - 1] : 0;
}

/* values above the innermost mark */
static size_t avail(const ccpl__pkl *p) {
    return p->sp - mark_base(p);
}

static ccpl_status push(ccpl__pkl *p, ccpl__pv *v) {
    if (!v) return p->last;
    if (p->sp == p->stack_cap) {
        if (p->stack_cap >= CCPL__PKL_MAX_STACK)
            return pfail(p, CCPL_E_TOO_LARGE, "pickle stack deeper than %u values (safety limit)",
                         (unsigned)CCPL__PKL_MAX_STACK);
        size_t cap = p->stack_cap * 2;
        ccpl__pv **s = (ccpl__pv **)realloc(p->stack, cap * sizeof *s);
        if (!s) return nomem(p);
        p->stack = s;
        p->stack_cap = cap;
    }
    p->stack[p->sp++] = v;
    return CCPL_OK;
}

static ccpl_status underflow(ccpl__pkl *p) {
    return pfail(p, CCPL_E_FORMAT, "malformed pickle: opcode 0x%02x at byte %zu on an empty stack",
                 p->buf[p->op_pos], p->base + p->op_pos);
}

/* Pops the values above the innermost mark: *items points at them (valid
 * until the next push) and *n is their count. */
static ccpl_status pop_mark(ccpl__pkl *p, ccpl__pv ***items, size_t *n) {
    if (!p->nmarks)
        return pfail(p, CCPL_E_FORMAT, "malformed pickle: opcode 0x%02x at byte %zu without a MARK",
                     p->buf[p->op_pos], p->base + p->op_pos);
    size_t m = p->marks[--p->nmarks];
    *items = p->stack + m;
    *n = p->sp - m;
    p->sp = m;
    return CCPL_OK;
}

static ccpl_status memo_put(ccpl__pkl *p, uint64_t idx) {
    if (!avail(p)) return underflow(p);
    if (idx >= CCPL__PKL_MAX_MEMO)
        return pfail(p, CCPL_E_TOO_LARGE, "pickle memo index %llu over %u (safety limit)",
                     (unsigned long long)idx, (unsigned)CCPL__PKL_MAX_MEMO);
    if (idx >= p->memo_cap) {
        size_t cap = p->memo_cap ? p->memo_cap : 64;
        while (cap <= idx) cap *= 2;
        ccpl__pv **m = (ccpl__pv **)realloc(p->memo, cap * sizeof *m);
        if (!m) return nomem(p);
        memset(m + p->memo_cap, 0, (cap - p->memo_cap) * sizeof *m);
        p->memo = m;
        p->memo_cap = cap;
    }
    if (!p->memo[idx]) p->memo_count++;
    p->memo[idx] = p->stack[p->sp - 1];
    return CCPL_OK;
}

static ccpl_status memo_get(ccpl__pkl *p, uint64_t idx) {
    if (idx >= p->memo_cap || !p->memo[idx])
        return pfail(p, CCPL_E_FORMAT, "malformed pickle: memo entry %llu read at byte %zu was never set",
                     (unsigned long long)idx, p->base + p->op_pos);
    return push(p, p->memo[idx]);
}

/* ---- reading ------------------------------------------------------- */

static ccpl_status need(ccpl__pkl *p, uint64_t n) {
    if (n > p->size - p->pos) return truncated(p, (size_t)(n > SIZE_MAX ? SIZE_MAX : n));
    return CCPL_OK;
}

static uint64_t rd_le(const unsigned char *b, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

/* Reads n little-endian bytes as an unsigned number. */
static ccpl_status rd_uint(ccpl__pkl *p, int n, uint64_t *v) {
    ccpl_status st = need(p, (uint64_t)n);
    if (st) return st;
    *v = rd_le(p->buf + p->pos, n);
    p->pos += (size_t)n;
    return CCPL_OK;
}

/* A line up to '\n' (excluded); the position moves past the newline. */
static ccpl_status rd_line(ccpl__pkl *p, const char **s, size_t *n) {
    const unsigned char *start = p->buf + p->pos;
    const unsigned char *nl = (const unsigned char *)memchr(start, '\n', p->size - p->pos);
    if (!nl)
        return pfail(p, CCPL_E_FORMAT, "truncated: pickle opcode 0x%02x at byte %zu has no end of line",
                     p->buf[p->op_pos], p->base + p->op_pos);
    *s = (const char *)start;
    *n = (size_t)(nl - start);
    p->pos += *n + 1;
    return CCPL_OK;
}

static void strip_cr(const char *s, size_t *n) {
    while (*n && (s[*n - 1] == '\r' || s[*n - 1] == ' ')) (*n)--;
    (void)s;
}

/* ---- values --------------------------------------------------------- */

static ccpl__pv *new_int(ccpl__pkl *p, int64_t i) {
    ccpl__pv *v = pv_new(p, CCPL__PV_INT);
    if (v) v->u.i = i;
    return v;
}

/* A BIGINT from a little-endian magnitude (copied, trimmed), or an INT when
 * it fits. */
static ccpl__pv *new_bigint(ccpl__pkl *p, const unsigned char *mag, size_t n, int neg) {
    while (n && mag[n - 1] == 0) n--;
    if (n <= 8) {
        uint64_t m = rd_le(mag, (int)n);
        if (!neg && m <= (uint64_t)INT64_MAX) return new_int(p, (int64_t)m);
        if (neg && m <= (uint64_t)INT64_MAX + 1u)
            return new_int(p, m == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)m);
    }
    ccpl__pv *v = pv_new(p, CCPL__PV_BIGINT);
    if (!v) return NULL;
    v->u.big.mag = (unsigned char *)malloc(n);
    if (!v->u.big.mag) {
        nomem(p);
        return NULL;
    }
    memcpy(v->u.big.mag, mag, n);
    v->u.big.n = n;
    v->u.big.neg = neg;
    return v;
}

/* LONG1/LONG4 payload: little-endian two's complement. */
static ccpl__pv *new_long_bytes(ccpl__pkl *p, const unsigned char *b, size_t n) {
    if (n == 0) return new_int(p, 0);
    int neg = (b[n - 1] & 0x80) != 0;
    if (!neg) return new_bigint(p, b, n, 0);
    unsigned char *mag = (unsigned char *)malloc(n);
    if (!mag) {
        nomem(p);
        return NULL;
    }
    unsigned carry = 1; /* magnitude = ~b + 1 */
    for (size_t i = 0; i < n; i++) {
        unsigned x = (unsigned)(unsigned char)~b[i] + carry;
        mag[i] = (unsigned char)x;
        carry = x >> 8;
    }
    ccpl__pv *v = new_bigint(p, mag, n, 1);
    free(mag);
    return v;
}

/* Text integer ("-12", "123L", "01"): decimal, any length up to the limit. */
static ccpl__pv *new_text_int(ccpl__pkl *p, const char *s, size_t n) {
    strip_cr(s, &n);
    if (n && s[n - 1] == 'L') n--;
    int neg = 0;
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (i == n || n - i > MAX_NUMBER_LINE) {
        pfail(p, CCPL_E_FORMAT, "malformed pickle: bad integer text at byte %zu", p->base + p->op_pos);
        return NULL;
    }
    size_t cap = (n - i) / 2 + 2;
    unsigned char *mag = (unsigned char *)calloc(cap, 1);
    if (!mag) {
        nomem(p);
        return NULL;
    }
    size_t len = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            free(mag);
            pfail(p, CCPL_E_FORMAT, "malformed pickle: bad integer text at byte %zu", p->base + p->op_pos);
            return NULL;
        }
        unsigned carry = (unsigned)(s[i] - '0'); /* mag = mag*10 + digit */
        for (size_t k = 0; k < len; k++) {
            unsigned x = mag[k] * 10u + carry;
            mag[k] = (unsigned char)x;
            carry = x >> 8;
        }
        if (carry) mag[len++] = (unsigned char)carry; /* carry < 256 here */
    }
    ccpl__pv *v = new_bigint(p, mag, len, neg);
    free(mag);
    return v;
}

static ccpl__pv *new_str(ccpl__pkl *p, ccpl__pv_kind kind, const char *s, size_t n, int copy) {
    ccpl__pv *v = pv_new(p, kind);
    if (!v) return NULL;
    if (copy) {
        char *c = (char *)malloc(n + 1);
        if (!c) {
            nomem(p);
            return NULL;
        }
        memcpy(c, s, n);
        c[n] = '\0';
        v->u.s.p = c;
        v->owned = 1;
    } else {
        v->u.s.p = s;
    }
    v->u.s.n = n;
    return v;
}

/* A STR value taking ownership of the decoded text d (k bytes, room for k+1). */
static ccpl__pv *owned_str(ccpl__pkl *p, char *d, size_t k) {
    d[k] = '\0';
    ccpl__pv *v = pv_new(p, CCPL__PV_STR);
    if (!v) {
        free(d);
        return NULL;
    }
    v->u.s.p = d;
    v->u.s.n = k;
    v->owned = 1;
    return v;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *d, uint32_t cp) {
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* UNICODE (protocol 0): raw-unicode-escape, i.e. bytes are Latin-1 code
 * points except \uXXXX and \UXXXXXXXX. Result is UTF-8. */
static ccpl__pv *new_raw_unicode(ccpl__pkl *p, const char *s, size_t n) {
    if (n > (SIZE_MAX - 1) / 2) {
        nomem(p);
        return NULL;
    }
    char *d = (char *)malloc(2 * n + 1); /* each input byte gives <= 2 bytes; escapes shrink */
    if (!d) {
        nomem(p);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
            int digits = s[i + 1] == 'u' ? 4 : 8;
            uint32_t cp = 0;
            if (i + 2 + (size_t)digits > n) goto bad;
            for (int j = 0; j < digits; j++) {
                int h = hexval(s[i + 2 + (size_t)j]);
                if (h < 0) goto bad;
                cp = (cp << 4) | (uint32_t)h;
            }
            if (cp > 0x10ffff) goto bad;
            k += put_utf8(d + k, cp); /* <= 4 bytes for >= 6 input bytes */
            i += 2 + (size_t)digits;
        } else {
            k += put_utf8(d + k, c);
            i++;
        }
    }
    return owned_str(p, d, k);
bad:
    free(d);
    pfail(p, CCPL_E_FORMAT, "malformed pickle: bad \\u escape in text at byte %zu", p->base + p->op_pos);
    return NULL;
}

/* STRING (protocol 0, Python 2 str): a quoted repr with backslash escapes. */
static ccpl__pv *new_quoted_string(ccpl__pkl *p, const char *s, size_t n) {
    strip_cr(s, &n);
    if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0]) {
        pfail(p, CCPL_E_FORMAT, "malformed pickle: STRING at byte %zu is not quoted", p->base + p->op_pos);
        return NULL;
    }
    s++;
    n -= 2;
    char *d = (char *)malloc(n + 1);
    if (!d) {
        nomem(p);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            d[k++] = s[i++];
            continue;
        }
        if (i + 1 >= n) goto bad;
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '\\': d[k++] = '\\'; break;
        case '\'': d[k++] = '\''; break;
        case '"': d[k++] = '"'; break;
        case 'n': d[k++] = '\n'; break;
        case 'r': d[k++] = '\r'; break;
        case 't': d[k++] = '\t'; break;
        case 'a': d[k++] = '\a'; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'v': d[k++] = '\v'; break;
        case 'x': {
            int h1 = i < n ? hexval(s[i]) : -1, h2 = i + 1 < n ? hexval(s[i + 1]) : -1;
            if (h1 < 0 || h2 < 0) goto bad;
            d[k++] = (char)(h1 * 16 + h2);
            i += 2;
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                unsigned o = (unsigned)(e - '0');
                for (int j = 0; j < 2 && i < n && s[i] >= '0' && s[i] <= '7'; j++)
                    o = o * 8 + (unsigned)(s[i++] - '0');
                d[k++] = (char)(o & 0xff);
            } else {
                d[k++] = '\\'; /* unknown escapes stay as written */
                d[k++] = e;
            }
        }
    }
    return owned_str(p, d, k);
bad:
    free(d);
    pfail(p, CCPL_E_FORMAT, "malformed pickle: bad escape in STRING at byte %zu", p->base + p->op_pos);
    return NULL;
}

/* Counted string/bytes: length field of lenbytes bytes, then the payload. */
static ccpl_status op_counted(ccpl__pkl *p, int lenbytes, int is_signed, ccpl__pv_kind kind) {
    uint64_t len = 0;
    ccpl_status st = rd_uint(p, lenbytes, &len);
    if (st) return st;
    if (is_signed && (len & 0x80000000u))
        return pfail(p, CCPL_E_FORMAT, "malformed pickle: negative length at byte %zu", p->base + p->op_pos);
    if ((st = need(p, len))) return st;
    const char *s = (const char *)p->buf + p->pos;
    p->pos += (size_t)len;
    return push(p, new_str(p, kind, s, (size_t)len, 0));
}

/* ---- globals, calls, persistent ids --------------------------------- */

static ccpl_status refuse_global(ccpl__pkl *p, const char *mod, size_t modn, const char *name,
                                 size_t namen) {
    char m[128], n[128];
    ccpl__pkl_printable(m, sizeof m, mod, modn);
    ccpl__pkl_printable(n, sizeof n, name, namen);
    /* torch.save(model) pickles the module classes themselves: say so, the
     * fix (saving model.state_dict()) is the user's */
    if (modn > 9 && memcmp(mod, "torch.nn.", 9) == 0)
        return pfail(p, CCPL_E_UNSAFE,
                     "refusing global %s.%s (pickle byte %zu): the file holds a whole pickled model "
                     "(torch.save(model)); only state_dicts are read: save model.state_dict() instead",
                     m, n, p->base + p->op_pos);
    return pfail(p, CCPL_E_UNSAFE,
                 "refusing global %s.%s (pickle byte %zu): only torch tensor/state_dict globals are allowed",
                 m, n, p->base + p->op_pos);
}

static ccpl_status push_global(ccpl__pkl *p, const char *mod, size_t modn, const char *name,
                               size_t namen) {
    ccpl__pkl_global g;
    int sub;
    if (!lookup_global(mod, modn, name, namen, &g, &sub)) return refuse_global(p, mod, modn, name, namen);
    ccpl__pv *v = pv_new(p, CCPL__PV_GLOBAL);
    if (v) {
        v->u.glob.g = g;
        v->u.glob.sub = sub;
    }
    return push(p, v);
}

static int as_int(const ccpl__pv *v, int64_t *out) {
    if (v->kind == CCPL__PV_INT) {
        *out = v->u.i;
        return 1;
    }
    if (v->kind == CCPL__PV_BOOL) {
        *out = v->u.b;
        return 1;
    }
    return 0;
}

static ccpl_status bad_pid(ccpl__pkl *p, const char *why) {
    return pfail(p, CCPL_E_FORMAT, "unsupported persistent id at pickle byte %zu: %s",
                 p->base + p->op_pos, why);
}

/* BINPERSID: ('storage', StorageType, key, location, numel[, view_metadata]). */
static ccpl_status op_persid(ccpl__pkl *p) {
    if (!avail(p)) return underflow(p);
    const ccpl__pv *pid = p->stack[--p->sp];
    if (pid->kind != CCPL__PV_TUPLE || (pid->u.seq.n != 5 && pid->u.seq.n != 6))
        return bad_pid(p, "expected a tuple ('storage', type, key, location, numel[, view])");
    ccpl__pv *const *a = pid->u.seq.v;
    if (a[0]->kind != CCPL__PV_STR || !eq_mem(a[0]->u.s.p, a[0]->u.s.n, "storage"))
        return bad_pid(p, "first item is not 'storage'");
    if (a[1]->kind != CCPL__PV_GLOBAL || a[1]->u.glob.g != CCPL__G_STORAGE_TYPE)
        return bad_pid(p, "second item is not a torch storage type");
    if (a[2]->kind != CCPL__PV_STR || a[2]->u.s.n == 0 || a[2]->u.s.n > 256 ||
        memchr(a[2]->u.s.p, '\0', a[2]->u.s.n))
        return bad_pid(p, "storage key is not a short string");
    if (a[3]->kind != CCPL__PV_STR) return bad_pid(p, "location is not a string");
    int64_t numel;
    if (!as_int(a[4], &numel) || numel < 0) return bad_pid(p, "storage size is not a non-negative int");
    int64_t base = 0, vnumel = numel;
    if (pid->u.seq.n == 6 && a[5]->kind != CCPL__PV_NONE) {
        const ccpl__pv *vm = a[5];
        if (vm->kind != CCPL__PV_TUPLE || vm->u.seq.n != 3 || !as_int(vm->u.seq.v[1], &base) ||
            !as_int(vm->u.seq.v[2], &vnumel) || base < 0 || vnumel < 0 || base > numel ||
            vnumel > numel - base)
            return bad_pid(p, "storage view outside its storage");
    }
    if (p->nstorages >= CCPL__PKL_MAX_STORAGES)
        return pfail(p, CCPL_E_TOO_LARGE, "pickle references more than %u storages (safety limit)",
                     (unsigned)CCPL__PKL_MAX_STORAGES);
    if (p->nstorages == p->storages_cap) {
        size_t cap = p->storages_cap ? p->storages_cap * 2 : 64;
        ccpl__pv **s = (ccpl__pv **)realloc(p->storages, cap * sizeof *s);
        if (!s) return nomem(p);
        p->storages = s;
        p->storages_cap = cap;
    }
    ccpl__pv *v = pv_new(p, CCPL__PV_STORAGE);
    if (!v) return p->last;
    ccpl__pkl_storage *st = (ccpl__pkl_storage *)calloc(1, sizeof *st);
    char *key = (char *)malloc(a[2]->u.s.n + 1);
    if (!st || !key) {
        free(st);
        free(key);
        return nomem(p);
    }
    memcpy(key, a[2]->u.s.p, a[2]->u.s.n);
    key[a[2]->u.s.n] = '\0';
    st->type = a[1]->u.glob.sub;
    st->key = key;
    st->root_numel = numel;
    st->base = base;
    st->numel = vnumel;
    v->u.st = st;
    p->storages[p->nstorages++] = v;
    return push(p, v);
}

static ccpl_status bad_args(ccpl__pkl *p, const char *fn, const char *why) {
    return pfail(p, CCPL_E_FORMAT, "unsupported %s call at pickle byte %zu: %s", fn,
                 p->base + p->op_pos, why);
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])
 * and _rebuild_tensor(storage, offset, size, stride). */
static ccpl_status rebuild_tensor(ccpl__pkl *p, const ccpl__pv *args, const char *fn) {
    size_t n = args->u.seq.n;
    ccpl__pv *const *a = args->u.seq.v;
    if (strcmp(fn, "_rebuild_tensor") == 0 ? n != 4 : (n != 6 && n != 7))
        return bad_args(p, fn, "wrong number of arguments");
    if (a[0]->kind != CCPL__PV_STORAGE) return bad_args(p, fn, "first argument is not a storage");
    int64_t offset;
    if (!as_int(a[1], &offset) || offset < 0) return bad_args(p, fn, "bad storage offset");
    const ccpl__pv *size = a[2], *stride = a[3];
    if (size->kind != CCPL__PV_TUPLE || stride->kind != CCPL__PV_TUPLE ||
        size->u.seq.n != stride->u.seq.n)
        return bad_args(p, fn, "size and stride are not tuples of one length");
    if (size->u.seq.n > CCPL__MAX_DIMS) return bad_args(p, fn, "more than 8 dimensions");
    if (p->ntensors >= CCPL__PKL_MAX_TENSORS)
        return pfail(p, CCPL_E_TOO_LARGE, "pickle holds more than %u tensors (safety limit)",
                     (unsigned)CCPL__PKL_MAX_TENSORS);
    ccpl__pkl_tensor *t = (ccpl__pkl_tensor *)calloc(1, sizeof *t);
    if (!t) return nomem(p);
    t->storage = a[0];
    t->offset = offset;
    t->ndim = (int)size->u.seq.n;
    int64_t numel = 1, extent = 0;
    for (int d = 0; d < t->ndim; d++) {
        int64_t sz, sd;
        if (!as_int(size->u.seq.v[d], &sz) || !as_int(stride->u.seq.v[d], &sd) || sz < 0 || sd < 0) {
            free(t);
            return bad_args(p, fn, "size or stride is not a tuple of non-negative ints");
        }
        t->shape[d] = sz;
        t->stride[d] = sd;
        if (sz == 0) {
            numel = 0;
        } else if (numel) {
            if (sz > INT64_MAX / numel) {
                free(t);
                return bad_args(p, fn, "element count overflows");
            }
            numel *= sz;
        }
    }
    for (int d = 0; d < t->ndim && numel; d++) { /* extent = sum (size-1)*stride */
        int64_t sz = t->shape[d] - 1, sd = t->stride[d];
        if (sd && sz > (INT64_MAX - extent) / sd) {
            free(t);
            return bad_args(p, fn, "stride extent overflows");
        }
        extent += sz * sd;
    }
    if (numel && extent > INT64_MAX - offset) {
        free(t);
        return bad_args(p, fn, "stride extent overflows");
    }
    t->numel = numel;
    t->max_index = numel ? offset + extent : -1;
    ccpl__pv *v = pv_new(p, CCPL__PV_TENSOR);
    if (!v) {
        free(t);
        return p->last;
    }
    v->u.t = t;
    p->ntensors++;
    return push(p, v);
}

/* REDUCE: callable(*args), for the allow-listed callables only. */
static ccpl_status op_reduce(ccpl__pkl *p) {
    if (avail(p) < 2) return underflow(p);
    const ccpl__pv *args = p->stack[--p->sp];
    const ccpl__pv *fn = p->stack[--p->sp];
    char buf[64];
    if (fn->kind != CCPL__PV_GLOBAL)
        return pfail(p, CCPL_E_FORMAT, "malformed pickle: REDUCE at byte %zu calls a %s",
                     p->base + p->op_pos, ccpl__pv_kind_name(fn->kind));
    if (args->kind != CCPL__PV_TUPLE)
        return pfail(p, CCPL_E_FORMAT, "malformed pickle: REDUCE at byte %zu with %s arguments",
                     p->base + p->op_pos, ccpl__pv_kind_name(args->kind));
    switch (fn->u.glob.g) {
    case CCPL__G_ORDERED_DICT: {
        /* OrderedDict() or OrderedDict([[k, v], ...]) (Python 2's reduce) */
        ccpl__pv *d = pv_new(p, CCPL__PV_DICT);
        if (!d) return p->last;
        if (args->u.seq.n > 1) return bad_args(p, "OrderedDict", "more than one argument");
        if (args->u.seq.n == 1) {
            const ccpl__pv *items = args->u.seq.v[0];
            if (items->kind != CCPL__PV_LIST && items->kind != CCPL__PV_TUPLE)
                return bad_args(p, "OrderedDict", "argument is not a list of pairs");
            ccpl_status st = seq_reserve(p, d, 2 * items->u.seq.n);
            if (st) return st;
            for (size_t i = 0; i < items->u.seq.n; i++) {
                const ccpl__pv *pair = items->u.seq.v[i];
                if ((pair->kind != CCPL__PV_LIST && pair->kind != CCPL__PV_TUPLE) || pair->u.seq.n != 2)
                    return bad_args(p, "OrderedDict", "argument is not a list of pairs");
                d->u.seq.v[d->u.seq.n++] = pair->u.seq.v[0];
                d->u.seq.v[d->u.seq.n++] = pair->u.seq.v[1];
            }
        }
        return push(p, d);
    }
    case CCPL__G_REBUILD_TENSOR_V2: return rebuild_tensor(p, args, "_rebuild_tensor_v2");
    case CCPL__G_REBUILD_TENSOR: return rebuild_tensor(p, args, "_rebuild_tensor");
    case CCPL__G_REBUILD_PARAMETER:
        /* _rebuild_parameter(data, requires_grad, backward_hooks) -> data */
        if (args->u.seq.n != 3 || args->u.seq.v[0]->kind != CCPL__PV_TENSOR)
            return bad_args(p, "_rebuild_parameter", "expected (tensor, requires_grad, hooks)");
        return push(p, args->u.seq.v[0]);
    case CCPL__G_STORAGE_TYPE:
    case CCPL__G_DTYPE: break;
    }
    return pfail(p, CCPL_E_UNSAFE, "refusing to call %s (pickle byte %zu)", global_name(fn, buf, sizeof buf),
                 p->base + p->op_pos);
}

/* NEWOBJ / NEWOBJ_EX: cls.__new__(cls, ...): only OrderedDict (empty). */
static ccpl_status op_newobj(ccpl__pkl *p, int ex) {
    size_t k = ex ? 3 : 2;
    if (avail(p) < k) return underflow(p);
    p->sp -= k;
    const ccpl__pv *cls = p->stack[p->sp];
    char buf[64];
    if (cls->kind == CCPL__PV_GLOBAL && cls->u.glob.g == CCPL__G_ORDERED_DICT)
        return push(p, pv_new(p, CCPL__PV_DICT));
    if (cls->kind == CCPL__PV_GLOBAL)
        return pfail(p, CCPL_E_UNSAFE, "refusing to instantiate %s (pickle byte %zu)",
                     global_name(cls, buf, sizeof buf), p->base + p->op_pos);
    return pfail(p, CCPL_E_FORMAT, "malformed pickle: NEWOBJ at byte %zu on a %s",
                 p->base + p->op_pos, ccpl__pv_kind_name(cls->kind));
}

/* ---- the loop ------------------------------------------------------- */

static ccpl_status op_append_items(ccpl__pkl *p, ccpl__pv *target, ccpl__pv_kind want, ccpl__pv **items,
                                   size_t n) {
    if (target->kind != want)
        return pfail(p, CCPL_E_FORMAT, "malformed pickle: opcode 0x%02x at byte %zu adds items to a %s",
                     p->buf[p->op_pos], p->base + p->op_pos, ccpl__pv_kind_name(target->kind));
    if (!n) return CCPL_OK;
    ccpl_status st = seq_reserve(p, target, n);
    if (st) return st;
    memcpy(target->u.seq.v + target->u.seq.n, items, n * sizeof *items);
    target->u.seq.n += n;
    return CCPL_OK;
}

static ccpl_status step(ccpl__pkl *p, int *stop) {
    ccpl_status st = CCPL_OK;
    uint64_t u = 0;
    const char *s = NULL, *s2 = NULL;
    size_t n = 0, n2 = 0;
    ccpl__pv **items = NULL;
    p->op_pos = p->pos;
    unsigned char op = p->buf[p->pos++];
    switch (op) {
    case 0x80: /* PROTO */
        if ((st = rd_uint(p, 1, &u))) return st;
        if (u > 5)
            return pfail(p, CCPL_E_FORMAT, "unsupported pickle protocol %u", (unsigned)u);
        return CCPL_OK;
    case 0x95: /* FRAME: a length hint, the opcodes simply continue */
        if ((st = rd_uint(p, 8, &u))) return st;
        return need(p, u);
    case '.': /* STOP */
        if (p->sp != 1 || p->nmarks)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: STOP at byte %zu with %zu values and %d marks",
                         p->base + p->op_pos, p->sp, p->nmarks);
        *stop = 1;
        return CCPL_OK;
    case '(': /* MARK */
        if (p->nmarks >= CCPL__PKL_MAX_MARKS)
            return pfail(p, CCPL_E_TOO_LARGE, "pickle nested deeper than %d levels at byte %zu (safety limit)",
                         CCPL__PKL_MAX_MARKS, p->base + p->op_pos);
        p->marks[p->nmarks++] = p->sp;
        return CCPL_OK;
    case 'N': return push(p, &p->none_v);
    case 0x88: return push(p, &p->true_v);
    case 0x89: return push(p, &p->false_v);
    case ')': return push(p, pv_new(p, CCPL__PV_TUPLE));
    case ']': return push(p, pv_new(p, CCPL__PV_LIST));
    case '}': return push(p, pv_new(p, CCPL__PV_DICT));
    case 0x8f: return push(p, pv_new(p, CCPL__PV_SET));
    case 'J': /* BININT */
        if ((st = rd_uint(p, 4, &u))) return st;
        return push(p, new_int(p, (int64_t)u - ((u & 0x80000000u) ? ((int64_t)1 << 32) : 0)));
    case 'K':
        if ((st = rd_uint(p, 1, &u))) return st;
        return push(p, new_int(p, (int64_t)u));
    case 'M':
        if ((st = rd_uint(p, 2, &u))) return st;
        return push(p, new_int(p, (int64_t)u));
    case 0x8a: /* LONG1 */
    case 0x8b: /* LONG4 */
        if ((st = rd_uint(p, op == 0x8a ? 1 : 4, &u))) return st;
        if (op == 0x8b && (u & 0x80000000u))
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: negative LONG4 length at byte %zu",
                         p->base + p->op_pos);
        if ((st = need(p, u))) return st;
        p->pos += (size_t)u;
        return push(p, new_long_bytes(p, p->buf + p->pos - (size_t)u, (size_t)u));
    case 'I': /* INT (text); "00"/"01" are False/True */
    case 'L': /* LONG (text) */
        if ((st = rd_line(p, &s, &n))) return st;
        strip_cr(s, &n);
        if (op == 'I' && n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1'))
            return push(p, s[1] == '1' ? &p->true_v : &p->false_v);
        return push(p, new_text_int(p, s, n));
    case 'G': { /* BINFLOAT: big-endian double */
        if ((st = need(p, 8))) return st;
        uint64_t b = 0;
        for (int i = 0; i < 8; i++) b = (b << 8) | p->buf[p->pos + (size_t)i];
        p->pos += 8;
        ccpl__pv *v = pv_new(p, CCPL__PV_FLOAT);
        if (v) memcpy(&v->u.f, &b, sizeof b);
        return push(p, v);
    }
    case 'F': { /* FLOAT (text) */
        char tmp[64];
        if ((st = rd_line(p, &s, &n))) return st;
        strip_cr(s, &n);
        if (n == 0 || n >= sizeof tmp)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: bad FLOAT at byte %zu", p->base + p->op_pos);
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        /* strtod reads the locale's decimal point; pickles always write '.' */
        const char *dp = localeconv()->decimal_point;
        if (dp && dp[0] && dp[0] != '.' && !dp[1]) {
            char *dot = strchr(tmp, '.');
            if (dot) *dot = dp[0];
        }
        char *end;
        double f = strtod(tmp, &end);
        if (*end)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: bad FLOAT at byte %zu", p->base + p->op_pos);
        ccpl__pv *v = pv_new(p, CCPL__PV_FLOAT);
        if (v) v->u.f = f;
        return push(p, v);
    }
    case 'X': return op_counted(p, 4, 0, CCPL__PV_STR);     /* BINUNICODE */
    case 0x8c: return op_counted(p, 1, 0, CCPL__PV_STR);    /* SHORT_BINUNICODE */
    case 0x8d: return op_counted(p, 8, 0, CCPL__PV_STR);    /* BINUNICODE8 */
    case 'T': return op_counted(p, 4, 1, CCPL__PV_STR);     /* BINSTRING */
    case 'U': return op_counted(p, 1, 0, CCPL__PV_STR);     /* SHORT_BINSTRING */
    case 'B': return op_counted(p, 4, 0, CCPL__PV_BYTES);   /* BINBYTES */
    case 'C': return op_counted(p, 1, 0, CCPL__PV_BYTES);   /* SHORT_BINBYTES */
    case 0x8e: return op_counted(p, 8, 0, CCPL__PV_BYTES);  /* BINBYTES8 */
    case 0x96: return op_counted(p, 8, 0, CCPL__PV_BYTES);  /* BYTEARRAY8 */
    case 'V': /* UNICODE (text) */
        if ((st = rd_line(p, &s, &n))) return st;
        return push(p, new_raw_unicode(p, s, n));
    case 'S': /* STRING (text) */
        if ((st = rd_line(p, &s, &n))) return st;
        return push(p, new_quoted_string(p, s, n));
    case 't': /* TUPLE */
    case 'l': /* LIST */
    case 0x91: /* FROZENSET */
        if ((st = pop_mark(p, &items, &n))) return st;
        return push(p, seq_new(p, op == 't' ? CCPL__PV_TUPLE : op == 'l' ? CCPL__PV_LIST : CCPL__PV_SET,
                               items, n));
    case 'd': /* DICT */
        if ((st = pop_mark(p, &items, &n))) return st;
        if (n % 2)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: DICT at byte %zu with an odd item count",
                         p->base + p->op_pos);
        return push(p, seq_new(p, CCPL__PV_DICT, items, n));
    case 0x85: /* TUPLE1..3 */
    case 0x86:
    case 0x87:
        n = (size_t)(op - 0x84);
        if (avail(p) < n) return underflow(p);
        p->sp -= n;
        return push(p, seq_new(p, CCPL__PV_TUPLE, p->stack + p->sp, n));
    case 'a': /* APPEND */
        if (avail(p) < 2) return underflow(p);
        p->sp--;
        return op_append_items(p, p->stack[p->sp - 1], CCPL__PV_LIST, p->stack + p->sp, 1);
    case 's': /* SETITEM */
        if (avail(p) < 3) return underflow(p);
        p->sp -= 2;
        return op_append_items(p, p->stack[p->sp - 1], CCPL__PV_DICT, p->stack + p->sp, 2);
    case 'e': /* APPENDS */
    case 'u': /* SETITEMS */
    case 0x90: /* ADDITEMS */
        if ((st = pop_mark(p, &items, &n))) return st;
        if (!avail(p)) return underflow(p);
        if (op == 'u' && n % 2)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: SETITEMS at byte %zu with an odd item count",
                         p->base + p->op_pos);
        return op_append_items(p, p->stack[p->sp - 1],
                               op == 'e' ? CCPL__PV_LIST : op == 'u' ? CCPL__PV_DICT : CCPL__PV_SET, items, n);
    case '0': /* POP: a value, or the mark when none is above it */
        if (avail(p)) {
            p->sp--;
            return CCPL_OK;
        }
        if (p->nmarks) {
            p->nmarks--;
            return CCPL_OK;
        }
        return underflow(p);
    case '1': /* POP_MARK */
        return pop_mark(p, &items, &n);
    case '2': /* DUP */
        if (!avail(p)) return underflow(p);
        return push(p, p->stack[p->sp - 1]);
    case 'p': /* PUT (text) */
    case 'g': { /* GET (text) */
        if ((st = rd_line(p, &s, &n))) return st;
        strip_cr(s, &n);
        uint64_t idx = 0;
        if (n == 0 || n > 10)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: bad memo index at byte %zu", p->base + p->op_pos);
        for (size_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return pfail(p, CCPL_E_FORMAT, "malformed pickle: bad memo index at byte %zu",
                             p->base + p->op_pos);
            idx = idx * 10 + (uint64_t)(s[i] - '0');
        }
        return op == 'p' ? memo_put(p, idx) : memo_get(p, idx);
    }
    case 'q': /* BINPUT */
    case 'r': /* LONG_BINPUT */
        if ((st = rd_uint(p, op == 'q' ? 1 : 4, &u))) return st;
        return memo_put(p, u);
    case 'h': /* BINGET */
    case 'j': /* LONG_BINGET */
        if ((st = rd_uint(p, op == 'h' ? 1 : 4, &u))) return st;
        return memo_get(p, u);
    case 0x94: /* MEMOIZE */
        return memo_put(p, p->memo_count);
    case 'c': /* GLOBAL "module\nname\n" */
        if ((st = rd_line(p, &s, &n)) || (st = rd_line(p, &s2, &n2))) return st;
        if (n > MAX_GLOBAL_LINE || n2 > MAX_GLOBAL_LINE) return refuse_global(p, s, n, s2, n2);
        return push_global(p, s, n, s2, n2);
    case 0x93: { /* STACK_GLOBAL */
        if (avail(p) < 2) return underflow(p);
        const ccpl__pv *name = p->stack[--p->sp];
        const ccpl__pv *mod = p->stack[--p->sp];
        if (mod->kind != CCPL__PV_STR || name->kind != CCPL__PV_STR)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: STACK_GLOBAL at byte %zu on non-strings",
                         p->base + p->op_pos);
        return push_global(p, mod->u.s.p, mod->u.s.n, name->u.s.p, name->u.s.n);
    }
    case 'i': /* INST "module\nname\n": instantiates a class */
        if ((st = rd_line(p, &s, &n)) || (st = rd_line(p, &s2, &n2))) return st;
        return refuse_global(p, s, n, s2, n2);
    case 'o': /* OBJ: instantiates the class after the mark */
        return pfail(p, CCPL_E_UNSAFE, "refusing OBJ (class instantiation) at pickle byte %zu",
                     p->base + p->op_pos);
    case 0x82: /* EXT1, EXT2, EXT4: the copyreg extension registry */
    case 0x83:
    case 0x84:
        return pfail(p, CCPL_E_UNSAFE, "refusing extension-registry global at pickle byte %zu",
                     p->base + p->op_pos);
    case 'R': return op_reduce(p);
    case 0x81: return op_newobj(p, 0);
    case 0x92: return op_newobj(p, 1);
    case 'b': { /* BUILD: state for dicts (OrderedDict._metadata) and tensors is ignored */
        if (avail(p) < 2) return underflow(p);
        p->sp--;
        const ccpl__pv *obj = p->stack[p->sp - 1];
        if (obj->kind != CCPL__PV_DICT && obj->kind != CCPL__PV_TENSOR)
            return pfail(p, CCPL_E_FORMAT, "malformed pickle: BUILD at byte %zu on a %s",
                         p->base + p->op_pos, ccpl__pv_kind_name(obj->kind));
        return CCPL_OK;
    }
    case 'Q': return op_persid(p); /* BINPERSID */
    case 'P': /* PERSID (text): torch never writes it */
        return pfail(p, CCPL_E_FORMAT, "unsupported text persistent id at pickle byte %zu",
                     p->base + p->op_pos);
    case 0x97: /* NEXT_BUFFER, READONLY_BUFFER */
    case 0x98:
        return pfail(p, CCPL_E_FORMAT, "unsupported out-of-band buffer at pickle byte %zu",
                     p->base + p->op_pos);
    default:
        return pfail(p, CCPL_E_FORMAT, "not a valid pickle: unknown opcode 0x%02x at byte %zu", op,
                     p->base + p->op_pos);
    }
}

ccpl_status ccpl__pkl_run(ccpl__pkl *p, const unsigned char *data, size_t size, size_t base,
                          const char *name, const ccpl__pv **out, size_t *used,
                          ccpl_error *err) {
    *out = NULL;
    if (used) *used = 0;
    p->buf = data;
    p->size = size;
    p->pos = 0;
    p->op_pos = 0;
    p->base = base;
    p->name = name;
    p->err = err;
    p->sp = 0;
    p->nmarks = 0;
    if (p->memo) memset(p->memo, 0, p->memo_cap * sizeof *p->memo);
    p->memo_count = 0;
    int stop = 0;
    while (!stop) {
        if (p->pos >= p->size)
            return pfail(p, CCPL_E_FORMAT, "truncated: pickle ends at byte %zu without STOP", base + p->pos);
        ccpl_status st = step(p, &stop);
        if (st) return st;
    }
    *out = p->stack[0];
    p->sp = 0;
    if (used) *used = p->pos;
    return CCPL_OK;
}
