/* arena.h — planned, reusable memory for inference and for a training
 * step's temporaries (issue 14, "planned memory").
 *
 * A model owns one arena: a fixed set of float buffers ("slots"), each with
 * one role in a stylization (the ping-pong activations of a network run, the
 * convolution scratch, the content features, SCT's intermediates, ...). A
 * run first plans the size each slot needs for its input shape, then asks
 * for it; a slot is only reallocated when a larger size is asked for, so a
 * second call with the same shapes touches no new memory: no allocation,
 * no page faults. Without it every op allocated its output, and glibc
 * unmapped and faulted in tens of MB per op (655 k page faults and 6 s of
 * system time for one 512x512 art stylization on an AVX-512 machine).
 *
 * Memory held between calls: the slots of the largest shape run so far
 * (ccpl_model_release_memory gives it back). One arena serves one thread at
 * a time, as the model does.
 *
 * Training (train/workspace.h) uses the same slots for the temporaries of
 * its phases, whose lifetimes do not overlap: the frozen encoder's plain
 * runs (PING, PONG, FEAT), every convolution's scratch, the backward
 * passes' gradients (PING, PONG, GRAD_PRE) and SCT's per-sample
 * intermediates (SCT_*), so the largest of them is held once, not once
 * per phase. */
#ifndef CCPL_CORE_ARENA_H
#define CCPL_CORE_ARENA_H

#include <stddef.h>

typedef enum ccpl__slot {
    CCPL__SLOT_SCRATCH, /* convolution scratch (im2col, Winograd tiles) */
    CCPL__SLOT_PING,    /* a network run's activations alternate between */
    CCPL__SLOT_PONG,    /*   these two */
    CCPL__SLOT_FEAT,    /* encoder output: content or style features */
    CCPL__SLOT_SCT_IN,  /* SCT: normalised content / centred style features
                           (training: the normalised content; backward: d cnet out) */
    CCPL__SLOT_SCT_MID, /* SCT: cnet / snet output (training: the centred style;
                           backward: d snet out) */
    CCPL__SLOT_SCT_COV, /* SCT: cov . c' (training: the same; backward: its gradient) */
    CCPL__SLOT_SCT_OUT, /* SCT output (one style) (training: the per-channel statistics) */
    CCPL__SLOT_MIX,     /* the weighted sum over styles, blended with alpha */
    CCPL__SLOT_BAND_A,  /* a network run's bands (model/net_band.h) alternate */
    CCPL__SLOT_BAND_B,  /*   between these two */
    CCPL__SLOT_GRAD_PRE, /* training backward: the gradient before a fused ReLU */
    CCPL__N_SLOTS
} ccpl__slot;

typedef struct ccpl__arena {
    float *buf[CCPL__N_SLOTS];
    size_t cap[CCPL__N_SLOTS]; /* floats */
    size_t allocs;             /* (re)allocations so far, all slots */
} ccpl__arena;

/* The slot's buffer with room for at least n floats (n == 0 is treated as
 * 1), reallocated only when it is smaller; its contents are undefined. NULL
 * when memory runs out (the slot is then empty). */
float *ccpl__arena_get(ccpl__arena *a, ccpl__slot slot, size_t n);

/* Frees every slot (the arena stays usable; allocs is kept). */
void ccpl__arena_release(ccpl__arena *a);

/* Bytes held by all slots. */
size_t ccpl__arena_bytes(const ccpl__arena *a);

#endif
