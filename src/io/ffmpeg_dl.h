/* ffmpeg_dl.h — FFmpeg's libraries, loaded (dlopen) the first time video is
 * read or written, not when the program starts.
 *
 * Debian's FFmpeg links about 165 other libraries (every codec, filter and
 * hardware API it was built with). Linked at build time they were loaded
 * and relocated at every start of every program using libccpl: 70-100 ms of
 * CPU before main(), most of a `ccpl stylize` start-up that never touches
 * video (docs/PERFORMANCE.md, "Start-up and the whole run"). The video code
 * (video_reader.c, video_writer.c, palette.c) includes this header instead
 * of FFmpeg's: every FFmpeg function it calls is then a pointer in
 * ccpl__ff, filled by ccpl__ffmpeg_load from the libraries whose major
 * versions the build saw, and the linker (--as-needed) no longer records
 * them as needed. Each entry point that starts video work calls
 * ccpl__ffmpeg_load first and fails cleanly when they cannot be loaded.
 *
 * A function newly used by the video code must be added to the lists below
 * and to the #defines at the end: one that is not is still called directly,
 * the build still links, and the libraries are loaded at start again
 * (`readelf -d build/ccpl | grep NEEDED` shows them; `nm -u` on the three
 * objects lists the FFmpeg functions they call directly). */
#ifndef CCPL_IO_FFMPEG_DL_H
#define CCPL_IO_FFMPEG_DL_H

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/display.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "ccpl/ccpl.h"

/* The functions the video code calls, by library. */
#define CCPL__FF_AVUTIL(X)                                                                               \
    X(av_color_primaries_name) X(av_color_transfer_name) X(av_compare_ts) X(av_dict_free) X(av_dict_get) \
    X(av_dict_set) X(av_dict_set_int) X(av_display_rotation_set) X(av_dynarray_add_nofree)               \
    X(av_frame_alloc) X(av_frame_free) X(av_frame_get_buffer) X(av_frame_make_writable)                 \
    X(av_frame_unref) X(av_free) X(av_freep) X(av_get_media_type_string) X(av_get_pix_fmt_name)         \
    X(av_int_list_length_for_size) X(av_log_get_level) X(av_log_set_level) X(av_malloc) X(av_mallocz)   \
    X(av_opt_set) X(av_opt_set_bin) X(av_opt_set_double) X(av_opt_set_int) X(av_reduce) X(av_rescale_q) \
    X(av_rescale_q_rnd) X(av_strcasecmp) X(av_strdup) X(av_strerror) X(av_strncasecmp)
#define CCPL__FF_SWSCALE(X)                                                                         \
    X(sws_freeContext) X(sws_getCoefficients) X(sws_getColorspaceDetails) X(sws_getContext) X(sws_scale) \
    X(sws_setColorspaceDetails)
#define CCPL__FF_AVCODEC(X)                                                                              \
    X(av_packet_alloc) X(av_packet_free) X(av_packet_rescale_ts) X(av_packet_unref)                      \
    X(avcodec_alloc_context3) X(avcodec_find_encoder_by_name) X(avcodec_free_context) X(avcodec_get_name) \
    X(avcodec_open2) X(avcodec_parameters_copy) X(avcodec_parameters_from_context)                       \
    X(avcodec_parameters_to_context) X(avcodec_receive_frame) X(avcodec_receive_packet)                  \
    X(avcodec_send_frame) X(avcodec_send_packet)
#define CCPL__FF_AVFORMAT(X)                                                                             \
    X(av_find_best_stream) X(av_guess_format) X(av_guess_frame_rate) X(av_guess_sample_aspect_ratio)     \
    X(av_interleaved_write_frame) X(av_read_frame) X(av_stream_get_side_data) X(av_write_trailer)       \
    X(avformat_alloc_output_context2) X(avformat_close_input) X(avformat_find_stream_info)               \
    X(avformat_free_context) X(avformat_new_stream) X(avformat_open_input) X(avformat_query_codec)       \
    X(avformat_write_header) X(avio_alloc_context) X(avio_context_free) X(avio_flush)
#define CCPL__FF_AVFILTER(X)                                                                              \
    X(av_buffersink_get_frame) X(av_buffersrc_add_frame) X(avfilter_get_by_name) X(avfilter_graph_alloc) \
    X(avfilter_graph_config) X(avfilter_graph_create_filter) X(avfilter_graph_free)                      \
    X(avfilter_graph_parse_ptr) X(avfilter_inout_alloc) X(avfilter_inout_free)

typedef struct ccpl__ffmpeg {
#define CCPL__FF_FIELD(name) __typeof__(name) *name;
    CCPL__FF_AVUTIL(CCPL__FF_FIELD)
    CCPL__FF_SWSCALE(CCPL__FF_FIELD)
    CCPL__FF_AVCODEC(CCPL__FF_FIELD)
    CCPL__FF_AVFORMAT(CCPL__FF_FIELD)
    CCPL__FF_AVFILTER(CCPL__FF_FIELD)
#undef CCPL__FF_FIELD
} ccpl__ffmpeg;

/* Filled by ccpl__ffmpeg_load; read-only after it succeeded. */
extern ccpl__ffmpeg ccpl__ff;

/* Loads libavutil, libswscale, libavcodec, libavformat and libavfilter (the
 * major versions built against) and every function above, once per
 * process (thread-safe; later calls return the first one's result). On
 * failure: CCPL_E_IO, err says which library or function is missing,
 * starting with `what` (a path, or NULL). */
ccpl_status ccpl__ffmpeg_load(const char *what, ccpl_error *err);

#ifndef CCPL__FFMPEG_DL_IMPL
/* Calls through the table (names in its lists only). */
#define av_color_primaries_name (ccpl__ff.av_color_primaries_name)
#define av_color_transfer_name (ccpl__ff.av_color_transfer_name)
#define av_compare_ts (ccpl__ff.av_compare_ts)
#define av_dict_free (ccpl__ff.av_dict_free)
#define av_dict_get (ccpl__ff.av_dict_get)
#define av_dict_set (ccpl__ff.av_dict_set)
#define av_dict_set_int (ccpl__ff.av_dict_set_int)
#define av_display_rotation_set (ccpl__ff.av_display_rotation_set)
#define av_dynarray_add_nofree (ccpl__ff.av_dynarray_add_nofree)
#define av_frame_alloc (ccpl__ff.av_frame_alloc)
#define av_frame_free (ccpl__ff.av_frame_free)
#define av_frame_get_buffer (ccpl__ff.av_frame_get_buffer)
#define av_frame_make_writable (ccpl__ff.av_frame_make_writable)
#define av_frame_unref (ccpl__ff.av_frame_unref)
#define av_free (ccpl__ff.av_free)
#define av_freep (ccpl__ff.av_freep)
#define av_get_media_type_string (ccpl__ff.av_get_media_type_string)
#define av_get_pix_fmt_name (ccpl__ff.av_get_pix_fmt_name)
#define av_int_list_length_for_size (ccpl__ff.av_int_list_length_for_size)
#define av_log_get_level (ccpl__ff.av_log_get_level)
#define av_log_set_level (ccpl__ff.av_log_set_level)
#define av_malloc (ccpl__ff.av_malloc)
#define av_mallocz (ccpl__ff.av_mallocz)
#define av_opt_set (ccpl__ff.av_opt_set)
#define av_opt_set_bin (ccpl__ff.av_opt_set_bin)
#define av_opt_set_double (ccpl__ff.av_opt_set_double)
#define av_opt_set_int (ccpl__ff.av_opt_set_int)
#define av_reduce (ccpl__ff.av_reduce)
#define av_rescale_q (ccpl__ff.av_rescale_q)
#define av_rescale_q_rnd (ccpl__ff.av_rescale_q_rnd)
#define av_strcasecmp (ccpl__ff.av_strcasecmp)
#define av_strdup (ccpl__ff.av_strdup)
#define av_strerror (ccpl__ff.av_strerror)
#define av_strncasecmp (ccpl__ff.av_strncasecmp)
#define sws_freeContext (ccpl__ff.sws_freeContext)
#define sws_getCoefficients (ccpl__ff.sws_getCoefficients)
#define sws_getColorspaceDetails (ccpl__ff.sws_getColorspaceDetails)
#define sws_getContext (ccpl__ff.sws_getContext)
#define sws_scale (ccpl__ff.sws_scale)
#define sws_setColorspaceDetails (ccpl__ff.sws_setColorspaceDetails)
#define av_packet_alloc (ccpl__ff.av_packet_alloc)
#define av_packet_free (ccpl__ff.av_packet_free)
#define av_packet_rescale_ts (ccpl__ff.av_packet_rescale_ts)
#define av_packet_unref (ccpl__ff.av_packet_unref)
#define avcodec_alloc_context3 (ccpl__ff.avcodec_alloc_context3)
#define avcodec_find_encoder_by_name (ccpl__ff.avcodec_find_encoder_by_name)
#define avcodec_free_context (ccpl__ff.avcodec_free_context)
#define avcodec_get_name (ccpl__ff.avcodec_get_name)
#define avcodec_open2 (ccpl__ff.avcodec_open2)
#define avcodec_parameters_copy (ccpl__ff.avcodec_parameters_copy)
#define avcodec_parameters_from_context (ccpl__ff.avcodec_parameters_from_context)
#define avcodec_parameters_to_context (ccpl__ff.avcodec_parameters_to_context)
#define avcodec_receive_frame (ccpl__ff.avcodec_receive_frame)
#define avcodec_receive_packet (ccpl__ff.avcodec_receive_packet)
#define avcodec_send_frame (ccpl__ff.avcodec_send_frame)
#define avcodec_send_packet (ccpl__ff.avcodec_send_packet)
#define av_find_best_stream (ccpl__ff.av_find_best_stream)
#define av_guess_format (ccpl__ff.av_guess_format)
#define av_guess_frame_rate (ccpl__ff.av_guess_frame_rate)
#define av_guess_sample_aspect_ratio (ccpl__ff.av_guess_sample_aspect_ratio)
#define av_interleaved_write_frame (ccpl__ff.av_interleaved_write_frame)
#define av_read_frame (ccpl__ff.av_read_frame)
#define av_stream_get_side_data (ccpl__ff.av_stream_get_side_data)
#define av_write_trailer (ccpl__ff.av_write_trailer)
#define avformat_alloc_output_context2 (ccpl__ff.avformat_alloc_output_context2)
#define avformat_close_input (ccpl__ff.avformat_close_input)
#define avformat_find_stream_info (ccpl__ff.avformat_find_stream_info)
#define avformat_free_context (ccpl__ff.avformat_free_context)
#define avformat_new_stream (ccpl__ff.avformat_new_stream)
#define avformat_open_input (ccpl__ff.avformat_open_input)
#define avformat_query_codec (ccpl__ff.avformat_query_codec)
#define avformat_write_header (ccpl__ff.avformat_write_header)
#define avio_alloc_context (ccpl__ff.avio_alloc_context)
#define avio_context_free (ccpl__ff.avio_context_free)
#define avio_flush (ccpl__ff.avio_flush)
#define av_buffersink_get_frame (ccpl__ff.av_buffersink_get_frame)
#define av_buffersrc_add_frame (ccpl__ff.av_buffersrc_add_frame)
#define avfilter_get_by_name (ccpl__ff.avfilter_get_by_name)
#define avfilter_graph_alloc (ccpl__ff.avfilter_graph_alloc)
#define avfilter_graph_config (ccpl__ff.avfilter_graph_config)
#define avfilter_graph_create_filter (ccpl__ff.avfilter_graph_create_filter)
#define avfilter_graph_free (ccpl__ff.avfilter_graph_free)
#define avfilter_graph_parse_ptr (ccpl__ff.avfilter_graph_parse_ptr)
#define avfilter_inout_alloc (ccpl__ff.avfilter_inout_alloc)
#define avfilter_inout_free (ccpl__ff.avfilter_inout_free)
#endif

#endif
