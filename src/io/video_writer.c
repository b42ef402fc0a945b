/* video_writer.c — libswscale RGB24 -> YUV420P (BT.601/709/2020 matrix,
 * limited range, as tagged) or median-cut PAL8 for GIF, libavcodec
 * encoding, libavformat muxing through a custom AVIO on an atomic file. The
 * source's other streams are remuxed from a second demuxer on the source
 * file, fed up to each frame's time so that the muxer's interleaving
 * buffers stay small. */
#include "io/video_writer.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/ffmpeg_dl.h"
#include "io/palette.h"

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
    ccpl__palette *palette; /* GIF: PAL8 frames */
    const char *ext;        /* the output type, for the note ("webm") */
    /* the source's other streams */
    AVFormatContext *ac;
    int *map;           /* per source stream: output stream index, -1: not copied */
    int64_t *offset;    /* per source stream: source video start, in its time base */
    int n_copied, n_audio;
    AVPacket *apkt;
    int a_pending, a_eof;
    char note[512];
};

/* Output types: extension, muxer, video encoders in order of preference. */
static const struct out_type {
    const char *ext, *muxer, *enc[2];
} OUT_TYPES[] = {
    {"mp4", "mp4", {"libx264", "mpeg4"}},  {"m4v", "ipod", {"libx264", "mpeg4"}},
    {"mov", "mov", {"libx264", "mpeg4"}},  {"mkv", "matroska", {"libx264", "mpeg4"}},
    {"webm", "webm", {"libvpx-vp9", "libvpx"}}, {"avi", "avi", {"libx264", "mpeg4"}},
    {"gif", "gif", {"gif", NULL}},
};
#define N_OUT_TYPES (sizeof OUT_TYPES / sizeof *OUT_TYPES)

const char *ccpl__video_output_types(void) { return ".mp4, .m4v, .mov, .mkv, .webm, .avi, .gif"; }

static const struct out_type *out_type(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash)) return NULL;
    for (size_t i = 0; i < N_OUT_TYPES; i++)
        if (!strcasecmp(dot + 1, OUT_TYPES[i].ext)) return &OUT_TYPES[i];
    return NULL;
}

int ccpl__video_output_supported(const char *path) { return out_type(path) != NULL; }

void ccpl__video_writer_keep_source(ccpl__video_writer_params *p, const char *path, const ccpl__video_info *vi) {
    p->source = path;
    p->sar_num = vi->sar_num;
    p->sar_den = vi->sar_den;
    p->color_primaries = vi->color_primaries;
    p->color_trc = vi->color_trc;
    p->colorspace = vi->colorspace;
}

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
    ccpl__palette_free(w->palette);
    free(w->map);
    free(w->offset);
    free(w);
}

void ccpl__video_writer_abort(ccpl__video_writer *w) {
    if (!w) return;
    ccpl__atomic_abort(&w->af);
    free_all(w);
}

/* Tags that describe the source file's layout or its old encoding, not its
 * content: left behind (the rotation is applied to the frames). */
static int stale_tag(const char *key) {
    static const char *const keys[] = {"rotate", "encoder", "major_brand", "minor_version", "compatible_brands",
                                       "duration", "BPS", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!av_strcasecmp(key, keys[i])) return 1;
    return !av_strncasecmp(key, "_STATISTICS_", 12);
}

static int copy_tags(AVDictionary **dst, const AVDictionary *src) {
    const AVDictionaryEntry *t = NULL;
    while ((t = av_dict_get(src, "", t, AV_DICT_IGNORE_SUFFIX)))
        if (!stale_tag(t->key) && av_dict_set(dst, t->key, t->value, 0) < 0) return -1;
    return 0;
}

/* Adds "#i what [lang] (why)" to the note. */
static void note_left_out(ccpl__video_writer *w, unsigned i, const AVStream *st, const char *fmt, ...) {
    size_t k = strlen(w->note), n = sizeof w->note;
    const char *type = st->disposition & AV_DISPOSITION_ATTACHED_PIC ? "cover picture"
                       : st->codecpar->codec_type == AVMEDIA_TYPE_SUBTITLE ? "subtitles"
                       : av_get_media_type_string(st->codecpar->codec_type) ? av_get_media_type_string(st->codecpar->codec_type)
                                                                            : "unknown";
    const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
    k += (size_t)snprintf(w->note + k, n - k, "%s#%u %s %s", k ? "; " : "left out: ", i,
                          avcodec_get_name(st->codecpar->codec_id), type);
    if (k < n && lang) k += (size_t)snprintf(w->note + k, n - k, " [%s]", lang->value);
    if (k < n - 3) {
        va_list ap;
        va_start(ap, fmt);
        w->note[k++] = ' ';
        w->note[k++] = '(';
        k += (size_t)vsnprintf(w->note + k, n - k, fmt, ap);
        va_end(ap);
        if (k < n - 1) snprintf(w->note + k, n - k, ")");
    }
}

/* Opens the source and adds a stream-copy output stream for each audio and
 * subtitle stream the container can hold; copies the file's tags and
 * chapters and the video stream's tags and disposition. */
static ccpl_status open_source(ccpl__video_writer *w, const char *src, ccpl_error *err) {
    char eb[128];
    int e = avformat_open_input(&w->ac, src, NULL, NULL);
    if (e < 0 || (e = avformat_find_stream_info(w->ac, NULL)) < 0)
        return ccpl__fail(err, CCPL_E_FORMAT, "%s: cannot read its streams: %s", src, averr(e, eb, sizeof eb));
    unsigned ns = w->ac->nb_streams;
    if (!(w->map = calloc(ns ? ns : 1, sizeof *w->map)) || !(w->offset = calloc(ns ? ns : 1, sizeof *w->offset)) ||
        !(w->apkt = av_packet_alloc()))
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
    /* the video stream the reader restyles (its best one) */
    int vi = av_find_best_stream(w->ac, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    AVStream *vs = vi >= 0 ? w->ac->streams[vi] : NULL;
    if (copy_tags(&w->oc->metadata, w->ac->metadata) < 0 ||
        (vs && copy_tags(&w->vst->metadata, vs->metadata) < 0))
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
    if (vs) w->vst->disposition = vs->disposition & ~AV_DISPOSITION_ATTACHED_PIC;
    for (unsigned i = 0; i < ns; i++) {
        AVStream *in = w->ac->streams[i];
        enum AVMediaType type = in->codecpar->codec_type;
        w->map[i] = -1;
        in->discard = AVDISCARD_ALL;
        if ((int)i == vi) continue;
        if (type != AVMEDIA_TYPE_AUDIO && type != AVMEDIA_TYPE_SUBTITLE) {
            note_left_out(w, i, in, type == AVMEDIA_TYPE_VIDEO ? "only one video stream is restyled" : "not copied");
            continue;
        }
        if (avformat_query_codec(w->oc->oformat, in->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
            note_left_out(w, i, in, "%s cannot hold it", w->ext);
            continue;
        }
        AVStream *out = avformat_new_stream(w->oc, NULL);
        if (!out) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
        if ((e = avcodec_parameters_copy(out->codecpar, in->codecpar)) < 0 || copy_tags(&out->metadata, in->metadata) < 0)
            return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
        out->codecpar->codec_tag = 0;
        out->time_base = in->time_base;
        out->disposition = in->disposition;
        /* Output video starts at 0 where the source video started: shift
         * the other streams by the same amount to keep them in sync. */
        if (vs && vs->start_time != AV_NOPTS_VALUE)
            w->offset[i] = av_rescale_q(vs->start_time, vs->time_base, in->time_base);
        else if (in->start_time != AV_NOPTS_VALUE)
            w->offset[i] = in->start_time;
        w->map[i] = out->index;
        in->discard = AVDISCARD_DEFAULT;
        w->n_copied++;
        w->n_audio += type == AVMEDIA_TYPE_AUDIO;
    }
    /* chapters, shifted like the streams (those before the start dropped) */
    int64_t start = vs && vs->start_time != AV_NOPTS_VALUE ? av_rescale_q(vs->start_time, vs->time_base, AV_TIME_BASE_Q) : 0;
    for (unsigned i = 0; i < w->ac->nb_chapters; i++) {
        const AVChapter *c = w->ac->chapters[i];
        int64_t off = av_rescale_q(start, AV_TIME_BASE_Q, c->time_base);
        if (c->end <= off) continue;
        AVChapter *o = av_mallocz(sizeof *o);
        if (!o) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
        o->id = c->id;
        o->time_base = c->time_base;
        o->start = c->start > off ? c->start - off : 0;
        o->end = c->end - off;
        if (copy_tags(&o->metadata, c->metadata) < 0 ||
            av_dynarray_add_nofree(&w->oc->chapters, (int *)&w->oc->nb_chapters, o) < 0) {
            av_dict_free(&o->metadata);
            av_free(o);
            return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
        }
    }
    if (!w->n_copied) avformat_close_input(&w->ac);
    return CCPL_OK;
}

/* Copies source packets of the kept streams whose time is before limit (in
 * tb). */
static ccpl_status copy_streams(ccpl__video_writer *w, int64_t limit, AVRational tb, ccpl_error *err) {
    char eb[128];
    if (!w->ac) return CCPL_OK;
    while (!w->a_eof) {
        AVPacket *pk = w->apkt;
        if (!w->a_pending) {
            int e = av_read_frame(w->ac, pk);
            if (e == AVERROR_EOF) {
                w->a_eof = 1;
                break;
            }
            if (e < 0)
                return ccpl__fail(err, CCPL_E_FORMAT, "%s: corrupt or truncated stream: %s", w->ac->url,
                                  averr(e, eb, sizeof eb));
            if ((unsigned)pk->stream_index >= w->ac->nb_streams || w->map[pk->stream_index] < 0) {
                av_packet_unref(pk);
                continue;
            }
            int64_t off = w->offset[pk->stream_index];
            if (pk->pts != AV_NOPTS_VALUE) pk->pts -= off;
            if (pk->dts != AV_NOPTS_VALUE) pk->dts -= off;
            w->a_pending = 1;
        }
        AVRational in_tb = w->ac->streams[pk->stream_index]->time_base;
        int64_t t = pk->pts != AV_NOPTS_VALUE ? pk->pts : pk->dts;
        if (t != AV_NOPTS_VALUE && av_compare_ts(t, in_tb, limit, tb) >= 0) break;
        w->a_pending = 0;
        if (t != AV_NOPTS_VALUE && t < 0) { /* before the first frame */
            av_packet_unref(pk);
            continue;
        }
        AVStream *out = w->oc->streams[w->map[pk->stream_index]];
        av_packet_rescale_ts(pk, in_tb, out->time_base);
        pk->stream_index = out->index;
        pk->pos = -1;
        int e = av_interleaved_write_frame(w->oc, pk);
        if (e < 0) return ccpl__fail(err, CCPL_E_IO, "%s: write failed: %s", w->path, averr(e, eb, sizeof eb));
    }
    return CCPL_OK;
}

/* Tag values worth keeping: named ones, not "unspecified"/"reserved". */
static int known_primaries(int v) {
    return v > 0 && v != AVCOL_PRI_UNSPECIFIED && v != AVCOL_PRI_RESERVED && av_color_primaries_name(v);
}
static int known_trc(int v) {
    return v > 0 && v != AVCOL_TRC_UNSPECIFIED && v != AVCOL_TRC_RESERVED && av_color_transfer_name(v);
}

ccpl_status ccpl__video_writer_open(ccpl__video_writer **out, const char *path,
                                    const ccpl__video_writer_params *p, ccpl_error *err) {
    char eb[128];
    *out = NULL;
    if (ccpl__ffmpeg_load(path, err) != CCPL_OK) return CCPL_E_IO;
    ccpl__video_quiet_logs();
    if (p->width < 2 || p->height < 2 || (p->width | p->height) & 1 || p->width > 16384 || p->height > 16384)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: frame size %dx%d is not even (4:2:0 video)", path,
                          p->width, p->height);
    if (p->fps_num <= 0 || p->fps_den <= 0)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: bad frame rate %d/%d", path, p->fps_num, p->fps_den);
    /* Only types whose muxer and encoders are known to go together: others
     * would fail at the header ("Invalid argument") after the work. */
    const struct out_type *type = out_type(path);
    const AVOutputFormat *ofmt = type ? av_guess_format(type->muxer, NULL, NULL) : NULL;
    if (!ofmt)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: cannot write this type of video (use %s)", path,
                          ccpl__video_output_types());
    const AVCodec *codec = NULL;
    if (p->codec) codec = avcodec_find_encoder_by_name(p->codec);
    for (int i = 0; !p->codec && !codec && i < 2 && type->enc[i]; i++) codec = avcodec_find_encoder_by_name(type->enc[i]);
    if (!codec || codec->type != AVMEDIA_TYPE_VIDEO)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: no %s video encoder in this libavcodec", path,
                          p->codec ? p->codec : type->enc[0]);
    int gif = codec->id == AV_CODEC_ID_GIF;

    ccpl__video_writer *w = calloc(1, sizeof *w);
    if (!w) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    w->width = p->width;
    w->height = p->height;
    w->ext = type->ext;
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

    /* Video encoder: constant frame rate; yuv420p in the source's matrix
     * (limited range), or PAL8 for GIF. */
    if (!(w->enc = avcodec_alloc_context3(codec)) || !(w->vst = avformat_new_stream(w->oc, NULL)) ||
        !(w->pkt = av_packet_alloc()) || !(w->yuv = av_frame_alloc()) || (gif && !(w->palette = ccpl__palette_new()))) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    AVRational fps = {p->fps_num, p->fps_den};
    /* MPEG-4 Part 2 codes the time base in 16 bits: nearest rate that fits */
    if (codec->id == AV_CODEC_ID_MPEG4) av_reduce(&fps.num, &fps.den, fps.num, fps.den, 65535);
    AVRational sar = {p->sar_num > 0 && p->sar_den > 0 ? p->sar_num : 1, p->sar_num > 0 && p->sar_den > 0 ? p->sar_den : 1};
    int sws_cs = SWS_CS_SMPTE170M;
    w->enc->width = p->width;
    w->enc->height = p->height;
    w->enc->pix_fmt = gif ? AV_PIX_FMT_PAL8 : AV_PIX_FMT_YUV420P;
    w->enc->time_base = av_inv_q(fps);
    w->enc->framerate = fps;
    w->enc->sample_aspect_ratio = sar;
    if (!gif) {
        if (p->colorspace == AVCOL_SPC_BT709) {
            w->enc->colorspace = AVCOL_SPC_BT709;
            sws_cs = SWS_CS_ITU709;
        } else if (p->colorspace == AVCOL_SPC_BT2020_NCL || p->colorspace == AVCOL_SPC_BT2020_CL) {
            w->enc->colorspace = AVCOL_SPC_BT2020_NCL;
            sws_cs = SWS_CS_BT2020;
        } else {
            w->enc->colorspace = AVCOL_SPC_SMPTE170M;
        }
        if (known_primaries(p->color_primaries)) w->enc->color_primaries = p->color_primaries;
        if (known_trc(p->color_trc)) w->enc->color_trc = p->color_trc;
        w->enc->color_range = AVCOL_RANGE_MPEG;
    }
    w->enc->gop_size = 12 * (p->fps_num / p->fps_den > 1 ? p->fps_num / p->fps_den : 1);
    if (!strcmp(codec->name, "libx264")) {
        av_opt_set_double(w->enc->priv_data, "crf", p->quality > 0 ? p->quality : 18, 0);
        av_opt_set(w->enc->priv_data, "preset", "medium", 0);
    } else if (codec->id == AV_CODEC_ID_VP9 || codec->id == AV_CODEC_ID_VP8) {
        /* constant quality; "good" at speed 4 costs little next to the model */
        int vp9 = codec->id == AV_CODEC_ID_VP9;
        w->enc->bit_rate = vp9 ? 0 : 4000000; /* VP8's CRF needs a ceiling */
        av_opt_set_int(w->enc->priv_data, "crf", p->quality > 0 ? p->quality : vp9 ? 31 : 10, 0);
        av_opt_set(w->enc->priv_data, "deadline", "good", 0);
        av_opt_set_int(w->enc->priv_data, "cpu-used", 4, 0);
        if (vp9) av_opt_set_int(w->enc->priv_data, "row-mt", 1, 0);
    } else if (!gif) {
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
    w->vst->sample_aspect_ratio = sar;
    w->yuv->format = w->enc->pix_fmt;
    w->yuv->width = p->width;
    w->yuv->height = p->height;
    if ((e = av_frame_get_buffer(w->yuv, 0)) < 0) {
        st = ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (!gif) {
        w->sws = sws_getContext(p->width, p->height, AV_PIX_FMT_RGB24, p->width, p->height, AV_PIX_FMT_YUV420P,
                                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
        if (!w->sws) {
            st = ccpl__fail(err, CCPL_E_NOMEM, "%s: cannot set up RGB to YUV conversion", path);
            goto fail;
        }
        int *inv, *tab, sr, dr, bri, con, sat;
        if (sws_getColorspaceDetails(w->sws, &inv, &sr, &tab, &dr, &bri, &con, &sat) >= 0)
            sws_setColorspaceDetails(w->sws, inv, 1, sws_getCoefficients(sws_cs), 0, bri, con, sat);
    }

    if (p->source && (st = open_source(w, p->source, err)) != CCPL_OK) goto fail;
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
int ccpl__video_writer_has_audio(const ccpl__video_writer *w) { return w->n_audio; }
const char *ccpl__video_writer_note(const ccpl__video_writer *w) { return w->note; }

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
    ccpl_status st = copy_streams(w, w->next_pts, w->enc->time_base, err);
    if (st != CCPL_OK) return st;
    /* The encoder may still hold references to the previous frame's data. */
    if (av_frame_make_writable(w->yuv) < 0) return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", w->path);
    if (w->palette) {
        char eb[128];
        int e = ccpl__palette_quantize(w->palette, frame->data, frame->width, frame->height,
                                       w->yuv->data[0], w->yuv->linesize[0], (uint32_t *)w->yuv->data[1]);
        if (e < 0)
            return ccpl__fail(err, e == AVERROR(ENOMEM) ? CCPL_E_NOMEM : CCPL_E_IO,
                              "%s: GIF palette: %s", w->path, averr(e, eb, sizeof eb));
    } else {
        const uint8_t *src[4] = {frame->data, NULL, NULL, NULL};
        int src_stride[4] = {3 * frame->width, 0, 0, 0};
        sws_scale(w->sws, src, src_stride, 0, frame->height, w->yuv->data, w->yuv->linesize);
    }
    w->yuv->pts = w->next_pts++;
    return encode(w, w->yuv, err);
}

ccpl_status ccpl__video_writer_finish(ccpl__video_writer *w, ccpl_error *err) {
    char eb[128];
    ccpl_status st = encode(w, NULL, err);
    if (st == CCPL_OK) st = copy_streams(w, w->next_pts, w->enc->time_base, err);
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
