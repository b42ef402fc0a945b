/* test_video.c — video_reader and video_writer: small videos are generated
 * here with the FFmpeg libraries (MPEG-4 + MP2 audio in MP4, MJPEG in AVI),
 * read back (frame count, rate, size, pixels), rewritten (H.264 with the
 * audio copied) and checked; then the error paths (truncated file, no video
 * stream, text file, unwritable output).
 *
 * Also a helper for tests/cli_video.sh:
 *   test_video gen FILE FRAMES WIDTH HEIGHT FPS [audio|audioonly]   writes a test video
 *   test_video probe FILE    prints "frames=N fps=N/D size=WxH audio=CODEC|none" */
#include <dirent.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
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
            int sx = (2 * i) % (w - 8), sy = h / 2 - 4;
            if (x >= sx && x < sx + 8 && y >= sy && y < sy + 8) p[0] = p[1] = p[2] = 235;
        }
}

/* Writes FRAMES frames of the pattern (vcodec NULL: none) and 1 s of a tone
 * per FPS frames (acodec NULL: none); with gap > 0, frames from the 7th on
 * are gap periods later (a source that skips frames). Returns 0 on success. */
static int gen_video(const char *path, const char *vcodec, const char *acodec, int w, int h, int fps, int frames,
                     int gap) {
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
        if (avcodec_open2(ve, c, NULL) < 0 || avcodec_parameters_from_context(vs->codecpar, ve) < 0) goto out;
        vs->time_base = ve->time_base;
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
        af = av_frame_alloc();
        af->format = ae->sample_fmt;
        af->nb_samples = ae->frame_size ? ae->frame_size : 1024;
        af->sample_rate = 44100;
        av_channel_layout_copy(&af->ch_layout, &ae->ch_layout);
        if (av_frame_get_buffer(af, 0) < 0) goto out;
    }
    if (avio_open(&oc->pb, path, AVIO_FLAG_WRITE) < 0) goto out;
    if (avformat_write_header(oc, NULL) < 0) goto out;
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

/* Re-encodes src into dst through the writer (audio copied from src). */
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
    wp.audio_source = vi->has_audio ? src : NULL;
    wp.codec = codec;
    ccpl__video_writer *w = NULL;
    st = ccpl__video_writer_open(&w, dst, &wp, err);
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
        int audio = argc > 7 && (!strcmp(argv[7], "audio") || !strcmp(argv[7], "audioonly"));
        const char *dot = strrchr(argv[2], '.');
        const char *vc = dot && !strcmp(dot, ".avi") ? "mjpeg" : "mpeg4";
        if (argc > 7 && !strcmp(argv[7], "audioonly")) vc = NULL;
        if (gen_video(argv[2], vc, audio ? "mp2" : NULL, w, h, fps, n, 0) != 0) {
            fprintf(stderr, "test_video gen: %s: failed\n", argv[2]);
            return 1;
        }
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
    fprintf(stderr, "usage: test_video [gen FILE FRAMES W H FPS [audio|audioonly] | probe FILE]\n");
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
    const char *mp4 = tu_path(dir, "in.mp4"), *avi = tu_path(dir, "in.avi");
    ccpl_error err;
    readback rb;
    const char *acodec = avcodec_find_encoder_by_name("mp2") ? "mp2" : avcodec_find_encoder_by_name("aac") ? "aac" : NULL;
    CHECK(gen_video(mp4, "mpeg4", acodec, 64, 48, 12, 24, 0) == 0, "generate %s", mp4);
    CHECK(gen_video(avi, "mjpeg", NULL, 64, 48, 12, 24, 0) == 0, "generate %s", avi);
    if (!acodec) SKIP("no MP2 or AAC encoder in this libavcodec: audio copy untested");

    /* --- reading */
    const char *names[2] = {mp4, avi};
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
    const char *out = tu_path(dir, "out.mp4");
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
    ccpl__video_writer_params wp = {64, 48, 12, 1, NULL, NULL, 0, 0};
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
