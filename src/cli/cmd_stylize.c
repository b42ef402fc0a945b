/* ccpl stylize — restyle content images with style images. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/labels.h"

static const char *const HELP =
    "Usage: ccpl stylize [OPTION]... --content FILE --style FILE --output FILE\n"
    "       ccpl stylize [OPTION]... --content-dir DIR --style-dir DIR --output-dir DIR\n"
    "Restyle content images with style images (CCPL, artistic or photo-realistic).\n"
    "\n"
    "Inputs (PNG or JPEG, used as a viewer shows them: turned upright by their EXIF\n"
    "orientation, transparent pixels over --background; grey, palette and 16-bit\n"
    "images become 8-bit RGB):\n"
    "  -c, --content FILE        content image (repeatable)\n"
    "      --content-dir DIR     every .png/.jpg/.jpeg in DIR\n"
    "  -s, --style FILE          style image (repeatable)\n"
    "      --style-dir DIR       every .png/.jpg/.jpeg in DIR\n"
    CLI_BACKGROUND_HELP
    "\n"
    "Model:\n"
    "  -m, --mode art|photo      artistic (relu4_1) or photo-realistic (relu3_1); default art\n"
    "      --vgg FILE            normalised VGG-19 encoder checkpoint\n"
    "      --decoder FILE        decoder checkpoint of the mode\n"
    "      --sct FILE            SCT checkpoint of the mode\n"
    "      --models DIR          folder to search for the files not given (repeatable);\n"
    "                            then CCPL_MODELS (colon-separated folders), then the\n"
    "                            built-in models/ folder (CCPL_MODELS_BUILTIN replaces it;\n"
    "                            empty: none). Names looked for:\n"
    "                              vgg_normalised.pth (photo also vgg_normalised_conv3_1.pth),\n"
    "                              vgg_normalised_r41.pth (the shipped encoder),\n"
    "                              MODE/decoder.pth, MODE/decoder_iter_160000.pth.tar,\n"
    "                              decoder_MODE.pth, and the same three for sct\n"
    "\n"
    "Processing:\n"
    "      --content-size N      resize so the shorter side is N (default 512, 0 keeps)\n"
    "      --style-size N        the same for styles (default 512, 0 keeps)\n"
    "      --crop                then take the centre NxN square\n"
    "  -a, --alpha A             style strength in [0,1] (default 1): decodes\n"
    "                            A*SCT(content,style) + (1-A)*content features\n"
    "      --preserve-color      recolour each style to its content's colours first\n"
    "  -w, --style-weights LIST  mix all styles into one result with these weights\n"
    "                            (comma-separated, one per style, normalised to sum 1)\n"
    CLI_SMOOTH_HELP
    "      --full-output         keep the decoder's size (rounded up to a multiple of 8\n"
    "                            in art mode, 4 in photo mode) as the reference saves it;\n"
    "                            default: crop to the content's size\n"
    "  -t, --threads N           threads (default 0: all cores)\n"
    "      --engine fast|ref     fast: Winograd F(4x4,3x3) for the wide 3x3 layers\n"
    "                            (default); ref: im2col + sgemm everywhere, the plain\n"
    "                            reference path (same results up to float rounding)\n"
    CLI_MAX_PIXELS_HELP("images", "--content-size, --style-size")
    "\n"
    "Spatial control (one --content; docs/MASKS.md has the equations):\n"
    "      --mask FILE           content mask of the style given before it (one per\n"
    "                            --style, in order): grey, white = this style, any size\n"
    "                            whose aspect is within 5 % of the content's; soft\n"
    "                            values blend. All styles make one result,\n"
    "                            CONTENT_masked.EXT; where masks overlap they are\n"
    "                            normalised, where they cover less than 1 the content's\n"
    "                            own features fill in (--alpha still applies)\n"
    "      --content-labels FILE colour-coded label map of the content (photo mode's\n"
    "                            semantic regions): SCT statistics per label, the\n"
    "                            style's from the same label of its map\n"
    "      --style-labels FILE   label map of the style given before it (one per --style)\n"
    "                            Labels absent from the style, regions under 64 feature\n"
    "                            positions and unmatched pixels use the whole images'\n"
    "                            statistics\n"
    CLI_LABEL_HELP
    "  Bad masks or label maps: an aspect off by more than 5 %, more masks or label\n"
    "  maps than styles: exit 2; unreadable, or no pixel of a known colour: exit 1.\n"
    "\n"
    "Output (written to a temporary name, then renamed: never half-written):\n"
    "  -o, --output FILE         the result, when there is one (format from extension:\n"
    "                            .png, .jpg, .jpeg); checked before any work, and never\n"
    "                            one of the inputs (refused, exit 2)\n"
    "      --output-dir DIR      folder for results named CONTENT_stylized_STYLE.EXT,\n"
    "                            or CONTENT_interpolation.EXT with --style-weights\n"
    "                            (default: output)\n"
    "      --ext png|jpg         format of results in --output-dir (default png)\n"
    "      --jpeg-quality N      1..100 (default 95)\n"
    "  -n, --no-clobber          never replace an existing file: such a result is\n"
    "                            reported (\"FILE: exists\"), not computed, and counts\n"
    "                            as failed\n"
    "  -q, --quiet               no progress line\n"
    "  -h, --help                this help\n"
    "\n"
    "Exit status: 0 all results written, 1 a file or model could not be read or\n"
    "written (the others are still processed), 2 bad usage.\n";

enum {
    OPT_CONTENT_DIR = 256,
    OPT_STYLE_DIR,
    OPT_CONTENT_SIZE,
    OPT_STYLE_SIZE,
    OPT_CROP,
    OPT_PRESERVE,
    OPT_OUTPUT_DIR,
    OPT_EXT,
    OPT_JPEG_QUALITY,
    OPT_FULL_OUTPUT,
    OPT_SMOOTH,
    OPT_BACKGROUND,
    OPT_MASK,
    OPT_CONTENT_LABELS,
    OPT_STYLE_LABELS,
    OPT_LABEL_COLORS,
    OPT_LABEL_TOLERANCE
};

#define MAX_SIDE 16384

typedef struct opts {
    strlist contents, styles;
    model_paths mp;
    ccpl_mode mode;
    int content_size, style_size, crop;
    float alpha;
    int preserve;
    float *weights;
    int n_weights;
    int full_output;
    int smooth_radius; /* 0: no guided filter */
    float smooth_eps;
    int threads;
    ccpl_engine engine;
    const char *output, *output_dir, *ext;
    int jpeg_quality;
    int quiet;
    int no_clobber;
    long long max_pixels;
    /* spatial control: mask i / style label map i belong to style i */
    strlist masks, style_labels;
    const char *content_labels;
    cli_label_code code;
    int mix; /* one result per content mixing all styles (--style-weights or --mask) */
    ccpl_mask *mask_data;
    ccpl_labels content_lab, *style_lab;
} opts;

static int add_dir(const char *cmd, const char *dir, strlist *l) {
    if (!cli_is_dir(dir)) {
        fprintf(stderr, "ccpl %s: %s: not a folder\n", cmd, dir);
        return CLI_FAIL;
    }
    int before = l->n;
    if (cli_list_images(dir, l) != 0) {
        fprintf(stderr, "ccpl %s: %s: %s\n", cmd, dir, strerror(errno));
        return CLI_FAIL;
    }
    if (l->n == before) {
        fprintf(stderr, "ccpl %s: %s: no .png, .jpg or .jpeg files\n", cmd, dir);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int parse(int argc, char **argv, opts *o) {
    static const struct option longopts[] = {
        {"content", required_argument, 0, 'c'},
        {"content-dir", required_argument, 0, OPT_CONTENT_DIR},
        {"style", required_argument, 0, 's'},
        {"style-dir", required_argument, 0, OPT_STYLE_DIR},
        {"mode", required_argument, 0, 'm'},
        {"content-size", required_argument, 0, OPT_CONTENT_SIZE},
        {"style-size", required_argument, 0, OPT_STYLE_SIZE},
        {"crop", no_argument, 0, OPT_CROP},
        {"alpha", required_argument, 0, 'a'},
        {"preserve-color", no_argument, 0, OPT_PRESERVE},
        {"preserve-colour", no_argument, 0, OPT_PRESERVE},
        {"style-weights", required_argument, 0, 'w'},
        {"full-output", no_argument, 0, OPT_FULL_OUTPUT},
        {"smooth", required_argument, 0, OPT_SMOOTH},
        {"threads", required_argument, 0, 't'},
        {"output", required_argument, 0, 'o'},
        {"output-dir", required_argument, 0, OPT_OUTPUT_DIR},
        {"ext", required_argument, 0, OPT_EXT},
        {"jpeg-quality", required_argument, 0, OPT_JPEG_QUALITY},
        {"background", required_argument, 0, OPT_BACKGROUND},
        {"mask", required_argument, 0, OPT_MASK},
        {"content-labels", required_argument, 0, OPT_CONTENT_LABELS},
        {"style-labels", required_argument, 0, OPT_STYLE_LABELS},
        {"label-colors", required_argument, 0, OPT_LABEL_COLORS},
        {"label-colours", required_argument, 0, OPT_LABEL_COLORS},
        {"label-tolerance", required_argument, 0, OPT_LABEL_TOLERANCE},
        {"no-clobber", no_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},
        CLI_LONGOPT_FILES,
        CLI_LONGOPT_MODELS,
        CLI_LONGOPT_ENGINE,
        CLI_LONGOPT_MAX_PIXELS,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = "stylize";
    const char *content_dir = NULL, *style_dir = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:s:m:a:w:t:o:nqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': strlist_push(&o->contents, optarg); break;
        case 's': strlist_push(&o->styles, optarg); break;
        case OPT_CONTENT_DIR: content_dir = optarg; break;
        case OPT_STYLE_DIR: style_dir = optarg; break;
        case 'm':
            if (!strcmp(optarg, "art")) o->mode = CCPL_MODE_ART;
            else if (!strcmp(optarg, "photo")) o->mode = CCPL_MODE_PHOTO;
            else return cli_usage_error(cmd, "--mode must be art or photo, not '%s'", optarg);
            break;
        case OPT_CONTENT_SIZE:
            if (cli_parse_int(optarg, 0, MAX_SIDE, &o->content_size))
                return cli_usage_error(cmd, "--content-size must be an integer in 0..%d, not '%s'", MAX_SIDE, optarg);
            break;
        case OPT_STYLE_SIZE:
            if (cli_parse_int(optarg, 0, MAX_SIDE, &o->style_size))
                return cli_usage_error(cmd, "--style-size must be an integer in 0..%d, not '%s'", MAX_SIDE, optarg);
            break;
        case OPT_CROP: o->crop = 1; break;
        case 'a':
            if (cli_parse_float(optarg, 0.0, 1.0, &o->alpha))
                return cli_usage_error(cmd, "--alpha must be a number in [0,1], not '%s'", optarg);
            break;
        case OPT_PRESERVE: o->preserve = 1; break;
        case 'w':
            free(o->weights);
            o->n_weights = cli_parse_float_list(optarg, &o->weights);
            if (o->n_weights < 0) {
                o->weights = NULL;
                return cli_usage_error(cmd, "--style-weights must be comma-separated numbers >= 0, not '%s'", optarg);
            }
            break;
        case OPT_FULL_OUTPUT: o->full_output = 1; break;
        case OPT_SMOOTH:
            if (cli_parse_smooth(cmd, optarg, &o->smooth_radius, &o->smooth_eps) != CLI_OK) return CLI_USAGE;
            break;
        case 't':
            if (cli_parse_int(optarg, 0, 1024, &o->threads))
                return cli_usage_error(cmd, "--threads must be an integer in 0..1024, not '%s'", optarg);
            break;
        case 'o': o->output = optarg; break;
        case OPT_OUTPUT_DIR: o->output_dir = optarg; break;
        case OPT_EXT:
            if (strcmp(optarg, "png") && strcmp(optarg, "jpg"))
                return cli_usage_error(cmd, "--ext must be png or jpg, not '%s'", optarg);
            o->ext = optarg;
            break;
        case OPT_JPEG_QUALITY:
            if (cli_parse_int(optarg, 1, 100, &o->jpeg_quality))
                return cli_usage_error(cmd, "--jpeg-quality must be an integer in 1..100, not '%s'", optarg);
            break;
        case OPT_BACKGROUND:
            if (cli_set_background(cmd, optarg) != CLI_OK) return CLI_USAGE;
            break;
        case OPT_MASK:
            if (o->masks.n >= o->styles.n)
                return cli_usage_error(cmd, "--mask %s has no --style of its own before it (one --mask after each --style)", optarg);
            strlist_push(&o->masks, optarg);
            break;
        case OPT_CONTENT_LABELS: o->content_labels = optarg; break;
        case OPT_STYLE_LABELS:
            if (o->style_labels.n >= o->styles.n)
                return cli_usage_error(cmd, "--style-labels %s has no --style of its own before it (one after each --style)", optarg);
            strlist_push(&o->style_labels, optarg);
            break;
        case OPT_LABEL_COLORS:
            if (cli_parse_label_code(optarg, &o->code))
                return cli_usage_error(cmd, "--label-colors must be dpst or exact, not '%s'", optarg);
            break;
        case OPT_LABEL_TOLERANCE:
            if (cli_parse_int(optarg, 0, 255, &o->code.tolerance))
                return cli_usage_error(cmd, "--label-tolerance must be an integer in 0..255, not '%s'", optarg);
            break;
        case 'n': o->no_clobber = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': fputs(HELP, stdout); return -1;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default: {
            const int r = cli_model_option(cmd, c, optarg, &o->mp, &o->engine, &o->max_pixels);
            if (r < 0) return CLI_USAGE;
            if (r == 0) return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            break;
        }
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s' (inputs are given with --content and --style)", argv[optind]);
    if (o->smooth_radius && o->full_output)
        return cli_usage_error(cmd, "--smooth cannot be used with --full-output (the content, its guide, has the cropped size)");
    if (o->crop && (o->content_size == 0 || o->style_size == 0))
        return cli_usage_error(cmd, "--crop needs a non-zero --content-size and --style-size");
    if (content_dir && add_dir(cmd, content_dir, &o->contents) != CLI_OK) return CLI_FAIL;
    if (style_dir && add_dir(cmd, style_dir, &o->styles) != CLI_OK) return CLI_FAIL;
    if (o->contents.n == 0) return cli_usage_error(cmd, "no content image (--content FILE or --content-dir DIR)");
    if (o->styles.n == 0) return cli_usage_error(cmd, "no style image (--style FILE or --style-dir DIR)");
    if (o->weights && o->n_weights != o->styles.n)
        return cli_usage_error(cmd, "--style-weights has %d values for %d styles", o->n_weights, o->styles.n);
    if (o->weights) {
        double sum = 0;
        for (int i = 0; i < o->n_weights; i++) sum += o->weights[i];
        if (!(sum > 0)) return cli_usage_error(cmd, "--style-weights sum to zero");
    }
    if (o->masks.n && o->masks.n != o->styles.n)
        return cli_usage_error(cmd, "%d masks for %d styles: give one --mask after each --style", o->masks.n, o->styles.n);
    if (o->masks.n && o->weights)
        return cli_usage_error(cmd, "--mask and --style-weights do not combine (the masks weight the styles)");
    if (o->style_labels.n && !o->content_labels)
        return cli_usage_error(cmd, "--style-labels needs --content-labels");
    if (o->content_labels && o->style_labels.n != o->styles.n)
        return cli_usage_error(cmd, "--content-labels needs one --style-labels after each --style (%d for %d styles)",
                               o->style_labels.n, o->styles.n);
    if ((o->masks.n || o->content_labels) && o->contents.n != 1)
        return cli_usage_error(cmd, "--mask and --content-labels belong to one --content (%d given)", o->contents.n);
    if ((o->masks.n || o->content_labels) && o->crop)
        return cli_usage_error(cmd, "--crop would cut the masks and label maps off their image");
    o->mix = o->weights || o->masks.n;
    if (o->output && o->output_dir) return cli_usage_error(cmd, "give --output or --output-dir, not both");
    int results = o->contents.n * (o->mix ? 1 : o->styles.n);
    if (o->output && results != 1)
        return cli_usage_error(cmd, "--output names one file but there are %d results; use --output-dir", results);
    return CLI_OK;
}

/* A style image as loaded and resized, plus its encoding (NULL with --preserve-color). */
typedef struct style_item {
    const char *path;
    ccpl_image img;
    ccpl_style *style;
} style_item;

/* Loads path (refused over --max-pixels before decoding) and resizes it
 * (refused when the result would be over --max-pixels). */
static int load_resized(const opts *o, const char *path, int size, int crop, ccpl_image *out) {
    return cli_load_resized("stylize", path, size, crop, o->max_pixels, out);
}

/* Where the result of content with style (NULL: the mix) goes. */
static void output_path(const opts *o, const char *content, const char *style, char *path, size_t n) {
    char cstem[1024], sstem[1024];
    if (o->output) {
        snprintf(path, n, "%s", o->output);
    } else {
        cli_stem(content, cstem, sizeof cstem);
        if (style) {
            cli_stem(style, sstem, sizeof sstem);
            snprintf(path, n, "%s/%s_stylized_%s.%s", o->output_dir, cstem, sstem, o->ext);
        } else {
            snprintf(path, n, "%s/%s_%s.%s", o->output_dir, cstem, o->masks.n ? "masked" : "interpolation", o->ext);
        }
    }
}

/* With --no-clobber: 1 (reported) when the result's file exists already. */
static int skip_existing(const opts *o, const char *content, const char *style) {
    char path[4096];
    if (!o->no_clobber) return 0;
    output_path(o, content, style, path, sizeof path);
    return cli_output_exists("stylize", path);
}

/* CLI_USAGE (reported) when a result's file is one of the inputs: the
 * input would be replaced by a result. Only results whose file exists can
 * be; they are compared by device and inode with every input. */
static int refuse_inputs_as_outputs(const opts *o) {
    char path[4096];
    struct stat st;
    for (int c = 0; c < o->contents.n; c++)
        for (int s = 0; s < (o->mix ? 1 : o->styles.n); s++) {
            output_path(o, o->contents.items[c], o->mix ? NULL : o->styles.items[s], path, sizeof path);
            if (stat(path, &st) != 0) continue;
            const char *labels[1] = {o->content_labels};
            if (cli_refuse_input_as_output("stylize", path, (const char *const *)o->contents.items,
                                           o->contents.n) != CLI_OK ||
                cli_refuse_input_as_output("stylize", path, (const char *const *)o->styles.items,
                                           o->styles.n) != CLI_OK ||
                cli_refuse_input_as_output("stylize", path, (const char *const *)o->masks.items,
                                           o->masks.n) != CLI_OK ||
                cli_refuse_input_as_output("stylize", path, (const char *const *)o->style_labels.items,
                                           o->style_labels.n) != CLI_OK ||
                cli_refuse_input_as_output("stylize", path, labels, 1) != CLI_OK)
                return CLI_USAGE;
        }
    return CLI_OK;
}

/* CLI_USAGE (reported) when two inputs of a list share a name stem: in
 * --output-dir their results would have one name, and the second would
 * silently replace the first. */
static int refuse_same_stems(const opts *o, const strlist *l, const char *what) {
    char a[1024], b[1024], path[4096];
    for (int i = 0; i < l->n; i++) {
        cli_stem(l->items[i], a, sizeof a);
        for (int j = i + 1; j < l->n; j++) {
            cli_stem(l->items[j], b, sizeof b);
            if (strcmp(a, b)) continue;
            const int is_content = l == &o->contents;
            output_path(o, is_content ? l->items[i] : o->contents.items[0],
                        o->mix ? NULL : is_content ? o->styles.items[0] : l->items[i], path, sizeof path);
            fprintf(stderr, "ccpl stylize: the %ss %s and %s would both be written as %s; "
                            "rename one, or stylize them separately\n",
                    what, l->items[i], l->items[j], path);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

/* With --no-clobber: whether any result's file is still missing (silent). */
static int any_result_left(const opts *o) {
    char path[4096];
    struct stat st;
    for (int c = 0; c < o->contents.n; c++)
        for (int s = 0; s < (o->mix ? 1 : o->styles.n); s++) {
            output_path(o, o->contents.items[c], o->mix ? NULL : o->styles.items[s], path, sizeof path);
            if (lstat(path, &st) != 0) return 1;
        }
    return 0;
}

static int save(const opts *o, const char *content, const char *style, const ccpl_image *img) {
    char path[4096];
    output_path(o, content, style, path, sizeof path);
    return cli_save_image("stylize", path, img, o->jpeg_quality, o->no_clobber);
}

/* Reads the masks and label maps and checks each against its image's
 * aspect, before the model is loaded: unreadable files and label maps of
 * no known colour are CLI_FAIL, aspects off by more than 5 % CLI_USAGE. */
static int load_spatial(opts *o) {
    const char *cmd = "stylize";
    ccpl_image img = {0};
    int rc = CLI_OK;
    if (!o->masks.n && !o->content_labels) return CLI_OK;
    if (o->masks.n && !(o->mask_data = calloc((size_t)o->masks.n, sizeof *o->mask_data))) return CLI_FAIL;
    if (o->style_labels.n && !(o->style_lab = calloc((size_t)o->style_labels.n, sizeof *o->style_lab)))
        return CLI_FAIL;
    for (int i = 0; i < o->masks.n; i++)
        if (cli_load_mask(cmd, o->masks.items[i], o->max_pixels, &o->mask_data[i]) != CLI_OK) return CLI_FAIL;
    if (o->content_labels &&
        cli_load_labels(cmd, o->content_labels, &o->code, o->max_pixels, &o->content_lab) != CLI_OK)
        return CLI_FAIL;
    for (int i = 0; i < o->style_labels.n; i++)
        if (cli_load_labels(cmd, o->style_labels.items[i], &o->code, o->max_pixels, &o->style_lab[i]) != CLI_OK)
            return CLI_FAIL;
    /* aspects: against the content as loaded (before resizing, which keeps it) */
    const char *cpath = o->contents.items[0];
    if (cli_load_image(cmd, cpath, o->max_pixels, &img) != CLI_OK) return CLI_FAIL;
    for (int i = 0; rc == CLI_OK && i < o->masks.n; i++)
        rc = cli_check_aspect(cmd, o->masks.items[i], o->mask_data[i].width, o->mask_data[i].height, cpath,
                              img.width, img.height);
    if (rc == CLI_OK && o->content_labels)
        rc = cli_check_aspect(cmd, o->content_labels, o->content_lab.width, o->content_lab.height, cpath,
                              img.width, img.height);
    ccpl_image_free(&img);
    for (int i = 0; rc == CLI_OK && i < o->style_labels.n; i++) {
        if (cli_load_image(cmd, o->styles.items[i], o->max_pixels, &img) != CLI_OK) return CLI_FAIL;
        rc = cli_check_aspect(cmd, o->style_labels.items[i], o->style_lab[i].width, o->style_lab[i].height,
                              o->styles.items[i], img.width, img.height);
        ccpl_image_free(&img);
    }
    return rc;
}

static void free_spatial(opts *o) {
    if (o->mask_data)
        for (int i = 0; i < o->masks.n; i++) free((void *)o->mask_data[i].data);
    if (o->style_lab)
        for (int i = 0; i < o->style_labels.n; i++) free((void *)o->style_lab[i].data);
    free((void *)o->content_lab.data);
    free(o->mask_data);
    free(o->style_lab);
    strlist_free(&o->masks);
    strlist_free(&o->style_labels);
}

/* Stylizes one content with the styles (one result each, or one mixed). */
static int run_content(const opts *o, ccpl_model *m, const char *cpath, style_item *styles,
                       int n_styles, progress *pr) {
    ccpl_image content = {0}, out = {0};
    int rc = CLI_OK;
    /* --no-clobber: a result whose file exists is reported and skipped
     * before any work; with none left the content is not even read. */
    unsigned char *skip = calloc((size_t)n_styles, 1);
    if (!skip) return CLI_FAIL;
    int todo = 0;
    if (o->mix) {
        if (skip_existing(o, cpath, NULL)) rc = CLI_FAIL;
        else todo = 1;
    } else {
        for (int i = 0; i < n_styles; i++) {
            if (!styles[i].img.data) continue; /* failed to load: reported already */
            if (skip_existing(o, cpath, styles[i].path)) {
                skip[i] = 1;
                rc = CLI_FAIL;
            } else {
                todo++;
            }
        }
    }
    if (todo == 0 || load_resized(o, cpath, o->content_size, o->crop, &content) != CLI_OK) {
        pr->done += o->mix ? 1 : n_styles;
        free(skip);
        return todo == 0 ? rc : CLI_FAIL;
    }
    ccpl_style **enc = calloc((size_t)n_styles, sizeof *enc);
    ccpl_stylize_params sp = ccpl_default_stylize_params();
    sp.alpha = o->alpha;
    sp.full_output = o->full_output;
    if (o->smooth_radius) {
        sp.guided_radius = o->smooth_radius;
        sp.guided_eps = o->smooth_eps;
    }
    if (!enc) {
        ccpl_image_free(&content);
        free(skip);
        return CLI_FAIL;
    }
    for (int i = 0; i < n_styles; i++) {
        if (!styles[i].img.data || skip[i]) continue; /* failed to load (reported), or skipped */
        enc[i] = styles[i].style;
        if (o->preserve && !(enc[i] = ccpl_style_new_labels(m, &styles[i].img, &content,
                                                            o->style_lab ? &o->style_lab[i] : NULL))) {
            fprintf(stderr, "ccpl stylize: %s with %s: %s\n", styles[i].path, cpath, ccpl_model_error(m));
            rc = CLI_FAIL;
        }
    }
    ccpl_spatial spatial = ccpl_default_spatial();
    spatial.masks = o->masks.n ? o->mask_data : NULL;
    spatial.content_labels = o->content_labels ? &o->content_lab : NULL;
    char label[256];
    if (o->mix) {
        int ok = rc == CLI_OK;
        for (int i = 0; i < n_styles; i++) ok = ok && enc[i];
        snprintf(label, sizeof label, "%s (mix of %d styles)", cli_basename(cpath), n_styles);
        progress_update(pr, label);
        if (ok && ccpl_stylize_spatial(m, &content, enc, o->weights, n_styles, &sp, &spatial, &out) != CCPL_OK) {
            fprintf(stderr, "ccpl stylize: %s: %s\n", cpath, ccpl_model_error(m));
            ok = 0;
        }
        if (ok && save(o, cpath, NULL, &out) != CLI_OK) ok = 0;
        if (!ok) rc = CLI_FAIL;
        ccpl_image_free(&out);
        pr->done++;
    } else {
        for (int i = 0; i < n_styles; i++) {
            snprintf(label, sizeof label, "%s x %s", cli_basename(cpath), cli_basename(styles[i].path));
            progress_update(pr, label);
            pr->done++;
            if (!enc[i]) continue;
            if (ccpl_stylize_spatial(m, &content, &enc[i], NULL, 1, &sp, &spatial, &out) != CCPL_OK) {
                fprintf(stderr, "ccpl stylize: %s: %s\n", cpath, ccpl_model_error(m));
                rc = CLI_FAIL;
                continue;
            }
            if (save(o, cpath, styles[i].path, &out) != CLI_OK) rc = CLI_FAIL;
            ccpl_image_free(&out);
        }
    }
    if (o->preserve)
        for (int i = 0; i < n_styles; i++) ccpl_style_free(enc[i]);
    free(enc);
    free(skip);
    ccpl_image_free(&content);
    return rc;
}

int cmd_stylize(int argc, char **argv) {
    opts o;
    memset(&o, 0, sizeof o);
    o.content_size = o.style_size = 512;
    o.alpha = 1.0f;
    o.ext = "png";
    o.jpeg_quality = 95;
    o.max_pixels = CLI_DEFAULT_MAX_PIXELS;
    o.code.tolerance = CLI_LABEL_TOLERANCE;
    int rc = parse(argc, argv, &o);
    ccpl_model *m = NULL;
    style_item *styles = NULL;
    if (rc != CLI_OK) {
        rc = rc < 0 ? CLI_OK : rc; /* --help */
        goto done;
    }
    if (!o.output && !o.output_dir) o.output_dir = "output";
    if (o.output && (rc = cli_check_image_output("stylize", o.output)) != CLI_OK) goto done;
    if (o.output_dir && cli_ensure_dir(o.output_dir) != 0) {
        fprintf(stderr, "ccpl stylize: %s: cannot create the output folder: %s\n", o.output_dir, strerror(errno));
        rc = CLI_FAIL;
        goto done;
    }
    if (o.output_dir) {
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/x.%s", o.output_dir, o.ext);
        if ((rc = cli_check_output_dir("stylize", probe)) != CLI_OK) goto done;
    }
    if ((rc = refuse_inputs_as_outputs(&o)) != CLI_OK) goto done;
    if (o.output_dir && ((rc = refuse_same_stems(&o, &o.contents, "content")) != CLI_OK ||
                         (!o.mix && (rc = refuse_same_stems(&o, &o.styles, "style")) != CLI_OK)))
        goto done;

    if (o.no_clobber && !any_result_left(&o)) {
        /* every result exists: say so without loading anything */
        for (int c = 0; c < o.contents.n; c++)
            for (int s = 0; s < (o.mix ? 1 : o.styles.n); s++)
                skip_existing(&o, o.contents.items[c], o.mix ? NULL : o.styles.items[s]);
        rc = CLI_FAIL;
        goto done;
    }

    if ((rc = load_spatial(&o)) != CLI_OK) goto done;

    char vgg[4096], dec[4096], sct[4096];
    if (cli_resolve_models("stylize", &o.mp, o.mode, vgg, dec, sct, sizeof vgg) != 0) {
        rc = CLI_FAIL;
        goto done;
    }
    ccpl_params p = ccpl_default_params();
    p.mode = o.mode;
    p.n_threads = o.threads;
    p.engine = o.engine;
    ccpl_error err;
    if (!(m = ccpl_model_load(vgg, dec, sct, &p, &err))) {
        fprintf(stderr, "ccpl stylize: %s\n", err.message);
        rc = CLI_FAIL;
        goto done;
    }

    /* Styles are loaded and (without --preserve-color) encoded once. */
    styles = calloc((size_t)o.styles.n, sizeof *styles);
    if (!styles) {
        rc = CLI_FAIL;
        goto done;
    }
    int usable = 0;
    for (int i = 0; i < o.styles.n; i++) {
        styles[i].path = o.styles.items[i];
        if (load_resized(&o, styles[i].path, o.style_size, o.crop, &styles[i].img) != CLI_OK) {
            rc = CLI_FAIL;
            continue;
        }
        if (!o.preserve && !(styles[i].style = ccpl_style_new_labels(m, &styles[i].img, NULL,
                                                                     o.style_lab ? &o.style_lab[i] : NULL))) {
            fprintf(stderr, "ccpl stylize: %s: %s\n", styles[i].path, ccpl_model_error(m));
            ccpl_image_free(&styles[i].img);
            rc = CLI_FAIL;
            continue;
        }
        usable++;
    }
    if (usable == 0 || (o.mix && usable != o.styles.n)) {
        rc = CLI_FAIL;
        goto done;
    }

    progress pr;
    progress_start(&pr, o.contents.n * (o.mix ? 1 : o.styles.n), "images", o.quiet);
    for (int i = 0; i < o.contents.n; i++)
        if (run_content(&o, m, o.contents.items[i], styles, o.styles.n, &pr) != CLI_OK) rc = CLI_FAIL;
    progress_end(&pr);

done:
    if (styles)
        for (int i = 0; i < o.styles.n; i++) {
            ccpl_style_free(styles[i].style);
            ccpl_image_free(&styles[i].img);
        }
    free(styles);
    ccpl_model_free(m);
    strlist_free(&o.contents);
    strlist_free(&o.styles);
    strlist_free(&o.mp.dirs);
    free(o.weights);
    free_spatial(&o);
    return rc;
}
