/* ccpl video — restyle every frame of a video (or a folder of frames) with
 * one style. The style is encoded once; frames stream through one at a time
 * (bounded memory whatever the length); the output video is written to a
 * temporary name and renamed at the end, so a failure or an interrupt
 * (SIGINT/SIGTERM) never leaves a broken file. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/labels.h"
#include "io/video_reader.h"
#include "io/video_writer.h"

static const char *const HELP =
    "Usage: ccpl video [OPTION]... --input FILE|DIR --style IMG --output FILE|DIR\n"
    "Restyle every frame of a video with one style image (CCPL; its contrastive\n"
    "coherence keeps consecutive frames consistent).\n"
    "\n"
    "Input and output:\n"
    "  -i, --input FILE|DIR      a video (anything FFmpeg reads), or a folder of PNG/JPEG\n"
    "                            frames taken in natural order (f2 before f10)\n"
    "  -s, --style IMG           style image (PNG or JPEG)\n"
    "  -o, --output FILE|DIR     a video file: .mp4, .m4v, .mov, .mkv, .avi (H.264 by\n"
    "                            libx264, else MPEG-4), .webm (VP9) or .gif (256 colours\n"
    "                            a frame, no sound); other types are refused; or a folder\n"
    "                            (an existing one, a name ending in '/', or one without an\n"
    "                            extension) of PNG frames, named like the input frames\n"
    "                            or frame_000001.png\n"
    "      --fps R               frame rate of a folder input, N or N/D (default 25)\n"
    "\n"
    "What an output video keeps of the input: the frame rate and timing, the\n"
    "rotation (a phone clip's display matrix or 'rotate' tag is applied to the\n"
    "frames, so that they are upright and play as the input did; frame folders\n"
    "get upright frames too), the pixel aspect ratio, the colour primaries and\n"
    "transfer tags (YUV matrix BT.709/BT.2020 as the input's, else BT.601), every\n"
    "audio and subtitle stream copied unchanged with its language, title and\n"
    "default/forced flags, the file's tags (title, creation_time, ...) and its\n"
    "chapters. Streams the output type cannot hold (MP2 audio in WebM, subrip\n"
    "subtitles in MP4, any sound in GIF), further video streams, cover pictures,\n"
    "data and attachments are left out, and one line on stderr names each.\n"
    "Sound and subtitles are cut where the last frame ends (--max-frames).\n"
    "      --max-frames N        stop after N frames (default 0: all)\n"
    "  -n, --no-clobber          never replace an existing file: an existing output\n"
    "                            video fails at once; in a folder, each existing\n"
    "                            frame file is reported (\"FILE: exists\"), not\n"
    "                            computed, and the run goes on but exits 1\n"
    "\n"
    "Model (as in 'ccpl stylize'):\n"
    "  -m, --mode art|photo      artistic or photo-realistic; default art\n"
    "      --vgg FILE, --decoder FILE, --sct FILE, --models DIR\n"
    "\n"
    "Processing:\n"
    "      --size N              scale frames so the shorter side is N (default 0: keep\n"
    "                            the size); video frames are made even-sized (4:2:0)\n"
    "      --style-size N        shorter side of the style (default 512, 0 keeps)\n"
    "  -a, --alpha A             style strength in [0,1] (default 1)\n"
    "      --preserve-color      recolour the style to the first frame's colours\n"
    "                            (once, so that colours stay steady over time)\n"
    CLI_SMOOTH_HELP
    "  -t, --threads N           threads (default 0: all cores)\n"
    "      --engine fast|ref     fast: Winograd F(4x4,3x3) for the wide 3x3 layers\n"
    "                            (default); ref: im2col + sgemm everywhere, the plain\n"
    "                            reference path (same results up to float rounding)\n"
    CLI_MAX_PIXELS_HELP("frames and images", "--size, --style-size")
    "Spatial control (docs/MASKS.md):\n"
    "      --mask FILE|DIR       where the style applies (grey, white = styled, soft\n"
    "                            values blend with the frame's own features): one mask\n"
    "                            for every frame, or a folder of per-frame masks matched\n"
    "                            by order (natural order, as frame folders)\n"
    "      --content-labels FILE|DIR  colour-coded label map(s) of the frames, one\n"
    "                            for all or a folder matched by order: SCT statistics\n"
    "                            per label (needs --style-labels)\n"
    "      --style-labels FILE   label map of the style\n"
    CLI_LABEL_HELP
    "  A mask or label map whose aspect differs from the frames' by more than 5 %,\n"
    "  or a folder with fewer files than frames: exit 2; an unreadable one, or one\n"
    "  of no known colour: exit 1.\n"
    "  -q, --quiet               no progress line\n"
    "  -h, --help                this help\n"
    "\n"
    "Before any work, an output that is the input video, the style image or the\n"
    "input folder (whatever its spelling or links) is refused (exit 2), and so is\n"
    "an unsupported output type (exit 2); a missing or unwritable output folder\n"
    "is exit 1.\n"
    "\n"
    "Exit status: 0 written, 1 a file could not be read or written or the run was\n"
    "interrupted (no output video is left behind), 2 bad usage.\n";

enum { OPT_SIZE = 256, OPT_STYLE_SIZE, OPT_PRESERVE, OPT_FPS, OPT_MAX,
       OPT_MASK, OPT_CONTENT_LABELS, OPT_STYLE_LABELS, OPT_LABEL_COLORS, OPT_LABEL_TOLERANCE,
       OPT_SMOOTH };

#define CMD "video"
#define MAX_SIDE 16384

typedef struct opts {
    const char *input, *style, *output;
    model_paths mp;
    ccpl_mode mode;
    int size, style_size;
    float alpha;
    int smooth_radius; /* 0: no guided filter */
    float smooth_eps;
    int preserve, threads, quiet, max_frames;
    ccpl_engine engine;
    int fps_num, fps_den;
    int no_clobber;
    long long max_pixels;
    const char *mask, *content_labels, *style_labels; /* spatial control */
    cli_label_code code;
} opts;

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { g_stop = sig; }
/* Called between layers: an interrupt stops even a long frame. */
static int cancel_cb(int done, int total, void *user) {
    (void)done, (void)total, (void)user;
    return g_stop != 0;
}

static int parse_rate(const char *s, int *num, int *den) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash) *slash = '\0';
    if (cli_parse_int(buf, 1, 1000000, num)) return -1;
    *den = 1;
    return slash ? cli_parse_int(slash + 1, 1, 1000000, den) : 0;
}

static int parse(int argc, char **argv, opts *o) {
    static const struct option longopts[] = {
        {"input", required_argument, 0, 'i'},
        {"style", required_argument, 0, 's'},
        {"output", required_argument, 0, 'o'},
        {"mode", required_argument, 0, 'm'},
        {"size", required_argument, 0, OPT_SIZE},
        {"style-size", required_argument, 0, OPT_STYLE_SIZE},
        {"alpha", required_argument, 0, 'a'},
        {"preserve-color", no_argument, 0, OPT_PRESERVE},
        {"preserve-colour", no_argument, 0, OPT_PRESERVE},
        {"smooth", required_argument, 0, OPT_SMOOTH},
        {"threads", required_argument, 0, 't'},
        {"fps", required_argument, 0, OPT_FPS},
        {"max-frames", required_argument, 0, OPT_MAX},
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
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:s:o:m:a:t:nqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': o->input = optarg; break;
        case 's': o->style = optarg; break;
        case 'o': o->output = optarg; break;
        case 'm':
            if (!strcmp(optarg, "art")) o->mode = CCPL_MODE_ART;
            else if (!strcmp(optarg, "photo")) o->mode = CCPL_MODE_PHOTO;
            else return cli_usage_error(CMD, "--mode must be art or photo, not '%s'", optarg);
            break;
        case OPT_SIZE:
            if (cli_parse_int(optarg, 0, MAX_SIDE, &o->size))
                return cli_usage_error(CMD, "--size must be an integer in 0..%d, not '%s'", MAX_SIDE, optarg);
            break;
        case OPT_STYLE_SIZE:
            if (cli_parse_int(optarg, 0, MAX_SIDE, &o->style_size))
                return cli_usage_error(CMD, "--style-size must be an integer in 0..%d, not '%s'", MAX_SIDE, optarg);
            break;
        case 'a':
            if (cli_parse_float(optarg, 0.0, 1.0, &o->alpha))
                return cli_usage_error(CMD, "--alpha must be a number in [0,1], not '%s'", optarg);
            break;
        case OPT_PRESERVE: o->preserve = 1; break;
        case OPT_SMOOTH:
            if (cli_parse_smooth(CMD, optarg, &o->smooth_radius, &o->smooth_eps) != CLI_OK) return CLI_USAGE;
            break;
        case 't':
            if (cli_parse_int(optarg, 0, 1024, &o->threads))
                return cli_usage_error(CMD, "--threads must be an integer in 0..1024, not '%s'", optarg);
            break;
        case OPT_FPS:
            if (parse_rate(optarg, &o->fps_num, &o->fps_den))
                return cli_usage_error(CMD, "--fps must be N or N/D with positive integers, not '%s'", optarg);
            break;
        case OPT_MAX:
            if (cli_parse_int(optarg, 0, 2000000000, &o->max_frames))
                return cli_usage_error(CMD, "--max-frames must be an integer >= 0, not '%s'", optarg);
            break;
        case OPT_MASK: o->mask = optarg; break;
        case OPT_CONTENT_LABELS: o->content_labels = optarg; break;
        case OPT_STYLE_LABELS: o->style_labels = optarg; break;
        case OPT_LABEL_COLORS:
            if (cli_parse_label_code(optarg, &o->code))
                return cli_usage_error(CMD, "--label-colors must be dpst or exact, not '%s'", optarg);
            break;
        case OPT_LABEL_TOLERANCE:
            if (cli_parse_int(optarg, 0, 255, &o->code.tolerance))
                return cli_usage_error(CMD, "--label-tolerance must be an integer in 0..255, not '%s'", optarg);
            break;
        case 'n': o->no_clobber = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': fputs(HELP, stdout); return -1;
        case ':': return cli_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: {
            const int r = cli_model_option(CMD, c, optarg, &o->mp, &o->engine, &o->max_pixels);
            if (r < 0) return CLI_USAGE;
            if (r == 0) return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
            break;
        }
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->input) return cli_usage_error(CMD, "no input (--input FILE|DIR)");
    if (!o->style) return cli_usage_error(CMD, "no style image (--style IMG)");
    if (!o->output) return cli_usage_error(CMD, "no output (--output FILE|DIR)");
    if (!o->content_labels != !o->style_labels)
        return cli_usage_error(CMD, "--content-labels and --style-labels go together");
    return CLI_OK;
}

/* A mask or label map for every frame: one file, or a folder matched by
 * order. The current frame's is loaded by spatial_frame. */
typedef struct spatial_src {
    const char *path;
    int is_labels;
    strlist files; /* folder: its images */
    int loaded;    /* single file: loaded once */
    ccpl_mask mask;
    ccpl_labels lab;
} spatial_src;

static int spatial_open(spatial_src *s, const char *path, int is_labels, long long total) {
    s->path = path;
    s->is_labels = is_labels;
    if (!path || !cli_is_dir(path)) return CLI_OK;
    if (cli_list_images(path, &s->files) != 0 || s->files.n == 0) {
        fprintf(stderr, "ccpl " CMD ": %s: no .png, .jpg or .jpeg files\n", path);
        return CLI_FAIL;
    }
    if (total > 0 && s->files.n < total)
        return cli_usage_error(CMD, "%s has %d files for %lld frames (one per frame, matched by order)", path,
                               s->files.n, total);
    return CLI_OK;
}

/* Loads frame n's mask/labels (a single file once) and checks its aspect
 * against the frame (CLI_USAGE) — reported. */
static int spatial_frame(spatial_src *s, const opts *o, int n, const ccpl_image *frame, cli_label_code *code) {
    if (!s->path) return CLI_OK;
    const char *file = s->path;
    if (s->files.n) {
        if (n >= s->files.n) return cli_usage_error(CMD, "%s: no file for frame %d", s->path, n + 1);
        file = s->files.items[n];
    } else if (s->loaded) {
        file = NULL;
    }
    if (file) {
        free((void *)s->mask.data);
        free((void *)s->lab.data);
        s->mask.data = NULL;
        s->lab.data = NULL;
        if ((s->is_labels ? cli_load_labels(CMD, file, code, o->max_pixels, &s->lab)
                          : cli_load_mask(CMD, file, o->max_pixels, &s->mask)) != CLI_OK)
            return CLI_FAIL;
        s->loaded = 1;
    }
    const int w = s->is_labels ? s->lab.width : s->mask.width, h = s->is_labels ? s->lab.height : s->mask.height;
    return cli_check_aspect(CMD, file ? file : s->path, w, h, "the frame", frame->width, frame->height);
}

static void spatial_close(spatial_src *s) {
    free((void *)s->mask.data);
    free((void *)s->lab.data);
    strlist_free(&s->files);
}

/* A folder: exists as one, ends in '/', or its last part has no extension. */
static int output_is_dir(const char *path) {
    size_t n = strlen(path);
    if (cli_is_dir(path) || (n && path[n - 1] == '/')) return 1;
    return strchr(cli_basename(path), '.') == NULL;
}

/* Where frames come from: a video reader or a list of image files. */
typedef struct source {
    ccpl__video_reader *vr;
    strlist files;
    int next;
    int size, even;
    long long max_pixels;
    const char *name; /* current frame's file (folder input) */
} source;

/* Drops the last column/row of an odd-sized image (4:2:0 video needs even sides). */
static void crop_even(ccpl_image *img) {
    int w = img->width & ~1, h = img->height & ~1;
    if (w == img->width && h == img->height) return;
    for (int y = 0; y < h; y++) memmove(img->data + (size_t)y * 3 * w, img->data + (size_t)y * 3 * img->width, (size_t)3 * w);
    img->width = w;
    img->height = h;
}

/* Next frame into *img; *got = 0 at the end. Prints the error itself. */
static int source_next(source *s, ccpl_image *img, int *got) {
    ccpl_error err;
    *got = 0;
    if (s->vr) {
        if (ccpl__video_reader_next(s->vr, img, got, &err) != CCPL_OK) {
            fprintf(stderr, "ccpl " CMD ": %s\n", err.message);
            return CLI_FAIL;
        }
        return CLI_OK;
    }
    if (s->next >= s->files.n) return CLI_OK;
    s->name = s->files.items[s->next++];
    ccpl_image_free(img);
    if (cli_load_resized(CMD, s->name, s->size, 0, s->max_pixels, img) != CLI_OK) return CLI_FAIL;
    if (s->even) crop_even(img);
    *got = 1;
    return CLI_OK;
}

static void even_size(int w, int h, int size, int *ow, int *oh) {
    if (size > 0) {
        if (w <= h) {
            *ow = size;
            *oh = (int)((double)h * size / w + 0.5);
        } else {
            *oh = size;
            *ow = (int)((double)w * size / h + 0.5);
        }
    } else {
        *ow = w;
        *oh = h;
    }
    *ow &= ~1;
    *oh &= ~1;
    if (*ow < 2) *ow = 2;
    if (*oh < 2) *oh = 2;
}

/* vi: the input video's (its other streams and tags are kept), NULL for a
 * frame folder. What is left out of the input is said at once. */
static int open_writer(ccpl__video_writer **vw, const opts *o, int w, int h, int fps_num, int fps_den,
                       const ccpl__video_info *vi) {
    ccpl__video_writer_params wp = {0};
    ccpl_error err;
    wp.width = w;
    wp.height = h;
    wp.fps_num = fps_num;
    wp.fps_den = fps_den;
    if (vi) ccpl__video_writer_keep_source(&wp, o->input, vi);
    wp.no_replace = o->no_clobber;
    if (ccpl__video_writer_open(vw, o->output, &wp, &err) != CCPL_OK) {
        fprintf(stderr, "ccpl " CMD ": %s\n", err.message);
        return CLI_FAIL;
    }
    const char *note = ccpl__video_writer_note(*vw);
    if (*note) fprintf(stderr, "ccpl " CMD ": %s: %s\n", o->input, note);
    return CLI_OK;
}

/* An output folder: an existing one must be writable, a new one's parent. */
static int check_output_folder(const char *dir) {
    char path[4096];
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    if (cli_is_dir(dir)) {
        if (access(dir, W_OK | X_OK) == 0) return CLI_OK;
        fprintf(stderr, "ccpl " CMD ": %s: folder is not writable: %s\n", dir, strerror(errno));
        return CLI_FAIL;
    }
    snprintf(path, sizeof path, "%.*s", (int)n, dir);
    return cli_check_output_dir(CMD, path);
}

int cmd_video(int argc, char **argv) {
    opts o;
    memset(&o, 0, sizeof o);
    o.style_size = 512;
    o.alpha = 1.0f;
    o.fps_num = 25;
    o.fps_den = 1;
    o.max_pixels = CLI_DEFAULT_MAX_PIXELS;
    o.code.tolerance = CLI_LABEL_TOLERANCE;
    int rc = parse(argc, argv, &o);
    spatial_src msk, clab;
    memset(&msk, 0, sizeof msk);
    memset(&clab, 0, sizeof clab);
    ccpl_labels slab = {0};
    source src;
    memset(&src, 0, sizeof src);
    ccpl_model *m = NULL;
    ccpl_style *style = NULL;
    ccpl_image style_img = {0}, frame = {0}, out = {0};
    ccpl__video_writer *vw = NULL;
    ccpl_error err;
    struct sigaction sa, old_int, old_term;
    int handlers = 0;
    if (rc != CLI_OK) {
        rc = rc < 0 ? CLI_OK : rc; /* --help */
        goto done;
    }
    rc = CLI_FAIL;
    int to_dir = output_is_dir(o.output);
    int fps_num = o.fps_num, fps_den = o.fps_den;
    long long total = 0;
    int skipped = 0; /* --no-clobber: frame files that existed */

    /* Before any work: never replace an input (the video, the style, the
     * frame folder, whatever the spelling), a type that can be written, a
     * folder that takes the output. */
    {
        const char *inputs[5] = {o.input, o.style, o.mask, o.content_labels, o.style_labels};
        if ((rc = cli_refuse_input_as_output(CMD, o.output, inputs, 5)) != CLI_OK) goto done;
        /* Frames written into a folder could replace a file input that lies
         * in it: the style, a mask or a label map (files, or the files of a
         * mask or label folder that is the output folder, caught above). */
        for (int i = 1; to_dir && i < 5; i++) {
            if (!inputs[i] || cli_is_dir(inputs[i])) continue;
            const char *base = cli_basename(inputs[i]);
            char dir[4096];
            snprintf(dir, sizeof dir, "%.*s", base == inputs[i] ? 1 : (int)(base - inputs[i]),
                     base == inputs[i] ? "." : inputs[i]);
            if (cli_same_file(dir, o.output)) {
                fprintf(stderr, "ccpl " CMD ": %s: the output folder holds the input %s, which a frame "
                                "could replace; choose another folder\n", o.output, inputs[i]);
                rc = CLI_USAGE;
                goto done;
            }
        }
    }
    if (!to_dir && !ccpl__video_output_supported(o.output)) {
        rc = cli_usage_error(CMD, "%s: cannot write this type of video (use %s, or a folder for PNG frames)", o.output,
                             ccpl__video_output_types());
        goto done;
    }
    rc = CLI_FAIL;
    if ((to_dir ? check_output_folder(o.output) : cli_check_output_dir(CMD, o.output)) != CLI_OK) goto done;

    /* An existing output video with --no-clobber: nothing to do. */
    if (o.no_clobber && !to_dir && cli_output_exists(CMD, o.output)) goto done;

    /* Input first: a bad video fails before the models are loaded. */
    src.size = o.size;
    src.even = !to_dir;
    src.max_pixels = o.max_pixels;
    if (cli_is_dir(o.input)) {
        if (cli_list_images(o.input, &src.files) != 0) {
            fprintf(stderr, "ccpl " CMD ": %s: %s\n", o.input, strerror(errno));
            goto done;
        }
        if (src.files.n == 0) {
            fprintf(stderr, "ccpl " CMD ": %s: no .png, .jpg or .jpeg files\n", o.input);
            goto done;
        }
        total = src.files.n;
    } else {
        if (ccpl__video_reader_open_ex(&src.vr, o.input, o.max_pixels, &err) != CCPL_OK) {
            fprintf(stderr, "ccpl " CMD ": %s%s\n", err.message,
                    err.status == CCPL_E_TOO_LARGE && o.max_pixels < CCPL_IMAGE_MAX_PIXELS ? "; raise it with --max-pixels" : "");
            goto done;
        }
        const ccpl__video_info *vi = ccpl__video_reader_info(src.vr);
        int w, h;
        even_size(vi->width, vi->height, o.size, &w, &h);
        if ((long long)w * h > o.max_pixels) { /* --size makes the frames larger than the limit */
            fprintf(stderr, "ccpl " CMD ": %s: frames scaled to %dx%d (%lld pixels) exceed the limit of %lld pixels; raise it with --max-pixels %lld\n",
                    o.input, w, h, (long long)w * h, o.max_pixels, (long long)w * h);
            goto done;
        }
        if ((w != vi->width || h != vi->height) && ccpl__video_reader_set_size(src.vr, w, h, &err) != CCPL_OK) {
            fprintf(stderr, "ccpl " CMD ": %s\n", err.message);
            goto done;
        }
        fps_num = vi->fps_num;
        fps_den = vi->fps_den;
        total = vi->frame_count;
        /* The size is known: open the output now, so that an unwritable
         * path fails before the models are loaded. */
        if (!to_dir && open_writer(&vw, &o, w, h, fps_num, fps_den, vi) != CLI_OK) goto done;
    }
    if (o.max_frames > 0 && (total == 0 || total > o.max_frames)) total = o.max_frames;
    /* masks / label maps: folders must have a file per frame; a style
       label map is read (and checked against the style) before the models */
    if ((rc = spatial_open(&msk, o.mask, 0, total)) != CLI_OK ||
        (rc = spatial_open(&clab, o.content_labels, 1, total)) != CLI_OK)
        goto done;
    rc = CLI_FAIL;
    if (o.style_labels) {
        ccpl_image si = {0};
        if (cli_load_labels(CMD, o.style_labels, &o.code, o.max_pixels, &slab) != CLI_OK ||
            cli_load_image(CMD, o.style, o.max_pixels, &si) != CLI_OK)
            goto done;
        rc = cli_check_aspect(CMD, o.style_labels, slab.width, slab.height, o.style, si.width, si.height);
        ccpl_image_free(&si);
        if (rc != CLI_OK) goto done;
        rc = CLI_FAIL;
    }
    if (to_dir && cli_ensure_dir(o.output) != 0) {
        fprintf(stderr, "ccpl " CMD ": %s: cannot create the output folder: %s\n", o.output, strerror(errno));
        goto done;
    }

    /* Interrupts set a flag; the loop (and the model, between layers) stops. */
    g_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    handlers = 1;

    char vgg[4096], dec[4096], sct[4096];
    if (cli_resolve_models(CMD, &o.mp, o.mode, vgg, dec, sct, sizeof vgg) != 0) goto done;
    ccpl_params p = ccpl_default_params();
    p.mode = o.mode;
    p.n_threads = o.threads;
    p.engine = o.engine;
    p.progress = cancel_cb;
    if (!(m = ccpl_model_load(vgg, dec, sct, &p, &err))) {
        fprintf(stderr, "ccpl " CMD ": %s\n", err.message);
        goto done;
    }
    {
        ccpl_image raw = {0};
        if (cli_load_image(CMD, o.style, o.max_pixels, &raw) != CLI_OK) goto done;
        int st = cli_resize_image(CMD, o.style, &raw, o.style_size, 0, o.max_pixels, &style_img);
        ccpl_image_free(&raw);
        if (st != CLI_OK) goto done;
    }

    ccpl_stylize_params sp = ccpl_default_stylize_params();
    sp.alpha = o.alpha;
    if (o.smooth_radius) {
        sp.guided_radius = o.smooth_radius;
        sp.guided_eps = o.smooth_eps;
    }
    progress pr;
    progress_start(&pr, (int)(total > 0 && total < 2000000000 ? total : 0), "frames", o.quiet);
    const char *label = cli_basename(o.input);
    int n = 0, got = 0, interrupted = 0;
    for (;;) {
        if (g_stop) { interrupted = 1; break; }
        if (o.max_frames > 0 && n + skipped >= o.max_frames) break;
        if (source_next(&src, &frame, &got) != CLI_OK) goto done;
        if (!got) break;
        if (!style) { /* once, with the first frame as the colour reference if asked */
            if (!(style = ccpl_style_new_labels(m, &style_img, o.preserve ? &frame : NULL,
                                                o.style_labels ? &slab : NULL))) {
                if (g_stop) { interrupted = 1; break; }
                fprintf(stderr, "ccpl " CMD ": %s: %s\n", o.style, ccpl_model_error(m));
                goto done;
            }
        }
        char path[4096];
        if (to_dir) {
            if (src.name) snprintf(path, sizeof path, "%s/%s", o.output, cli_basename(src.name));
            else snprintf(path, sizeof path, "%s/frame_%06d.png", o.output, n + skipped + 1);
            if (o.no_clobber && cli_output_exists(CMD, path)) {
                skipped++;
                continue;
            }
        }
        if (pr.done >= pr.total) pr.total = pr.done + 1;
        progress_update(&pr, label);
        {
            int r;
            if ((r = spatial_frame(&msk, &o, n + skipped, &frame, &o.code)) != CLI_OK ||
                (r = spatial_frame(&clab, &o, n + skipped, &frame, &o.code)) != CLI_OK) {
                rc = r;
                goto done;
            }
        }
        ccpl_spatial spatial = ccpl_default_spatial();
        spatial.masks = o.mask ? &msk.mask : NULL;
        spatial.content_labels = o.content_labels ? &clab.lab : NULL;
        if (ccpl_stylize_spatial(m, &frame, &style, NULL, 1, &sp, &spatial, &out) != CCPL_OK) {
            if (g_stop || ccpl_model_status(m) == CCPL_E_CANCELLED) { interrupted = 1; break; }
            fprintf(stderr, "ccpl " CMD ": %s frame %d: %s\n", src.name ? src.name : o.input, n + skipped + 1, ccpl_model_error(m));
            goto done;
        }
        if (to_dir) {
            struct stat sb;
            if (cli_save_image(CMD, path, &out, 95, o.no_clobber) != CLI_OK) {
                if (!o.no_clobber || lstat(path, &sb) != 0) goto done;
                skipped++; /* made while this frame was computed: kept, reported */
                ccpl_image_free(&out);
                pr.done = n + skipped;
                continue;
            }
        } else {
            /* frame folders: the first frame gives the size */
            if (!vw && open_writer(&vw, &o, out.width, out.height, fps_num, fps_den, NULL) != CLI_OK) goto done;
            ccpl_status st = src.vr ? ccpl__video_writer_write_at(vw, &out, ccpl__video_reader_position(src.vr), &err)
                                    : ccpl__video_writer_write(vw, &out, &err);
            if (st != CCPL_OK) {
                if (src.name && err.status == CCPL_E_INVALID_ARGUMENT)
                    fprintf(stderr, "ccpl " CMD ": %s: frame size %dx%d differs from the first frame's\n", src.name,
                            out.width, out.height);
                else
                    fprintf(stderr, "ccpl " CMD ": %s\n", err.message);
                goto done;
            }
        }
        ccpl_image_free(&out);
        n++;
        pr.done = n + skipped;
    }
    progress_end(&pr);
    if (interrupted || g_stop) {
        ccpl__video_writer_abort(vw);
        vw = NULL;
        if (to_dir)
            fprintf(stderr, "ccpl " CMD ": interrupted after %d frames (%s holds them)\n", n, o.output);
        else
            fprintf(stderr, "ccpl " CMD ": interrupted after %d frames; %s not written\n", n, o.output);
        goto done;
    }
    if (n + skipped == 0) {
        fprintf(stderr, "ccpl " CMD ": %s: no frames\n", o.input);
        goto done;
    }
    if (vw) {
        ccpl__video_writer *w = vw;
        vw = NULL;
        if (ccpl__video_writer_finish(w, &err) != CCPL_OK) {
            fprintf(stderr, "ccpl " CMD ": %s\n", err.message);
            goto done;
        }
    }
    rc = skipped ? CLI_FAIL : CLI_OK; /* --no-clobber: existing frames were reported */

done:
    ccpl__video_writer_abort(vw); /* a failure leaves no output file */
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    ccpl_image_free(&out);
    ccpl_image_free(&frame);
    ccpl_image_free(&style_img);
    ccpl_style_free(style);
    ccpl_model_free(m);
    ccpl__video_reader_close(src.vr);
    strlist_free(&src.files);
    strlist_free(&o.mp.dirs);
    spatial_close(&msk);
    spatial_close(&clab);
    free((void *)slab.data);
    return rc;
}
