/* workers.c — a fixed set of threads taking jobs from the queue. Each has
 * its own models (ccpl.h: one model, one thread at a time) and its own style
 * cache (styles belong to the model that made them). Memory stays flat: the
 * models' buffers are reused job after job, and at most workers x
 * style_cache encoded styles are ever kept. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

typedef struct worker {
    srv_pool *pool;
    pthread_t thread;
    int started;
    ccpl_model *models[SRV_N_MODES];
    srv_style_cache *cache;
    double deadline;  /* of the job running; read by the progress callback */
    int timed_out;
} worker;

struct srv_pool {
    const srv_config *cfg;
    srv_queue *queue;
    int n;
    worker *w;
    atomic_int busy;
    int min_side[SRV_N_MODES][2];
};

/* Called by the library between layers on the worker's thread: stops a
 * job that has run past its deadline (the request timeout). */
static int on_progress(int done, int total, void *user) {
    worker *w = user;
    (void)done, (void)total;
    if (srv_now() <= w->deadline) return 0;
    w->timed_out = 1;
    return 1;
}

static void *run(void *arg) {
    worker *w = arg;
    srv_pool *p = w->pool;
    srv_job *job;
    while ((job = srv_queue_pop(p->queue)) != NULL) {
        atomic_fetch_add(&p->busy, 1);
        ccpl_model *m = w->models[job->params.mode];
        if (srv_now() > job->deadline) {
            job->status = 503;
            snprintf(job->error, sizeof job->error,
                     "the request waited longer than the server's timeout (%d s) for a worker; "
                     "try again later",
                     p->cfg->timeout_s);
        } else if (!m) { /* the HTTP side checks this first */
            job->status = 400;
            snprintf(job->error, sizeof job->error, "this mode is not available on this server");
        } else {
            w->deadline = job->deadline;
            w->timed_out = 0;
            srv_job_run(job, m, w->cache, p->cfg->max_pixels);
            if (job->status == 503 && w->timed_out)
                snprintf(job->error, sizeof job->error,
                         "the request took longer than the server's timeout (%d s); try smaller "
                         "sizes (content_size, style_size)",
                         p->cfg->timeout_s);
        }
        atomic_fetch_sub(&p->busy, 1);
        job->done(job, job->done_arg);
    }
    return NULL;
}

static void free_workers(srv_pool *p) {
    for (int i = 0; i < p->n; i++) {
        for (int m = 0; m < SRV_N_MODES; m++) ccpl_model_free(p->w[i].models[m]);
        srv_style_cache_free(p->w[i].cache);
    }
    free(p->w);
    free(p);
}

srv_pool *srv_pool_start(const srv_config *cfg, srv_queue *q, ccpl_error *err) {
    srv_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->w = calloc((size_t)cfg->workers, sizeof *p->w))) {
        free(p);
        if (err) {
            err->status = CCPL_E_NOMEM;
            snprintf(err->message, sizeof err->message, "out of memory");
        }
        return NULL;
    }
    p->cfg = cfg;
    p->queue = q;
    p->n = cfg->workers;
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        w->pool = p;
        if (!(w->cache = srv_style_cache_new(cfg->style_cache))) {
            if (err) {
                err->status = CCPL_E_NOMEM;
                snprintf(err->message, sizeof err->message, "out of memory");
            }
            free_workers(p);
            return NULL;
        }
        for (int m = 0; m < SRV_N_MODES; m++) {
            if (!cfg->vgg[m][0]) continue;
            ccpl_params mp = ccpl_default_params();
            mp.mode = (ccpl_mode)m;
            mp.n_threads = cfg->threads;
            mp.engine = cfg->engine;
            mp.progress = on_progress;
            mp.progress_user_data = w;
            if (!(w->models[m] = ccpl_model_load(cfg->vgg[m], cfg->decoder[m], cfg->sct[m], &mp, err))) {
                free_workers(p);
                return NULL;
            }
            p->min_side[m][0] = ccpl_model_min_content_side(w->models[m]);
            p->min_side[m][1] = ccpl_model_min_style_side(w->models[m]);
        }
    }
    for (int i = 0; i < p->n; i++) {
        if (pthread_create(&p->w[i].thread, NULL, run, &p->w[i]) != 0) {
            /* the queue's closing stops the ones started; the caller closes it */
            if (err) {
                err->status = CCPL_E_NOMEM;
                snprintf(err->message, sizeof err->message, "cannot start worker thread %d", i + 1);
            }
            srv_queue_close(q);
            srv_pool_free(p);
            return NULL;
        }
        p->w[i].started = 1;
    }
    return p;
}

int srv_pool_min_side(const srv_pool *p, ccpl_mode mode, int style) {
    return p->min_side[mode][style ? 1 : 0];
}

int srv_pool_busy(const srv_pool *p) { return atomic_load(&((srv_pool *)p)->busy); }

void srv_pool_cache_stats(srv_pool *p, long long *hits, long long *misses, int *entries) {
    *hits = *misses = 0;
    *entries = 0;
    for (int i = 0; i < p->n; i++) {
        long long h, m;
        int e;
        srv_style_cache_stats(p->w[i].cache, &h, &m, &e);
        *hits += h;
        *misses += m;
        *entries += e;
    }
}

void srv_pool_join(srv_pool *p) {
    if (!p) return;
    for (int i = 0; i < p->n; i++)
        if (p->w[i].started) {
            pthread_join(p->w[i].thread, NULL);
            p->w[i].started = 0;
        }
}

void srv_pool_free(srv_pool *p) {
    if (!p) return;
    srv_pool_join(p);
    free_workers(p);
}
