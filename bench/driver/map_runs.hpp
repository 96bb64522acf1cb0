// The bodies of the throughput benchmarks: one template per workload shape,
// instantiated for every map adapter and key type. Google Benchmark runs them
// with ->Threads(n): every thread calls the body; thread 0 prepares the map
// before the timed loop (the others wait in Google Benchmark's start
// barrier), and every run is ONE iteration of fixed work, shared out in
// chunks through an atomic counter, that ends in our own barrier, so each
// thread's real time is the makespan of the whole run: a thread that was
// descheduled holds the result back, as it would hold back a real program.
// Throughput is then the total calls over the makespan.
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "driver/latency_histogram.hpp"
#include "driver/workload.hpp"
#include "maps/adapter.hpp"

namespace sink_bench {

// How much work one run does (set from the command line).
struct run_budget {
    std::size_t steady_calls = 1'000'000;  // per run of a steady workload, all threads together
};
run_budget& budget();

// Calls are handed out in chunks so the shared counter is touched rarely.
inline constexpr std::size_t chunk = 1024;
// One call in `sample_every` is timed for the latency percentiles.
inline constexpr std::size_t sample_every = 64;
inline constexpr int max_threads = 64;
// The length of a steady workload's stream: a power of two, so wrapping
// around it is a mask, not a division, in the timed loop.
inline constexpr std::size_t stream_length = std::size_t{1} << 22;

// The keys of a workload as its maps take them.
struct key_table {
    std::vector<std::string> strings;  // string workloads: the string of each key number
    static const key_table& of(const workload& w);
};

template <class Key>
struct keys;
template <>
struct keys<std::uint64_t> {
    static std::uint64_t owned(const key_table&, std::uint64_t k) { return k; }
    template <class Map>
    static std::uint64_t lookup(const key_table&, std::uint64_t k) { return k; }
};
template <>
struct keys<std::string> {
    static const std::string& owned(const key_table& t, std::uint64_t k) { return t.strings[k]; }
    // A caller holding a string_view: a map with heterogeneous lookup takes it
    // as it is; any other map needs a std::string built from it first.
    template <class Map>
    static auto lookup(const key_table& t, std::uint64_t k) {
        if constexpr (Map::heterogeneous) {
            return std::string_view(t.strings[k]);
        } else {
            return std::string(std::string_view(t.strings[k]));
        }
    }
};

// State shared by the threads of one run. Written by thread 0 before the
// start barrier, read by the others after it.
struct run_state {
    const workload* w = nullptr;
    const std::vector<encoded_op>* stream = nullptr;
    const key_table* table = nullptr;
    void* map = nullptr;
    std::atomic<std::size_t> next_chunk{0};
    std::atomic<int> erasers_running{0};
    // Inserts (W3), erases (W5) or calls of a steady run that succeeded,
    // summed before the end barrier (relaxed: the barrier orders them before
    // thread 0's check).
    std::atomic<std::size_t> succeeded{0};
    // W8: the prefilled keys' values summed before the run.
    std::uint64_t value_sum = 0;
    std::optional<std::barrier<>> end;
    std::size_t run_serial = 0;
    latency_histogram latency[max_threads];
    std::uint64_t started[max_threads] = {};  // when each thread left the start barrier
};
run_state& shared_run();

// The map prepared for the current benchmark, kept between the runs of one
// (map, workload) so a 1,000,000-key map is prefilled once, not once per
// thread count and repetition: steady workloads other than R keep the map
// near its prefilled size (inserts and erases of a uniformly chosen key
// balance out), as a long-running service would.
class prepared_map {
public:
    template <class Map, class Key>
    Map& get(const workload& w);
    void reset() { holder_.reset(); owner_.clear(); }

private:
    std::unique_ptr<void, void (*)(void*)> holder_{nullptr, [](void*) {}};
    std::string owner_;
    bool pristine_ = false;
};
prepared_map& prepared();

template <class Map, class Key>
void prefill(Map& map, const workload& w, const key_table& table) {
    for (std::size_t i = 0; i < w.prefill; ++i) {
        const std::uint64_t k = 2 * i;
        map.insert(keys<Key>::owned(table, k), k);
    }
}

template <class Map, class Key>
Map& prepared_map::get(const workload& w) {
    std::string owner = std::string(Map::name) + (w.string_keys ? "/string/" : "/u64/") +
                        std::to_string(w.prefill) + "/" + std::to_string(w.key_space);
    if (owner != owner_ || (!pristine_ && w.needs_fresh_prefill())) {
        holder_.reset();  // the old map goes before the new one is built
        // The size hint only matters to the pre-sized map: the most entries
        // the workload will hold.
        auto* map = new Map(w.shape == workload_shape::fill ? w.key_space : w.prefill);
        holder_ = std::unique_ptr<void, void (*)(void*)>(map, [](void* p) { delete static_cast<Map*>(p); });
        prefill<Map, Key>(*map, w, key_table::of(w));
        owner_ = std::move(owner);
        pristine_ = true;
    }
    // Any workload but finds and increments changes the keys.
    if (!w.keeps_keys()) pristine_ = false;
    return *static_cast<Map*>(holder_.get());
}

inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

template <class Map, class Key>
inline bool apply(Map& map, const key_table& table, encoded_op op) {
    const std::uint64_t k = op.key();
    std::uint64_t value = 0;
    switch (op.kind()) {
        case op_kind::find: {
            const bool found = map.find(keys<Key>::template lookup<Map>(table, k), value);
            benchmark::DoNotOptimize(value);
            return found;
        }
        case op_kind::insert: return map.insert(keys<Key>::owned(table, k), k);
        case op_kind::erase: return map.erase(keys<Key>::owned(table, k));
        case op_kind::upsert: map.upsert(keys<Key>::owned(table, k), k); return true;
        case op_kind::increment: return map.increment(keys<Key>::owned(table, k));
    }
    return false;
}

const std::vector<encoded_op>& stream_of(const workload& w, std::size_t length);

// The values of the prefilled keys, summed (wrapping, as the sum it is
// compared with does).
template <class Map, class Key>
std::uint64_t prefilled_value_sum(const Map& map, const workload& w, const key_table& table) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < w.prefill; ++i) {
        std::uint64_t value = 0;
        map.find(keys<Key>::template lookup<Map>(table, 2 * i), value);
        sum += value;
    }
    return sum;
}

// Thread 0 before the start barrier: the map, the stream, a fresh counter.
template <class Map, class Key>
void prepare_run(benchmark::State& state, const workload& w, bool replays_stream) {
    run_state& s = shared_run();
    s.w = &w;
    s.table = &key_table::of(w);
    s.stream = replays_stream ? &stream_of(w, stream_length) : nullptr;
    Map& map = prepared().get<Map, Key>(w);
    s.map = &map;
    if (w.increments_only()) s.value_sum = prefilled_value_sum<Map, Key>(map, w, *s.table);
    s.next_chunk.store(0, std::memory_order_relaxed);
    s.succeeded.store(0, std::memory_order_relaxed);
    s.end.emplace(state.threads());
    ++s.run_serial;
    for (int t = 0; t < state.threads(); ++t) s.latency[t].clear();
}

// Thread 0 after the end barrier: the throughput of the whole run (its
// calls over the makespan, from the first thread out of the start barrier to
// the end barrier), and the latency percentiles of all threads. Google
// Benchmark's own items_per_second is not used: with several threads it
// divides by the sum of the threads' times, a per-thread rate.
inline void report_run(benchmark::State& state, std::size_t calls, std::uint64_t ended) {
    const run_state& s = shared_run();
    const std::uint64_t started = *std::min_element(s.started, s.started + state.threads());
    state.counters["ops_per_second"] = static_cast<double>(calls) * 1e9 / static_cast<double>(ended - started);
    latency_histogram all;
    for (int t = 0; t < state.threads(); ++t) all.add(shared_run().latency[t]);
    state.counters["p50_ns"] = all.percentile(0.50);
    state.counters["p99_ns"] = all.percentile(0.99);
    state.counters["p999_ns"] = all.percentile(0.999);
}

// W8, thread 0 after the end barrier: every increment found its key (all
// are prefilled) and none was lost, so the values grew by exactly the
// number of calls. An increment that is not atomic loses some as soon as
// two threads meet on one of the hottest keys.
template <class Map, class Key>
void check_increments(benchmark::State& state, const workload& w, std::size_t calls) {
    const run_state& s = shared_run();
    const Map& map = *static_cast<const Map*>(s.map);
    if (s.succeeded.load(std::memory_order_relaxed) != calls) {
        state.SkipWithError("counter run: an increment missed its key (the map lacked a prefilled key)");
    } else if (prefilled_value_sum<Map, Key>(map, w, *s.table) != s.value_sum + calls) {
        state.SkipWithError("counter run lost increments");
    }
}

// A steady workload: calls from the workload's stream until the run's
// budget is used up.
template <class Map, class Key>
void steady_body(benchmark::State& state, const workload& w) {
    [[maybe_unused]] typename Map::thread_scope scope;
    const std::size_t total = budget().steady_calls;
    if (state.thread_index() == 0) prepare_run<Map, Key>(state, w, true);
    std::size_t hits = 0;
    std::uint64_t ended = 0;
    for (auto _ : state) {
        run_state& s = shared_run();
        s.started[state.thread_index()] = now_ns();
        Map& map = *static_cast<Map*>(s.map);
        const std::vector<encoded_op>& stream = *s.stream;
        latency_histogram& latency = s.latency[state.thread_index()];
        // Chunks map onto the stream at an offset that moves from run to
        // run, so repetitions do not replay exactly the same calls.
        const std::size_t shift = s.run_serial * 7919 * chunk;
        for (;;) {
            const std::size_t c = s.next_chunk.fetch_add(chunk, std::memory_order_relaxed);
            if (c >= total) break;
            const std::size_t n = std::min(chunk, total - c);
            const std::size_t base = c + shift;
            for (std::size_t i = 0; i < n; ++i) {
                const encoded_op op = stream[(base + i) & (stream_length - 1)];
                if (i % sample_every == 0) {
                    const std::uint64_t t0 = now_ns();
                    hits += apply<Map, Key>(map, *s.table, op);
                    latency.record(now_ns() - t0);
                } else {
                    hits += apply<Map, Key>(map, *s.table, op);
                }
            }
        }
        s.succeeded.fetch_add(hits, std::memory_order_relaxed);
        s.end->arrive_and_wait();
        ended = now_ns();
    }
    benchmark::DoNotOptimize(hits);
    if (state.thread_index() == 0) {
        report_run(state, total, ended);
        if (w.increments_only()) check_increments<Map, Key>(state, w, total);
    }
}

// W3: insert key_space distinct keys into a new, empty map.
template <class Map, class Key>
void fill_body(benchmark::State& state, const workload& w) {
    [[maybe_unused]] typename Map::thread_scope scope;
    if (state.thread_index() == 0) prepare_run<Map, Key>(state, w, false);
    std::uint64_t ended = 0;
    std::size_t inserted = 0;
    for (auto _ : state) {
        run_state& s = shared_run();
        s.started[state.thread_index()] = now_ns();
        Map& map = *static_cast<Map*>(s.map);
        latency_histogram& latency = s.latency[state.thread_index()];
        for (;;) {
            const std::size_t c = s.next_chunk.fetch_add(chunk, std::memory_order_relaxed);
            if (c >= w.key_space) break;
            const std::size_t n = std::min(chunk, w.key_space - c);
            for (std::size_t i = 0; i < n; ++i) {
                // Key numbers in a scattered order (odd multiplier, a
                // bijection on the space), as a real growth sees them.
                const std::uint64_t k = ((c + i) * 2654435761ULL) % w.key_space;
                if (i % sample_every == 0) {
                    const std::uint64_t t0 = now_ns();
                    inserted += map.insert(keys<Key>::owned(*s.table, k), k);
                    latency.record(now_ns() - t0);
                } else {
                    inserted += map.insert(keys<Key>::owned(*s.table, k), k);
                }
            }
        }
        s.succeeded.fetch_add(inserted, std::memory_order_relaxed);
        s.end->arrive_and_wait();
        ended = now_ns();
    }
    if (state.thread_index() == 0) {
        report_run(state, w.key_space, ended);
        // Every insert succeeded (the map was new and empty) and every key
        // is there, or the run measured something else.
        Map& map = *static_cast<Map*>(shared_run().map);
        if (shared_run().succeeded.load(std::memory_order_relaxed) != w.key_space) {
            state.SkipWithError("growth run: not every insert succeeded (the map was not empty)");
        } else if (map.size() != w.key_space) {
            state.SkipWithError("growth run lost keys");
        }
    }
}

// W5: the first half of the threads (at least one) erase every prefilled
// key; the others find keys until the erasers are done (or each has made
// `prefill` finds: glibc's shared_mutex prefers readers, and two readers
// that never pause starve its erasers). Throughput counts erases only; the
// finds are reported beside it.
template <class Map, class Key>
void drain_body(benchmark::State& state, const workload& w) {
    [[maybe_unused]] typename Map::thread_scope scope;
    const int erasers = (state.threads() + 1) / 2;
    const bool eraser = state.thread_index() < erasers;
    if (state.thread_index() == 0) {
        prepare_run<Map, Key>(state, w, false);
        shared_run().erasers_running.store(erasers, std::memory_order_relaxed);
    }
    std::size_t erased = 0, finds = 0;
    std::uint64_t ended = 0;
    for (auto _ : state) {
        run_state& s = shared_run();
        s.started[state.thread_index()] = now_ns();
        Map& map = *static_cast<Map*>(s.map);
        latency_histogram& latency = s.latency[state.thread_index()];
        if (eraser) {
            for (;;) {
                const std::size_t c = s.next_chunk.fetch_add(chunk, std::memory_order_relaxed);
                if (c >= w.prefill) break;
                const std::size_t n = std::min(chunk, w.prefill - c);
                for (std::size_t i = 0; i < n; ++i) {
                    const std::uint64_t k = 2 * (((c + i) * 2654435761ULL) % w.prefill);
                    if (i % sample_every == 0) {
                        const std::uint64_t t0 = now_ns();
                        erased += map.erase(keys<Key>::owned(*s.table, k));
                        latency.record(now_ns() - t0);
                    } else {
                        erased += map.erase(keys<Key>::owned(*s.table, k));
                    }
                }
            }
            s.succeeded.fetch_add(erased, std::memory_order_relaxed);
            s.erasers_running.fetch_sub(1, std::memory_order_relaxed);
        } else {
            std::uint64_t k = static_cast<std::uint64_t>(state.thread_index());
            std::uint64_t value = 0;
            // Bounded, so a reader-preferring lock cannot starve the
            // erasers for ever: after prefill finds a reader stops.
            while (s.erasers_running.load(std::memory_order_relaxed) > 0 && finds < w.prefill) {
                k = (k + 2654435761ULL) % w.prefill;
                map.find(keys<Key>::template lookup<Map>(*s.table, 2 * k), value);
                ++finds;
            }
            benchmark::DoNotOptimize(value);
        }
        s.end->arrive_and_wait();
        ended = now_ns();
    }
    state.counters["erased"] = static_cast<double>(erased);
    state.counters["finds"] = static_cast<double>(finds);
    if (state.thread_index() == 0) {
        report_run(state, w.prefill, ended);
        Map& map = *static_cast<Map*>(shared_run().map);
        if (shared_run().succeeded.load(std::memory_order_relaxed) != w.prefill) {
            state.SkipWithError("shrink run: not every erase succeeded (the map was not freshly prefilled)");
        } else if (map.size() != 0) {
            state.SkipWithError("shrink run left keys behind");
        }
    }
}

}  // namespace sink_bench
