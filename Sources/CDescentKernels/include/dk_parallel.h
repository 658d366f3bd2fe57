#ifndef DK_PARALLEL_H
#define DK_PARALLEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Body of a parallel loop: processes items [begin, end).
typedef void (*dk_range_fn)(void *ctx, int64_t begin, int64_t end);

/// Number of threads (including the calling thread) used by dk_parallel_for.
/// Default: number of online CPUs (sysconf), overridable by the environment
/// variable DESCENT_NUM_THREADS (read once, on first use).
int dk_num_threads(void);

/// Sets the number of threads (clamped to [1, 256]). Threads are created lazily.
void dk_set_num_threads(int n);

/// Splits [0, n) into at most dk_num_threads() contiguous chunks of at least
/// `grain` items and runs fn on them over a persistent thread pool; the calling
/// thread participates. Blocks until every chunk is done.
/// Runs fn(ctx, 0, n) inline when n <= grain, when only one thread is
/// configured, when called from inside a parallel region (nested call), or when
/// another thread is currently using the pool (concurrent callers never block
/// each other and never deadlock).
void dk_parallel_for(int64_t n, int64_t grain, dk_range_fn fn, void *ctx);

/* Autograd's grad mode, one per thread as in PyTorch (c10::GradMode is thread_local): a new thread
 * starts with recording on. Swift has no thread-local storage of its own, so it lives here. */
extern _Thread_local int dk_grad_disabled;
static inline int dk_get_grad_disabled(void) { return dk_grad_disabled; }
static inline void dk_set_grad_disabled(int disabled) { dk_grad_disabled = disabled; }

/* The current GPU stream of each device on this thread (PyTorch's thread-local current stream):
 * the runtime's queue handle, NULL for the device's default stream. Devices past 15 always use it. */
#define DK_MAX_STREAM_DEVICES 16
extern _Thread_local void *dk_current_streams[DK_MAX_STREAM_DEVICES];
static inline void *dk_get_current_stream(int device) {
    return device >= 0 && device < DK_MAX_STREAM_DEVICES ? dk_current_streams[device] : (void *)0;
}
static inline void dk_set_current_stream(int device, void *stream) {
    if (device >= 0 && device < DK_MAX_STREAM_DEVICES) dk_current_streams[device] = stream;
}
/* The GPU parameter updates an optimizer step on this thread is gathering for multi-tensor kernels (NULL: none). */
extern _Thread_local void *dk_update_batch;
static inline void *dk_get_update_batch(void) { return dk_update_batch; }
static inline void dk_set_update_batch(void *batch) { dk_update_batch = batch; }
/* The CUDA graph this thread is capturing, unretained (NULL: none; PyTorch asks the current stream,
 * capture is per thread here). */
extern _Thread_local void *dk_capturing;
static inline void *dk_get_capturing(void) { return dk_capturing; }
static inline void dk_set_capturing(void *graph) { dk_capturing = graph; }

#ifdef __cplusplus
}
#endif

#endif /* DK_PARALLEL_H */
