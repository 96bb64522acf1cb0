// Resize storms (check 5): the map grows from empty to storm_keys entries
// and shrinks back to empty, again and again, while readers run throughout.
// Half the threads write (each its own slice of the keys, with store,
// load_or_store and exchange going up, erase, load_and_erase and
// compare_and_erase coming down); the others read random keys and walk.
// Each fill and each drain is a phase, checked like any other; the table
// must have grown during a fill and shrunk during a drain (unless the hash
// collides on purpose).
#pragma once

#include <atomic>
#include <limits>
#include <string>
#include <vector>

#include "context.hpp"
#include "executor.hpp"
#include "instance.hpp"

namespace sink_stress {

template <class Key, class Payload>
void run_storm(run_context& ctx) {
    const options& o = ctx.o;
    instance<Key, Payload> in(o, o.grow_on_insert, ctx.figures);
    const unsigned writers = std::max(1u, o.threads / 2);
    const std::uint64_t n = o.storm_keys;
    // Readers stop with the writers, or after this many calls if the
    // writers are slow to be scheduled (it bounds the records).
    const std::uint64_t reader_cap = 4 * (n / writers) + 1000;

    auto storm_phase = [&](const std::string& phase, bool fill) {
        std::vector<thread_log> logs(o.threads);
        std::atomic<unsigned> writing{writers};
        const snapshot& before = in.contents();
        run_threads(o.threads, [&](unsigned t) {
            executor<Key, Payload> e(in.map(), logs[t], t, ctx.seq[t], ctx.done(t));
            rng r(derive_seed(o.seed, seed_storm, (ctx.figures.storms * 2 + (fill ? 0 : 1)) << 20 | t));
            std::uint64_t calls = 0;
            if (t < writers) {
                for (std::uint64_t k = t; k < n; k += writers, ++calls) {
                    const std::uint64_t pick = r.below(3);
                    if (fill) {
                        pick == 0 ? e.store(k) : pick == 1 ? e.load_or_store(k) : e.exchange(k);
                    } else if (pick == 0) {
                        e.erase(k);
                    } else if (pick == 1) {
                        e.load_and_erase(k);
                    } else {
                        const auto it = before.find(k);
                        e.compare_and_erase(k, it == before.end() ? absent : it->second);
                    }
                    if (calls % o.sample_every == 0) {
                        in.garbage().sample();
                    }
                }
                writing.fetch_sub(1, std::memory_order_release);
                return;
            }
            while (writing.load(std::memory_order_acquire) != 0 && calls < reader_cap) {
                const std::uint64_t k = r.below(n);
                switch (r.below(6)) {
                    case 0: e.contains(k); break;
                    case 1: e.find(k); break;
                    case 2:
                        // Walks are rare, and mostly short: a full walk of a large map is long.
                        if (r.below(200) == 0) {
                            e.walk(r.below(2) == 0, r.below(20) == 0 ? std::numeric_limits<std::uint64_t>::max()
                                                                     : 1 + r.below(64));
                            break;
                        }
                        [[fallthrough]];
                    default: e.load(k); break;
                }
                if (++calls % o.sample_every == 0) {
                    in.garbage().sample();
                }
            }
        });
        in.end_phase(phase, logs);
    };

    for (unsigned s = 0; s < o.storms; ++s) {
        const std::string name = "storm " + std::to_string(s + 1) + "/" + std::to_string(o.storms);
        const sink::concurrent_map_stats start = in.map().stats();
        storm_phase(name + " fill", true);
        const sink::concurrent_map_stats full = in.map().stats();
        if (in.contents().size() != n) {
            fail("resize-storm", name + ": after the fill the map holds " + std::to_string(in.contents().size()) +
                                     " entries, not " + std::to_string(n));
        }
        storm_phase(name + " drain", false);
        const sink::concurrent_map_stats end = in.map().stats();
        if (!in.contents().empty()) {
            fail("resize-storm", name + ": after the drain the map still holds " +
                                     std::to_string(in.contents().size()) + " entries");
        }
        const bool grew = full.grows > start.grows && full.table_width > start.table_width;
        const bool shrank = end.shrinks > full.shrinks && end.table_width < full.table_width;
        // With a colliding hash (--hash-bits) the table's width follows the
        // few distinct hash values, not the number of entries (a constant
        // hash never grows it; docs/design.md, "Limits"): only the other
        // checks apply then.
        if (o.hash_bits >= 64 && (!grew || !shrank)) {
            fail("resize-storm", name + ": the table went from width " + std::to_string(start.table_width) + " to " +
                                     std::to_string(full.table_width) + " (grows " +
                                     std::to_string(full.grows - start.grows) + ") and back to " +
                                     std::to_string(end.table_width) + " (shrinks " +
                                     std::to_string(end.shrinks - full.shrinks) +
                                     "): a storm must grow the table and shrink it again");
        }
        if (o.verbose) {
            std::printf("  %s: width %u -> %u -> %u, grows %llu, shrinks %llu\n", name.c_str(), start.table_width,
                        full.table_width, end.table_width,
                        static_cast<unsigned long long>(full.grows - start.grows),
                        static_cast<unsigned long long>(end.shrinks - full.shrinks));
        }
        ctx.figures.storms += 1;
    }
}

}  // namespace sink_stress
