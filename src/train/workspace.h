/* workspace.h — the memory of a training step, kept from one iteration to
 * the next (issue 14, "planned memory").
 *
 * A training step used to malloc and free every activation, trace, gradient
 * and scratch buffer (tens to hundreds of MB each) every iteration. glibc
 * serves such blocks with fresh mmap()s and unmaps them at free(), so each
 * iteration page-faulted and zeroed all of it again: about 540 000 page
 * faults and 3 s of system time per iteration of art, batch 4, 256x256 on
 * one thread. The CLI hid that with a process-wide mallopt, which a program
 * embedding the library does not get.
 *
 * The workspace is owned by whoever runs the steps (the trainer, a
 * benchmark, a test) and passed to every ccpl__train_step explicitly: no
 * hidden or global state. It is planned by role, not a general caching
 * allocator:
 * - buffers whose contents live across the phases of a step are named
 *   fields below (the batch, the encoder's features, SCT's output, the
 *   traces of the decoder and of the encoder over the generated images,
 *   the gradients flowing back), one ccpl__buf or trace each, so a buffer
 *   always has the same role and shape from one iteration to the next;
 * - temporaries whose lifetimes end within one phase (the frozen encoder's
 *   ping-pong activations, every convolution's scratch, the backward
 *   passes' running gradients, SCT's intermediates) share the slots of one
 *   arena, so the largest of them is held once and the step's peak memory
 *   is what it was with malloc, not the sum of its phases.
 * Every buffer is grown only when a larger size is asked for, so while the
 * batch size and crop repeat, a step allocates nothing (tests/test_train_ws.c
 * checks it with ccpl__train_ws_allocs). A smaller shape reuses the larger
 * buffers; memory is given back by ccpl__train_ws_release only.
 *
 * A zeroed workspace is empty and ready (memset, or = {0} for a static).
 * One workspace serves one step at a time. */
#ifndef CCPL_TRAIN_WORKSPACE_H
#define CCPL_TRAIN_WORKSPACE_H

#include "core/arena.h"
#include "core/buf.h"
#include "train/sct_train.h"

typedef struct ccpl__train_ws {
    ccpl__arena tmp;                                     /* the phases' temporaries */
    ccpl__buf xc, xs;                                    /* (N,3,H,W) contents, styles */
    ccpl__buf fc[CCPL__NET_MAX_TAPS], fs[CCPL__NET_MAX_TAPS]; /* their encoder taps (N,C,h,w) */
    ccpl__buf t, dt;                                     /* SCT's output and its gradient */
    ccpl__net_trace dec, enc;                            /* decoder over t; encoder over its images */
    ccpl__buf dG[CCPL__NET_MAX_TAPS], dimg;              /* gradients: generated features, images */
    ccpl__buf loss;                                      /* the losses' scratch */
    ccpl__buf fid, dfid;                                 /* SCT identity loss: one sample's
                                                            SCT(fc, fc) and its gradient */
    ccpl__sct_trace sct_id;                              /* its trace, reused per sample */
    ccpl__buf pr;                                        /* photorealism loss: one image's
                                                            scratch (ops/photoreal.h) */
    ccpl__sct_trace *sct;                                /* one per sample, n_sct of them */
    int n_sct;
    size_t sct_allocs; /* (re)allocations of the sct array */
} ccpl__train_ws;

/* Room for n per-sample SCT traces in ws->sct (the kept ones stay). */
ccpl_status ccpl__train_ws_reserve_sct(ccpl__train_ws *ws, int n, ccpl_error *err);

/* Allocations the workspace has made since it was empty (its buffers,
 * traces and arena): unchanged by a step whose shapes it has seen. */
size_t ccpl__train_ws_allocs(const ccpl__train_ws *ws);

/* Frees every buffer; ws is then empty (zeroed) and usable. */
void ccpl__train_ws_release(ccpl__train_ws *ws);

#endif
