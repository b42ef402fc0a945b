/* fuzz_options — the CLI's option parsing: the strict number parsers of
 * cli/args.c on every piece of the input, then `ccpl stylize`'s getopt_long
 * loop and checks on the pieces as an argument vector.
 *
 * The input is split at NUL bytes into strings. cmd_stylize.c is included so
 * its static parse() can be called; before that, the few calls of it that
 * would print or touch the file system are renamed to silent stand-ins (the
 * messages are still formatted, so a bad format argument is still found). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static char fuzz_msg[1024]; /* last message, formatted and dropped */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fuzz_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fuzz_msg, sizeof fuzz_msg, fmt, ap);
    va_end(ap);
    (void)cmd;
    return CLI_USAGE;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fuzz_fprintf(FILE *fp, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(fuzz_msg, sizeof fuzz_msg, fmt, ap);
    va_end(ap);
    (void)fp;
    return n;
}

static int fuzz_fputs(const char *s, FILE *fp) {
    (void)fp;
    return (int)strlen(s);
}

/* --content-dir / --style-dir name no folder: nothing is listed. */
static int fuzz_is_dir(const char *path) {
    (void)path;
    return 0;
}

/* cli_parse_max_pixels (args.c) reports through the real cli_usage_error:
   the same checks, silently. */
static int fuzz_parse_max_pixels(const char *cmd, const char *s, long long *out) {
    int v;
    if (cli_parse_int(s, 1, (long)CCPL_IMAGE_MAX_PIXELS, &v))
        return fuzz_usage_error(cmd, "--max-pixels must be an integer in 1..%lld, not '%s'",
                                (long long)CCPL_IMAGE_MAX_PIXELS, s);
    *out = v;
    return CLI_OK;
}

/* cli_model_option (model_opts.c) reports through the real cli_usage_error:
   the same options, silently. */
static int fuzz_model_option(const char *cmd, int c, const char *arg, model_paths *mp,
                             ccpl_engine *engine, long long *max_pixels) {
    switch (c) {
    case CLI_OPT_VGG: mp->vgg = arg; return 1;
    case CLI_OPT_DECODER: mp->decoder = arg; return 1;
    case CLI_OPT_SCT: mp->sct = arg; return 1;
    case CLI_OPT_MODELS: return strlist_push(&mp->dirs, arg) == 0 ? 1 : -1;
    case CLI_OPT_ENGINE:
        if (!strcmp(arg, "fast")) *engine = CCPL_ENGINE_FAST;
        else if (!strcmp(arg, "ref")) *engine = CCPL_ENGINE_REF;
        else return fuzz_usage_error(cmd, "--engine must be fast or ref, not '%s'", arg), -1;
        return 1;
    case CLI_OPT_MAX_PIXELS: return fuzz_parse_max_pixels(cmd, arg, max_pixels) == CLI_OK ? 1 : -1;
    default: return 0;
    }
}

#undef fprintf
#undef fputs
#define fprintf fuzz_fprintf
#define fputs fuzz_fputs
#define cli_usage_error fuzz_usage_error
#define cli_is_dir fuzz_is_dir
#define cli_parse_max_pixels fuzz_parse_max_pixels
#define cli_model_option fuzz_model_option
#include "cli/cmd_stylize.c"
#undef fprintf
#undef fputs
#undef cli_usage_error
#undef cli_is_dir
#undef cli_parse_max_pixels
#undef cli_model_option

#define MAX_ARGS 64

static void parse_numbers(const char *s) {
    int i;
    float f;
    float *list = NULL;
    (void)cli_parse_int(s, 0, 16384, &i);
    (void)cli_parse_int(s, -2147483647L - 1, 2147483647L, &i);
    (void)cli_parse_float(s, 0.0, 1.0, &f);
    (void)cli_parse_float(s, -1e30, 1e30, &f);
    int n = cli_parse_float_list(s, &list);
    if (n >= 0) {
        if (!list || n == 0) abort();
        volatile float sink = list[0] + list[n - 1];
        (void)sink;
        free(list);
    }
    char stem[64];
    cli_stem(s, stem, sizeof stem);
    if (strlen(stem) >= sizeof stem || !cli_basename(s)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A NUL-terminated copy: data[size] is past the buffer. */
    char *buf = (char *)malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';

    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"stylize";
    for (size_t off = 0; off <= size && argc <= MAX_ARGS; off += strlen(buf + off) + 1) {
        parse_numbers(buf + off);
        argv[argc++] = buf + off;
    }
    argv[argc] = NULL;

    /* getopt keeps a pointer into the last argv between calls, which optind = 1
     * (what parse() sets) does not clear: optind = 0 makes glibc start over. */
    char *none[] = {(char *)"stylize", NULL};
    optind = 0;
    (void)getopt(1, none, "");

    opts o;
    memset(&o, 0, sizeof o);
    o.content_size = o.style_size = 512;
    o.alpha = 1.0f;
    o.ext = "png";
    o.jpeg_quality = 95;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_OK && rc != CLI_USAGE && rc != CLI_FAIL && rc != -1) abort();
    if (rc == CLI_OK && (o.contents.n == 0 || o.styles.n == 0)) abort();
    if (o.alpha < 0.0f || o.alpha > 1.0f || o.jpeg_quality < 1 || o.jpeg_quality > 100) abort();
    strlist_free(&o.contents);
    strlist_free(&o.styles);
    strlist_free(&o.mp.dirs);
    strlist_free(&o.masks);
    strlist_free(&o.style_labels);
    free(o.weights);
    free(buf);
    return 0;
}
