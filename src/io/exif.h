/* exif.h — the one EXIF field ccpl reads: Orientation (tag 0x0112 of IFD0,
 * EXIF 2.32 §4.6.4 / TIFF 6.0), which tells how a viewer turns the stored
 * pixels upright. Phones store portrait shots sideways with 6 or 8. */
#ifndef CCPL_IO_EXIF_H
#define CCPL_IO_EXIF_H

#include <stddef.h>

/* The Orientation value (1..8) in a TIFF-structured EXIF block (starting
 * with "II*\0" or "MM\0*", as in PNG's eXIf chunk), or 1 (upright) when the
 * block is malformed, has no Orientation, or holds a value outside 1..8.
 * Every offset is bounds-checked: any bytes are safe. */
int ccpl__exif_orientation(const unsigned char *tiff, size_t len);

/* The same for the payload of a JPEG APP1 marker ("Exif\0\0" + TIFF block);
 * 1 when the marker is not EXIF. */
int ccpl__exif_app1_orientation(const unsigned char *app1, size_t len);

#endif
