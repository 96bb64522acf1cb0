// Standard-library backend of the atomics seam (the default). Included only
// through sink/detail/atomic.hpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <new>
#include <utility>

#include "sink/detail/config.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

inline constexpr bool is_model_checked = false;

using memory_order = std::memory_order;
inline constexpr memory_order mo_relaxed = std::memory_order_relaxed;
inline constexpr memory_order mo_acquire = std::memory_order_acquire;
inline constexpr memory_order mo_release = std::memory_order_release;
inline constexpr memory_order mo_acq_rel = std::memory_order_acq_rel;
inline constexpr memory_order mo_seq_cst = std::memory_order_seq_cst;

template <class T>
using atomic = std::atomic<T>;

inline void thread_fence(memory_order order) noexcept { std::atomic_thread_fence(order); }
inline void compiler_fence(memory_order order) noexcept { std::atomic_signal_fence(order); }

// A plain (non-atomic) shared variable. Only the Relacy backend checks it.
template <class T>
class var {
public:
    template <class... Args>
    explicit var(Args&&... args) : value_(std::forward<Args>(args)...) {}
    const T& get() const noexcept { return value_; }
    void set(T value) { value_ = std::move(value); }

private:
    T value_;
};

inline void* allocate_bytes(std::size_t size, std::size_t alignment) {
    return ::operator new(size, std::align_val_t{alignment});
}
inline void deallocate_bytes(void* p, std::size_t size, std::size_t alignment) noexcept {
    (void)size;  // clang before 19 does not declare sized deallocation by default
    ::operator delete(p, std::align_val_t{alignment});
}

}  // namespace detail
SINK_END_NAMESPACE
