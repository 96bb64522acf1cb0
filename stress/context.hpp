// What every scenario of a run shares: the options, the figures, each
// thread's write sequence (value ids stay unique across phases) and each
// thread's count of completed calls (read by the stall controller).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "figures.hpp"
#include "options.hpp"

namespace sink_stress {

struct run_context {
    explicit run_context(const options& opts)
        : o(opts), seq(opts.threads + 1, 0), completed(std::make_unique<counter[]>(opts.threads + 1)) {
        figures.threads = opts.threads;
    }

    // Thread index of the controller (the main thread) in records.
    std::uint32_t controller() const { return o.threads; }
    std::atomic<std::uint64_t>& done(unsigned t) { return completed[t].n; }

    const options& o;
    run_figures figures;
    std::vector<std::uint64_t> seq;

private:
    struct alignas(64) counter {
        std::atomic<std::uint64_t> n{0};
    };
    std::unique_ptr<counter[]> completed;
};

// Seed purposes, so that each scenario draws from its own streams.
enum seed_purpose : std::uint64_t { seed_mixed = 1, seed_storm = 2, seed_stall = 3 };

}  // namespace sink_stress
