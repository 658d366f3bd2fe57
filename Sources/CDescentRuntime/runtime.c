// See include/CDescentRuntime.h. swift_allocObject is exported by libswiftCore with the C calling convention.
#include "CDescentRuntime.h"

extern void *swift_allocObject(const void *metadata, size_t requiredSize, size_t requiredAlignmentMask);

void *descent_swift_alloc_object(const void *metadata, size_t size, size_t align_mask) {
  return swift_allocObject(metadata, size, align_mask);
}
