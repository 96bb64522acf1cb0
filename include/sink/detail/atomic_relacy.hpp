// Relacy backend of the atomics seam: the library's own headers compiled
// against the Relacy Race Detector's atomics, so that the model checker
// explores the real code. Included only through sink/detail/atomic.hpp.
//
// Relacy's <relacy/relacy.hpp> redefines `new`, `delete`, `malloc`, `free`,
// `assert` and `memory_order_*` as macros, which breaks any standard header
// included after it (and <relacy/relacy_std.hpp> does not compile against
// g++ 12's <atomic> at all). So this header includes the standard headers the
// library uses first, then Relacy, then removes those keyword macros again.
// Relacy's replacement of the global operator new/delete stays in force, so
// every allocation made inside a test is still seen (leaks, use after free).
//
// Every operation takes a defaulted rl::debug_info built from the caller's
// file and line (__builtin_FILE and friends are evaluated at the call site),
// so Relacy's reports point at the library's line, not at this wrapper.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <relacy/relacy.hpp>

#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst

#include "sink/detail/config.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

inline constexpr bool is_model_checked = true;

using memory_order = rl::memory_order;
inline constexpr memory_order mo_relaxed = rl::mo_relaxed;
inline constexpr memory_order mo_acquire = rl::mo_acquire;
inline constexpr memory_order mo_release = rl::mo_release;
inline constexpr memory_order mo_acq_rel = rl::mo_acq_rel;
inline constexpr memory_order mo_seq_cst = rl::mo_seq_cst;

#define SINK_RL_HERE \
    rl::debug_info where = rl::debug_info(__builtin_FUNCTION(), __builtin_FILE(), __builtin_LINE())

// Relacy's event history cannot hold pointers to const, so such atomics are
// kept as pointers to non-const inside and converted at the boundary.
template <class T>
struct relacy_storage {
    using type = T;
};
template <class U>
struct relacy_storage<const U*> {
    using type = U*;
};

template <class T>
class atomic {
    using stored = typename relacy_storage<T>::type;
    static stored in(T v) {
        if constexpr (std::is_same_v<stored, T>) {
            return v;
        } else {
            return const_cast<stored>(v);
        }
    }

public:
    atomic() = default;
    constexpr explicit(false) atomic(T value) : a_(in(value)) {}
    atomic(const atomic&) = delete;
    atomic& operator=(const atomic&) = delete;

    T load(memory_order mo = mo_seq_cst, SINK_RL_HERE) const { return a_(where).load(mo); }
    void store(T v, memory_order mo = mo_seq_cst, SINK_RL_HERE) { a_(where).store(in(v), mo); }
    T exchange(T v, memory_order mo = mo_seq_cst, SINK_RL_HERE) { return a_(where).exchange(in(v), mo); }
    bool compare_exchange_weak(T& expected, T desired, memory_order success, memory_order failure,
                               SINK_RL_HERE) {
        stored e = in(expected);
        const bool ok = a_(where).compare_exchange_weak(e, in(desired), success, failure);
        expected = e;
        return ok;
    }
    bool compare_exchange_strong(T& expected, T desired, memory_order success, memory_order failure,
                                 SINK_RL_HERE) {
        stored e = in(expected);
        const bool ok = a_(where).compare_exchange_strong(e, in(desired), success, failure);
        expected = e;
        return ok;
    }
    template <class U>
    T fetch_add(U v, memory_order mo = mo_seq_cst, SINK_RL_HERE) {
        return a_(where).fetch_add(v, mo);
    }
    template <class U>
    T fetch_sub(U v, memory_order mo = mo_seq_cst, SINK_RL_HERE) {
        return a_(where).fetch_sub(v, mo);
    }
    T fetch_or(T v, memory_order mo = mo_seq_cst, SINK_RL_HERE) { return a_(where).fetch_or(v, mo); }
    T fetch_and(T v, memory_order mo = mo_seq_cst, SINK_RL_HERE) { return a_(where).fetch_and(v, mo); }

private:
    mutable rl::atomic<stored> a_;
};

inline void thread_fence(memory_order mo, SINK_RL_HERE) { rl::atomic_thread_fence(mo, where); }
inline void compiler_fence(memory_order mo, SINK_RL_HERE) { rl::atomic_signal_fence(mo, where); }
// Relacy's model of a process-wide barrier (membarrier, FlushProcessWriteBuffers).
inline void process_wide_fence(SINK_RL_HERE) { rl::systemwide_fence(where); }

// A plain shared variable: Relacy reports a data race on any unordered pair of
// accesses of which one is a write.
template <class T>
class var {
public:
    var() = default;
    explicit var(T value) : v_(value) {}
    T get(SINK_RL_HERE) const { return v_(where).load(); }
    void set(T value, SINK_RL_HERE) { v_(where).store(value); }

private:
    rl::var<T> v_;
};

inline void* allocate_bytes(std::size_t size, std::size_t /*alignment*/, SINK_RL_HERE) {
    return rl::rl_malloc(size, where);
}
inline void deallocate_bytes(void* p, std::size_t /*size*/, std::size_t /*alignment*/, SINK_RL_HERE) {
    rl::rl_free(p, where);
}

inline unsigned current_thread_index() { return rl::thread_index(); }

#undef SINK_RL_HERE

}  // namespace detail
SINK_END_NAMESPACE
