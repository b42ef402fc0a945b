/* image_probe.c — an upload's pixel size read from its header, so that
 * --max-pixels refuses a huge image before a decoder allocates anything for
 * it (a 100-byte PNG can claim 65535x65535 pixels). */
#include "server/server.h"

#include <string.h>

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned long be32(const unsigned char *p) {
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

int srv_probe_image(const unsigned char *d, size_t n, int *w, int *h) {
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    *w = *h = 0;
    if (n >= 24 && memcmp(d, png_sig, 8) == 0 && memcmp(d + 12, "IHDR", 4) == 0) {
        unsigned long pw = be32(d + 16), ph = be32(d + 20);
        if (pw == 0 || ph == 0 || pw > 0x7fffffffUL || ph > 0x7fffffffUL) return SRV_IMAGE_UNKNOWN;
        *w = (int)pw;
        *h = (int)ph;
        return SRV_IMAGE_PNG;
    }
    if (n < 4 || d[0] != 0xff || d[1] != 0xd8 || d[2] != 0xff) return SRV_IMAGE_UNKNOWN;
    /* Walk the marker segments to the first start-of-frame, as libjpeg's
     * jpeg_read_header does; its size is the one the decoder will use. */
    size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xff) return SRV_IMAGE_UNKNOWN;
        unsigned m = d[i + 1];
        if (m == 0xff) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01) { /* no length */
            i += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda) return SRV_IMAGE_UNKNOWN; /* end or scan before a frame */
        unsigned len = be16(d + i + 2);
        if (len < 2) return SRV_IMAGE_UNKNOWN;
        int sof = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
        if (sof) {
            if (i + 9 > n || len < 7) return SRV_IMAGE_UNKNOWN;
            unsigned ph = be16(d + i + 5), pw = be16(d + i + 7);
            if (pw == 0 || ph == 0) return SRV_IMAGE_UNKNOWN;
            *w = (int)pw;
            *h = (int)ph;
            return SRV_IMAGE_JPEG;
        }
        i += 2 + (size_t)len;
    }
    return SRV_IMAGE_UNKNOWN;
}
