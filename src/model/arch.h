/* arch.h — the CCPL networks of spec §1-§3 as op lists, and the checkpoint
 * keys each one reads. */
#ifndef CCPL_MODEL_ARCH_H
#define CCPL_MODEL_ARCH_H

#include "model/net.h"

/* Channels of the fused features: 512 (art, relu4_1) or 256 (photo, relu3_1). */
int ccpl__feat_channels(ccpl_mode mode);

/* Normalised VGG-19 up to relu4_1 (art) or relu3_1 (photo), with a TAP after
 * each of relu1_1, relu2_1, relu3_1(, relu4_1). Weights unbound. */
void ccpl__arch_encoder(ccpl__net *net, ccpl_mode mode);

/* The decoder (art: keys 1..28; photo: keys 11..28). Weights unbound. */
void ccpl__arch_decoder(ccpl__net *net, ccpl_mode mode);

/* SCT's content and style compressors. Weights unbound. */
void ccpl__arch_cnet(ccpl__net *net, ccpl_mode mode);
void ccpl__arch_snet(ccpl__net *net, ccpl_mode mode);
/* uncompress: 1x1 conv 32 -> C. */
void ccpl__arch_uncompress(ccpl__conv *conv, ccpl_mode mode);

/* Binds every conv of net to ck under "<prefix><key>" ("" for the VGG and
 * the decoder, "cnet." / "snet." for SCT). */
ccpl_status ccpl__net_bind(ccpl__net *net, const ccpl__checkpoint *ck, const char *file,
                           const char *prefix, const char *hint, ccpl_error *err);

/* Whether `name` ("2.weight", "cnet.0.bias", ...) is read by net under prefix. */
int ccpl__net_uses(const ccpl__net *net, const char *prefix, const char *name);

#endif
