/* net_band.c — see net_band.h. Rows are counted in the whole activation's
 * coordinates; lo[i], hi[i] are the rows [lo, hi) of a[i] one band needs. */
#include "model/net_band.h"

#include <string.h>

int ccpl__band_op_ok(const ccpl__op *op) {
    switch (op->kind) {
    case CCPL__OP_CONV:
        return (op->conv.k == 3 && op->conv.pad == 1) || (op->conv.k == 1 && op->conv.pad == 0);
    case CCPL__OP_POOL:
    case CCPL__OP_UPSAMPLE:
    case CCPL__OP_TAP: return 1;
    }
    return 0;
}

/* Rows [*s, *e) of op's input (h rows) that rows [r0, r1) of its output need. */
static void rows_needed(const ccpl__op *op, int h, int r0, int r1, int *s, int *e) {
    switch (op->kind) {
    case CCPL__OP_CONV: { /* k = 2 pad + 1: pad halo rows each side, none past the image */
        const int p = op->conv.pad;
        *s = r0 - p < 0 ? 0 : r0 - p;
        *e = r1 + p > h ? h : r1 + p;
        return;
    }
    case CCPL__OP_POOL: /* output row r is max(rows 2r, 2r+1); the last may have one */
        *s = 2 * r0;
        *e = 2 * r1 > h ? h : 2 * r1;
        return;
    case CCPL__OP_UPSAMPLE: *s = r0 / 2, *e = (r1 + 1) / 2; return;
    case CCPL__OP_TAP: *s = r0, *e = r1; return;
    }
}

/* The output row that op, run on input rows [s, ...) as a whole image,
 * writes first. */
static int first_row_out(const ccpl__op *op, int s) {
    return op->kind == CCPL__OP_POOL ? s / 2 : op->kind == CCPL__OP_UPSAMPLE ? 2 * s : s;
}

/* lo/hi of every a[first..end] for rows [r0, r1) of a[end]. */
static void band_rows(const ccpl__net *net, const ccpl__tensor *a, int first, int end, int r0,
                      int r1, int *lo, int *hi) {
    lo[end] = r0, hi[end] = r1;
    for (int i = end - 1; i >= first; i--)
        rows_needed(&net->ops[i], a[i].h, lo[i + 1], hi[i + 1], &lo[i], &hi[i]);
}

void ccpl__band_sizes(const ccpl__net *net, const ccpl__tensor *a, int first, int end, int rows,
                      int n_threads, size_t *band_floats, size_t *scratch_floats) {
    int lo[CCPL__NET_MAX_OPS + 1], hi[CCPL__NET_MAX_OPS + 1];
    size_t band = 0, scratch = 0;
    const int H = a[end].h;
    for (int r0 = 0; r0 < H; r0 += rows) {
        band_rows(net, a, first, end, r0, r0 + rows < H ? r0 + rows : H, lo, hi);
        for (int i = first; i < end; i++) {
            const ccpl__op *op = &net->ops[i];
            int c = a[i].c, h = hi[i] - lo[i], w = a[i].w;
            const size_t in = (size_t)c * h * w;
            const size_t s = ccpl__op_scratch_floats(net->be, op, h, w, n_threads);
            ccpl__op_out_shape(op, &c, &h, &w);
            const size_t out = (size_t)c * h * w; /* before the cut */
            if (in > band) band = in;
            if (out > band) band = out;
            if (s > scratch) scratch = s;
        }
    }
    *band_floats = band;
    *scratch_floats = scratch;
}

void ccpl__band_run(const ccpl__net *net, const ccpl__tensor *a, int first, int end, int rows,
                    float *const band[2], float *scratch, int n_threads) {
    int lo[CCPL__NET_MAX_OPS + 1], hi[CCPL__NET_MAX_OPS + 1];
    int last = first; /* the last op that computes (taps after it pass a[end] on) */
    for (int i = first; i < end; i++)
        if (net->ops[i].kind != CCPL__OP_TAP) last = i;
    const ccpl__tensor *x = &a[first], *y = &a[end];
    for (int r0 = 0; r0 < y->h; r0 += rows) {
        band_rows(net, a, first, end, r0, r0 + rows < y->h ? r0 + rows : y->h, lo, hi);
        /* band[0] (c, hi - lo, w) = rows [lo, hi) of every channel of the input */
        const int n_in = hi[first] - lo[first];
        for (int ch = 0; ch < x->c; ch++)
            memcpy(band[0] + (size_t)ch * n_in * x->w, x->data + ((size_t)ch * x->h + lo[first]) * x->w,
                   sizeof(float) * (size_t)n_in * x->w);
        int k = 0, s = lo[first], h = n_in;
        for (int i = first; i <= last; i++) {
            const ccpl__op *op = &net->ops[i];
            if (op->kind == CCPL__OP_TAP) continue; /* lo[i + 1] == lo[i] */
            int c = a[i].c, w = a[i].w;
            float *dst = band[k ^ 1];
            ccpl__op_forward(net->be, op, dst, band[k], 1, c, h, w, scratch, n_threads);
            ccpl__op_out_shape(op, &c, &h, &w);
            /* dst holds h rows from first_row_out; keep rows [lo, hi) of a[i + 1]:
               those next to a band edge inside the image are wrong (a reflection
               of the band) and not needed */
            const int keep = hi[i + 1] - lo[i + 1], off = lo[i + 1] - first_row_out(op, s);
            const size_t n_keep = (size_t)keep * w;
            if (i == last) { /* into the whole output */
                for (int ch = 0; ch < c; ch++)
                    memcpy(y->data + ((size_t)ch * y->h + lo[end]) * w,
                           dst + ((size_t)ch * h + off) * w, sizeof(float) * n_keep);
            } else if (keep != h) { /* cut in place: a channel never moves ahead of itself */
                for (int ch = 0; ch < c; ch++)
                    memmove(dst + ch * n_keep, dst + ((size_t)ch * h + off) * w,
                            sizeof(float) * n_keep);
            }
            s = lo[i + 1], h = keep, k ^= 1;
        }
    }
}
