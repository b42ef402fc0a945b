/* net_train.h — a network's forward pass that keeps its activations, and the
 * backward pass through the same op list (training, issue 3). A batch of N
 * images runs per op; parameter gradients accumulate over it.
 *
 * Memory (issue 14, "planned memory"): a trace keeps its buffers between
 * passes, each grown only for a larger shape, and both passes take their
 * temporaries (convolution scratch; the backward's gradients) from an arena,
 * so a training loop whose shapes repeat allocates nothing after its first
 * iteration. */
#ifndef CCPL_MODEL_NET_TRAIN_H
#define CCPL_MODEL_NET_TRAIN_H

#include "core/buf.h"
#include "model/net.h"

/* a[i] is the input of op i and a[n_ops] the output; a TAP's output is its
 * input (shared, not copied). a[i] are views into mem[i], which the trace
 * owns and keeps. A trace starts zeroed (memset, or = {0} for a static) and
 * is freed with ccpl__net_trace_free; in between it may be passed to any
 * number of forward passes, of any net and shape. */
typedef struct ccpl__net_trace {
    int n_ops;
    ccpl__tensor a[CCPL__NET_MAX_OPS + 1];
    unsigned char shared[CCPL__NET_MAX_OPS + 1]; /* a[i] aliases a[i-1] */
    ccpl__buf mem[CCPL__NET_MAX_OPS + 1];        /* a[i]'s storage */
} ccpl__net_trace;

void ccpl__net_trace_free(ccpl__net_trace *tr);

/* (Re)allocations the trace has made so far. */
size_t ccpl__net_trace_allocs(const ccpl__net_trace *tr);

/* Runs net on x (n,c,h,w) keeping every activation in tr (see above). taps
 * (NULL or room for the net's TAP count) receive views into the trace (not
 * copies: do not free them). ar: where the convolution scratch comes from
 * (its SCRATCH slot), or NULL to allocate and free it in this call. */
ccpl_status ccpl__net_forward_trace(const ccpl__net *net, const ccpl__tensor *x,
                                    ccpl__net_trace *tr, const ccpl__tensor **taps,
                                    ccpl__arena *ar, int n_threads, ccpl_error *err);

/* Backward through the traced pass. dout: gradient of the output (NULL: none,
 * e.g. when the loss only reads taps). dtaps: NULL, or per TAP a gradient
 * (entries with data NULL are none) added where the tap was taken.
 * dx: NULL (input frozen) or a tensor of the input's shape that the input
 * gradient is ADDED to. dw, db: NULL (net frozen) or per op index the conv's
 * weight/bias gradient buffers to accumulate into (NULL entries: that layer
 * frozen). ar: where the temporaries come from (slots PING and PONG: the
 * current and the input gradient, GRAD_PRE, SCRATCH; all sized for the
 * largest before the first op), or NULL to allocate and free them in this
 * call. dout, dtaps and dx must not live in those slots. */
ccpl_status ccpl__net_backward(const ccpl__net *net, const ccpl__net_trace *tr,
                               const ccpl__tensor *dout, const ccpl__tensor *dtaps, ccpl__tensor *dx,
                               float *const *dw, float *const *db, ccpl__arena *ar, int n_threads,
                               ccpl_error *err);

#endif
