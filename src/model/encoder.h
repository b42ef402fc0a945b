/* encoder.h — the VGG encoder alone, for metrics (ccpl eval image). */
#ifndef CCPL_MODEL_ENCODER_H
#define CCPL_MODEL_ENCODER_H

#include "model/model.h"

/* Loads only the normalised VGG checkpoint (spec §1) for `mode` (art: to
 * relu4_1, 4 taps; photo: to relu3_1, 3 taps). The result is a ccpl_model
 * whose decoder and SCT are empty: use it only with ccpl__encode and free it
 * with ccpl_model_free. n_threads 0: all cores. NULL on failure, err set. */
ccpl_model *ccpl__encoder_load(const char *vgg_path, ccpl_mode mode, int n_threads,
                               ccpl_error *err);

#endif
