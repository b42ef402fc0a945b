#include "model/arch.h"

#include <stdio.h>
#include <string.h>

int ccpl__feat_channels(ccpl_mode mode) { return mode == CCPL_MODE_PHOTO ? 256 : 512; }

static void add_conv(ccpl__net *net, int key, int cin, int cout, int k, int pad, int relu) {
    ccpl__op *op = &net->ops[net->n_ops++];
    memset(op, 0, sizeof *op);
    op->kind = CCPL__OP_CONV;
    op->conv.key = key, op->conv.cin = cin, op->conv.cout = cout;
    op->conv.k = k, op->conv.pad = pad, op->conv.relu = relu;
}

static void add_op(ccpl__net *net, ccpl__op_kind kind) {
    ccpl__op *op = &net->ops[net->n_ops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
}

void ccpl__arch_encoder(ccpl__net *net, ccpl_mode mode) {
    memset(net, 0, sizeof *net); /* no ops, the reference backend */
    add_conv(net, 0, 3, 3, 1, 0, 0); /* RGB[0,1] -> BGR*255 - mean, no ReLU */
    add_conv(net, 2, 3, 64, 3, 1, 1);
    add_op(net, CCPL__OP_TAP); /* relu1_1 */
    add_conv(net, 5, 64, 64, 3, 1, 1);
    add_op(net, CCPL__OP_POOL);
    add_conv(net, 9, 64, 128, 3, 1, 1);
    add_op(net, CCPL__OP_TAP); /* relu2_1 */
    add_conv(net, 12, 128, 128, 3, 1, 1);
    add_op(net, CCPL__OP_POOL);
    add_conv(net, 16, 128, 256, 3, 1, 1);
    add_op(net, CCPL__OP_TAP); /* relu3_1 */
    if (mode == CCPL_MODE_PHOTO) return;
    add_conv(net, 19, 256, 256, 3, 1, 1);
    add_conv(net, 22, 256, 256, 3, 1, 1);
    add_conv(net, 25, 256, 256, 3, 1, 1);
    add_op(net, CCPL__OP_POOL);
    add_conv(net, 29, 256, 512, 3, 1, 1);
    add_op(net, CCPL__OP_TAP); /* relu4_1 */
}

void ccpl__arch_decoder(ccpl__net *net, ccpl_mode mode) {
    memset(net, 0, sizeof *net); /* no ops, the reference backend */
    if (mode == CCPL_MODE_ART) {
        add_conv(net, 1, 512, 256, 3, 1, 1);
        add_op(net, CCPL__OP_UPSAMPLE);
        add_conv(net, 5, 256, 256, 3, 1, 1);
        add_conv(net, 8, 256, 256, 3, 1, 1);
    }
    add_conv(net, 11, 256, 256, 3, 1, 1); /* the photo decoder starts here */
    add_conv(net, 14, 256, 128, 3, 1, 1);
    add_op(net, CCPL__OP_UPSAMPLE);
    add_conv(net, 18, 128, 128, 3, 1, 1);
    add_conv(net, 21, 128, 64, 3, 1, 1);
    add_op(net, CCPL__OP_UPSAMPLE);
    add_conv(net, 25, 64, 64, 3, 1, 1);
    add_conv(net, 28, 64, 3, 3, 1, 0);
}

void ccpl__arch_cnet(ccpl__net *net, ccpl_mode mode) {
    memset(net, 0, sizeof *net); /* no ops, the reference backend */
    if (mode == CCPL_MODE_ART) {
        add_conv(net, 0, 512, 256, 1, 0, 1);
        add_conv(net, 2, 256, 128, 1, 0, 1);
        add_conv(net, 4, 128, 32, 1, 0, 0);
    } else {
        add_conv(net, 0, 256, 128, 1, 0, 1);
        add_conv(net, 2, 128, 32, 1, 0, 0);
    }
}

void ccpl__arch_snet(ccpl__net *net, ccpl_mode mode) {
    memset(net, 0, sizeof *net); /* no ops, the reference backend */
    if (mode == CCPL_MODE_ART) {
        add_conv(net, 0, 512, 256, 3, 0, 1); /* no padding */
        add_conv(net, 2, 256, 128, 3, 0, 1);
        add_conv(net, 4, 128, 32, 1, 0, 0);
    } else {
        add_conv(net, 0, 256, 128, 3, 0, 1);
        add_conv(net, 2, 128, 32, 1, 0, 0);
    }
}

void ccpl__arch_uncompress(ccpl__conv *conv, ccpl_mode mode) {
    memset(conv, 0, sizeof *conv);
    conv->key = -1;
    conv->cin = 32, conv->cout = ccpl__feat_channels(mode), conv->k = 1;
}

ccpl_status ccpl__net_bind(ccpl__net *net, const ccpl__checkpoint *ck, const char *file,
                           const char *prefix, const char *hint, ccpl_error *err) {
    for (int i = 0; i < net->n_ops; i++) {
        ccpl__op *op = &net->ops[i];
        if (op->kind != CCPL__OP_CONV) continue;
        char name[48];
        snprintf(name, sizeof name, "%s%d", prefix, op->conv.key);
        ccpl_status st = ccpl__conv_bind(&op->conv, ck, file, name, hint, err);
        if (st != CCPL_OK) return st;
    }
    return CCPL_OK;
}

int ccpl__net_uses(const ccpl__net *net, const char *prefix, const char *name) {
    for (int i = 0; i < net->n_ops; i++) {
        const ccpl__op *op = &net->ops[i];
        if (op->kind != CCPL__OP_CONV) continue;
        char w[48], b[48];
        snprintf(w, sizeof w, "%s%d.weight", prefix, op->conv.key);
        snprintf(b, sizeof b, "%s%d.bias", prefix, op->conv.key);
        if (!strcmp(name, w) || !strcmp(name, b)) return 1;
    }
    return 0;
}
