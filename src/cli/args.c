#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "ops/resize.h"

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "ccpl %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'ccpl %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_parse_int(const char *s, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_float(const char *s, double lo, double hi, float *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi) return -1;
    *out = (float)v;
    return 0;
}

int cli_parse_float_list(const char *s, float **out) {
    int n = 1;
    for (const char *p = s; *p; p++) n += *p == ',';
    float *v = malloc(sizeof(float) * (size_t)n);
    char *copy = strdup(s);
    if (!v || !copy) {
        free(v);
        free(copy);
        return -1;
    }
    int k = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (k >= n || cli_parse_float(tok, 0.0, 1e6, &v[k]) != 0) {
            k = -1;
            break;
        }
        k++;
    }
    free(copy);
    if (k != n) { /* empty items ("1,,2") or a bad number */
        free(v);
        return -1;
    }
    *out = v;
    return k;
}

int cli_parse_smooth(const char *cmd, const char *s, int *radius, float *eps) {
    char buf[64];
    const char *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    *eps = ccpl_default_stylize_params().guided_eps;
    if (n >= sizeof buf) n = 0; /* too long for any valid R: fails below */
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (cli_parse_int(buf, 1, CCPL_GUIDED_MAX_RADIUS, radius) ||
        (comma && (cli_parse_float(comma + 1, 0.0, 1.0, eps) || !(*eps > 0.0f))))
        return cli_usage_error(cmd, "--smooth needs R[,EPS] with R in 1..%d and EPS in (0,1], not '%s'",
                               CCPL_GUIDED_MAX_RADIUS, s);
    return CLI_OK;
}

int cli_parse_max_pixels(const char *cmd, const char *s, long long *out) {
    int v;
    if (cli_parse_int(s, 1, (long)CCPL_IMAGE_MAX_PIXELS, &v))
        return cli_usage_error(cmd, "--max-pixels must be an integer in 1..%lld, not '%s'",
                               (long long)CCPL_IMAGE_MAX_PIXELS, s);
    *out = v;
    return CLI_OK;
}

/* The hint for an image of w x h refused under max_pixels: only when the
 * option can help (the pixel count, not a side, is over, and a higher
 * --max-pixels would take it). */
static const char *raise_hint(long long w, long long h, long long max_pixels, char *buf, size_t n) {
    buf[0] = '\0';
    if (w > 0 && h > 0 && w <= CCPL_IMAGE_MAX_SIDE && h <= CCPL_IMAGE_MAX_SIDE &&
        w * h > max_pixels && w * h <= CCPL_IMAGE_MAX_PIXELS)
        snprintf(buf, n, "; raise it with --max-pixels %lld", w * h);
    return buf;
}

/* --background of this process (the library's default: white). */
static unsigned char background[3] = {255, 255, 255};

int cli_set_background(const char *cmd, const char *color) {
    unsigned v[3];
    char extra;
    const char *hex = color[0] == '#' ? color + 1 : color;
    if (!strcasecmp(color, "white")) {
        v[0] = v[1] = v[2] = 255;
    } else if (!strcasecmp(color, "black")) {
        v[0] = v[1] = v[2] = 0;
    } else if (strlen(hex) == 6 && strspn(hex, "0123456789abcdefABCDEF") == 6) {
        unsigned long x = strtoul(hex, NULL, 16);
        v[0] = (unsigned)(x >> 16) & 255, v[1] = (unsigned)(x >> 8) & 255, v[2] = (unsigned)x & 255;
    } else if (sscanf(color, "%u,%u,%u%c", &v[0], &v[1], &v[2], &extra) != 3 || v[0] > 255 ||
               v[1] > 255 || v[2] > 255 || strspn(color, "0123456789,") != strlen(color)) {
        return cli_usage_error(cmd, "--background must be white, black, #RRGGBB or R,G,B (0..255), not '%s'", color);
    }
    for (int k = 0; k < 3; k++) background[k] = (unsigned char)v[k];
    return CLI_OK;
}

int cli_load_image(const char *cmd, const char *path, long long max_pixels, ccpl_image *out) {
    ccpl_image_load_params lp = ccpl_default_image_load_params();
    memcpy(lp.background, background, 3);
    ccpl_error err;
    char hint[96];
    lp.max_pixels = max_pixels;
    ccpl_status st = ccpl_image_load_ex(path, &lp, out, &err);
    if (st == CCPL_OK) return CLI_OK;
    if (st == CCPL_E_TOO_LARGE)
        raise_hint(out->width, out->height, max_pixels, hint, sizeof hint);
    else
        hint[0] = '\0';
    ccpl_image_free(out);
    fprintf(stderr, "ccpl %s: %s%s\n", cmd, err.message, hint);
    return CLI_FAIL;
}

int cli_resize_image(const char *cmd, const char *path, ccpl_image *in, int size, int crop,
                     long long max_pixels, ccpl_image *out) {
    ccpl_error err;
    char hint[96];
    long long rw = in->width, rh = in->height;
    if (size > 0) ccpl__resize_shorter_dims(in->width, in->height, size, &rw, &rh);
    ccpl_status st = ccpl_image_resize_shorter_ex(in, size, crop, max_pixels, out, &err);
    if (st == CCPL_OK) return CLI_OK;
    if (st == CCPL_E_TOO_LARGE)
        raise_hint(rw, rh, max_pixels, hint, sizeof hint);
    else
        hint[0] = '\0';
    fprintf(stderr, "ccpl %s: %s: %s%s\n", cmd, path, err.message, hint);
    return CLI_FAIL;
}

int cli_load_resized(const char *cmd, const char *path, int size, int crop, long long max_pixels,
                     ccpl_image *out) {
    ccpl_image raw = {0};
    if (cli_load_image(cmd, path, max_pixels, &raw) != CLI_OK) return CLI_FAIL;
    const int rc = cli_resize_image(cmd, path, &raw, size, crop, max_pixels, out);
    ccpl_image_free(&raw);
    return rc;
}

int cli_output_exists(const char *cmd, const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return 0;
    fprintf(stderr, "ccpl %s: %s: exists (--no-clobber)\n", cmd, path);
    return 1;
}

int cli_save_image(const char *cmd, const char *path, const ccpl_image *img, int jpeg_quality,
                   int no_clobber) {
    ccpl_image_save_params sp = ccpl_default_image_save_params();
    ccpl_error err;
    sp.jpeg_quality = jpeg_quality;
    sp.no_replace = no_clobber;
    if (ccpl_image_save_ex(path, img, &sp, &err) == CCPL_OK) return CLI_OK;
    struct stat st;
    if (no_clobber && err.status == CCPL_E_IO && lstat(path, &st) == 0)
        fprintf(stderr, "ccpl %s: %s: exists (--no-clobber)\n", cmd, path); /* made meanwhile */
    else
        fprintf(stderr, "ccpl %s: %s\n", cmd, err.message);
    return CLI_FAIL;
}

int strlist_push(strlist *l, const char *s) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        char **items = realloc(l->items, sizeof(char *) * (size_t)cap);
        if (!items) return -1;
        l->items = items;
        l->cap = cap;
    }
    if (!(l->items[l->n] = strdup(s))) return -1;
    l->n++;
    return 0;
}

void strlist_free(strlist *l) {
    for (int i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}
