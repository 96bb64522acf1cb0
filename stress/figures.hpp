// What a run did, for its closing summary.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "garbage.hpp"
#include "phase_check.hpp"

namespace sink_stress {

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
