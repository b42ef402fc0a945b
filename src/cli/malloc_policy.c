/* malloc_policy.c — keep freed memory in the process for reuse.
 *
 * A training iteration or a video frame allocates and frees the same large
 * buffers (im2col matrices, activations: tens of MB) again and again. glibc
 * serves blocks above its mmap threshold (at most 32 MB, adjusted at run
 * time) with fresh mmap()s and gives them back at free(), so every iteration
 * page-faults and zeroes that memory anew: perf showed 28 % of a photo
 * training iteration (batch 4, 128x128 crops) in the kernel doing that.
 * Raising the mmap and trim thresholds keeps those blocks in the heap, where
 * the next iteration finds them; a training iteration went from 3.3 s to
 * 2.5 s. Peak memory is unchanged (the buffers are freed and reused, not
 * accumulated).
 *
 * This is process-wide policy, so it belongs to the program, not the
 * library. A user who tunes malloc with GLIBC_TUNABLES keeps their settings. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void cli_keep_freed_memory(void) {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    const char *tun = getenv("GLIBC_TUNABLES");
    if (tun && strstr(tun, "malloc")) return;
    /* Blocks up to 256 MB come from the heap; up to 512 MB of free heap is
     * kept rather than returned to the system. */
    (void)mallopt(M_MMAP_THRESHOLD, 256 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}
