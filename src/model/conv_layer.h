/* conv_layer.h — one convolution layer of a network: its shape, its fused
 * ReLU and its weights (spec §1 tables). What a backend prepared for it
 * (e.g. Winograd-transformed weights) hangs off `prep`, owned by that
 * backend (backend/backend.h). */
#ifndef CCPL_MODEL_CONV_LAYER_H
#define CCPL_MODEL_CONV_LAYER_H

typedef struct ccpl__conv {
    int key;         /* module index in the official Sequential (for messages) */
    int cin, cout, k;
    int pad;         /* 1: reflection-padded 3x3; 0: unpadded */
    int relu;        /* followed by ReLU */
    const float *w;  /* (cout, cin, k, k), owned by the checkpoint or the trainer */
    const float *b;  /* (cout) */
    void *prep;      /* the backend's per-layer data, NULL when it has none */
} ccpl__conv;

#endif
