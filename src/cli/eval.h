/* eval.h — the pieces `ccpl eval temporal` (cmd_eval_temporal.c) and `ccpl
 * eval image` (cmd_eval_image.c) share (eval_shared.c). */
#ifndef CCPL_CLI_EVAL_H
#define CCPL_CLI_EVAL_H

#include "cli/cli.h"
#include "model/net.h"

/* --max-pixels of the running subcommand (set by its option parsing). */
extern long long eval_max_pixels;

/* The files named by a repeatable option, appended to out: each entry a
 * file, or a folder replaced by its images in natural order (flo: its .flo
 * files in name order). CLI_OK, or CLI_FAIL after one line naming the
 * missing or empty entry. */
int eval_expand(const char *cmd, const char *opt, const strlist *in, int flo, strlist *out);
/* An 8-bit image as a (3,H,W) float activation in [0,1]. */
int eval_image_to_act(const char *cmd, const char *path, ccpl_image *img, ccpl__tensor *a);
/* Loads path (within eval_max_pixels) as a (3,H,W) activation. */
int eval_load_chw(const char *cmd, const char *path, ccpl__tensor *a);

int eval_temporal(int argc, char **argv); /* cmd_eval_temporal.c */
int eval_image(int argc, char **argv);    /* cmd_eval_image.c */

#endif
