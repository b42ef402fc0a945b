#include "train/data.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/image_internal.h"
#include "ops/resize.h"

#define MAX_DEPTH 32

uint64_t ccpl__mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- scanning ---- */

static int is_image_name(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

static int push(ccpl__image_set *s, int *cap, const char *path) {
    if (s->n == *cap) {
        int nc = *cap ? 2 * *cap : 64;
        char **p = realloc(s->paths, sizeof(char *) * (size_t)nc);
        if (!p) return -1;
        s->paths = p, *cap = nc;
    }
    if (!(s->paths[s->n] = strdup(path))) return -1;
    s->n++;
    return 0;
}

static int scan(ccpl__image_set *s, int *cap, const char *dir, int depth) {
    if (depth > MAX_DEPTH) return 0;
    DIR *d = opendir(dir);
    if (!d) return depth == 0 ? -1 : 0; /* unreadable subfolders are passed over */
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) rc = scan(s, cap, path, depth + 1);
        else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && is_image_name(e->d_name))
            rc = push(s, cap, path);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

ccpl_status ccpl__image_set_scan_dirs(ccpl__image_set *s, const char *const *dirs, int n_dirs,
                                      ccpl_error *err) {
    int cap = 0;
    memset(s, 0, sizeof *s);
    for (int i = 0; i < n_dirs; i++) {
        const int before = s->n;
        if (scan(s, &cap, dirs[i], 0) != 0) {
            int e = errno;
            ccpl__image_set_free(s);
            return ccpl__fail(err, CCPL_E_IO, "%s: %s", dirs[i], strerror(e));
        }
        if (s->n == before) {
            ccpl__image_set_free(s);
            return ccpl__fail(err, CCPL_E_IO, "%s: no .png, .jpg or .jpeg files", dirs[i]);
        }
    }
    if (s->n == 0) return ccpl__fail(err, CCPL_E_IO, "no image folder given");
    qsort(s->paths, (size_t)s->n, sizeof(char *), cmp_str);
    return CCPL_OK;
}

ccpl_status ccpl__image_set_scan(ccpl__image_set *s, const char *dir, ccpl_error *err) {
    return ccpl__image_set_scan_dirs(s, &dir, 1, err);
}

void ccpl__image_set_free(ccpl__image_set *s) {
    for (int i = 0; i < s->n; i++) free(s->paths[i]);
    free(s->paths);
    memset(s, 0, sizeof *s);
}

/* ---- the draw sequence of one set ---- */

typedef struct seq {
    const ccpl__image_set *set;
    uint64_t seed;
    long pass;      /* pass of perm, -1 none */
    int *perm;
    unsigned char *bad; /* files found unreadable */
} seq;

static void make_perm(seq *q, long pass) {
    uint64_t st = ccpl__mix64(q->seed ^ ccpl__mix64((uint64_t)pass + 0x51ed));
    for (int i = 0; i < q->set->n; i++) q->perm[i] = i;
    for (int i = q->set->n - 1; i > 0; i--) { /* Fisher-Yates */
        st = ccpl__mix64(st);
        int j = (int)(st % (uint64_t)(i + 1));
        int t = q->perm[i];
        q->perm[i] = q->perm[j], q->perm[j] = t;
    }
    q->pass = pass;
}

typedef struct ccpl__batchbuf {
    ccpl__tensor c[64], s[64];
    ccpl_status status;
    char message[512];
} batchbuf;

struct ccpl__loader {
    ccpl__loader_config cfg;
    seq sq[2];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batchbuf buf[2];
    int ready[2];     /* filled, not yet taken */
    int held;         /* buffer index the trainer holds, -1 none */
    int r_idx;        /* next buffer to take (the worker fills in the same order) */
    int stop;
    long next_iter;   /* iteration the worker prepares next */
    int skipped;
    char last_skip[512];
    char **skip_msgs; /* one message per skipped file, in the order met */
    int skip_cap;
};

/* Loads draw d of set q into out (3,crop,crop); skips unreadable files. */
static ccpl_status load_draw(ccpl__loader *l, seq *q, int set_id, uint64_t d, ccpl__tensor *out,
                             ccpl_error *err) {
    const int n = q->set->n, L = l->cfg.load_size, S = l->cfg.crop_size;
    const long pass = (long)(d / (uint64_t)n);
    if (q->pass != pass) make_perm(q, pass);
    int pos = (int)(d % (uint64_t)n);
    ccpl_image img = {0};
    unsigned char *resized = NULL;
    for (int tries = 0; tries < n; tries++, pos = (pos + 1) % n) {
        const int idx = q->perm[pos];
        if (q->bad[idx]) continue;
        ccpl_error e;
        if (ccpl_image_load(q->set->paths[idx], &img, &e) != CCPL_OK) {
            q->bad[idx] = 1;
            pthread_mutex_lock(&l->mu);
            if (l->skipped == l->skip_cap) {
                int cap = l->skip_cap ? 2 * l->skip_cap : 16;
                char **m = realloc(l->skip_msgs, sizeof *m * (size_t)cap);
                if (m) l->skip_msgs = m, l->skip_cap = cap;
            }
            if (l->skipped < l->skip_cap) l->skip_msgs[l->skipped] = strdup(e.message);
            l->skipped++;
            snprintf(l->last_skip, sizeof l->last_skip, "%s", e.message);
            pthread_mutex_unlock(&l->mu);
            continue;
        }
        break;
    }
    if (!img.data)
        return ccpl__fail(err, CCPL_E_FORMAT, "no readable image left in the %s set",
                          set_id ? "style" : "content");
    resized = malloc((size_t)L * L * 3);
    ccpl_status st = resized ? ccpl__resample_bilinear(resized, L, L, img.data, img.width, img.height)
                             : CCPL_E_NOMEM;
    if (st == CCPL_OK) {
        /* random crop: offsets from (seed, set, draw) */
        uint64_t r = ccpl__mix64(q->seed ^ ccpl__mix64(d * 2 + 1));
        const int oy = (int)(r % (uint64_t)(L - S + 1));
        r = ccpl__mix64(r);
        const int ox = (int)(r % (uint64_t)(L - S + 1));
        ccpl_image crop = {S, S, NULL};
        crop.data = malloc((size_t)S * S * 3);
        if (crop.data) {
            for (int y = 0; y < S; y++)
                memcpy(crop.data + (size_t)y * S * 3, resized + ((size_t)(oy + y) * L + ox) * 3, (size_t)S * 3);
            ccpl__image_to_chw(&crop, out->data);
            free(crop.data);
        } else {
            st = CCPL_E_NOMEM;
        }
    }
    if (st != CCPL_OK) ccpl__fail(err, st, "out of memory preparing a training image");
    free(resized);
    ccpl_image_free(&img);
    return st;
}

static void fill(ccpl__loader *l, batchbuf *b, long iter) {
    ccpl_error err;
    const int B = l->cfg.batch;
    b->status = CCPL_OK;
    for (int j = 0; j < B && b->status == CCPL_OK; j++) {
        const uint64_t d = (uint64_t)iter * (uint64_t)B + (uint64_t)j;
        if ((b->status = load_draw(l, &l->sq[0], 0, d, &b->c[j], &err)) == CCPL_OK)
            b->status = load_draw(l, &l->sq[1], 1, d, &b->s[j], &err);
    }
    if (b->status != CCPL_OK) snprintf(b->message, sizeof b->message, "%s", err.message);
}

/* Fills the two buffers in strict alternation, each as soon as the trainer
 * has given it back, so batches come out in iteration order. */
static void *worker(void *arg) {
    ccpl__loader *l = arg;
    int w = 0;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && (l->ready[w] || l->held == w)) pthread_cond_wait(&l->cv, &l->mu);
        if (l->stop) break;
        const long it = l->next_iter++;
        pthread_mutex_unlock(&l->mu);
        fill(l, &l->buf[w], it);
        pthread_mutex_lock(&l->mu);
        l->ready[w] = 1;
        w ^= 1;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

ccpl__loader *ccpl__loader_new(const ccpl__image_set *content, const ccpl__image_set *style,
                               const ccpl__loader_config *cfg, long first_iter, ccpl_error *err) {
    if (cfg->batch < 1 || cfg->batch > 64 || cfg->crop_size < 1 || cfg->load_size < cfg->crop_size ||
        cfg->load_size > 8192) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT,
                   "batch must be in 1..64 and 1 <= crop size <= load size <= 8192");
        return NULL;
    }
    ccpl__loader *l = calloc(1, sizeof *l);
    if (!l) {
        ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
        return NULL;
    }
    l->cfg = *cfg;
    l->held = -1;
    l->next_iter = first_iter;
    const ccpl__image_set *sets[2] = {content, style};
    int ok = 1;
    for (int k = 0; k < 2; k++) {
        l->sq[k].set = sets[k];
        l->sq[k].seed = ccpl__mix64(cfg->seed ^ (0x1000 + (uint64_t)k));
        l->sq[k].pass = -1;
        l->sq[k].perm = malloc(sizeof(int) * (size_t)sets[k]->n);
        l->sq[k].bad = calloc((size_t)sets[k]->n, 1);
        ok = ok && l->sq[k].perm && l->sq[k].bad;
    }
    for (int b = 0; b < 2 && ok; b++)
        for (int j = 0; j < cfg->batch && ok; j++)
            ok = ccpl__tensor_alloc(&l->buf[b].c[j], 1, 3, cfg->crop_size, cfg->crop_size, NULL) == CCPL_OK &&
                 ccpl__tensor_alloc(&l->buf[b].s[j], 1, 3, cfg->crop_size, cfg->crop_size, NULL) == CCPL_OK;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (!ok || pthread_create(&l->thread, NULL, worker, l) != 0) {
        ccpl__fail(err, CCPL_E_NOMEM, "cannot start the data loader");
        l->stop = 1;
        ccpl__loader_free(l);
        return NULL;
    }
    return l;
}

ccpl_status ccpl__loader_next(ccpl__loader *l, const ccpl__tensor **contents,
                              const ccpl__tensor **styles, ccpl_error *err) {
    pthread_mutex_lock(&l->mu);
    if (l->held >= 0) { /* give back the batch trained last */
        l->held = -1;
        pthread_cond_broadcast(&l->cv);
    }
    while (!l->ready[l->r_idx]) pthread_cond_wait(&l->cv, &l->mu);
    const int b = l->r_idx;
    l->ready[b] = 0;
    l->held = b;
    l->r_idx ^= 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    if (l->buf[b].status != CCPL_OK) return ccpl__fail(err, l->buf[b].status, "%s", l->buf[b].message);
    *contents = l->buf[b].c;
    *styles = l->buf[b].s;
    return CCPL_OK;
}

int ccpl__loader_skipped(ccpl__loader *l, char *last_message, size_t n) {
    pthread_mutex_lock(&l->mu);
    int k = l->skipped;
    if (last_message && n) snprintf(last_message, n, "%s", l->last_skip);
    pthread_mutex_unlock(&l->mu);
    return k;
}

int ccpl__loader_skip_message(ccpl__loader *l, int k, char *out, size_t n) {
    pthread_mutex_lock(&l->mu);
    int ok = k >= 0 && k < l->skipped;
    if (ok && n) {
        const char *m = k < l->skip_cap && l->skip_msgs[k] ? l->skip_msgs[k] : "unreadable image";
        snprintf(out, n, "%s", m);
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

void ccpl__loader_free(ccpl__loader *l) {
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    const int started = !l->stop;
    l->stop = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    if (started) pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    for (int b = 0; b < 2; b++)
        for (int j = 0; j < 64; j++) {
            ccpl__tensor_free(&l->buf[b].c[j]);
            ccpl__tensor_free(&l->buf[b].s[j]);
        }
    for (int k = 0; k < 2; k++) {
        free(l->sq[k].perm);
        free(l->sq[k].bad);
    }
    for (int k = 0; k < l->skipped && k < l->skip_cap; k++) free(l->skip_msgs[k]);
    free(l->skip_msgs);
    free(l);
}
