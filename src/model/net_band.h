/* net_band.h — running a stretch of a network's ops in horizontal bands
 * (issue 14, peak memory).
 *
 * Run op by op, a network holds an op's input and its output at once: at
 * full resolution two 64-channel activations, 531 MB each for a 1920x1080
 * image and 2.1 GB each at 3840x2160. A stretch of ops [first, end) whose
 * activations are that large runs instead band by band: rows [r0, r1) of
 * a[end] are computed from the rows of a[first] they depend on — the band
 * widened by one halo row per side for each 3x3 convolution, doubled
 * through a pooling, halved through an upsampling — each op running on its
 * band as if the band were the whole image. The rows an op computes wrongly
 * that way (at a band edge that is not the image's, reflection padding
 * reflects the band instead of reading the neighbour row) are exactly the
 * halo rows the next op does not need, and are cut before it runs. Only two
 * band buffers are alive inside the stretch; its input a[first] and output
 * a[end] are whole activations (the caller's ping-pong slots).
 *
 * Ops that can run in bands: 3x3 convolutions with padding 1, 1x1
 * convolutions without padding, 2x2 max-pooling (ceil mode), nearest x2
 * upsampling, and taps (nothing to record: their copies are not wanted).
 * One image (N = 1). The result equals the unbanded run's up to float
 * rounding (a Winograd tile grid or an im2col block starts at each band's
 * first row), and is the same from run to run. */
#ifndef CCPL_MODEL_NET_BAND_H
#define CCPL_MODEL_NET_BAND_H

#include <stddef.h>

#include "model/net.h"

/* Whether op can run in bands (taps: only when no copies are wanted). */
int ccpl__band_op_ok(const ccpl__op *op);

/* What a banded run of ops [first, end) of net needs, with bands of `rows`
 * rows of a[end] (a: the run's planned shapes, ccpl__net_plan_shapes):
 * *band_floats for each of its two band buffers, *scratch_floats for the
 * convolution scratch. */
void ccpl__band_sizes(const ccpl__net *net, const ccpl__tensor *a, int first, int end, int rows,
                      int n_threads, size_t *band_floats, size_t *scratch_floats);

/* Runs ops [first, end) of net from a[first].data into a[end].data (whole
 * activations, N = 1) band by band, `rows` rows of a[end] per band; band[0]
 * and band[1] hold band_floats each and scratch scratch_floats, as given by
 * ccpl__band_sizes. */
void ccpl__band_run(const ccpl__net *net, const ccpl__tensor *a, int first, int end, int rows,
                    float *const band[2], float *scratch, int n_threads);

#endif
