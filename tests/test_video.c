/* test_video.c — video_reader and video_writer: small videos are generated
 * here with the FFmpeg libraries (MPEG-4 + MP2 audio in MP4, MJPEG in AVI),
 * read back (frame count, rate, size, pixels), rewritten (H.264 with the
 * audio copied) and checked; files from real life (a display matrix or a
 * "rotate" tag, two tagged audio tracks, subtitles, title, creation time,
 * pixel aspect, colour tags) keep what their container says; every
 * supported output type writes, others are refused; then the error paths
 * (truncated file, no video stream, text file, unwritable output).
 *
 * Also a helper for tests/cli_video.sh:
 *   test_video gen FILE FRAMES WIDTH HEIGHT FPS [audio|audioonly|phone|tagged]   writes a test video
 *     (phone: turned 90 degrees by a display matrix, two audio tracks eng/fra, a title)
 *   test_video probe FILE    prints "frames=N fps=N/D size=WxH audio=CODEC|none"
 *   test_video describe FILE prints rotation, decoded size, streams and title (see describe()) */
#include <dirent.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libswscale/swscale.h>
#include <stdint.h>
#include <unistd.h>

#include "io/video_reader.h"
#include "io/video_writer.h"
#include "test_util.h"

/* A smooth moving pattern with a bright square moving right 2 px a frame. */
static void pattern(unsigned char *rgb, int w, int h, int i) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = rgb + 3 * ((size_t)y * w + x);
            p[0] = (unsigned char)(128 + 90 * sin((x + 2.0 * i) / 9.0));
            p[1] = (unsigned char)(128 + 90 * cos((y - 1.0 * i) / 7.0));
            p[2] = (unsigned char)(40 + 2 * (x + y) % 160);
            /* in the upper half, so that every rotation and mirroring of the
             * frame puts it somewhere else */
            int sx = (2 * i) % (w - 8), sy = h / 4 - 4;
            if (x >= sx && x < sx + 8 && y >= sy && y < sy + 8) p[0] = p[1] = p[2] = 235;
        }
}

/* What a real-life file carries besides its frames (all optional). */
typedef struct gen_extra {
    double matrix_rot;      /* display matrix side data: clockwise degrees (0: none) */
    int matrix_hflip;       /* ... and mirrored left-right */
    const char *rotate_tag; /* the older "rotate" stream tag */
    int n_audio;            /* 2: the same tone twice, tagged eng and fra */
    int subtitles;          /* a subtitle stream (subrip, or mov_text in MP4), fra */
    AVRational sar;         /* sample aspect ratio ({0,0}: none) */
    int bt709;              /* colour tags BT.709 */
    int tags;               /* container title and creation_time, video language */
    int chapters;           /* two chapters, "Start" at 0 s and "Middle" at 0.5 s */
} gen_extra;

/* Writes FRAMES frames of the pattern (vcodec NULL: none) and 1 s of a tone
 * per FPS frames (acodec NULL: none); with gap > 0, frames from the 7th on
 * are gap periods later (a source that skips frames). Returns 0 on success. */
static int gen_video_ex(const char *path, const char *vcodec, const char *acodec, int w, int h, int fps, int frames,
                        int gap, const gen_extra *x) {
    static const gen_extra none;
    if (!x) x = &none;
    AVStream *as2 = NULL, *ss = NULL;
    AVFormatContext *oc = NULL;
    AVCodecContext *ve = NULL, *ae = NULL;
    AVStream *vs = NULL, *as = NULL;
    AVFrame *vf = NULL, *af = NULL;
    AVPacket *pkt = av_packet_alloc();
    struct SwsContext *sws = NULL;
    unsigned char *rgb = malloc((size_t)3 * w * h);
    int rc = -1, e;
    if (avformat_alloc_output_context2(&oc, NULL, NULL, path) < 0 || !pkt || !rgb) goto out;
    if (vcodec) {
        const AVCodec *c = avcodec_find_encoder_by_name(vcodec);
        if (!c || !(ve = avcodec_alloc_context3(c)) || !(vs = avformat_new_stream(oc, NULL))) goto out;
        ve->width = w;
        ve->height = h;
        ve->pix_fmt = c->pix_fmts ? c->pix_fmts[0] : AV_PIX_FMT_YUV420P;
        ve->time_base = (AVRational){1, fps};
        ve->framerate = (AVRational){fps, 1};
        ve->flags |= AV_CODEC_FLAG_QSCALE;
        ve->global_quality = FF_QP2LAMBDA * 2;
        ve->qmin = 1;
        if (ve->pix_fmt == AV_PIX_FMT_YUVJ420P) ve->color_range = AVCOL_RANGE_JPEG;
        if (oc->oformat->flags & AVFMT_GLOBALHEADER) ve->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if (x->sar.num > 0) ve->sample_aspect_ratio = x->sar;
        if (x->bt709) {
            ve->color_primaries = AVCOL_PRI_BT709;
            ve->color_trc = AVCOL_TRC_BT709;
            ve->colorspace = AVCOL_SPC_BT709;
        }
        if (avcodec_open2(ve, c, NULL) < 0 || avcodec_parameters_from_context(vs->codecpar, ve) < 0) goto out;
        vs->time_base = ve->time_base;
        vs->sample_aspect_ratio = ve->sample_aspect_ratio;
        if (x->matrix_rot != 0 || x->matrix_hflip) {
            int32_t *m = (int32_t *)av_stream_new_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
            if (!m) goto out;
            av_display_rotation_set(m, x->matrix_rot);
            if (x->matrix_hflip) av_display_matrix_flip(m, 1, 0);
        }
        if (x->rotate_tag) av_dict_set(&vs->metadata, "rotate", x->rotate_tag, 0);
        if (x->tags) av_dict_set(&vs->metadata, "language", "ita", 0);
        vf = av_frame_alloc();
        vf->format = ve->pix_fmt;
        vf->width = w;
        vf->height = h;
        if (av_frame_get_buffer(vf, 0) < 0) goto out;
        sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, ve->pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
        if (!sws) goto out;
    }
    if (acodec) {
        const AVCodec *c = avcodec_find_encoder_by_name(acodec);
        if (!c || !(ae = avcodec_alloc_context3(c)) || !(as = avformat_new_stream(oc, NULL))) goto out;
        ae->sample_fmt = c->sample_fmts ? c->sample_fmts[0] : AV_SAMPLE_FMT_S16;
        ae->sample_rate = 44100;
        ae->bit_rate = 128000;
        av_channel_layout_default(&ae->ch_layout, 2);
        ae->time_base = (AVRational){1, 44100};
        if (oc->oformat->flags & AVFMT_GLOBALHEADER) ae->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if (avcodec_open2(ae, c, NULL) < 0 || avcodec_parameters_from_context(as->codecpar, ae) < 0) goto out;
        as->time_base = ae->time_base;
        if (x->n_audio == 2) {
            if (!(as2 = avformat_new_stream(oc, NULL)) || avcodec_parameters_from_context(as2->codecpar, ae) < 0) goto out;
            as2->time_base = ae->time_base;
            av_dict_set(&as->metadata, "language", "eng", 0);
            av_dict_set(&as->metadata, "title", "English", 0);
            av_dict_set(&as2->metadata, "language", "fra", 0);
            av_dict_set(&as2->metadata, "title", "Francais", 0);
            as->disposition = AV_DISPOSITION_DEFAULT;
            as2->disposition = 0;
        }
        af = av_frame_alloc();
        af->format = ae->sample_fmt;
        af->nb_samples = ae->frame_size ? ae->frame_size : 1024;
        af->sample_rate = 44100;
        av_channel_layout_copy(&af->ch_layout, &ae->ch_layout);
        if (av_frame_get_buffer(af, 0) < 0) goto out;
    }
    if (x->subtitles) {
        int mp4 = !strcmp(oc->oformat->name, "mp4");
        if (!(ss = avformat_new_stream(oc, NULL))) goto out;
        ss->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
        ss->codecpar->codec_id = mp4 ? AV_CODEC_ID_MOV_TEXT : AV_CODEC_ID_SUBRIP;
        ss->time_base = (AVRational){1, 1000};
        av_dict_set(&ss->metadata, "language", "fra", 0);
    }
    if (x->tags) {
        av_dict_set(&oc->metadata, "title", "A day at the sea", 0);
        av_dict_set(&oc->metadata, "creation_time", "2021-06-05T10:20:30.000000Z", 0);
    }
    for (int k = 0; x->chapters && k < 2; k++) {
        AVChapter *c = av_mallocz(sizeof *c);
        if (!c) goto out;
        c->id = k + 1;
        c->time_base = (AVRational){1, 1000};
        c->start = 500 * k;
        c->end = 500 * (k + 1);
        av_dict_set(&c->metadata, "title", k ? "Middle" : "Start", 0);
        if (av_dynarray_add_nofree(&oc->chapters, (int *)&oc->nb_chapters, c) < 0) goto out;
    }
    if (avio_open(&oc->pb, path, AVIO_FLAG_WRITE) < 0) goto out;
    if (avformat_write_header(oc, NULL) < 0) goto out;
    if (ss) { /* two cues, at 0 and 1 s */
        for (int k = 0; k < 2; k++) {
            const char *text = k ? "Au revoir" : "Bonjour";
            size_t n = strlen(text);
            int mp4 = ss->codecpar->codec_id == AV_CODEC_ID_MOV_TEXT;
            if (av_new_packet(pkt, (int)n + 2 * mp4) < 0) goto out;
            if (mp4) {
                pkt->data[0] = (uint8_t)(n >> 8);
                pkt->data[1] = (uint8_t)n;
            }
            memcpy(pkt->data + 2 * mp4, text, n);
            pkt->pts = pkt->dts = av_rescale_q(1000 * k, (AVRational){1, 1000}, ss->time_base);
            pkt->duration = av_rescale_q(900, (AVRational){1, 1000}, ss->time_base);
            pkt->stream_index = ss->index;
            pkt->flags |= AV_PKT_FLAG_KEY;
            if (av_interleaved_write_frame(oc, pkt) < 0) goto out;
        }
    }
    int vi = 0;
    int64_t asamples = 0, atotal = (int64_t)44100 * frames / fps;
    int vdone = !ve, adone = !ae;
    while (!vdone || !adone) {
        /* the stream that is behind goes next */
        int do_video = !vdone && (adone || av_compare_ts(vi, ve->time_base, asamples, ae->time_base) <= 0);
        AVCodecContext *enc = do_video ? ve : ae;
        AVStream *st = do_video ? vs : as;
        AVFrame *f = NULL;
        if (do_video && vi < frames) {
            pattern(rgb, w, h, vi);
            av_frame_make_writable(vf);
            const uint8_t *src[1] = {rgb};
            int stride[1] = {3 * w};
            sws_scale(sws, src, stride, 0, h, vf->data, vf->linesize);
            vf->pts = vi + (vi >= 6 ? gap : 0);
            vi++;
            f = vf;
        } else if (!do_video && asamples < atotal) {
            av_frame_make_writable(af);
            for (int s = 0; s < af->nb_samples; s++) {
                double v = 0.3 * sin(2 * 3.14159265358979 * 440.0 * (double)(asamples + s) / 44100.0);
                for (int ch = 0; ch < 2; ch++) {
                    if (ae->sample_fmt == AV_SAMPLE_FMT_S16) ((int16_t *)af->data[0])[2 * s + ch] = (int16_t)(v * 32767);
                    else if (ae->sample_fmt == AV_SAMPLE_FMT_FLTP) ((float *)af->data[ch])[s] = (float)v;
                }
            }
            af->pts = asamples;
            asamples += af->nb_samples;
            f = af;
        }
        if ((e = avcodec_send_frame(enc, f)) < 0) goto out;
        while ((e = avcodec_receive_packet(enc, pkt)) == 0) {
            if (!do_video && as2) { /* the second track: the same packets */
                AVPacket *p2 = av_packet_clone(pkt);
                if (!p2) goto out;
                av_packet_rescale_ts(p2, enc->time_base, as2->time_base);
                p2->stream_index = as2->index;
                e = av_interleaved_write_frame(oc, p2);
                av_packet_free(&p2);
                if (e < 0) goto out;
            }
            av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
            pkt->stream_index = st->index;
            if (av_interleaved_write_frame(oc, pkt) < 0) goto out;
        }
        if (e == AVERROR_EOF) {
            if (do_video) vdone = 1;
            else adone = 1;
        } else if (e != AVERROR(EAGAIN)) goto out;
    }
    if (av_write_trailer(oc) < 0) goto out;
    rc = 0;
out:
    if (oc && oc->pb) avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&ve);
    avcodec_free_context(&ae);
    av_frame_free(&vf);
    av_frame_free(&af);
    av_packet_free(&pkt);
    sws_freeContext(sws);
    free(rgb);
    return rc;
}

static int gen_video(const char *path, const char *vcodec, const char *acodec, int w, int h, int fps, int frames,
                     int gap) {
    return gen_video_ex(path, vcodec, acodec, w, h, fps, frames, gap, NULL);
}

/* Audio packets and codec of a file (direct libavformat, independent of ccpl). */
static int count_audio(const char *path, const char **codec) {
    AVFormatContext *fc = NULL;
    AVPacket *pkt = av_packet_alloc();
    int n = -1;
    *codec = "none";
    if (avformat_open_input(&fc, path, NULL, NULL) == 0 && avformat_find_stream_info(fc, NULL) >= 0) {
        int ai = av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
        n = 0;
        if (ai >= 0) {
            *codec = avcodec_get_name(fc->streams[ai]->codecpar->codec_id);
            while (av_read_frame(fc, pkt) >= 0) {
                n += pkt->stream_index == ai;
                av_packet_unref(pkt);
            }
        }
    }
    av_packet_free(&pkt);
    avformat_close_input(&fc);
    return n;
}

/* Centroid of the marker (pixels bright in all three channels: only the
 * pattern's square is) in an RGB image; -1 when there is none. */
static int marker_centroid(const unsigned char *rgb, int w, int h, double *cx, double *cy) {
    double sx = 0, sy = 0;
    long n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const unsigned char *p = rgb + 3 * ((size_t)y * w + x);
            if (p[0] > 215 && p[1] > 215 && p[2] > 215) {
                sx += x;
                sy += y;
                n++;
            }
        }
    if (n == 0) return -1;
    *cx = sx / n;
    *cy = sy / n;
    return 0;
}

/* Opens path with libavformat alone (independent of ccpl's reader). */
static AVFormatContext *probe_open(const char *path) {
    AVFormatContext *fc = NULL;
    if (avformat_open_input(&fc, path, NULL, NULL) < 0) return NULL;
    if (avformat_find_stream_info(fc, NULL) < 0) avformat_close_input(&fc);
    return fc;
}

/* The display-matrix rotation of the video stream, as av_display_rotation_get
 * gives it (counterclockwise degrees; 0 without a matrix), *has: whether the
 * stream has one or a "rotate" tag. */
static double display_rotation(AVFormatContext *fc, int *has) {
    int vi = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    *has = 0;
    if (vi < 0) return 0;
    size_t n = 0;
    const int32_t *m = (const int32_t *)av_stream_get_side_data(fc->streams[vi], AV_PKT_DATA_DISPLAYMATRIX, &n);
    if (av_dict_get(fc->streams[vi]->metadata, "rotate", NULL, 0)) *has = 1;
    if (!m || n < 9 * sizeof(int32_t)) return 0;
    *has = 1;
    double r = av_display_rotation_get(m);
    return r == r ? r : 0;
}

/* Decodes the first video frame with libavcodec alone (no display matrix
 * applied: what a player gets before it rotates) and finds the marker. */
static int first_frame_marker(const char *path, int *w, int *h, double *cx, double *cy) {
    AVFormatContext *fc = probe_open(path);
    AVCodecContext *dc = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    unsigned char *rgb = NULL;
    int rc = -1, got = 0;
    const AVCodec *c = NULL;
    int vi = fc ? av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, &c, 0) : -1;
    if (vi < 0 || !c || !(dc = avcodec_alloc_context3(c)) ||
        avcodec_parameters_to_context(dc, fc->streams[vi]->codecpar) < 0 || avcodec_open2(dc, c, NULL) < 0)
        goto out;
    while (!got) {
        int e = av_read_frame(fc, pkt);
        if (e >= 0 && pkt->stream_index != vi) {
            av_packet_unref(pkt);
            continue;
        }
        avcodec_send_packet(dc, e >= 0 ? pkt : NULL);
        av_packet_unref(pkt);
        e = avcodec_receive_frame(dc, f);
        if (e == 0) got = 1;
        else if (e != AVERROR(EAGAIN)) goto out;
    }
    *w = f->width;
    *h = f->height;
    struct SwsContext *sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGB24,
                                            SWS_BILINEAR, NULL, NULL, NULL);
    if (!sws || !(rgb = malloc((size_t)3 * f->width * f->height))) {
        sws_freeContext(sws);
        goto out;
    }
    uint8_t *dst[4] = {rgb, NULL, NULL, NULL};
    int ds[4] = {3 * f->width, 0, 0, 0};
    sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, ds);
    sws_freeContext(sws);
    rc = marker_centroid(rgb, f->width, f->height, cx, cy);
out:
    free(rgb);
    av_frame_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&dc);
    avformat_close_input(&fc);
    return rc;
}

static const char *tag(AVDictionary *d, const char *key) {
    AVDictionaryEntry *e = av_dict_get(d, key, NULL, 0);
    return e ? e->value : "";
}

/* One line about the streams of a file, for the checks and cli_video.sh:
 * "rotation=R size=WxH v:CODEC:LANG,a:CODEC:LANG:default,... title=T" (the
 * size as decoded, before any display matrix). */
static int describe(const char *path, char *out, size_t n) {
    AVFormatContext *fc = probe_open(path);
    if (!fc) return -1;
    int has, w = 0, h = 0;
    double cx, cy, rot = display_rotation(fc, &has);
    size_t k = 0;
    first_frame_marker(path, &w, &h, &cx, &cy);
    k += (size_t)snprintf(out + k, n - k, "rotation=%g size=%dx%d ", rot == 0 ? 0.0 : -rot, w, h);
    for (unsigned i = 0; i < fc->nb_streams && k < n; i++) {
        AVStream *st = fc->streams[i];
        const char *lang = tag(st->metadata, "language");
        k += (size_t)snprintf(out + k, n - k, "%s%s:%s:%s%s", i ? "," : "",
                              av_get_media_type_string(st->codecpar->codec_type) ? av_get_media_type_string(st->codecpar->codec_type) : "?",
                              avcodec_get_name(st->codecpar->codec_id), *lang ? lang : "und",
                              st->disposition & AV_DISPOSITION_DEFAULT ? ":default" : "");
    }
    if (k < n) snprintf(out + k, n - k, " title=%s", tag(fc->metadata, "title"));
    avformat_close_input(&fc);
    return 0;
}

typedef struct readback {
    int frames, w, h, fps_num, fps_den, has_audio;
    long long last_pos; /* position of the last frame, in frame periods */
    double mad; /* mean |decoded - pattern| over all frames (pattern-sized reads) */
} readback;

static ccpl_status read_all(const char *path, int sw, int sh, readback *rb, ccpl_error *err) {
    memset(rb, 0, sizeof *rb);
    ccpl__video_reader *r;
    ccpl_status st = ccpl__video_reader_open(&r, path, err);
    if (st != CCPL_OK) return st;
    const ccpl__video_info *vi = ccpl__video_reader_info(r);
    rb->w = vi->width;
    rb->h = vi->height;
    rb->fps_num = vi->fps_num;
    rb->fps_den = vi->fps_den;
    rb->has_audio = vi->has_audio;
    if (sw) st = ccpl__video_reader_set_size(r, sw, sh, err);
    ccpl_image img = {0};
    unsigned char *ref = malloc((size_t)3 * vi->width * vi->height);
    double sum = 0;
    size_t count = 0;
    int got = 1;
    while (st == CCPL_OK && (st = ccpl__video_reader_next(r, &img, &got, err)) == CCPL_OK && got) {
        if (!sw && img.width == vi->width && img.height == vi->height) {
            pattern(ref, img.width, img.height, rb->frames);
            for (size_t k = 0; k < (size_t)3 * img.width * img.height; k++) sum += abs(img.data[k] - ref[k]);
            count += (size_t)3 * img.width * img.height;
        } else if (sw) {
            if (img.width != sw || img.height != sh) st = CCPL_E_SHAPE;
        }
        rb->frames++;
        rb->last_pos = ccpl__video_reader_position(r);
    }
    rb->mad = count ? sum / count : 0;
    free(ref);
    ccpl_image_free(&img);
    ccpl__video_reader_close(r);
    return st;
}

static char g_note[512]; /* the writer's note on what it left out, from the last rewrite */

/* Re-encodes src into dst through the writer (its other streams and tags
 * kept); g_note gets what the writer left out. */
static ccpl_status rewrite(const char *src, const char *dst, const char *codec, int max_frames, ccpl_error *err) {
    ccpl__video_reader *r;
    ccpl_status st = ccpl__video_reader_open(&r, src, err);
    if (st != CCPL_OK) return st;
    const ccpl__video_info *vi = ccpl__video_reader_info(r);
    ccpl__video_writer_params wp = {0};
    wp.width = vi->width;
    wp.height = vi->height;
    wp.fps_num = vi->fps_num;
    wp.fps_den = vi->fps_den;
    ccpl__video_writer_keep_source(&wp, src, vi);
    wp.codec = codec;
    ccpl__video_writer *w = NULL;
    st = ccpl__video_writer_open(&w, dst, &wp, err);
    if (st == CCPL_OK) snprintf(g_note, sizeof g_note, "%s", ccpl__video_writer_note(w));
    ccpl_image img = {0};
    int got = 1, n = 0;
    while (st == CCPL_OK && (max_frames == 0 || n < max_frames) &&
           (st = ccpl__video_reader_next(r, &img, &got, err)) == CCPL_OK && got) {
        st = ccpl__video_writer_write_at(w, &img, ccpl__video_reader_position(r), err);
        n++;
    }
    if (st == CCPL_OK) st = ccpl__video_writer_finish(w, err);
    else ccpl__video_writer_abort(w);
    ccpl_image_free(&img);
    ccpl__video_reader_close(r);
    return st;
}

static int no_temp_files(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int ok = 1;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp-")) ok = 0;
    if (d) closedir(d);
    return ok;
}

static int cli_helper(int argc, char **argv) {
    if (!strcmp(argv[1], "gen") && argc >= 7) {
        int n = atoi(argv[3]), w = atoi(argv[4]), h = atoi(argv[5]), fps = atoi(argv[6]);
        int audio = 0, video = 1;
        gen_extra x = {0};
        for (int k = 7; k < argc; k++) {
            if (!strcmp(argv[k], "audio")) audio = 1;
            else if (!strcmp(argv[k], "audioonly")) audio = 1, video = 0;
            else if (!strcmp(argv[k], "phone")) { /* a phone clip: turned, two tracks, tags */
                audio = 1;
                x.matrix_rot = 90;
                x.n_audio = 2;
                x.tags = 1;
            } else if (!strcmp(argv[k], "tagged")) { /* rotate tag 180, subtitles, chapters */
                audio = 1;
                x.rotate_tag = "180";
                x.subtitles = 1;
                x.n_audio = 2;
                x.chapters = 1;
            } else {
                fprintf(stderr, "test_video gen: unknown flag %s\n", argv[k]);
                return 2;
            }
        }
        const char *dot = strrchr(argv[2], '.');
        const char *vc = dot && !strcmp(dot, ".avi") ? "mjpeg" : "mpeg4";
        if (gen_video_ex(argv[2], video ? vc : NULL, audio ? "mp2" : NULL, w, h, fps, n, 0, &x) != 0) {
            fprintf(stderr, "test_video gen: %s: failed\n", argv[2]);
            return 1;
        }
        return 0;
    }
    if (!strcmp(argv[1], "describe") && argc == 3) {
        char d[1024];
        if (describe(argv[2], d, sizeof d) != 0) {
            fprintf(stderr, "test_video describe: %s: cannot read\n", argv[2]);
            return 1;
        }
        printf("%s\n", d);
        return 0;
    }
    if (!strcmp(argv[1], "probe") && argc == 3) {
        readback rb;
        ccpl_error err;
        if (read_all(argv[2], 0, 0, &rb, &err) != CCPL_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        const char *ac;
        int na = count_audio(argv[2], &ac);
        printf("frames=%d fps=%d/%d size=%dx%d audio=%s packets=%d\n", rb.frames, rb.fps_num, rb.fps_den, rb.w, rb.h,
               ac, na);
        return 0;
    }
    fprintf(stderr, "usage: test_video [gen FILE FRAMES W H FPS [audio|audioonly|phone|tagged] | probe FILE | describe FILE]\n");
    return 2;
}

int main(int argc, char **argv) {
    ccpl__video_quiet_logs();
    if (argc > 1) return cli_helper(argc, argv);
    char dir[] = "/tmp/ccpl_test_video_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* tu_path's buffers rotate: the inputs used all through are kept apart */
    char mp4[4096], avi[4096];
    snprintf(mp4, sizeof mp4, "%s", tu_path(dir, "in.mp4"));
    snprintf(avi, sizeof avi, "%s", tu_path(dir, "in.avi"));
    ccpl_error err;
    readback rb;
    const char *acodec = avcodec_find_encoder_by_name("mp2") ? "mp2" : avcodec_find_encoder_by_name("aac") ? "aac" : NULL;
    CHECK(gen_video(mp4, "mpeg4", acodec, 64, 48, 12, 24, 0) == 0, "generate %s", mp4);
    CHECK(gen_video(avi, "mjpeg", NULL, 64, 48, 12, 24, 0) == 0, "generate %s", avi);
    if (!acodec) SKIP("no MP2 or AAC encoder in this libavcodec: audio copy untested");

    /* --- reading */
    const char *const names[2] = {mp4, avi};
    for (int k = 0; k < 2; k++) {
        ccpl_status st = read_all(names[k], 0, 0, &rb, &err);
        CHECK(st == CCPL_OK, "read %s: %s", names[k], err.message);
        CHECK(rb.frames == 24, "%s: %d frames, expected 24", names[k], rb.frames);
        CHECK(rb.w == 64 && rb.h == 48, "%s: %dx%d", names[k], rb.w, rb.h);
        CHECK(rb.fps_num == 12 && rb.fps_den == 1, "%s: fps %d/%d", names[k], rb.fps_num, rb.fps_den);
        /* 4:2:0 chroma and a lossy codec at high quality: a few levels */
        CHECK(rb.mad < 6.0, "%s: mean |decoded - written| = %.2f levels", names[k], rb.mad);
        printf("%s: %d frames %dx%d %d/%d fps, mean abs error %.2f\n", names[k], rb.frames, rb.w, rb.h, rb.fps_num,
               rb.fps_den, rb.mad);
        if (k == 0 && acodec) CHECK(rb.has_audio, "%s has audio", names[k]);
    }
    CHECK(read_all(mp4, 32, 24, &rb, &err) == CCPL_OK && rb.frames == 24, "scaled read: %s", err.message);

    /* --- writing: default codec (H.264 if present) with the audio copied */
    char out[4096];
    snprintf(out, sizeof out, "%s", tu_path(dir, "out.mp4"));
    ccpl_status st = rewrite(mp4, out, NULL, 0, &err);
    CHECK(st == CCPL_OK, "rewrite: %s", err.message);
    st = read_all(out, 0, 0, &rb, &err);
    CHECK(st == CCPL_OK, "read back: %s", err.message);
    CHECK(rb.frames == 24 && rb.fps_num == 12 && rb.fps_den == 1 && rb.w == 64 && rb.h == 48,
          "rewritten: %d frames %d/%d fps %dx%d", rb.frames, rb.fps_num, rb.fps_den, rb.w, rb.h);
    CHECK(rb.mad < 8.0, "rewritten: mean abs error %.2f", rb.mad);
    printf("rewritten %s: %d frames, mean abs error %.2f\n", out, rb.frames, rb.mad);
    if (acodec) {
        const char *c_in, *c_out;
        int a_in = count_audio(mp4, &c_in), a_out = count_audio(out, &c_out);
        CHECK(!strcmp(c_in, c_out) && a_out >= a_in - 1 && a_out <= a_in && a_in > 10,
              "audio: %d %s packets in, %d %s out", a_in, c_in, a_out, c_out);
        printf("audio: %d %s packets in, %d out\n", a_in, c_in, a_out);
    }
    /* MPEG-4 Part 2 into AVI, first 10 frames: the audio is cut at 10/12 s */
    const char *out2 = tu_path(dir, "out2.avi");
    st = rewrite(avi, out2, "mpeg4", 10, &err);
    CHECK(st == CCPL_OK, "rewrite mpeg4: %s", err.message);
    CHECK(read_all(out2, 0, 0, &rb, &err) == CCPL_OK && rb.frames == 10 && rb.fps_num == 12,
          "mpeg4 avi: %d frames %d/%d", rb.frames, rb.fps_num, rb.fps_den);
    if (acodec) {
        const char *out3 = tu_path(dir, "out3.mp4"), *c3;
        CHECK(rewrite(mp4, out3, NULL, 6, &err) == CCPL_OK, "rewrite 6 frames: %s", err.message);
        int a_in = count_audio(mp4, &c3), a3 = count_audio(out3, &c3);
        CHECK(a3 > 0 && a3 < a_in * 6 / 24 + 2, "audio cut to the frames: %d of %d packets", a3, a_in);
    }

    /* a source that skips frames keeps its timing: 12 frames over 18 periods */
    const char *gapped = tu_path(dir, "gap.mp4"), *gapped2 = tu_path(dir, "gap2.mp4");
    CHECK(gen_video(gapped, "mpeg4", NULL, 64, 48, 12, 12, 6) == 0, "generate %s", gapped);
    CHECK(read_all(gapped, 0, 0, &rb, &err) == CCPL_OK && rb.frames == 12 && rb.last_pos == 17,
          "gapped source: %d frames, last at %lld", rb.frames, rb.last_pos);
    CHECK(rewrite(gapped, gapped2, NULL, 0, &err) == CCPL_OK, "rewrite gapped: %s", err.message);
    CHECK(read_all(gapped2, 0, 0, &rb, &err) == CCPL_OK && rb.frames == 12 && rb.last_pos == 17,
          "gapped rewritten: %d frames, last at %lld", rb.frames, rb.last_pos);
    CHECK(read_all(out, 0, 0, &rb, &err) == CCPL_OK && rb.last_pos == 23, "constant rate: last at %lld", rb.last_pos);

    /* --- what the container says. A phone clip: coded landscape with a
     * display matrix turning it 90 degrees clockwise, two audio tracks
     * (eng, default; fra), a title, a creation time, 4:3 pixels, BT.709. */
    if (acodec) {
        const char *phone = tu_path(dir, "phone.mp4"), *phone2 = tu_path(dir, "phone_out.mp4");
        gen_extra x = {0};
        x.matrix_rot = 90;
        x.n_audio = 2;
        x.sar = (AVRational){4, 3};
        x.bt709 = 1;
        x.tags = 1;
        CHECK(gen_video_ex(phone, "mpeg4", acodec, 64, 48, 12, 12, 0, &x) == 0, "generate %s", phone);
        char d_in[512] = "", d_out[512] = "";
        describe(phone, d_in, sizeof d_in);
        printf("phone clip: %s\n", d_in);
        CHECK(strstr(d_in, "rotation=90 size=64x48 ") == d_in, "the generated clip is not what the case needs: %s", d_in);
        /* the reader turns the frames upright: 48x64; the marker, coded
         * around (3.5, 11.5), shows at (H-1-y, x) = (35.5, 3.5) */
        ccpl__video_reader *pr = NULL;
        CHECK(ccpl__video_reader_open(&pr, phone, &err) == CCPL_OK, "open %s: %s", phone, err.message);
        if (pr) {
            const ccpl__video_info *vi = ccpl__video_reader_info(pr);
            CHECK(vi->width == 48 && vi->height == 64 && vi->rotation == 90 && !vi->mirrored,
                  "reader: %dx%d rotation %d mirrored %d, expected 48x64 90", vi->width, vi->height, vi->rotation,
                  vi->mirrored);
            CHECK(vi->sar_num == 3 && vi->sar_den == 4, "reader: turned 4:3 pixels are 3:4, not %d:%d", vi->sar_num,
                  vi->sar_den);
            ccpl_image f = {0};
            int got = 0;
            double cx = -1, cy = -1;
            CHECK(ccpl__video_reader_next(pr, &f, &got, &err) == CCPL_OK && got, "read: %s", err.message);
            CHECK(got && f.width == 48 && f.height == 64 && marker_centroid(f.data, f.width, f.height, &cx, &cy) == 0 &&
                      fabs(cx - 35.5) < 1.5 && fabs(cy - 3.5) < 1.5,
                  "reader: marker at (%.1f, %.1f) of %dx%d, expected (35.5, 3.5) of 48x64", cx, cy, f.width, f.height);
            ccpl_image_free(&f);
            ccpl__video_reader_close(pr);
        }
        /* the rewrite plays the same way: upright frames, no matrix left to
         * turn them again; every stream with its tags; the file's tags */
        CHECK(rewrite(phone, phone2, NULL, 0, &err) == CCPL_OK, "rewrite %s: %s", phone, err.message);
        describe(phone2, d_out, sizeof d_out);
        printf("rewritten: %s\n", d_out);
        int ow = 0, oh = 0;
        double cx = -1, cy = -1;
        CHECK(first_frame_marker(phone2, &ow, &oh, &cx, &cy) == 0 && ow == 48 && oh == 64 && fabs(cx - 35.5) < 1.5 &&
                  fabs(cy - 3.5) < 1.5,
              "output: marker at (%.1f, %.1f) of %dx%d, expected (35.5, 3.5) of 48x64", cx, cy, ow, oh);
        AVFormatContext *fi = probe_open(phone), *fo = probe_open(phone2);
        CHECK(fi && fo, "probe %s", phone2);
        if (fi && fo) {
            int has;
            double rot = display_rotation(fo, &has);
            CHECK(rot == 0, "output display rotation %g (has a matrix or tag: %d)", rot, has);
            CHECK(fo->nb_streams == 3, "output has %u streams, the input 3", fo->nb_streams);
            for (unsigned i = 0; i < fi->nb_streams && i < fo->nb_streams; i++) {
                AVStream *a = fi->streams[i], *b = fo->streams[i];
                CHECK(a->codecpar->codec_type == b->codecpar->codec_type, "stream %u: type %d, the input's %d", i,
                      b->codecpar->codec_type, a->codecpar->codec_type);
                CHECK(!strcmp(tag(a->metadata, "language"), tag(b->metadata, "language")),
                      "stream %u: language '%s', the input's '%s'", i, tag(b->metadata, "language"),
                      tag(a->metadata, "language"));
                CHECK((a->disposition & AV_DISPOSITION_DEFAULT) == (b->disposition & AV_DISPOSITION_DEFAULT),
                      "stream %u: disposition %x, the input's %x", i, b->disposition, a->disposition);
                if (a->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
                    CHECK(a->codecpar->codec_id == b->codecpar->codec_id, "stream %u: audio codec changed", i);
            }
            CHECK(!strcmp(tag(fo->metadata, "title"), "A day at the sea"), "output title '%s'", tag(fo->metadata, "title"));
            CHECK(!strcmp(tag(fo->metadata, "creation_time"), tag(fi->metadata, "creation_time")) &&
                      !strncmp(tag(fo->metadata, "creation_time"), "2021-06-05T10:20:30", 19),
                  "output creation_time '%s', the input's '%s'", tag(fo->metadata, "creation_time"),
                  tag(fi->metadata, "creation_time"));
            int vo = av_find_best_stream(fo, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
            if (vo >= 0) {
                AVCodecParameters *cp = fo->streams[vo]->codecpar;
                CHECK(cp->sample_aspect_ratio.num == 3 && cp->sample_aspect_ratio.den == 4, "output SAR %d:%d, expected 3:4",
                      cp->sample_aspect_ratio.num, cp->sample_aspect_ratio.den);
                CHECK(cp->color_primaries == AVCOL_PRI_BT709 && cp->color_trc == AVCOL_TRC_BT709 &&
                          cp->color_space == AVCOL_SPC_BT709,
                      "output colour tags %d/%d/%d, expected BT.709", cp->color_primaries, cp->color_trc, cp->color_space);
            }
            /* both tracks carry every packet of the input's */
            int na[2] = {0, 0}, ni[2] = {0, 0};
            AVPacket *pk = av_packet_alloc();
            while (av_read_frame(fo, pk) >= 0) {
                if (pk->stream_index >= 1 && pk->stream_index <= 2) na[pk->stream_index - 1]++;
                av_packet_unref(pk);
            }
            while (av_read_frame(fi, pk) >= 0) {
                if (pk->stream_index >= 1 && pk->stream_index <= 2) ni[pk->stream_index - 1]++;
                av_packet_unref(pk);
            }
            av_packet_free(&pk);
            CHECK(na[0] >= ni[0] - 1 && na[1] >= ni[1] - 1 && na[0] > 5 && na[1] > 5,
                  "audio packets: %d and %d out, %d and %d in", na[0], na[1], ni[0], ni[1]);
        }
        avformat_close_input(&fi);
        avformat_close_input(&fo);
        CHECK(!*g_note, "nothing left out, yet the note says '%s'", g_note);

        /* Matroska: the older "rotate" tag (180), a subtitle stream; MP4
         * cannot hold subrip: left out, and the note says so */
        const char *mkv = tu_path(dir, "tagged.mkv"), *mkv2 = tu_path(dir, "tagged_out.mkv"),
                   *mkv3 = tu_path(dir, "tagged_out.mp4");
        gen_extra y = {0};
        y.rotate_tag = "180";
        y.subtitles = 1;
        y.n_audio = 2;
        y.chapters = 1;
        CHECK(gen_video_ex(mkv, "mpeg4", acodec, 64, 48, 12, 12, 0, &y) == 0, "generate %s", mkv);
        CHECK(rewrite(mkv, mkv2, NULL, 0, &err) == CCPL_OK, "rewrite %s: %s", mkv, err.message);
        describe(mkv, d_in, sizeof d_in);
        describe(mkv2, d_out, sizeof d_out);
        printf("mkv: %s\nrewritten mkv: %s\n", d_in, d_out);
        const char *rest = "rotation=0 size=64x48 ";
        CHECK(!strncmp(d_out, rest, strlen(rest)) && !strncmp(d_in, rest, strlen(rest)) &&
                  !strcmp(strchr(d_out, ','), strchr(d_in, ',')) && strstr(d_out, ",subtitle:subrip:fra"),
              "mkv rewritten: %s, from %s", d_out, d_in);
        {
            AVFormatContext *fm = probe_open(mkv), *fm2 = probe_open(mkv2);
            int has = 0;
            if (fm) display_rotation(fm, &has);
            CHECK(has, "%s: the rotate tag did not survive", mkv);
            CHECK(fm2 && fm2->nb_streams == 4 && !strcmp(tag(fm2->streams[1]->metadata, "title"), "English") &&
                      !strcmp(tag(fm2->streams[2]->metadata, "title"), "Francais") &&
                      !strcmp(tag(fm2->streams[2]->metadata, "language"), "fra"),
                  "mkv: audio titles '%s' '%s'", fm2 && fm2->nb_streams > 2 ? tag(fm2->streams[1]->metadata, "title") : "?",
                  fm2 && fm2->nb_streams > 2 ? tag(fm2->streams[2]->metadata, "title") : "?");
            /* chapters move with the streams: the output starts where the
             * source video started (11 ms in, in this Matroska file) */
            int64_t v0 = fm && fm->streams[0]->start_time != AV_NOPTS_VALUE
                             ? av_rescale_q(fm->streams[0]->start_time, fm->streams[0]->time_base, (AVRational){1, 1000})
                             : 0;
            CHECK(fm2 && fm2->nb_chapters == 2 && !strcmp(tag(fm2->chapters[1]->metadata, "title"), "Middle") &&
                      llabs(av_rescale_q(fm2->chapters[1]->start, fm2->chapters[1]->time_base, (AVRational){1, 1000}) - (500 - v0)) <= 1,
                  "mkv: %u chapters, the second at %lld x %d/%d", fm2 ? fm2->nb_chapters : 0,
                  fm2 && fm2->nb_chapters > 1 ? (long long)fm2->chapters[1]->start : -1LL,
                  fm2 && fm2->nb_chapters > 1 ? fm2->chapters[1]->time_base.num : 0,
                  fm2 && fm2->nb_chapters > 1 ? fm2->chapters[1]->time_base.den : 0);
            avformat_close_input(&fm);
            avformat_close_input(&fm2);
        }
        CHECK(first_frame_marker(mkv2, &ow, &oh, &cx, &cy) == 0 && fabs(cx - 59.5) < 1.5 && fabs(cy - 35.5) < 1.5,
              "mkv, rotate=180: marker at (%.1f, %.1f), expected (W-1-x, H-1-y) = (59.5, 35.5)", cx, cy);
        CHECK(rewrite(mkv, mkv3, NULL, 0, &err) == CCPL_OK, "rewrite %s: %s", mkv, err.message);
        describe(mkv3, d_out, sizeof d_out);
        CHECK(!strstr(d_out, "subtitle") && strstr(d_out, "audio:"), "mp4 from mkv: %s", d_out);
        CHECK(strstr(g_note, "subrip") && strstr(g_note, "fra"), "the note does not name the subrip stream: '%s'", g_note);
        printf("mkv -> mp4 note: %s\n", g_note);

        /* MP4 subtitles (mov_text) stay in MP4 */
        const char *sub = tu_path(dir, "sub.mp4"), *sub2 = tu_path(dir, "sub_out.mp4");
        CHECK(gen_video_ex(sub, "mpeg4", acodec, 64, 48, 12, 12, 0, &y) == 0, "generate %s", sub);
        CHECK(rewrite(sub, sub2, NULL, 0, &err) == CCPL_OK, "rewrite %s: %s", sub, err.message);
        describe(sub2, d_out, sizeof d_out);
        CHECK(strstr(d_out, ",subtitle:mov_text:fra") != NULL, "mp4 subtitles: %s", d_out);
    }
    /* a mirrored matrix (turned 90 clockwise, then mirrored left-right by
     * av_display_matrix_flip): coded (x, y) shows at (y, x) */
    {
        const char *mir = tu_path(dir, "mirror.mp4"), *mir2 = tu_path(dir, "mirror_out.mp4");
        gen_extra z = {0};
        z.matrix_rot = 90;
        z.matrix_hflip = 1;
        CHECK(gen_video_ex(mir, "mpeg4", NULL, 64, 48, 12, 4, 0, &z) == 0, "generate %s", mir);
        CHECK(rewrite(mir, mir2, NULL, 0, &err) == CCPL_OK, "rewrite %s: %s", mir, err.message);
        int ow = 0, oh = 0;
        double cx = -1, cy = -1;
        CHECK(first_frame_marker(mir2, &ow, &oh, &cx, &cy) == 0 && ow == 48 && oh == 64 && fabs(cx - 11.5) < 1.5 &&
                  fabs(cy - 3.5) < 1.5,
              "mirrored: marker at (%.1f, %.1f) of %dx%d, expected (11.5, 3.5) of 48x64", cx, cy, ow, oh);
        ccpl__video_reader *mr = NULL;
        CHECK(ccpl__video_reader_open(&mr, mir, &err) == CCPL_OK, "open %s: %s", mir, err.message);
        if (mr) {
            const ccpl__video_info *vi = ccpl__video_reader_info(mr);
            /* the same as mirrored first, then turned 270 clockwise */
            CHECK(vi->mirrored && vi->rotation == 270, "mirrored: rotation %d mirrored %d", vi->rotation, vi->mirrored);
            ccpl__video_reader_close(mr);
        }
    }

    /* --- every supported output type writes a file that reads back; others
     * are refused up front, naming the supported ones */
    {
        static const char *const types[] = {"mp4", "m4v", "mov", "mkv", "webm", "avi", "gif"};
        for (size_t k = 0; k < sizeof types / sizeof *types; k++) {
            char name[32];
            snprintf(name, sizeof name, "fmt.%s", types[k]);
            const char *fp2 = tu_path(dir, name);
            CHECK(ccpl__video_output_supported(fp2), "%s: not supported", name);
            st = rewrite(mp4, fp2, NULL, 5, &err);
            CHECK(st == CCPL_OK, "write %s: %s", name, err.message);
            if (st != CCPL_OK) continue;
            st = read_all(fp2, 0, 0, &rb, &err);
            CHECK(st == CCPL_OK && rb.frames == 5 && rb.w == 64 && rb.h == 48, "%s: %d frames %dx%d (%s)", name, rb.frames,
                  rb.w, rb.h, st == CCPL_OK ? "" : err.message);
            CHECK(rb.mad < 12.0, "%s: mean abs error %.2f", name, rb.mad);
            printf("%s: %d frames, mean abs error %.2f, note '%s'\n", name, rb.frames, rb.mad, g_note);
            if (!strcmp(types[k], "gif") || !strcmp(types[k], "webm"))
                CHECK(strstr(g_note, "#1 mp3 audio") || !acodec, "%s: dropped audio not named: '%s'", name, g_note);
        }
        static const char *const bad[] = {"x.ogv", "x.png", "x.xyz", "noext"};
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            ccpl__video_writer *w = NULL;
            ccpl__video_writer_params wp = {0};
            wp.width = 64, wp.height = 48, wp.fps_num = 12, wp.fps_den = 1;
            CHECK(!ccpl__video_output_supported(bad[k]), "%s: supported", bad[k]);
            st = ccpl__video_writer_open(&w, tu_path(dir, bad[k]), &wp, &err);
            CHECK(st == CCPL_E_INVALID_ARGUMENT && strstr(err.message, bad[k]) && strstr(err.message, ".webm") && !w,
                  "%s: %d %s", bad[k], st, err.message);
        }
    }

    /* --- errors */
    const char *trunc = tu_path(dir, "trunc.mp4");
    {
        FILE *fi = fopen(out, "rb"), *fo = fopen(trunc, "wb");
        char buf[4096];
        fseek(fi, 0, SEEK_END);
        long size = ftell(fi), left = size / 2;
        fseek(fi, 0, SEEK_SET);
        while (left > 0) {
            size_t k = fread(buf, 1, left < (long)sizeof buf ? (size_t)left : sizeof buf, fi);
            if (!k) break;
            fwrite(buf, 1, k, fo);
            left -= (long)k;
        }
        fclose(fi);
        fclose(fo);
    }
    ccpl__video_reader *r = NULL;
    st = ccpl__video_reader_open(&r, trunc, &err);
    if (st == CCPL_OK) { /* a demuxer may open it: then reading must fail or come up short */
        st = read_all(trunc, 0, 0, &rb, &err);
        CHECK(st != CCPL_OK || rb.frames < 24, "truncated file read %d frames", rb.frames);
        ccpl__video_reader_close(r);
    } else {
        CHECK(st == CCPL_E_FORMAT && strstr(err.message, "trunc.mp4"), "truncated: %d %s", st, err.message);
    }
    printf("truncated: %s\n", err.message);
    const char *txt = tu_path(dir, "notes.txt");
    FILE *fp = fopen(txt, "w");
    fputs("this is not a video\n", fp);
    fclose(fp);
    st = ccpl__video_reader_open(&r, txt, &err);
    CHECK(st == CCPL_E_FORMAT && strstr(err.message, "notes.txt"), "text file: %d %s", st, err.message);
    st = ccpl__video_reader_open(&r, tu_path(dir, "missing.mp4"), &err);
    CHECK(st == CCPL_E_IO && strstr(err.message, "missing.mp4"), "missing: %d %s", st, err.message);
    if (acodec) {
        const char *audio_only = tu_path(dir, "audio_only.mp4");
        CHECK(gen_video(audio_only, NULL, acodec, 64, 48, 12, 24, 0) == 0, "generate audio-only");
        st = ccpl__video_reader_open(&r, audio_only, &err);
        CHECK(st == CCPL_E_FORMAT && strstr(err.message, "no video stream"), "audio only: %d %s", st, err.message);
    }
    ccpl__video_writer *w = NULL;
    ccpl__video_writer_params wp = {0};
    wp.width = 64, wp.height = 48, wp.fps_num = 12, wp.fps_den = 1;
    st = ccpl__video_writer_open(&w, tu_path(dir, "nodir/out.mp4"), &wp, &err);
    CHECK(st == CCPL_E_IO && strstr(err.message, "nodir/out.mp4") && !w, "unwritable: %d %s", st, err.message);
    st = ccpl__video_writer_open(&w, tu_path(dir, "out.xyz"), &wp, &err);
    CHECK(st == CCPL_E_INVALID_ARGUMENT && strstr(err.message, "out.xyz"), "unknown type: %d %s", st, err.message);
    wp.width = 63;
    st = ccpl__video_writer_open(&w, tu_path(dir, "odd.mp4"), &wp, &err);
    CHECK(st == CCPL_E_INVALID_ARGUMENT, "odd width: %d %s", st, err.message);
    /* an aborted writer leaves nothing, and an existing file is untouched */
    wp.width = 64;
    fp = fopen(tu_path(dir, "keep.mp4"), "w");
    fputs("precious", fp);
    fclose(fp);
    st = ccpl__video_writer_open(&w, tu_path(dir, "keep.mp4"), &wp, &err);
    CHECK(st == CCPL_OK, "open: %s", err.message);
    ccpl_image img = {0};
    ccpl_image_alloc(&img, 64, 48, NULL);
    pattern(img.data, 64, 48, 0);
    CHECK(ccpl__video_writer_write(w, &img, &err) == CCPL_OK, "write: %s", err.message);
    ccpl__video_writer_abort(w);
    ccpl_image_free(&img);
    char buf[32] = {0};
    fp = fopen(tu_path(dir, "keep.mp4"), "r");
    CHECK(fp && fgets(buf, sizeof buf, fp) && !strcmp(buf, "precious"), "existing file changed by an abort");
    if (fp) fclose(fp);
    CHECK(no_temp_files(dir), "a temporary file was left in %s", dir);

    /* clean up */
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
            unlink(tu_path(dir, e->d_name));
    if (d) closedir(d);
    rmdir(dir);
    return tu_finish();
}
