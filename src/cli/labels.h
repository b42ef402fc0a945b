/* labels.h — masks and colour-coded label maps for the command line
 * (labels.c): files to ccpl_mask / ccpl_labels, with one-line errors. */
#ifndef CCPL_CLI_LABELS_H
#define CCPL_CLI_LABELS_H

#include "ccpl/ccpl.h"

/* The DPST colour code (Luan et al., deep photo style transfer): blue,
 * green, black, white, red, yellow, grey, light blue, purple = labels 0..8. */
#define CLI_DPST_COLOURS 9
#define CLI_LABEL_TOLERANCE 26 /* DPST's own 0.1 of full scale, per channel */

/* How colours become labels. Shared by all maps of a run, so that one
 * colour is one label in the content's and the style's maps. */
typedef struct cli_label_code {
    int exact;     /* 0: nearest DPST colour within tolerance; 1: every distinct colour */
    int tolerance; /* dpst: largest per-channel difference accepted (0..255) */
    int n;         /* exact: colours seen so far */
    unsigned rgb[CCPL_LABEL_NONE]; /* exact: colour of label i, 0xRRGGBB */
} cli_label_code;

#define CLI_LABEL_HELP                                                                     \
    "      --label-colors dpst|exact  how label-map colours become regions: dpst (default)\n" \
    "                            the DPST code (blue, green, black, white, red, yellow,\n"  \
    "                            grey, light blue, purple), each pixel taking the nearest\n" \
    "                            of them within --label-tolerance per channel, other\n"     \
    "                            pixels (anti-aliased edges) no region; exact: every\n"      \
    "                            distinct colour is a region (at most 254)\n"                \
    "      --label-tolerance N   0..255, default 26 (DPST's 10 %); 0: exact DPST colours\n"

/* Loads a grey mask (colour files: the mean of R,G,B), values /255.
 * CLI_FAIL (reported) when unreadable. out->data is malloc'ed. */
int cli_load_mask(const char *cmd, const char *path, long long max_pixels, ccpl_mask *out);

/* Loads a colour-coded label map. CLI_FAIL (reported) when unreadable or no
 * pixel matches a colour of the code; CLI_FAIL for over 254 colours with
 * the exact code. out->data is malloc'ed. */
int cli_load_labels(const char *cmd, const char *path, cli_label_code *code, long long max_pixels,
                    ccpl_labels *out);

/* CLI_USAGE (reported) when a mask's or label map's (w,h) aspect differs
 * from its image's by more than CCPL_MASK_MAX_ASPECT_DIFF. */
int cli_check_aspect(const char *cmd, const char *path, int w, int h, const char *image_path,
                     int iw, int ih);

/* Parses "dpst" / "exact" into code->exact; -1 when neither. */
int cli_parse_label_code(const char *s, cli_label_code *code);

#endif
