/* net.h — a feed-forward network as a list of ops (convolution, pooling,
 * upsampling, tap), run on one image (N = 1). The encoder, the decoder and
 * SCT's cnet/snet are all such lists. */
#ifndef CCPL_MODEL_NET_H
#define CCPL_MODEL_NET_H

#include "ccpl/ccpl.h"
#include "core/arena.h"
#include "core/tensor.h"
#include "io/checkpoint.h"
#include "ops/conv2d.h"

#define CCPL__NET_MAX_OPS 40
#define CCPL__NET_MAX_TAPS 4

typedef struct ccpl__conv {
    int key;         /* module index in the official Sequential (for messages) */
    int cin, cout, k;
    int pad;         /* 1: reflection-padded 3x3; 0: unpadded */
    int relu;        /* followed by ReLU */
    const float *w;  /* (cout, cin, k, k), owned by the checkpoint */
    const float *b;  /* (cout) */
    float *wino;     /* (16, cout, cin) Winograd weights (ops/conv2d_winograd.h), owned
                        by the net after ccpl__net_prepare_fast; NULL: im2col + sgemm */
    int direct;      /* 1: ops/conv2d_direct.h (few outputs), set by ccpl__net_prepare_fast */
    float *wino_t;   /* (16, cin, cout) Winograd weights of the input gradient
                        (ops/conv2d_winograd_backward.h), owned by the net after
                        ccpl__net_prepare_fast_backward; NULL: im2col */
} ccpl__conv;

typedef enum ccpl__op_kind {
    CCPL__OP_CONV,
    CCPL__OP_POOL,     /* 2x2 max-pool, ceil mode */
    CCPL__OP_UPSAMPLE, /* nearest x2 */
    CCPL__OP_TAP       /* record the current activation (relu1_1, ...) */
} ccpl__op_kind;

typedef struct ccpl__op {
    ccpl__op_kind kind;
    ccpl__conv conv; /* for CCPL__OP_CONV */
} ccpl__op;

typedef struct ccpl__net {
    int n_ops;
    ccpl__op ops[CCPL__NET_MAX_OPS];
} ccpl__net;

/* Progress across several runs: after each convolution done++ and fn is
 * called; a non-zero return cancels. */
typedef struct ccpl__progress {
    ccpl_progress_fn fn;
    void *user;
    int done, total;
} ccpl__progress;

/* The three per-op pieces both interpreters share (inference in net.c,
 * training in net_train.c), so an op kind or a kernel is added once:
 * ccpl__op_out_shape: the op's output shape from its input's, in place;
 * ccpl__op_scratch_floats: the scratch its forward needs on an (.,h,w) input
 *   with this kernel choice (0 for ops without);
 * ccpl__op_forward: dst = op(src) for a (c,h,w) input, dispatching to the
 *   kernel the net was prepared for (Winograd, direct, else im2col + sgemm);
 *   a TAP does nothing. */
void ccpl__op_out_shape(const ccpl__op *op, int *c, int *h, int *w);
size_t ccpl__op_scratch_floats(const ccpl__op *op, int h, int w, int n_threads);
void ccpl__op_forward(const ccpl__op *op, float *dst, const float *src, int c, int h, int w,
                      float *scratch, int n_threads);

/* Number of convolutions in net. */
int ccpl__net_n_convs(const ccpl__net *net);

/* Output shape of net on an (c,h,w) input, or CCPL_E_TOO_SMALL when some
 * reflection padding or unpadded convolution would not fit. `what` names the
 * input in the message ("content image", ...). */
ccpl_status ccpl__net_check(const ccpl__net *net, int c, int h, int w, int *oc, int *oh,
                            int *ow, const char *what, ccpl_error *err);

/* Runs net on x; *out receives the final activation (allocated). If taps is
 * non-NULL, taps[i] receives a copy of the i-th TAP (allocated; the caller
 * frees). progress may be NULL. */
ccpl_status ccpl__net_run(const ccpl__net *net, const ccpl__tensor *x, ccpl__tensor *out,
                          ccpl__tensor *taps, int n_threads, ccpl__progress *progress,
                          ccpl_error *err);

/* ccpl__net_run with planned memory: the intermediate activations live in
 * the arena's PING/PONG slots, the convolution scratch in its SCRATCH slot,
 * and the output in slot out_slot; every size is planned from the input
 * shape before the first op, so a repeated shape allocates nothing. *out is
 * a view into the arena (do not free it; valid until out_slot is asked for
 * again). x must not live in PING, PONG, SCRATCH or out_slot. taps (NULL or
 * room for the TAP count) receive allocated copies, as in ccpl__net_run. */
ccpl_status ccpl__net_run_arena(const ccpl__net *net, const ccpl__tensor *x, ccpl__arena *ar,
                                ccpl__slot out_slot, ccpl__tensor *out, ccpl__tensor *taps,
                                int n_threads, ccpl__progress *progress, ccpl_error *err);

/* The fast engine: precomputes Winograd weights for every 3x3 layer where
 * that path is faster (ccpl__winograd_suits), and marks the layers with few
 * outputs for the direct kernel (ccpl__direct_suits); ccpl__net_run then
 * uses them.
 * Without it (the reference engine) every layer is im2col + sgemm. */
ccpl_status ccpl__net_prepare_fast(ccpl__net *net, ccpl_error *err);
/* Training: also prepares the backward's input gradients for Winograd
 * (wino_t) where it suits; ccpl__net_backward then uses them. */
ccpl_status ccpl__net_prepare_fast_backward(ccpl__net *net, ccpl_error *err);
/* Recomputes the Winograd weights (forward and backward) of a prepared net
 * from its current weights (training: after each optimiser step). */
void ccpl__net_refresh_fast(ccpl__net *net);
/* Frees what ccpl__net_prepare_fast allocated (safe to call twice). */
void ccpl__net_release(ccpl__net *net);

/* Binds conv->w/b to "<prefix>.weight"/"<prefix>.bias" of ck with shape
 * checks; `file` and `hint` go into messages. */
ccpl_status ccpl__conv_bind(ccpl__conv *conv, const ccpl__checkpoint *ck, const char *file,
                            const char *prefix, const char *hint, ccpl_error *err);

#endif
