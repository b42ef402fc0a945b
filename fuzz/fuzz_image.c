/* fuzz_image — PNG and JPEG decoding as ccpl_image_load does it (format by
 * content, libpng / libjpeg through our error handlers), from memory. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "io/image_codecs.h"
#include "io/image_memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ccpl_image img = {0, 0, NULL};
    ccpl_error err;
    ccpl_status st = ccpl__image_load_memory(data, size, "fuzz.img", &img, &err);
    fuzz_check_error(st, &err);
    if (st != CCPL_OK) {
        if (img.data || img.width || img.height) abort(); /* failure leaves *out empty */
        return 0;
    }
    if (!img.data || img.width <= 0 || img.height <= 0 || img.width > CCPL__IMAGE_MAX_SIDE ||
        img.height > CCPL__IMAGE_MAX_SIDE)
        abort();
    size_t last = (size_t)img.width * (size_t)img.height * 3 - 1;
    volatile unsigned sink = img.data[0] + img.data[last];
    (void)sink;
    ccpl_image_free(&img);
    return 0;
}
