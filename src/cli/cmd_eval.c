/* ccpl eval — quality and stability metrics (formulas: docs/METRICS.md).
 *
 *   ccpl eval temporal: warping error of a stylized clip under optical flow
 *   ccpl eval image:    content loss, style loss and SSIM of stylized images */
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

static const char *const HELP =
    "Usage: ccpl eval temporal --frames DIR|FILE... --flow DIR|FILE... [OPTION]...\n"
    "       ccpl eval image --result FILE --content FILE --style FILE [OPTION]...\n"
    "       ccpl eval image --result-dir DIR --content-dir DIR --style-dir DIR [OPTION]...\n"
    "Measure stylized frames and images (formulas, masks and units: docs/METRICS.md).\n"
    "\n"
    "'ccpl eval temporal --help' and 'ccpl eval image --help' list the options.\n";

static const char *const HELP_TEMPORAL =
    "Usage: ccpl eval temporal --frames DIR|FILE... --flow DIR|FILE... [OPTION]...\n"
    "Temporal (warping) error of a clip: each frame t+k is warped back to frame t\n"
    "with the optical flow t->t+k, and the squared RGB difference (values in [0,1])\n"
    "is averaged over the pixels that are not occluded, not invalid and whose flow\n"
    "stays inside the image. Per pair: MSE and RMS = sqrt(MSE); per term (short,\n"
    "long): the mean of the pairs' MSE and its square root.\n"
    "\n"
    "Each option takes one or more values (--frames a.png b.png c.png) and may be\n"
    "repeated; a folder stands for the images (or .flo files) directly inside it.\n"
    "Files are matched by the last number in their names (frame_0002.png,\n"
    "frame_0002.flo, occlusions_frame_0002.png; in names CONTENT_stylized_STYLE\n"
    "from ccpl stylize, the last number of CONTENT): the flow numbered N goes from\n"
    "frame N to the next frame in number order (short-term), or to the frame K\n"
    "places later (--long-flow). Frames without any number are numbered 1, 2, ...\n"
    "in the order given; flows or masks without numbers are taken in order.\n"
    "\n"
    "  --frames DIR|FILE...         the stylized (or original) frames, PNG or JPEG\n"
    "  --flow DIR|FILE...           Middlebury .flo flows frame N -> next frame\n"
    "  --occlusion DIR|FILE...      masks of the short-term flows: white (>= 128)\n"
    "                               marks occluded pixels, left out\n"
    "  --invalid DIR|FILE...        masks of pixels whose flow is invalid, left out\n"
    "  --long K                     also the long-term error of frames K apart\n"
    "  --long-flow DIR|FILE...      flows frame N -> frame K places later\n"
    "  --long-occlusion DIR|FILE... occlusion masks of the long-term flows\n"
    "  --long-invalid DIR|FILE...   invalid masks of the long-term flows\n"
    "  --max-pixels N               refuse frames and masks of more than N pixels,\n"
    "                               before decoding them: 1..268435456, default\n"
    "                               100000000 (~300 MB as RGB, ~1.2 GB as floats)\n"
    "  -h, --help                   this help\n"
    "\n"
    "Frames, flows and masks of one pair must have the same size.\n"
    "Example (MPI Sintel, files as in shared/data/video/sintel_flow):\n"
    "  ccpl eval temporal --frames clean_easy_frame_000[1-4].png \\\n"
    "      --flow clean_easy_gt_frame_0002.flo \\\n"
    "      --occlusion clean_easy_gt_occlusions_frame_0002.png \\\n"
    "      --invalid clean_easy_gt_invalid_frame_0002.png\n"
    "\n"
    "Exit status: 0 every pair measured, 1 a file could not be read or does not\n"
    "fit (one line naming it; the other pairs are still measured), 2 bad usage.\n";

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
    "window, sigma 1.5 (higher is closer to the content, 1 = identical).\n"
    "\n"
    "Exit status: 0 every result measured, 1 a file or model could not be read or\n"
    "does not fit (one line naming it; the others are still measured), 2 bad usage.\n";

/* ---- shared helpers ------------------------------------------------------ */

/* --max-pixels of the running subcommand (set by its option parsing). */
static long long g_max_pixels = CLI_DEFAULT_MAX_PIXELS;

/* The last run of decimal digits in the file's stem, or -1 (none, or > 1e9).
 * In CONTENT_stylized_STYLE (ccpl stylize's names) only CONTENT counts. */
static long name_number(const char *path) {
    char stem[1024];
    cli_stem(path, stem, sizeof stem);
    char *tag = strstr(stem, "_stylized_");
    if (tag) *tag = '\0';
    long n = -1;
    for (size_t i = 0; stem[i];) {
        if (!isdigit((unsigned char)stem[i])) {
            i++;
            continue;
        }
        size_t j = i;
        long v = 0;
        while (isdigit((unsigned char)stem[j])) {
            if (v <= 1000000000L) v = v * 10 + (stem[j] - '0');
            j++;
        }
        n = v > 1000000000L ? -1 : v;
        i = j;
    }
    return n;
}

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
static int expand(const char *cmd, const char *opt, const strlist *in, int flo, strlist *out) {
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
static int image_to_act(const char *cmd, const char *path, ccpl_image *img, ccpl__act *a) {
    ccpl_error err;
    if (ccpl__act_alloc(a, 3, img->height, img->width, &err) != CCPL_OK) {
        fprintf(stderr, "ccpl %s: %s: %s\n", cmd, path, err.message);
        ccpl_image_free(img);
        return CLI_FAIL;
    }
    ccpl__image_to_chw(img, a->data);
    ccpl_image_free(img);
    return CLI_OK;
}

static int load_chw(const char *cmd, const char *path, ccpl__act *a) {
    ccpl_image img = {0};
    memset(a, 0, sizeof *a);
    if (cli_load_image(cmd, path, g_max_pixels, &img) != CLI_OK) return CLI_FAIL;
    return image_to_act(cmd, path, &img, a);
}

/* ---- eval temporal ------------------------------------------------------- */

enum { T_FRAMES, T_FLOW, T_OCC, T_INV, T_LFLOW, T_LOCC, T_LINV, T_NLISTS };
static const char *const T_OPT[T_NLISTS] = {"--frames", "--flow", "--occlusion", "--invalid",
                                            "--long-flow", "--long-occlusion", "--long-invalid"};

typedef struct numbered {
    const char *path;
    long num;
} numbered;

static int cmp_numbered(const void *a, const void *b) {
    const numbered *x = (const numbered *)a, *y = (const numbered *)b;
    return (x->num > y->num) - (x->num < y->num);
}

/* Numbers of the files of l (by name; all unnumbered: 1, 2, ... in order).
 * A mix, or a number used twice, is an error naming the file. */
static int number_files(const char *cmd, const char *opt, const strlist *l, numbered *out,
                        int *positional) {
    int with = 0;
    if (positional) *positional = 0;
    for (int i = 0; i < l->n; i++) {
        out[i].path = l->items[i];
        out[i].num = name_number(l->items[i]);
        with += out[i].num >= 0;
    }
    if (with == 0) {
        for (int i = 0; i < l->n; i++) out[i].num = i + 1;
        if (positional) *positional = 1;
        return CLI_OK;
    }
    for (int i = 0; i < l->n; i++) {
        if (out[i].num < 0) {
            fprintf(stderr, "ccpl %s: %s: no number in the name (files of %s are matched by the last number in their names)\n",
                    cmd, out[i].path, opt);
            return CLI_FAIL;
        }
        for (int j = 0; j < i; j++)
            if (out[j].num == out[i].num) {
                fprintf(stderr, "ccpl %s: %s: number %ld is also that of %s (%s)\n", cmd,
                        out[i].path, out[i].num, out[j].path, opt);
                return CLI_FAIL;
            }
    }
    qsort(out, (size_t)l->n, sizeof *out, cmp_numbered);
    return CLI_OK;
}

typedef struct pair {
    int t0, t1;                 /* frame indices (sorted order) */
    const char *flow, *occ, *inv; /* occ, inv: NULL when not given */
} pair;

/* Builds the pairs of one term from its flows and masks; step 1 (short) or K. */
static int make_pairs(const char *cmd, const numbered *frames, int nf, const strlist *flows,
                      const strlist *occ, const strlist *inv, const char *const *opts, int step,
                      pair *out, int *np) {
    numbered *fl = calloc((size_t)flows->n + 1, sizeof *fl);
    numbered *mk[2] = {calloc((size_t)occ->n + 1, sizeof(numbered)),
                       calloc((size_t)inv->n + 1, sizeof(numbered))};
    const strlist *ml[2] = {occ, inv};
    int rc = CLI_FAIL;
    *np = 0;
    if (!fl || !mk[0] || !mk[1]) goto done;
    int pos;
    if (number_files(cmd, opts[0], flows, fl, &pos) != CLI_OK) goto done;
    if (pos) { /* unnumbered flows: the i-th starts at the i-th frame */
        if (flows->n > nf) {
            fprintf(stderr, "ccpl %s: %s: %d unnumbered flows for %d frames\n", cmd,
                    fl[nf].path, flows->n, nf);
            goto done;
        }
        for (int j = 0; j < flows->n; j++) fl[j].num = frames[j].num;
    }
    for (int m = 0; m < 2; m++) {
        if (!ml[m]->n) continue;
        if (number_files(cmd, opts[m + 1], ml[m], mk[m], &pos) != CLI_OK) goto done;
        if (!pos) continue;
        if (ml[m]->n != flows->n) { /* unnumbered masks: the i-th is the i-th flow's */
            fprintf(stderr, "ccpl %s: %s: %d unnumbered %s masks for %d flows\n", cmd,
                    mk[m][0].path, ml[m]->n, opts[m + 1], flows->n);
            goto done;
        }
        for (int i = 0; i < ml[m]->n; i++) mk[m][i].num = fl[i].num;
    }
    for (int m = 0; m < 2; m++)
        if (ml[m]->n) {
            /* every mask must belong to a flow (and every flow needs its mask: below) */
            for (int i = 0; i < ml[m]->n; i++) {
                int found = 0;
                for (int j = 0; j < flows->n; j++) found |= fl[j].num == mk[m][i].num;
                if (!found) {
                    fprintf(stderr, "ccpl %s: %s: no flow numbered %ld for this %s mask\n", cmd,
                            mk[m][i].path, mk[m][i].num, opts[m + 1]);
                    goto done;
                }
            }
        }
    for (int j = 0; j < flows->n; j++) {
        int t0 = -1;
        for (int i = 0; i < nf; i++)
            if (frames[i].num == fl[j].num) t0 = i;
        if (t0 < 0) {
            fprintf(stderr, "ccpl %s: %s: flow of frame %ld, but no frame has that number among --frames\n",
                    cmd, fl[j].path, fl[j].num);
            goto done;
        }
        if (t0 + step >= nf) {
            fprintf(stderr, "ccpl %s: %s: flow of frame %ld, but there is no frame %d place%s after it among --frames\n",
                    cmd, fl[j].path, fl[j].num, step, step == 1 ? "" : "s");
            goto done;
        }
        pair *p = &out[(*np)++];
        p->t0 = t0;
        p->t1 = t0 + step;
        p->flow = fl[j].path;
        p->occ = p->inv = NULL;
        for (int m = 0; m < 2; m++) {
            if (!ml[m]->n) continue;
            const char *hit = NULL;
            for (int i = 0; i < ml[m]->n; i++)
                if (mk[m][i].num == fl[j].num) hit = mk[m][i].path;
            if (!hit) {
                fprintf(stderr, "ccpl %s: %s: no %s mask numbered %ld for this flow\n", cmd,
                        fl[j].path, opts[m + 1], fl[j].num);
                goto done;
            }
            if (m == 0) p->occ = hit;
            else p->inv = hit;
        }
    }
    rc = CLI_OK;
done:
    if (rc != CLI_OK) *np = 0;
    free(fl);
    free(mk[0]);
    free(mk[1]);
    return rc;
}

/* Clears keep[p] where the mask image is white (any channel >= 128). */
static int apply_mask(const char *cmd, const char *path, int W, int H, unsigned char *keep) {
    ccpl_image img = {0};
    if (cli_load_image(cmd, path, g_max_pixels, &img) != CLI_OK) return CLI_FAIL;
    if (img.width != W || img.height != H) {
        fprintf(stderr, "ccpl %s: %s: mask is %dx%d but its flow is %dx%d\n", cmd, path,
                img.width, img.height, W, H);
        ccpl_image_free(&img);
        return CLI_FAIL;
    }
    for (size_t p = 0; p < (size_t)W * H; p++) {
        const unsigned char *px = img.data + 3 * p;
        if (px[0] >= 128 || px[1] >= 128 || px[2] >= 128) keep[p] = 0;
    }
    ccpl_image_free(&img);
    return CLI_OK;
}

/* Measures one pair: *mse and the share of pixels kept. */
static int measure_pair(const char *cmd, const numbered *frames, const pair *p, double *mse,
                        double *kept) {
    ccpl__act f0 = {0}, f1 = {0}, warped = {0};
    ccpl__flow flow = {0};
    unsigned char *keep = NULL;
    ccpl_error err;
    int rc = CLI_FAIL;
    const char *a = frames[p->t0].path, *b = frames[p->t1].path;
    if (ccpl__flo_load(p->flow, &flow, &err) != CCPL_OK) {
        fprintf(stderr, "ccpl %s: %s\n", cmd, err.message);
        goto done;
    }
    if (load_chw(cmd, a, &f0) != CLI_OK || load_chw(cmd, b, &f1) != CLI_OK) goto done;
    const char *bad = f0.w != flow.w || f0.h != flow.h ? a : f1.w != flow.w || f1.h != flow.h ? b : NULL;
    if (bad) {
        const ccpl__act *fb = bad == a ? &f0 : &f1;
        fprintf(stderr, "ccpl %s: %s: frame is %dx%d but its flow %s is %dx%d (stylize at the flow's size, e.g. --content-size 0)\n",
                cmd, bad, fb->w, fb->h, p->flow, flow.w, flow.h);
        goto done;
    }
    const size_t HW = (size_t)flow.w * flow.h;
    keep = malloc(HW);
    if (!keep || ccpl__act_alloc(&warped, 3, flow.h, flow.w, &err) != CCPL_OK) {
        fprintf(stderr, "ccpl %s: %s: out of memory\n", cmd, p->flow);
        goto done;
    }
    ccpl__warp_backward(warped.data, keep, f1.data, flow.uv, 3, flow.h, flow.w);
    if (p->occ && apply_mask(cmd, p->occ, flow.w, flow.h, keep) != CLI_OK) goto done;
    if (p->inv && apply_mask(cmd, p->inv, flow.w, flow.h, keep) != CLI_OK) goto done;
    long long n = 0;
    *mse = ccpl__masked_mse(f0.data, warped.data, keep, 3, (int)HW, &n);
    *kept = (double)n / (double)HW;
    if (n == 0) {
        fprintf(stderr, "ccpl %s: %s: no pixel left to measure (all occluded, invalid or flowing out of the image)\n",
                cmd, p->flow);
        goto done;
    }
    rc = CLI_OK;
done:
    ccpl__flow_free(&flow);
    ccpl__act_free(&f0);
    ccpl__act_free(&f1);
    ccpl__act_free(&warped);
    free(keep);
    return rc;
}

static int eval_temporal(int argc, char **argv) {
    static const struct option longopts[] = {
        {"frames", required_argument, 0, 256 + T_FRAMES},
        {"flow", required_argument, 0, 256 + T_FLOW},
        {"occlusion", required_argument, 0, 256 + T_OCC},
        {"invalid", required_argument, 0, 256 + T_INV},
        {"long-flow", required_argument, 0, 256 + T_LFLOW},
        {"long-occlusion", required_argument, 0, 256 + T_LOCC},
        {"long-invalid", required_argument, 0, 256 + T_LINV},
        {"long", required_argument, 0, 'k'},
        {"max-pixels", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = "eval temporal";
    g_max_pixels = CLI_DEFAULT_MAX_PIXELS;
    strlist given[T_NLISTS], files[T_NLISTS];
    memset(given, 0, sizeof given);
    memset(files, 0, sizeof files);
    numbered *frames = NULL;
    pair *pairs = NULL;
    int cur = -1, K = 0, rc = CLI_OK, c;
    optind = 1;
    opterr = 0;
    /* '-': values after a list option's first one come back as code 1 */
    while ((c = getopt_long(argc, argv, "-:h", longopts, NULL)) != -1) {
        if (c >= 256 && c < 256 + T_NLISTS) {
            cur = c - 256;
            strlist_push(&given[cur], optarg);
        } else if (c == 1) {
            if (cur < 0) {
                rc = cli_usage_error(cmd, "unexpected argument '%s' (inputs are given with --frames and --flow)", optarg);
                goto done;
            }
            strlist_push(&given[cur], optarg);
        } else if (c == 'k') {
            cur = -1;
            if (cli_parse_int(optarg, 1, 100000, &K)) {
                rc = cli_usage_error(cmd, "--long must be an integer in 1..100000, not '%s'", optarg);
                goto done;
            }
        } else if (c == 'p') {
            cur = -1;
            if (cli_parse_max_pixels(cmd, optarg, &g_max_pixels) != CLI_OK) {
                rc = CLI_USAGE;
                goto done;
            }
        } else if (c == 'h') {
            fputs(HELP_TEMPORAL, stdout);
            goto done;
        } else if (c == ':') {
            rc = cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
            goto done;
        } else {
            rc = cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            goto done;
        }
    }
    if (!given[T_FRAMES].n) {
        rc = cli_usage_error(cmd, "no frames (--frames DIR or --frames FILE...)");
        goto done;
    }
    if (!given[T_FLOW].n && !given[T_LFLOW].n) {
        rc = cli_usage_error(cmd, "no flow (--flow DIR|FILE..., or --long K with --long-flow)");
        goto done;
    }
    if ((given[T_OCC].n || given[T_INV].n) && !given[T_FLOW].n) {
        rc = cli_usage_error(cmd, "--occlusion and --invalid belong to --flow, which is missing");
        goto done;
    }
    if (!K != !given[T_LFLOW].n) {
        rc = cli_usage_error(cmd, K ? "--long needs --long-flow" : "--long-flow needs --long K");
        goto done;
    }
    if ((given[T_LOCC].n || given[T_LINV].n) && !given[T_LFLOW].n) {
        rc = cli_usage_error(cmd, "--long-occlusion and --long-invalid need --long-flow");
        goto done;
    }
    for (int l = 0; l < T_NLISTS; l++)
        if (expand(cmd, T_OPT[l], &given[l], l == T_FLOW || l == T_LFLOW, &files[l]) != CLI_OK) {
            rc = CLI_FAIL;
            goto done;
        }
    const int nf = files[T_FRAMES].n;
    frames = calloc((size_t)nf, sizeof *frames);
    pairs = calloc((size_t)files[T_FLOW].n + files[T_LFLOW].n + 1, sizeof *pairs);
    if (!frames || !pairs) {
        rc = CLI_FAIL;
        goto done;
    }
    if (number_files(cmd, "--frames", &files[T_FRAMES], frames, NULL) != CLI_OK) {
        rc = CLI_FAIL;
        goto done;
    }
    int ns = 0, nl = 0;
    if (make_pairs(cmd, frames, nf, &files[T_FLOW], &files[T_OCC], &files[T_INV], T_OPT + T_FLOW,
                   1, pairs, &ns) != CLI_OK ||
        make_pairs(cmd, frames, nf, &files[T_LFLOW], &files[T_LOCC], &files[T_LINV],
                   T_OPT + T_LFLOW, K, pairs + ns, &nl) != CLI_OK) {
        rc = CLI_FAIL;
        goto done;
    }

    printf("%-5s %-15s %-36s %8s  %-12s %s\n", "term", "frames", "flow", "kept", "MSE", "RMS");
    double sum[2] = {0, 0};
    int cnt[2] = {0, 0};
    for (int i = 0; i < ns + nl; i++) {
        const pair *p = &pairs[i];
        const int term = i >= ns;
        char fr[64];
        snprintf(fr, sizeof fr, "%ld -> %ld", frames[p->t0].num, frames[p->t1].num);
        double mse = 0, kept = 0;
        if (measure_pair(cmd, frames, p, &mse, &kept) != CLI_OK) {
            rc = CLI_FAIL;
            continue;
        }
        printf("%-5s %-15s %-36s %7.2f%%  %-12.6e %.6e\n", term ? "long" : "short", fr,
               cli_basename(p->flow), 100.0 * kept, mse, sqrt(mse));
        sum[term] += mse;
        cnt[term]++;
    }
    printf("temporal error, RGB in [0,1]:");
    if (given[T_FLOW].n) {
        const double m = cnt[0] ? sum[0] / cnt[0] : NAN;
        printf(" short-term MSE %.6e RMS %.6e (%d of %d pairs)", m, sqrt(m), cnt[0], ns);
    }
    if (K) {
        const double m = cnt[1] ? sum[1] / cnt[1] : NAN;
        printf("%s long-term (k=%d) MSE %.6e RMS %.6e (%d of %d pairs)", given[T_FLOW].n ? ";" : "",
               K, m, sqrt(m), cnt[1], nl);
    }
    printf("\n");
done:
    for (int l = 0; l < T_NLISTS; l++) {
        strlist_free(&given[l]);
        strlist_free(&files[l]);
    }
    free(frames);
    free(pairs);
    return rc;
}

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
    ccpl__act taps[N_TAPS];
    float *mean[N_TAPS], *std[N_TAPS];
} feats;

static void feats_free(feats *f) {
    for (int i = 0; i < N_TAPS; i++) {
        ccpl__act_free(&f->taps[i]);
        free(f->mean[i]);
        free(f->std[i]);
    }
    memset(f, 0, sizeof *f);
}

static int encode(const char *cmd, ccpl_model *m, const char *path, const ccpl__act *x, feats *f) {
    ccpl__act last = {0};
    memset(f, 0, sizeof *f);
    f->n = ccpl_model_mode(m) == CCPL_MODE_ART ? 4 : 3;
    if (ccpl__encode(m, x, &last, f->taps) != CCPL_OK) {
        fprintf(stderr, "ccpl %s: %s: %s\n", cmd, path, ccpl_model_error(m));
        return CLI_FAIL;
    }
    ccpl__act_free(&last);
    for (int i = 0; i < f->n; i++) {
        const ccpl__act *t = &f->taps[i];
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
static int load_sized(const char *cmd, const char *path, int size, ccpl__act *a) {
    ccpl_image raw = {0}, img = {0};
    memset(a, 0, sizeof *a);
    if (cli_load_image(cmd, path, g_max_pixels, &raw) != CLI_OK) return CLI_FAIL;
    int rc = cli_resize_image(cmd, path, &raw, size, 0, g_max_pixels, &img);
    ccpl_image_free(&raw);
    if (rc != CLI_OK) return CLI_FAIL;
    return image_to_act(cmd, path, &img, a);
}

typedef struct img_result {
    double content, style, ssim;
} img_result;

static int measure_image(const char *cmd, ccpl_model *m, const img_opts *o, const char *rpath,
                         const char *cpath, feats *sf, img_result *res) {
    ccpl__act r = {0}, c = {0};
    feats rf, cf;
    memset(&rf, 0, sizeof rf);
    memset(&cf, 0, sizeof cf);
    double *scratch = NULL;
    int rc = CLI_FAIL;
    if (load_chw(cmd, rpath, &r) != CLI_OK || load_chw(cmd, cpath, &c) != CLI_OK) goto done;
    if (c.w != r.w || c.h != r.h) {
        /* the content as stylize resized it: shorter side to the result's */
        ccpl__act_free(&c);
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
    const ccpl__act *a = &rf.taps[rf.n - 1], *b = &cf.taps[cf.n - 1];
    res->content = ccpl__mse(a->data, b->data, (size_t)a->c * a->h * a->w);
    res->style = 0;
    for (int i = 0; i < rf.n; i++)
        res->style += ccpl__style_term(rf.mean[i], rf.std[i], sf->mean[i], sf->std[i], rf.taps[i].c);
    scratch = malloc(sizeof(double) * ccpl__ssim_scratch(r.h, r.w));
    if (!scratch) {
        fprintf(stderr, "ccpl %s: %s: out of memory\n", cmd, rpath);
        goto done;
    }
    res->ssim = ccpl__ssim(r.data, c.data, r.h, r.w, scratch);
    rc = CLI_OK;
done:
    (void)o;
    free(scratch);
    feats_free(&rf);
    feats_free(&cf);
    ccpl__act_free(&r);
    ccpl__act_free(&c);
    return rc;
}

static int eval_image(int argc, char **argv) {
    enum { O_RESULT_DIR = 256, O_CONTENT_DIR, O_STYLE_DIR, O_VGG, O_MODELS, O_STYLE_SIZE, O_MAX_PIXELS };
    static const struct option longopts[] = {
        {"result", required_argument, 0, 'r'},
        {"result-dir", required_argument, 0, O_RESULT_DIR},
        {"content", required_argument, 0, 'c'},
        {"content-dir", required_argument, 0, O_CONTENT_DIR},
        {"style", required_argument, 0, 's'},
        {"style-dir", required_argument, 0, O_STYLE_DIR},
        {"style-size", required_argument, 0, O_STYLE_SIZE},
        {"vgg", required_argument, 0, O_VGG},
        {"models", required_argument, 0, O_MODELS},
        {"threads", required_argument, 0, 't'},
        {"mode", required_argument, 0, 'm'},
        {"max-pixels", required_argument, 0, O_MAX_PIXELS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = "eval image";
    g_max_pixels = CLI_DEFAULT_MAX_PIXELS;
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
        case O_VGG: o.mp.vgg = optarg; break;
        case 'm':
            if (!strcmp(optarg, "art")) o.mode = CCPL_MODE_ART;
            else if (!strcmp(optarg, "photo")) o.mode = CCPL_MODE_PHOTO;
            else {
                rc = cli_usage_error(cmd, "--mode must be art or photo, not '%s'", optarg);
                goto done;
            }
            break;
        case O_MODELS: strlist_push(&o.mp.dirs, optarg); break;
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
        case O_MAX_PIXELS:
            if (cli_parse_max_pixels(cmd, optarg, &g_max_pixels) != CLI_OK) {
                rc = CLI_USAGE;
                goto done;
            }
            break;
        case 'h': fputs(HELP_IMAGE, stdout); goto done;
        case ':': rc = cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]); goto done;
        default: rc = cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]); goto done;
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
            if (expand(cmd, names[l], dirs[l], 0, lists[l]) != CLI_OK) {
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
        ccpl__act x = {0};
        if (!used) continue;
        if (load_sized(cmd, o.styles.items[s], o.style_size, &x) == CLI_OK &&
            encode(cmd, m, o.styles.items[s], &x, &sf[s]) == CLI_OK) {
            style_ok[s] = 1;
            /* the style loss needs only each tap's mean and std: keeping the
               feature maps too cost ~200 MB per 512-pixel style */
            for (int t = 0; t < sf[s].n; t++) ccpl__act_free(&sf[s].taps[t]);
        } else
            rc = CLI_FAIL;
        ccpl__act_free(&x);
    }
    printf("%-36s %-24s %-24s %-13s %-13s %-8s\n", "result", "content", "style", "content_loss",
           "style_loss", "SSIM");
    img_result sum = {0, 0, 0};
    int n = 0;
    for (int i = 0; i < o.results.n; i++) {
        if (ci[i] < 0 || !style_ok[si[i]]) continue;
        img_result r = {0, 0, 0};
        if (measure_image(cmd, m, &o, o.results.items[i], o.contents.items[ci[i]], &sf[si[i]], &r) != CLI_OK) {
            rc = CLI_FAIL;
            continue;
        }
        printf("%-36s %-24s %-24s %-13.6e %-13.6e %-8.6f\n", cli_basename(o.results.items[i]),
               cli_basename(o.contents.items[ci[i]]), cli_basename(o.styles.items[si[i]]),
               r.content, r.style, r.ssim);
        sum.content += r.content;
        sum.style += r.style;
        sum.ssim += r.ssim;
        n++;
    }
    if (n)
        printf("mean over %d of %d results: content loss %.6e, style loss %.6e, SSIM %.6f\n", n,
               o.results.n, sum.content / n, sum.style / n, sum.ssim / n);
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

int cmd_eval(int argc, char **argv) {
    if (argc < 2) {
        fputs(HELP, stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "temporal")) return eval_temporal(argc - 1, argv + 1);
    if (!strcmp(sub, "image")) return eval_image(argc - 1, argv + 1);
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(HELP, stdout);
        return CLI_OK;
    }
    return cli_usage_error("eval", "unknown subcommand '%s' (temporal or image)", sub);
}
