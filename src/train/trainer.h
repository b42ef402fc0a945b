/* trainer.h — a CCPL training run (spec §5): parameters, initialisation,
 * the iteration loop with Adam, checkpoints in the official layout and a
 * resume state. The CLI (`ccpl train`) is a thin layer over this. */
#ifndef CCPL_TRAIN_TRAINER_H
#define CCPL_TRAIN_TRAINER_H

#include <stdint.h>

#include "train/step.h"

typedef struct ccpl__train_config {
    ccpl_mode mode;
    const char *vgg;            /* encoder checkpoint (frozen) */
#define CCPL__TRAIN_MAX_DIRS 16
    const char *content_dirs[CCPL__TRAIN_MAX_DIRS]; /* their images together form the set */
    const char *style_dirs[CCPL__TRAIN_MAX_DIRS];
    int n_content_dirs, n_style_dirs;
    const char *save_dir;       /* checkpoints and resume state */
    const char *log_file;       /* CSV, or NULL */
    const char *init_decoder;   /* official layout, or the relu3_1 feature invertor (photo) */
    const char *init_sct;
    int resume;                 /* continue from save_dir's resume state */
    int freeze_decoder;         /* 0; 1: the decoder keeps its starting values (only SCT and
                                   the CCPL heads train; the decoder still passes gradients) */
    long max_iter;              /* 160000 */
    int batch;                  /* 8 */
    int load_size, crop_size;   /* 512, 256 */
    double lr, lr_decay;        /* 1e-4, 5e-5 */
    ccpl__loss_config loss;     /* 1, 10, 5, 0.07, 8, 3; identity_weight 0; photoreal_weight 0
                                   (radius 1, eps 1e-4) */
    long save_interval;         /* 10000 */
    int n_threads;
    ccpl_engine engine;         /* CCPL_ENGINE_FAST: the frozen encoder's passes over the
                                   content and style use the fast kernels; REF: im2col
                                   everywhere (the parity-tested path) */
    uint64_t seed;
    /* called after every iteration; non-zero stops the run after saving */
    int (*on_iter)(long iter, long max_iter, double lr, const ccpl__losses *l, double seconds,
                   void *user);
    /* called on the training thread once per unreadable training image (it
     * is skipped; the next draw takes its place), with a message naming the
     * file and the cause; may be NULL */
    void (*on_skip)(const char *message, void *user);
    void *user;
} ccpl__train_config;

ccpl__train_config ccpl__train_config_default(void);

/* Runs (or resumes) training to max_iter. Writes decoder_iter_N.pth.tar and
 * sct_iter_N.pth.tar every save_interval iterations and at the end, and the
 * resume state (state.pth + resume.txt) with them. skipped receives the
 * count of unreadable training images met. */
ccpl_status ccpl__train_run(const ccpl__train_config *cfg, int *skipped, ccpl_error *err);

#endif
