// See dk_swift.h. Both functions are exported by libswiftCore with the C calling convention.
#include "dk_swift.h"

extern void *swift_allocObject(const void *metadata, size_t requiredSize, size_t requiredAlignmentMask);
extern void *swift_weakCopyInit(void *dest, void *src);

void *dk_swift_alloc_object(const void *metadata, size_t size, size_t align_mask) {
  return swift_allocObject(metadata, size, align_mask);
}

void dk_swift_weak_copy_init(void *dest, void *src) { swift_weakCopyInit(dest, src); }
