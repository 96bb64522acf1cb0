// A whole run for one key type and one value payload type. Each
// instantiation lives in its own file (run_<key>_<value>.cpp), so that the
// four compile in parallel and a fault build can compile only one.
#pragma once

#include "context.hpp"
#include "figures.hpp"
#include "mixed.hpp"
#include "options.hpp"
#include "stall_scenario.hpp"
#include "runs.hpp"
#include "storm.hpp"

namespace sink_stress {

template <class Key, class Payload>
run_figures run(const options& o) {
    run_context ctx(o);
    for (scenario s : o.scenarios) {
        switch (s) {
            case scenario::mixed: run_mixed<Key, Payload>(ctx); break;
            case scenario::storm: run_storm<Key, Payload>(ctx); break;
            case scenario::stall: run_stalls<Key, Payload>(ctx); break;
        }
    }
    return ctx.figures;
}


}  // namespace sink_stress
