/* output_check.c — checks on output paths made before any work (issue 13):
 * an output that cannot be written is named at once, and an output that is
 * one of the inputs (same device and inode, whatever the spelling) is
 * refused, so that no input is ever replaced by a result. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

/* The folder part of path ("." when it has none) into dir. */
static void parent_dir(const char *path, char *dir, size_t n) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, n, ".");
    } else if (slash == path) {
        snprintf(dir, n, "/");
    } else {
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
    }
}

int cli_check_output_dir(const char *cmd, const char *path) {
    char dir[4096];
    struct stat st;
    parent_dir(path, dir, sizeof dir);
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "ccpl %s: %s: folder %s: %s\n", cmd, path, dir, strerror(errno));
        return CLI_FAIL;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ccpl %s: %s: %s is not a folder\n", cmd, path, dir);
        return CLI_FAIL;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "ccpl %s: %s: folder %s is not writable: %s\n", cmd, path, dir,
                strerror(errno));
        return CLI_FAIL;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ccpl %s: %s: is a folder, not a file\n", cmd, path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_check_image_output(const char *cmd, const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ccpl %s: %s: is a folder, not a file\n", cmd, path);
        return CLI_FAIL;
    }
    const char *base = cli_basename(path);
    const char *dot = strrchr(base, '.');
    if (!dot || (strcasecmp(dot, ".png") != 0 && strcasecmp(dot, ".jpg") != 0 &&
                 strcasecmp(dot, ".jpeg") != 0)) {
        fprintf(stderr, "ccpl %s: %s: unknown image type%s%s (use .png, .jpg or .jpeg)\n",
                cmd, path, dot ? " " : "", dot ? dot : "");
        return CLI_USAGE;
    }
    return cli_check_output_dir(cmd, path);
}

int cli_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cli_refuse_input_as_output(const char *cmd, const char *output, const char *const *inputs,
                               int n_inputs) {
    for (int i = 0; i < n_inputs; i++) {
        if (inputs[i] && cli_same_file(output, inputs[i])) {
            fprintf(stderr, "ccpl %s: %s: the output is the input %s; refusing to replace it\n",
                    cmd, output, inputs[i]);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}
