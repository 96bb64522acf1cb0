#include "phase_check.hpp"

#include <algorithm>
#include <cstdio>

#include "iteration.hpp"
#include "linearizability.hpp"
#include "report.hpp"

namespace sink_stress {

void add(check_figures& a, const check_figures& b) {
    a.calls += b.calls;
    a.walks += b.walks;
    a.histories += b.histories;
    a.records += b.records;
    a.absence_claims += b.absence_claims;
    a.undecided += b.undecided;
    a.largest_search = std::max(a.largest_search, b.largest_search);
}

check_figures check_phase(const std::string& phase, const std::vector<thread_log>& logs, const snapshot& initial,
                          const snapshot& final, std::size_t max_states,
                          const std::function<std::string(std::uint64_t)>& key_name,
                          const std::function<std::uint64_t(std::uint64_t)>& look_up) {
    check_figures f;
    std::vector<op_record> all;
    std::vector<op_record> clears;
    std::vector<iteration_record> full_walks;
    std::vector<std::uint64_t> universe;
    for (const thread_log& log : logs) {
        for (const op_record& r : log.ops) {
            if (r.kind == op_kind::clear || r.kind == op_kind::erase_if_all) {
                clears.push_back(r);
            } else {
                all.push_back(r);
            }
            f.calls += r.kind != op_kind::iter_read;
        }
        for (const iteration_record& w : log.iterations) {
            f.calls += 1;
            f.walks += 1;
            if (w.full) {
                full_walks.push_back(w);
            }
        }
    }
    std::sort(all.begin(), all.end(),
              [](const op_record& a, const op_record& b) { return a.key != b.key ? a.key < b.key : a.inv < b.inv; });
    std::sort(full_walks.begin(), full_walks.end(),
              [](const iteration_record& a, const iteration_record& b) { return a.inv < b.inv; });
    universe.reserve(all.size() + initial.size() + final.size());
    for (const op_record& r : all) {
        universe.push_back(r.key);
    }
    for (const auto& [k, v] : initial) {
        universe.push_back(k);
    }
    for (const auto& [k, v] : final) {
        universe.push_back(k);
    }
    std::sort(universe.begin(), universe.end());
    universe.erase(std::unique(universe.begin(), universe.end()), universe.end());

    auto state_in = [](const snapshot& s, std::uint64_t key) {
        const auto it = s.find(key);
        return it == s.end() ? absent : it->second;
    };
    // The first key whose history fails only because walks skipped it (see
    // below): reported as "iteration" once every key is checked and no other
    // key's history fails without its skips.
    std::string skip_failure;
    std::size_t next = 0;
    for (const std::uint64_t key : universe) {
        key_history h;
        h.key = key;
        h.initial = state_in(initial, key);
        h.final = state_in(final, key);
        while (next < all.size() && all[next].key == key) {
            h.ops.push_back(all[next++]);
        }
        for (op_record c : clears) {
            c.key = key;
            h.ops.push_back(c);
        }
        f.absence_claims += add_absence_claims(key, h.ops, full_walks);
        f.absence_claims += add_erasure_claims(key, h.ops);
        f.histories += 1;
        f.records += h.ops.size();
        const lin_outcome out = check_register(h, max_states, key_name(key));
        f.largest_search = std::max<std::uint64_t>(f.largest_search, out.states);
        if (out.result == lin_outcome::verdict::not_linearizable) {
            // Whose fault: the calls', or the walks'? What a walk yielded is
            // a read like any other; what it did NOT yield is a separate
            // fact: the absence claims of full walks, and the final state,
            // which a walk of the quiescent map read. Without those, and
            // with the final state read by a lookup instead, do the key's
            // calls and yields linearize? Then only a skip contradicts them.
            key_history without_skips = h;
            std::erase_if(without_skips.ops, [](const op_record& r) {
                return r.kind == op_kind::absent_claim || r.kind == op_kind::erased_claim;
            });
            without_skips.final = look_up(key);
            const bool skips_involved =
                without_skips.ops.size() != h.ops.size() || without_skips.final != h.final;
            if (!skips_involved || check_register(without_skips, max_states, key_name(key)).result !=
                                       lin_outcome::verdict::linearizable) {
                fail("linearizability", "phase " + phase + ": the history of one key has no linearization.\n" +
                                            out.report);
            }
            if (skip_failure.empty()) {
                skip_failure = "phase " + phase + ": key " + key_name(key) +
                               " was skipped by a walk: its calls and the entries walks yielded linearize (ending in "
                               "the state a lookup reads now: " +
                               describe_value(without_skips.final) +
                               "), but not with the walks that did not yield it while it was present and unchanged "
                               "(the walk of the quiescent map read " +
                               describe_value(h.final) + ").\n" + out.report;
            }
            continue;
        }
        if (out.result == lin_outcome::verdict::undecided) {
            ++f.undecided;
            std::fprintf(stderr, "sink-stress: warning: phase %s: key %s: search gave up after %zu states (%zu calls)\n",
                         phase.c_str(), key_name(key).c_str(), out.states, h.ops.size());
        }
    }
    if (!skip_failure.empty()) {
        fail("iteration", skip_failure);
    }
    return f;
}

}  // namespace sink_stress
