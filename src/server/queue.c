/* queue.c — the bounded queue between the HTTP thread and the workers. Its
 * bound is what turns overload into a quick 503 instead of unbounded memory
 * (every waiting job holds its uploads) and unbounded waiting. */
#include <pthread.h>
#include <stdlib.h>

#include "server/server.h"

struct srv_queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    srv_job **ring;       /* capacity + workers slots */
    int capacity, slots, head, n, closed;
    int idle;             /* workers waiting in srv_queue_pop */
};

srv_queue *srv_queue_new(int capacity, int workers) {
    srv_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->capacity = capacity < 0 ? 0 : capacity;
    q->slots = q->capacity + (workers < 1 ? 1 : workers);
    if (!(q->ring = calloc((size_t)q->slots, sizeof *q->ring))) {
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    return q;
}

int srv_queue_push(srv_queue *q, srv_job *job) {
    pthread_mutex_lock(&q->lock);
    int rc = -1;
    /* Jobs an idle worker is about to take do not count as waiting. */
    if (!q->closed && q->n < q->idle + q->capacity && q->n < q->slots) {
        q->ring[(q->head + q->n) % q->slots] = job;
        q->n++;
        rc = 0;
        pthread_cond_signal(&q->nonempty);
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

srv_job *srv_queue_pop(srv_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->idle++;
    while (!q->closed && q->n == 0) pthread_cond_wait(&q->nonempty, &q->lock);
    q->idle--;
    srv_job *job = NULL;
    if (!q->closed) {
        job = q->ring[q->head];
        q->head = (q->head + 1) % q->slots;
        q->n--;
    }
    pthread_mutex_unlock(&q->lock);
    return job;
}

void srv_queue_close(srv_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    int n = q->n, head = q->head;
    q->n = 0;
    pthread_cond_broadcast(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
    /* Outside the lock: a done callback resumes a connection. */
    for (int i = 0; i < n; i++)
        srv_job_fail(q->ring[(head + i) % q->slots], 503, "the server is shutting down");
}

int srv_queue_waiting(srv_queue *q) {
    pthread_mutex_lock(&q->lock);
    int n = q->n > q->idle ? q->n - q->idle : 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}

int srv_queue_capacity(const srv_queue *q) { return q->capacity; }

void srv_queue_free(srv_queue *q) {
    if (!q) return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->nonempty);
    free(q->ring);
    free(q);
}
