/* image_orient.c — turning stored pixels the way a viewer shows them, by the
 * EXIF Orientation value (exif.h). The eight values are the four rotations
 * and their mirror images; as PIL's ImageOps.exif_transpose: 2 mirror
 * left-right, 3 rotate 180°, 4 mirror top-bottom, 5 transpose (swap axes),
 * 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/image_codecs.h"

ccpl_status ccpl__image_orient(ccpl_image *img, int orientation, ccpl_error *err) {
    if (orientation <= 1 || orientation > 8) return CCPL_OK;
    const int W = img->width, H = img->height;
    const size_t bytes = (size_t)W * H * 3; /* the decoder allocated this much */
    unsigned char *out = (unsigned char *)malloc(bytes);
    if (!out) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory turning a %dx%d image", W, H);
    const int swap = orientation >= 5;
    const int OW = swap ? H : W, OH = swap ? W : H;
    for (int oy = 0; oy < OH; oy++) {
        unsigned char *dst = out + (size_t)oy * OW * 3;
        for (int ox = 0; ox < OW; ox++) {
            int sx, sy;
            switch (orientation) {
            case 2: sx = W - 1 - ox; sy = oy; break;
            case 3: sx = W - 1 - ox; sy = H - 1 - oy; break;
            case 4: sx = ox; sy = H - 1 - oy; break;
            case 5: sx = oy; sy = ox; break;
            case 6: sx = oy; sy = H - 1 - ox; break;
            case 7: sx = W - 1 - oy; sy = H - 1 - ox; break;
            default: sx = W - 1 - oy; sy = ox; break; /* 8 */
            }
            memcpy(dst + 3 * (size_t)ox, img->data + ((size_t)sy * W + sx) * 3, 3);
        }
    }
    free(img->data);
    img->data = out;
    img->width = OW;
    img->height = OH;
    return CCPL_OK;
}
