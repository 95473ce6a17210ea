// testing/alloc_counter.h: counts the heap allocations the current thread makes, for tests that
// hold a unit to "allocates nothing per frame". Linking alloc_counter.cpp replaces malloc and its
// relatives in the whole test executable (glibc only, and not with sanitizers, which replace them
// too), so it goes into a test binary of its own.
#pragma once

#include <cstdint>

namespace linesight::testing {

// Counts malloc, calloc, realloc and aligned allocations (operator new and cv::fastMalloc end in
// one of them) made by this thread while the object is alive. Not nestable.
class AllocationCounter {
 public:
  AllocationCounter();
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

  // Allocations this thread made so far.
  int64_t count() const;

  // Allocations any thread made so far (OpenCV's worker threads included).
  int64_t process_count() const;
};

}  // namespace linesight::testing
