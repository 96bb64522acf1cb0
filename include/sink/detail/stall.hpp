// Stall points: named places inside the map's operations where a test can
// hold a thread. The stress harness freezes one to show that the other
// threads keep completing operations (lock freedom) and that the frozen
// operation still completes correctly when released; the Relacy scenarios
// hold one to force the schedule a fault needs (tests/relacy). Compiled in
// only when SINK_STALL_POINTS is defined (those test builds); otherwise every
// call is an empty inline function. The library itself never waits here: the
// hook is test code.
#pragma once

#include "sink/detail/config.hpp"

#ifdef SINK_STALL_POINTS
#include <atomic>
#endif

SINK_BEGIN_NAMESPACE
namespace detail::stall {

enum class site {
    insert,       // insert of a new key: before the CAS that links it
    replace,      // store over a live entry: before the CAS that supersedes it
    erase,        // erase: before the CAS that freezes the entry
    compaction,   // cutting a frozen run: before the CAS on the anchor
    install,      // installing a section head: claimed and pointed at its successor, before the CAS that links it
    resize,       // a shrink: after the width CAS, before the top segment's heads are frozen
    shrink,       // a shrink: after freezing the top segment's heads, before cutting them out
    claim_release,  // installing a section head: linked, its `next` read, before the CAS that releases the claim
    step,         // a walk's step: after reading cur->next, before protecting and validating the successor
    plain_yield,  // an iteration at a plain entry: after the load that shows it live, before it is yielded
    plain_front,  // an iteration at a plain entry: after reading its next, before protecting and validating the successor
    cut_retire,   // cutting a frozen run: after the CAS on the anchor, before the run is read and retired
};
inline constexpr int site_count = 12;

#ifdef SINK_STALL_POINTS
using hook_type = void (*)(site) noexcept;
// Not a model-checked variable (under Relacy it is set before the model runs).
inline std::atomic<hook_type> hook{nullptr};

inline void set_hook(hook_type h) noexcept { hook.store(h, std::memory_order_release); }
inline void at(site s) noexcept {
    if (hook_type h = hook.load(std::memory_order_acquire)) {
        h(s);
    }
}
#else
inline void at(site) noexcept {}
#endif

}  // namespace detail::stall
SINK_END_NAMESPACE
