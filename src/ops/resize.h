/* resize.h — the reference pre-processing resampler: PIL 9.4's
 * Image.resize(..., BILINEAR) on 8-bit RGB, bit for bit, and torchvision
 * 0.14's Resize(int) / CenterCrop(int) geometry. */
#ifndef CCPL_OPS_RESIZE_H
#define CCPL_OPS_RESIZE_H

#include "ccpl/ccpl.h"

/* torchvision's Resize(size) output for a w x h image: the shorter side
 * becomes size, the longer int(size * long / short) (truncated, computed in
 * double as Python does). Results may exceed int range checks of the caller:
 * they are returned as long long. size > 0. */
void ccpl__resize_shorter_dims(int w, int h, int size, long long *out_w, long long *out_h);

/* Antialiased bilinear resampling of (inH, inW, 3) uint8 into (outH, outW, 3)
 * uint8, as PIL's ImagingResample with the triangle filter and box
 * (0, 0, inW, inH): horizontal pass then vertical pass, each skipped when its
 * size is unchanged, 8-bit intermediate, coefficients in fixed point with
 * 22 fractional bits. All sizes > 0. Returns CCPL_E_NOMEM when scratch memory
 * cannot be had (sizes overflow or malloc fails), else CCPL_OK. */
ccpl_status ccpl__resample_bilinear(unsigned char *out, int outW, int outH,
                                    const unsigned char *in, int inW, int inH);

/* torchvision's CenterCrop(cropH, cropW) on (inH, inW, 3) uint8 into
 * (cropH, cropW, 3): zero padding (left/top = deficit // 2) where the image is
 * smaller than the crop, then top = int(round((H - cropH) / 2.0)) with
 * Python's round-half-to-even, left likewise. Never fails. */
void ccpl__center_crop(unsigned char *out, int cropW, int cropH,
                       const unsigned char *in, int inW, int inH);

#endif
