/* job.c — one POST /v1/stylize, run by a worker: the same steps as
 * `ccpl stylize -c C -s S -o out.png` (decode as a viewer shows the image,
 * PIL-exact resize of the shorter side, encode the style, stylize, encode),
 * so that the answer is byte for byte the file the CLI writes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/image_encode_memory.h"
#include "io/image_memory.h"
#include "server/server.h"

/* The CLI's default --jpeg-quality: a JPEG answer equals its .jpg output. */
#define JPEG_QUALITY 95

double srv_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void set_error(srv_job *job, int status, const char *fmt, va_list ap) {
    job->status = status;
    vsnprintf(job->error, sizeof job->error, fmt, ap);
    free(job->body);
    job->body = NULL;
    job->body_len = 0;
}

static void job_error(srv_job *job, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void job_error(srv_job *job, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error(job, status, fmt, ap);
    va_end(ap);
}

void srv_job_fail(srv_job *job, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error(job, status, fmt, ap);
    va_end(ap);
    job->done(job, job->done_arg);
}

void srv_job_free(srv_job *job) {
    if (!job) return;
    free(job->content);
    free(job->style);
    free(job->body);
    free(job);
}

/* The HTTP status a library failure stands for. Out of memory is the
 * server's limit, not a bug: 503, try again or smaller. */
static int http_status(ccpl_status st) {
    switch (st) {
    case CCPL_E_FORMAT: return 415;
    case CCPL_E_TOO_LARGE: return 413;
    case CCPL_E_TOO_SMALL: return 422;
    case CCPL_E_CANCELLED: return 503;
    case CCPL_E_NOMEM: return 503;
    default: return 500;
    }
}

/* Decodes an upload and resizes it as the CLI does. 0, or -1 with the
 * job's error set. */
static int load(srv_job *job, const char *what, const unsigned char *data, size_t len, int size,
                long long max_pixels, ccpl_image *out) {
    ccpl_image raw = {0};
    ccpl_error err;
    ccpl_status st = ccpl__image_load_memory(data, len, what, &raw, &err);
    if (st != CCPL_OK) {
        job_error(job, http_status(st), "%s", err.message);
        return -1;
    }
    /* the header said otherwise (the probe and libjpeg disagree): the
     * decoded size is what counts */
    if ((long long)raw.width * raw.height > max_pixels) {
        job_error(job, 413, "%s: image of %dx%d exceeds the server's limit of %lld pixels", what,
                  raw.width, raw.height, max_pixels);
        ccpl_image_free(&raw);
        return -1;
    }
    st = ccpl_image_resize_shorter_ex(&raw, size, 0, max_pixels, out, &err);
    ccpl_image_free(&raw);
    if (st != CCPL_OK) {
        job_error(job, http_status(st), "%s: %s", what, err.message);
        return -1;
    }
    return 0;
}

void srv_job_run(srv_job *job, ccpl_model *model, srv_style_cache *cache, long long max_pixels) {
    const srv_params *p = &job->params;
    ccpl_image content = {0}, style_img = {0}, out = {0};
    ccpl_style *style = NULL;
    int own_style = 0;
    job->status = 500;
    snprintf(job->error, sizeof job->error, "internal error");
    if (load(job, "content", job->content, job->content_len, p->content_size, max_pixels, &content))
        goto done;

    srv_style_key key;
    memset(&key, 0, sizeof key);
    srv_sha256(job->style, job->style_len, key.style_digest);
    key.mode = (int)p->mode;
    key.style_size = p->style_size;
    key.preserve = p->preserve;
    if (p->preserve) { /* the style is recoloured to this content */
        srv_sha256(job->content, job->content_len, key.content_digest);
        key.content_size = p->content_size;
    }
    if (!(style = srv_style_cache_get(cache, &key))) {
        if (load(job, "style", job->style, job->style_len, p->style_size, max_pixels, &style_img))
            goto done;
        style = ccpl_style_new(model, &style_img, p->preserve ? &content : NULL);
        ccpl_image_free(&style_img);
        if (!style) {
            job_error(job, http_status(ccpl_model_status(model)), "style: %s", ccpl_model_error(model));
            goto done;
        }
        own_style = !srv_style_cache_put(cache, &key, style);
    }

    ccpl_stylize_params sp = ccpl_default_stylize_params();
    sp.alpha = p->alpha;
    if (ccpl_stylize(model, &content, &style, NULL, 1, &sp, &out) != CCPL_OK) {
        job_error(job, http_status(ccpl_model_status(model)), "content: %s", ccpl_model_error(model));
        goto done;
    }
    ccpl_error err;
    ccpl_status st = ccpl__image_encode_memory(&out, job->want_jpeg ? CCPL__IMAGE_JPEG : CCPL__IMAGE_PNG,
                                               JPEG_QUALITY, &job->body, &job->body_len, &err);
    if (st != CCPL_OK) {
        job_error(job, http_status(st), "result: %s", err.message);
        goto done;
    }
    job->status = 200;
    job->error[0] = '\0';
done:
    if (own_style) ccpl_style_free(style);
    ccpl_image_free(&content);
    ccpl_image_free(&out);
}
