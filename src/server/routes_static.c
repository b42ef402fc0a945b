/* routes_static.c — the web page and the example images, compiled into the
 * binary (assets.c), so an installed ccpl needs no files and no path from a
 * request ever reaches the file system: a URL either equals a table entry
 * or is a 404, and "/../" can name nothing. */
#include <string.h>

#include "server/http.h"

static const srv_asset *find(const char *url) {
    if (!strcmp(url, "/")) url = "/index.html";
    for (int i = 0; i < srv_n_assets; i++)
        if (!strcmp(url, srv_assets[i].path)) return &srv_assets[i];
    return NULL;
}

int srv_is_static(const char *url) { return find(url) != NULL; }

enum MHD_Result srv_route_static(struct MHD_Connection *conn, srv_context *ctx, const char *url) {
    const srv_asset *a = find(url);
    if (!a) return srv_respond_error(conn, ctx, 404, "no such page: %.200s", url);
    return srv_respond(conn, ctx, 200, a->type, (void *)a->data, a->size, 0);
}
