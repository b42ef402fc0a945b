/* form.c — a POST /v1/stylize body collected with libmicrohttpd's
 * multipart parser (MHD_create_post_processor). Uploads stay bytes in memory:
 * nothing a client sends (file names included) ever names a file here. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server.h"

#define TEXT_MAX 64 /* longest text field value kept */

typedef struct file_part {
    unsigned char *data;
    size_t len, cap;
    int seen;
} file_part;

struct srv_form {
    struct MHD_PostProcessor *pp;
    size_t max_bytes, kept;
    file_part content, style;
    /* the text field being received (values may arrive in pieces) */
    char key[32], text[TEXT_MAX + 1];
    size_t text_len;
    int in_text;
    unsigned seen_fields; /* bit per srv_params field, to refuse repeats */
    srv_params params;
    int status; /* 0, or the HTTP status that ended the form */
    char error[256];
};

static enum MHD_Result fail(srv_form *f, int status, const char *fmt, const char *arg) {
    if (f->status == 0) {
        f->status = status;
        snprintf(f->error, sizeof f->error, fmt, arg);
    }
    return MHD_NO;
}

/* Applies the text field completed so far. */
static int flush_text(srv_form *f) {
    if (!f->in_text) return 0;
    f->in_text = 0;
    f->text[f->text_len] = 0;
    char msg[256];
    if (srv_params_set(&f->params, f->key, f->text, msg, sizeof msg) != 0) {
        fail(f, 400, "%s", msg);
        return -1;
    }
    return 0;
}

static unsigned field_bit(const char *key) {
    static const char *const names[] = {"mode", "alpha", "preserve_color", "preserve_colour",
                                        "content_size", "style_size"};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(key, names[i])) return 1u << (i == 3 ? 2 : i);
    return 0;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size) {
    srv_form *f = cls;
    (void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
    if (f->status) return MHD_NO;
    if (!key) return fail(f, 400, "%s", "a form part has no name");
    file_part *part = !strcmp(key, "content") ? &f->content : !strcmp(key, "style") ? &f->style : NULL;
    if (off == 0 || (f->in_text && strcmp(key, f->key) != 0)) {
        /* a new part begins: finish the text before it */
        if (flush_text(f) != 0) return MHD_NO;
        if (part) {
            if (part->seen) return fail(f, 400, "'%s' is given twice", key);
            part->seen = 1;
        } else {
            if (strlen(key) >= sizeof f->key) return fail(f, 400, "unknown field '%.40s'", key);
            unsigned bit = field_bit(key);
            if (bit && (f->seen_fields & bit)) return fail(f, 400, "'%s' is given twice", key);
            f->seen_fields |= bit;
            snprintf(f->key, sizeof f->key, "%s", key);
            f->text_len = 0;
            f->in_text = 1;
        }
    }
    if (size == 0) return MHD_YES;
    if (size > f->max_bytes - f->kept)
        return fail(f, 413, "the upload is larger than the server's limit (%s)", "--max-upload-mb");
    f->kept += size;
    if (!part) {
        if (f->text_len + size > TEXT_MAX) return fail(f, 400, "the value of '%s' is too long", key);
        memcpy(f->text + f->text_len, data, size);
        f->text_len += size;
        return MHD_YES;
    }
    if (part->len + size > part->cap) {
        size_t cap = part->cap ? part->cap : 65536;
        while (cap < part->len + size) cap *= 2;
        unsigned char *d = realloc(part->data, cap);
        if (!d) return fail(f, 503, "%s", "out of memory receiving the upload");
        part->data = d;
        part->cap = cap;
    }
    memcpy(part->data + part->len, data, size);
    part->len += size;
    return MHD_YES;
}

srv_form *srv_form_new(struct MHD_Connection *conn, size_t max_bytes) {
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0) return NULL;
    srv_form *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->max_bytes = max_bytes;
    srv_params_default(&f->params);
    /* 64 KiB: the parser's window, also the longest part header it accepts */
    f->pp = MHD_create_post_processor(conn, 65536, on_part, f);
    if (!f->pp) {
        free(f);
        return NULL;
    }
    return f;
}

int srv_form_feed(srv_form *f, const char *data, size_t n) {
    if (f->status) return f->status;
    if (MHD_post_process(f->pp, data, n) != MHD_YES && f->status == 0) {
        f->status = 400;
        snprintf(f->error, sizeof f->error, "malformed multipart/form-data body");
    }
    return f->status;
}

int srv_form_finish(srv_form *f) {
    if (f->status) return f->status;
    if (flush_text(f) != 0) return f->status;
    enum MHD_Result r = MHD_destroy_post_processor(f->pp);
    f->pp = NULL;
    if (r != MHD_YES && f->status == 0) {
        f->status = 400;
        snprintf(f->error, sizeof f->error, "malformed multipart/form-data body (truncated?)");
    }
    return f->status;
}

const char *srv_form_error(const srv_form *f) { return f->error; }

static file_part *find(srv_form *f, const char *name) {
    return !strcmp(name, "content") ? &f->content : !strcmp(name, "style") ? &f->style : NULL;
}

int srv_form_has_file(const srv_form *f, const char *name) {
    file_part *p = find((srv_form *)f, name);
    return p && p->len > 0;
}

unsigned char *srv_form_take_file(srv_form *f, const char *name, size_t *len) {
    file_part *p = find(f, name);
    unsigned char *d = p ? p->data : NULL;
    *len = d ? p->len : 0;
    if (p) memset(p, 0, sizeof *p);
    return d;
}

const srv_params *srv_form_params(const srv_form *f) { return &f->params; }

void srv_form_free(srv_form *f) {
    if (!f) return;
    if (f->pp) MHD_destroy_post_processor(f->pp);
    free(f->content.data);
    free(f->style.data);
    free(f);
}
