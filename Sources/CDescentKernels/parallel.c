/*
 * Persistent pthread pool behind dk_parallel_for.
 *
 * Design
 *  - The pool is created lazily (pthread_once reads the configuration, workers
 *    are spawned on the first parallel call that needs them).
 *  - One job at a time. A caller takes the pool with an atomic try-lock
 *    (g_busy); if the pool is taken (another thread's region is running) or the
 *    caller is itself inside a region (nested call), the body runs inline.
 *  - A job is published by writing its descriptor and then bumping a
 *    generation counter that lives in the upper bits of g_state; the low 16 bits
 *    are the index of the next unclaimed chunk. Workers (and the caller) claim
 *    chunks with a CAS on g_state, so a worker that wakes up late can never run
 *    a chunk of a job that has already finished (its CAS fails because the
 *    generation changed), and a slow-to-wake worker's chunk is simply taken by
 *    the caller.
 *  - Idle workers spin (with pause) for DK_SPIN_US microseconds (default 100,
 *    env DESCENT_SPIN_US) after each job, then sleep on a condition variable.
 *    Back-to-back parallel ops therefore start in well under a microsecond.
 *  - The caller waits for completion by spinning, then sleeping on a second
 *    condition variable; lost wake-ups are excluded with a Dekker-style
 *    "announce then re-check" protocol using sequentially consistent atomics.
 */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "dk_parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define DK_PAUSE() __asm__ __volatile__("yield" ::: "memory")
#else
#define DK_PAUSE() ((void)0)
#endif

#define DK_MAX_THREADS 256
#define DK_CHUNK_BITS 16
#define DK_CHUNK_MASK ((uint64_t)((1u << DK_CHUNK_BITS) - 1))

_Thread_local int dk_grad_disabled = 0;
_Thread_local void *dk_current_streams[DK_MAX_STREAM_DEVICES];
_Thread_local void *dk_update_batch;
_Thread_local void *dk_capturing;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static _Atomic int g_nthreads = 1;  /* configured total, including caller */
static int g_nworkers = 0;          /* workers spawned; guarded by g_busy */
static _Atomic int g_busy = 0;      /* 1 while a caller owns the pool */
static int64_t g_spin_ns = 100000;  /* idle spin before sleeping */

/* Current job. Descriptor fields are only written while no chunk of the
 * previous job can still be claimed. The claim word and the descriptor share
 * one cache line; the completion counter lives on its own line. */
static struct {
    _Alignas(64) _Atomic uint64_t state; /* (generation << 16) | next chunk */
    _Atomic(dk_range_fn) fn;
    _Atomic(void *) ctx;
    _Atomic int64_t n;
    _Atomic int64_t nchunks;
    _Alignas(64) _Atomic int64_t done;
    _Alignas(64) _Atomic int sleepers;
    _Atomic int waiting;
} g_job;
#define g_state g_job.state
#define g_fn g_job.fn
#define g_ctx g_job.ctx
#define g_n g_job.n
#define g_nchunks g_job.nchunks
#define g_done g_job.done
#define g_sleepers g_job.sleepers
#define g_waiting g_job.waiting

static pthread_mutex_t g_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;  /* workers sleep */
static pthread_cond_t g_fin = PTHREAD_COND_INITIALIZER;   /* caller sleeps */

static _Thread_local int tl_in_region = 0;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int clamp_threads(long n) {
    if (n < 1) return 1;
    if (n > DK_MAX_THREADS) return DK_MAX_THREADS;
    return (int)n;
}

static void pool_init(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    const char *e = getenv("DESCENT_NUM_THREADS");
    if (e && *e) {
        long v = strtol(e, NULL, 10);
        if (v > 0) n = v;
    }
    atomic_store(&g_nthreads, clamp_threads(n));
    const char *s = getenv("DESCENT_SPIN_US");
    if (s && *s) {
        long v = strtol(s, NULL, 10);
        if (v >= 0) g_spin_ns = (int64_t)v * 1000;
    }
}

int dk_num_threads(void) {
    pthread_once(&g_once, pool_init);
    return atomic_load_explicit(&g_nthreads, memory_order_relaxed);
}

void dk_set_num_threads(int n) {
    pthread_once(&g_once, pool_init);
    atomic_store(&g_nthreads, clamp_threads(n));
}

/* Claims and runs chunks of generation `gen` until none is left. */
static void run_chunks(uint64_t gen) {
    for (;;) {
        uint64_t s = atomic_load_explicit(&g_state, memory_order_acquire);
        if ((s >> DK_CHUNK_BITS) != gen) return;
        int64_t k = (int64_t)(s & DK_CHUNK_MASK);
        int64_t nch = atomic_load_explicit(&g_nchunks, memory_order_relaxed);
        if (k >= nch) return;
        dk_range_fn fn = atomic_load_explicit(&g_fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&g_ctx, memory_order_relaxed);
        int64_t n = atomic_load_explicit(&g_n, memory_order_relaxed);
        /* Success means g_state still held s, so the descriptor read above
         * belongs to this job (g_state only ever increases). */
        if (!atomic_compare_exchange_weak_explicit(&g_state, &s, s + 1,
                                                   memory_order_acq_rel,
                                                   memory_order_relaxed))
            continue;
        int64_t q = n / nch, r = n % nch;
        int64_t b = k * q + (k < r ? k : r);
        int64_t e = b + q + (k < r ? 1 : 0);
        if (e > b) fn(ctx, b, e);
        int64_t d = atomic_fetch_add(&g_done, 1) + 1; /* seq_cst */
        if (d == nch && atomic_load(&g_waiting)) {
            pthread_mutex_lock(&g_mtx);
            pthread_cond_broadcast(&g_fin);
            pthread_mutex_unlock(&g_mtx);
        }
    }
}

static void *worker_main(void *arg) {
    (void)arg;
    tl_in_region = 1; /* any dk_parallel_for from a worker runs inline */
    uint64_t seen = atomic_load(&g_state) >> DK_CHUNK_BITS;
    for (;;) {
        uint64_t s = atomic_load_explicit(&g_state, memory_order_acquire);
        if ((s >> DK_CHUNK_BITS) == seen) {
            int64_t t0 = now_ns();
            for (;;) {
                for (int i = 0; i < 64; i++) {
                    DK_PAUSE();
                    s = atomic_load_explicit(&g_state, memory_order_acquire);
                    if ((s >> DK_CHUNK_BITS) != seen) goto got_job;
                }
                if (now_ns() - t0 > g_spin_ns) break;
            }
            pthread_mutex_lock(&g_mtx);
            atomic_fetch_add(&g_sleepers, 1);
            while (((s = atomic_load(&g_state)) >> DK_CHUNK_BITS) == seen)
                pthread_cond_wait(&g_wake, &g_mtx);
            atomic_fetch_sub(&g_sleepers, 1);
            pthread_mutex_unlock(&g_mtx);
        }
    got_job:
        seen = s >> DK_CHUNK_BITS;
        run_chunks(seen);
    }
    return NULL;
}

/* Called with the pool owned (g_busy == 1). */
static void ensure_workers(int want) {
    while (g_nworkers < want) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &attr, worker_main, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        g_nworkers++;
    }
}

void dk_parallel_for(int64_t n, int64_t grain, dk_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n <= grain || tl_in_region) {
        fn(ctx, 0, n);
        return;
    }
    int nt = dk_num_threads();
    int64_t nch = n / grain;
    if (nch > nt) nch = nt;
    if (nch <= 1) {
        fn(ctx, 0, n);
        return;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&g_busy, &expected, 1)) {
        /* Another thread owns the pool: do not wait for it. */
        fn(ctx, 0, n);
        return;
    }
    ensure_workers(nt - 1);
    if (g_nworkers == 0) {
        atomic_store_explicit(&g_busy, 0, memory_order_release);
        fn(ctx, 0, n);
        return;
    }
    if (nch > g_nworkers + 1) nch = g_nworkers + 1;

    atomic_store_explicit(&g_fn, fn, memory_order_relaxed);
    atomic_store_explicit(&g_ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&g_n, n, memory_order_relaxed);
    atomic_store_explicit(&g_nchunks, nch, memory_order_relaxed);
    atomic_store_explicit(&g_done, 0, memory_order_relaxed);
    uint64_t gen = (atomic_load(&g_state) >> DK_CHUNK_BITS) + 1;
    atomic_store(&g_state, gen << DK_CHUNK_BITS); /* publish (seq_cst) */
    if (atomic_load(&g_sleepers) > 0) {
        pthread_mutex_lock(&g_mtx);
        pthread_cond_broadcast(&g_wake);
        pthread_mutex_unlock(&g_mtx);
    }

    tl_in_region = 1;
    run_chunks(gen);
    tl_in_region = 0;

    /* Wait for chunks taken by workers. */
    if (atomic_load_explicit(&g_done, memory_order_acquire) != nch) {
        int64_t t0 = now_ns();
        int done = 0;
        while (!done) {
            for (int i = 0; i < 64; i++) {
                DK_PAUSE();
                if (atomic_load_explicit(&g_done, memory_order_acquire) == nch) {
                    done = 1;
                    break;
                }
            }
            if (!done && now_ns() - t0 > g_spin_ns) break;
        }
        if (!done) {
            pthread_mutex_lock(&g_mtx);
            atomic_store(&g_waiting, 1);
            while (atomic_load(&g_done) != nch)
                pthread_cond_wait(&g_fin, &g_mtx);
            atomic_store(&g_waiting, 0);
            pthread_mutex_unlock(&g_mtx);
        }
    }
    atomic_thread_fence(memory_order_acquire);
    atomic_store_explicit(&g_busy, 0, memory_order_release);
}
