/* net_train.h — a network's forward pass that keeps its activations, and the
 * backward pass through the same op list (training, issue 3). One image at a
 * time (N = 1): a batch is a loop whose parameter gradients accumulate. */
#ifndef CCPL_MODEL_NET_TRAIN_H
#define CCPL_MODEL_NET_TRAIN_H

#include "model/net.h"

/* a[i] is the input of op i and a[n_ops] the output; a TAP's output is its
 * input (shared, not copied). Owned by the trace. */
typedef struct ccpl__net_trace {
    int n_ops;
    ccpl__tensor a[CCPL__NET_MAX_OPS + 1];
    unsigned char shared[CCPL__NET_MAX_OPS + 1]; /* a[i] aliases a[i-1] */
} ccpl__net_trace;

void ccpl__net_trace_free(ccpl__net_trace *tr);

/* Runs net on x keeping every activation. taps (NULL or room for the net's
 * TAP count) receive views into the trace (not copies: do not free them). */
ccpl_status ccpl__net_forward_trace(const ccpl__net *net, const ccpl__tensor *x,
                                    ccpl__net_trace *tr, const ccpl__tensor **taps, int n_threads,
                                    ccpl_error *err);

/* Backward through the traced pass. dout: gradient of the output (NULL: none,
 * e.g. when the loss only reads taps). dtaps: NULL, or per TAP a gradient
 * (entries with data NULL are none) added where the tap was taken.
 * dx: NULL (input frozen) or an allocated (c,h,w) of the input's shape that
 * the input gradient is ADDED to. dw, db: NULL (net frozen) or per op index
 * the conv's weight/bias gradient buffers to accumulate into (NULL entries:
 * that layer frozen). */
ccpl_status ccpl__net_backward(const ccpl__net *net, const ccpl__net_trace *tr,
                               const ccpl__tensor *dout, const ccpl__tensor *dtaps, ccpl__tensor *dx,
                               float *const *dw, float *const *db, int n_threads,
                               ccpl_error *err);

#endif
