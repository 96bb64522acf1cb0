// The iteration check (weak consistency). A walk (range, or begin()/end())
// must yield no key twice (checked as it runs, by the thread that walks),
// and every key present and unchanged for the whole walk exactly once. The
// second half is turned into per-key facts for the linearizability check:
//   - each entry a walk yields is a read of the key at some moment between
//     the walk's start and the yield (op_kind::iter_read);
//   - a full walk that did not yield a key, while no call that changed the
//     key (and no clear) overlapped the walk, saw the key absent: had it
//     been present, it would have been present and unchanged for the whole
//     walk (op_kind::absent_claim over the walk's interval).
// So a walk that skips a stable key, or yields a value the key never had
// during the walk, makes that key's history non-linearizable; and so does a
// clear or an erase_if(pred) that leaves a stable key in place.
#pragma once

#include <cstdint>
#include <vector>

#include "history.hpp"

namespace sink_stress {

// `key_ops`: every call of one key in a phase (clears included); appends the
// absent claims of the full walks in `full_walks` (sorted by inv). Returns
// how many it added.
std::size_t add_absence_claims(std::uint64_t key, std::vector<op_record>& key_ops,
                               const std::vector<iteration_record>& full_walks);

// The same fact for the walks that erase: a clear, or a whole-map
// erase_if(pred), that no call changing the key overlapped reached it
// (present and unchanged for the whole call), so at some moment of the call
// the key was absent, or, for erase_if, held a value pred rejects
// (op_kind::erased_claim over the call's interval). `key_ops` holds the
// clears already. Returns how many it added.
std::size_t add_erasure_claims(std::uint64_t key, std::vector<op_record>& key_ops);

}  // namespace sink_stress
