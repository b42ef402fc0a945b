/* checkpoint.c — the format-independent part of reading PyTorch checkpoints
 * (spec §6): file reading, container detection, state_dict flattening,
 * bounds checks and the gather/convert of every tensor to float32. */
#include "io/checkpoint.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/checkpoint_internal.h"

const char *ccpl__dtype_name(ccpl__dtype dt) {
    switch (dt) {
    case CCPL__DT_F32: return "float32";
    case CCPL__DT_F16: return "float16";
    case CCPL__DT_BF16: return "bfloat16";
    case CCPL__DT_F64: return "float64";
    case CCPL__DT_I64: return "int64";
    case CCPL__DT_I32: return "int32";
    case CCPL__DT_I16: return "int16";
    case CCPL__DT_I8: return "int8";
    case CCPL__DT_U8: return "uint8";
    case CCPL__DT_BOOL: return "bool";
    }
    return "unknown";
}

int ccpl__dtype_is_float(ccpl__dtype dt) {
    return dt == CCPL__DT_F32 || dt == CCPL__DT_F16 || dt == CCPL__DT_BF16 || dt == CCPL__DT_F64;
}

ccpl_status ccpl__ck_fail(ccpl__ck_ctx *c, ccpl_status st, const char *fmt, ...) {
    char msg[440];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ccpl__fail(c->err, st, "%s: %s", c->name, msg);
}

/* "(2, 3)" for messages. */
static void shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t k = 0;
    k += (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, d ? ", %" PRId64 : "%" PRId64, shape[d]);
    if (k < cap) snprintf(buf + k, cap - k, ")");
}

/* ---- flattening --------------------------------------------------------- */

static ccpl_status add_flat(ccpl__ck_ctx *c, char *name, const ccpl__pkl_tensor *t, int outside) {
    if (c->nflat >= CCPL__PKL_MAX_TENSORS) {
        free(name);
        return ccpl__ck_fail(c, CCPL_E_TOO_LARGE, "more than %d tensors (safety limit)",
                             CCPL__PKL_MAX_TENSORS);
    }
    if (c->nflat == c->capflat) {
        size_t cap = c->capflat ? c->capflat * 2 : 64;
        ccpl__ck_flat *f = (ccpl__ck_flat *)realloc(c->flat, cap * sizeof *f);
        if (!f) {
            free(name);
            return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
        }
        c->flat = f;
        c->capflat = cap;
    }
    ccpl__ck_flat *f = &c->flat[c->nflat++];
    memset(f, 0, sizeof *f);
    f->name = name;
    f->t = t;
    f->outside = outside;
    return CCPL_OK;
}

/* Tensors of dict d, keys joined to prefix with '.'; nested dicts recurse
 * (bounded depth); other values (ints, strings, lists...) are ignored. A
 * tensor is in the state_dict when it was reached through c->sd on the path
 * c->sd_path (not through another reference to the same dict). */
static ccpl_status flatten(ccpl__ck_ctx *c, const ccpl__pv *d, const char *prefix, int depth, int inside) {
    if (d == c->sd && strcmp(prefix, c->sd_path) == 0) inside = 1;
    for (size_t i = 0; i + 1 < d->u.seq.n; i += 2) {
        const ccpl__pv *k = d->u.seq.v[i], *v = d->u.seq.v[i + 1];
        if (++c->visits > CCPL__CKPT_MAX_VISITS)
            return ccpl__ck_fail(c, CCPL_E_TOO_LARGE, "state_dict has more than %zu entries (safety limit)",
                                 CCPL__CKPT_MAX_VISITS);
        if (v->kind != CCPL__PV_TENSOR && v->kind != CCPL__PV_DICT) continue;
        char num[32];
        const char *ks;
        size_t kn;
        if (k->kind == CCPL__PV_STR) {
            ks = k->u.s.p;
            kn = k->u.s.n;
            if (memchr(ks, '\0', kn))
                return ccpl__ck_fail(c, CCPL_E_FORMAT, "state_dict key contains a NUL byte");
        } else if (k->kind == CCPL__PV_INT) { /* e.g. optimizer state {0: {...}} */
            snprintf(num, sizeof num, "%" PRId64, k->u.i);
            ks = num;
            kn = strlen(num);
        } else {
            continue;
        }
        size_t pn = strlen(prefix);
        if (kn > SIZE_MAX - pn - 2) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
        char *name = (char *)malloc(pn + kn + 2); /* room for the '.' of a dict's path */
        if (!name) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
        memcpy(name, prefix, pn);
        memcpy(name + pn, ks, kn);
        name[pn + kn] = '\0';
        if (v->kind == CCPL__PV_TENSOR) {
            ccpl_status st = add_flat(c, name, v->u.t, !inside);
            if (st) return st;
        } else {
            if (depth + 1 >= CCPL__CKPT_MAX_DICT_DEPTH) {
                char pk[80];
                ccpl__pkl_printable(pk, sizeof pk, name, strlen(name));
                free(name);
                return ccpl__ck_fail(c, CCPL_E_FORMAT, "dicts nested deeper than %d levels at '%s'",
                                     CCPL__CKPT_MAX_DICT_DEPTH, pk);
            }
            name[pn + kn] = '.'; /* the path as ccpl__ck_find_state_dict writes it: "a.b." */
            name[pn + kn + 1] = '\0';
            ccpl_status st = flatten(c, v, name, depth + 1, inside);
            free(name);
            if (st) return st;
        }
    }
    return CCPL_OK;
}

static int cmp_flat_name(const void *a, const void *b) {
    const ccpl__ck_flat *const *x = (const ccpl__ck_flat *const *)a;
    const ccpl__ck_flat *const *y = (const ccpl__ck_flat *const *)b;
    return strcmp((*x)->name, (*y)->name);
}

static ccpl_status check_duplicates(ccpl__ck_ctx *c) {
    if (c->nflat < 2) return CCPL_OK;
    const ccpl__ck_flat **idx = (const ccpl__ck_flat **)malloc(c->nflat * sizeof *idx);
    if (!idx) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
    for (size_t i = 0; i < c->nflat; i++) idx[i] = &c->flat[i];
    qsort(idx, c->nflat, sizeof *idx, cmp_flat_name);
    ccpl_status st = CCPL_OK;
    for (size_t i = 1; i < c->nflat; i++) {
        if (strcmp(idx[i - 1]->name, idx[i]->name) == 0) {
            char pk[120];
            ccpl__pkl_printable(pk, sizeof pk, idx[i]->name, strlen(idx[i]->name));
            st = ccpl__ck_fail(c, CCPL_E_FORMAT, "tensor name '%s' appears twice", pk);
            break;
        }
    }
    free(idx);
    return st;
}

/* ---- storage table -------------------------------------------------------- */

static int cmp_storage_key(const void *a, const void *b) {
    return strcmp(((const ccpl__ck_storage *)a)->key, ((const ccpl__ck_storage *)b)->key);
}

ccpl__ck_storage *ccpl__ck_find_storage(ccpl__ck_ctx *c, const char *key) {
    ccpl__ck_storage probe;
    memset(&probe, 0, sizeof probe);
    probe.key = key;
    if (!c->nst) return NULL;
    return (ccpl__ck_storage *)bsearch(&probe, c->st, c->nst, sizeof *c->st, cmp_storage_key);
}

/* One entry per distinct key among all storage references; a key seen with
 * two types or two sizes is an inconsistent file. */
static ccpl_status build_storage_table(ccpl__ck_ctx *c) {
    size_t n;
    const ccpl__pv *const *refs = ccpl__pkl_storages(c->pkl, &n);
    if (!n) return CCPL_OK;
    c->st = (ccpl__ck_storage *)calloc(n, sizeof *c->st);
    if (!c->st) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const ccpl__pkl_storage *r = refs[i]->u.st;
        c->st[i].key = r->key;
        c->st[i].type = r->type;
        c->st[i].root_numel = r->root_numel;
    }
    qsort(c->st, n, sizeof *c->st, cmp_storage_key);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && strcmp(c->st[m - 1].key, c->st[i].key) == 0) {
            if (c->st[m - 1].type != c->st[i].type || c->st[m - 1].root_numel != c->st[i].root_numel) {
                char pk[80];
                ccpl__pkl_printable(pk, sizeof pk, c->st[i].key, strlen(c->st[i].key));
                return ccpl__ck_fail(c, CCPL_E_FORMAT,
                                     "storage '%s' is referenced with two different types or sizes", pk);
            }
            continue;
        }
        c->st[m++] = c->st[i];
    }
    c->nst = m;
    return CCPL_OK;
}

ccpl_status ccpl__ck_prepare(ccpl__ck_ctx *c, const ccpl__pv *root) {
    if (root->kind != CCPL__PV_DICT)
        return ccpl__ck_fail(c, CCPL_E_FORMAT, "the checkpoint holds a %s, not a state_dict (a dict of tensors)",
                             ccpl__pv_kind_name(root->kind));
    ccpl_status st = ccpl__ck_find_state_dict(c, root);
    if (st) return st;
    if ((st = flatten(c, root, "", 0, 0))) return st;
    if ((st = check_duplicates(c))) return st;
    if ((st = ccpl__ck_strip_prefixes(c))) return st;
    if ((st = build_storage_table(c))) return st;
    for (size_t i = 0; i < c->nflat; i++) {
        ccpl__ck_flat *f = &c->flat[i];
        const ccpl__pkl_tensor *t = f->t;
        char pk[120], sh[160];
        ccpl__pkl_printable(pk, sizeof pk, f->name, strlen(f->name));
        f->ref = t->storage->u.st;
        f->st = ccpl__ck_find_storage(c, f->ref->key);
        if (!f->st) return ccpl__ck_fail(c, CCPL_E_FORMAT, "tensor '%s' has no storage", pk); /* not reached */
        int dt = ccpl__pkl_storage_type_dtype(f->ref->type);
        if (dt < 0)
            return ccpl__ck_fail(c, CCPL_E_FORMAT,
                                 "tensor '%s' has unsupported type %s (supported: float32, float16, "
                                 "bfloat16, float64; integer and bool tensors are listed)",
                                 pk, ccpl__pkl_storage_type_name(f->ref->type));
        if (t->numel && t->max_index >= f->ref->numel) {
            shape_str(sh, sizeof sh, t->ndim, t->shape);
            return ccpl__ck_fail(c, CCPL_E_FORMAT,
                                 "tensor '%s' (offset %" PRId64 ", shape %s) reaches element %" PRId64
                                 " of a storage of %" PRId64 " elements",
                                 pk, t->offset, sh, t->max_index, f->ref->numel);
        }
        /* only the state_dict's float tensors are ever converted */
        if (!f->outside && ccpl__dtype_is_float((ccpl__dtype)dt))
            f->wanted = c->want ? c->want(f->name + f->key_off, c->user) != 0 : 1;
        if (f->wanted && t->numel > CCPL__CKPT_MAX_NUMEL) {
            shape_str(sh, sizeof sh, t->ndim, t->shape);
            return ccpl__ck_fail(c, CCPL_E_TOO_LARGE, "tensor '%s' of shape %s has more than 2^31 elements",
                                 pk, sh);
        }
        if (f->wanted && t->numel) {
            int64_t end = f->ref->base + t->max_index + 1; /* <= root_numel, checked by pickle.c */
            if (end > f->st->need) f->st->need = end;
            f->st->users++;
            f->st->user = f;
        }
    }
    return CCPL_OK;
}

/* ---- conversion ------------------------------------------------------------ */

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0) {
        /* zero or subnormal: mant * 2^-24, exact in float */
        float f = (float)mant * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    if (exp == 31) /* inf / nan: payload kept, NaNs quiet, as the F16C instruction gives them */
        bits = sign | 0x7f800000u | (mant << 13) | (mant ? 0x400000u : 0u);
    else
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float load_elem(const unsigned char *p, ccpl__dtype dt) {
    switch (dt) {
    case CCPL__DT_F32: {
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    case CCPL__DT_F16: return half_to_float((uint16_t)(p[0] | p[1] << 8));
    case CCPL__DT_BF16: {
        uint32_t u = ((uint32_t)p[0] | (uint32_t)p[1] << 8) << 16;
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    case CCPL__DT_F64: {
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--) u = (u << 8) | p[i];
        double d;
        memcpy(&d, &u, sizeof d);
        if (d != d) return NAN;
        if (d > FLT_MAX) return INFINITY; /* out of float range: no UB cast */
        if (d < -FLT_MAX) return -INFINITY;
        return (float)d;
    }
    default: break; /* integer tensors are never converted */
    }
    return 0.0f;
}

/* float16 -> float32 with the F16C instruction (8 at a time), chosen at run
 * time: the shipped models are float16, and the scalar conversion was the
 * largest part of loading them (docs/PERFORMANCE.md, "Start-up and the
 * whole run"). Identical results to half_to_float, NaNs included. */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && CCPL__CK_LITTLE_ENDIAN
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>
#define CCPL__HAVE_F16C_PATH 1
__attribute__((target("avx,f16c"))) static void f16_to_f32_f16c(float *dst, const unsigned char *src,
                                                              size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h;
        memcpy(&h, src + 2 * i, sizeof h); /* unaligned load */
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) dst[i] = half_to_float((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
}

/* CPUID says F16C and AVX, and the system saves the YMM registers (XCR0).
 * (cpuid.h rather than __builtin_cpu_supports: clang 14 lacks "f16c".) */
static int have_f16c(void) {
    static _Atomic int known = -1; /* checkpoints may be read by several threads at once */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (k < 0) {
        unsigned a, b, c, d, lo = 0, hi = 0;
        int ok = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) && (c & bit_AVX) && (c & bit_OSXSAVE);
        if (ok) __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        (void)hi;
        k = ok && (lo & 6) == 6;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k;
}
#endif

void ccpl__ck_convert(float *dst, const unsigned char *src, ccpl__dtype dt, size_t n) {
    switch (dt) {
    case CCPL__DT_F32:
#if CCPL__CK_LITTLE_ENDIAN
        memcpy(dst, src, n * sizeof(float)); /* the file's bytes are the floats */
        return;
#else
        break;
#endif
    case CCPL__DT_F16:
#ifdef CCPL__HAVE_F16C_PATH
        if (have_f16c()) {
            f16_to_f32_f16c(dst, src, n);
            return;
        }
#endif
        for (size_t i = 0; i < n; i++) dst[i] = half_to_float((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        return;
    case CCPL__DT_BF16:
        for (size_t i = 0; i < n; i++) {
            const uint32_t u = ((uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1] << 8) << 16;
            memcpy(&dst[i], &u, sizeof u);
        }
        return;
    default: break;
    }
    const int el = dt == CCPL__DT_F64 ? 8 : dt == CCPL__DT_F32 ? 4 : 2;
    for (size_t i = 0; i < n; i++) dst[i] = load_elem(src + i * (size_t)el, dt);
}

int ccpl__ck_contiguous(const ccpl__pkl_tensor *t) {
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != expect) return 0;
        expect *= t->shape[d];
    }
    return 1;
}

/* dst[0..numel) = elements of a strided view of src (element 0 of the
 * storage), row-major. Indices were bounds-checked by the caller. */
static void gather(float *dst, const unsigned char *src, ccpl__dtype dt, int elsize, int64_t offset,
                   int contiguous, int ndim, const int64_t *shape, const int64_t *stride, size_t numel) {
    if (contiguous) {
        ccpl__ck_convert(dst, src + (size_t)offset * (size_t)elsize, dt, numel);
        return;
    }
    int64_t idx[CCPL__MAX_DIMS] = {0};
    int64_t pos = offset;
    for (size_t i = 0; i < numel; i++) {
        dst[i] = load_elem(src + (size_t)pos * (size_t)elsize, dt);
        for (int d = ndim - 1; d >= 0; d--) { /* odometer step */
            pos += stride[d];
            if (++idx[d] < shape[d]) break;
            pos -= stride[d] * shape[d];
            idx[d] = 0;
        }
    }
}

static void ctx_release(ccpl__ck_ctx *c) {
    for (size_t i = 0; i < c->nflat; i++) {
        free(c->flat[i].name);
        free(c->flat[i].pre);
    }
    free(c->flat);
    for (size_t i = 0; i < c->nst; i++) free(c->st[i].owned);
    free(c->st);
    free(c->sd_path);
    free(c->wrapping);
    ccpl__pkl_free(c->pkl);
    memset(c, 0, sizeof *c);
}

/* Moves the flattened tensors into *out, converting the wanted ones. */
static ccpl_status build_output(ccpl__ck_ctx *c, ccpl__checkpoint *out) {
    for (size_t i = 0; i < c->nst; i++) {
        ccpl__ck_storage *s = &c->st[i];
        if (s->need == 0) continue;
        char pk[80];
        ccpl__pkl_printable(pk, sizeof pk, s->key, strlen(s->key));
        if (!s->present) return ccpl__ck_fail(c, CCPL_E_FORMAT, "storage '%s' has no data in the file", pk);
        if (s->avail < s->need)
            return ccpl__ck_fail(c, CCPL_E_FORMAT,
                                 "truncated: storage '%s' holds %" PRId64 " elements, its tensors need %" PRId64,
                                 pk, s->avail, s->need);
    }
    /* Expanded views and aliases: the floats made must stay in proportion to
     * the stored elements read (each need <= avail, i.e. bytes really held,
     * so the sum cannot overflow; made <= 1e5 tensors * 2^31 < 2^48). */
    int64_t stored = 0, made = 0;
    for (size_t i = 0; i < c->nst; i++) stored += c->st[i].need;
    for (size_t i = 0; i < c->nflat; i++)
        if (c->flat[i].wanted) made += c->flat[i].t->numel;
    if (stored < ((int64_t)1 << 48) && made > CCPL__CKPT_EXPAND_SLACK + CCPL__CKPT_MAX_ALIAS * stored)
        return ccpl__ck_fail(c, CCPL_E_TOO_LARGE,
                             "its tensors expand %" PRId64 " stored elements to %" PRId64 " floats"
                             " (limit: %d times as many plus 2^24)",
                             stored, made, CCPL__CKPT_MAX_ALIAS);
    ccpl__tensor_entry *e = NULL;
    if (c->nflat) {
        e = (ccpl__tensor_entry *)calloc(c->nflat, sizeof *e);
        if (!e) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
    }
    size_t k = 0;
    ccpl_status st = CCPL_OK;
    for (; k < c->nflat; k++) {
        ccpl__ck_flat *f = &c->flat[k];
        const ccpl__pkl_tensor *t = f->t;
        ccpl__dtype dt = (ccpl__dtype)ccpl__pkl_storage_type_dtype(f->ref->type);
        if (f->key_off) /* the key: the name less the wrapping */
            memmove(f->name, f->name + f->key_off, strlen(f->name + f->key_off) + 1);
        e[k].name = f->name;
        f->name = NULL;
        e[k].outside = f->outside;
        e[k].dtype = dt;
        e[k].ndim = t->ndim;
        memcpy(e[k].shape, t->shape, sizeof e[k].shape);
        e[k].numel = (size_t)t->numel; /* <= 2^31 when wanted; else may wrap on 32-bit only */
        if (!f->wanted) continue;
        if (f->pre) { /* converted while the container was read */
            e[k].data = f->pre;
            f->pre = NULL;
            continue;
        }
        e[k].data = ccpl__alloc_floats((size_t)t->numel);
        if (!e[k].data) {
            st = ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory for tensor '%s' (%zu elements)", e[k].name,
                               (size_t)t->numel);
            k++;
            break;
        }
        if (t->numel)
            gather(e[k].data, f->st->data, dt, ccpl__pkl_storage_type_elsize(f->ref->type),
                   f->ref->base + t->offset, ccpl__ck_contiguous(t), t->ndim, t->shape, t->stride,
                   (size_t)t->numel);
    }
    if (st) {
        for (size_t i = 0; i < k; i++) {
            free(e[i].name);
            free(e[i].data);
        }
        free(e);
        return st;
    }
    out->n = (int)c->nflat;
    out->t = e;
    out->format = c->format;
    out->wrapping = c->wrapping;
    c->wrapping = NULL;
    return CCPL_OK;
}

/* ---- entry points -------------------------------------------------------- */

static int zip_magic(const unsigned char *d, size_t size) {
    return size >= 4 && d[0] == 'P' && d[1] == 'K' && ((d[2] == 3 && d[3] == 4) || (d[2] == 5 && d[3] == 6));
}

/* The checkpoint in d[0..size), or, when zip_fp is not NULL, the zip
 * archive in that open file (closed here whatever happens). */
static ccpl_status load(const unsigned char *d, size_t size, FILE *zip_fp, const char *name,
                        ccpl__want_fn want, void *user, ccpl__checkpoint *out, ccpl_error *err) {
    ccpl__ck_ctx c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.err = err;
    c.want = want;
    c.user = user;
    c.pkl = ccpl__pkl_new();
    if (!c.pkl) {
        if (zip_fp) fclose(zip_fp);
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", name);
    }
    ccpl_status st;
    if (zip_fp) {
        c.format = "zip";
        st = ccpl__ck_read_zip_file(&c, zip_fp);
    } else if (zip_magic(d, size)) {
        c.format = "zip";
        st = ccpl__ck_read_zip(&c, d, size);
    } else {
        c.format = "legacy";
        st = ccpl__ck_read_legacy(&c, d, size);
    }
    if (st == CCPL_OK) st = build_output(&c, out);
    ctx_release(&c);
    if (st != CCPL_OK) memset(out, 0, sizeof *out);
    return st;
}

ccpl_status ccpl__checkpoint_load_memory(const void *data, size_t size, const char *name,
                                         ccpl__want_fn want, void *user,
                                         ccpl__checkpoint *out, ccpl_error *err) {
    if (!out) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: no output checkpoint", name ? name : "?");
    memset(out, 0, sizeof *out);
    ccpl__clear(err);
    if (!name) name = "<memory>";
    if (!data && size) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: NULL data", name);
    if (size == 0)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: empty file (not a PyTorch checkpoint)", name);
    return load((const unsigned char *)data, size, NULL, name, want, user, out, err);
}

ccpl_status ccpl__checkpoint_load(const char *path, ccpl__want_fn want, void *user,
                                  ccpl__checkpoint *out, ccpl_error *err) {
    if (!out) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: no output checkpoint", path ? path : "?");
    memset(out, 0, sizeof *out);
    if (!path) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "checkpoint path is NULL");
    FILE *fp = fopen(path, "rb");
    if (!fp) return ccpl__fail(err, CCPL_E_IO, "%s: cannot open: %s", path, strerror(errno));
    /* A zip archive (torch.save >= 1.6) is read where it lies: libzip reads
     * the directory and each wanted entry from the file, and the storages
     * are converted as they come (checkpoint_zip.c). Other files are read
     * whole. */
    unsigned char magic[4];
    size_t n = fread(magic, 1, sizeof magic, fp);
    if (ferror(fp)) {
        int e = errno;
        fclose(fp);
        return ccpl__fail(err, CCPL_E_IO, "%s: cannot read: %s", path, strerror(e));
    }
    if (zip_magic(magic, n)) {
        if (fseek(fp, 0, SEEK_SET) != 0) {
            int e = errno;
            fclose(fp);
            return ccpl__fail(err, CCPL_E_IO, "%s: cannot read: %s", path, strerror(e));
        }
        ccpl__clear(err);
        return load(NULL, 0, fp, path, want, user, out, err);
    }
    struct stat sb;
    size_t cap = fstat(fileno(fp), &sb) == 0 && sb.st_size > 0 && (uint64_t)sb.st_size < SIZE_MAX - 1
                     ? (size_t)sb.st_size + 1 /* + 1: the end is seen without growing */
                     : (size_t)1 << 20;
    if (cap < sizeof magic) cap = sizeof magic;
    unsigned char *buf = (unsigned char *)malloc(cap);
    if (!buf) {
        fclose(fp);
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory reading the file", path);
    }
    memcpy(buf, magic, n);
    if (n == sizeof magic) {
        for (;;) {
            if (n == cap) {
                if (cap > SIZE_MAX / 2) {
                    free(buf);
                    fclose(fp);
                    return ccpl__fail(err, CCPL_E_TOO_LARGE, "%s: file too large", path);
                }
                unsigned char *nb = (unsigned char *)realloc(buf, cap * 2);
                if (!nb) {
                    free(buf);
                    fclose(fp);
                    return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory reading the file", path);
                }
                buf = nb;
                cap *= 2;
            }
            size_t got = fread(buf + n, 1, cap - n, fp);
            n += got;
            if (got == 0) break;
        }
    }
    int read_error = ferror(fp);
    int e = errno;
    fclose(fp);
    if (read_error) {
        free(buf);
        return ccpl__fail(err, CCPL_E_IO, "%s: cannot read: %s", path, strerror(e));
    }
    ccpl_status st = ccpl__checkpoint_load_memory(buf, n, path, want, user, out, err);
    free(buf);
    return st;
}

const ccpl__tensor_entry *ccpl__checkpoint_find(const ccpl__checkpoint *ck, const char *name) {
    if (!ck || !name) return NULL;
    for (int i = 0; i < ck->n; i++)
        if (!ck->t[i].outside && ccpl__dtype_is_float(ck->t[i].dtype) && strcmp(ck->t[i].name, name) == 0)
            return &ck->t[i];
    return NULL;
}

const ccpl__tensor_entry *ccpl__checkpoint_entry(const ccpl__checkpoint *ck, const char *name) {
    if (!ck || !name) return NULL;
    for (int i = 0; i < ck->n; i++)
        if (strcmp(ck->t[i].name, name) == 0) return &ck->t[i];
    return NULL;
}

static int all_digits(const char *s, size_t n) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

#define KEY_GROUPS_SHOWN 8

void ccpl__checkpoint_key_groups(const ccpl__checkpoint *ck, char *buf, size_t cap) {
    struct {
        const char *s;
        size_t n;
        int dotted, numbered;
    } g[KEY_GROUPS_SHOWN];
    int ng = 0, more = 0;
    long lo = -1, hi = -1; /* numbered first components ("0.weight"...) make one range */
    if (!cap) return;
    for (int i = 0; ck && i < ck->n; i++) {
        const ccpl__tensor_entry *t = &ck->t[i];
        if (t->outside || !ccpl__dtype_is_float(t->dtype)) continue;
        const char *dot = strchr(t->name, '.');
        size_t n = dot ? (size_t)(dot - t->name) : strlen(t->name);
        int numbered = dot && n < 9 && all_digits(t->name, n), k;
        if (numbered) {
            long v = strtol(t->name, NULL, 10);
            if (lo < 0 || v < lo) lo = v;
            if (v > hi) hi = v;
        }
        for (k = 0; k < ng; k++)
            if (numbered ? g[k].numbered
                         : !g[k].numbered && g[k].n == n && g[k].dotted == (dot != NULL) &&
                               memcmp(g[k].s, t->name, n) == 0)
                break;
        if (k < ng) continue;
        if (ng == KEY_GROUPS_SHOWN) {
            more = 1;
            continue;
        }
        g[ng].s = t->name, g[ng].n = n, g[ng].dotted = dot != NULL, g[ng].numbered = numbered;
        ng++;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < ng && len + 1 < cap; k++) {
        char part[96];
        if (g[k].numbered && lo == hi) snprintf(part, sizeof part, "%ld.*", lo);
        else if (g[k].numbered) snprintf(part, sizeof part, "%ld.* to %ld.*", lo, hi);
        else {
            ccpl__pkl_printable(part, sizeof part - 2, g[k].s, g[k].n);
            if (g[k].dotted) strcat(part, ".*");
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? ", " : "", part);
    }
    if (more && len + 1 < cap) snprintf(buf + len, cap - len, ", ...");
}

void ccpl__checkpoint_free(ccpl__checkpoint *ck) {
    if (!ck) return;
    for (int i = 0; i < ck->n; i++) {
        free(ck->t[i].name);
        free(ck->t[i].data);
    }
    free(ck->t);
    free(ck->wrapping);
    memset(ck, 0, sizeof *ck);
}
