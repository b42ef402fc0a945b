/* ccpl — command-line front end of libccpl. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char *const HELP =
    "Usage: ccpl COMMAND [OPTION]...\n"
    "CCPL versatile style transfer (ECCV 2022), artistic and photo-realistic.\n"
    "\n"
    "Commands:\n"
    "  stylize   restyle content images with style images\n"
    "  inspect   list the tensors of PyTorch checkpoint files\n"
    "  train     train a CCPL decoder and SCT\n"
    "  eval      measure results: temporal error (flow), content/style loss, SSIM\n"
    "  video     restyle every frame of a video (or a folder of frames)\n"
    "  serve     a local web page and HTTP API for stylizing (docs/API.md)\n"
    "  version   print the version\n"
    "\n"
    "'ccpl COMMAND --help' describes a command's options.\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(HELP, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    cli_keep_freed_memory();
    if (!strcmp(cmd, "stylize")) return cmd_stylize(argc - 1, argv + 1);
    if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "video")) return cmd_video(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve")) return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("ccpl %s\n", CCPL_VERSION_STRING);
        return CLI_OK;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(HELP, stdout);
        return CLI_OK;
    }
    fprintf(stderr, "ccpl: unknown command '%s'\nTry 'ccpl --help'.\n", cmd);
    return CLI_USAGE;
}
