// See include/CDescentRuntime.h. Both functions are exported by libswiftCore with the C calling convention.
#include "CDescentRuntime.h"

extern void *swift_allocObject(const void *metadata, size_t requiredSize, size_t requiredAlignmentMask);
extern void *swift_weakCopyInit(void *dest, void *src);

void *descent_swift_alloc_object(const void *metadata, size_t size, size_t align_mask) {
  return swift_allocObject(metadata, size, align_mask);
}

void descent_swift_weak_copy_init(void *dest, void *src) { swift_weakCopyInit(dest, src); }
