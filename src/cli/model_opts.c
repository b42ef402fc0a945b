/* model_opts.c — the model options that stylize, video, eval image and
 * serve share (issue 17, item 9): parsed here once, so that a new model
 * option or location is added in one place (see cli.h). */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

int cli_model_option(const char *cmd, int c, const char *arg, model_paths *mp, ccpl_engine *engine,
                     long long *max_pixels) {
    switch (c) {
    case CLI_OPT_VGG: mp->vgg = arg; return 1;
    case CLI_OPT_DECODER: mp->decoder = arg; return 1;
    case CLI_OPT_SCT: mp->sct = arg; return 1;
    case CLI_OPT_MODELS: return strlist_push(&mp->dirs, arg) == 0 ? 1 : -1;
    case CLI_OPT_ENGINE:
        if (!strcmp(arg, "fast")) *engine = CCPL_ENGINE_FAST;
        else if (!strcmp(arg, "ref")) *engine = CCPL_ENGINE_REF;
        else return cli_usage_error(cmd, "--engine must be fast or ref, not '%s'", arg), -1;
        return 1;
    case CLI_OPT_MAX_PIXELS: return cli_parse_max_pixels(cmd, arg, max_pixels) == CLI_OK ? 1 : -1;
    default: return 0;
    }
}
