// One stress map with a hazard-pointer domain of its own (so that backlogs
// and balances are exact), and the checks made at its quiescent points:
// verify() (check 2), the contents read single-threaded, the garbage bound
// and a drain (check 4), the count of live values (check 3), then the
// linearizability of the phase that just ended (check 1). Destroying the
// instance checks that no value outlives the map and its domain.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codec.hpp"
#include "counted.hpp"
#include "figures.hpp"
#include "garbage.hpp"
#include "options.hpp"
#include "phase_check.hpp"
#include "report.hpp"
#include "sink/concurrent_map.hpp"
#include "stress_map.hpp"

namespace sink_stress {

template <class Key, class Payload>
class instance {
public:
    using types = codec<Key, Payload>;
    using map_type = stress_map<Key, Payload>;

    instance(const options& o, std::size_t grow_on_insert, run_figures& figures)
        : o_(o),
          figures_(figures),
          domain_(std::make_unique<sink::hazard_pointer_domain>(o.eager ? sink::reclamation_policy::eager
                                                                        : sink::reclamation_policy::lazy)),
          garbage_(*domain_) {
        sink::concurrent_map_options mo;
        mo.grow_on_insert_count = grow_on_insert;
        mo.shrink_on_empty_count = o.shrink_on_empty;
        mo.grow_amount = o.grow_amount;
        mo.shrink_amount = o.shrink_amount;
        // No load conditions: the harness wants every resize the local
        // heuristics ask for, racing everything else (the conditions only
        // filter requests; the resize itself is the same code).
        mo.grow_min_load_percent = 0;
        mo.shrink_max_load_percent = 0;
        mo.seed = o.seed | 1;  // the run's seed decides the hash mixing too
        mo.domain = domain_.get();
        if (live_values::count() != 0) {
            fail("destruction", "values are alive before a new map is made: " + std::to_string(live_values::count()));
        }
        map_ = std::make_unique<map_type>(mo, stress_hash<Key>{o.hash_bits});
    }

    instance(const instance&) = delete;
    instance& operator=(const instance&) = delete;

    ~instance() {
        const sink::concurrent_map_stats s = map_->stats();
        figures_.grows += s.grows;
        figures_.shrinks += s.shrinks;
        merge(figures_.backlog, garbage_.figures());
        map_.reset();
        domain_.reset();
        if (const long live = live_values::count(); live != 0) {
            fail("destruction", std::to_string(live) +
                                    " values are still alive after the map and its hazard-pointer domain were destroyed");
        }
    }

    map_type& map() { return *map_; }
    sink::hazard_pointer_domain& domain() { return *domain_; }
    garbage_monitor& garbage() { return garbage_; }
    const snapshot& contents() const { return contents_; }

    // Call when no thread uses the map: checks everything and starts the
    // next phase from the contents read here.
    void end_phase(const std::string& phase, const std::vector<thread_log>& logs) {
        snapshot now = read_contents(phase);
        // The history first: of all the checks it tells best what went wrong.
        add(figures_.checks, check_phase(phase, logs, contents_, now, o_.max_states, &types::key_name,
                                         [this](std::uint64_t key) -> std::uint64_t {
                                             const auto v = map_->load(types::key(key));
                                             return v ? types::value_id(*v) : absent;
                                         }));
        const sink::concurrent_map_check check = map_->verify();
        if (!check) {
            fail("verify", "phase " + phase + ": verify() found: " + check.problem + " (live entries " +
                               std::to_string(check.live_entries) + ", frozen nodes " +
                               std::to_string(check.frozen_nodes) + ")");
        }
        if (now.size() != map_->size()) {
            fail("verify", "phase " + phase + ": size() is " + std::to_string(map_->size()) + " but a walk found " +
                               std::to_string(now.size()) + " entries");
        }
        garbage_.check_quiescent("phase " + phase);
        // After the drain, the values alive are those of the nodes still in
        // the list: every live entry, and frozen entries not yet cut out.
        // (Words kept in place are not counted: nothing to check.)
        const long live = live_values::count();
        const long in_map = static_cast<long>(now.size());
        if (!types::word_values && (live < in_map || live > in_map + static_cast<long>(check.frozen_nodes))) {
            fail("destruction", "phase " + phase + ": " + std::to_string(live) +
                                    " values alive after a drain, but the map holds " + std::to_string(in_map) +
                                    " entries and " + std::to_string(check.frozen_nodes) + " frozen nodes");
        }
        figures_.widest_table = std::max(figures_.widest_table, map_->stats().table_width);
        figures_.phases += 1;
        contents_ = std::move(now);
        if (o_.verbose) {
            std::printf("  phase %s: %zu entries, table width %u\n", phase.c_str(), contents_.size(),
                        map_->stats().table_width);
            std::fflush(stdout);
        }
    }

private:
    snapshot read_contents(const std::string& phase) {
        snapshot s;
        map_->range([&](const Key& k, const typename types::value_type& v) {
            if (!s.emplace(types::key_id(k), types::value_id(v)).second) {
                fail("iteration", "phase " + phase + ": a walk of the quiescent map yielded key " +
                                      types::key_name(types::key_id(k)) + " twice");
            }
        });
        return s;
    }

    const options& o_;
    run_figures& figures_;
    std::unique_ptr<sink::hazard_pointer_domain> domain_;
    garbage_monitor garbage_;
    std::unique_ptr<map_type> map_;
    snapshot contents_;
};

// Runs body(t) on n threads and joins them.
template <class Body>
void run_threads(unsigned n, Body&& body) {
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (unsigned t = 0; t < n; ++t) {
        threads.emplace_back([&body, t] { body(t); });
    }
    for (auto& th : threads) {
        th.join();
    }
}

}  // namespace sink_stress
