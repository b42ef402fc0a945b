/* routes_api.c — the HTTP API: POST /v1/stylize, GET /v1/health,
 * GET /v1/models (docs/API.md). Everything that can be refused cheaply is
 * refused here, on the HTTP thread, before a job exists: the body's size
 * (Content-Length first, then counted), its type, the fields, and each
 * image's pixel count from its header; only then is a job queued. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/http.h"

static const char *const MODE_NAME[SRV_N_MODES] = {"art", "photo"};

enum MHD_Result srv_route_health(struct MHD_Connection *conn, srv_context *ctx) {
    srv_json j = {0};
    long long hits, misses;
    int entries;
    srv_pool_cache_stats(ctx->pool, &hits, &misses, &entries);
    int down = atomic_load(&ctx->shutting_down);
    srv_json_raw(&j,
                 "{\"status\": \"%s\", \"version\": \"%s\", \"uptime_s\": %.1f,\n"
                 " \"workers\": {\"total\": %d, \"busy\": %d},\n"
                 " \"queue\": {\"waiting\": %d, \"capacity\": %d},\n"
                 " \"style_cache\": {\"entries\": %d, \"hits\": %lld, \"misses\": %lld},\n"
                 " \"requests\": {\"answered\": %lld, \"ok\": %lld, \"client_errors\": %lld, "
                 "\"unavailable\": %lld, \"server_errors\": %lld}}\n",
                 down ? "shutting down" : "ok", CCPL_VERSION_STRING, srv_now() - ctx->started,
                 ctx->cfg->workers, srv_pool_busy(ctx->pool), srv_queue_waiting(ctx->queue),
                 srv_queue_capacity(ctx->queue), entries, hits, misses,
                 (long long)atomic_load(&ctx->stats.requests), (long long)atomic_load(&ctx->stats.ok),
                 (long long)atomic_load(&ctx->stats.client_errors),
                 (long long)atomic_load(&ctx->stats.busy),
                 (long long)atomic_load(&ctx->stats.server_errors));
    if (down) {
        size_t len;
        char *body = srv_json_take(&j, &len);
        if (!body) return MHD_NO;
        return srv_respond(conn, ctx, 503, "application/json", body, len, 1);
    }
    return srv_respond_json(conn, ctx, &j);
}

/* The mode a request without `mode` gets: art (the CLI's default) when it
 * is available, else photo. */
static ccpl_mode default_mode(const srv_config *cfg) {
    return cfg->vgg[CCPL_MODE_ART][0] ? CCPL_MODE_ART : CCPL_MODE_PHOTO;
}

enum MHD_Result srv_route_models(struct MHD_Connection *conn, srv_context *ctx) {
    const srv_config *cfg = ctx->cfg;
    srv_json j = {0};
    srv_json_raw(&j, "{\"version\": \"%s\", \"default_mode\": \"%s\", \"modes\": [", CCPL_VERSION_STRING,
                 MODE_NAME[default_mode(cfg)]);
    for (int m = 0; m < SRV_N_MODES; m++) {
        int ok = cfg->vgg[m][0] != 0;
        srv_json_raw(&j, "%s\n  {\"name\": \"%s\", \"available\": %s", m ? "," : "", MODE_NAME[m],
                     ok ? "true" : "false");
        if (ok) {
            srv_json_raw(&j, ", \"min_content_side\": %d, \"min_style_side\": %d, \"decoder\": ",
                         srv_pool_min_side(ctx->pool, (ccpl_mode)m, 0),
                         srv_pool_min_side(ctx->pool, (ccpl_mode)m, 1));
            /* only the file's name: the server's folders are not the client's business */
            const char *slash = strrchr(cfg->decoder[m], '/');
            srv_json_str(&j, slash ? slash + 1 : cfg->decoder[m]);
        } else {
            srv_json_raw(&j, ", \"reason\": ");
            srv_json_str(&j, cfg->unavailable[m]);
        }
        srv_json_raw(&j, "}");
    }
    srv_json_raw(&j,
                 "],\n \"workers\": %d, \"threads_per_worker\": %d, \"queue_capacity\": %d,\n"
                 " \"limits\": {\"max_pixels\": %lld, \"max_upload_bytes\": %zu, "
                 "\"max_size_param\": %d, \"timeout_s\": %d},\n"
                 " \"defaults\": {\"alpha\": 1.0, \"preserve_color\": false, \"content_size\": 512, "
                 "\"style_size\": 512},\n"
                 " \"output\": [\"image/png\", \"image/jpeg\"]}\n",
                 cfg->workers, cfg->threads, cfg->queue_size, cfg->max_pixels, cfg->max_upload_bytes,
                 SRV_MAX_SIZE_PARAM, cfg->timeout_s);
    return srv_respond_json(conn, ctx, &j);
}

/* ---- POST /v1/stylize ---------------------------------------------------- */

static void set_status(srv_request *r, int status, const char *msg) {
    if (r->status) return;
    r->status = status;
    snprintf(r->error, sizeof r->error, "%s", msg);
}

enum MHD_Result srv_stylize_begin(srv_request *r) {
    srv_context *ctx = r->ctx;
    if (atomic_load(&ctx->shutting_down))
        return srv_respond_error(r->conn, ctx, 503, "the server is shutting down");
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        /* Answered before the body is read: with "Expect: 100-continue"
         * (curl, for large bodies) the client never sends it. */
        if (*end == '\0' && n > ctx->cfg->max_upload_bytes)
            return srv_respond_error(r->conn, ctx, 413,
                                     "the upload (%llu bytes) is larger than the server's limit of "
                                     "%zu bytes (--max-upload-mb)",
                                     n, ctx->cfg->max_upload_bytes);
    }
    if (!(r->form = srv_form_new(r->conn, ctx->cfg->max_upload_bytes))) {
        const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
            return srv_respond_error(r->conn, ctx, 415,
                                     "send a multipart/form-data body with the files 'content' and "
                                     "'style' (got Content-Type: %.60s)",
                                     ct ? ct : "none");
        return srv_respond_error(r->conn, ctx, 400, "malformed multipart/form-data header");
    }
    return MHD_YES;
}

void srv_stylize_body(srv_request *r, const char *data, size_t n) {
    if (r->status) return; /* refused already: the rest is read and dropped */
    r->received += n;
    if (r->received > r->ctx->cfg->max_upload_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg, "the upload is larger than the server's limit of %zu bytes (--max-upload-mb)",
                 r->ctx->cfg->max_upload_bytes);
        set_status(r, 413, msg);
        return;
    }
    int st = srv_form_feed(r->form, data, n);
    if (st) set_status(r, st, srv_form_error(r->form));
}

/* The client prefers JPEG: its Accept gives image/jpeg a higher quality
 * than image/png (PNG, lossless, wins ties and when nothing is said). */
static int wants_jpeg(struct MHD_Connection *conn) {
    const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (!a) return 0;
    double q_png = -1, q_jpeg = -1, q_any_image = -1, q_any = -1;
    const char *p = a;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *end = p + strcspn(p, ",");
        size_t tl = strcspn(p, ";,");
        while (tl && p[tl - 1] == ' ') tl--;
        double q = 1.0;
        for (const char *s = p; s < end; s++)
            if (*s == ';') {
                const char *t = s + 1;
                while (*t == ' ') t++;
                if ((t[0] == 'q' || t[0] == 'Q') && t[1] == '=') q = strtod(t + 2, NULL);
            }
        if (tl == 9 && !strncasecmp(p, "image/png", 9)) q_png = q;
        else if ((tl == 10 && !strncasecmp(p, "image/jpeg", 10)) || (tl == 9 && !strncasecmp(p, "image/jpg", 9)))
            q_jpeg = q;
        else if (tl == 7 && !strncasecmp(p, "image/*", 7)) q_any_image = q;
        else if (tl == 3 && !strncmp(p, "*/*", 3)) q_any = q;
        p = end;
    }
    double fallback = q_any_image >= 0 ? q_any_image : q_any;
    if (q_png < 0) q_png = fallback;
    if (q_jpeg < 0) q_jpeg = fallback;
    return q_jpeg > 0 && q_jpeg > q_png;
}

static void on_job_done(srv_job *job, void *arg) {
    srv_request *r = arg;
    (void)job;
    atomic_store(&r->done, 1);
    MHD_resume_connection(r->conn);
}

/* Checks an upload's header: 0, or an error status with r->error set. */
static int check_image(srv_request *r, const char *what, const unsigned char *d, size_t n, int size,
                       ccpl_mode mode) {
    int w, h;
    const srv_config *cfg = r->ctx->cfg;
    if (srv_probe_image(d, n, &w, &h) == SRV_IMAGE_UNKNOWN) {
        snprintf(r->error, sizeof r->error, "%s: not a PNG or JPEG image (or its header is damaged)", what);
        return 415;
    }
    if ((long long)w * h > cfg->max_pixels) {
        snprintf(r->error, sizeof r->error,
                 "%s: image of %dx%d (%lld pixels) exceeds the server's limit of %lld pixels (--max-pixels)",
                 what, w, h, (long long)w * h, cfg->max_pixels);
        return 413;
    }
    int shorter = size > 0 ? size : (w < h ? w : h);
    int min = srv_pool_min_side(r->ctx->pool, mode, what[0] == 's');
    if (shorter < min) {
        snprintf(r->error, sizeof r->error,
                 "%s: image too small: its shorter side %s %d px; the %s model needs at least %d px",
                 what, size > 0 ? "would be resized to" : "is", shorter, MODE_NAME[mode], min);
        return 422;
    }
    return 0;
}

enum MHD_Result srv_stylize_end(srv_request *r) {
    srv_context *ctx = r->ctx;
    if (r->job) {
        if (!atomic_load(&r->done)) return MHD_YES; /* spurious call while running */
        srv_job *job = r->job;
        if (job->status != 200)
            return srv_respond_error(r->conn, ctx, job->status, "%s", job->error);
        unsigned char *body = job->body;
        job->body = NULL;
        return srv_respond(r->conn, ctx, 200, job->want_jpeg ? "image/jpeg" : "image/png", body,
                           job->body_len, 1);
    }
    if (!r->status) {
        int st = srv_form_finish(r->form);
        if (st) set_status(r, st, srv_form_error(r->form));
    }
    if (r->status) return srv_respond_error(r->conn, ctx, r->status, "%s", r->error);

    const srv_config *cfg = ctx->cfg;
    srv_params p = *srv_form_params(r->form);
    if (!p.mode_given) p.mode = default_mode(cfg);
    if (!cfg->vgg[p.mode][0])
        return srv_respond_error(r->conn, ctx, 400, "mode '%s' is not available on this server: %s",
                                 MODE_NAME[p.mode], cfg->unavailable[p.mode]);
    for (int i = 0; i < 2; i++) {
        const char *what = i ? "style" : "content";
        if (!srv_form_has_file(r->form, what))
            return srv_respond_error(r->conn, ctx, 400,
                                     "no '%s' image: send the files 'content' and 'style' as "
                                     "multipart/form-data parts",
                                     what);
    }
    srv_job *job = calloc(1, sizeof *job);
    if (!job) return srv_respond_error(r->conn, ctx, 503, "out of memory");
    job->content = srv_form_take_file(r->form, "content", &job->content_len);
    job->style = srv_form_take_file(r->form, "style", &job->style_len);
    int st = check_image(r, "content", job->content, job->content_len, p.content_size, p.mode);
    if (!st) st = check_image(r, "style", job->style, job->style_len, p.style_size, p.mode);
    if (st) {
        srv_job_free(job);
        return srv_respond_error(r->conn, ctx, st, "%s", r->error);
    }
    job->params = p;
    job->want_jpeg = wants_jpeg(r->conn);
    job->deadline = srv_now() + cfg->timeout_s;
    job->done = on_job_done;
    job->done_arg = r;
    /* Suspended before the job is visible to a worker, so that a fast
     * worker's resume always finds the connection suspended. */
    MHD_suspend_connection(r->conn);
    if (srv_queue_push(ctx->queue, job) != 0) {
        srv_job_free(job);
        set_status(r, 503,
                   atomic_load(&ctx->shutting_down)
                       ? "the server is shutting down"
                       : "the server is busy (every worker is working and the queue is full); try "
                         "again in a few seconds");
        MHD_resume_connection(r->conn);
        return MHD_YES;
    }
    r->job = job;
    return MHD_YES;
}

void srv_request_free(srv_request *r) {
    if (!r) return;
    srv_form_free(r->form);
    srv_job_free(r->job);
    free(r);
}
