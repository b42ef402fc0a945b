/* eval_shared.c — file lists and image loading shared by the eval subcommands. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/flo.h"
#include "io/image_internal.h"
#include "model/encoder.h"
#include "ops/metrics.h"
#include "ops/stats.h"
#include "ops/warp.h"
#include "cli/eval.h"

/* ---- shared helpers ------------------------------------------------------ */

/* --max-pixels of the running subcommand (set by its option parsing). */
long long eval_max_pixels = CLI_DEFAULT_MAX_PIXELS;


static int has_ext(const char *name, const char *ext) {
    size_t n = strlen(name), e = strlen(ext);
    if (n <= e || name[n - e - 1] != '.') return 0;
    for (size_t i = 0; i < e; i++)
        if (tolower((unsigned char)name[n - e + i]) != ext[i]) return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .flo files directly inside dir, sorted. 0, or -1 with errno. */
static int list_flo(const char *dir, strlist *out) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    char path[4096];
    int before = out->n;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_ext(e->d_name, "flo")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!cli_is_file(path)) continue;
        if (strlist_push(out, path) != 0) {
            closedir(d);
            errno = ENOMEM;
            return -1;
        }
    }
    closedir(d);
    qsort(out->items + before, (size_t)(out->n - before), sizeof(char *), cmp_str);
    return 0;
}

/* Replaces each folder of `in` by its images (flo: its .flo files). */
int eval_expand(const char *cmd, const char *opt, const strlist *in, int flo, strlist *out) {
    for (int i = 0; i < in->n; i++) {
        const char *p = in->items[i];
        errno = 0;
        if (!cli_is_dir(p)) {
            if (!cli_is_file(p) && errno == ENOENT) {
                fprintf(stderr, "ccpl %s: %s: no such file or folder (given to %s)\n", cmd, p, opt);
                return CLI_FAIL;
            }
            if (strlist_push(out, p) != 0) return CLI_FAIL;
            continue;
        }
        int before = out->n;
        if ((flo ? list_flo(p, out) : cli_list_images(p, out)) != 0) {
            fprintf(stderr, "ccpl %s: %s: %s\n", cmd, p, strerror(errno));
            return CLI_FAIL;
        }
        if (out->n == before) {
            fprintf(stderr, "ccpl %s: %s: no %s files (given to %s)\n", cmd, p,
                    flo ? ".flo" : ".png, .jpg or .jpeg", opt);
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

/* Loads an image as (3,H,W) floats in [0,1] (data allocated). */
/* img (freed here) as a (3,H,W) activation in [0,1]. */
int eval_image_to_act(const char *cmd, const char *path, ccpl_image *img, ccpl__tensor *a) {
    ccpl_error err;
    if (ccpl__tensor_alloc(a, 1, 3, img->height, img->width, &err) != CCPL_OK) {
        fprintf(stderr, "ccpl %s: %s: %s\n", cmd, path, err.message);
        ccpl_image_free(img);
        return CLI_FAIL;
    }
    ccpl__image_to_chw(img, a->data);
    ccpl_image_free(img);
    return CLI_OK;
}

int eval_load_chw(const char *cmd, const char *path, ccpl__tensor *a) {
    ccpl_image img = {0};
    memset(a, 0, sizeof *a);
    if (cli_load_image(cmd, path, eval_max_pixels, &img) != CLI_OK) return CLI_FAIL;
    return eval_image_to_act(cmd, path, &img, a);
}

