// What a run did, for its closing summary. (No sink header here: this is
// part of the code shared by every build of sink-stress, see CMakeLists.txt.)
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "phase_check.hpp"

namespace sink_stress {

struct backlog_figures {
    std::uint64_t samples = 0;
    std::uint64_t peak_certain = 0;   // largest lower estimate: the backlog was at least this
    std::uint64_t bound_at_peak = 0;  // the bound when peak_certain was seen
    std::uint64_t peak_sampled = 0;   // largest upper estimate (stats().backlog while others ran;
                                      // may exceed the true backlog, so it is not checked)
    std::uint64_t peak_quiescent = 0;
    std::uint64_t largest_bound = 0;
};

// Adds b's peaks to a (max) and counts (sum).
void merge(backlog_figures& a, const backlog_figures& b);

struct run_figures {
    unsigned threads = 0;
    std::uint64_t phases = 0;
    check_figures checks;
    backlog_figures backlog;
    std::uint64_t grows = 0;
    std::uint64_t shrinks = 0;
    unsigned widest_table = 0;
    std::uint64_t storms = 0;  // fill/drain cycles completed
    std::uint64_t stalls = 0;  // threads frozen at a stall site
    std::uint64_t ops_while_frozen = 0;
    std::uint64_t fewest_ops_while_frozen = std::numeric_limits<std::uint64_t>::max();
};

// The closing summary, and one "totals:" line that scripts can read.
std::string summary(const run_figures& f, std::uint64_t seed);

}  // namespace sink_stress
