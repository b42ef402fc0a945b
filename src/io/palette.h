/* palette.h — 256-colour palettes for GIF output, one per frame, by
 * libavfilter's palettegen and paletteuse (palette.c). A palette per frame
 * follows the colours of a restyled video better than one for the whole
 * clip, and GIF stores one per frame. Internal; never prints (FFmpeg's log
 * is quieted by ccpl__video_quiet_logs). */
#ifndef CCPL_IO_PALETTE_H
#define CCPL_IO_PALETTE_H

#include <stdint.h>

typedef struct ccpl__palette ccpl__palette;

/* NULL when out of memory. The filter graph is built for the first frame's
 * size and reused. */
ccpl__palette *ccpl__palette_new(void);
void ccpl__palette_free(ccpl__palette *p);
/* Chooses up to 256 colours for rgb (w x h, packed RGB24) into pal
 * (0xAARRGGBB, as libavutil's PAL8 frames hold them) and writes each
 * pixel's index into index (rows stride bytes apart), dithered. 0, or a
 * negative AVERROR code (out of memory, a filter failure). */
int ccpl__palette_quantize(ccpl__palette *p, const unsigned char *rgb, int w, int h, unsigned char *index,
                            int stride, uint32_t pal[256]);

#endif
