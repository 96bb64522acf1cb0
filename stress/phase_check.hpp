// Checks one phase's records: builds every key's history (its calls, the
// clears, the iteration facts), between the key's state at the phase's
// quiescent start and at its quiescent end, and runs the linearizability
// check on each. Phases keep histories short: a phase ends at a point where
// no call is in flight, and the state of every key there is read from the
// map, so each phase is checked on its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "history.hpp"

namespace sink_stress {

// The map's contents at a quiescent point: key id -> value id.
using snapshot = std::unordered_map<std::uint64_t, std::uint64_t>;

struct check_figures {
    std::uint64_t calls = 0;           // map calls recorded (a walk counts once)
    std::uint64_t walks = 0;
    std::uint64_t histories = 0;       // key histories searched (one key in one phase)
    std::uint64_t records = 0;         // records in them (calls, yields, clears, absence claims)
    std::uint64_t absence_claims = 0;
    std::uint64_t undecided = 0;       // histories whose search ran out of budget
    std::uint64_t largest_search = 0;  // most (set, state) pairs one history needed
};

void add(check_figures& a, const check_figures& b);

// Fails the check "linearizability" with the first key whose history has
// no linearization, unless only skips are to blame: if a key's history
// linearizes without the facts of what walks did NOT yield (the absence
// claims of full walks, and the final state, which a walk of the quiescent
// map read: `look_up(key)` reads it again with a lookup, absent or a value
// id), the key is remembered, and once every key is checked with no other
// failure, the check "iteration" fails with the first such key. So a walk
// that skips a key reports "iteration", and a call or a yield that returns
// a wrong value reports "linearizability" (a yield is a read), even if some
// walk also skipped a key.
check_figures check_phase(const std::string& phase, const std::vector<thread_log>& logs, const snapshot& initial,
                          const snapshot& final, std::size_t max_states,
                          const std::function<std::string(std::uint64_t)>& key_name,
                          const std::function<std::uint64_t(std::uint64_t)>& look_up);

}  // namespace sink_stress
