/* photoreal.h — the photorealism loss (issue 15; our addition to CCPL's
 * training losses, not the paper's): Luan et al.'s photorealism
 * regularisation ("Deep Photo Style Transfer", CVPR 2017, §3.2: the output
 * should be a locally affine function of the content's colours, there via
 * the Matting Laplacian) in its fast form through the guided filter (He et
 * al., TPAMI 2013; ops/guided_filter.h), content as the guide. Whatever of
 * the generated image the guided filter cannot reproduce from the content's
 * local colours (brush-like texture in flat regions) is penalised. */
#ifndef CCPL_OPS_PHOTOREAL_H
#define CCPL_OPS_PHOTOREAL_H

#include <stddef.h>

/* Bytes of scratch ccpl__photoreal_loss needs for an H x W image (0 when
 * the size overflows). */
size_t ccpl__photoreal_scratch(int H, int W);

/* One image's loss: with A the guided filter of radius r and eps (units of
 * [0,1]^2) guided by the content I (3,H,W, values in [0,1]),
 *   L = mean over (c,y,x) of (g - A g)^2,     g (3,H,W) the generated image
 * (each channel of g filtered on its own). Returns L and, when dg is not
 * NULL, ADDS gscale * dL/dg = gscale * 2/(3HW) * (res - A^T res), res =
 * g - A g, into dg (3,H,W), as train/losses.h's losses do. r >= 0, eps > 0;
 * scratch: ccpl__photoreal_scratch(H, W) bytes. */
double ccpl__photoreal_loss(float *dg, const float *g, const float *guide, int H, int W, int r,
                            float eps, float gscale, void *scratch);

#endif
