// sink-bench-profile: one workload of the comparison, replayed by one thread
// on sink and nothing else, so that `valgrind --tool=callgrind` can count
// its instructions. Instruction counts do not move with the machine's load,
// which makes them the before/after measure of docs/performance.md:
//
//   valgrind --tool=callgrind --callgrind-out-file=W2.out
//            build/bench/bench/sink-bench-profile W2 --divisor=10
//
// The map is prefilled outside the measured part (callgrind's toggle), the
// stream is the benchmark's own (bench/driver/workload.cpp), and the program
// prints the map's resize counters, so a lever that changes the amount of
// work rather than its cost shows up as such. --seed=N fixes the map's hash
// seed (the layout, and so where the heuristics fire, depends on it; by
// default every map gets its own); --warm looks every prefilled key up once
// before the measured part, so that lookups are measured on a map whose
// sections all have their starts, not on the first visits after a fill.
// --grow=N and --grow-load=N set grow_on_insert_count and
// grow_min_load_percent.
//
// With --latency it times every call instead (not under callgrind) and
// prints the distribution and how many calls took over 10 us: a read-only
// workload has no retire, scan or allocation, so its slow calls show what
// the machine itself adds (docs/performance.md, "tail latency").
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <valgrind/callgrind.h>

#include "common/key_hash.hpp"
#include "driver/workload.hpp"
#include "sink/concurrent_map.hpp"

namespace {

using map_type = sink::concurrent_map<std::uint64_t, std::uint64_t, sink_bench::key_hash, sink_bench::key_equal>;

int usage() {
    std::fprintf(stderr, "usage: sink-bench-profile R|W1|W2|W4|W7a|W7b|W8|W3 [--divisor=N] [--calls=N] [--grow=N] [--grow-load=N] [--seed=N] [--warm] [--latency]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    const std::string_view id = argv[1];
    std::size_t divisor = 1, calls = 1'000'000;
    sink::concurrent_map_options options;
    bool latency = false;
    bool warm = false;
    for (int i = 2; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a.starts_with("--divisor=")) divisor = std::stoul(std::string(a.substr(10)));
        else if (a.starts_with("--calls=")) calls = std::stoul(std::string(a.substr(8)));
        else if (a.starts_with("--grow=")) options.grow_on_insert_count = std::stoul(std::string(a.substr(7)));
        else if (a.starts_with("--grow-load=")) options.grow_min_load_percent = std::stoul(std::string(a.substr(12)));
        else if (a.starts_with("--seed=")) options.seed = std::stoull(std::string(a.substr(7)));
        else if (a == "--warm") warm = true;
        else if (a == "--latency") latency = true;
        else return usage();
    }
    sink_bench::shrink_workloads(divisor);
    const sink_bench::workload* w = nullptr;
    for (const auto& candidate : sink_bench::all_workloads()) {
        if (candidate.id == id && !candidate.string_keys && candidate.shape != sink_bench::workload_shape::drain) {
            w = &candidate;
        }
    }
    if (w == nullptr) return usage();

    map_type map(options);
    for (std::uint64_t k = 0; k < w->prefill; ++k) map.store(2 * k, k);
    if (warm) {
        // One lookup of every key first, outside the measured part: the
        // sections the last grows made get their starts then, so that the
        // calls measure lookups, not the first visits after a fill.
        for (std::uint64_t k = 0; k < w->prefill; ++k) (void)map.contains(2 * k);
    }
    const auto stream = sink_bench::make_stream(*w, w->shape == sink_bench::workload_shape::fill ? 0 : calls);
    const sink::concurrent_map_stats before = map.stats();

    std::uint64_t hits = 0;
    auto run = [&map, &hits](const sink_bench::encoded_op op) {
        const std::uint64_t k = op.key();
        switch (op.kind()) {
            case sink_bench::op_kind::find: hits += map.load(k).has_value(); break;
            case sink_bench::op_kind::insert: hits += map.load_or_store(k, k).second ? 0 : 1; break;
            case sink_bench::op_kind::erase: hits += map.erase(k); break;
            case sink_bench::op_kind::upsert: map.store(k, k); break;
            case sink_bench::op_kind::increment:
                hits += map.update(k, [](std::uint64_t v) { return v + 1; }).has_value();
                break;
        }
    };
    if (latency) {
        if (w->shape == sink_bench::workload_shape::fill) return usage();
        using clock = std::chrono::steady_clock;
        std::vector<double> ns;
        ns.reserve(stream.size());
        const auto begin = clock::now();
        for (const sink_bench::encoded_op op : stream) {
            const auto t0 = clock::now();
            run(op);
            ns.push_back(std::chrono::duration<double, std::nano>(clock::now() - t0).count());
        }
        const double seconds = std::chrono::duration<double>(clock::now() - begin).count();
        const auto slow = std::count_if(ns.begin(), ns.end(), [](double x) { return x > 10'000; });
        std::sort(ns.begin(), ns.end());
        auto at = [&ns](double q) { return ns[static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1))]; };
        std::printf("%s: %zu calls in %.3f s; ns p50 %.0f, p99 %.0f, p99.9 %.0f, max %.0f; "
                    "%lld calls over 10 us (%.3f%%, %.0f per second)\n",
                    std::string(id).c_str(), ns.size(), seconds, at(0.5), at(0.99), at(0.999), ns.back(),
                    static_cast<long long>(slow), 100.0 * static_cast<double>(slow) / static_cast<double>(ns.size()),
                    static_cast<double>(slow) / seconds);
        return hits == ~std::uint64_t{0} ? 1 : 0;
    }
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    const auto start = std::chrono::steady_clock::now();
    if (w->shape == sink_bench::workload_shape::fill) {
        for (std::uint64_t k = 0; k < w->key_space; ++k) hits += map.load_or_store(k, k).second ? 0 : 1;
    } else {
        for (const sink_bench::encoded_op op : stream) run(op);
    }
    const auto stop = std::chrono::steady_clock::now();
    CALLGRIND_TOGGLE_COLLECT;

    const sink::concurrent_map_stats after = map.stats();
    std::printf("%s: %zu calls, %llu hits, %zu entries; grows %llu, shrinks %llu, heads installed %llu, "
                "table width %u; %.0f ns per call (one run: a hint, not a measure)\n",
                std::string(id).c_str(), w->shape == sink_bench::workload_shape::fill ? w->key_space : stream.size(),
                static_cast<unsigned long long>(hits), map.size(),
                static_cast<unsigned long long>(after.grows - before.grows),
                static_cast<unsigned long long>(after.shrinks - before.shrinks),
                static_cast<unsigned long long>(after.heads_installed - before.heads_installed),
                after.table_width,
                std::chrono::duration<double, std::nano>(stop - start).count() /
                    static_cast<double>(w->shape == sink_bench::workload_shape::fill ? w->key_space : stream.size()));
    return 0;
}
