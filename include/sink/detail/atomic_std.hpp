// Standard-library backend of the atomics seam (the default). Included only
// through sink/detail/atomic.hpp.
#pragma once

#include <atomic>

#include "sink/detail/config.hpp"
#include "sink/detail/native_memory.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

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

}  // namespace detail
SINK_END_NAMESPACE
