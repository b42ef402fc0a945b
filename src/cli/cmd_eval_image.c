/* ccpl eval image — content loss, style loss and SSIM of stylized images
 * (formulas: docs/METRICS.md). */
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

static const char *const HELP_IMAGE =
    "Usage: ccpl eval image --result FILE --content FILE --style FILE [OPTION]...\n"
    "       ccpl eval image --result-dir DIR --content-dir DIR --style-dir DIR [OPTION]...\n"
    "Content loss, style loss (CCPL's training losses on the VGG encoder)\n"
    "and SSIM of stylized images against their content.\n"
    "\n"
    "  -r, --result FILE        a stylized image (repeatable)\n"
    "      --result-dir DIR     every image in DIR, named CONTENT_stylized_STYLE.EXT\n"
    "                           as 'ccpl stylize --output-dir' writes them\n"
    "  -c, --content FILE       content image (repeatable)\n"
    "      --content-dir DIR    content images, found by the CONTENT part of names\n"
    "  -s, --style FILE         style image (repeatable)\n"
    "      --style-dir DIR      style images, found by the STYLE part of names\n"
    "                           (with one result, one content and one style, names\n"
    "                           do not matter)\n"
    "      --style-size N       resize styles so the shorter side is N before\n"
    "                           encoding, as stylize does (default 512, 0 keeps)\n"
    "  -m, --mode art|photo     art: content loss at relu4_1, style loss over\n"
    "                           relu1_1..relu4_1 (default); photo: relu3_1 and\n"
    "                           relu1_1..relu3_1, as CCPL trains each mode\n"
    "      --vgg FILE           normalised VGG-19 checkpoint (to relu4_1, photo:\n"
    "                           relu3_1 is enough)\n"
    "      --models DIR         folder to search for vgg_normalised.pth (photo also\n"
    "                           vgg_normalised_conv3_1.pth), then vgg_normalised_r41.pth\n"
    "                           (the shipped encoder) (repeatable),\n"
    "                           then CCPL_MODELS, then the built-in models/ folder\n"
    "  -t, --threads N          threads (default 0: all cores)\n"
    "      --max-pixels N       refuse images of more than N pixels, before decoding\n"
    "                           them, and resizes that would make more: 1..268435456,\n"
    "                           default 100000000 (~300 MB as RGB, ~1.2 GB as floats)\n"
    "  -h, --help               this help\n"
    "\n"
    "A content larger than its result is resized (shorter side to the result's, as\n"
    "stylize's --content-size does) and must then have the result's size.\n"
    "Metrics: content loss = MSE of relu4_1 (photo: relu3_1) features, result vs\n"
    "content; style loss = sum over relu1_1..relu4_1 (photo: ..relu3_1) of MSE of\n"
    "channel means + MSE of channel stds, result vs style; SSIM on luminance Y in\n"
    "[0,255], 11x11 Gaussian\n"
    "window, sigma 1.5 (higher is closer to the content, 1 = identical);\n"
    "flat_tex = texture added where the content is flat: over the positions whose\n"
    "7x7 luminance std in the content is below 2 grey levels, the mean of (result's\n"
    "7x7 std - content's), in grey levels of 255 (0 = none added; nan: no flat\n"
    "region). docs/METRICS.md has the formulas.\n"
    "\n"
    "Exit status: 0 every result measured, 1 a file or model could not be read or\n"
    "does not fit (one line naming it; the others are still measured), 2 bad usage.\n";


/* ---- eval image ---------------------------------------------------------- */

#define N_TAPS 4
#define MAX_SIDE 16384

typedef struct img_opts {
    strlist results, contents, styles, result_dirs, content_dirs, style_dirs;
    model_paths mp;
    ccpl_mode mode;
    int style_size, threads;
} img_opts;

/* Index of the file in l whose stem equals the n characters at s, or -1. */
static int find_stem(const strlist *l, const char *s, size_t n) {
    char stem[1024];
    for (int i = 0; i < l->n; i++) {
        cli_stem(l->items[i], stem, sizeof stem);
        if (strlen(stem) == n && !strncmp(stem, s, n)) return i;
    }
    return -1;
}

/* Content and style of a result named CONTENT_stylized_STYLE.EXT. */
static int match_result(const char *cmd, const img_opts *o, const char *result, int *ci, int *si) {
    if (o->results.n == 1 && o->contents.n == 1 && o->styles.n == 1 && !o->result_dirs.n &&
        !o->content_dirs.n && !o->style_dirs.n) {
        *ci = *si = 0;
        return CLI_OK;
    }
    char stem[1024];
    cli_stem(result, stem, sizeof stem);
    static const char tag[] = "_stylized_";
    for (const char *p = strstr(stem, tag); p; p = strstr(p + 1, tag)) {
        const char *st = p + strlen(tag);
        const int c = find_stem(&o->contents, stem, (size_t)(p - stem));
        const int s = find_stem(&o->styles, st, strlen(st));
        if (c >= 0 && s >= 0) {
            *ci = c;
            *si = s;
            return CLI_OK;
        }
    }
    fprintf(stderr, "ccpl %s: %s: no content and style for this result (expected a name CONTENT_stylized_STYLE.EXT with CONTENT among the contents and STYLE among the styles)\n",
            cmd, result);
    return CLI_FAIL;
}

/* Encoder taps of an (3,H,W) image plus per-tap mean/std (each (C)). */
typedef struct feats {
    int n; /* taps used: 4 (art) or 3 (photo) */
    ccpl__tensor taps[N_TAPS];
    float *mean[N_TAPS], *std[N_TAPS];
} feats;

static void feats_free(feats *f) {
    for (int i = 0; i < N_TAPS; i++) {
        ccpl__tensor_free(&f->taps[i]);
        free(f->mean[i]);
        free(f->std[i]);
    }
    memset(f, 0, sizeof *f);
}

static int encode(const char *cmd, ccpl_model *m, const char *path, const ccpl__tensor *x, feats *f) {
    ccpl__tensor last = {0};
    memset(f, 0, sizeof *f);
    f->n = ccpl_model_mode(m) == CCPL_MODE_ART ? 4 : 3;
    if (ccpl__encode(m, x, &last, f->taps) != CCPL_OK) {
        fprintf(stderr, "ccpl %s: %s: %s\n", cmd, path, ccpl_model_error(m));
        return CLI_FAIL;
    }
    ccpl__tensor_free(&last);
    for (int i = 0; i < f->n; i++) {
        const ccpl__tensor *t = &f->taps[i];
        f->mean[i] = malloc(sizeof(float) * (size_t)t->c);
        f->std[i] = malloc(sizeof(float) * (size_t)t->c);
        if (!f->mean[i] || !f->std[i] || t->h * t->w < 2) {
            fprintf(stderr, "ccpl %s: %s: %s\n", cmd, path,
                    t->h * t->w < 2 ? "image too small for the style statistics" : "out of memory");
            feats_free(f);
            return CLI_FAIL;
        }
        ccpl__mean_std_forward(f->mean[i], f->std[i], t->data, 1, t->c, t->h * t->w, 1);
    }
    return CLI_OK;
}

/* Loads path as 8 bits, resized (shorter side `size`, 0 keeps) to floats. */
static int load_sized(const char *cmd, const char *path, int size, ccpl__tensor *a) {
    ccpl_image img = {0};
    memset(a, 0, sizeof *a);
    if (cli_load_resized(cmd, path, size, 0, eval_max_pixels, &img) != CLI_OK) return CLI_FAIL;
    return eval_image_to_act(cmd, path, &img, a);
}

typedef struct img_result {
    double content, style, ssim;
    double flat_texture; /* grey levels; NaN: the content has no flat region */
} img_result;

static int measure_image(const char *cmd, ccpl_model *m, const img_opts *o, const char *rpath,
                         const char *cpath, feats *sf, img_result *res) {
    ccpl__tensor r = {0}, c = {0};
    feats rf, cf;
    memset(&rf, 0, sizeof rf);
    memset(&cf, 0, sizeof cf);
    double *scratch = NULL;
    int rc = CLI_FAIL;
    if (eval_load_chw(cmd, rpath, &r) != CLI_OK || eval_load_chw(cmd, cpath, &c) != CLI_OK) goto done;
    if (c.w != r.w || c.h != r.h) {
        /* the content as stylize resized it: shorter side to the result's */
        ccpl__tensor_free(&c);
        if (load_sized(cmd, cpath, r.w < r.h ? r.w : r.h, &c) != CLI_OK) goto done;
        if (c.w != r.w || c.h != r.h) {
            fprintf(stderr, "ccpl %s: %s: result is %dx%d but its content %s is %dx%d at that scale (a cropped or --full-output result?)\n",
                    cmd, rpath, r.w, r.h, cpath, c.w, c.h);
            goto done;
        }
    }
    if (r.w < CCPL__SSIM_WIN || r.h < CCPL__SSIM_WIN) {
        fprintf(stderr, "ccpl %s: %s: result is %dx%d; SSIM needs at least %dx%d\n", cmd, rpath,
                r.w, r.h, CCPL__SSIM_WIN, CCPL__SSIM_WIN);
        goto done;
    }
    if (encode(cmd, m, rpath, &r, &rf) != CLI_OK || encode(cmd, m, cpath, &c, &cf) != CLI_OK)
        goto done;
    const ccpl__tensor *a = &rf.taps[rf.n - 1], *b = &cf.taps[cf.n - 1];
    res->content = ccpl__mse(a->data, b->data, (size_t)a->c * a->h * a->w);
    res->style = 0;
    for (int i = 0; i < rf.n; i++)
        res->style += ccpl__style_term(rf.mean[i], rf.std[i], sf->mean[i], sf->std[i], rf.taps[i].c);
    const size_t ns = ccpl__ssim_scratch(r.h, r.w), nf = ccpl__flat_texture_scratch(r.h, r.w);
    scratch = malloc(sizeof(double) * (ns > nf ? ns : nf));
    if (!scratch) {
        fprintf(stderr, "ccpl %s: %s: out of memory\n", cmd, rpath);
        goto done;
    }
    res->ssim = ccpl__ssim(r.data, c.data, r.h, r.w, scratch);
    res->flat_texture = ccpl__flat_texture(r.data, c.data, r.h, r.w, NULL, scratch);
    rc = CLI_OK;
done:
    (void)o;
    free(scratch);
    feats_free(&rf);
    feats_free(&cf);
    ccpl__tensor_free(&r);
    ccpl__tensor_free(&c);
    return rc;
}

int eval_image(int argc, char **argv) {
    enum { O_RESULT_DIR = 256, O_CONTENT_DIR, O_STYLE_DIR, O_STYLE_SIZE };
    static const struct option longopts[] = {
        {"result", required_argument, 0, 'r'},
        {"result-dir", required_argument, 0, O_RESULT_DIR},
        {"content", required_argument, 0, 'c'},
        {"content-dir", required_argument, 0, O_CONTENT_DIR},
        {"style", required_argument, 0, 's'},
        {"style-dir", required_argument, 0, O_STYLE_DIR},
        {"style-size", required_argument, 0, O_STYLE_SIZE},
        {"threads", required_argument, 0, 't'},
        {"mode", required_argument, 0, 'm'},
        CLI_LONGOPT_VGG,
        CLI_LONGOPT_MODELS,
        CLI_LONGOPT_MAX_PIXELS,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = "eval image";
    eval_max_pixels = CLI_DEFAULT_MAX_PIXELS;
    img_opts o;
    memset(&o, 0, sizeof o);
    o.style_size = 512;
    o.mode = CCPL_MODE_ART;
    ccpl_model *m = NULL;
    feats *sf = NULL;
    int rc = CLI_OK, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:c:s:t:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': strlist_push(&o.results, optarg); break;
        case 'c': strlist_push(&o.contents, optarg); break;
        case 's': strlist_push(&o.styles, optarg); break;
        case O_RESULT_DIR: strlist_push(&o.result_dirs, optarg); break;
        case O_CONTENT_DIR: strlist_push(&o.content_dirs, optarg); break;
        case O_STYLE_DIR: strlist_push(&o.style_dirs, optarg); break;
        case 'm':
            if (!strcmp(optarg, "art")) o.mode = CCPL_MODE_ART;
            else if (!strcmp(optarg, "photo")) o.mode = CCPL_MODE_PHOTO;
            else {
                rc = cli_usage_error(cmd, "--mode must be art or photo, not '%s'", optarg);
                goto done;
            }
            break;
        case O_STYLE_SIZE:
            if (cli_parse_int(optarg, 0, MAX_SIDE, &o.style_size)) {
                rc = cli_usage_error(cmd, "--style-size must be an integer in 0..%d, not '%s'", MAX_SIDE, optarg);
                goto done;
            }
            break;
        case 't':
            if (cli_parse_int(optarg, 0, 1024, &o.threads)) {
                rc = cli_usage_error(cmd, "--threads must be an integer in 0..1024, not '%s'", optarg);
                goto done;
            }
            break;
        case 'h': fputs(HELP_IMAGE, stdout); goto done;
        case ':': rc = cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]); goto done;
        default: {
            ccpl_engine unused = CCPL_ENGINE_FAST; /* eval image offers no --engine */
            const int r = cli_model_option(cmd, c, optarg, &o.mp, &unused, &eval_max_pixels);
            if (r < 0) {
                rc = CLI_USAGE;
                goto done;
            }
            if (r == 0) {
                rc = cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
                goto done;
            }
            break;
        }
        }
    }
    if (optind < argc) {
        rc = cli_usage_error(cmd, "unexpected argument '%s' (inputs are given with --result, --content and --style)", argv[optind]);
        goto done;
    }
    if (!o.results.n && !o.result_dirs.n) {
        rc = cli_usage_error(cmd, "no result image (--result FILE or --result-dir DIR)");
        goto done;
    }
    if (!o.contents.n && !o.content_dirs.n) {
        rc = cli_usage_error(cmd, "no content image (--content FILE or --content-dir DIR)");
        goto done;
    }
    if (!o.styles.n && !o.style_dirs.n) {
        rc = cli_usage_error(cmd, "no style image (--style FILE or --style-dir DIR)");
        goto done;
    }
    {
        /* folders become file lists (results only after the single-pair test) */
        strlist *lists[3] = {&o.results, &o.contents, &o.styles};
        strlist *dirs[3] = {&o.result_dirs, &o.content_dirs, &o.style_dirs};
        const char *names[3] = {"--result-dir", "--content-dir", "--style-dir"};
        for (int l = 0; l < 3; l++)
            if (eval_expand(cmd, names[l], dirs[l], 0, lists[l]) != CLI_OK) {
                rc = CLI_FAIL;
                goto done;
            }
    }
    int *ci = calloc((size_t)o.results.n, sizeof *ci), *si = calloc((size_t)o.results.n, sizeof *si);
    int n_ok = 0;
    if (!ci || !si) {
        free(ci);
        free(si);
        rc = CLI_FAIL;
        goto done;
    }
    for (int i = 0; i < o.results.n; i++) {
        if (match_result(cmd, &o, o.results.items[i], &ci[i], &si[i]) != CLI_OK) {
            ci[i] = -1;
            rc = CLI_FAIL;
        } else {
            n_ok++;
        }
    }
    char vgg[4096], dec[4096], sct[4096];
    ccpl_error err;
    if (n_ok == 0) goto free_idx;
    /* only the VGG is needed: resolve it alone by giving the others */
    o.mp.decoder = o.mp.sct = "-";
    if (cli_resolve_models(cmd, &o.mp, o.mode, vgg, dec, sct, sizeof vgg) != 0) {
        rc = CLI_FAIL;
        goto free_idx;
    }
    if (!(m = ccpl__encoder_load(vgg, o.mode, o.threads, &err))) {
        fprintf(stderr, "ccpl %s: %s\n", cmd, err.message);
        rc = CLI_FAIL;
        goto free_idx;
    }
    /* style features, once per style that some result uses */
    sf = calloc((size_t)o.styles.n, sizeof *sf);
    char *style_ok = calloc((size_t)o.styles.n + 1, 1);
    if (!sf || !style_ok) {
        free(style_ok);
        rc = CLI_FAIL;
        goto free_idx;
    }
    for (int s = 0; s < o.styles.n; s++) {
        int used = 0;
        for (int i = 0; i < o.results.n; i++) used |= ci[i] >= 0 && si[i] == s;
        ccpl__tensor x = {0};
        if (!used) continue;
        if (load_sized(cmd, o.styles.items[s], o.style_size, &x) == CLI_OK &&
            encode(cmd, m, o.styles.items[s], &x, &sf[s]) == CLI_OK) {
            style_ok[s] = 1;
            /* the style loss needs only each tap's mean and std: keeping the
               feature maps too cost ~200 MB per 512-pixel style */
            for (int t = 0; t < sf[s].n; t++) ccpl__tensor_free(&sf[s].taps[t]);
        } else
            rc = CLI_FAIL;
        ccpl__tensor_free(&x);
    }
    printf("%-36s %-24s %-24s %-13s %-13s %-8s %-9s\n", "result", "content", "style", "content_loss",
           "style_loss", "SSIM", "flat_tex");
    img_result sum = {0, 0, 0, 0};
    int n = 0, n_flat = 0;
    for (int i = 0; i < o.results.n; i++) {
        if (ci[i] < 0 || !style_ok[si[i]]) continue;
        img_result r = {0, 0, 0, 0};
        if (measure_image(cmd, m, &o, o.results.items[i], o.contents.items[ci[i]], &sf[si[i]], &r) != CLI_OK) {
            rc = CLI_FAIL;
            continue;
        }
        printf("%-36s %-24s %-24s %-13.6e %-13.6e %-8.6f %-9.4f\n", cli_basename(o.results.items[i]),
               cli_basename(o.contents.items[ci[i]]), cli_basename(o.styles.items[si[i]]),
               r.content, r.style, r.ssim, r.flat_texture);
        if (!isnan(r.flat_texture)) {
            sum.flat_texture += r.flat_texture;
            n_flat++;
        }
        sum.content += r.content;
        sum.style += r.style;
        sum.ssim += r.ssim;
        n++;
    }
    if (n)
        printf("mean over %d of %d results: content loss %.6e, style loss %.6e, SSIM %.6f, "
               "flat texture %.4f (over %d with flat regions)\n",
               n, o.results.n, sum.content / n, sum.style / n, sum.ssim / n,
               n_flat ? sum.flat_texture / n_flat : NAN, n_flat);
    else
        printf("mean over 0 of %d results: nothing measured\n", o.results.n);
    free(style_ok);
free_idx:
    free(ci);
    free(si);
done:
    if (sf)
        for (int s = 0; s < o.styles.n; s++) feats_free(&sf[s]);
    free(sf);
    ccpl_model_free(m);
    strlist_free(&o.results);
    strlist_free(&o.contents);
    strlist_free(&o.styles);
    strlist_free(&o.result_dirs);
    strlist_free(&o.content_dirs);
    strlist_free(&o.style_dirs);
    strlist_free(&o.mp.dirs);
    return rc;
}

