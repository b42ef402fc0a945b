/* sha256.c — SHA-256 digests of uploaded bytes (style cache keys), from
 * FFmpeg's libavutil (already linked for video), not a copy of our own. A
 * weak hash would let one client craft a collision and receive a result
 * made with another client's style. */
#include <string.h>

#include <libavutil/mem.h>
#include <libavutil/sha.h>

#include "server/server.h"

void srv_sha256(const void *data, size_t n, unsigned char out[32]) {
    struct AVSHA *ctx = av_sha_alloc();
    if (!ctx || av_sha_init(ctx, 256) < 0) {
        /* out of memory: a key no other upload gets (a cache miss), so a
         * style is never shared by mistake */
        static atomic_ullong counter;
        const unsigned long long c = atomic_fetch_add(&counter, 1) + 1;
        memset(out, 0xff, 32);
        memcpy(out, &c, sizeof c);
        av_free(ctx);
        return;
    }
    const unsigned char *p = data;
    while (n > 0) { /* av_sha_update takes a size_t length in FFmpeg >= 5 */
        size_t k = n > (1u << 30) ? (1u << 30) : n;
        av_sha_update(ctx, p, k);
        p += k, n -= k;
    }
    av_sha_final(ctx, out);
    av_free(ctx);
}
