#include "train/trainer.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/blas_threads.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/checkpoint_write.h"
#include "model/arch.h"
#include "train/adam.h"
#include "train/data.h"
#include "train/train_model.h"

#define MAX_PARAMS 64

static const int TAP_CHANNELS[CCPL__MAX_TAPS] = {64, 128, 256, 512};

ccpl__train_config ccpl__train_config_default(void) {
    ccpl__train_config c;
    memset(&c, 0, sizeof c);
    c.mode = CCPL_MODE_ART;
    c.max_iter = 160000;
    c.batch = 8;
    c.load_size = 512, c.crop_size = 256;
    c.lr = 1e-4, c.lr_decay = 5e-5;
    c.loss.content_weight = 1.0f, c.loss.style_weight = 10.0f, c.loss.ccp_weight = 5.0f;
    c.loss.tau = 0.07f, c.loss.num_s = 8, c.loss.num_l = 3;
    c.loss.photoreal_radius = 1, c.loss.photoreal_eps = 1e-4f; /* read only with a weight */
    c.save_interval = 10000;
    c.seed = 1;
    c.engine = CCPL_ENGINE_FAST;
    return c;
}

/* The training state lives in four flat blocks of floats, one each for the
 * parameters, their gradients and Adam's first and second moments, laid out
 * alike and split by a table with a row per tensor (issue 14, "planned
 * memory"): four allocations in all. Each tensor starts on a 64-byte
 * boundary (ALIGN_FLOATS); the gaps between tensors stay zero in all four
 * blocks (Adam maps p = g = m = v = 0 to itself). The frozen tensors (photo
 * mode: decoder keys 1, 5, 8) come first in the blocks and the trainable ones
 * after them, so that the trainable ones form a single range: zeroing the
 * gradients is one memset and Adam one call per iteration. The table keeps
 * the files' key order, whatever the layout, so the files are what they
 * were. Names are looked up only at setup: binding the nets and their
 * gradients, loading, saving. */
#define ALIGN_FLOATS 16 /* 64 bytes */

/* One tensor: a row of the table. */
typedef struct param {
    char name[48];   /* key in its file: "14.weight", "cnet.0.bias", "mlp.9.weight" */
    int file;        /* 0 decoder, 1 SCT, 2 MLP (resume state only) */
    int ndim;
    int64_t shape[4];
    size_t n;
    size_t off;      /* where it starts in each block, a multiple of ALIGN_FLOATS */
    int trainable;   /* photo mode leaves decoder keys 1, 5, 8 at their values */
    int bias_row;    /* a weight: the row of its bias; a bias: -1 */
} param;

typedef struct trainer {
    const ccpl__train_config *cfg;
    param ps[MAX_PARAMS]; /* in the files' key order: a weight's and its bias's rows adjacent */
    int np;
    float *p, *g, *m, *v;      /* the blocks, `size` floats each */
    size_t size;
    size_t train_off, train_n; /* the trainable range, the same in each block */
    ccpl__checkpoint vgg, view; /* view: entries pointing into p, for binding */
    ccpl__tensor_entry view_t[MAX_PARAMS];
    char view_names[MAX_PARAMS][64];
    ccpl__train_model model;
    ccpl__train_fast fast; /* model.enc on the fast engine (--engine fast) */
    ccpl__train_grads grads;
    ccpl__train_ws ws; /* the steps' memory, kept from one iteration to the next */
} trainer;

static void add_row(trainer *t, int file, const char *name, int ndim, const int64_t *s, int trainable,
                    int bias_row) {
    param *p = &t->ps[t->np++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->file = file, p->ndim = ndim, p->trainable = trainable, p->bias_row = bias_row;
    p->n = 1;
    for (int i = 0; i < ndim; i++) p->shape[i] = s[i], p->n *= (size_t)s[i];
}

/* Adds the rows of a weight of shape (a, b, c, d) (ndim of them) and its
 * bias (a); their places in the blocks come with plan_blocks. bias_first:
 * the bias's row (and key) comes first. The decoder's and the MLP's keys
 * have always come bias first in the files (of gcc builds: the versions
 * before the flat blocks added the rows inside the argument list of one
 * call, whose evaluation order C leaves open), the SCT's weight first; kept,
 * so that the files stay byte for byte what they were. */
static void add_pair(trainer *t, int file, const char *wname, const char *bname, int ndim, int64_t a,
                     int64_t b, int64_t c, int64_t d, int trainable, int bias_first) {
    const int64_t ws[4] = {a, b, c, d}, bs[1] = {a};
    if (bias_first) {
        add_row(t, file, bname, 1, bs, trainable, -1);
        add_row(t, file, wname, ndim, ws, trainable, t->np - 1);
    } else {
        add_row(t, file, wname, ndim, ws, trainable, t->np + 1);
        add_row(t, file, bname, 1, bs, trainable, -1);
    }
}

static param *find_param(trainer *t, int file, const char *name) {
    for (int i = 0; i < t->np; i++)
        if (t->ps[i].file == file && !strcmp(t->ps[i].name, name)) return &t->ps[i];
    return NULL;
}

/* A block of n floats (n a multiple of ALIGN_FLOATS), 64-byte aligned and
 * zeroed; NULL when memory runs out. */
static float *alloc_block(size_t n) {
    size_t bytes;
    if (!ccpl__mul_ok(&bytes, n ? n : ALIGN_FLOATS, sizeof(float))) return NULL;
    float *b = aligned_alloc(ALIGN_FLOATS * sizeof(float), bytes);
    if (b) memset(b, 0, bytes);
    return b;
}

/* Places the rows in the blocks (frozen ones first, then the trainable
 * range, each in table order) and allocates the four blocks. */
static ccpl_status plan_blocks(trainer *t, ccpl_error *err) {
    size_t off = 0;
    for (int trainable = 0; trainable < 2; trainable++) {
        if (trainable) t->train_off = off;
        for (int i = 0; i < t->np; i++) {
            param *q = &t->ps[i];
            if ((q->trainable != 0) != trainable) continue;
            q->off = off;
            const size_t padded = (q->n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
            if (padded < q->n || off + padded < off)
                return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the parameters");
            off += padded;
        }
    }
    t->size = off;
    t->train_n = off - t->train_off;
    float **blocks[4] = {&t->p, &t->g, &t->m, &t->v};
    for (int k = 0; k < 4; k++)
        if (!(*blocks[k] = alloc_block(t->size)))
            return ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the parameters");
    return CCPL_OK;
}

/* PyTorch's default initialisation of Conv2d/Linear: weight and bias
 * uniform in +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)). */
static void init_uniform(trainer *t, const param *w, const param *b, uint64_t *rng) {
    const size_t fan_in = w->n / (size_t)w->shape[0];
    const double bound = 1.0 / sqrt((double)fan_in);
    float *wp = t->p + w->off, *bp = t->p + b->off;
    for (size_t i = 0; i < w->n; i++) {
        *rng = ccpl__mix64(*rng);
        wp[i] = (float)((((*rng >> 11) * 0x1.0p-53) * 2 - 1) * bound);
    }
    for (size_t i = 0; i < b->n; i++) {
        *rng = ccpl__mix64(*rng);
        bp[i] = (float)((((*rng >> 11) * 0x1.0p-53) * 2 - 1) * bound);
    }
}

static void add_conv_params(trainer *t, int file, const char *prefix, const ccpl__net *net,
                            int trainable) {
    for (int i = 0; i < net->n_ops; i++) {
        if (net->ops[i].kind != CCPL__OP_CONV) continue;
        const ccpl__conv *cv = &net->ops[i].conv;
        char wn[48], bn[48];
        if (cv->key < 0) snprintf(wn, sizeof wn, "%s.weight", prefix), snprintf(bn, sizeof bn, "%s.bias", prefix);
        else snprintf(wn, sizeof wn, "%s%d.weight", prefix, cv->key), snprintf(bn, sizeof bn, "%s%d.bias", prefix, cv->key);
        add_pair(t, file, wn, bn, 4, cv->cout, cv->cin, cv->k, cv->k, trainable, 0);
    }
}

/* Entries of t->view pointing at the parameters, so that nets bind to them. */
static void make_view(trainer *t) {
    t->view.t = t->view_t;
    t->view.n = t->np;
    t->view.format = "memory";
    for (int i = 0; i < t->np; i++) {
        ccpl__tensor_entry *e = &t->view_t[i];
        const param *q = &t->ps[i];
        memset(e, 0, sizeof *e);
        /* the file decides the prefix: SCT keys already have theirs */
        snprintf(t->view_names[i], sizeof t->view_names[i], "%s%s", q->file == 2 ? "mlp." : "", q->name);
        e->name = t->view_names[i];
        e->dtype = CCPL__DT_F32;
        e->ndim = q->ndim;
        memcpy(e->shape, q->shape, sizeof q->shape);
        e->numel = q->n;
        e->data = t->p + q->off;
    }
}

static float *grad_of(trainer *t, int file, const char *name) {
    param *p = find_param(t, file, name);
    return p && p->trainable ? t->g + p->off : NULL;
}

static void bind_grads(trainer *t, const ccpl__net *net, int file, const char *prefix, float **dw,
                       float **db) {
    for (int i = 0; i < net->n_ops; i++) {
        if (net->ops[i].kind != CCPL__OP_CONV) continue;
        char wn[48], bn[48];
        const int key = net->ops[i].conv.key;
        if (key < 0) snprintf(wn, sizeof wn, "%s.weight", prefix), snprintf(bn, sizeof bn, "%s.bias", prefix);
        else snprintf(wn, sizeof wn, "%s%d.weight", prefix, key), snprintf(bn, sizeof bn, "%s%d.bias", prefix, key);
        dw[i] = grad_of(t, file, wn);
        db[i] = grad_of(t, file, bn);
    }
}

/* Copies the tensors of ck into the parameters of `file` they name (with
 * a key map for the feature invertor). */
static ccpl_status copy_in(trainer *t, int file, const ccpl__checkpoint *ck, const char *path,
                           const char *const *from, const char *const *to, int n_map, ccpl_error *err) {
    for (int k = 0; k < n_map; k++) {
        const ccpl__tensor_entry *e = ccpl__checkpoint_find(ck, from[k]);
        param *p = find_param(t, file, to[k]);
        if (!e || !p) return ccpl__fail(err, CCPL_E_MISSING_KEY, "%s: missing key '%s'", path, from[k]);
        if (e->numel != p->n || e->ndim != p->ndim)
            return ccpl__fail(err, CCPL_E_SHAPE, "%s: '%s' has %zu values, expected %zu (wrong mode?)",
                              path, from[k], e->numel, p->n);
        for (int d = 0; d < e->ndim; d++)
            if (e->shape[d] != p->shape[d])
                return ccpl__fail(err, CCPL_E_SHAPE, "%s: '%s' has the wrong shape (wrong mode?)", path, from[k]);
        memcpy(t->p + p->off, e->data, sizeof(float) * p->n);
    }
    return CCPL_OK;
}

static ccpl_status init_decoder(trainer *t, const char *path, ccpl_error *err) {
    ccpl__checkpoint ck;
    ccpl_status st = ccpl__checkpoint_load(path, NULL, NULL, &ck, err);
    if (st != CCPL_OK) return st;
    const char *from[20], *to[20];
    char names[20][2][24];
    int n = 0;
    const ccpl__tensor_entry *inv = ccpl__checkpoint_find(&ck, "15.weight");
    if (!ccpl__checkpoint_find(&ck, "28.weight") && inv && inv->ndim == 4 && inv->shape[0] == 3 &&
        inv->shape[1] == 64) {
        /* the Universal Style Transfer relu3_1 decoder: 1,5,8,12,15 -> 14,18,21,25,28;
           key 11 becomes an identity (exact on non-negative relu3_1 features) */
        static const int src[5] = {1, 5, 8, 12, 15}, dst[5] = {14, 18, 21, 25, 28};
        for (int k = 0; k < 5; k++)
            for (int wb = 0; wb < 2; wb++) {
                snprintf(names[n][0], 24, "%d.%s", src[k], wb ? "bias" : "weight");
                snprintf(names[n][1], 24, "%d.%s", dst[k], wb ? "bias" : "weight");
                from[n] = names[n][0], to[n] = names[n][1], n++;
            }
        const param *w = find_param(t, 0, "11.weight"), *b = find_param(t, 0, "11.bias");
        float *wp = t->p + w->off;
        memset(wp, 0, sizeof(float) * w->n);
        memset(t->p + b->off, 0, sizeof(float) * b->n);
        for (int o = 0; o < 256; o++) wp[((size_t)o * 256 + o) * 9 + 4] = 1.0f;
    } else {
        for (int i = 0; i < t->np; i++)
            if (t->ps[i].file == 0 && (t->ps[i].trainable || ccpl__checkpoint_find(&ck, t->ps[i].name))) {
                from[n] = to[n] = t->ps[i].name;
                n++;
            }
    }
    st = copy_in(t, 0, &ck, path, from, to, n, err);
    ccpl__checkpoint_free(&ck);
    return st;
}

static ccpl_status init_sct(trainer *t, const char *path, ccpl_error *err) {
    ccpl__checkpoint ck;
    ccpl_status st = ccpl__checkpoint_load(path, NULL, NULL, &ck, err);
    if (st != CCPL_OK) return st;
    const char *names[MAX_PARAMS];
    int n = 0;
    for (int i = 0; i < t->np; i++)
        if (t->ps[i].file == 1) names[n++] = t->ps[i].name;
    st = copy_in(t, 1, &ck, path, names, names, n, err);
    ccpl__checkpoint_free(&ck);
    return st;
}

/* The iteration inside state.pth, exact in float32: {iter >> 20, iter & 0xfffff}. */
#define ITER_KEY "meta.iteration"

static ccpl_status save_file(trainer *t, const char *path, int file, int with_state, long iter,
                             ccpl_error *err) {
    ccpl__tensor_out out[3 * MAX_PARAMS + 1];
    char names[3 * MAX_PARAMS + 1][64];
    int n = 0;
    const float it[2] = {(float)(iter >> 20), (float)(iter & 0xfffff)};
    if (with_state) {
        memset(&out[n], 0, sizeof out[n]);
        out[n].name = ITER_KEY, out[n].ndim = 1, out[n].shape[0] = 2, out[n].data = it;
        n++;
    }
    for (int i = 0; i < t->np; i++) {
        const param *p = &t->ps[i];
        if (!with_state && p->file != file) continue;
        const float *bufs[3] = {t->p + p->off, t->m + p->off, t->v + p->off};
        static const char *const pre[3] = {"p.", "m.", "v."};
        for (int k = 0; k < (with_state ? 3 : 1); k++) {
            if (with_state)
                snprintf(names[n], 64, "%s%s%s", pre[k], p->file == 0 ? "decoder." : p->file == 1 ? "sct." : "mlp.", p->name);
            else
                snprintf(names[n], 64, "%s", p->name);
            out[n].name = names[n];
            out[n].ndim = p->ndim;
            memcpy(out[n].shape, p->shape, sizeof p->shape);
            out[n].data = bufs[k];
            n++;
        }
    }
    return ccpl__checkpoint_save(path, out, n, err);
}

/* Every file is written to a temporary name, fsynced and renamed (atomic
 * files), so a kill at any moment leaves each one either old or new and
 * complete. state.pth carries its own iteration, so it is self-consistent
 * whatever moment a kill stops this sequence at: killed after state.pth and
 * before resume.txt, the resume continues from state.pth's iteration (the
 * decoder and SCT files of that iteration are already complete). */
static ccpl_status save_all(trainer *t, long iter, ccpl_error *err) {
    const ccpl__train_config *c = t->cfg;
    char path[4096];
    ccpl_status st;
    snprintf(path, sizeof path, "%s/decoder_iter_%ld.pth.tar", c->save_dir, iter);
    if ((st = save_file(t, path, 0, 0, iter, err)) != CCPL_OK) return st;
    snprintf(path, sizeof path, "%s/sct_iter_%ld.pth.tar", c->save_dir, iter);
    if ((st = save_file(t, path, 1, 0, iter, err)) != CCPL_OK) return st;
    snprintf(path, sizeof path, "%s/state.pth", c->save_dir);
    if ((st = save_file(t, path, 0, 1, iter, err)) != CCPL_OK) return st;
    /* resume.txt last: a run is resumable once it exists (its settings never
       change within a run; its iteration is informative, state.pth's rules) */
    snprintf(path, sizeof path, "%s/resume.txt", c->save_dir);
    ccpl__atomic_file af;
    if ((st = ccpl__atomic_open(&af, path, err)) != CCPL_OK) return st;
    fprintf(af.fp, "ccpl-train-state 1\nmode %s\niteration %ld\nseed %llu\nbatch %d\ncrop %d\n"
                   "load %d\nfreeze-decoder %d\n",
            c->mode == CCPL_MODE_ART ? "art" : "photo", iter, (unsigned long long)c->seed, c->batch,
            c->crop_size, c->load_size, c->freeze_decoder);
    /* only when in use: a run without it writes the file it always has */
    if (c->loss.identity_weight != 0.0f)
        fprintf(af.fp, "identity-weight %.9g\n", (double)c->loss.identity_weight);
    if (c->loss.photoreal_weight != 0.0f)
        fprintf(af.fp, "photoreal-weight %.9g\nphotoreal-filter %d %.9g\n",
                (double)c->loss.photoreal_weight, c->loss.photoreal_radius, (double)c->loss.photoreal_eps);
    return ccpl__atomic_commit(&af, err);
}

static ccpl_status load_state(trainer *t, long *iter, ccpl_error *err) {
    const ccpl__train_config *c = t->cfg;
    char path[4096], mode[16] = "";
    unsigned long long seed = 0;
    int batch = 0, crop = 0;
    snprintf(path, sizeof path, "%s/resume.txt", c->save_dir);
    FILE *f = fopen(path, "r");
    if (!f) return ccpl__fail(err, CCPL_E_IO, "%s: %s", path, strerror(errno));
    int ok = fscanf(f, "ccpl-train-state 1 mode %15s iteration %ld seed %llu batch %d crop %d", mode,
                    iter, &seed, &batch, &crop) == 5;
    /* written since 2026-11-30; older states have neither line and resume
       with whatever load size is given, the decoder trainable */
    int load = c->load_size, frozen = 0;
    if (ok && fscanf(f, " load %d", &load) == 1 && fscanf(f, " freeze-decoder %d", &frozen) != 1) ok = 0;
    /* written only by runs with an extra loss (issue 15), after those: the
       SCT identity loss's weight and the photorealism loss's weight and
       filter; absent, weight 0. Any other line: not ours. */
    float idw = 0.0f, prw = 0.0f, pr_eps = 0.0f;
    int pr_r = -1;
    char line[256];
    while (ok && fgets(line, sizeof line, f)) {
        char rest;
        if (sscanf(line, " %c", &rest) != 1) continue; /* the end of the last line read */
        if (sscanf(line, "identity-weight %f %c", &idw, &rest) != 1 &&
            sscanf(line, "photoreal-weight %f %c", &prw, &rest) != 1 &&
            sscanf(line, "photoreal-filter %d %f %c", &pr_r, &pr_eps, &rest) != 2)
            ok = 0;
    }
    if (prw != 0.0f && pr_r < 0) ok = 0; /* a weight without its filter */
    fclose(f);
    if (!ok) return ccpl__fail(err, CCPL_E_FORMAT, "%s: not a ccpl training state", path);
    /* every setting that differs, in one line */
    char diff[400] = "";
    size_t nd = 0;
#define DIFF(...)                                                                              \
    do {                                                                                       \
        if (nd < sizeof diff)                                                                  \
            nd += (size_t)snprintf(diff + nd, sizeof diff - nd, "%s", nd ? "; with " : "");    \
        if (nd < sizeof diff) nd += (size_t)snprintf(diff + nd, sizeof diff - nd, __VA_ARGS__); \
    } while (0)
    if (strcmp(mode, c->mode == CCPL_MODE_ART ? "art" : "photo") || seed != c->seed ||
        batch != c->batch || crop != c->crop_size || load != c->load_size ||
        frozen != c->freeze_decoder)
        DIFF("mode %s, seed %llu, batch %d, crop %d, load size %d%s", mode, seed, batch, crop, load,
             frozen ? ", --freeze-decoder" : "");
    if (idw != c->loss.identity_weight)
        DIFF("--identity-weight %.9g, not %.9g", (double)idw, (double)c->loss.identity_weight);
    if (prw != c->loss.photoreal_weight)
        DIFF("--photoreal-weight %.9g, not %.9g", (double)prw, (double)c->loss.photoreal_weight);
    else if (prw != 0.0f &&
             (pr_r != c->loss.photoreal_radius || pr_eps != c->loss.photoreal_eps))
        DIFF("--photoreal-filter %d,%g, not %d,%g", pr_r, (double)pr_eps, c->loss.photoreal_radius,
             (double)c->loss.photoreal_eps);
#undef DIFF
    if (nd) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: saved with %s: resume with the same", path, diff);
    snprintf(path, sizeof path, "%s/state.pth", c->save_dir);
    ccpl__checkpoint ck;
    ccpl_status st = ccpl__checkpoint_load(path, NULL, NULL, &ck, err);
    if (st != CCPL_OK) return st;
    const ccpl__tensor_entry *it = ccpl__checkpoint_find(&ck, ITER_KEY);
    if (it) { /* absent in states of older versions: resume.txt's then */
        if (it->numel != 2 || !(it->data[0] >= 0 && it->data[0] < 0x100000) ||
            !(it->data[1] >= 0 && it->data[1] < 0x100000) || it->data[0] != (float)(long)it->data[0] ||
            it->data[1] != (float)(long)it->data[1])
            st = ccpl__fail(err, CCPL_E_FORMAT, "%s: bad '%s'", path, ITER_KEY);
        else
            *iter = ((long)it->data[0] << 20) | (long)it->data[1];
    }
    for (int i = 0; i < t->np && st == CCPL_OK; i++) {
        const param *p = &t->ps[i];
        float *bufs[3] = {t->p + p->off, t->m + p->off, t->v + p->off};
        static const char *const pre[3] = {"p.", "m.", "v."};
        for (int k = 0; k < 3 && st == CCPL_OK; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s%s%s", pre[k], p->file == 0 ? "decoder." : p->file == 1 ? "sct." : "mlp.", p->name);
            const ccpl__tensor_entry *e = ccpl__checkpoint_find(&ck, name);
            if (!e || e->numel != p->n)
                st = ccpl__fail(err, CCPL_E_FORMAT, "%s: '%s' missing or of the wrong size", path, name);
            else
                memcpy(bufs[k], e->data, sizeof(float) * p->n);
        }
    }
    ccpl__checkpoint_free(&ck);
    return st;
}

/* num_s distinct interior positions of an h x w map, from (seed, iter,
 * layer). idx: room for (h-2)*(w-2) ints (the caller's, kept across
 * iterations: no allocation per iteration). */
static void sample_anchors(int *out, int *idx, int h, int w, int num_s, uint64_t seed, long iter,
                           int layer) {
    const int n = (h - 2) * (w - 2);
    uint64_t r = ccpl__mix64(seed ^ ccpl__mix64((uint64_t)iter * 8 + (uint64_t)layer + 0xacc));
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int i = 0; i < num_s; i++) { /* partial Fisher-Yates */
        r = ccpl__mix64(r);
        const int j = i + (int)(r % (uint64_t)(n - i));
        const int tmp = idx[i];
        idx[i] = idx[j], idx[j] = tmp;
        out[2 * i] = idx[i] / (w - 2) + 1;
        out[2 * i + 1] = idx[i] % (w - 2) + 1;
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- leftovers of a killed run ---- */

/* Does b[0..len) name a file the trainer writes into the save folder? */
static int saved_name(const char *b, size_t len, const char *log_base) {
    static const char *const fixed[] = {"state.pth", "resume.txt"};
    for (int i = 0; i < 2; i++)
        if (len == strlen(fixed[i]) && !memcmp(b, fixed[i], len)) return 1;
    if (log_base && len == strlen(log_base) && !memcmp(b, log_base, len)) return 1;
    static const char *const pre[] = {"decoder_iter_", "sct_iter_"};
    static const char suf[] = ".pth.tar";
    for (int i = 0; i < 2; i++) {
        const size_t np = strlen(pre[i]), ns = sizeof suf - 1;
        if (len <= np + ns || memcmp(b, pre[i], np) || memcmp(b + len - ns, suf, ns)) continue;
        size_t k = np;
        while (k < len - ns && b[k] >= '0' && b[k] <= '9') k++;
        if (k == len - ns) return 1;
    }
    return 0;
}

static int six_alnum(const char *x) {
    for (int i = 0; i < 6; i++)
        if (!((x[i] >= '0' && x[i] <= '9') || (x[i] >= 'a' && x[i] <= 'z') || (x[i] >= 'A' && x[i] <= 'Z')))
            return 0;
    return x[6] == '\0';
}

/* Removes from dir the temporary files a killed run leaves: the atomic
 * files' ".NAME.tmp-XXXXXX" and, from versions that let libzip write the
 * checkpoints, "NAME.XXXXXX" (NAME one of the trainer's own files, so that
 * nothing else in the folder is touched). Nothing else may be writing into
 * the folder: two runs must not share a save folder. */
static void remove_stale_temps(const char *dir, const char *log_base) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        const size_t len = strlen(nm);
        int stale = 0;
        if (nm[0] == '.' && len > 12 && !memcmp(nm + len - 11, ".tmp-", 5))
            stale = six_alnum(nm + len - 6) && saved_name(nm + 1, len - 12, log_base);
        else if (len > 7 && nm[len - 7] == '.')
            stale = six_alnum(nm + len - 6) && saved_name(nm, len - 7, NULL);
        if (!stale) continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, nm) < sizeof path) unlink(path);
    }
    closedir(d);
}

/* ---- the CSV log ---- */

static const char LOG_HEADER[] = "iteration,lr,loss_content,loss_style,loss_ccp,loss_total,seconds";
/* appended to the header and each row when the SCT identity loss is on: the
   older columns keep their places (readers cut fields 1-7) */
static const char LOG_IDENTITY[] = ",loss_identity";
/* and then this one when the photorealism loss is on */
static const char LOG_PHOTOREAL[] = ",loss_photoreal";

static void put_header(const ccpl__train_config *c, FILE *f) {
    fputs(LOG_HEADER, f);
    if (c->loss.identity_weight != 0.0f) fputs(LOG_IDENTITY, f);
    if (c->loss.photoreal_weight != 0.0f) fputs(LOG_PHOTOREAL, f);
    fputc('\n', f);
}

/* Opens the log. A fresh run starts it anew; a resumed run first rewrites it
 * (atomically) to the header and the complete rows of iterations 1..iter,
 * dropping what the interrupted run logged after its last checkpoint (those
 * iterations run again) and a torn last line, so that each iteration appears
 * exactly once. *secs0 receives the last kept row's seconds, so that the
 * column goes on counting the training time of the kept iterations. */
static ccpl_status open_log(const ccpl__train_config *c, long iter, FILE **out, double *secs0,
                            ccpl_error *err) {
    *out = NULL, *secs0 = 0;
    FILE *old = c->resume ? fopen(c->log_file, "rb") : NULL;
    if (!old) {
        if (c->resume && errno != ENOENT) return ccpl__fail(err, CCPL_E_IO, "%s: %s", c->log_file, strerror(errno));
        FILE *f = fopen(c->log_file, "w");
        if (!f) return ccpl__fail(err, CCPL_E_IO, "%s: %s", c->log_file, strerror(errno));
        put_header(c, f);
        *out = f;
        return CCPL_OK;
    }
    ccpl__atomic_file af;
    ccpl_status st = ccpl__atomic_open(&af, c->log_file, err);
    if (st != CCPL_OK) {
        fclose(old);
        return st;
    }
    put_header(c, af.fp);
    char line[1024];
    int torn = 0; /* inside a line longer than the buffer: never ours */
    while (fgets(line, sizeof line, old)) {
        const size_t len = strlen(line);
        const int whole = len > 0 && line[len - 1] == '\n';
        if (torn || !whole) {
            torn = !whole;
            continue;
        }
        char *end;
        errno = 0;
        const long it = strtol(line, &end, 10);
        if (end == line || *end != ',' || errno || it < 1 || it > iter) continue; /* header too */
        const char *secs = line; /* the 7th field, seconds (the last without the extra losses) */
        for (int k = 0; k < 6 && secs; k++)
            if ((secs = strchr(secs, ','))) secs++;
        *secs0 = strtod(secs ? secs : strrchr(line, ',') + 1, NULL);
        fputs(line, af.fp);
    }
    const int rerr = ferror(old);
    fclose(old);
    if (rerr) {
        ccpl__atomic_abort(&af);
        return ccpl__fail(err, CCPL_E_IO, "%s: read failed", c->log_file);
    }
    if ((st = ccpl__atomic_commit(&af, err)) != CCPL_OK) return st;
    if (!(*out = fopen(c->log_file, "a"))) return ccpl__fail(err, CCPL_E_IO, "%s: %s", c->log_file, strerror(errno));
    return CCPL_OK;
}

static void free_trainer(trainer *t) {
    free(t->p), free(t->g), free(t->m), free(t->v);
    ccpl__train_model_fast_release(&t->model, &t->fast);
    ccpl__checkpoint_free(&t->vgg);
    ccpl__train_ws_release(&t->ws);
}

/* The log must not be one of the training images (same device and inode,
 * whatever the spelling): writing it would destroy an input. */
static ccpl_status check_log_not_input(const ccpl__train_config *c, const ccpl__image_set *set,
                                       ccpl_error *err) {
    struct stat lg, im;
    if (!c->log_file || stat(c->log_file, &lg) != 0) return CCPL_OK; /* new file: no clash */
    for (int i = 0; i < set->n; i++)
        if (stat(set->paths[i], &im) == 0 && im.st_dev == lg.st_dev && im.st_ino == lg.st_ino)
            return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                              "%s: the log file is the training image %s; refusing to replace it",
                              c->log_file, set->paths[i]);
    return CCPL_OK;
}

/* Hands the files the loader skipped since the last call to on_skip, on
 * this (the training) thread. */
static void report_skips(const ccpl__train_config *c, ccpl__loader *loader, int *reported) {
    char msg[512];
    while (ccpl__loader_skip_message(loader, *reported, msg, sizeof msg)) {
        if (c->on_skip) c->on_skip(msg, c->user);
        (*reported)++;
    }
}

ccpl_status ccpl__train_run(const ccpl__train_config *c, int *skipped, ccpl_error *err) {
    trainer t;
    memset(&t, 0, sizeof t);
    t.cfg = c;
    ccpl_status st = CCPL_OK;
    ccpl__image_set cs = {0}, ss = {0};
    ccpl__loader *loader = NULL;
    FILE *log = NULL;
    int *anchor_idx = NULL;
    int reported = 0; /* skipped files already passed to on_skip */
    const ccpl_mode mode = c->mode;
    const int T = mode == CCPL_MODE_ART ? 4 : 3, mult = mode == CCPL_MODE_ART ? 8 : 4;
    if (skipped) *skipped = 0;

    if (c->batch < 1 || c->batch > 64 || c->max_iter < 0 || c->save_interval < 1 ||
        c->crop_size % mult || c->loss.num_l < 1 || c->loss.num_l > T || c->loss.num_s < 1 ||
        !(c->loss.tau > 0) || !(c->lr > 0) || !(c->lr_decay >= 0) ||
        (c->loss.photoreal_weight != 0.0f && (c->loss.photoreal_radius < 0 || !(c->loss.photoreal_eps > 0))))
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "bad training options (batch 1..64, crop a multiple of %d, num_l 1..%d, "
                          "num_s >= 1, tau and lr > 0, photorealism radius >= 0 and eps > 0)", mult, T);
    /* anchors need num_s interior positions in the smallest CCPL layer */
    const int smallest = c->crop_size / (1 << (T - 1));
    if ((smallest - 2) * (smallest - 2) < c->loss.num_s)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                          "crop %d leaves %dx%d features at the deepest layer: too few positions for %d anchors",
                          c->crop_size, smallest, smallest, c->loss.num_s);

    /* networks and parameters */
    ccpl__train_model *m = &t.model;
    ccpl__train_model_arch(m, mode);
    uint64_t rng = ccpl__mix64(c->seed ^ 0x1417);
    ccpl__net full_dec;
    ccpl__arch_decoder(&full_dec, CCPL_MODE_ART); /* every key is saved in both modes */
    for (int i = 0; i < full_dec.n_ops; i++)
        if (full_dec.ops[i].kind == CCPL__OP_CONV) {
            const ccpl__conv *cv = &full_dec.ops[i].conv;
            char wn[24], bn[24];
            snprintf(wn, sizeof wn, "%d.weight", cv->key), snprintf(bn, sizeof bn, "%d.bias", cv->key);
            const int trainable = !c->freeze_decoder && (mode == CCPL_MODE_ART || cv->key >= 11);
            add_pair(&t, 0, wn, bn, 4, cv->cout, cv->cin, cv->k, cv->k, trainable, 1);
        }
    add_conv_params(&t, 1, "cnet.", &m->sct.cnet, 1);
    add_conv_params(&t, 1, "snet.", &m->sct.snet, 1);
    add_conv_params(&t, 1, "uncompress", &m->sct.uncompress, 1);
    for (int l = 0; l < T; l++) {
        const int C = TAP_CHANNELS[l];
        char n1[24], n2[24], n3[24], n4[24];
        snprintf(n1, sizeof n1, "%d.weight", 3 * l), snprintf(n2, sizeof n2, "%d.bias", 3 * l);
        snprintf(n3, sizeof n3, "%d.weight", 3 * l + 2), snprintf(n4, sizeof n4, "%d.bias", 3 * l + 2);
        add_pair(&t, 2, n1, n2, 2, C, C, 0, 0, 1, 1);
        add_pair(&t, 2, n3, n4, 2, C / 4, C, 0, 0, 1, 1);
    }
    if ((st = plan_blocks(&t, err)) != CCPL_OK) goto done;
    /* pair after pair, each weight before its bias: one random stream */
    for (int i = 0; i < t.np; i++)
        if (t.ps[i].bias_row >= 0) init_uniform(&t, &t.ps[i], &t.ps[t.ps[i].bias_row], &rng);
    long iter = 0;
    if (c->resume) {
        if ((st = load_state(&t, &iter, err)) != CCPL_OK) goto done;
    } else {
        if (c->init_decoder && (st = init_decoder(&t, c->init_decoder, err)) != CCPL_OK) goto done;
        if (c->init_sct && (st = init_sct(&t, c->init_sct, err)) != CCPL_OK) goto done;
    }
    make_view(&t);
    if ((st = ccpl__net_bind(&m->dec, &t.view, "decoder", "", "", err)) != CCPL_OK ||
        (st = ccpl__net_bind(&m->sct.cnet, &t.view, "sct", "cnet.", "", err)) != CCPL_OK ||
        (st = ccpl__net_bind(&m->sct.snet, &t.view, "sct", "snet.", "", err)) != CCPL_OK ||
        (st = ccpl__conv_bind(&m->sct.uncompress.ops[0].conv, &t.view, "sct", "uncompress", "", err)) != CCPL_OK)
        goto done;
    bind_grads(&t, &m->dec, 0, "", t.grads.dec_w, t.grads.dec_b);
    bind_grads(&t, &m->sct.cnet, 1, "cnet.", t.grads.sct.cnet_w, t.grads.sct.cnet_b);
    bind_grads(&t, &m->sct.snet, 1, "snet.", t.grads.sct.snet_w, t.grads.sct.snet_b);
    bind_grads(&t, &m->sct.uncompress, 1, "uncompress", t.grads.sct.un_w, t.grads.sct.un_b);
    for (int l = 0; l < T; l++) {
        char n[24];
        param *p;
        snprintf(n, sizeof n, "%d.weight", 3 * l), p = find_param(&t, 2, n);
        m->mlp[l].c = (int)p->shape[1], m->mlp[l].w1 = t.p + p->off, t.grads.mlp[l].w1 = t.g + p->off;
        snprintf(n, sizeof n, "%d.bias", 3 * l), p = find_param(&t, 2, n);
        m->mlp[l].b1 = t.p + p->off, t.grads.mlp[l].b1 = t.g + p->off;
        snprintf(n, sizeof n, "%d.weight", 3 * l + 2), p = find_param(&t, 2, n);
        m->mlp[l].d = (int)p->shape[0], m->mlp[l].w2 = t.p + p->off, t.grads.mlp[l].w2 = t.g + p->off;
        snprintf(n, sizeof n, "%d.bias", 3 * l + 2), p = find_param(&t, 2, n);
        m->mlp[l].b2 = t.p + p->off, t.grads.mlp[l].b2 = t.g + p->off;
    }
    /* the frozen encoder: only what the mode needs */
    if ((st = ccpl__checkpoint_load(c->vgg, NULL, NULL, &t.vgg, err)) != CCPL_OK ||
        (st = ccpl__net_bind(&m->enc, &t.vgg, c->vgg, "",
                             mode == CCPL_MODE_ART ? " (art mode needs the VGG up to relu4_1)" : "", err)) != CCPL_OK)
        goto done;
    if (c->engine == CCPL_ENGINE_FAST) {
        /* the encoder's forward passes (content and style: no backward; the
         * generated image: traced) and its input gradients on Winograd, and
         * the decoder's forward and input gradients (its Winograd weights
         * follow every update: refreshed before each step) */
        if ((st = ccpl__train_model_use_fast(m, &t.fast, err)) != CCPL_OK) goto done;
    }

    /* data */
    if ((st = ccpl__image_set_scan_dirs(&cs, c->content_dirs, c->n_content_dirs, err)) != CCPL_OK ||
        (st = ccpl__image_set_scan_dirs(&ss, c->style_dirs, c->n_style_dirs, err)) != CCPL_OK ||
        (st = check_log_not_input(c, &cs, err)) != CCPL_OK ||
        (st = check_log_not_input(c, &ss, err)) != CCPL_OK)
        goto done;
    if (mkdir(c->save_dir, 0777) != 0 && errno != EEXIST) {
        st = ccpl__fail(err, CCPL_E_IO, "%s: %s", c->save_dir, strerror(errno));
        goto done;
    }
    remove_stale_temps(c->save_dir, NULL);
    double secs0 = 0;
    if (c->log_file) {
        const char *slash = strrchr(c->log_file, '/');
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - c->log_file) + (slash == c->log_file) : 1,
                 slash ? c->log_file : ".");
        remove_stale_temps(dir, slash ? slash + 1 : c->log_file);
        if ((st = open_log(c, iter, &log, &secs0, err)) != CCPL_OK) goto done;
    }
    const ccpl__loader_config lc = {c->batch, c->load_size, c->crop_size, c->seed};
    if (!(loader = ccpl__loader_new(&cs, &ss, &lc, iter, err))) {
        st = err ? err->status : CCPL_E_NOMEM;
        goto done;
    }

    const ccpl__adam adam = {c->lr, c->lr_decay, 0.9, 0.999, 1e-8};
    int anchor_buf[CCPL__MAX_TAPS][2 * 64];
    const int *anchors[CCPL__MAX_TAPS] = {0};
    const int num_s = c->loss.num_s;
    if (num_s > 64) {
        st = ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "num_s must be at most 64");
        goto done;
    }
    /* the anchors' index buffer, for the largest map sampled (the first CCPL layer) */
    const int side0 = c->crop_size >> (T - c->loss.num_l);
    anchor_idx = malloc(sizeof(int) * (size_t)(side0 - 2) * (size_t)(side0 - 2));
    if (!anchor_idx) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "out of memory for the CCPL anchors");
        goto done;
    }
    const double t0 = now();
    long last_saved = iter;

    while (iter < c->max_iter) {
        const ccpl__tensor *contents, *styles;
        st = ccpl__loader_next(loader, &contents, &styles, err);
        report_skips(c, loader, &reported);
        if (st != CCPL_OK) goto done;
        /* the frozen tensors' gradients are never written: they stay zero */
        memset(t.g + t.train_off, 0, sizeof(float) * t.train_n);
        for (int l = T - c->loss.num_l; l < T; l++) {
            const int side = c->crop_size >> l; /* crop is a multiple of 2^(T-1) */
            sample_anchors(anchor_buf[l], anchor_idx, side, side, num_s, c->seed, iter, l);
            anchors[l] = anchor_buf[l];
        }
        ccpl__losses L;
        if (c->engine == CCPL_ENGINE_FAST) ccpl__net_refresh(&m->dec);
        ccpl__blas_use_threads(c->n_threads); /* OpenBLAS used one thread per core otherwise */
        st = ccpl__train_step(m, &t.ws, contents, styles, c->batch, anchors, &c->loss, &t.grads, &L,
                              c->n_threads, err);
        ccpl__blas_done_threads();
        if (st != CCPL_OK) goto done;
        const double lr = ccpl__adam_lr(&adam, iter);
        ccpl__adam_step(&adam, t.p + t.train_off, t.g + t.train_off, t.m + t.train_off,
                        t.v + t.train_off, t.train_n, iter + 1, lr);
        iter++;
        const double secs = secs0 + (now() - t0);
        if (log) {
            fprintf(log, "%ld,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f", iter, lr, L.content, L.style, L.ccp,
                    L.total, secs);
            if (c->loss.identity_weight != 0.0f) fprintf(log, ",%.9g", L.identity);
            if (c->loss.photoreal_weight != 0.0f) fprintf(log, ",%.9g", L.photoreal);
            fputc('\n', log);
            fflush(log);
        }
        const int stop = c->on_iter && c->on_iter(iter, c->max_iter, lr, &L, secs, c->user);
        if (iter % c->save_interval == 0 || iter == c->max_iter || stop) {
            /* the log's rows up to here are durable before the state that counts them */
            if (log && fsync(fileno(log)) != 0 && errno != EINVAL) {
                st = ccpl__fail(err, CCPL_E_IO, "%s: %s", c->log_file, strerror(errno));
                goto done;
            }
            /* saving builds the files in memory (tens of MB): give it the
               steps' memory rather than hold both (peak RSS); the next step
               plans the workspace again, once per save interval */
            ccpl__train_ws_release(&t.ws);
            if ((st = save_all(&t, iter, err)) != CCPL_OK) goto done;
            last_saved = iter;
        }
        if (stop && iter < c->max_iter) { /* a stop at the last iteration is a finished run */
            st = ccpl__fail(err, CCPL_E_CANCELLED, "stopped at iteration %ld (state saved)", iter);
            goto done;
        }
    }
    ccpl__train_ws_release(&t.ws);
    if (last_saved != iter && (st = save_all(&t, iter, err)) != CCPL_OK) goto done;
done:
    if (loader) {
        /* files skipped while the last batch was prepared are named too;
           the count is of the files named */
        report_skips(c, loader, &reported);
        if (skipped) *skipped = reported;
    }
    ccpl__loader_free(loader);
    free(anchor_idx);
    if (log) fclose(log);
    ccpl__image_set_free(&cs);
    ccpl__image_set_free(&ss);
    free_trainer(&t);
    return st;
}
