/* server.h — the pieces of `ccpl serve` (src/server/), one concept per file:
 *
 *   http.c          libmicrohttpd daemon, request dispatch, shutdown
 *   routes_api.c    /v1/stylize, /v1/health, /v1/models
 *   routes_static.c the embedded page and example images (assets.c, made by CMake)
 *   response.c      responses: JSON errors, security headers
 *   form.c          multipart/form-data collection (MHD_create_post_processor)
 *   params.c        the stylize request's parameters, parsed and checked
 *   image_probe.c   image sizes from PNG/JPEG headers, before any decoding
 *   job.c           one stylization: decode, resize, style (cached), stylize, encode
 *   queue.c         the bounded job queue in front of the workers
 *   workers.c       the worker threads, each with its own models
 *   style_cache.c   per-worker LRU cache of encoded styles
 *   sha256.c        digests of uploaded bytes (style cache keys)
 *   json.c          a growable JSON text buffer
 *
 * Threads: libmicrohttpd runs one internal polling thread that parses
 * requests and never computes; a stylize request is suspended
 * (MHD_suspend_connection) while a worker runs its job, and resumed by the
 * worker when the result is ready. Each worker owns its ccpl_models (one per
 * available mode) and its style cache, as ccpl.h's thread-safety rule asks. */
#ifndef CCPL_SERVER_SERVER_H
#define CCPL_SERVER_SERVER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ccpl/ccpl.h"

/* ---- configuration ------------------------------------------------------ */

#define SRV_N_MODES 2 /* indexed by ccpl_mode: CCPL_MODE_ART, CCPL_MODE_PHOTO */

typedef struct srv_config {
    const char *host;          /* numeric address or name to bind; "127.0.0.1" */
    int port;                  /* 0..65535; 0 picks a free port (printed at start) */
    int workers;               /* 1..64 worker threads, each with its own models */
    int threads;               /* compute threads per worker (>= 1) */
    int queue_size;            /* jobs that may wait for a worker (0..1024) */
    long long max_pixels;      /* per image, before decoding and after resizing */
    size_t max_upload_bytes;   /* a whole request body, in bytes */
    int timeout_s;             /* request deadline (queue + work), seconds */
    int io_timeout_s;          /* idle connection timeout, seconds */
    int max_connections;       /* concurrent connections (bounds upload memory) */
    int style_cache;           /* encoded styles kept per worker (0: no cache) */
    ccpl_engine engine;
    /* model files per mode; an empty vgg[0] means the mode is unavailable */
    char vgg[SRV_N_MODES][4096], decoder[SRV_N_MODES][4096], sct[SRV_N_MODES][4096];
    char unavailable[SRV_N_MODES][512]; /* why a mode is unavailable ("" if it is) */
} srv_config;

/* ---- digests (sha256.c) ---------------------------------------------------- */

/* SHA-256 of data[0..n) into out (32 bytes). */
void srv_sha256(const void *data, size_t n, unsigned char out[32]);

/* ---- JSON text (json.c) ---------------------------------------------------- */

typedef struct srv_json {
    char *buf;
    size_t len, cap;
    int failed; /* an allocation failed: the text is incomplete */
} srv_json;

/* Appends raw text (already JSON), printf-style. */
void srv_json_raw(srv_json *j, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends s as a quoted JSON string (control characters and non-UTF-8
 * bytes escaped so the text is always valid JSON). */
void srv_json_str(srv_json *j, const char *s);
/* Hands the text over (NUL-terminated; free()); NULL if an allocation
 * failed. The buffer is reset either way. */
char *srv_json_take(srv_json *j, size_t *len);

/* ---- image headers (image_probe.c) ------------------------------------- */

enum { SRV_IMAGE_UNKNOWN = 0, SRV_IMAGE_PNG = 1, SRV_IMAGE_JPEG = 2 };

/* Reads the size from a PNG IHDR or the first JPEG SOFn marker without
 * decoding. Returns SRV_IMAGE_PNG/JPEG with *w, *h set (> 0), or
 * SRV_IMAGE_UNKNOWN when the bytes are not a PNG/JPEG or its header cannot be
 * read (the decoder then gives the precise message). */
int srv_probe_image(const unsigned char *d, size_t n, int *w, int *h);

/* ---- stylize parameters (params.c) ------------------------------------- */

#define SRV_MAX_SIZE_PARAM 16384 /* content_size/style_size ceiling, as the CLI */

typedef struct srv_params {
    ccpl_mode mode;
    int mode_given;
    float alpha;      /* [0,1], default 1 */
    int preserve;     /* preserve_color */
    int content_size; /* 0..SRV_MAX_SIZE_PARAM, default 512 (0 keeps the size) */
    int style_size;
} srv_params;

void srv_params_default(srv_params *p);
/* Sets one text field of the form. Returns 0, or -1 with a message for the
 * client in msg (unknown field, value out of range). */
int srv_params_set(srv_params *p, const char *key, const char *value, char *msg, size_t n);

/* ---- multipart form (form.c) ------------------------------------------- */

struct MHD_Connection;
typedef struct srv_form srv_form;

/* A collector for one request's multipart/form-data body: the files
 * `content` and `style` (bytes, as sent) and the text fields of srv_params.
 * max_bytes bounds the sum of everything kept. Returns NULL when the request
 * is not multipart/form-data or memory is short. */
srv_form *srv_form_new(struct MHD_Connection *conn, size_t max_bytes);
/* Feeds a piece of the body. Returns 0, or an HTTP status (400, 413) once
 * the form is unusable; the message is then in srv_form_error. Later pieces
 * are ignored. */
int srv_form_feed(srv_form *f, const char *data, size_t n);
/* After the last piece: 0, or 400 when the body ended mid-part. */
int srv_form_finish(srv_form *f);
const char *srv_form_error(const srv_form *f);
/* The collected file (NULL, 0 when absent); ownership stays with the form
 * unless taken (then the form forgets it). */
unsigned char *srv_form_take_file(srv_form *f, const char *name, size_t *len);
int srv_form_has_file(const srv_form *f, const char *name);
const srv_params *srv_form_params(const srv_form *f);
void srv_form_free(srv_form *f);

/* ---- style cache (style_cache.c) --------------------------------------- */

/* What an encoded style depends on: the style's bytes and size, and with
 * preserve_color the content (its bytes and size) it was recoloured to. */
typedef struct srv_style_key {
    unsigned char style_digest[32];
    unsigned char content_digest[32]; /* zero without preserve_color */
    int mode, style_size, content_size, preserve;
} srv_style_key;

typedef struct srv_style_cache srv_style_cache;

/* A least-recently-used cache of at most capacity styles (0: caches
 * nothing). Styles belong to one model, so each worker has its own. */
srv_style_cache *srv_style_cache_new(int capacity);
/* The style for key (now the most recently used), or NULL. */
ccpl_style *srv_style_cache_get(srv_style_cache *c, const srv_style_key *key);
/* Keeps style: returns 1 and the cache owns it from now on (it frees the
 * least recently used entry when full). With capacity 0 returns 0 and the
 * style stays the caller's. */
int srv_style_cache_put(srv_style_cache *c, const srv_style_key *key, ccpl_style *style);
void srv_style_cache_stats(srv_style_cache *c, long long *hits, long long *misses, int *entries);
void srv_style_cache_free(srv_style_cache *c);

/* ---- jobs (job.c) -------------------------------------------------------- */

typedef struct srv_job srv_job;
typedef void (*srv_job_done_fn)(srv_job *job, void *arg);

struct srv_job {
    /* inputs (owned by the job) */
    unsigned char *content, *style;
    size_t content_len, style_len;
    srv_params params;
    int want_jpeg;
    double deadline; /* srv_now() seconds; past it the job is cancelled */
    /* result */
    int status;               /* HTTP status: 200 or an error's */
    unsigned char *body;      /* 200: the encoded image (free()) */
    size_t body_len;
    char error[512];          /* the message of an error status */
    /* completion: called once by whoever finishes the job (a worker, or
     * the queue when it is drained at shutdown) */
    srv_job_done_fn done;
    void *done_arg;
};

double srv_now(void); /* monotonic seconds */
/* Sets an error result and calls the job's done callback. */
void srv_job_fail(srv_job *job, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void srv_job_free(srv_job *job);

/* Runs the job on model (of job->params.mode) with its worker's cache and
 * fills the result (it does not call done). max_pixels as srv_config. */
void srv_job_run(srv_job *job, ccpl_model *model, srv_style_cache *cache, long long max_pixels);

/* ---- queue (queue.c) ------------------------------------------------------- */

typedef struct srv_queue srv_queue;

/* capacity: jobs that may wait while every one of the workers is busy. */
srv_queue *srv_queue_new(int capacity, int workers);
/* Adds a job. Returns 0, or -1 when capacity jobs are waiting already or
 * the queue is closed (the job is untouched and still the caller's). */
int srv_queue_push(srv_queue *q, srv_job *job);
/* The oldest job, waiting for one; NULL once the queue is closed. */
srv_job *srv_queue_pop(srv_queue *q);
/* Refuses further jobs, wakes every waiting pop, and fails the jobs still
 * waiting with 503 (their done callbacks run). */
void srv_queue_close(srv_queue *q);
int srv_queue_waiting(srv_queue *q);
int srv_queue_capacity(const srv_queue *q);
void srv_queue_free(srv_queue *q);

/* ---- workers (workers.c) ----------------------------------------------- */

typedef struct srv_pool srv_pool;

/* Loads cfg->workers x (available modes) models, then starts the threads
 * that serve q. On a model that fails to load, returns NULL with err set
 * and nothing started. */
srv_pool *srv_pool_start(const srv_config *cfg, srv_queue *q, ccpl_error *err);
/* Minimum content/style sides of a mode (0 when unavailable). */
int srv_pool_min_side(const srv_pool *p, ccpl_mode mode, int style);
int srv_pool_busy(const srv_pool *p);
void srv_pool_cache_stats(srv_pool *p, long long *hits, long long *misses, int *entries);
/* Waits for the threads (after srv_queue_close: they finish their current
 * job); the models and caches stay until srv_pool_free. */
void srv_pool_join(srv_pool *p);
void srv_pool_free(srv_pool *p); /* joins first if needed */

/* ---- the server (http.c) ------------------------------------------------ */

typedef struct srv_server srv_server;

/* Starts listening (the polling thread runs from here on). Returns NULL with
 * a message in msg when the address cannot be bound. *port_out is the bound
 * port. */
srv_server *srv_start(const srv_config *cfg, srv_pool *pool, srv_queue *queue, int *port_out,
                      char *msg, size_t n);
/* Stops accepting connections, fails queued jobs with 503, lets in-flight
 * jobs finish and their answers go out (up to grace_s seconds), then stops. */
void srv_stop(srv_server *s, int grace_s);

/* ---- what routes see (http.c) ---------------------------------------------- */

typedef struct srv_stats {
    atomic_llong requests, ok, client_errors, server_errors, busy;
} srv_stats;

typedef struct srv_context {
    const srv_config *cfg;
    srv_pool *pool;
    srv_queue *queue;
    srv_stats stats;
    atomic_int shutting_down;
    atomic_int inflight; /* requests begun and not yet completed */
    double started;
} srv_context;

#endif
