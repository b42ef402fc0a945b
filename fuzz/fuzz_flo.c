/* fuzz_flo — whole files into the Middlebury .flo reader (io/flo.h). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "io/flo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ccpl__flow f;
    ccpl_error err;
    ccpl_status st = ccpl__flo_load_memory(data, size, "fuzz.flo", &f, &err);
    fuzz_check_error(st, &err);
    if (st != CCPL_OK) {
        if (f.uv || f.w || f.h) abort();
        return 0;
    }
    if (!f.uv || f.w <= 0 || f.h <= 0) abort();
    volatile float sink = f.uv[0] + f.uv[2 * (size_t)f.w * (size_t)f.h - 1];
    (void)sink;
    ccpl__flow_free(&f);
    return 0;
}
