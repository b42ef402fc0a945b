/* ccpl eval — quality and stability metrics (formulas: docs/METRICS.md).
 *
 *   ccpl eval temporal: warping error of a stylized clip under optical flow
 *     (cmd_eval_temporal.c)
 *   ccpl eval image:    content loss, style loss and SSIM of stylized images
 *     (cmd_eval_image.c) */
#include <stdio.h>
#include <string.h>

#include "cli/eval.h"

static const char *const HELP =
    "Usage: ccpl eval temporal --frames DIR|FILE... --flow DIR|FILE... [OPTION]...\n"
    "       ccpl eval image --result FILE --content FILE --style FILE [OPTION]...\n"
    "       ccpl eval image --result-dir DIR --content-dir DIR --style-dir DIR [OPTION]...\n"
    "Measure stylized frames and images (formulas, masks and units: docs/METRICS.md).\n"
    "\n"
    "'ccpl eval temporal --help' and 'ccpl eval image --help' list the options.\n";


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

