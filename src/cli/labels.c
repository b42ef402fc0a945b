/* labels.c — masks and colour-coded label maps (issue 16). */
#include "cli/labels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const unsigned char DPST[CLI_DPST_COLOURS][3] = {
    {0, 0, 255},   {0, 255, 0},   {0, 0, 0},     {255, 255, 255}, {255, 0, 0},
    {255, 255, 0}, {128, 128, 128}, {0, 255, 255}, {255, 0, 255},
};

int cli_parse_label_code(const char *s, cli_label_code *code) {
    if (!strcmp(s, "dpst")) code->exact = 0;
    else if (!strcmp(s, "exact")) code->exact = 1;
    else return -1;
    return 0;
}

int cli_load_mask(const char *cmd, const char *path, long long max_pixels, ccpl_mask *out) {
    ccpl_image img = {0};
    memset(out, 0, sizeof *out);
    if (cli_load_image(cmd, path, max_pixels, &img) != CLI_OK) return CLI_FAIL;
    const size_t n = (size_t)img.width * img.height;
    float *d = malloc(sizeof(float) * n);
    if (!d) {
        fprintf(stderr, "ccpl %s: %s: out of memory\n", cmd, path);
        ccpl_image_free(&img);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = img.data + 3 * i;
        d[i] = (float)(p[0] + p[1] + p[2]) / 765.0f; /* 255 -> exactly 1 */
    }
    out->width = img.width;
    out->height = img.height;
    out->data = d;
    ccpl_image_free(&img);
    return CLI_OK;
}

/* Label of one colour, or CCPL_LABEL_NONE; -2: the exact code is full. */
static int label_of(cli_label_code *code, const unsigned char *p) {
    if (code->exact) {
        const unsigned v = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
        for (int i = 0; i < code->n; i++)
            if (code->rgb[i] == v) return i;
        if (code->n >= CCPL_LABEL_NONE) return -2;
        code->rgb[code->n] = v;
        return code->n++;
    }
    int best = CCPL_LABEL_NONE, bd = 256;
    for (int i = 0; i < CLI_DPST_COLOURS; i++) {
        int d = 0;
        for (int c = 0; c < 3; c++) {
            const int e = abs((int)p[c] - (int)DPST[i][c]);
            if (e > d) d = e;
        }
        if (d < bd) bd = d, best = i;
    }
    return bd <= code->tolerance ? best : CCPL_LABEL_NONE;
}

int cli_load_labels(const char *cmd, const char *path, cli_label_code *code, long long max_pixels,
                    ccpl_labels *out) {
    ccpl_image img = {0};
    memset(out, 0, sizeof *out);
    if (cli_load_image(cmd, path, max_pixels, &img) != CLI_OK) return CLI_FAIL;
    const size_t n = (size_t)img.width * img.height;
    unsigned char *d = malloc(n);
    if (!d) {
        fprintf(stderr, "ccpl %s: %s: out of memory\n", cmd, path);
        ccpl_image_free(&img);
        return CLI_FAIL;
    }
    size_t matched = 0;
    const int w = img.width, h = img.height;
    for (size_t i = 0; i < n; i++) {
        const int l = label_of(code, img.data + 3 * i);
        if (l == -2) {
            fprintf(stderr, "ccpl %s: %s: more than %d colours; not a label map (or use --label-colors dpst)\n",
                    cmd, path, CCPL_LABEL_NONE - 1);
            free(d);
            ccpl_image_free(&img);
            return CLI_FAIL;
        }
        d[i] = (unsigned char)l;
        matched += l != CCPL_LABEL_NONE;
    }
    ccpl_image_free(&img);
    if (matched == 0) {
        fprintf(stderr, "ccpl %s: %s: no pixel matches a DPST label colour within %d; not a label map\n",
                cmd, path, code->tolerance);
        free(d);
        return CLI_FAIL;
    }
    out->width = w;
    out->height = h;
    out->data = d;
    return CLI_OK;
}

int cli_check_aspect(const char *cmd, const char *path, int w, int h, const char *image_path, int iw,
                     int ih) {
    const double r = ((double)w / h) / ((double)iw / ih);
    if (fabs(r - 1.0) <= CCPL_MASK_MAX_ASPECT_DIFF + 1e-12) return CLI_OK;
    return cli_usage_error(cmd, "%s is %dx%d but %s is %dx%d: aspects differ by %.1f %% (at most %.0f %%)",
                           path, w, h, image_path, iw, ih, 100 * fabs(r - 1.0), 100 * CCPL_MASK_MAX_ASPECT_DIFF);
}
