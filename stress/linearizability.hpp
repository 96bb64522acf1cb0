// The per-key linearizability check. A map is linearizable if each key's
// history is (P-compositionality, Horn & Kroening 2015: linearizability is
// local to objects, and a map is a set of independent registers), so each
// key is checked on its own, with the search of Wing & Gong as improved by
// Lowe (memoising the (set of linearized ops, state) pairs already tried).
//
// A key is a register whose state is absent or one value id; every write
// stores a value unique in the run. `clear` is the one call that is not a
// single atomic step per key: it erases what its walk reaches, and may meet
// a key again after a restart. It is modelled exactly as that: while a clear
// is in flight, the search may erase the key at any moment, any number of
// times, and the clear itself has no other effect. erase_if(pred) of the
// whole map is the same walk, and erases only a value its predicate holds
// for (erase_if_holds): the search erases only such a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "history.hpp"

namespace sink_stress {

struct key_history {
    std::uint64_t key = 0;
    std::uint64_t initial = absent;  // state at the phase's start (known: quiescent)
    std::uint64_t final = absent;    // state read at the phase's quiescent end
    std::vector<op_record> ops;      // any order
};

struct lin_outcome {
    enum class verdict { linearizable, not_linearizable, undecided };
    verdict result = verdict::linearizable;
    std::size_t states = 0;  // (set, state) pairs the search visited
    std::string report;      // readable history, when not linearizable
};

// Gives up (undecided) after visiting max_states pairs.
lin_outcome check_register(const key_history& h, std::size_t max_states, const std::string& key_name);

}  // namespace sink_stress
