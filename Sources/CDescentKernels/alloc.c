// Caching allocator: freed blocks go to per-size-class free lists and are handed out again, so a
// training loop that allocates the same activations every step stops calling the system (and stops
// taking page faults on freshly mapped memory). Size classes are 4 steps per power of two (<= 25% waste).
#include "dk_ops.h"
#include <stdlib.h>
#include <pthread.h>
#include <stdint.h>

#define NCLASS 256
typedef struct block { struct block *next; } block;
static block *free_lists[NCLASS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t cached = 0, allocated = 0;
static uint64_t sys_allocs = 0;

static int size_class(size_t n, size_t *rounded) {
  if (n <= 64) { *rounded = 64; return 0; }
  int p = 63 - __builtin_clzll((unsigned long long)(n - 1));   // 2^p < n <= 2^(p+1)
  size_t base = (size_t)1 << p, step = base / 4;
  size_t k = (n - base + step - 1) / step;                      // 1..4
  *rounded = base + k * step;
  return (p - 6) * 4 + (int)k;
}

void *dk_alloc(size_t n) {
  size_t r; int c = size_class(n, &r);
  if (c < NCLASS) {
    pthread_mutex_lock(&lock);
    block *b = free_lists[c];
    if (b) { free_lists[c] = b->next; cached -= r; allocated += r; pthread_mutex_unlock(&lock); return b; }
    allocated += r; sys_allocs++;
    pthread_mutex_unlock(&lock);
  }
  void *p = NULL;
  if (posix_memalign(&p, 64, r) != 0) return NULL;
  return p;
}

void dk_free(void *p, size_t n) {
  if (!p) return;
  size_t r; int c = size_class(n, &r);
  if (c >= NCLASS) { free(p); return; }
  pthread_mutex_lock(&lock);
  block *b = p; b->next = free_lists[c]; free_lists[c] = b; cached += r; allocated -= r;
  pthread_mutex_unlock(&lock);
}

size_t dk_empty_cache(void) {
  pthread_mutex_lock(&lock);
  size_t released = cached;
  for (int c = 0; c < NCLASS; c++) { block *b = free_lists[c]; while (b) { block *n = b->next; free(b); b = n; } free_lists[c] = NULL; }
  cached = 0;
  pthread_mutex_unlock(&lock);
  return released;
}
size_t dk_cached_bytes(void) { pthread_mutex_lock(&lock); size_t v = cached; pthread_mutex_unlock(&lock); return v; }
size_t dk_allocated_bytes(void) { pthread_mutex_lock(&lock); size_t v = allocated; pthread_mutex_unlock(&lock); return v; }
uint64_t dk_system_allocs(void) { pthread_mutex_lock(&lock); uint64_t v = sys_allocs; pthread_mutex_unlock(&lock); return v; }
