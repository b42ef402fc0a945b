/* sct_train.h — SCT's forward with its activations kept, and its backward to
 * the SCT parameters (spec §2). The encoder is frozen and its outputs are data,
 * so no gradient is propagated into fc or fs. One sample at a time.
 * Memory: the traces keep their buffers and every temporary comes from an
 * arena (core/arena.h), so repeated shapes allocate nothing. */
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

/* Kept between calls (a zeroed trace is ready; ccpl__sct_trace_free
 * releases it): a training step keeps one per sample of its batch. */
typedef struct ccpl__sct_trace {
    ccpl__net_trace cnet, snet, un; /* inputs: c (normalised fc), s (centred fs), g */
    float cov[CCPL__SCT_K * CCPL__SCT_K];
} ccpl__sct_trace;

void ccpl__sct_trace_free(ccpl__sct_trace *tr);

/* out (1,C,H,W) = uncompress(cov(snet(fs - mean fs)) . cnet((fc - mean)/std)) + mean fs.
 * out: a tensor of fc's shape that the caller provides (written, not
 * allocated). ar: the temporaries (slots SCT_IN, SCT_MID, SCT_COV, SCT_OUT
 * and the nets' SCRATCH; core/arena.h); fc, fs and out must not live there. */
ccpl_status ccpl__sct_train_forward(const ccpl__sct_nets *sct, const ccpl__tensor *fc,
                                    const ccpl__tensor *fs, ccpl__tensor *out, ccpl__sct_trace *tr,
                                    ccpl__arena *ar, int n_threads, ccpl_error *err);

/* Accumulates the SCT parameter gradients of dout (1,C,H,W); temporaries
 * from ar (slots SCT_IN, SCT_MID, SCT_COV and ccpl__net_backward's), where
 * dout must not live. */
ccpl_status ccpl__sct_train_backward(const ccpl__sct_nets *sct, const ccpl__sct_trace *tr,
                                     const ccpl__tensor *dout, const ccpl__sct_grads *g,
                                     ccpl__arena *ar, int n_threads, ccpl_error *err);

/* (Re)allocations the trace has made so far. */
size_t ccpl__sct_trace_allocs(const ccpl__sct_trace *tr);

#endif
