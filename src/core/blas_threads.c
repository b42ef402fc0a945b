#include "core/blas_threads.h"

#include <cblas.h>
#include <pthread.h>

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t blas_cond = PTHREAD_COND_INITIALIZER;
static int blas_active;  /* calls in flight */
static int blas_waiting; /* calls waiting for another count */
static int blas_threads; /* the count of the calls in flight */

static _Thread_local int blas_depth; /* this thread's calls in flight (a
                                        progress callback may call again) */

void ccpl__blas_use_threads(int n_threads) {
    /* a nested call (from a progress callback) runs under the outer call's
       count: waiting here for the outer call to finish would never end */
    if (blas_depth++ > 0) return;
    if (n_threads < 1) n_threads = 1;
    pthread_mutex_lock(&blas_lock);
    /* a call waiting for a different count goes before new calls with the
       current one, so a stream of same-count calls cannot starve it */
    while (blas_active > 0 && (blas_threads != n_threads || blas_waiting > 0)) {
        blas_waiting++;
        pthread_cond_wait(&blas_cond, &blas_lock);
        blas_waiting--;
        if (blas_active == 0) break;
    }
    blas_active++;
    blas_threads = n_threads;
    openblas_set_num_threads(n_threads);
    pthread_mutex_unlock(&blas_lock);
}

void ccpl__blas_done_threads(void) {
    if (--blas_depth > 0) return;
    pthread_mutex_lock(&blas_lock);
    if (--blas_active == 0) pthread_cond_broadcast(&blas_cond);
    pthread_mutex_unlock(&blas_lock);
}
