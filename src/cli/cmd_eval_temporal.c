/* ccpl eval temporal — warping error of a stylized clip under optical flow
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
    if (cli_load_image(cmd, path, eval_max_pixels, &img) != CLI_OK) return CLI_FAIL;
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
    ccpl__tensor f0 = {0}, f1 = {0}, warped = {0};
    ccpl__flow flow = {0};
    unsigned char *keep = NULL;
    ccpl_error err;
    int rc = CLI_FAIL;
    const char *a = frames[p->t0].path, *b = frames[p->t1].path;
    if (ccpl__flo_load(p->flow, &flow, &err) != CCPL_OK) {
        fprintf(stderr, "ccpl %s: %s\n", cmd, err.message);
        goto done;
    }
    if (eval_load_chw(cmd, a, &f0) != CLI_OK || eval_load_chw(cmd, b, &f1) != CLI_OK) goto done;
    const char *bad = f0.w != flow.w || f0.h != flow.h ? a : f1.w != flow.w || f1.h != flow.h ? b : NULL;
    if (bad) {
        const ccpl__tensor *fb = bad == a ? &f0 : &f1;
        fprintf(stderr, "ccpl %s: %s: frame is %dx%d but its flow %s is %dx%d (stylize at the flow's size, e.g. --content-size 0)\n",
                cmd, bad, fb->w, fb->h, p->flow, flow.w, flow.h);
        goto done;
    }
    const size_t HW = (size_t)flow.w * flow.h;
    keep = malloc(HW);
    if (!keep || ccpl__tensor_alloc(&warped, 1, 3, flow.h, flow.w, &err) != CCPL_OK) {
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
    ccpl__tensor_free(&f0);
    ccpl__tensor_free(&f1);
    ccpl__tensor_free(&warped);
    free(keep);
    return rc;
}

int eval_temporal(int argc, char **argv) {
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
    eval_max_pixels = CLI_DEFAULT_MAX_PIXELS;
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
            if (cli_parse_max_pixels(cmd, optarg, &eval_max_pixels) != CLI_OK) {
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
        if (eval_expand(cmd, T_OPT[l], &given[l], l == T_FLOW || l == T_LFLOW, &files[l]) != CLI_OK) {
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

