/* checkpoint.h — reading PyTorch checkpoints (spec §6) without running them.
 *
 * Two container formats: the zip archive of torch.save >= 1.6 (read through
 * libzip) and the legacy stream of older versions. Both hold a pickle that is
 * interpreted by a strict, allow-listed interpreter (io/pickle.h): it never
 * imports or calls anything; it recognises only the globals torch state_dicts
 * use and refuses every other one with CCPL_E_UNSAFE. */
#ifndef CCPL_IO_CHECKPOINT_H
#define CCPL_IO_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "ccpl/ccpl.h"

#define CCPL__MAX_DIMS 8

typedef enum ccpl__dtype {
    CCPL__DT_F32 = 0,
    CCPL__DT_F16,
    CCPL__DT_BF16,
    CCPL__DT_F64
} ccpl__dtype;

const char *ccpl__dtype_name(ccpl__dtype dt); /* "float32", "float16", ... */

typedef struct ccpl__tensor_entry {
    char *name;                     /* state_dict key, e.g. "cnet.0.weight" */
    ccpl__dtype dtype;              /* dtype as stored in the file */
    int ndim;
    int64_t shape[CCPL__MAX_DIMS];
    size_t numel;
    float *data; /* contiguous row-major float32 (converted), or NULL when the
                    caller's filter did not want this tensor */
} ccpl__tensor_entry;

typedef struct ccpl__checkpoint {
    int n;                   /* number of tensors */
    ccpl__tensor_entry *t;   /* in file order */
    const char *format;      /* "zip" or "legacy" (static string) */
} ccpl__checkpoint;

/* Returns non-zero when the tensor `name` should be converted to float and
 * kept; tensors not wanted are still listed (name, dtype, shape). */
typedef int (*ccpl__want_fn)(const char *name, void *user);

/* Loads a checkpoint file. want may be NULL (keep all). On failure *out is
 * empty and err holds one line that starts with the path. */
ccpl_status ccpl__checkpoint_load(const char *path, ccpl__want_fn want, void *user,
                                  ccpl__checkpoint *out, ccpl_error *err);

/* Same from memory; `name` is used in messages in place of the path. */
ccpl_status ccpl__checkpoint_load_memory(const void *data, size_t size, const char *name,
                                         ccpl__want_fn want, void *user,
                                         ccpl__checkpoint *out, ccpl_error *err);

/* The entry called `name`, or NULL. */
const ccpl__tensor_entry *ccpl__checkpoint_find(const ccpl__checkpoint *ck, const char *name);

void ccpl__checkpoint_free(ccpl__checkpoint *ck);

#endif
