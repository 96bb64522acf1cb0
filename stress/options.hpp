// The command line of sink-stress.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stall_site.hpp"
#include "workload.hpp"

namespace sink_stress {

enum class scenario { mixed, storm, stall };

struct options {
    unsigned threads = 4;
    std::uint64_t keys = 1024;         // key space of mixed phases
    std::uint64_t ops = 20000;         // calls per thread per phase
    unsigned phases = 4;               // mixed phases
    op_mix mix = op_mix::defaults();
    distribution dist = distribution::uniform;
    double zipf_s = 0.99;
    double hot_fraction = 0.5;
    bool string_keys = false;
    bool string_values = false;
    bool word_values = false;  // u64 values kept in place (not counted)
    // The map's knobs (concurrent_map_options).
    std::size_t grow_on_insert = 10;
    std::size_t shrink_on_empty = 2;
    unsigned grow_amount = 1;
    unsigned shrink_amount = 2;
    bool eager = false;                // reclamation policy of the map's domain
    unsigned hash_bits = 64;           // bits of the hash the map sees (stress_map.hpp)
    std::uint64_t seed = 0;
    std::vector<scenario> scenarios{scenario::mixed};
    unsigned storms = 2;               // fill/drain cycles per storm scenario
    std::uint64_t storm_keys = 20000;  // keys a storm grows to
    std::vector<stall_site> stall_sites;
    unsigned stall_rounds = 1;
    std::uint64_t stall_ops = 2000;    // calls the others must complete while one thread is frozen
    std::uint64_t sample_every = 64;   // garbage samples: one per this many calls of a thread
    std::size_t max_states = 5'000'000;  // per-key search budget of the linearizability check
    bool verbose = false;
};

// Parses argv; prints usage and exits on --help or an error.
options parse_options(int argc, char** argv);

std::string describe(const options& o);

}  // namespace sink_stress
