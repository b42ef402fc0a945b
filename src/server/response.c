/* response.c — every answer goes out through here, so each carries the
 * right Content-Type, X-Content-Type-Options: nosniff (a browser never
 * guesses a type, so an uploaded "image" can't run as HTML) and caching
 * rules; errors are JSON {"error": "..."}. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

/* The page needs nothing from elsewhere (it works offline), so everything
 * outside this origin is refused; blob: and data: are the result images. */
#define CSP                                                                              \
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; " \
    "connect-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "         \
    "frame-ancestors 'none'"

enum MHD_Result srv_respond(struct MHD_Connection *conn, srv_context *ctx, int status,
                            const char *type, void *body, size_t len, int must_free) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (must_free) free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    int html = !strncmp(type, "text/html", 9);
    if (html) {
        MHD_add_response_header(resp, "Content-Security-Policy", CSP);
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    /* Embedded files change only with the binary; answers never repeat. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            must_free ? "no-store" : "no-cache");
    if (status == 503) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    if (status == 405) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
    if (atomic_load(&ctx->shutting_down))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    atomic_fetch_add(&ctx->stats.requests, 1);
    if (status < 400) atomic_fetch_add(&ctx->stats.ok, 1);
    else if (status == 503) atomic_fetch_add(&ctx->stats.busy, 1);
    else if (status < 500) atomic_fetch_add(&ctx->stats.client_errors, 1);
    else atomic_fetch_add(&ctx->stats.server_errors, 1);
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

enum MHD_Result srv_respond_error(struct MHD_Connection *conn, srv_context *ctx, int status,
                                  const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    srv_json j = {0};
    srv_json_raw(&j, "{\"error\": ");
    srv_json_str(&j, msg);
    srv_json_raw(&j, "}\n");
    size_t len;
    char *body = srv_json_take(&j, &len);
    if (!body) return MHD_NO;
    return srv_respond(conn, ctx, status, "application/json", body, len, 1);
}

enum MHD_Result srv_respond_json(struct MHD_Connection *conn, srv_context *ctx, srv_json *j) {
    size_t len;
    char *body = srv_json_take(j, &len);
    if (!body) return srv_respond_error(conn, ctx, 503, "out of memory");
    return srv_respond(conn, ctx, 200, "application/json", body, len, 1);
}
