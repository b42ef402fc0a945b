/* video_writer.h — encoding RGB frames into a video file (MP4, MOV, MKV,
 * AVI: H.264 through libx264 when libavcodec has it, else MPEG-4 Part 2;
 * WebM: VP9, else VP8; GIF: 256 colours a frame), keeping what the source
 * file's container says: every audio and subtitle stream the output type
 * can hold, copied unchanged with its tags (language, title) and
 * disposition, the file's tags (title, creation_time, ...) and chapters, the
 * video stream's tags, pixel aspect ratio and colour tags. Written to a
 * temporary name beside the output and renamed by ccpl__video_writer_finish,
 * so a failure or an abort never leaves a partial file. Internal; never
 * prints. */
#ifndef CCPL_IO_VIDEO_WRITER_H
#define CCPL_IO_VIDEO_WRITER_H

#include "ccpl/ccpl.h"
#include "io/video_reader.h"

/* The output types, for messages: ".mp4, .m4v, .mov, .mkv, .webm, .avi, .gif". */
const char *ccpl__video_output_types(void);
/* 1 when path's extension (any case) is one of them. */
int ccpl__video_output_supported(const char *path);

typedef struct ccpl__video_writer_params {
    int width, height;        /* even (4:2:0 chroma) */
    int fps_num, fps_den;     /* constant frame rate */
    const char *source;       /* keep the streams and tags of this file (NULL: none) */
    int sar_num, sar_den;     /* pixel aspect ratio of the frames (0: 1:1) */
    /* colour tags of the source (AVCOL_* values): primaries and transfer are
     * kept; the YUV matrix is BT.709 or BT.2020 when the source's is, else
     * BT.601 (limited range, tagged). Unspecified (0 or 2) stays so. */
    int color_primaries, color_trc, colorspace;
    const char *codec;        /* encoder name; NULL: the type's default (see above) */
    int quality;              /* 0: default; H.264 CRF / VP9 CRF / MPEG-4 qscale */
    int no_replace;           /* 1: fail at close if path exists by then (never replace it) */
} ccpl__video_writer_params;

/* Sets source, the pixel aspect ratio and the colour tags of params from the
 * file path that a reader with info vi reads (frames written as it gives
 * them, scaled or not). */
void ccpl__video_writer_keep_source(ccpl__video_writer_params *params, const char *path, const ccpl__video_info *vi);

typedef struct ccpl__video_writer ccpl__video_writer;

/* The container comes from path's extension (ccpl__video_output_types).
 * Errors: CCPL_E_INVALID_ARGUMENT (size, rate, an other extension, no
 * encoder), CCPL_E_IO (the folder is not writable), CCPL_E_FORMAT (the
 * source cannot be read). */
ccpl_status ccpl__video_writer_open(ccpl__video_writer **out, const char *path,
                                    const ccpl__video_writer_params *params, ccpl_error *err);
/* The encoder used ("libx264", "mpeg4", ...); how many audio streams are
 * copied; note: which streams of the source are left out and why, one line
 * ("left out: #2 subrip subtitles [fra] (mp4 cannot hold them); ..."), ""
 * when none is. */
const char *ccpl__video_writer_codec(const ccpl__video_writer *w);
int ccpl__video_writer_has_audio(const ccpl__video_writer *w);
const char *ccpl__video_writer_note(const ccpl__video_writer *w);
/* Appends one frame (params' width x height) one frame period after the
 * previous one. */
ccpl_status ccpl__video_writer_write(ccpl__video_writer *w, const ccpl_image *frame, ccpl_error *err);
/* The same at position pos (frame periods from the start; raised to one past
 * the previous frame if not after it): keeps the timing of a source that
 * skips frames (see ccpl__video_reader_position). */
ccpl_status ccpl__video_writer_write_at(ccpl__video_writer *w, const ccpl_image *frame, long long pos,
                                       ccpl_error *err);
/* Flushes the encoder, copies the rest of the other streams (up to the end
 * of the last frame), writes the trailer and renames the file into place.
 * Frees w whatever the outcome; on failure nothing is left at the output
 * path. */
ccpl_status ccpl__video_writer_finish(ccpl__video_writer *w, ccpl_error *err);
/* Deletes the temporary file and frees w (NULL is fine). */
void ccpl__video_writer_abort(ccpl__video_writer *w);

#endif
