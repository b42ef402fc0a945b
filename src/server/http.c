/* http.c — the libmicrohttpd daemon: one internal polling thread parses
 * requests and dispatches them by path; stylizations run on the workers
 * while their connections are suspended. Also the orderly stop: no new
 * connections, queued jobs answered 503, running jobs finish and their
 * answers go out, then the daemon stops. */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/http.h"

struct srv_server {
    srv_context ctx;
    struct MHD_Daemon *daemon;
};

static int is_get(const char *method) { return !strcmp(method, "GET") || !strcmp(method, "HEAD"); }

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    srv_context *ctx = cls;
    srv_request *r = *con_cls;
    (void)version;
    if (!r) { /* the headers are in */
        if (!(r = calloc(1, sizeof *r))) return MHD_NO;
        r->ctx = ctx;
        r->conn = conn;
        *con_cls = r;
        atomic_fetch_add(&ctx->inflight, 1);
        if (!strcmp(url, "/v1/stylize") && !strcmp(method, "POST")) {
            r->is_stylize = 1;
            /* may refuse at once (e.g. 413 from Content-Length): the body
             * is then never read and the connection is closed */
            return srv_stylize_begin(r);
        }
        /* Everything else is answered once the request is complete: an
         * answer queued now would make MHD close the connection instead
         * of keeping it alive for the page's next request. */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (r->is_stylize) srv_stylize_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0; /* a body sent with anything else: ignored */
        return MHD_YES;
    }
    if (r->is_stylize) return srv_stylize_end(r);
    if (!strcmp(url, "/v1/stylize")) return srv_respond_error(conn, ctx, 405, "use POST for /v1/stylize");
    int api = !strcmp(url, "/v1/health") || !strcmp(url, "/v1/models");
    if (!is_get(method)) {
        if (api || srv_is_static(url)) return srv_respond_error(conn, ctx, 405, "use GET for %s", url);
        return srv_respond_error(conn, ctx, 404, "no such page: %.200s", url);
    }
    if (!strcmp(url, "/v1/health")) return srv_route_health(conn, ctx);
    if (!strcmp(url, "/v1/models")) return srv_route_models(conn, ctx);
    return srv_route_static(conn, ctx, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    srv_context *ctx = cls;
    (void)conn, (void)toe;
    if (*con_cls) atomic_fetch_sub(&ctx->inflight, 1);
    srv_request_free(*con_cls);
    *con_cls = NULL;
}

static int is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a);
    }
    return 0;
}

srv_server *srv_start(const srv_config *cfg, srv_pool *pool, srv_queue *queue, int *port_out,
                      char *msg, size_t n) {
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->port);
    int gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(msg, n, "%s: cannot use this address: %s", cfg->host, gai_strerror(gai));
        if (ai) freeaddrinfo(ai);
        return NULL;
    }
    if (!is_loopback(ai->ai_addr))
        fprintf(stderr,
                "ccpl serve: warning: listening on %s, reachable from other machines; anyone who "
                "can connect can use this server's CPU (there is no authentication)\n",
                cfg->host);
    srv_server *s = calloc(1, sizeof *s);
    if (!s) {
        freeaddrinfo(ai);
        snprintf(msg, n, "out of memory");
        return NULL;
    }
    s->ctx.cfg = cfg;
    s->ctx.pool = pool;
    s->ctx.queue = queue;
    s->ctx.started = srv_now();
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, &s->ctx,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s->ctx,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->io_timeout_s,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->daemon) {
        snprintf(msg, n, "cannot listen on %s port %d (in use, or not an address of this machine)",
                 cfg->host, cfg->port);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info ? info->port : cfg->port;
    return s;
}

void srv_stop(srv_server *s, int grace_s) {
    if (!s) return;
    atomic_store(&s->ctx.shutting_down, 1);
    /* No new connections; those open get 503 with Connection: close. */
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    srv_queue_close(s->ctx.queue);   /* waiting jobs: 503 */
    srv_pool_join(s->ctx.pool);      /* running jobs finish */
    /* Let the last answers go out before the connections are closed (idle
     * keep-alive connections, a browser's, are not waited for). */
    double until = srv_now() + grace_s;
    while (atomic_load(&s->ctx.inflight) > 0 && srv_now() < until) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    free(s);
}
