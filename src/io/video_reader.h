/* video_reader.h — decoding any video FFmpeg's libraries read into 8-bit RGB
 * frames, one at a time (bounded memory whatever the length). Internal to
 * libccpl and its CLI: never prints, errors come back through ccpl_error. */
#ifndef CCPL_IO_VIDEO_READER_H
#define CCPL_IO_VIDEO_READER_H

#include "ccpl/ccpl.h"

typedef struct ccpl__video_info {
    int width, height;        /* of the frames as displayed (after rotation) */
    int fps_num, fps_den;     /* frame rate (25/1 when the file gives none) */
    long long frame_count;    /* from the container, or duration*fps; 0: unknown */
    int has_audio;            /* the file also has an audio stream */
    const char *codec;        /* decoder name ("h264") */
    /* What the container says about showing the frames. Phones store the
     * coded frames landscape and a display matrix (or an older "rotate"
     * tag) that turns them; the reader applies it, so frames come out as a
     * player shows them: turned clockwise by rotation degrees (0, 90, 180,
     * 270; other angles are rounded to the nearest of these), mirrored
     * left-right first when mirrored is set. */
    int rotation, mirrored;
    int sar_num, sar_den;     /* sample (pixel) aspect ratio of the displayed frames; 1:1 when none */
    /* colour tags of the stream (libavutil's AVCOL_* values, 2: unspecified) */
    int color_primaries, color_trc, colorspace;
} ccpl__video_info;

typedef struct ccpl__video_reader ccpl__video_reader;

/* Opens path and its best video stream. Errors: CCPL_E_IO (missing,
 * unreadable), CCPL_E_FORMAT (not a video FFmpeg can read, truncated, no
 * video stream, no decoder). */
ccpl_status ccpl__video_reader_open(ccpl__video_reader **out, const char *path, ccpl_error *err);
/* The same with a limit on the frames: a video whose frames have more than
 * max_pixels pixels (0: CCPL_IMAGE_MAX_PIXELS, the ceiling always applies)
 * is CCPL_E_TOO_LARGE, "PATH: video frames of WxH (N pixels) exceed the
 * limit of M pixels", before any frame of that size is allocated (the
 * stream probing and the decoder are held to the same limit, so a stream
 * whose frames grow later fails at that frame rather than allocating it).
 * Where the container does not state the frame size (MPEG-4 Part 2 in MP4)
 * and probing refused the first frame, the message says so without a size. */
ccpl_status ccpl__video_reader_open_ex(ccpl__video_reader **out, const char *path,
                                       long long max_pixels, ccpl_error *err);
const ccpl__video_info *ccpl__video_reader_info(const ccpl__video_reader *r);
/* Frames come out scaled to width x height (0, 0: the displayed size, see
 * ccpl__video_info). Call before the first ccpl__video_reader_next. */
ccpl_status ccpl__video_reader_set_size(ccpl__video_reader *r, int width, int height, ccpl_error *err);
/* Decodes the next frame into frame (allocated, or reallocated when its size
 * differs; the caller frees it with ccpl_image_free). *got = 0 at the end of
 * the stream. Undecodable data is CCPL_E_FORMAT; a file cut short fails at
 * open when its index is lost (MP4 with the index at the end), otherwise it
 * ends early where the data stops. */
ccpl_status ccpl__video_reader_next(ccpl__video_reader *r, ccpl_image *frame, int *got, ccpl_error *err);
/* Where the last frame returned sits, in frame periods (1/fps) from the
 * start of the video: its timestamp, rounded, kept strictly increasing. Equal
 * to the frame's index unless the source skips frames (variable rate). */
long long ccpl__video_reader_position(const ccpl__video_reader *r);
void ccpl__video_reader_close(ccpl__video_reader *r);

/* FFmpeg logs to stderr by default; the library never prints, so the video
 * modules lower the log level to quiet unless the application has already
 * chosen one (its level differs from FFmpeg's default). */
void ccpl__video_quiet_logs(void);

#endif
