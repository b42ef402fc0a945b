/* net.h — a feed-forward network as a list of ops (convolution, pooling,
 * upsampling, tap), run on one image (N = 1). The encoder, the decoder and
 * SCT's cnet/snet are all such lists. */
#ifndef CCPL_MODEL_NET_H
#define CCPL_MODEL_NET_H

#include "ccpl/ccpl.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/tensor.h"
#include "io/checkpoint.h"
#include "backend/backend.h"
#include "model/conv_layer.h"
#include "ops/conv2d.h"

#define CCPL__NET_MAX_OPS 40
#define CCPL__NET_MAX_TAPS 4

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
    const ccpl__backend *be; /* the backend its ops run on (NULL: the reference);
                                set with ccpl__net_set_backend */
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
 * ccpl__op_scratch_floats: the scratch its forward needs on an (.,.,h,w)
 *   input on backend be (0 for ops without);
 * ccpl__op_forward: dst = op(src) for an (n,c,h,w) input on backend be (the
 *   reference where be declines the layer); a TAP does nothing. */
void ccpl__op_out_shape(const ccpl__op *op, int *c, int *h, int *w);
size_t ccpl__op_scratch_floats(const ccpl__backend *be, const ccpl__op *op, int h, int w,
                               int n_threads);
void ccpl__op_forward(const ccpl__backend *be, const ccpl__op *op, float *dst, const float *src,
                      int n, int c, int h, int w, float *scratch, int n_threads);

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

/* The interpreter, shared by inference and training. A run is planned as
 * an array a[0..n_ops] of tensors: a[0] the input, a[i+1] op i's output (a
 * TAP's output is its input). ccpl__net_plan_shapes fills their shapes from
 * x's (data NULL) and returns the largest convolution scratch in floats;
 * the caller then points every a[i].data at memory (inference: two
 * ping-pong slots; training: one buffer per op, kept for the backward) and
 * ccpl__net_execute runs the ops in order. tap_copies (NULL or room for the
 * TAP count) receive allocated copies of the tapped activations. */
size_t ccpl__net_plan_shapes(const ccpl__net *net, const ccpl__tensor *x, ccpl__tensor *a,
                             int n_threads);
ccpl_status ccpl__net_execute(const ccpl__net *net, ccpl__tensor *a, float *scratch,
                              ccpl__tensor *tap_copies, int n_threads, ccpl__progress *progress,
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

/* ccpl__net_run_arena whose tap copies are kept between calls: taps[i] is
 * a view into tap_mem[i] (room for the TAP count), grown only for a larger
 * shape (training: the frozen encoder's features of every batch,
 * train/workspace.h). No progress. */
ccpl_status ccpl__net_run_arena_kept_taps(const ccpl__net *net, const ccpl__tensor *x,
                                          ccpl__arena *ar, ccpl__slot out_slot, ccpl__tensor *out,
                                          ccpl__tensor *taps, ccpl__buf *tap_mem, int n_threads,
                                          ccpl_error *err);

/* Row bands (model/net_band.h). ccpl__net_run_arena runs in bands the ops
 * around every intermediate activation of more than 3/4 of the largest's
 * floats once the largest holds more than CCPL__BAND_FROM floats (a 64 x
 * 724 x 724 activation: a 512x512 image is not banded), with as many rows
 * per band as keep a band of the largest near CCPL__BAND_TARGET floats (a
 * 1920x1080 image: 8 bands). Nothing else changes: the result equals the
 * unbanded run's up to float rounding. */
#define CCPL__BAND_FROM ((size_t)32 << 20)
#define CCPL__BAND_TARGET ((size_t)16 << 20)
#define CCPL__BAND_AUTO ((size_t)0)

/* ccpl__net_run_arena with the banding chosen by the caller (tests): the
 * ops around every intermediate activation of more than band_above floats
 * run in bands of band_rows rows of the stretch's output (band_rows <= 0:
 * near CCPL__BAND_TARGET floats a band); band_above SIZE_MAX: no bands,
 * CCPL__BAND_AUTO: ccpl__net_run_arena's choice. */
ccpl_status ccpl__net_run_arena_bands(const ccpl__net *net, const ccpl__tensor *x, ccpl__arena *ar,
                                      ccpl__slot out_slot, ccpl__tensor *out, ccpl__tensor *taps,
                                      int n_threads, ccpl__progress *progress, size_t band_above,
                                      int band_rows, ccpl_error *err);

/* Puts net on backend be (NULL: the reference): releases what the previous
 * backend prepared, then lets be prepare every convolution (Winograd weights
 * for the fast backend; training: also for the input gradients). */
ccpl_status ccpl__net_set_backend(ccpl__net *net, const ccpl__backend *be, int training,
                                  ccpl_error *err);
/* Recomputes what the backend prepared from the current weights (training:
 * after each optimiser step). */
void ccpl__net_refresh(ccpl__net *net);
/* Frees what the backend prepared; net is then on the reference (safe to
 * call twice). */
void ccpl__net_release(ccpl__net *net);

/* Binds conv->w/b to "<prefix>.weight"/"<prefix>.bias" of ck with shape
 * checks; `file` and `hint` go into messages. */
ccpl_status ccpl__conv_bind(ccpl__conv *conv, const ccpl__checkpoint *ck, const char *file,
                            const char *prefix, const char *hint, ccpl_error *err);

#endif
