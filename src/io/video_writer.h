/* video_writer.h — encoding RGB frames into a video file (MP4 by default:
 * H.264 through libx264 when libavcodec has it, else MPEG-4 Part 2), with the
 * audio stream of another file copied unchanged. Written to a temporary name
 * beside the output and renamed by ccpl__video_writer_finish, so a failure or
 * an abort never leaves a partial file. Internal; never prints. */
#ifndef CCPL_IO_VIDEO_WRITER_H
#define CCPL_IO_VIDEO_WRITER_H

#include "ccpl/ccpl.h"

typedef struct ccpl__video_writer_params {
    int width, height;        /* even (4:2:0 chroma) */
    int fps_num, fps_den;     /* constant frame rate */
    const char *audio_source; /* copy the audio stream of this file (NULL: none) */
    const char *codec;        /* encoder name; NULL: libx264, else mpeg4 */
    int quality;              /* 0: default; H.264 CRF / MPEG-4 qscale */
    int no_replace;           /* 1: fail at close if path exists by then (never replace it) */
} ccpl__video_writer_params;

typedef struct ccpl__video_writer ccpl__video_writer;

/* The container comes from path's extension (.mp4, .mov, .mkv, .avi, ...).
 * Errors: CCPL_E_INVALID_ARGUMENT (size, rate, unknown extension, no
 * encoder), CCPL_E_IO (the folder is not writable), CCPL_E_FORMAT (the audio
 * source cannot be read). */
ccpl_status ccpl__video_writer_open(ccpl__video_writer **out, const char *path,
                                    const ccpl__video_writer_params *params, ccpl_error *err);
/* The encoder used ("libx264", "mpeg4") and whether audio is being copied;
 * audio_note says why an audio stream was left out ("" otherwise). */
const char *ccpl__video_writer_codec(const ccpl__video_writer *w);
int ccpl__video_writer_has_audio(const ccpl__video_writer *w);
const char *ccpl__video_writer_audio_note(const ccpl__video_writer *w);
/* Appends one frame (params' width x height) one frame period after the
 * previous one. */
ccpl_status ccpl__video_writer_write(ccpl__video_writer *w, const ccpl_image *frame, ccpl_error *err);
/* The same at position pos (frame periods from the start; raised to one past
 * the previous frame if not after it): keeps the timing of a source that
 * skips frames (see ccpl__video_reader_position). */
ccpl_status ccpl__video_writer_write_at(ccpl__video_writer *w, const ccpl_image *frame, long long pos,
                                       ccpl_error *err);
/* Flushes the encoder, copies the rest of the audio (up to the end of the
 * last frame), writes the trailer and renames the file into place. Frees w
 * whatever the outcome; on failure nothing is left at the output path. */
ccpl_status ccpl__video_writer_finish(ccpl__video_writer *w, ccpl_error *err);
/* Deletes the temporary file and frees w (NULL is fine). */
void ccpl__video_writer_abort(ccpl__video_writer *w);

#endif
