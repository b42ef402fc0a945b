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

#endif
