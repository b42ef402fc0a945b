/* test_checkpoint.c — the checkpoint reader against fixtures written by
 * tests/ref/fixtures_checkpoint.py (Debian's torch 1.13): every value, dtype,
 * shape and format of one state_dict saved in the zip and legacy formats and
 * several pickle protocols; hand-made legacy views; each bad file's status
 * and message; the same state_dict as people save it (wrapped, prefixed
 * 'module.', next to integer tensors and an optimizer's state), loading to
 * the same keys and values; and the real models in $CCPL_SHARED/models when
 * present. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/checkpoint.h"
#include "test_util.h"

static float fv(int i) { return (float)(i * 0.25 - 3.0); }

typedef enum { V_RAMP, V_RAMP_FROM, V_LIST, V_F64_THIRD, V_TRANSPOSED, V_STRIDED, V_HALF_SPECIAL } vkind;

typedef struct {
    const char *name;
    ccpl__dtype dt;
    int ndim;
    int64_t shape[4];
    vkind kind;
    int arg;            /* V_RAMP_FROM: first index */
    const float *list;  /* V_LIST */
} expect_t;

static const float bias_vals[] = {0.5f, -1.5f};
static const float expanded_vals[] = {1, 2, 3, 1, 2, 3};
static const float scalar_vals[] = {2.5f};

/* The state_dict of fixtures_checkpoint.state_dict(), in file order (the
 * non-tensor entries 'count' and 'meta' are not listed). */
static const expect_t sd_expect[] = {
    {"conv.weight", CCPL__DT_F32, 4, {2, 3, 3, 3}, V_RAMP, 0, NULL},
    {"conv.bias", CCPL__DT_F32, 1, {2}, V_LIST, 0, bias_vals},
    {"half", CCPL__DT_F16, 2, {4, 6}, V_RAMP, 0, NULL},
    {"half_special", CCPL__DT_F16, 1, {8}, V_HALF_SPECIAL, 0, NULL},
    {"bf16", CCPL__DT_BF16, 2, {3, 5}, V_RAMP, 0, NULL},
    {"f64", CCPL__DT_F64, 3, {2, 2, 3}, V_F64_THIRD, 0, NULL},
    {"f64_big", CCPL__DT_F64, 1, {3}, V_LIST, 0, NULL}, /* inf, -inf, 0: checked apart */
    {"transposed", CCPL__DT_F32, 2, {4, 3}, V_TRANSPOSED, 0, NULL},
    {"base", CCPL__DT_F32, 1, {20}, V_RAMP, 0, NULL},
    {"slice", CCPL__DT_F32, 2, {2, 5}, V_RAMP_FROM, 5, NULL},
    {"strided", CCPL__DT_F32, 1, {7}, V_STRIDED, 0, NULL},
    {"scalar", CCPL__DT_F32, 0, {0}, V_LIST, 0, scalar_vals},
    {"param", CCPL__DT_F32, 2, {2, 3}, V_RAMP, 0, NULL},
    {"expanded", CCPL__DT_F32, 2, {2, 3}, V_LIST, 0, expanded_vals},
    {"empty", CCPL__DT_F32, 2, {0, 3}, V_RAMP, 0, NULL},
    {"sub.w", CCPL__DT_F32, 1, {4}, V_RAMP, 0, NULL},
    {"sub.inner.b", CCPL__DT_F64, 1, {3}, V_RAMP, 0, NULL},
    {"\xc3\xbcn\xc3\xaf\xe2\x82\xac.w", CCPL__DT_F32, 1, {2}, V_RAMP, 0, NULL}, /* "ünï€.w" */
};
#define N_SD ((int)(sizeof sd_expect / sizeof sd_expect[0]))

static int same_float(float a, float b) {
    if (isnan(b)) return isnan(a);
    return a == b && signbit(a) == signbit(b);
}

static float expected_value(const expect_t *e, size_t i) {
    switch (e->kind) {
    case V_RAMP: return fv((int)i);
    case V_RAMP_FROM: return fv(e->arg + (int)i);
    case V_LIST: return e->list[i];
    case V_F64_THIRD: return (float)((double)i * 0.25 - 3.0 + 1.0 / 3.0);
    case V_TRANSPOSED: return fv((int)((i % 3) * 4 + i / 3)); /* (4,3) view of a (3,4) ramp */
    case V_STRIDED: return fv(1 + 3 * (int)i);
    case V_HALF_SPECIAL: {
        const float v[] = {ldexpf(1, -24), 1023 * ldexpf(1, -24), ldexpf(1, -14), 65504.0f,
                           INFINITY, -INFINITY, NAN, -0.0f};
        return v[i];
    }
    }
    return 0;
}

static size_t shape_numel(const expect_t *e) {
    size_t n = 1;
    for (int d = 0; d < e->ndim; d++) n *= (size_t)e->shape[d];
    return n;
}

/* Checks every expected tensor (names prefixed with `prefix`); data_for
 * decides which entries must hold data (others must be NULL). */
static void check_sd(const char *label, const ccpl__checkpoint *ck, const char *prefix, const char *format,
                     int (*data_for)(const char *, void *)) {
    CHECK(ck->n == N_SD, "%s: %d tensors, expected %d", label, ck->n, N_SD);
    CHECK(ck->format && strcmp(ck->format, format) == 0, "%s: format %s, expected %s", label,
          ck->format ? ck->format : "(null)", format);
    if (ck->n != N_SD) return;
    for (int k = 0; k < N_SD; k++) {
        const expect_t *e = &sd_expect[k];
        const ccpl__tensor_entry *t = &ck->t[k];
        char name[128];
        snprintf(name, sizeof name, "%s%s", prefix, e->name);
        CHECK(strcmp(t->name, name) == 0, "%s: tensor %d is '%s', expected '%s'", label, k, t->name, name);
        CHECK(ccpl__checkpoint_find(ck, name) == t, "%s: find('%s')", label, name);
        CHECK(t->dtype == e->dt, "%s: %s dtype %s, expected %s", label, name, ccpl__dtype_name(t->dtype),
              ccpl__dtype_name(e->dt));
        int shape_ok = t->ndim == e->ndim;
        for (int d = 0; shape_ok && d < e->ndim; d++) shape_ok = t->shape[d] == e->shape[d];
        CHECK(shape_ok, "%s: %s shape (ndim %d)", label, name, t->ndim);
        size_t n = shape_numel(e);
        CHECK(t->numel == n, "%s: %s numel %zu, expected %zu", label, name, t->numel, n);
        int want = data_for ? data_for(name, NULL) : 1;
        if (!want) {
            CHECK(t->data == NULL, "%s: %s should have no data", label, name);
            continue;
        }
        CHECK(t->data != NULL, "%s: %s has no data", label, name);
        if (!t->data || t->numel != n) continue;
        if (strcmp(e->name, "f64_big") == 0) {
            CHECK(isinf(t->data[0]) && t->data[0] > 0 && isinf(t->data[1]) && t->data[1] < 0 &&
                      t->data[2] == 0.0f,
                  "%s: f64_big = %g %g %g (expected inf -inf 0)", label, t->data[0], t->data[1], t->data[2]);
            continue;
        }
        size_t bad = n;
        for (size_t i = 0; i < n; i++) {
            if (!same_float(t->data[i], expected_value(e, i))) {
                bad = i;
                break;
            }
        }
        CHECK(bad == n, "%s: %s[%zu] = %.9g, expected %.9g", label, name, bad, bad < n ? t->data[bad] : 0.0,
              bad < n ? expected_value(e, bad) : 0.0);
    }
    CHECK(ccpl__checkpoint_find(ck, "count") == NULL, "%s: non-tensor 'count' listed", label);
    CHECK(ccpl__checkpoint_find(ck, "no.such") == NULL, "%s: find of a missing key", label);
}

static int want_weights_and_half(const char *name, void *user) {
    (void)user;
    return strstr(name, "weight") != NULL || strstr(name, "half") != NULL;
}

static void test_good_files(const char *dir) {
    static const struct {
        const char *file, *format;
    } files[] = {
        {"sd_zip.pth", "zip"},       {"sd_legacy.pth", "legacy"},     {"sd_zip_p1.pth", "zip"},
        {"sd_zip_p4.pth", "zip"},    {"sd_zip_p5.pth", "zip"},        {"sd_legacy_p4.pth", "legacy"},
        {"sd_text_deflated.pth", "zip"}, {"sd_zip_v2records.pth", "zip"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *path = tu_path(dir, files[i].file);
        ccpl__checkpoint ck;
        ccpl_error err;
        ccpl_status st = ccpl__checkpoint_load(path, NULL, NULL, &ck, &err);
        CHECK(st == CCPL_OK, "%s: %s", files[i].file, err.message);
        if (st == CCPL_OK) check_sd(files[i].file, &ck, "", files[i].format, NULL);
        ccpl__checkpoint_free(&ck);
        CHECK(ck.n == 0 && ck.t == NULL, "free clears the checkpoint");

        /* with a filter: unwanted tensors listed without data */
        st = ccpl__checkpoint_load(path, want_weights_and_half, NULL, &ck, &err);
        CHECK(st == CCPL_OK, "%s (filtered): %s", files[i].file, err.message);
        if (st == CCPL_OK) check_sd(files[i].file, &ck, "", files[i].format, want_weights_and_half);
        ccpl__checkpoint_free(&ck);
    }
    static const struct {
        const char *file, *format;
    } nested[] = {{"nested_zip.pth", "zip"}, {"nested_legacy.pth", "legacy"}};
    for (size_t i = 0; i < 2; i++) { /* {'state_dict': sd, 'iter': 5}: read as sd */
        ccpl__checkpoint ck;
        ccpl_error err;
        ccpl_status st = ccpl__checkpoint_load(tu_path(dir, nested[i].file), NULL, NULL, &ck, &err);
        CHECK(st == CCPL_OK, "%s: %s", nested[i].file, err.message);
        if (st == CCPL_OK) check_sd(nested[i].file, &ck, "", nested[i].format, NULL);
        CHECK(ck.wrapping && strcmp(ck.wrapping, "state_dict.") == 0, "%s: wrapping '%s'", nested[i].file,
              ck.wrapping ? ck.wrapping : "(null)");
        ccpl__checkpoint_free(&ck);
    }
}

/* Entries of ck (state_dict, float) equal to those of the plain file: same
 * keys in the same order, dtypes, shapes and bit-identical data. */
static void check_same_as_plain(const char *label, const ccpl__checkpoint *ck, const ccpl__checkpoint *plain) {
    int k = 0;
    for (int i = 0; i < ck->n; i++) {
        const ccpl__tensor_entry *t = &ck->t[i];
        if (t->outside || !ccpl__dtype_is_float(t->dtype)) {
            CHECK(t->data == NULL, "%s: '%s' (%s%s) has data", label, t->name, ccpl__dtype_name(t->dtype),
                  t->outside ? ", outside" : "");
            CHECK(t->outside || ccpl__checkpoint_find(ck, t->name) == NULL, "%s: find('%s') finds an integer tensor",
                  label, t->name);
            continue;
        }
        CHECK(k < plain->n, "%s: more state_dict tensors than the plain file", label);
        if (k >= plain->n) return;
        const ccpl__tensor_entry *p = &plain->t[k++];
        CHECK(strcmp(t->name, p->name) == 0, "%s: tensor '%s', plain has '%s'", label, t->name, p->name);
        CHECK(ccpl__checkpoint_find(ck, p->name) == t, "%s: find('%s')", label, p->name);
        int same = t->dtype == p->dtype && t->ndim == p->ndim && t->numel == p->numel && t->data && p->data;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == p->shape[d];
        if (same && t->numel) same = memcmp(t->data, p->data, t->numel * sizeof(float)) == 0;
        CHECK(same, "%s: '%s' differs from the plain file's", label, t->name);
    }
    CHECK(k == plain->n, "%s: %d state_dict tensors, the plain file has %d", label, k, plain->n);
}

/* Checkpoints as people save them: the state_dict of sd_zip.pth wrapped,
 * prefixed, or both; each loads to the plain file's keys and values. */
static void test_wrapped(const char *dir) {
    static const struct {
        const char *base, *wrapping;
        int outside; /* tensors outside the state_dict (optimizer state, counters) */
        int ints;    /* integer tensors in the state_dict */
    } w[] = {
        {"wrap_dp", "module.", 0, 0},
        {"wrap_state_dict", "state_dict.", 0, 0},
        {"wrap_model_opt", "model.", 6, 0},
        {"wrap_sd_dp", "state_dict.module.", 0, 0},
        {"wrap_model_dp_opt", "model.module.", 7, 0},
        {"wrap_net", "net.", 0, 0},
        {"wrap_params", "params.", 0, 0},
        {"wrap_decoder", "decoder.", 0, 0},
        {"wrap_unnamed", "weights_of_run_7.inner.module.", 0, 0},
        {"wrap_compiled", "_orig_mod.", 0, 0},
        {"ints", "", 0, 7},
        {"ints_dp_wrapped", "state_dict.module.", 0, 7},
    };
    ccpl__checkpoint plain;
    ccpl_error err;
    ccpl_status st = ccpl__checkpoint_load(tu_path(dir, "sd_zip.pth"), NULL, NULL, &plain, &err);
    CHECK(st == CCPL_OK, "sd_zip.pth: %s", err.message);
    if (st != CCPL_OK) return;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        for (int legacy = 0; legacy < 2; legacy++) {
            char file[64], label[80];
            snprintf(file, sizeof file, "%s_%s.pth", w[i].base, legacy ? "legacy" : "zip");
            ccpl__checkpoint ck;
            st = ccpl__checkpoint_load(tu_path(dir, file), NULL, NULL, &ck, &err);
            CHECK(st == CCPL_OK, "%s: %s", file, err.message);
            if (st != CCPL_OK) continue;
            CHECK(strcmp(ck.format, legacy ? "legacy" : "zip") == 0, "%s: format %s", file, ck.format);
            CHECK(ck.wrapping && strcmp(ck.wrapping, w[i].wrapping) == 0, "%s: wrapping '%s', expected '%s'", file,
                  ck.wrapping ? ck.wrapping : "(null)", w[i].wrapping);
            int outside = 0, ints = 0;
            for (int k = 0; k < ck.n; k++) {
                outside += ck.t[k].outside;
                ints += !ck.t[k].outside && !ccpl__dtype_is_float(ck.t[k].dtype);
            }
            CHECK(outside == w[i].outside && ints == w[i].ints, "%s: %d outside, %d integer tensors; expected %d, %d",
                  file, outside, ints, w[i].outside, w[i].ints);
            check_same_as_plain(file, &ck, &plain);
            ccpl__checkpoint_free(&ck);
            /* the filter sees the keys, not the names in the file */
            st = ccpl__checkpoint_load(tu_path(dir, file), want_weights_and_half, NULL, &ck, &err);
            CHECK(st == CCPL_OK, "%s (filtered): %s", file, err.message);
            snprintf(label, sizeof label, "%s (filtered)", file);
            for (int k = 0; st == CCPL_OK && k < ck.n; k++) {
                const ccpl__tensor_entry *t = &ck.t[k];
                int want = !t->outside && ccpl__dtype_is_float(t->dtype) && want_weights_and_half(t->name, NULL);
                CHECK((t->data != NULL) == want, "%s: '%s' data %p", label, t->name, (void *)t->data);
            }
            ccpl__checkpoint_free(&ck);
        }
    }
    ccpl__checkpoint_free(&plain);
}

/* Integer and bool tensors: listed with dtype and shape, never converted. */
static void test_int_tensors(const char *dir) {
    static const struct {
        const char *name;
        ccpl__dtype dt;
        int ndim;
        int64_t shape[2];
    } ints[] = {
        {"bn.num_batches_tracked", CCPL__DT_I64, 0, {0, 0}}, {"steps", CCPL__DT_I64, 1, {3, 0}},
        {"i32", CCPL__DT_I32, 2, {2, 2}},  {"i16", CCPL__DT_I16, 1, {2, 0}},
        {"i8", CCPL__DT_I8, 1, {2, 0}},    {"u8", CCPL__DT_U8, 1, {2, 0}},
        {"mask", CCPL__DT_BOOL, 1, {3, 0}},
    };
    static const char *const names[] = {"int64", "int32", "int16", "int8", "uint8", "bool"};
    for (int d = 0; d < 6; d++)
        CHECK(strcmp(ccpl__dtype_name((ccpl__dtype)(CCPL__DT_I64 + d)), names[d]) == 0 &&
                  !ccpl__dtype_is_float((ccpl__dtype)(CCPL__DT_I64 + d)),
              "dtype %d is %s", d, ccpl__dtype_name((ccpl__dtype)(CCPL__DT_I64 + d)));
    const char *files[] = {"ints_zip.pth", "ints_legacy.pth", "ints_only.pth"};
    for (int f = 0; f < 3; f++) {
        ccpl__checkpoint ck;
        ccpl_error err;
        ccpl_status st = ccpl__checkpoint_load(tu_path(dir, files[f]), NULL, NULL, &ck, &err);
        CHECK(st == CCPL_OK, "%s: %s", files[f], err.message);
        if (st != CCPL_OK) continue;
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
            const ccpl__tensor_entry *t = ccpl__checkpoint_entry(&ck, ints[i].name);
            int ok = t && t->dtype == ints[i].dt && t->ndim == ints[i].ndim && !t->data && !t->outside;
            for (int d = 0; ok && d < t->ndim; d++) ok = t->shape[d] == ints[i].shape[d];
            CHECK(ok, "%s: integer tensor '%s'", files[f], ints[i].name);
            CHECK(ccpl__checkpoint_find(&ck, ints[i].name) == NULL, "%s: find('%s') is not NULL", files[f],
                  ints[i].name);
        }
        if (f == 2) CHECK(ck.n == 7, "ints_only.pth: %d tensors", ck.n);
        ccpl__checkpoint_free(&ck);
    }
    /* hand-made: an int64 tensor read through a 2-element LongStorage */
    ccpl__checkpoint ck;
    ccpl_error err;
    ccpl_status st = ccpl__checkpoint_load(tu_path(dir, "unsupported_pickle.pth"), NULL, NULL, &ck, &err);
    CHECK(st == CCPL_OK && ck.n == 1 && ck.t[0].dtype == CCPL__DT_I64 && ck.t[0].numel == 2 && !ck.t[0].data,
          "hand-made int64 tensor: %s", st ? err.message : "wrong entry");
    ccpl__checkpoint_free(&ck);
}

/* Two model dicts side by side: no guess, every tensor keeps its path. */
static void test_two_models(const char *dir) {
    for (int legacy = 0; legacy < 2; legacy++) {
        const char *file = legacy ? "two_models_legacy.pth" : "two_models_zip.pth";
        ccpl__checkpoint ck;
        ccpl_error err;
        ccpl_status st = ccpl__checkpoint_load(tu_path(dir, file), NULL, NULL, &ck, &err);
        CHECK(st == CCPL_OK, "%s: %s", file, err.message);
        if (st != CCPL_OK) continue;
        CHECK(ck.n == N_SD + 1 && ck.wrapping && ck.wrapping[0] == '\0', "%s: %d tensors, wrapping '%s'", file,
              ck.n, ck.wrapping ? ck.wrapping : "(null)");
        const ccpl__tensor_entry *a = ccpl__checkpoint_find(&ck, "decoder.conv.weight");
        const ccpl__tensor_entry *b = ccpl__checkpoint_find(&ck, "sct.cnet.0.weight");
        CHECK(a && a->numel == 54 && a->data && a->data[53] == fv(53) && b && b->numel == 4,
              "%s: decoder.conv.weight / sct.cnet.0.weight", file);
        char groups[200];
        ccpl__checkpoint_key_groups(&ck, groups, sizeof groups);
        CHECK(strcmp(groups, "decoder.*, sct.*") == 0, "%s: key groups '%s'", file, groups);
        ccpl__checkpoint_free(&ck);
    }
}

/* The summary of keys messages quote. */
static void test_key_groups(void) {
    ccpl__tensor_entry t[7];
    memset(t, 0, sizeof t);
    const char *names[7] = {"28.bias", "1.weight", "cnet.0.weight", "steps", "uncompress.bias", "x", "cnet.2.bias"};
    for (int i = 0; i < 7; i++) t[i].name = (char *)names[i];
    t[3].dtype = CCPL__DT_I64;  /* integer: not a group */
    ccpl__checkpoint ck = {7, t, "memory", NULL};
    char buf[200];
    ccpl__checkpoint_key_groups(&ck, buf, sizeof buf);
    CHECK(strcmp(buf, "1.* to 28.*, cnet.*, uncompress.*, x") == 0, "key groups: '%s'", buf);
    ccpl__checkpoint_key_groups(&ck, buf, 12); /* cut short, still terminated */
    CHECK(strlen(buf) < 12, "key groups in 12 bytes: '%s'", buf);
    ck.n = 0;
    ccpl__checkpoint_key_groups(&ck, buf, sizeof buf);
    CHECK(buf[0] == '\0', "key groups of nothing: '%s'", buf);
}

/* Hand-made legacy stream: a view ('view1', offset 4, size 10) of a
 * torch.cuda.FloatStorage read through the old 4-argument _rebuild_tensor
 * with offset 2, shape (2,3), stride (3,1) -> root elements 6..11. */
static void test_legacy_view(const char *dir) {
    ccpl__checkpoint ck;
    ccpl_error err;
    ccpl_status st = ccpl__checkpoint_load(tu_path(dir, "legacy_view.pth"), NULL, NULL, &ck, &err);
    CHECK(st == CCPL_OK, "legacy_view.pth: %s", err.message);
    if (st != CCPL_OK) return;
    CHECK(ck.n == 2 && strcmp(ck.format, "legacy") == 0, "legacy_view: %d tensors, format %s", ck.n, ck.format);
    const ccpl__tensor_entry *a = ccpl__checkpoint_find(&ck, "a");
    const ccpl__tensor_entry *b = ccpl__checkpoint_find(&ck, "b");
    CHECK(a && a->dtype == CCPL__DT_F32 && a->ndim == 2 && a->shape[0] == 2 && a->shape[1] == 3 && a->numel == 6,
          "legacy_view: tensor a");
    CHECK(b && b->dtype == CCPL__DT_F64 && b->ndim == 1 && b->shape[0] == 3, "legacy_view: tensor b");
    if (a && a->data && a->numel == 6) {
        int ok = 1;
        for (int i = 0; i < 6; i++) ok &= a->data[i] == fv(6 + i);
        CHECK(ok, "legacy_view: a = %g %g ... (expected %g %g ...)", a->data[0], a->data[1], fv(6), fv(7));
    }
    if (b && b->data && b->numel == 3)
        CHECK(b->data[0] == fv(0) && b->data[1] == fv(1) && b->data[2] == fv(2), "legacy_view: b values");
    ccpl__checkpoint_free(&ck);
}

static void test_memory(const char *dir) {
    const char *path = tu_path(dir, "sd_zip.pth");
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ccpl__checkpoint ck;
    ccpl_error err;
    ccpl_status st = ccpl__checkpoint_load_memory(buf, n, "in-memory.pth", NULL, NULL, &ck, &err);
    CHECK(st == CCPL_OK, "memory load: %s", err.message);
    if (st == CCPL_OK) check_sd("memory", &ck, "", "zip", NULL);
    ccpl__checkpoint_free(&ck);
    /* the same bytes cut short, from memory: the message names the buffer */
    st = ccpl__checkpoint_load_memory(buf, n / 3, "in-memory.pth", NULL, NULL, &ck, &err);
    CHECK(st == CCPL_E_FORMAT && strncmp(err.message, "in-memory.pth: ", 15) == 0,
          "memory load of a cut buffer: %d %s", st, err.message);
    CHECK(ck.n == 0 && ck.t == NULL, "failed load leaves the checkpoint empty");
}

typedef struct {
    const char *file;
    ccpl_status status;
    const char *has[2];
} bad_t;

static void test_bad_files(const char *dir) {
    static const bad_t bad[] = {
        {"evil_os_system.pkl", CCPL_E_UNSAFE, {"refusing global os.system", NULL}},
        {"evil_eval.pkl", CCPL_E_UNSAFE, {"refusing global builtins.eval", NULL}},
        {"evil_stack_global.pkl", CCPL_E_UNSAFE, {"refusing global posix.system", NULL}},
        {"evil_inst.pkl", CCPL_E_UNSAFE, {"refusing global os.system", NULL}},
        {"evil_zip.pth", CCPL_E_UNSAFE, {"refusing global os.system", NULL}},
        {"evil_zip_getattr.pth", CCPL_E_UNSAFE, {"refusing global __builtin__.getattr", NULL}},
        {"evil_call_storage.pth", CCPL_E_UNSAFE, {"refusing to call torch.FloatStorage", NULL}},
        {"evil_nested.pth", CCPL_E_UNSAFE, {"refusing global subprocess.Popen", NULL}},
        {"evil_legacy.pth", CCPL_E_UNSAFE, {"refusing global os.system", NULL}},
        {"zip_truncated.pth", CCPL_E_FORMAT, {"zip archive", NULL}},
        {"legacy_trunc_data.pth", CCPL_E_FORMAT, {"truncated: storage ", "needs 4000 bytes, 3900 left"}},
        {"legacy_trunc_pickle.pth", CCPL_E_FORMAT, {"truncated", NULL}},
        {"empty.pth", CCPL_E_FORMAT, {"empty file", NULL}},
        {"text.pth", CCPL_E_FORMAT,
         {"not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save stream)", NULL}},
        {"bare_pickle.pth", CCPL_E_FORMAT, {"not a PyTorch checkpoint", NULL}},
        {"zip_no_pkl.pth", CCPL_E_FORMAT, {"no data.pkl", NULL}},
        {"zip_missing_storage.pth", CCPL_E_FORMAT, {"lacks storage entry sd_zip/data/0", NULL}},
        {"big_endian.pth", CCPL_E_FORMAT, {"little-endian", NULL}},
        {"bad_bounds.pth", CCPL_E_FORMAT, {"tensor 'w'", "reaches element 14 of a storage of 10 elements"}},
        {"storage_short.pth", CCPL_E_FORMAT, {"truncated: storage '0' needs 40 bytes", "has 20"}},
        {"unsupported_complex.pth", CCPL_E_FORMAT, {"tensor 'w'", "unsupported type torch.ComplexFloatStorage"}},
        {"whole_module.pth", CCPL_E_UNSAFE,
         {"refusing global torch.nn.modules.container.Sequential", "a whole pickled model"}},
        {"whole_module_legacy.pth", CCPL_E_UNSAFE, {"torch.nn.modules", "save model.state_dict() instead"}},
        {"not_dict.pth", CCPL_E_FORMAT, {"holds a tensor, not a state_dict", NULL}},
        {"deep.pkl", CCPL_E_TOO_LARGE, {"nested deeper than 64 levels", NULL}},
        {"deep_zip.pth", CCPL_E_TOO_LARGE, {"nested deeper than 64 levels", NULL}},
        {"cyclic.pth", CCPL_E_FORMAT, {"nested deeper than 16 levels", NULL}},
        {"does_not_exist.pth", CCPL_E_IO, {"No such file or directory", NULL}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *path = tu_path(dir, bad[i].file);
        ccpl__checkpoint ck;
        ccpl_error err;
        memset(&err, 0, sizeof err);
        ccpl_status st = ccpl__checkpoint_load(path, NULL, NULL, &ck, &err);
        CHECK(st == bad[i].status, "%s: status %d (%s), expected %d: %s", bad[i].file, st,
              ccpl_status_string(st), bad[i].status, err.message);
        CHECK(err.status == st, "%s: err.status", bad[i].file);
        CHECK(strncmp(err.message, path, strlen(path)) == 0 && err.message[strlen(path)] == ':',
              "%s: message does not start with the path: %s", bad[i].file, err.message);
        CHECK(strchr(err.message, '\n') == NULL, "%s: message has a newline", bad[i].file);
        for (int k = 0; k < 2; k++)
            if (bad[i].has[k])
                CHECK(strstr(err.message, bad[i].has[k]) != NULL, "%s: message lacks \"%s\": %s", bad[i].file,
                      bad[i].has[k], err.message);
        CHECK(ck.n == 0 && ck.t == NULL, "%s: checkpoint not empty after failure", bad[i].file);
        printf("  %-28s -> %s\n", bad[i].file, err.message);
    }
    /* a directory: fopen may succeed, reading fails (EISDIR) */
    ccpl__checkpoint ck;
    ccpl_error err;
    ccpl_status st = ccpl__checkpoint_load(dir, NULL, NULL, &ck, &err);
    CHECK(st == CCPL_E_IO, "directory: %d %s", st, err.message);
    CHECK(strncmp(err.message, dir, strlen(dir)) == 0, "directory message: %s", err.message);
}

/* Real models: key names, shapes, finite values, and per-tensor statistics
 * recorded by the fixture script with torch. */
static void test_real_models(const char *fixtures) {
    const char *shared = getenv("CCPL_SHARED");
    struct stat sb;
    if (!shared || !*shared) {
        SKIP("real models: CCPL_SHARED is not set");
        return;
    }
    char *models = strdup(tu_path(shared, "models"));
    if (!models || stat(models, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        SKIP("real models: %s/models does not exist", shared);
        free(models);
        return;
    }
    static const struct {
        const char *file;
        int n;
        const char *key[12];
        int64_t shape[12][4];
        size_t total;
    } real[] = {
        {"vgg_normalised_conv3_1.pth", 12,
         {"0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias", "9.weight", "9.bias", "12.weight",
          "12.bias", "16.weight", "16.bias"},
         {{3, 3, 1, 1}, {3}, {64, 3, 3, 3}, {64}, {64, 64, 3, 3}, {64}, {128, 64, 3, 3}, {128},
          {128, 128, 3, 3}, {128}, {256, 128, 3, 3}, {256}},
         555340},
        {"feature_invertor_conv3_1.pth", 10,
         {"1.weight", "1.bias", "5.weight", "5.bias", "8.weight", "8.bias", "12.weight", "12.bias", "15.weight",
          "15.bias"},
         {{128, 256, 3, 3}, {128}, {128, 128, 3, 3}, {128}, {64, 128, 3, 3}, {64}, {64, 64, 3, 3}, {64},
          {3, 64, 3, 3}, {3}},
         555075},
    };
    FILE *stats = fopen(tu_path(fixtures, "real_models.txt"), "r");
    for (size_t m = 0; m < 2; m++) {
        const char *path = tu_path(models, real[m].file);
        if (stat(path, &sb) != 0) {
            SKIP("real models: %s is missing", path);
            continue;
        }
        ccpl__checkpoint ck;
        ccpl_error err;
        ccpl_status st = ccpl__checkpoint_load(path, NULL, NULL, &ck, &err);
        CHECK(st == CCPL_OK, "%s: %s", real[m].file, err.message);
        if (st != CCPL_OK) continue;
        CHECK(ck.n == real[m].n && strcmp(ck.format, "legacy") == 0, "%s: %d tensors, format %s", real[m].file,
              ck.n, ck.format);
        size_t total = 0;
        for (int k = 0; k < ck.n && k < real[m].n; k++) {
            const ccpl__tensor_entry *t = &ck.t[k];
            int rank = real[m].key[k][strlen(real[m].key[k]) - 1] == 't' ? 4 : 1; /* weight / bias */
            int ok = strcmp(t->name, real[m].key[k]) == 0 && t->dtype == CCPL__DT_F32 && t->ndim == rank;
            for (int d = 0; ok && d < rank; d++) ok = t->shape[d] == real[m].shape[k][d];
            CHECK(ok, "%s: tensor %d is '%s' ndim %d, expected '%s'", real[m].file, k, t->name, t->ndim,
                  real[m].key[k]);
            int finite = 1;
            for (size_t i = 0; i < t->numel; i++) finite &= isfinite(t->data[i]) != 0;
            CHECK(finite, "%s: %s has non-finite values", real[m].file, t->name);
            total += t->numel;
        }
        CHECK(total == real[m].total, "%s: %zu parameters, expected %zu", real[m].file, total, real[m].total);
        /* statistics from torch */
        int compared = 0;
        if (stats) {
            char file[128], key[64];
            size_t numel;
            double sum, first, last;
            rewind(stats);
            while (fscanf(stats, "%127s %63s %zu %lf %lf %lf", file, key, &numel, &sum, &first, &last) == 6) {
                if (strcmp(file, real[m].file) != 0) continue;
                const ccpl__tensor_entry *t = ccpl__checkpoint_find(&ck, key);
                CHECK(t && t->numel == numel, "%s: %s missing or wrong size", file, key);
                if (!t || t->numel != numel || !numel) continue;
                double s = 0, sa = 0;
                for (size_t i = 0; i < numel; i++) {
                    s += t->data[i];
                    sa += fabs(t->data[i]);
                }
                CHECK(fabs(s - sum) <= 1e-9 * sa + 1e-12, "%s: %s sum %.17g, torch %.17g", file, key, s, sum);
                CHECK(t->data[0] == (float)first && t->data[numel - 1] == (float)last,
                      "%s: %s first/last %.9g %.9g, torch %.9g %.9g", file, key, t->data[0], t->data[numel - 1],
                      first, last);
                compared++;
            }
        }
        if (compared)
            printf("  %s: %d tensors match torch's sums and end values\n", real[m].file, compared);
        else
            SKIP("%s: no torch statistics in real_models.txt (fixtures made without the shared folder)",
                 real[m].file);
        ccpl__checkpoint_free(&ck);
    }
    if (stats) fclose(stats);
    free(models);
}

int main(void) {
    const char *fixtures = tu_env("CCPL_FIXTURES");
    char *dirbuf = strdup(tu_path(fixtures, "checkpoint")); /* tu_path's buffers rotate */
    if (!dirbuf) return 1;
    CHECK(strcmp(ccpl__dtype_name(CCPL__DT_F32), "float32") == 0 &&
              strcmp(ccpl__dtype_name(CCPL__DT_F16), "float16") == 0 &&
              strcmp(ccpl__dtype_name(CCPL__DT_BF16), "bfloat16") == 0 &&
              strcmp(ccpl__dtype_name(CCPL__DT_F64), "float64") == 0,
          "dtype names");
    test_good_files(dirbuf);
    test_legacy_view(dirbuf);
    test_memory(dirbuf);
    test_wrapped(dirbuf);
    test_int_tensors(dirbuf);
    test_two_models(dirbuf);
    test_key_groups();
    test_bad_files(dirbuf);
    test_real_models(dirbuf);
    free(dirbuf);
    return tu_finish();
}
