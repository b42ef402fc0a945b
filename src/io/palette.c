/* palette.c — 256-colour palettes for GIF output through FFmpeg's
 * libavfilter: palettegen (one palette per frame, stats_mode=single) and
 * paletteuse (new=1: each frame with its own palette; default dithering),
 * the quantizer FFmpeg's own GIF recipes use. A palette per frame follows
 * the colours of a restyled video better than one for the whole clip, and
 * GIF stores one per frame. The filter graph is built for the first
 * frame's size and reused; each call pushes one RGB24 frame and pulls its
 * PAL8 result. */
#include "io/palette.h"

#include <stdlib.h>
#include <string.h>

#include "io/ffmpeg_dl.h"

struct ccpl__palette {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    AVFrame *in, *out;
    int w, h;
    long long pts;
};

ccpl__palette *ccpl__palette_new(void) {
    if (ccpl__ffmpeg_load(NULL, NULL) != CCPL_OK) return NULL;
    ccpl__palette *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (!(p->in = av_frame_alloc()) || !(p->out = av_frame_alloc())) {
        ccpl__palette_free(p);
        return NULL;
    }
    return p;
}

void ccpl__palette_free(ccpl__palette *p) {
    if (!p) return;
    avfilter_graph_free(&p->graph);
    av_frame_free(&p->in);
    av_frame_free(&p->out);
    free(p);
}

/* The graph: buffer (RGB24, w x h) -> split -> palettegen / paletteuse -> sink (PAL8). */
static int build(ccpl__palette *p, int w, int h) {
    char args[160];
    AVFilterInOut *outs = NULL, *ins = NULL;
    int e;
    avfilter_graph_free(&p->graph);
    if (!(p->graph = avfilter_graph_alloc())) return AVERROR(ENOMEM);
    p->graph->nb_threads = 1; /* one frame at a time; the stylizer has the cores */
    snprintf(args, sizeof args, "video_size=%dx%d:pix_fmt=%d:time_base=1/25:pixel_aspect=1/1", w, h,
             AV_PIX_FMT_RGB24);
    if ((e = avfilter_graph_create_filter(&p->src, avfilter_get_by_name("buffer"), "in", args, NULL,
                                          p->graph)) < 0 ||
        (e = avfilter_graph_create_filter(&p->sink, avfilter_get_by_name("buffersink"), "out", NULL,
                                          NULL, p->graph)) < 0)
        return e;
    static const enum AVPixelFormat fmts[] = {AV_PIX_FMT_PAL8, AV_PIX_FMT_NONE};
    if ((e = av_opt_set_int_list(p->sink, "pix_fmts", fmts, AV_PIX_FMT_NONE, AV_OPT_SEARCH_CHILDREN)) < 0)
        return e;
    if (!(outs = avfilter_inout_alloc()) || !(ins = avfilter_inout_alloc())) {
        e = AVERROR(ENOMEM);
        goto done;
    }
    outs->name = av_strdup("in"), outs->filter_ctx = p->src, outs->pad_idx = 0, outs->next = NULL;
    ins->name = av_strdup("out"), ins->filter_ctx = p->sink, ins->pad_idx = 0, ins->next = NULL;
    if (!outs->name || !ins->name) {
        e = AVERROR(ENOMEM);
        goto done;
    }
    e = avfilter_graph_parse_ptr(p->graph,
                                 "split[a][b];[a]palettegen=stats_mode=single:reserve_transparent=0[pal];[b][pal]paletteuse=new=1",
                                 &ins, &outs, NULL);
    if (e >= 0) e = avfilter_graph_config(p->graph, NULL);
done:
    avfilter_inout_free(&ins);
    avfilter_inout_free(&outs);
    if (e >= 0) p->w = w, p->h = h;
    return e;
}

int ccpl__palette_quantize(ccpl__palette *p, const unsigned char *rgb, int w, int h, unsigned char *index,
                           int stride, uint32_t pal[256]) {
    int e;
    if ((!p->graph || p->w != w || p->h != h) && (e = build(p, w, h)) < 0) return e;
    av_frame_unref(p->in);
    p->in->format = AV_PIX_FMT_RGB24;
    p->in->width = w;
    p->in->height = h;
    if ((e = av_frame_get_buffer(p->in, 0)) < 0) return e;
    for (int y = 0; y < h; y++)
        memcpy(p->in->data[0] + (size_t)y * p->in->linesize[0], rgb + (size_t)y * w * 3, (size_t)w * 3);
    p->in->pts = p->pts++;
    if ((e = av_buffersrc_add_frame(p->src, p->in)) < 0) return e;
    av_frame_unref(p->out);
    if ((e = av_buffersink_get_frame(p->sink, p->out)) < 0) return e; /* EAGAIN: a frame held back */
    for (int y = 0; y < h; y++)
        memcpy(index + (size_t)y * stride, p->out->data[0] + (size_t)y * p->out->linesize[0], (size_t)w);
    memcpy(pal, p->out->data[1], 256 * sizeof(uint32_t));
    return 0;
}
