/* sct_train.h — SCT's forward with its activations kept, and its backward to
 * the SCT parameters (spec §2). The encoder is frozen and its outputs are data,
 * so no gradient is propagated into fc or fs. One sample at a time. */
#ifndef CCPL_TRAIN_SCT_TRAIN_H
#define CCPL_TRAIN_SCT_TRAIN_H

#include "model/net_train.h"
#include "model/sct_core.h"


/* The trainable SCT: cnet, snet and the 1x1 uncompress as op lists. */
typedef struct ccpl__sct_nets {
    ccpl__net cnet, snet, uncompress;
} ccpl__sct_nets;

/* Gradient buffers per op index of each net (NULL: frozen). */
typedef struct ccpl__sct_grads {
    float *cnet_w[CCPL__NET_MAX_OPS], *cnet_b[CCPL__NET_MAX_OPS];
    float *snet_w[CCPL__NET_MAX_OPS], *snet_b[CCPL__NET_MAX_OPS];
    float *un_w[CCPL__NET_MAX_OPS], *un_b[CCPL__NET_MAX_OPS];
} ccpl__sct_grads;

typedef struct ccpl__sct_trace {
    ccpl__net_trace cnet, snet, un; /* inputs: c (normalised fc), s (centred fs), g */
    float cov[CCPL__SCT_K * CCPL__SCT_K];
} ccpl__sct_trace;

void ccpl__sct_trace_free(ccpl__sct_trace *tr);

/* out (C,H,W) = uncompress(cov(snet(fs - mean fs)) . cnet((fc - mean)/std)) + mean fs.
 * out is allocated. */
ccpl_status ccpl__sct_train_forward(const ccpl__sct_nets *sct, const ccpl__tensor *fc,
                                    const ccpl__tensor *fs, ccpl__tensor *out, ccpl__sct_trace *tr,
                                    int n_threads, ccpl_error *err);

/* Accumulates the SCT parameter gradients of dout (C,H,W). */
ccpl_status ccpl__sct_train_backward(const ccpl__sct_nets *sct, const ccpl__sct_trace *tr,
                                     const ccpl__tensor *dout, const ccpl__sct_grads *g,
                                     int n_threads, ccpl_error *err);

#endif
