/* exif.c — a bounds-checked reader of EXIF's Orientation tag (see exif.h). */
#include "io/exif.h"

#include <string.h>

static unsigned rd16(const unsigned char *p, int big) {
    return big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static unsigned long rd32(const unsigned char *p, int big) {
    return big ? (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3]
               : (unsigned long)p[3] << 24 | (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0];
}

int ccpl__exif_orientation(const unsigned char *t, size_t len) {
    if (!t || len < 8) return 1;
    int big;
    if (t[0] == 'I' && t[1] == 'I')
        big = 0;
    else if (t[0] == 'M' && t[1] == 'M')
        big = 1;
    else
        return 1;
    if (rd16(t + 2, big) != 42) return 1;
    unsigned long ifd = rd32(t + 4, big);
    if (ifd > len - 2 || ifd < 8) return 1;
    unsigned n = rd16(t + ifd, big);
    for (unsigned i = 0; i < n; i++) {
        unsigned long e = ifd + 2 + 12ul * i;
        if (e > len - 12) return 1; /* entries cut off */
        if (rd16(t + e, big) != 0x0112) continue;
        unsigned type = rd16(t + e + 2, big);
        unsigned long count = rd32(t + e + 4, big);
        /* SHORT, count 1, stored in the first two bytes of the value field;
         * a LONG is accepted too (some writers use it). */
        unsigned long v;
        if (type == 3 && count >= 1)
            v = rd16(t + e + 8, big);
        else if (type == 4 && count >= 1)
            v = rd32(t + e + 8, big);
        else
            return 1;
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

int ccpl__exif_app1_orientation(const unsigned char *app1, size_t len) {
    static const unsigned char hdr[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (!app1 || len < sizeof hdr || memcmp(app1, hdr, sizeof hdr) != 0) return 1;
    return ccpl__exif_orientation(app1 + sizeof hdr, len - sizeof hdr);
}
