/* blas_threads.h — OpenBLAS's thread count, held per call.
 *
 * OpenBLAS's thread count is process-wide. Every library entry point that
 * runs sgemm (stylize, style encoding, a training run) sets it to its own
 * count and holds it while it runs: calls with different counts never
 * overlap (a waiting call lets the ones in flight finish; calls with the same
 * count run concurrently). Without this, one call ran its sgemms with another
 * call's count (results not reproducible), a training run asked for one
 * thread but OpenBLAS used one per core (two `--threads 1` runs on two cores
 * oversubscribed them, 16 % of the time in sched_yield), and in the OpenMP
 * build a count change frees OpenBLAS's per-thread buffers while another
 * call may be using them (its adjust_thread_buffers). Setting the count in
 * every calling thread also sets that thread's OpenMP thread count, which
 * the OpenMP build of OpenBLAS compares with its own.
 *
 * Every ccpl__blas_use_threads is paired with a ccpl__blas_done_threads on the
 * same thread; nested pairs (a progress callback that calls the library
 * again) run under the outer call's count. */
#ifndef CCPL_CORE_BLAS_THREADS_H
#define CCPL_CORE_BLAS_THREADS_H

/* Waits until no call with another count is in flight, then sets OpenBLAS
 * to n_threads (>= 1) threads. */
void ccpl__blas_use_threads(int n_threads);
/* Ends the call begun by the matching ccpl__blas_use_threads. */
void ccpl__blas_done_threads(void);

#endif
