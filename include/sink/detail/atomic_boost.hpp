// Boost.Atomic backend of the atomics seam. Included only through
// sink/detail/atomic.hpp.
//
// Why Boost.Atomic is here at all:
//  * Double-width CAS. A lock-free compare-and-swap on two machine words (a
//    pointer plus a counter or a second pointer) is the classic tool against
//    ABA and for snapshotting two words at once. On x86-64, std::atomic of a
//    16-byte type compiled by g++ calls libatomic, which reports it as not
//    lock-free and may take a lock; boost::atomic emits cmpxchg16b inline when
//    the target has it (-mcx16), and says so through is_always_lock_free. If a
//    later design step needs a two-word CAS, this backend is where it stays
//    lock-free.
//  * A second, independent implementation of the same interface. Running the
//    unit tests on both backends catches code that compiles only by accident
//    against one library's extensions.
// The interface is the same as std::atomic's, so the backend is a thin alias.
#pragma once


#include <boost/atomic.hpp>

#include "sink/detail/config.hpp"
#include "sink/detail/native_memory.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

using memory_order = boost::memory_order;
inline constexpr memory_order mo_relaxed = boost::memory_order_relaxed;
inline constexpr memory_order mo_acquire = boost::memory_order_acquire;
inline constexpr memory_order mo_release = boost::memory_order_release;
inline constexpr memory_order mo_acq_rel = boost::memory_order_acq_rel;
inline constexpr memory_order mo_seq_cst = boost::memory_order_seq_cst;

template <class T>
using atomic = boost::atomic<T>;

inline void thread_fence(memory_order order) noexcept { boost::atomic_thread_fence(order); }
inline void compiler_fence(memory_order order) noexcept { boost::atomic_signal_fence(order); }

}  // namespace detail
SINK_END_NAMESPACE
