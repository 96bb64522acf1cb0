// Test-only fault switches. Each SINK_FAULT_* macro, defined only by the
// builds that prove a test can fail (see tests/relacy/CMakeLists.txt),
// removes one ingredient of the correctness argument. A release build never
// defines any of them, and then every switch below is a constant false.
#pragma once

#include "sink/detail/config.hpp"

SINK_BEGIN_NAMESPACE
namespace detail::fault {

#ifdef SINK_FAULT_SKIP_VALIDATION
inline constexpr bool skip_validation = true;  // try_protect trusts its first read
#else
inline constexpr bool skip_validation = false;
#endif

#ifdef SINK_FAULT_NO_READER_FENCE
inline constexpr bool no_reader_fence = true;  // publish not ordered before re-read
#else
inline constexpr bool no_reader_fence = false;
#endif

#ifdef SINK_FAULT_NO_RECLAIMER_FENCE
inline constexpr bool no_reclaimer_fence = true;  // unlink not ordered before slot reads
#else
inline constexpr bool no_reclaimer_fence = false;
#endif

#ifdef SINK_FAULT_IGNORE_HAZARDS
inline constexpr bool ignore_hazards = true;  // scans free protected objects too
#else
inline constexpr bool ignore_hazards = false;
#endif

#ifdef SINK_FAULT_NEVER_SCAN
inline constexpr bool never_scan = true;  // retire never triggers a scan
#else
inline constexpr bool never_scan = false;
#endif

}  // namespace detail::fault
SINK_END_NAMESPACE
