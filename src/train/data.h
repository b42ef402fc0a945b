/* data.h — training data: image folders searched recursively, each image
 * resized to load x load (aspect ignored, PIL-exact antialiased bilinear),
 * then a random crop x crop window, as float (3,crop,crop) in [0,1].
 *
 * Deterministic by construction: sample j of batch k of a set is the
 * (k*B + j)-th draw of that set's sequence, whose order is a fresh
 * permutation per pass seeded by (seed, set, pass), and whose crop offsets are
 * seeded by (seed, set, draw). Resuming at iteration k needs only the seed
 * and k. A background thread prepares the next batch while one is trained.
 * Unreadable images are skipped (the next draw takes their place) and
 * counted. */
#ifndef CCPL_TRAIN_DATA_H
#define CCPL_TRAIN_DATA_H

#include <stdint.h>

#include "model/net.h"

typedef struct ccpl__image_set {
    char **paths; /* sorted, so that a folder gives the same order anywhere */
    int n;
} ccpl__image_set;

/* PNG/JPEG files (by extension) under dir, recursively (hidden entries and
 * symlinked folders skipped). An empty result is an error naming dir. */
ccpl_status ccpl__image_set_scan(ccpl__image_set *s, const char *dir, ccpl_error *err);
/* The union of several folders (each must hold images), sorted as a whole. */
ccpl_status ccpl__image_set_scan_dirs(ccpl__image_set *s, const char *const *dirs, int n_dirs,
                                      ccpl_error *err);
void ccpl__image_set_free(ccpl__image_set *s);

/* splitmix64 */
uint64_t ccpl__mix64(uint64_t x);

typedef struct ccpl__loader ccpl__loader;

typedef struct ccpl__loader_config {
    int batch;      /* images per batch for each set */
    int load_size;  /* 512 */
    int crop_size;  /* 256 */
    uint64_t seed;
} ccpl__loader_config;

/* Starts the background thread preparing batch first_iter. */
ccpl__loader *ccpl__loader_new(const ccpl__image_set *content, const ccpl__image_set *style,
                               const ccpl__loader_config *cfg, long first_iter, ccpl_error *err);

/* Waits for the next batch; contents and styles (batch each) then point to
 * the loader's buffers, valid until the next call. Fails when a set has no
 * readable image left to draw. */
ccpl_status ccpl__loader_next(ccpl__loader *l, const ccpl__tensor **contents,
                              const ccpl__tensor **styles, ccpl_error *err);

/* Unreadable files met so far, and the last such message. */
int ccpl__loader_skipped(ccpl__loader *l, char *last_message, size_t n);
/* The message of the k-th skipped file (0-based, in the order met: it
 * names the file and the cause) into out; 0 when fewer were skipped. */
int ccpl__loader_skip_message(ccpl__loader *l, int k, char *out, size_t n);

void ccpl__loader_free(ccpl__loader *l);

#endif
