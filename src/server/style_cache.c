/* style_cache.c — encoded styles kept for reuse: encoding a style (encoder,
 * SCT's style branch, covariance) is a large share of a request, and the same
 * style is often sent again (the page's example styles, an app's fixed
 * looks). A short list in recency order: the cache holds a handful of
 * entries, so a linear search costs nothing next to a stylization. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

typedef struct entry {
    srv_style_key key;
    ccpl_style *style;
} entry;

struct srv_style_cache {
    pthread_mutex_t lock; /* the owning worker uses it; /v1/health reads the stats */
    int capacity, n;
    entry *e; /* e[0] most recently used */
    long long hits, misses;
};

srv_style_cache *srv_style_cache_new(int capacity) {
    srv_style_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->capacity = capacity < 0 ? 0 : capacity;
    if (c->capacity && !(c->e = calloc((size_t)c->capacity, sizeof *c->e))) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

/* Keys are compared field by field (memcmp on the struct would also compare
 * padding bytes). */
static int same(const srv_style_key *a, const srv_style_key *b) {
    return !memcmp(a->style_digest, b->style_digest, 32) &&
           !memcmp(a->content_digest, b->content_digest, 32) && a->mode == b->mode &&
           a->style_size == b->style_size && a->content_size == b->content_size &&
           a->preserve == b->preserve;
}

ccpl_style *srv_style_cache_get(srv_style_cache *c, const srv_style_key *key) {
    pthread_mutex_lock(&c->lock);
    ccpl_style *s = NULL;
    for (int i = 0; i < c->n; i++) {
        if (!same(&c->e[i].key, key)) continue;
        entry hit = c->e[i];
        memmove(c->e + 1, c->e, (size_t)i * sizeof *c->e);
        c->e[0] = hit;
        s = hit.style;
        break;
    }
    if (s) c->hits++;
    else c->misses++;
    pthread_mutex_unlock(&c->lock);
    return s;
}

int srv_style_cache_put(srv_style_cache *c, const srv_style_key *key, ccpl_style *style) {
    if (c->capacity == 0) return 0;
    pthread_mutex_lock(&c->lock);
    ccpl_style *evicted = NULL;
    if (c->n == c->capacity) evicted = c->e[--c->n].style;
    memmove(c->e + 1, c->e, (size_t)c->n * sizeof *c->e);
    c->e[0].key = *key;
    c->e[0].style = style;
    c->n++;
    pthread_mutex_unlock(&c->lock);
    ccpl_style_free(evicted);
    return 1;
}

void srv_style_cache_stats(srv_style_cache *c, long long *hits, long long *misses, int *entries) {
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    *entries = c->n;
    pthread_mutex_unlock(&c->lock);
}

void srv_style_cache_free(srv_style_cache *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) ccpl_style_free(c->e[i].style);
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
