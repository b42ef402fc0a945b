/* checkpoint_unwrap.c — finding the state_dict in a checkpoint as people
 * save it.
 *
 * A state_dict is a flat dict of tensors, but checkpoints met in practice wrap
 * it: {'state_dict': sd, 'epoch': 3}, {'model': sd, 'optimizer': opt.state_dict(),
 * 'iter': 160000}, keys prefixed "module." (nn.DataParallel) or "_orig_mod."
 * (torch.compile), or all of these together. Loaders look tensors up by their
 * key in the state_dict ("cnet.0.weight"), so the reader removes the wrapping
 * once, here, for every loader; what it removed is kept for messages and
 * `ccpl inspect`. The rules are deliberately simple and never guess between
 * two models: a file holding {'decoder': sd1, 'sct': sd2} is left as it is
 * (keys "decoder.1.weight", ...), and a caller that knows which one it wants
 * looks under that name. */
#include <stdlib.h>
#include <string.h>

#include "io/checkpoint_internal.h"

/* Entries next to a model that hold tensors but are not the model. */
static const char *const not_model[] = {
    "optimizer", "optimizer_state_dict", "optimizers", "optim", "opt",
    "scheduler", "lr_scheduler", "scaler", "grad_scaler",
};

/* The names people give the model's state_dict, preferred when a file holds
 * several dicts of tensors ({'model': sd, 'ema': sd2}). */
static const char *const model_names[] = {
    "state_dict", "model_state_dict", "model", "net", "network", "params", "weights", "module",
};

/* Key prefixes that every key of a state_dict may carry: nn.DataParallel /
 * DistributedDataParallel and torch.compile's wrapper module. */
static const char *const key_prefixes[] = {"module.", "_orig_mod."};

static int is_str(const ccpl__pv *k, const char *lit) {
    return k->kind == CCPL__PV_STR && k->u.s.n == strlen(lit) && memcmp(k->u.s.p, lit, k->u.s.n) == 0;
}

static int in_list(const ccpl__pv *k, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (is_str(k, list[i])) return 1;
    return 0;
}

static ccpl_status too_many(ccpl__ck_ctx *c) {
    return ccpl__ck_fail(c, CCPL_E_TOO_LARGE, "state_dict has more than %zu entries (safety limit)",
                         CCPL__CKPT_MAX_VISITS);
}

/* *found = 1 when d holds a tensor, directly or in nested dicts (bounded
 * depth; the visits bound of flattening also bounds shared sub-dicts). */
static ccpl_status holds_tensor(ccpl__ck_ctx *c, const ccpl__pv *d, int depth, int *found) {
    for (size_t i = 0; i + 1 < d->u.seq.n && !*found; i += 2) {
        const ccpl__pv *v = d->u.seq.v[i + 1];
        if (++c->visits > CCPL__CKPT_MAX_VISITS) return too_many(c);
        if (v->kind == CCPL__PV_TENSOR) *found = 1;
        else if (v->kind == CCPL__PV_DICT && depth + 1 < CCPL__CKPT_MAX_DICT_DEPTH) {
            ccpl_status st = holds_tensor(c, v, depth + 1, found);
            if (st) return st;
        }
    }
    return CCPL_OK;
}

static ccpl_status append(ccpl__ck_ctx *c, char **path, const char *s, size_t n) {
    size_t have = *path ? strlen(*path) : 0;
    if (n > SIZE_MAX - have - 2) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
    char *p = (char *)realloc(*path, have + n + 2);
    if (!p) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
    memcpy(p + have, s, n);
    p[have + n] = '\0';
    *path = p;
    return CCPL_OK;
}

/* A tensor that may sit next to a wrapped model: a step counter, a loss
 * (integer, or a single value); a weight of a state_dict is neither. */
static int is_counter(const ccpl__pv *v) {
    const ccpl__pkl_tensor *t = v->u.t;
    int dt = ccpl__pkl_storage_type_dtype(t->storage->u.st->type);
    return t->numel <= 1 || (dt >= 0 && !ccpl__dtype_is_float((ccpl__dtype)dt));
}

/* Descends from root while one entry of the current dict is the model: the
 * only dict of tensors (optimizer states and the like not counted) or else
 * the only one with a model's name, when the dict holds no tensor itself;
 * the one with a model's name when it holds only counters ({'model': sd,
 * 'step': tensor(7)}). A dict with weights of its own is the state_dict. */
ccpl_status ccpl__ck_find_state_dict(ccpl__ck_ctx *c, const ccpl__pv *root) {
    const ccpl__pv *cur = root;
    ccpl_status st = append(c, &c->sd_path, "", 0);
    for (int depth = 0; !st && depth + 1 < CCPL__CKPT_MAX_DICT_DEPTH; depth++) {
        const ccpl__pv *only = NULL, *named = NULL, *only_k = NULL, *named_k = NULL;
        int n_only = 0, n_named = 0, weights = 0, counters = 0;
        for (size_t i = 0; i + 1 < cur->u.seq.n && !weights; i += 2) {
            const ccpl__pv *k = cur->u.seq.v[i], *v = cur->u.seq.v[i + 1];
            if (++c->visits > CCPL__CKPT_MAX_VISITS) return too_many(c);
            if (v->kind == CCPL__PV_TENSOR) {
                if (is_counter(v)) counters = 1;
                else weights = 1;
            }
            if (v->kind != CCPL__PV_DICT || k->kind != CCPL__PV_STR || v == cur ||
                memchr(k->u.s.p, '\0', k->u.s.n) ||
                in_list(k, not_model, sizeof not_model / sizeof not_model[0]))
                continue;
            int found = 0;
            if ((st = holds_tensor(c, v, depth + 1, &found))) return st;
            if (!found) continue;
            n_only++, only = v, only_k = k;
            if (in_list(k, model_names, sizeof model_names / sizeof model_names[0]))
                n_named++, named = v, named_k = k;
        }
        if (weights) break; /* a state_dict: its sub-dicts are its own */
        const ccpl__pv *next = n_only == 1 && !counters ? only : n_named == 1 ? named : NULL;
        const ccpl__pv *key = next == only ? only_k : named_k;
        if (!next) break; /* nothing, or two models side by side: no guess */
        if ((st = append(c, &c->sd_path, key->u.s.p, key->u.s.n))) return st;
        strcat(c->sd_path, ".");
        cur = next;
    }
    if (!st) c->sd = cur;
    return st;
}

ccpl_status ccpl__ck_strip_prefixes(ccpl__ck_ctx *c) {
    size_t off = strlen(c->sd_path), inside = 0;
    for (size_t i = 0; i < c->nflat; i++) inside += !c->flat[i].outside;
    for (int changed = inside > 0; changed;) {
        changed = 0;
        for (size_t p = 0; p < sizeof key_prefixes / sizeof key_prefixes[0] && !changed; p++) {
            size_t n = strlen(key_prefixes[p]), i;
            for (i = 0; i < c->nflat; i++) /* every key has the prefix, and more after it */
                if (!c->flat[i].outside && (strncmp(c->flat[i].name + off, key_prefixes[p], n) != 0 ||
                                            c->flat[i].name[off + n] == '\0'))
                    break;
            if (i == c->nflat) {
                off += n;
                changed = 1;
            }
        }
    }
    for (size_t i = 0; i < c->nflat; i++) c->flat[i].key_off = c->flat[i].outside ? 0 : off;
    /* the wrapping, as written in the names (the first one shows it) */
    c->wrapping = (char *)malloc(off + 1);
    if (!c->wrapping) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
    memcpy(c->wrapping, c->sd_path, strlen(c->sd_path));
    for (size_t i = 0; i < c->nflat; i++)
        if (!c->flat[i].outside) {
            memcpy(c->wrapping, c->flat[i].name, off);
            break;
        }
    c->wrapping[off] = '\0';
    return CCPL_OK;
}
