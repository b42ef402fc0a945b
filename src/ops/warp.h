/* warp.h — backward warping by optical flow (bilinear sampling). */
#ifndef CCPL_OPS_WARP_H
#define CCPL_OPS_WARP_H

/* For a flow from frame t to frame t+1 (flow (H,W,2) = (u,v) in pixels) and
 * src = frame t+1 (C,H,W):
 *
 *   out[c,y,x] = src[c](x + u(y,x), y + v(y,x))
 *
 * sampled bilinearly with pixel centres at integer coordinates (as
 * grid_sample with align_corners=True in pixel units). valid[y*W+x] = 1 when
 * the sample point lies inside [0,W-1] x [0,H-1] and the flow is finite and
 * below CCPL__FLOW_UNKNOWN (1e9); otherwise 0 and out is 0 there. */
void ccpl__warp_backward(float *out, unsigned char *valid, const float *src, const float *flow,
                         int C, int H, int W);

#endif
