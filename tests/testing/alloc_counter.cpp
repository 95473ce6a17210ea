#include "testing/alloc_counter.h"

#include <atomic>
#include <cstddef>

// glibc's own entry points, which the replacements below forward to.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* ptr, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* ptr);
}

namespace {

// Per thread, so that gtest's or OpenCV's other threads do not disturb a count. Plain
// thread_local integers in the executable need no allocation of their own.
thread_local bool t_counting = false;
thread_local int64_t t_count = 0;
// Process-wide too, for work that a unit hands to a thread pool.
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_count{0};

void Note() {
  if (t_counting) ++t_count;
  if (g_counting.load(std::memory_order_relaxed)) g_count.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

extern "C" {
void* malloc(size_t size) {
  Note();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) {
  Note();
  return __libc_calloc(count, size);
}
void* realloc(void* ptr, size_t size) {
  Note();
  return __libc_realloc(ptr, size);
}
void free(void* ptr) { __libc_free(ptr); }
void* memalign(size_t alignment, size_t size) {
  Note();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  Note();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  Note();
  *out = __libc_memalign(alignment, size);
  return *out ? 0 : 12;  // ENOMEM
}
}

namespace linesight::testing {

AllocationCounter::AllocationCounter() {
  t_count = 0;
  g_count = 0;
  t_counting = true;
  g_counting = true;
}

AllocationCounter::~AllocationCounter() {
  t_counting = false;
  g_counting = false;
}

int64_t AllocationCounter::count() const { return t_count; }

int64_t AllocationCounter::process_count() const { return g_count.load(); }

}  // namespace linesight::testing
