/* file_hint.c — see file_hint.h. A missing key alone ("missing key
 * '11.weight'") does not tell a user that the file given as the decoder is
 * the SCT, or a wrapped model, or holds no weights at all: the file's own
 * keys do, so the message quotes them. Recognition is by the keys and
 * shapes of the official layouts (spec §1-§3). */
#include "model/file_hint.h"

#include <stdio.h>
#include <string.h>

static const char *const *prefixes_of(ccpl__role role) {
    static const char *const vgg[] = {"", NULL};
    static const char *const dec[] = {"", "decoder.", "dec.", NULL};
    static const char *const sct[] = {"", "sct.", "SCT.", NULL};
    return role == CCPL__ROLE_DECODER ? dec : role == CCPL__ROLE_SCT ? sct : vgg;
}

const char *const *ccpl__role_prefixes(ccpl__role role) { return prefixes_of(role); }

const char *ccpl__role_prefix(const ccpl__checkpoint *ck, ccpl__role role) {
    /* a key every file of the role has: 11 is in decoders of both modes */
    const char *key = role == CCPL__ROLE_SCT ? "cnet.0.weight" : "11.weight";
    for (const char *const *p = prefixes_of(role); *p; p++) {
        char name[96];
        snprintf(name, sizeof name, "%s%s", *p, key);
        if (ccpl__checkpoint_find(ck, name)) return *p;
    }
    return "";
}

/* The 4-d float tensor rp + name. */
static const ccpl__tensor_entry *conv(const ccpl__checkpoint *ck, const char *rp, const char *name) {
    char key[96];
    snprintf(key, sizeof key, "%s%s", rp, name);
    const ccpl__tensor_entry *t = ccpl__checkpoint_find(ck, key);
    return t && t->ndim == 4 ? t : NULL;
}

/* 512 (art) or 256 (photo) feature channels of an SCT file, else 0. */
static int64_t sct_channels(const ccpl__checkpoint *ck, const char *rp) {
    const ccpl__tensor_entry *t;
    if ((t = conv(ck, rp, "cnet.0.weight")) || (t = conv(ck, rp, "snet.0.weight"))) return t->shape[1];
    if ((t = conv(ck, rp, "uncompress.weight"))) return t->shape[0];
    return 0;
}

static int has_prefix(const ccpl__checkpoint *ck, const char *rp, const char *prefix) {
    size_t n = strlen(rp);
    for (int i = 0; i < ck->n; i++)
        if (!ck->t[i].outside && ccpl__dtype_is_float(ck->t[i].dtype) && strncmp(ck->t[i].name, rp, n) == 0 &&
            strncmp(ck->t[i].name + n, prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

static const char *mode_hint(ccpl_mode mode) {
    return mode == CCPL_MODE_ART ? " (a photo-mode checkpoint used in art mode?)"
                                 : " (an art-mode checkpoint used in photo mode?)";
}

void ccpl__file_hint(char *buf, size_t cap, const ccpl__checkpoint *ck, ccpl__role role, ccpl_mode mode) {
    const ccpl__tensor_entry *t;
    /* in a file holding several models, the role's own keys say it */
    const char *rp = ccpl__role_prefix(ck, role);
    int sct = has_prefix(ck, rp, "cnet.") || has_prefix(ck, rp, "snet.") || has_prefix(ck, rp, "uncompress.");
    /* the VGG's first layer is the 1x1 colour conversion 3 -> 3 */
    int vgg = !sct && (t = conv(ck, rp, "0.weight")) && t->shape[0] == 3 && t->shape[1] == 3 && t->shape[2] == 1;
    /* a decoder ends in a conv to 3 channels: 28 (CCPL, AdaIN) or 15 (the
     * relu3_1 feature invertor of Universal Style Transfer) */
    int dec = !sct && !vgg && (((t = conv(ck, rp, "28.weight")) && t->shape[0] == 3) ||
                               ((t = conv(ck, rp, "15.weight")) && t->shape[0] == 3));
    int64_t ch = sct_channels(ck, rp);
    int64_t want_ch = mode == CCPL_MODE_ART ? 512 : 256;
    if (role == CCPL__ROLE_SCT && sct) {
        snprintf(buf, cap, "%s", ch == want_ch ? "" : mode_hint(mode));
        return;
    }
    if (role == CCPL__ROLE_DECODER && dec) { /* e.g. a photo decoder saved without keys 1..8 */
        snprintf(buf, cap, "%s", mode_hint(mode));
        return;
    }
    if (role == CCPL__ROLE_VGG && vgg) {
        snprintf(buf, cap, "%s", mode == CCPL_MODE_ART ? " (art mode needs the VGG up to relu4_1)" : "");
        return;
    }
    /* another kind of file, or an unknown one: what it holds */
    int floats = 0, ints = 0, outside = 0;
    for (int i = 0; i < ck->n; i++) {
        if (ck->t[i].outside) outside++;
        else if (ccpl__dtype_is_float(ck->t[i].dtype)) floats++;
        else ints++;
    }
    char holder[160] = "this file";
    if (ck->wrapping && ck->wrapping[0]) {
        char w[96];
        snprintf(w, sizeof w, "%s", ck->wrapping);
        snprintf(holder, sizeof holder, "this file's state_dict (under '%s')", w);
    }
    if (!floats) {
        if (!ck->n) snprintf(buf, cap, " (this file holds no tensors)");
        else if (!outside)
            snprintf(buf, cap, " (%s holds no float tensors, only %d integer or bool ones)", holder, ints);
        else
            snprintf(buf, cap, " (%s holds no float tensors; the file has %d integer or bool ones and %d outside "
                     "the state_dict)", holder, ints, outside);
        return;
    }
    char groups[200];
    ccpl__checkpoint_key_groups(ck, groups, sizeof groups);
    const char *kind = sct ? "SCT keys" : vgg ? "VGG encoder keys" : dec ? "decoder keys" : "keys";
    const char *what = sct ? "an SCT checkpoint" : vgg ? "the VGG encoder" : dec ? "a decoder" : NULL;
    const char *as = role == CCPL__ROLE_SCT ? "the SCT" : role == CCPL__ROLE_DECODER ? "the decoder" : "the VGG";
    if (what)
        snprintf(buf, cap, " (%s holds %s %s: %s given as %s?)", holder, kind, groups, what, as);
    else
        snprintf(buf, cap, " (%s holds %s %s)", holder, kind, groups);
}
