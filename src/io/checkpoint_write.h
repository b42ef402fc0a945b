/* checkpoint_write.h — writing state_dicts that torch.load reads: the zip
 * format of torch.save >= 1.6 (entries stored, not deflated), a protocol-2
 * pickle of an OrderedDict of float32 tensors. The zip is built in memory
 * by libzip (fixed entry timestamps, so equal tensors give equal bytes), then
 * written through an atomic file (temporary name, fsync, rename, folder
 * fsync): a failure or a kill leaves any existing file untouched. */
#ifndef CCPL_IO_CHECKPOINT_WRITE_H
#define CCPL_IO_CHECKPOINT_WRITE_H

#include <stdint.h>

#include "ccpl/ccpl.h"

typedef struct ccpl__tensor_out {
    const char *name;     /* state_dict key */
    int ndim;             /* 0..4 */
    int64_t shape[4];
    const float *data;    /* contiguous row-major */
} ccpl__tensor_out;

ccpl_status ccpl__checkpoint_save(const char *path, const ccpl__tensor_out *t, int n,
                                  ccpl_error *err);

#endif
