// Micro-benchmarks of the map's list walk: one cursor step by itself, and a
// whole load() of a present or an absent key, with how many hazard-pointer
// publishes (each one a seq_cst reader fence) a load makes.
//
// Publishes per load are DERIVED, not counted: a publish is an inline atomic
// store plus fence inside the header (hazard_pointer::reset_protection) with
// no hook, so it cannot be counted without changing the library. The map is
// built with a fixed seed, so the benchmark knows each key's order, and a
// quiescent map's list is then known exactly: a load publishes the
// section's head (protect_head; not in the first section, whose head is
// the start sentinel, never retired), the head's successor, and then
// once per step over every node of the key's section that sorts
// before it. See map_core::lookup/walk_live (a quiescent map's lookups
// never fall back on the general walk). Checked with callgrind (before
// the first section's head went unpublished): over M loads of this
// fixture the fence instruction ran exactly M * publishes times
// (N = 1,000 and 1,000,000). Besides the publishes, every load takes and
// gives back 2 hazard slots (map_lookup_cursor), which costs no fence.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "sink/concurrent_map.hpp"
#include "sink/detail/hash_mix.hpp"
#include "sink/detail/map_cursor.hpp"
#include "sink/detail/map_node.hpp"
#include "sink/hazard_pointer.hpp"

namespace {

using map_type = sink::concurrent_map<std::uint64_t, std::uint64_t>;
// The node types of concurrent_map<uint64_t, uint64_t>.
using types = sink::detail::map_types<std::uint64_t, std::uint64_t,
                                      std::allocator<std::pair<const std::uint64_t, std::uint64_t>>>;
using node = types::node;
using cursor = sink::detail::map_cursor<types>;

// Fixed, so that the benchmark can compute every key's order (map_core::order_of).
constexpr std::uint64_t map_seed = 0x243f6a8885a308d3ULL;

// ---- a filled map, built once per size ---------------------------------------------

struct filled_map {
    map_type map{sink::concurrent_map_options{.seed = map_seed}};
    std::vector<std::uint64_t> present;  // keys in the map, in a random lookup order
    std::vector<std::uint64_t> absent;   // keys never inserted, in a random lookup order
    unsigned width = 0;                  // table width after the fill
    double present_steps = -1;           // mean cursor advances per load; -1: layout not as assumed
    double absent_steps = -1;
    double present_publishes = -1;       // mean publishes per load (= seq_cst fences)
    double absent_publishes = -1;
};

std::uint64_t order_of(const map_type& m, std::uint64_t key) {
    return sink::detail::entry_order(
        sink::detail::seeded_mix(static_cast<std::uint64_t>(m.hash_function()(key)), map_seed));
}

// Mean number of advances a load of each key makes: the nodes of its section
// (top `width` bits of the order) that sort before it; and mean publishes:
// those steps, the head's successor, and the head unless the section is
// the first. `sorted` holds the orders of the keys in the map.
std::pair<double, double> mean_steps_and_publishes(const filled_map& f, const std::vector<std::uint64_t>& sorted,
                                                   const std::vector<std::uint64_t>& keys) {
    double steps = 0;
    double publishes = 0;
    for (std::uint64_t key : keys) {
        const std::uint64_t order = order_of(f.map, key);
        const std::uint64_t section_start = f.width == 0 ? 0 : (order >> (64 - f.width)) << (64 - f.width);
        const auto from = std::lower_bound(sorted.begin(), sorted.end(), section_start);
        const auto to = std::lower_bound(sorted.begin(), sorted.end(), order);
        steps += static_cast<double>(to - from);
        publishes += static_cast<double>(to - from) + (section_start == 0 ? 1.0 : 2.0);
    }
    const auto n = static_cast<double>(keys.size());
    return {steps / n, publishes / n};
}

filled_map& filled(std::size_t n) {
    // Built on first use and kept: filling 1,000,000 keys takes a while, and
    // Google Benchmark calls a benchmark function several times.
    static std::map<std::size_t, std::unique_ptr<filled_map>> cache;
    std::unique_ptr<filled_map>& slot = cache[n];
    if (slot) {
        return *slot;
    }
    slot = std::make_unique<filled_map>();
    filled_map& f = *slot;
    std::mt19937_64 rng(n);
    for (std::uint64_t k = 0; k < n; ++k) {
        f.map.store(k, k);
        f.present.push_back(k);
        f.absent.push_back(n + k);
    }
    std::shuffle(f.present.begin(), f.present.end(), rng);
    std::shuffle(f.absent.begin(), f.absent.end(), rng);
    // Warm-up: the first load in a section links its head into the list;
    // after this every section looked up below has its head linked. Loads
    // never resize, so the layout stays as it is now.
    for (std::uint64_t k : f.present) {
        benchmark::DoNotOptimize(f.map.load(k));
    }
    for (std::uint64_t k : f.absent) {
        benchmark::DoNotOptimize(f.map.load(k));
    }
    const sink::concurrent_map_stats s = f.map.stats();
    const sink::concurrent_map_check check = f.map.verify();
    f.width = s.table_width;
    std::vector<std::uint64_t> sorted;
    sorted.reserve(n);
    for (std::uint64_t k = 0; k < n; ++k) {
        sorted.push_back(order_of(f.map, k));
    }
    std::sort(sorted.begin(), sorted.end());
    // The derivation assumes: no frozen node, every head in the list usable
    // (the start sentinel is not in verify's count) and no two keys with the
    // same order.
    const bool layout_as_assumed = check && check.frozen_nodes == 0 && check.live_heads + 1 == s.heads &&
                                   std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    if (layout_as_assumed) {
        std::tie(f.present_steps, f.present_publishes) = mean_steps_and_publishes(f, sorted, f.present);
        std::tie(f.absent_steps, f.absent_publishes) = mean_steps_and_publishes(f, sorted, f.absent);
    }
    return f;
}

// load() of keys that are present (range(1) == 1) or absent (0), in a random
// order over N keys: the full read path (2 slot acquires, head protect,
// walk, value copy). At N = 1,000 the map is cache-resident; at
// 1,000,000 each step is a likely cache miss, as in a big real map.
void BM_MapLoad(benchmark::State& state) {
    filled_map& f = filled(static_cast<std::size_t>(state.range(0)));
    const bool present = state.range(1) != 0;
    const std::vector<std::uint64_t>& keys = present ? f.present : f.absent;
    std::size_t i = 0;
    for (auto _ : state) {
        std::optional<std::uint64_t> v = f.map.load(keys[i]);
        benchmark::DoNotOptimize(v);
        if (++i == keys.size()) {
            i = 0;
        }
    }
    const double steps = present ? f.present_steps : f.absent_steps;
    state.counters["width"] = static_cast<double>(f.width);
    state.counters["keys/section"] = static_cast<double>(keys.size()) / static_cast<double>(std::size_t{1} << f.width);
    state.counters["steps"] = steps;
    state.counters["publishes"] = present ? f.present_publishes : f.absent_publishes;  // = seq_cst fences per load
}
BENCHMARK(BM_MapLoad)
    ->ArgNames({"N", "present"})
    ->Args({1000, 1})
    ->Args({1000, 0})
    ->Args({1000000, 1})
    ->Args({1000000, 0});

// ---- a private list for the cursor ------------------------------------------------

// head -> K entries -> tail, made of the map's own node type, linked in
// allocation order (neighbours adjacent in memory) or in a random order (as
// in a real map, where list order is hash order and memory order is insertion
// order). Only this thread ever sees it: nothing is retired; the destructor
// frees it.
struct private_list {
    std::vector<node*> in_list_order;  // head, K entries, tail
    sink::detail::node_pool_base* pool = types::make_pool(types::allocator_type());  // as a map's nodes

    private_list(std::size_t k, bool shuffled) {
        std::vector<node*> allocated;
        allocated.reserve(k + 2);
        for (std::size_t i = 0; i < k + 2; ++i) {
            allocated.push_back(types::make_entry(pool, 2 * i + 1, std::piecewise_construct, std::forward_as_tuple(i),
                                                  std::forward_as_tuple(i)));
        }
        in_list_order = allocated;
        if (shuffled) {
            // Keep head and tail in place; shuffle who follows whom in between.
            std::mt19937_64 rng(k);
            std::shuffle(in_list_order.begin() + 1, in_list_order.end() - 1, rng);
        }
        for (std::size_t i = 0; i + 1 < in_list_order.size(); ++i) {
            const sink::detail::link l = sink::detail::link_to<types>(in_list_order[i + 1]);
            in_list_order[i]->next.store(l, std::memory_order_relaxed);
        }
        in_list_order.back()->next.store(0, std::memory_order_relaxed);
    }
    private_list(const private_list&) = delete;
    private_list& operator=(const private_list&) = delete;
    ~private_list() {
        for (node* n : in_list_order) {
            types::destroy(n);
        }
        if (pool != nullptr) {
            pool->close();
        }
    }
    node* head() const noexcept { return in_list_order.front(); }
};

private_list& list_of(std::size_t k, bool shuffled) {
    static std::map<std::pair<std::size_t, bool>, std::unique_ptr<private_list>> cache;
    std::unique_ptr<private_list>& slot = cache[{k, shuffled}];
    if (!slot) {
        slot = std::make_unique<private_list>(k, shuffled);
    }
    return *slot;
}

void set_step_counters(benchmark::State& state, std::size_t k) {
    const auto steps = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(k);
    state.SetItemsProcessed(steps);
    // Seconds per step (shown as ns): time / steps.
    state.counters["per_step"] =
        benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// K cursor steps (examine + advance) from the head of a private list of live
// nodes: per step one acquire load of cur->next, one publish (release store +
// seq_cst fence), one validating re-load of cur->next, and the hazard-pointer
// swaps. Plus, once per K, the cursor's begin_at (one more publish). The
// cost every node on a map walk pays; compare with BM_PlainWalk.
void BM_CursorWalk(benchmark::State& state) {
    const auto k = static_cast<std::size_t>(state.range(0));
    private_list& list = list_of(k, state.range(1) != 0);
    // No segment directory: the private list holds nodes only, no section
    // head whose order a walk would look up there.
    cursor c(sink::hazard_pointer_default_domain(), nullptr);
    for (auto _ : state) {
        c.hp_anchor.reset_protection(list.head());  // the head is never retired
        if (c.begin_at(sink::detail::link_to<types>(list.head())) != sink::detail::step_result::ok) {
            state.SkipWithError("begin_at restarted on a private list");
            break;
        }
        for (std::size_t i = 0; i < k; ++i) {
            c.examine();
            if (c.advance() != sink::detail::step_result::ok) {
                state.SkipWithError("advance restarted on a private list");
                break;
            }
        }
        node* last = c.cur;
        benchmark::DoNotOptimize(last);
    }
    set_step_counters(state, k);
}
BENCHMARK(BM_CursorWalk)
    ->ArgNames({"K", "shuffled"})
    ->Args({16, 0})
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Args({1000000, 0})
    ->Args({1000000, 1});

// The same K steps with acquire loads only (no hazard pointers): the memory
// cost of the walk, which is all a walk would pay without reclamation.
void BM_PlainWalk(benchmark::State& state) {
    const auto k = static_cast<std::size_t>(state.range(0));
    private_list& list = list_of(k, state.range(1) != 0);
    for (auto _ : state) {
        node* n = list.head();
        for (std::size_t i = 0; i < k; ++i) {
            n = sink::detail::target<types>(n->next.load(std::memory_order_acquire));
        }
        benchmark::DoNotOptimize(n);
    }
    set_step_counters(state, k);
}
BENCHMARK(BM_PlainWalk)
    ->ArgNames({"K", "shuffled"})
    ->Args({16, 0})
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Args({1000000, 0})
    ->Args({1000000, 1});

// Constructing and destroying a map_cursor: 5 make_hazard_pointer + 5
// releases, the fixed price of every load() before it reads anything.
void BM_CursorConstruct(benchmark::State& state) {
    for (auto _ : state) {
        cursor c(sink::hazard_pointer_default_domain(), nullptr);
        cursor* escaped = &c;
        benchmark::DoNotOptimize(escaped);
    }
}
BENCHMARK(BM_CursorConstruct);

}  // namespace

namespace {

// How often a 1,000,000-key map resizes under steady churn (the W2 shape:
// erase_pct% erases, as many inserts, the rest finds, keys uniform over
// twice the map's size), one thread, on a freshly prefilled map. The
// counters come from the map's own stats(): grows and shrinks of the table
// and heads re-installed after them, which is where the churn workloads
// of sink-bench spend their time.
void BM_ChurnResizes(benchmark::State& state) {
    const auto erase_pct = static_cast<unsigned>(state.range(0));
    constexpr std::uint64_t entries = 1'000'000, calls = 1'000'000;
    for (auto _ : state) {
        state.PauseTiming();
        auto m = std::make_unique<map_type>();
        for (std::uint64_t i = 0; i < entries; ++i) m->load_or_store(2 * i, i);
        const sink::concurrent_map_stats before = m->stats();
        std::mt19937_64 rng(1);
        state.ResumeTiming();
        for (std::uint64_t i = 0; i < calls; ++i) {
            const std::uint64_t k = rng() % (2 * entries);
            const unsigned p = static_cast<unsigned>(rng() % 100);
            if (p < erase_pct) {
                benchmark::DoNotOptimize(m->erase(k));
            } else if (p < 2 * erase_pct) {
                benchmark::DoNotOptimize(m->load_or_store(k, k));
            } else {
                benchmark::DoNotOptimize(m->load(k));
            }
        }
        state.PauseTiming();
        const sink::concurrent_map_stats after = m->stats();
        state.counters["grows"] = static_cast<double>(after.grows - before.grows);
        state.counters["shrinks"] = static_cast<double>(after.shrinks - before.shrinks);
        state.counters["heads_installed"] = static_cast<double>(after.heads_installed - before.heads_installed);
        state.counters["calls_per_second"] =
            benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kIsIterationInvariantRate);
        m.reset();
        state.ResumeTiming();
    }
}
BENCHMARK(BM_ChurnResizes)->Arg(0)->Arg(5)->Arg(25)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
