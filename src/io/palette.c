/* palette.c — median cut (Heckbert) on a 32x32x32 histogram: the box with
 * the most pixels times its longest side is split at the pixel median of
 * that side until there are 256 boxes; each box's colour is the mean of its
 * pixels. Cells are sorted with a counting sort on one 5-bit channel, so a
 * split is linear in the cells of the box. */
#include "io/palette.h"

#include <stdlib.h>
#include <string.h>

#define CELLS 32768 /* 5 bits per channel */

typedef struct box {
    int lo, hi;         /* cells[lo..hi) */
    unsigned long long n; /* pixels */
    int axis, extent;   /* longest side (0 r, 1 g, 2 b) and its length in cells */
} box;

struct ccpl__palette {
    unsigned count[CELLS];
    unsigned long long sum[CELLS][3];
    int cells[CELLS], tmp[CELLS];
    unsigned char lut[CELLS]; /* cell -> palette index */
    box boxes[256];
};

ccpl__palette *ccpl__palette_new(void) { return calloc(1, sizeof(ccpl__palette)); }
void ccpl__palette_free(ccpl__palette *p) { free(p); }

static int channel(int cell, int axis) { return (cell >> (10 - 5 * axis)) & 31; }

static void measure(ccpl__palette *p, box *b) {
    int lo[3] = {31, 31, 31}, hi[3] = {0, 0, 0};
    b->n = 0;
    for (int i = b->lo; i < b->hi; i++) {
        int c = p->cells[i];
        b->n += p->count[c];
        for (int a = 0; a < 3; a++) {
            int v = channel(c, a);
            if (v < lo[a]) lo[a] = v;
            if (v > hi[a]) hi[a] = v;
        }
    }
    b->axis = 0;
    for (int a = 1; a < 3; a++)
        if (hi[a] - lo[a] > hi[b->axis] - lo[b->axis]) b->axis = a;
    b->extent = hi[b->axis] - lo[b->axis];
}

/* Splits b at the pixel median of its longest side into b and nb. */
static void split(ccpl__palette *p, box *b, box *nb) {
    int start[33] = {0};
    for (int i = b->lo; i < b->hi; i++) start[channel(p->cells[i], b->axis) + 1]++;
    for (int v = 0; v < 32; v++) start[v + 1] += start[v];
    for (int i = b->lo; i < b->hi; i++) p->tmp[b->lo + start[channel(p->cells[i], b->axis)]++] = p->cells[i];
    memcpy(p->cells + b->lo, p->tmp + b->lo, sizeof(int) * (size_t)(b->hi - b->lo));
    unsigned long long acc = 0;
    int k = b->lo;
    while (k < b->hi - 1 && (acc += p->count[p->cells[k]]) < b->n / 2) k++;
    if (k > b->hi - 2) k = b->hi - 2;
    k++; /* both halves keep at least one cell */
    nb->lo = k;
    nb->hi = b->hi;
    b->hi = k;
    measure(p, b);
    measure(p, nb);
}

void ccpl__palette_quantize(ccpl__palette *p, const unsigned char *rgb, int w, int h, unsigned char *index,
                            int stride, uint32_t pal[256]) {
    memset(p->count, 0, sizeof p->count);
    memset(p->sum, 0, sizeof p->sum);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const unsigned char *px = rgb + 3 * i;
        int c = (px[0] >> 3) << 10 | (px[1] >> 3) << 5 | px[2] >> 3;
        p->count[c]++;
        p->sum[c][0] += px[0];
        p->sum[c][1] += px[1];
        p->sum[c][2] += px[2];
    }
    int n_cells = 0;
    for (int c = 0; c < CELLS; c++)
        if (p->count[c]) p->cells[n_cells++] = c;
    int n_boxes = 1;
    p->boxes[0].lo = 0;
    p->boxes[0].hi = n_cells;
    measure(p, &p->boxes[0]);
    while (n_boxes < 256) {
        int best = -1;
        double best_score = 0;
        for (int i = 0; i < n_boxes; i++) {
            double score = (double)p->boxes[i].n * p->boxes[i].extent;
            if (p->boxes[i].hi - p->boxes[i].lo > 1 && score > best_score) best = i, best_score = score;
        }
        if (best < 0) break; /* every box is one cell */
        split(p, &p->boxes[best], &p->boxes[n_boxes++]);
    }
    int col[256][3];
    for (int i = 0; i < 256; i++) {
        pal[i] = 0xFF000000u;
        col[i][0] = col[i][1] = col[i][2] = 0;
    }
    for (int i = 0; i < n_boxes; i++) {
        unsigned long long s[3] = {0, 0, 0};
        const box *b = &p->boxes[i];
        for (int k = b->lo; k < b->hi; k++)
            for (int a = 0; a < 3; a++) s[a] += p->sum[p->cells[k]][a];
        for (int a = 0; a < 3; a++) col[i][a] = b->n ? (int)((s[a] + b->n / 2) / b->n) : 0;
        pal[i] = 0xFF000000u | (uint32_t)col[i][0] << 16 | (uint32_t)col[i][1] << 8 | (uint32_t)col[i][2];
    }
    /* nearest palette colour to each used cell's mean colour */
    for (int k = 0; k < n_cells; k++) {
        int c = p->cells[k];
        long long n = p->count[c];
        int m[3] = {(int)(p->sum[c][0] / n), (int)(p->sum[c][1] / n), (int)(p->sum[c][2] / n)};
        int best = 0, best_d = 1 << 30;
        for (int i = 0; i < n_boxes; i++) {
            int dr = m[0] - col[i][0], dg = m[1] - col[i][1], db = m[2] - col[i][2];
            int d = dr * dr + dg * dg + db * db;
            if (d < best_d) best = i, best_d = d;
        }
        p->lut[c] = (unsigned char)best;
    }
    for (int y = 0; y < h; y++) {
        const unsigned char *px = rgb + (size_t)3 * w * y;
        unsigned char *out = index + (size_t)stride * y;
        for (int x = 0; x < w; x++, px += 3) out[x] = p->lut[(px[0] >> 3) << 10 | (px[1] >> 3) << 5 | px[2] >> 3];
    }
}
