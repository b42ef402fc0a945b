/* cli.h — shared pieces of the ccpl command. Exit codes: 0 success,
 * 1 failure (bad input, I/O), 2 usage error. */
#ifndef CCPL_CLI_CLI_H
#define CCPL_CLI_CLI_H

#include <stddef.h>

#include "ccpl/ccpl.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_stylize(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_video(int argc, char **argv); /* cmd_video.c */
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv); /* cmd_train.c */  /* cmd_eval.c: eval temporal | eval image */
int cmd_serve(int argc, char **argv); /* cmd_serve.c: web page + HTTP API (src/server/) */

/* Process-wide malloc policy for long runs (malloc_policy.c): freed large
 * buffers stay in the heap for the next iteration or frame instead of being
 * unmapped and faulted in again. A no-op outside glibc, or when
 * GLIBC_TUNABLES already tunes malloc. */
void cli_keep_freed_memory(void);

/* Prints "ccpl CMD: message" and the --help hint on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Strict number parsing: the whole string, in [lo, hi]. Return 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, int *out);
int cli_parse_float(const char *s, double lo, double hi, float *out);
/* Comma-separated floats, each >= 0; *out allocated. Returns count or -1. */
int cli_parse_float_list(const char *s, float **out);

/* --max-pixels (stylize, video, eval): images and frames with more pixels
 * are refused before their pixels are read. The default keeps one decoded
 * image near 300 MB of RGB (1.2 GB as floats) on a machine of a few GB;
 * CCPL_IMAGE_MAX_PIXELS is the most the option accepts. */
#define CLI_DEFAULT_MAX_PIXELS 100000000LL
#define CLI_MAX_PIXELS_HELP(what, resizes)                                               \
    "      --max-pixels N        refuse " what " of more than N pixels before\n"          \
    "                            decoding them, and resizes that would make more\n"      \
    "                            (" resizes "): 1..268435456,\n"                         \
    "                            default 100000000 (~300 MB RGB, ~1.2 GB as floats)\n"
/* --background COLOR (stylize, video, eval): the colour transparent image
 * pixels are composited over, for every image cli_load_image loads
 * afterwards in this process. COLOR: white (default), black, #RRGGBB,
 * RRGGBB or R,G,B (0..255). A usage error (reported) when malformed. */
int cli_set_background(const char *cmd, const char *color);
#define CLI_BACKGROUND_HELP                                                               \
    "      --background COLOR    transparent pixels (PNG alpha or tRNS) are shown over\n" \
    "                            this colour, as a viewer does: white (default),\n"      \
    "                            black, #RRGGBB or R,G,B\n"
/* Parses a --max-pixels value; 0, or a usage error naming the command. */
int cli_parse_max_pixels(const char *cmd, const char *s, long long *out);
/* --smooth R[,EPS]: guided-filter radius 1..CCPL_GUIDED_MAX_RADIUS and eps in
 * (0,1] (default ccpl_default_stylize_params' guided_eps). CLI_OK, or a
 * one-line usage error (CLI_USAGE). */
int cli_parse_smooth(const char *cmd, const char *s, int *radius, float *eps);
#define CLI_SMOOTH_HELP                                                                 \
    "      --smooth R[,EPS]      edge-preserving smoothing of the result: the guided\n"   \
    "                            filter (He et al. 2010) with the content as guide,\n"   \
    "                            window (2R+1)^2 pixels, R in 1..512, EPS in (0,1]\n"      \
    "                            (default 0.01; larger smooths more); for photo mode\n"  \
    "                            (removes fine painted texture, keeps content edges)\n"

/* ccpl_image_load_ex with the limit; on failure prints one line
 * ("ccpl CMD: FILE: ...", naming --max-pixels when it is what refused the
 * image) and returns CLI_FAIL. */
int cli_load_image(const char *cmd, const char *path, long long max_pixels, ccpl_image *out);
/* ccpl_image_resize_shorter_ex of an image loaded from path with the limit;
 * prints one line naming path on failure. in and out may be the same. */
int cli_resize_image(const char *cmd, const char *path, ccpl_image *in, int size, int crop,
                     long long max_pixels, ccpl_image *out);
/* cli_load_image then cli_resize_image (shorter side `size`, 0 keeps;
 * crop: the centre size x size square), as stylize, video and eval prepare
 * an input; one line naming path on failure. */
int cli_load_resized(const char *cmd, const char *path, int size, int crop, long long max_pixels,
                     ccpl_image *out);
/* --no-clobber: when path exists prints "ccpl CMD: PATH: exists (--no-clobber)"
 * and returns 1; 0 otherwise. */
int cli_output_exists(const char *cmd, const char *path);
/* ccpl_image_save_ex (no_clobber: never replace a file, even one made during
 * the work); prints one line on failure and returns CLI_FAIL. */
int cli_save_image(const char *cmd, const char *path, const ccpl_image *img, int jpeg_quality,
                   int no_clobber);

/* Output checks made before any work (output_check.c). Each prints one line
 * naming the path and the cause.
 * cli_check_output_dir: the folder of path exists, is a folder and is
 * writable, and path is not a folder; CLI_OK or CLI_FAIL.
 * cli_check_image_output: the extension is .png/.jpg/.jpeg (else CLI_USAGE),
 * then cli_check_output_dir. */
int cli_check_output_dir(const char *cmd, const char *path);
int cli_check_image_output(const char *cmd, const char *path);
/* 1 when both paths exist and are the same file (device and inode). */
int cli_same_file(const char *a, const char *b);
/* CLI_USAGE (reported) when output is the same file as any of the inputs
 * (NULL entries are skipped); CLI_OK otherwise. */
int cli_refuse_input_as_output(const char *cmd, const char *output, const char *const *inputs,
                               int n_inputs);

/* A growable list of strings. */
typedef struct strlist {
    char **items;
    int n, cap;
} strlist;
int strlist_push(strlist *l, const char *s); /* copies s; 0 on success */
void strlist_free(strlist *l);

/* The PNG/JPEG files directly inside dir (by extension), natural-sorted.
 * Returns 0, or -1 with errno set. */
int cli_list_images(const char *dir, strlist *out);
/* The part of path after its last '/'. */
const char *cli_basename(const char *path);
/* File name without folder and last extension: "a/b/photo.v2.jpg" -> "photo.v2". */
void cli_stem(const char *path, char *out, size_t n);
/* Creates dir if missing (one level). 0 on success, -1 with errno. */
int cli_ensure_dir(const char *dir);
int cli_is_dir(const char *path);
int cli_is_file(const char *path);

/* ---- shared model options (model_opts.c) ----
 * stylize, video, eval image and serve take the same model options; each
 * command puts the longopts entries it offers in its table and passes
 * every option it does not handle itself to cli_model_option. */
enum {
    CLI_OPT_VGG = 0x1000, /* --vgg FILE */
    CLI_OPT_DECODER,      /* --decoder FILE */
    CLI_OPT_SCT,          /* --sct FILE */
    CLI_OPT_MODELS,       /* --models DIR (repeatable) */
    CLI_OPT_ENGINE,       /* --engine fast|ref */
    CLI_OPT_MAX_PIXELS    /* --max-pixels N */
};
#define CLI_LONGOPT_VGG {"vgg", required_argument, 0, CLI_OPT_VGG}
#define CLI_LONGOPT_FILES                                                              \
    {"vgg", required_argument, 0, CLI_OPT_VGG},                                        \
        {"decoder", required_argument, 0, CLI_OPT_DECODER},                            \
        {"sct", required_argument, 0, CLI_OPT_SCT}
#define CLI_LONGOPT_MODELS {"models", required_argument, 0, CLI_OPT_MODELS}
#define CLI_LONGOPT_ENGINE {"engine", required_argument, 0, CLI_OPT_ENGINE}
#define CLI_LONGOPT_MAX_PIXELS {"max-pixels", required_argument, 0, CLI_OPT_MAX_PIXELS}
struct model_paths;
/* 1: c was a shared model option and is recorded in mp / engine /
 * max_pixels; 0: not one (the command's own); -1: a bad value (reported as
 * a usage error). */
int cli_model_option(const char *cmd, int c, const char *arg, struct model_paths *mp,
                     ccpl_engine *engine, long long *max_pixels);

/* Model files for a mode, found from explicit paths, the --models folders,
 * CCPL_MODELS (colon-separated) and the built-in folder, in that order.
 * On failure prints what is missing and where it was looked for. */
typedef struct model_paths {
    const char *vgg, *decoder, *sct; /* explicit (NULL: search) */
    strlist dirs;                    /* --models, repeatable */
} model_paths;
int cli_resolve_models(const char *cmd, model_paths *mp, ccpl_mode mode, char *vgg, char *decoder,
                       char *sct, size_t n);

/* Progress line on stderr when it is a terminal (and not quiet). */
typedef struct progress {
    int enabled;
    int total, done;
    double t0;
    const char *unit; /* "images" */
} progress;
double cli_now(void);
void progress_start(progress *p, int total, const char *unit, int quiet);
void progress_update(progress *p, const char *label);
void progress_end(progress *p);

#endif
