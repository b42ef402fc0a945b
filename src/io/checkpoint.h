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
    CCPL__DT_F64,
    /* Integer and bool tensors (num_batches_tracked, step counters): listed
     * with their shape, never converted (data stays NULL), never found by
     * ccpl__checkpoint_find: no weight is an integer. */
    CCPL__DT_I64,
    CCPL__DT_I32,
    CCPL__DT_I16,
    CCPL__DT_I8,
    CCPL__DT_U8,
    CCPL__DT_BOOL
} ccpl__dtype;

const char *ccpl__dtype_name(ccpl__dtype dt); /* "float32", "float16", ..., "int64", "bool" */
int ccpl__dtype_is_float(ccpl__dtype dt);     /* converted to float32 when wanted */

typedef struct ccpl__tensor_entry {
    char *name;                     /* state_dict key, e.g. "cnet.0.weight": the name in the
                                       file less the checkpoint's wrapping (see below); for a
                                       tensor outside the state_dict, its whole dotted name */
    int outside;                    /* 1: not in the state_dict (an optimizer's state...):
                                       listed only, never converted nor found */
    ccpl__dtype dtype;              /* dtype as stored in the file */
    int ndim;
    int64_t shape[CCPL__MAX_DIMS];
    size_t numel;
    float *data; /* contiguous row-major float32 (converted), or NULL when the
                    caller's filter did not want this tensor, or for integer
                    tensors and tensors outside the state_dict */
} ccpl__tensor_entry;

/* Checkpoints as people save them hold a state_dict inside a wrapping:
 * {'state_dict': sd, 'epoch': ...}, {'model': sd, 'optimizer': ...}, keys
 * prefixed "module." by nn.DataParallel ("_orig_mod." by torch.compile), or
 * all of these at once. The reader finds the state_dict (checkpoint_unwrap.c)
 * and names its tensors by their keys in it; `wrapping` is what it removed
 * from their dotted names in the file ("" for a plain state_dict,
 * "state_dict.module." for example). */
typedef struct ccpl__checkpoint {
    int n;                   /* number of tensors */
    ccpl__tensor_entry *t;   /* in file order */
    const char *format;      /* "zip" or "legacy" (static string) */
    char *wrapping;          /* may be NULL (no wrapping) */
} ccpl__checkpoint;

/* Returns non-zero when the float tensor `name` (its key in the state_dict)
 * should be converted to float and kept; tensors not wanted are still listed
 * (name, dtype, shape). Not called for integer tensors and tensors outside
 * the state_dict, which are never converted. */
typedef int (*ccpl__want_fn)(const char *name, void *user);

/* Loads a checkpoint file. want may be NULL (keep all). On failure *out is
 * empty and err holds one line that starts with the path. */
ccpl_status ccpl__checkpoint_load(const char *path, ccpl__want_fn want, void *user,
                                  ccpl__checkpoint *out, ccpl_error *err);

/* Same from memory; `name` is used in messages in place of the path. */
ccpl_status ccpl__checkpoint_load_memory(const void *data, size_t size, const char *name,
                                         ccpl__want_fn want, void *user,
                                         ccpl__checkpoint *out, ccpl_error *err);

/* The float tensor of the state_dict whose key is `name`, or NULL (also for
 * an integer tensor of that name: use ccpl__checkpoint_entry to tell). */
const ccpl__tensor_entry *ccpl__checkpoint_find(const ccpl__checkpoint *ck, const char *name);

/* Any entry called `name` (integer or outside tensors too), or NULL. */
const ccpl__tensor_entry *ccpl__checkpoint_entry(const ccpl__checkpoint *ck, const char *name);

/* What the state_dict's float tensors are, for messages: their keys grouped
 * by first component in file order, numbered ones as a range: "cnet.*,
 * snet.*, uncompress.*", "1.* to 28.*", "conv.*, half, ...". Empty when
 * there are none. */
void ccpl__checkpoint_key_groups(const ccpl__checkpoint *ck, char *buf, size_t cap);

void ccpl__checkpoint_free(ccpl__checkpoint *ck);

#endif
