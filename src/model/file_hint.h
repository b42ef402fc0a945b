/* file_hint.h — what a checkpoint holds, said when it does not fit the role
 * it was given for (the VGG, the decoder, the SCT), and where a role's keys
 * are in a file that holds several models. */
#ifndef CCPL_MODEL_FILE_HINT_H
#define CCPL_MODEL_FILE_HINT_H

#include <stddef.h>

#include "ccpl/ccpl.h"
#include "io/checkpoint.h"

typedef enum ccpl__role { CCPL__ROLE_VGG, CCPL__ROLE_DECODER, CCPL__ROLE_SCT } ccpl__role;

/* The hint that ends a missing-key or shape message for a file given as
 * `role` in `mode`, starting with a space (or empty): the wrong mode of the
 * right kind of file (" (a photo-mode checkpoint used in art mode?)"),
 * another kind of file (" (this file holds SCT keys cnet.*, snet.*,
 * uncompress.*: an SCT checkpoint given as the decoder?)"), or what the file
 * holds when it is none of them. */
void ccpl__file_hint(char *buf, size_t cap, const ccpl__checkpoint *ck, ccpl__role role, ccpl_mode mode);

/* Names under which a file holding several models keeps this role's keys
 * ({'decoder': sd1, 'sct': sd2}, or a training script's whole net with keys
 * "decoder.1.weight", "SCT.cnet.0.weight"), NULL-terminated; "" first. */
const char *const *ccpl__role_prefixes(ccpl__role role);

/* The first of the role's prefixes under which ck holds a key every file of
 * the role has (the VGG's: always ""), or "" when none does. */
const char *ccpl__role_prefix(const ccpl__checkpoint *ck, ccpl__role role);

#endif
