/* image_internal.h — float-image helpers shared by the model and the CLI. */
#ifndef CCPL_IO_IMAGE_INTERNAL_H
#define CCPL_IO_IMAGE_INTERNAL_H

#include "ccpl/ccpl.h"

/* (H,W,3) uint8 -> (3,H,W) float in [0,1] as torchvision's ToTensor: x/255. */
void ccpl__image_to_chw(const ccpl_image *img, float *out);

/* (3,H,W) float -> (H,W,3) uint8: clamp to [0,1], then floor(x*255 + 0.5)
 * (torchvision's save_image). Reads a h x w window of a (3,srcH,srcW) tensor
 * whose top-left corner is the image's, so the decoder's padded output can be
 * cropped while quantising. */
void ccpl__chw_to_image(const float *in, int srcH, int srcW, ccpl_image *img);

#endif
