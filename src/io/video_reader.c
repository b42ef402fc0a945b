/* video_reader.c — libavformat demuxing, libavcodec decoding, libswscale
 * conversion of decoded frames (any pixel format, colour matrix and range)
 * to packed RGB24, turned the way the container's display matrix says. */
#include "io/video_reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/ffmpeg_dl.h"

struct ccpl__video_reader {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt;    /* source geometry the scaler was made for */
    int sws_cs, sws_range;
    int stream;                    /* index of the video stream */
    int out_w, out_h;              /* 0: coded size */
    int flushing, finished;
    long long pos;                 /* position of the last frame returned (-1: none) */
    int64_t start;                 /* first timestamp, in the stream's time base */
    long long max_pixels;          /* frames with more pixels are refused */
    /* display orientation: coded pixel (x, y) shows at (ma*x + mc*y, mb*x +
     * md*y) shifted into the frame; a signed permutation (identity: 1 0 0 1) */
    int ma, mb, mc, md;
    unsigned char *turn;           /* scaled frame before it is turned */
    size_t turn_size;
    char *path;
    ccpl__video_info info;
};

void ccpl__video_quiet_logs(void) {
    if (ccpl__ffmpeg_load(NULL, NULL) != CCPL_OK) return; /* nothing to quiet */
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_QUIET);
}

static const char *averr(int e, char *buf, size_t n) {
    av_strerror(e, buf, n);
    return buf;
}

/* The display matrix of the video stream (side data; else the older
 * "rotate" tag, clockwise degrees) rounded to a quarter turn. Matrix rows
 * per libavutil/display.h: a coded point (x, y) (y down) shows at
 * (a*x + c*y, b*x + d*y); a clockwise quarter turn is a=0 b=1 c=-1 d=0. */
static void read_orientation(ccpl__video_reader *r, const AVStream *vs) {
    int32_t from_tag[9];
    size_t n = 0;
    const int32_t *m = (const int32_t *)av_stream_get_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, &n);
    if (m && n < 9 * sizeof *m) m = NULL;
    if (!m) {
        const AVDictionaryEntry *t = av_dict_get(vs->metadata, "rotate", NULL, 0);
        char *end = NULL;
        double deg = t ? strtod(t->value, &end) : 0;
        if (t && end != t->value && *end == '\0' && isfinite(deg)) {
            av_display_rotation_set(from_tag, deg);
            m = from_tag;
        }
    }
    r->ma = r->md = 1;
    r->mb = r->mc = 0;
    if (m) {
        double a = m[0], b = m[1], c = m[3], d = m[4];
        if (fabs(a) + fabs(d) >= fabs(b) + fabs(c)) {
            r->ma = a < 0 ? -1 : 1;
            r->md = d < 0 ? -1 : 1;
        } else {
            r->ma = r->md = 0;
            r->mb = b < 0 ? -1 : 1;
            r->mc = c < 0 ? -1 : 1;
        }
    }
    /* For the info: a mirrored matrix is a turn R after a left-right flip,
     * M = (-aR, -bR, cR, dR). */
    int a = r->ma, b = r->mb, c = r->mc, d = r->md;
    r->info.mirrored = a * d - b * c < 0;
    if (r->info.mirrored) a = -a, b = -b;
    r->info.rotation = a == 1 ? 0 : a == -1 ? 180 : b == 1 ? 90 : 270;
    (void)c, (void)d;
}

ccpl_status ccpl__video_reader_open(ccpl__video_reader **out, const char *path, ccpl_error *err) {
    return ccpl__video_reader_open_ex(out, path, 0, err);
}

ccpl_status ccpl__video_reader_open_ex(ccpl__video_reader **out, const char *path,
                                       long long max_pixels, ccpl_error *err) {
    char eb[128];
    *out = NULL;
    if (max_pixels < 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: max_pixels %lld is negative", path, max_pixels);
    if (max_pixels == 0 || max_pixels > CCPL_IMAGE_MAX_PIXELS) max_pixels = CCPL_IMAGE_MAX_PIXELS;
    if (ccpl__ffmpeg_load(path, err) != CCPL_OK) return CCPL_E_IO;
    ccpl__video_quiet_logs();
    ccpl__video_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = malloc(strlen(path) + 1))) {
        free(r);
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    }
    strcpy(r->path, path);
    ccpl_status st;
    AVDictionary **probe_opts = NULL;
    long long (*header_size)[2] = NULL; /* per stream, as the container states it */
    unsigned n_header = 0;
    int e = avformat_open_input(&r->fmt, path, NULL, NULL);
    if (e < 0) {
        if (e == AVERROR(ENOENT) || e == AVERROR(EACCES) || e == AVERROR(EISDIR) || e == AVERROR(EIO))
            st = ccpl__fail(err, CCPL_E_IO, "%s: %s", path, averr(e, eb, sizeof eb));
        else
            st = ccpl__fail(err, CCPL_E_FORMAT, "%s: not a readable video (truncated or unknown format: %s)", path,
                            averr(e, eb, sizeof eb));
        goto fail;
    }
    /* Probing decodes a few frames: their buffers are held to the limit
     * (libavcodec's own "max_pixels" check in its buffer allocation). A
     * stream refused there loses its size, so the sizes the container states
     * are kept from before. */
    n_header = r->fmt->nb_streams;
    if (n_header > 0 && (!(probe_opts = calloc(n_header, sizeof *probe_opts)) ||
                         !(header_size = calloc(n_header, sizeof *header_size)))) {
        free(probe_opts);
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (unsigned i = 0; i < n_header; i++) {
        header_size[i][0] = r->fmt->streams[i]->codecpar->width;
        header_size[i][1] = r->fmt->streams[i]->codecpar->height;
    }
    for (unsigned i = 0; i < n_header; i++) av_dict_set_int(&probe_opts[i], "max_pixels", max_pixels, 0);
    e = avformat_find_stream_info(r->fmt, probe_opts);
    for (unsigned i = 0; i < n_header; i++) av_dict_free(&probe_opts[i]);
    free(probe_opts);
    probe_opts = NULL;
    if (e < 0) {
        st = ccpl__fail(err, CCPL_E_FORMAT, "%s: cannot read the stream information: %s", path, averr(e, eb, sizeof eb));
        goto fail;
    }
    /* Cover art in audio files is a one-picture "video" stream: not a video. */
    r->stream = -1;
    for (unsigned i = 0; i < r->fmt->nb_streams; i++) {
        AVStream *s = r->fmt->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) r->info.has_audio = 1;
        if (s->codecpar->codec_type != AVMEDIA_TYPE_VIDEO || (s->disposition & AV_DISPOSITION_ATTACHED_PIC))
            s->discard = AVDISCARD_ALL;
    }
    const AVCodec *codec = NULL;
    e = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (e == AVERROR_STREAM_NOT_FOUND || (e >= 0 && (r->fmt->streams[e]->disposition & AV_DISPOSITION_ATTACHED_PIC))) {
        st = ccpl__fail(err, CCPL_E_FORMAT, "%s: no video stream", path);
        goto fail;
    }
    if (e < 0 || !codec) {
        st = ccpl__fail(err, CCPL_E_FORMAT, "%s: no decoder for its video stream", path);
        goto fail;
    }
    r->stream = e;
    AVStream *vs = r->fmt->streams[e];
    for (unsigned i = 0; i < r->fmt->nb_streams; i++)
        if ((int)i != r->stream) r->fmt->streams[i]->discard = AVDISCARD_ALL;
    if (!(r->dec = avcodec_alloc_context3(codec)) || !(r->pkt = av_packet_alloc()) || !(r->frame = av_frame_alloc())) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    {
        long long w = vs->codecpar->width, h = vs->codecpar->height;
        int si = r->stream;
        if ((unsigned)si < n_header && header_size[si][0] > 0 && header_size[si][1] > 0 &&
            header_size[si][0] * header_size[si][1] > w * h) {
            w = header_size[si][0];
            h = header_size[si][1];
        }
        if (w > 0 && h > 0 && (w > CCPL_IMAGE_MAX_SIDE || h > CCPL_IMAGE_MAX_SIDE || w * h > max_pixels)) {
            st = ccpl__fail(err, CCPL_E_TOO_LARGE, "%s: video frames of %lldx%lld (%lld pixels) exceed the limit of %lld pixels",
                            path, w, h, w * h, max_pixels);
            goto fail;
        }
    }
    if ((e = avcodec_parameters_to_context(r->dec, vs->codecpar)) >= 0) {
        AVDictionary *opts = NULL;
        r->dec->thread_count = 1; /* decoding is cheap next to the model; leave it the cores */
        av_dict_set_int(&opts, "max_pixels", max_pixels, 0); /* no frame buffer over the limit */
        e = avcodec_open2(r->dec, codec, &opts);
        av_dict_free(&opts);
    }
    if (e < 0) {
        st = ccpl__fail(err, CCPL_E_FORMAT, "%s: cannot open the %s decoder: %s", path, codec->name,
                        averr(e, eb, sizeof eb));
        goto fail;
    }
    if (r->dec->width <= 0 || r->dec->height <= 0) {
        /* also where probing refused frames over the limit and the container
         * does not state their size */
        if (max_pixels < CCPL_IMAGE_MAX_PIXELS)
            st = ccpl__fail(err, CCPL_E_TOO_LARGE, "%s: video frames exceed the limit of %lld pixels (their size is known "
                            "only by decoding one, which the limit refused; or the stream states none)", path, max_pixels);
        else
            st = ccpl__fail(err, CCPL_E_FORMAT, "%s: the video stream has no frame size", path);
        goto fail;
    }
    r->max_pixels = max_pixels;
    read_orientation(r, vs);
    r->info.width = r->mb ? r->dec->height : r->dec->width;
    r->info.height = r->mb ? r->dec->width : r->dec->height;
    {
        AVRational sar = av_guess_sample_aspect_ratio(r->fmt, vs, NULL);
        if (sar.num <= 0 || sar.den <= 0) sar = (AVRational){1, 1};
        av_reduce(&sar.num, &sar.den, sar.num, sar.den, 1 << 30);
        r->info.sar_num = r->mb ? sar.den : sar.num; /* a quarter turn swaps the pixel's sides */
        r->info.sar_den = r->mb ? sar.num : sar.den;
    }
    r->info.color_primaries = vs->codecpar->color_primaries;
    r->info.color_trc = vs->codecpar->color_trc;
    r->info.colorspace = vs->codecpar->color_space;
    AVRational fr = av_guess_frame_rate(r->fmt, vs, NULL);
    if (fr.num <= 0 || fr.den <= 0) fr = (AVRational){25, 1};
    av_reduce(&fr.num, &fr.den, fr.num, fr.den, 1 << 30);
    r->info.fps_num = fr.num;
    r->info.fps_den = fr.den;
    if (vs->nb_frames > 0)
        r->info.frame_count = vs->nb_frames;
    else if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0)
        r->info.frame_count = av_rescale_q(vs->duration, vs->time_base, av_inv_q(fr));
    else if (r->fmt->duration != AV_NOPTS_VALUE && r->fmt->duration > 0)
        r->info.frame_count = av_rescale_q(r->fmt->duration, AV_TIME_BASE_Q, av_inv_q(fr));
    r->info.codec = codec->name;
    r->pos = -1;
    r->start = vs->start_time;
    free(header_size);
    *out = r;
    return CCPL_OK;
fail:
    free(header_size);
    ccpl__video_reader_close(r);
    return st;
}

const ccpl__video_info *ccpl__video_reader_info(const ccpl__video_reader *r) { return &r->info; }

ccpl_status ccpl__video_reader_set_size(ccpl__video_reader *r, int width, int height, ccpl_error *err) {
    if (width < 0 || height < 0 || width > 16384 || height > 16384 || (!width != !height))
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: bad frame size %dx%d", r->path, width, height);
    r->out_w = width;
    r->out_h = height;
    return CCPL_OK;
}

/* Sets up (or keeps) the scaler for the current decoded frame. */
static ccpl_status make_scaler(ccpl__video_reader *r, int dw, int dh, ccpl_error *err) {
    AVFrame *f = r->frame;
    int cs = f->colorspace, range = f->color_range;
    if (r->sws && r->sws_w == f->width && r->sws_h == f->height && r->sws_fmt == f->format && r->sws_cs == cs &&
        r->sws_range == range)
        return CCPL_OK;
    sws_freeContext(r->sws);
    r->sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, dw, dh, AV_PIX_FMT_RGB24,
                            SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!r->sws)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: cannot convert %s frames to RGB", r->path,
                          av_get_pix_fmt_name((enum AVPixelFormat)f->format) ? av_get_pix_fmt_name((enum AVPixelFormat)f->format) : "?");
    /* YUV -> RGB with the frame's own matrix (BT.601 when unspecified) and
     * range (full for JPEG-range frames). RGB inputs ignore this. */
    int src_cs = SWS_CS_DEFAULT;
    switch (cs) {
    case AVCOL_SPC_BT709: src_cs = SWS_CS_ITU709; break;
    case AVCOL_SPC_FCC: src_cs = SWS_CS_FCC; break;
    case AVCOL_SPC_SMPTE240M: src_cs = SWS_CS_SMPTE240M; break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: src_cs = SWS_CS_BT2020; break;
    default: break;
    }
    int *inv, *tab, src_range, dst_range, bri, con, sat;
    if (sws_getColorspaceDetails(r->sws, &inv, &src_range, &tab, &dst_range, &bri, &con, &sat) >= 0) {
        if (range == AVCOL_RANGE_JPEG) src_range = 1;
        else if (range == AVCOL_RANGE_MPEG) src_range = 0;
        sws_setColorspaceDetails(r->sws, sws_getCoefficients(src_cs), src_range, tab, dst_range, bri, con, sat);
    }
    r->sws_w = f->width;
    r->sws_h = f->height;
    r->sws_fmt = f->format;
    r->sws_cs = cs;
    r->sws_range = range;
    return CCPL_OK;
}

/* Puts each pixel of src (cw x ch, coded orientation) where the display
 * matrix shows it, in dst (dw wide). */
static void turn(const ccpl__video_reader *r, const unsigned char *src, int cw, int ch, unsigned char *dst, int dw) {
    int ox = (r->ma < 0 ? cw - 1 : 0) + (r->mc < 0 ? ch - 1 : 0);
    int oy = (r->mb < 0 ? cw - 1 : 0) + (r->md < 0 ? ch - 1 : 0);
    for (int y = 0; y < ch; y++) {
        const unsigned char *s = src + (size_t)3 * cw * y;
        for (int x = 0; x < cw; x++, s += 3) {
            int u = r->ma * x + r->mc * y + ox, v = r->mb * x + r->md * y + oy;
            unsigned char *d = dst + 3 * ((size_t)v * dw + u);
            d[0] = s[0], d[1] = s[1], d[2] = s[2];
        }
    }
}

ccpl_status ccpl__video_reader_next(ccpl__video_reader *r, ccpl_image *frame, int *got, ccpl_error *err) {
    char eb[128];
    *got = 0;
    if (r->finished) return CCPL_OK;
    for (;;) {
        int e = avcodec_receive_frame(r->dec, r->frame);
        if (e == 0) break;
        if (e == AVERROR_EOF) {
            r->finished = 1;
            return CCPL_OK;
        }
        if (e != AVERROR(EAGAIN))
            return ccpl__fail(err, CCPL_E_FORMAT, "%s: corrupt video frame: %s", r->path, averr(e, eb, sizeof eb));
        /* The decoder wants input: the next packet of our stream, or the
         * end-of-stream flush. */
        if (r->flushing)
            return ccpl__fail(err, CCPL_E_FORMAT, "%s: decoder stalled", r->path);
        e = av_read_frame(r->fmt, r->pkt);
        if (e == AVERROR_EOF) {
            if (r->fmt->pb && r->fmt->pb->error)
                return ccpl__fail(err, CCPL_E_IO, "%s: read error: %s", r->path, averr(r->fmt->pb->error, eb, sizeof eb));
            r->flushing = 1;
            avcodec_send_packet(r->dec, NULL);
            continue;
        }
        if (e < 0)
            return ccpl__fail(err, e == AVERROR(EIO) ? CCPL_E_IO : CCPL_E_FORMAT, "%s: corrupt or truncated video: %s",
                              r->path, averr(e, eb, sizeof eb));
        if (r->pkt->stream_index == r->stream) e = avcodec_send_packet(r->dec, r->pkt);
        av_packet_unref(r->pkt);
        if (e < 0 && e != AVERROR(EAGAIN))
            return ccpl__fail(err, CCPL_E_FORMAT, "%s: corrupt or truncated video: %s", r->path, averr(e, eb, sizeof eb));
    }
    /* Timestamp -> frame periods since the start (sources that skip frames,
     * like AVI files with dropped frames, keep their timing). */
    int64_t ts = r->frame->best_effort_timestamp;
    long long pos = r->pos + 1;
    if (ts != AV_NOPTS_VALUE) {
        AVStream *vs = r->fmt->streams[r->stream];
        if (r->start == AV_NOPTS_VALUE) r->start = ts;
        AVRational period = {r->info.fps_den, r->info.fps_num};
        long long p = av_rescale_q_rnd(ts - r->start, vs->time_base, period, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
        if (p > pos) pos = p;
    }
    r->pos = pos;
    if ((long long)r->frame->width * r->frame->height > r->max_pixels) { /* the decoder's check missed it */
        int fw = r->frame->width, fh = r->frame->height;
        av_frame_unref(r->frame);
        return ccpl__fail(err, CCPL_E_TOO_LARGE, "%s: a video frame of %dx%d exceeds the limit of %lld pixels", r->path,
                          fw, fh, r->max_pixels);
    }
    /* dw x dh: displayed; cw x ch: the same in the coded orientation, what
     * the scaler makes before the frame is turned */
    int turned = r->mb != 0, plain = r->ma == 1 && r->md == 1;
    int fw = r->frame->width, fh = r->frame->height;
    int dw = r->out_w ? r->out_w : turned ? fh : fw, dh = r->out_h ? r->out_h : turned ? fw : fh;
    int cw = turned ? dh : dw, ch = turned ? dw : dh;
    ccpl_status st = make_scaler(r, cw, ch, err);
    if (st == CCPL_OK && (frame->width != dw || frame->height != dh || !frame->data)) {
        ccpl_image_free(frame);
        st = ccpl_image_alloc(frame, dw, dh, err);
    }
    if (st == CCPL_OK && !plain && r->turn_size < (size_t)3 * cw * ch) {
        free(r->turn);
        r->turn_size = 0;
        if (!(r->turn = malloc((size_t)3 * cw * ch))) st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", r->path);
        else r->turn_size = (size_t)3 * cw * ch;
    }
    if (st == CCPL_OK) {
        uint8_t *dst[4] = {plain ? frame->data : r->turn, NULL, NULL, NULL};
        int dst_stride[4] = {3 * cw, 0, 0, 0};
        if (sws_scale(r->sws, (const uint8_t *const *)r->frame->data, r->frame->linesize, 0, r->frame->height, dst,
                      dst_stride) != ch)
            st = ccpl__fail(err, CCPL_E_FORMAT, "%s: frame conversion failed", r->path);
        else if (!plain)
            turn(r, r->turn, cw, ch, frame->data, dw);
    }
    av_frame_unref(r->frame);
    if (st == CCPL_OK) *got = 1;
    return st;
}

long long ccpl__video_reader_position(const ccpl__video_reader *r) { return r->pos; }

void ccpl__video_reader_close(ccpl__video_reader *r) {
    if (!r) return;
    sws_freeContext(r->sws);
    free(r->turn);
    av_frame_free(&r->frame);
    av_packet_free(&r->pkt);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    free(r->path);
    free(r);
}
