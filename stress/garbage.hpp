// Check 4, bounded garbage. The hazard-pointer domain states a bound on the
// number of retired objects not yet freed (stats().backlog_bound,
// docs/hazard_pointers.md); the stress threads sample the backlog while they
// run, and at every quiescent point the backlog is read exactly, then a
// drain must free everything retired.
//
// A sample taken while other threads retire and reclaim is not exact, so a
// sample is made of two stats() calls, s1 then s2: s1.retired - s2.reclaimed
// is at most the true backlog at the moment s1 finished (the counters only
// grow, s1 read "retired" no later than that moment and s2 read "reclaimed"
// no earlier), so a sample above the bound is a certain violation, never an
// artefact of the sampling. s1.backlog (an upper estimate) is kept as well,
// for the figures.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "figures.hpp"
#include "sink/hazard_pointer.hpp"

namespace sink_stress {


class garbage_monitor {
public:
    explicit garbage_monitor(sink::hazard_pointer_domain& domain) : domain_(&domain) {}

    // Any thread, any time. Fails the check "garbage-bound" on a certain violation.
    void sample();
    // Only when no thread uses the domain: the exact backlog is within the
    // bound ("garbage-bound"); after a drain nothing retired is left ("drain").
    void check_quiescent(const std::string& where);

    backlog_figures figures() const;

private:
    sink::hazard_pointer_domain* domain_;
    std::atomic<std::uint64_t> samples_{0};
    std::atomic<std::uint64_t> peak_certain_{0};
    std::atomic<std::uint64_t> peak_sampled_{0};
    std::atomic<std::uint64_t> bound_at_peak_{0};
    std::uint64_t peak_quiescent_ = 0;
    std::atomic<std::uint64_t> largest_bound_{0};
};


}  // namespace sink_stress
