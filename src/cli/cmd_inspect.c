/* ccpl inspect — list the tensors of PyTorch checkpoints, safely. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "io/checkpoint.h"

static const char *const HELP =
    "Usage: ccpl inspect FILE...\n"
    "List the tensors (name, dtype, shape) of PyTorch checkpoints, zip or legacy\n"
    "format, without running the pickle inside: anything but tensors and plain\n"
    "containers is refused.\n"
    "\n"
    "A state_dict saved inside a wrapping ({'state_dict': sd}, {'model': sd,\n"
    "'optimizer': ...}, keys prefixed 'module.' by nn.DataParallel) is listed by\n"
    "its keys, as the models read them, after a line naming the wrapping; other\n"
    "tensors (an optimizer's) are marked as outside the state_dict. Integer and\n"
    "bool tensors are listed but are never weights. 'parameters' counts the\n"
    "elements of the state_dict's float tensors.\n"
    "\n"
    "  -h, --help   this help\n"
    "\n"
    "Exit status: 0 all files read, 1 a file could not be read, 2 bad usage.\n";

static int want_none(const char *name, void *user) {
    (void)name, (void)user;
    return 0;
}

int cmd_inspect(int argc, char **argv) {
    static const struct option longopts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(HELP, stdout);
            return CLI_OK;
        }
        return cli_usage_error("inspect", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind >= argc) return cli_usage_error("inspect", "no checkpoint file given");
    int rc = CLI_OK;
    for (int i = optind; i < argc; i++) {
        ccpl__checkpoint ck;
        ccpl_error err;
        if (ccpl__checkpoint_load(argv[i], want_none, NULL, &ck, &err) != CCPL_OK) {
            fprintf(stderr, "ccpl inspect: %s\n", err.message);
            rc = CLI_FAIL;
            continue;
        }
        size_t total = 0, width = 4;
        for (int k = 0; k < ck.n; k++) {
            if (!ck.t[k].outside && ccpl__dtype_is_float(ck.t[k].dtype)) total += ck.t[k].numel;
            if (strlen(ck.t[k].name) > width) width = strlen(ck.t[k].name);
        }
        printf("%s: %s format, %d tensors, %zu parameters\n", argv[i], ck.format, ck.n, total);
        if (ck.wrapping && ck.wrapping[0])
            printf("  the state_dict is under '%s' (its keys are listed without it)\n", ck.wrapping);
        for (int k = 0; k < ck.n; k++) {
            const ccpl__tensor_entry *t = &ck.t[k];
            printf("  %-*s  %-8s  (", (int)width, t->name, ccpl__dtype_name(t->dtype));
            for (int d = 0; d < t->ndim; d++) printf("%s%lld", d ? ", " : "", (long long)t->shape[d]);
            printf(")%s\n", t->outside ? "  outside the state_dict" : "");
        }
        ccpl__checkpoint_free(&ck);
    }
    return rc;
}
