/* train_model.h — a ccpl__train_model bound to checkpoints in the official
 * layouts (encoder, decoder, SCT, and the 12-module CCPL projection-head
 * list), for tests and benchmarks; the trainer binds to its own parameters. */
#ifndef CCPL_TRAIN_TRAIN_MODEL_H
#define CCPL_TRAIN_TRAIN_MODEL_H

#include "io/checkpoint.h"
#include "train/step.h"

/* The mode's networks, weights unbound: the frozen encoder, the decoder and
 * SCT (cnet, snet, a one-op uncompress net); n_taps set, heads empty. */
void ccpl__train_model_arch(ccpl__train_model *m, ccpl_mode mode);

/* Fills m (weights point into the checkpoints, which must outlive m). */
ccpl_status ccpl__train_model_bind(ccpl__train_model *m, ccpl_mode mode,
                                   const ccpl__checkpoint *enc, const ccpl__checkpoint *dec,
                                   const ccpl__checkpoint *sct, const ccpl__checkpoint *mlp,
                                   ccpl_error *err);

/* The fast engine for a bound model (`ccpl train --engine fast`, the
 * default): f->enc, a copy of the encoder prepared for training (F(2x2,3x3)
 * Winograd for its forward passes and input gradients), becomes
 * m->enc_frozen, and the decoder moves to the fast engine itself (refresh
 * it after each update: ccpl__net_refresh). Release with
 * ccpl__train_model_fast_release (m->enc_frozen is reset). Errors: out of
 * memory for the Winograd weights.
 * (The content and style passes have no backward and could take inference's
 * F(4x4,3x3); tried 2026-12-01: test_train_step's gradients then moved past
 * their tolerances -- art mlp.3 7.9e-2 against 5e-2, photo dec.11 3.9e-3
 * against 1e-3 -- so they stay on F(2x2,3x3).) */
typedef struct ccpl__train_fast {
    ccpl__net enc;
} ccpl__train_fast;

ccpl_status ccpl__train_model_use_fast(ccpl__train_model *m, ccpl__train_fast *f, ccpl_error *err);
void ccpl__train_model_fast_release(ccpl__train_model *m, ccpl__train_fast *f);

#endif
