/* coral.h — colour transfer for "preserve colour" (spec §4). */
#ifndef CCPL_OPS_CORAL_H
#define CCPL_OPS_CORAL_H

#include "ccpl/ccpl.h"

/* Recolours `source` (3,Hs,Ws) in place to the colour statistics of `target`
 * (3,Ht,Wt), exactly as pytorch-AdaIN's function.coral (which CCPL's test.py
 * uses): per-channel standardisation with the unbiased std, covariance
 * f f^T + I (not divided by the pixel count), matrix square roots through an
 * eigen/SVD decomposition of the symmetric 3x3 matrices, computed in double.
 * Fails (CCPL_E_INVALID_ARGUMENT) when an image has fewer than 2 pixels. */
ccpl_status ccpl__coral(float *source, int Hs, int Ws, const float *target, int Ht, int Wt,
                        ccpl_error *err);

#endif
