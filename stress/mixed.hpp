// The mixed scenario: every thread makes random calls of the mix on keys of
// the chosen distribution, for a number of phases; each phase ends at a
// quiescent point where everything is checked.
#pragma once

#include <string>
#include <vector>

#include "context.hpp"
#include "executor.hpp"
#include "instance.hpp"

namespace sink_stress {

template <class Key, class Payload>
void run_mixed(run_context& ctx) {
    const options& o = ctx.o;
    instance<Key, Payload> in(o, o.grow_on_insert, ctx.figures);
    const key_chooser keys(o.dist, o.keys, o.zipf_s, o.hot_fraction);
    for (unsigned p = 0; p < o.phases; ++p) {
        std::vector<thread_log> logs(o.threads);
        run_threads(o.threads, [&](unsigned t) {
            logs[t].ops.reserve(o.ops + o.ops / 4);
            executor<Key, Payload> e(in.map(), logs[t], t, ctx.seq[t], ctx.done(t));
            rng r(derive_seed(o.seed, seed_mixed, std::uint64_t{p} << 20 | t));
            for (std::uint64_t i = 0; i < o.ops; ++i) {
                e.random_call(o.mix.pick(r), keys.next(r), r);
                if (i % o.sample_every == 0) {
                    in.garbage().sample();
                }
            }
        });
        in.end_phase("mixed " + std::to_string(p + 1) + "/" + std::to_string(o.phases), logs);
    }
}

}  // namespace sink_stress
