// The entry point of the Swift runtime that `deepcopy` (Sources/Descent/Runtime/ObjectCloning.swift) needs to
// make a new instance of an arbitrary Module subclass field by field, as Python's copy.deepcopy does.
// Swift reserves this name for its runtime, so Swift code reaches them through this C file.
#ifndef CDESCENT_RUNTIME_H
#define CDESCENT_RUNTIME_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A new, uninitialised instance of the class whose metadata is `metadata` (its header set, refcount 1).
void *descent_swift_alloc_object(const void *metadata, size_t size, size_t align_mask);

#ifdef __cplusplus
}
#endif
#endif
