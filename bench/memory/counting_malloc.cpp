#include "memory/counting_malloc.hpp"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstddef>

// glibc's real allocator, under the names glibc exports for exactly this use.
extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace sink_bench::counting_malloc {
namespace {

// Relaxed: the counters are statistics, read after the threads that changed
// them were joined (which orders their updates before the read).
std::atomic<bool> enabled{false};
std::atomic<std::int64_t> live{0};
std::atomic<std::int64_t> peak{0};

void count_alloc(void* p) {
    if (p == nullptr || !enabled.load(std::memory_order_relaxed)) return;
    const auto n = static_cast<std::int64_t>(malloc_usable_size(p));
    const std::int64_t now = live.fetch_add(n, std::memory_order_relaxed) + n;
    std::int64_t seen = peak.load(std::memory_order_relaxed);
    while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
}

void count_free(void* p) {
    if (p == nullptr || !enabled.load(std::memory_order_relaxed)) return;
    live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}

}  // namespace

void enable(bool on) { enabled.store(on, std::memory_order_relaxed); }
snapshot read() { return {live.load(std::memory_order_relaxed), peak.load(std::memory_order_relaxed)}; }
void reset_peak() { peak.store(live.load(std::memory_order_relaxed), std::memory_order_relaxed); }

}  // namespace sink_bench::counting_malloc

// The memory tool measures each map in a fresh child process, turns counting
// on before the map exists and reads differences of `live`; a block made
// before counting was on and freed during a measurement could only make a
// figure smaller, and the child makes no such frees on purpose.
using namespace sink_bench::counting_malloc;

extern "C" {

void* malloc(std::size_t n) {
    void* p = __libc_malloc(n);
    count_alloc(p);
    return p;
}

void free(void* p) {
    count_free(p);
    __libc_free(p);
}

void* calloc(std::size_t count, std::size_t n) {
    void* p = __libc_calloc(count, n);
    count_alloc(p);
    return p;
}

void* realloc(void* old, std::size_t n) {
    count_free(old);
    void* p = __libc_realloc(old, n);
    // On failure the old block is still there and still counted.
    count_alloc(p != nullptr ? p : (n != 0 ? old : nullptr));
    return p;
}

void* memalign(std::size_t align, std::size_t n) {
    void* p = __libc_memalign(align, n);
    count_alloc(p);
    return p;
}

void* aligned_alloc(std::size_t align, std::size_t n) { return memalign(align, n); }

int posix_memalign(void** out, std::size_t align, std::size_t n) {
    void* p = memalign(align, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}

}  // extern "C"
