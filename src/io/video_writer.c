/* video_writer.c — libswscale RGB24 -> YUV420P (BT.601, limited range, as
 * tagged), libavcodec encoding, libavformat muxing through a custom AVIO on
 * an atomic file. Audio is remuxed from a second demuxer on the source file,
 * fed up to each frame's time so that the muxer's interleaving buffers stay
 * small. */
#include "io/video_writer.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/video_reader.h"

#define IO_BUF 65536

struct ccpl__video_writer {
    ccpl__atomic_file af;
    AVFormatContext *oc;
    AVIOContext *pb;
    AVCodecContext *enc;
    AVStream *vst;
    struct SwsContext *sws;
    AVFrame *yuv;
    AVPacket *pkt;
    int width, height;
    int64_t next_pts; /* earliest pts of the next frame, in enc->time_base (1/fps) */
    const char *path; /* af.final_path */
    /* audio copy */
    AVFormatContext *ac;
    AVStream *ast;
    int ain;            /* audio stream index in ac */
    int64_t a_offset;   /* source video start, in the audio stream's time base */
    AVPacket *apkt;
    int a_pending, a_eof;
    char audio_note[160];
};

static const char *averr(int e, char *buf, size_t n) {
    av_strerror(e, buf, n);
    return buf;
}

static int io_write(void *opaque, uint8_t *buf, int n) {
    FILE *fp = opaque;
    return fwrite(buf, 1, (size_t)n, fp) == (size_t)n ? n : AVERROR(EIO);
}

static int64_t io_seek(void *opaque, int64_t off, int whence) {
    FILE *fp = opaque;
    if (whence & AVSEEK_SIZE) {
        struct stat st;
        if (fflush(fp) != 0 || fstat(fileno(fp), &st) != 0) return AVERROR(EIO);
        return st.st_size;
    }
    whence &= ~AVSEEK_FORCE;
    if (fseeko(fp, (off_t)off, whence) != 0) return AVERROR(EIO);
    return ftello(fp);
}

static void free_all(ccpl__video_writer *w) {
    if (w->pb) {
        av_freep(&w->pb->buffer);
        avio_context_free(&w->pb);
    }
    if (w->oc) {
        w->oc->pb = NULL;
        avformat_free_context(w->oc);
    }
    avcodec_free_context(&w->enc);
    sws_freeContext(w->sws);
    av_frame_free(&w->yuv);
    av_packet_free(&w->pkt);
    av_packet_free(&w->apkt);
    avformat_close_input(&w->ac);
    free(w);
}

void ccpl__video_writer_abort(ccpl__video_writer *w) {
    if (!w) return;
    ccpl__atomic_abort(&w->af);
    free_all(w);
}

/* Opens the audio source and adds a stream-copy output stream; no audio
 * stream (or one the container cannot hold) is not an error. */
static ccpl_status open_audio(ccpl__video_writer *w, const char *src, ccpl_error *err) {
    char eb[128];
    int e = avformat_open_input(&w->ac, src, NULL, NULL);
    if (e < 0 || (e = avformat_find_stream_info(w->ac, NULL)) < 0)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: cannot read its audio: %s", src, averr(e, eb, sizeof eb));
    int ai = av_find_best_stream(w->ac, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (ai < 0) {
        avformat_close_input(&w->ac);
        return CCPL_OK;
    }
    AVStream *in = w->ac->streams[ai];
    if (avformat_query_codec(w->oc->oformat, in->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
        snprintf(w->audio_note, sizeof w->audio_note, "%s audio cannot be stored in %s without re-encoding; left out",
                 avcodec_get_name(in->codecpar->codec_id), w->oc->oformat->name);
        avformat_close_input(&w->ac);
        return CCPL_OK;
    }
    int vi = av_find_best_stream(w->ac, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    for (unsigned i = 0; i < w->ac->nb_streams; i++)
        if ((int)i != ai) w->ac->streams[i]->discard = AVDISCARD_ALL;
    /* Output video starts at 0 where the source video started: shift the
     * audio by the same amount to keep them in sync. */
    if (vi >= 0 && w->ac->streams[vi]->start_time != AV_NOPTS_VALUE)
        w->a_offset = av_rescale_q(w->ac->streams[vi]->start_time, w->ac->streams[vi]->time_base, in->time_base);
    else if (in->start_time != AV_NOPTS_VALUE)
        w->a_offset = in->start_time;
    if (!(w->ast = avformat_new_stream(w->oc, NULL)) || !(w->apkt = av_packet_alloc()))
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
    if ((e = avcodec_parameters_copy(w->ast->codecpar, in->codecpar)) < 0)
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: %s", w->path, averr(e, eb, sizeof eb));
    w->ast->codecpar->codec_tag = 0;
    w->ast->time_base = in->time_base;
    w->ain = ai;
    return CCPL_OK;
}

/* Copies source audio packets whose time is before limit (in tb). */
static ccpl_status copy_audio(ccpl__video_writer *w, int64_t limit, AVRational tb, ccpl_error *err) {
    char eb[128];
    if (!w->ast) return CCPL_OK;
    AVRational in_tb = w->ac->streams[w->ain]->time_base;
    while (!w->a_eof) {
        if (!w->a_pending) {
            int e = av_read_frame(w->ac, w->apkt);
            if (e == AVERROR_EOF) {
                w->a_eof = 1;
                break;
            }
            if (e < 0)
                return ccpl__fail(err, CCPL_E_FORMAT, "%s: corrupt or truncated audio: %s", w->ac->url,
                                  averr(e, eb, sizeof eb));
            if (w->apkt->stream_index != w->ain) {
                av_packet_unref(w->apkt);
                continue;
            }
            if (w->apkt->pts != AV_NOPTS_VALUE) w->apkt->pts -= w->a_offset;
            if (w->apkt->dts != AV_NOPTS_VALUE) w->apkt->dts -= w->a_offset;
            w->a_pending = 1;
        }
        int64_t t = w->apkt->pts != AV_NOPTS_VALUE ? w->apkt->pts : w->apkt->dts;
        if (t != AV_NOPTS_VALUE && av_compare_ts(t, in_tb, limit, tb) >= 0) break;
        w->a_pending = 0;
        if (t != AV_NOPTS_VALUE && t < 0) { /* before the first frame */
            av_packet_unref(w->apkt);
            continue;
        }
        av_packet_rescale_ts(w->apkt, in_tb, w->ast->time_base);
        w->apkt->stream_index = w->ast->index;
        w->apkt->pos = -1;
        int e = av_interleaved_write_frame(w->oc, w->apkt);
        if (e < 0) return ccpl__fail(err, CCPL_E_IO, "%s: write failed: %s", w->path, averr(e, eb, sizeof eb));
    }
    return CCPL_OK;
}

ccpl_status ccpl__video_writer_open(ccpl__video_writer **out, const char *path,
                                    const ccpl__video_writer_params *p, ccpl_error *err) {
    char eb[128];
    *out = NULL;
    ccpl__video_quiet_logs();
    if (p->width < 2 || p->height < 2 || (p->width | p->height) & 1 || p->width > 16384 || p->height > 16384)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: frame size %dx%d is not even (4:2:0 video)", path,
                          p->width, p->height);
    if (p->fps_num <= 0 || p->fps_den <= 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: bad frame rate %d/%d", path, p->fps_num, p->fps_den);
    const AVOutputFormat *ofmt = av_guess_format(NULL, path, NULL);
    if (!ofmt || ofmt->video_codec == AV_CODEC_ID_NONE)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: unknown video file type (use .mp4, .mkv, .mov or .avi)", path);
    const AVCodec *codec = NULL;
    if (p->codec) codec = avcodec_find_encoder_by_name(p->codec);
    else if (!(codec = avcodec_find_encoder_by_name("libx264"))) codec = avcodec_find_encoder_by_name("mpeg4");
    if (!codec || codec->type != AVMEDIA_TYPE_VIDEO)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: no %s video encoder in this libavcodec", path,
                          p->codec ? p->codec : "H.264 or MPEG-4");

    ccpl__video_writer *w = calloc(1, sizeof *w);
    if (!w) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    w->width = p->width;
    w->height = p->height;
    ccpl_status st;
    int e;
    if ((st = ccpl__atomic_open(&w->af, path, err)) != CCPL_OK) {
        free_all(w);
        return st;
    }
    w->af.no_replace = p->no_replace;
    w->path = w->af.final_path;
    if ((e = avformat_alloc_output_context2(&w->oc, ofmt, NULL, path)) < 0) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: %s", path, averr(e, eb, sizeof eb));
        goto fail;
    }
    unsigned char *buf = av_malloc(IO_BUF);
    if (!buf || !(w->pb = avio_alloc_context(buf, IO_BUF, 1, w->af.fp, NULL, io_write, io_seek))) {
        av_free(buf);
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    w->oc->pb = w->pb;
    w->oc->flags |= AVFMT_FLAG_CUSTOM_IO;

    /* Video encoder: yuv420p, constant frame rate, BT.601 limited range. */
    if (!(w->enc = avcodec_alloc_context3(codec)) || !(w->vst = avformat_new_stream(w->oc, NULL)) ||
        !(w->pkt = av_packet_alloc()) || !(w->yuv = av_frame_alloc())) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    AVRational fps = {p->fps_num, p->fps_den};
    /* MPEG-4 Part 2 codes the time base in 16 bits: nearest rate that fits */
    if (codec->id == AV_CODEC_ID_MPEG4) av_reduce(&fps.num, &fps.den, fps.num, fps.den, 65535);
    w->enc->width = p->width;
    w->enc->height = p->height;
    w->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    w->enc->time_base = av_inv_q(fps);
    w->enc->framerate = fps;
    w->enc->sample_aspect_ratio = (AVRational){1, 1};
    w->enc->colorspace = AVCOL_SPC_SMPTE170M;
    w->enc->color_range = AVCOL_RANGE_MPEG;
    w->enc->gop_size = 12 * (p->fps_num / p->fps_den > 1 ? p->fps_num / p->fps_den : 1);
    if (!strcmp(codec->name, "libx264")) {
        av_opt_set_double(w->enc->priv_data, "crf", p->quality > 0 ? p->quality : 18, 0);
        av_opt_set(w->enc->priv_data, "preset", "medium", 0);
    } else {
        w->enc->flags |= AV_CODEC_FLAG_QSCALE;
        w->enc->global_quality = FF_QP2LAMBDA * (p->quality > 0 ? p->quality : 3);
    }
    if (ofmt->flags & AVFMT_GLOBALHEADER) w->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((e = avcodec_open2(w->enc, codec, NULL)) < 0) {
        st = ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: cannot open the %s encoder: %s", path, codec->name,
                        averr(e, eb, sizeof eb));
        goto fail;
    }
    if ((e = avcodec_parameters_from_context(w->vst->codecpar, w->enc)) < 0) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: %s", path, averr(e, eb, sizeof eb));
        goto fail;
    }
    w->vst->time_base = w->enc->time_base;
    w->vst->avg_frame_rate = fps;
    w->vst->r_frame_rate = fps;
    w->yuv->format = AV_PIX_FMT_YUV420P;
    w->yuv->width = p->width;
    w->yuv->height = p->height;
    if ((e = av_frame_get_buffer(w->yuv, 0)) < 0) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    w->sws = sws_getContext(p->width, p->height, AV_PIX_FMT_RGB24, p->width, p->height, AV_PIX_FMT_YUV420P,
                            SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!w->sws) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: cannot set up RGB to YUV conversion", path);
        goto fail;
    }
    {
        int *inv, *tab, sr, dr, bri, con, sat;
        if (sws_getColorspaceDetails(w->sws, &inv, &sr, &tab, &dr, &bri, &con, &sat) >= 0)
            sws_setColorspaceDetails(w->sws, inv, 1, sws_getCoefficients(SWS_CS_SMPTE170M), 0, bri, con, sat);
    }

    if (p->audio_source && (st = open_audio(w, p->audio_source, err)) != CCPL_OK) goto fail;
    if ((e = avformat_write_header(w->oc, NULL)) < 0) {
        st = ccpl__fail(err, CCPL_E_IO, "%s: cannot write the header: %s", path, averr(e, eb, sizeof eb));
        goto fail;
    }
    *out = w;
    return CCPL_OK;
fail:
    ccpl__video_writer_abort(w);
    return st;
}

const char *ccpl__video_writer_codec(const ccpl__video_writer *w) { return w->enc->codec->name; }
int ccpl__video_writer_has_audio(const ccpl__video_writer *w) { return w->ast != NULL; }
const char *ccpl__video_writer_audio_note(const ccpl__video_writer *w) { return w->audio_note; }

/* Sends frame (NULL: flush) and writes every packet the encoder gives back. */
static ccpl_status encode(ccpl__video_writer *w, AVFrame *frame, ccpl_error *err) {
    char eb[128];
    int e = avcodec_send_frame(w->enc, frame);
    if (e < 0) return ccpl__fail(err, CCPL_E_IO, "%s: encoding failed: %s", w->path, averr(e, eb, sizeof eb));
    for (;;) {
        e = avcodec_receive_packet(w->enc, w->pkt);
        if (e == AVERROR(EAGAIN) || e == AVERROR_EOF) return CCPL_OK;
        if (e < 0) return ccpl__fail(err, CCPL_E_IO, "%s: encoding failed: %s", w->path, averr(e, eb, sizeof eb));
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->vst->time_base);
        w->pkt->stream_index = w->vst->index;
        e = av_interleaved_write_frame(w->oc, w->pkt);
        if (e < 0) return ccpl__fail(err, CCPL_E_IO, "%s: write failed: %s", w->path, averr(e, eb, sizeof eb));
    }
}

ccpl_status ccpl__video_writer_write(ccpl__video_writer *w, const ccpl_image *frame, ccpl_error *err) {
    return ccpl__video_writer_write_at(w, frame, w->next_pts, err);
}

ccpl_status ccpl__video_writer_write_at(ccpl__video_writer *w, const ccpl_image *frame, long long pos,
                                       ccpl_error *err) {
    if (pos > w->next_pts) w->next_pts = pos;
    if (!frame->data || frame->width != w->width || frame->height != w->height)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: frame is %dx%d, the video %dx%d", w->path, frame->width,
                          frame->height, w->width, w->height);
    ccpl_status st = copy_audio(w, w->next_pts, w->enc->time_base, err);
    if (st != CCPL_OK) return st;
    /* The encoder may still hold references to the previous frame's data. */
    if (av_frame_make_writable(w->yuv) < 0) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
    const uint8_t *src[4] = {frame->data, NULL, NULL, NULL};
    int src_stride[4] = {3 * frame->width, 0, 0, 0};
    sws_scale(w->sws, src, src_stride, 0, frame->height, w->yuv->data, w->yuv->linesize);
    w->yuv->pts = w->next_pts++;
    return encode(w, w->yuv, err);
}

ccpl_status ccpl__video_writer_finish(ccpl__video_writer *w, ccpl_error *err) {
    char eb[128];
    ccpl_status st = encode(w, NULL, err);
    if (st == CCPL_OK) st = copy_audio(w, w->next_pts, w->enc->time_base, err);
    if (st == CCPL_OK) {
        int e = av_write_trailer(w->oc);
        avio_flush(w->pb);
        if (e < 0 || w->pb->error < 0)
            st = ccpl__fail(err, CCPL_E_IO, "%s: write failed: %s", w->path, averr(e < 0 ? e : w->pb->error, eb, sizeof eb));
    }
    if (st == CCPL_OK) {
        st = ccpl__atomic_commit(&w->af, err); /* removes the temporary file on failure */
        free_all(w);
        return st;
    }
    ccpl__video_writer_abort(w);
    return st;
}
