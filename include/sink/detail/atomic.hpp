// The atomics seam: every atomic, fence and shared allocation of the library
// goes through this header, so that the same code runs on the standard
// library, on Boost.Atomic, or under the Relacy model checker.
//
// Each backend provides, in namespace sink::detail:
//   memory_order, mo_relaxed, mo_acquire, mo_release, mo_acq_rel, mo_seq_cst
//   atomic<T>                with load/store/exchange/compare_exchange_*/fetch_*
//   thread_fence(mo)         a hardware fence (atomic_thread_fence)
//   compiler_fence(mo)       orders only against this thread (signal fence)
//   var<T>                   a plain shared variable the model checker watches
//                            for data races: get() and set(v)
//   allocate_bytes(n, align) / deallocate_bytes(p, n, align)
//                            raw memory the model checker can see (leaks,
//                            use after free); throws std::bad_alloc
//   current_thread_index()   only under Relacy: the simulated thread's index
//   is_model_checked         true only under Relacy
#pragma once

#include "sink/detail/config.hpp"

#if defined(SINK_ATOMICS_RELACY)
#include "sink/detail/atomic_relacy.hpp"
#elif defined(SINK_ATOMICS_BOOST)
#include "sink/detail/atomic_boost.hpp"
#else
#include "sink/detail/atomic_std.hpp"
#endif

#include <cstddef>

SINK_BEGIN_NAMESPACE
namespace detail {

// Size of the unit of false sharing. std::hardware_destructive_interference_size
// is not used: gcc warns that its value may differ between compilations.
inline constexpr std::size_t cache_line_size = 64;

}  // namespace detail
SINK_END_NAMESPACE
