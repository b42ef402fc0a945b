/* palette.h — 256-colour palettes for GIF output: median cut over a 5-bit
 * per channel histogram of each frame, then each pixel takes the nearest
 * palette colour. A palette per frame follows the colours of a restyled
 * video better than one for the whole clip, and GIF stores one per frame.
 * Internal; never prints. */
#ifndef CCPL_IO_PALETTE_H
#define CCPL_IO_PALETTE_H

#include <stdint.h>

typedef struct ccpl__palette ccpl__palette;

/* NULL when out of memory. The buffers (about 1 MiB) are reused per frame. */
ccpl__palette *ccpl__palette_new(void);
void ccpl__palette_free(ccpl__palette *p);
/* Chooses up to 256 colours for rgb (w x h, packed RGB24) into pal (opaque
 * 0xAARRGGBB, as libavutil's PAL8 frames hold them; unused entries opaque
 * black) and writes each pixel's index into index (rows stride bytes apart). */
void ccpl__palette_quantize(ccpl__palette *p, const unsigned char *rgb, int w, int h, unsigned char *index,
                            int stride, uint32_t pal[256]);

#endif
