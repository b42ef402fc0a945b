/* json.c — building small JSON answers (/v1/health, /v1/models, errors). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

static int reserve(srv_json *j, size_t more) {
    if (j->failed) return -1;
    if (j->len + more + 1 <= j->cap) return 0;
    size_t cap = j->cap ? j->cap : 256;
    while (cap < j->len + more + 1) cap *= 2;
    char *b = realloc(j->buf, cap);
    if (!b) {
        j->failed = 1;
        return -1;
    }
    j->buf = b;
    j->cap = cap;
    return 0;
}

void srv_json_raw(srv_json *j, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(j, (size_t)n) != 0) return;
    va_start(ap, fmt);
    vsnprintf(j->buf + j->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    j->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if there is none. */
static int utf8_len(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    int n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4)) return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return n;
}

void srv_json_str(srv_json *j, const char *s) {
    srv_json_raw(j, "\"");
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        int n = utf8_len(p);
        if (*p == '"' || *p == '\\') {
            srv_json_raw(j, "\\%c", *p);
        } else if (*p < 0x20 || *p == 0x7f) {
            srv_json_raw(j, "\\u%04x", *p);
        } else if (n == 0) {
            /* not UTF-8 (a file name in a message, say): shown as U+FFFD */
            srv_json_raw(j, "\\ufffd");
            n = 1;
        } else {
            srv_json_raw(j, "%.*s", n, (const char *)p);
        }
        p += n ? n : 1;
    }
    srv_json_raw(j, "\"");
}

char *srv_json_take(srv_json *j, size_t *len) {
    char *b = j->failed ? NULL : j->buf;
    if (j->failed) free(j->buf);
    if (len) *len = b ? j->len : 0;
    if (b == NULL && !j->failed) b = calloc(1, 1);
    memset(j, 0, sizeof *j);
    return b;
}
