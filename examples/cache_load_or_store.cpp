// A memoising cache shared by several threads: the first thread to need a
// key computes its value, and every other thread uses that same value.
//
// The cache is lock-free, so two threads that miss the same key at the same
// time both compute it; load_or_store then decides which result is kept, and
// the loser throws its own away and uses the winner's. That is the price of
// never blocking: a few wasted computations, which this program counts. When
// the computation is very expensive, or must not run twice (it has side
// effects), store a handle to a once-only computation instead (for example a
// std::shared_ptr to an object that holds a std::once_flag).
//
// Checks: every thread saw the same value for each key, the map holds exactly
// one value per key, and the number of computations is the number of keys
// plus the wasted ones.
#include <sink/concurrent_map.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

constexpr int thread_count = 4;
constexpr std::uint64_t key_count = 2000;
constexpr int rounds = 3;  // each thread asks for every key this many times

std::atomic<std::uint64_t> computations{0};

// Stands in for something slow (a parse, a query, a render). The result
// depends on the thread that computed it, so that a cache that let two
// threads keep different results for one key would be caught below.
std::uint64_t expensive(std::uint64_t key, int thread) {
    computations.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 200; ++i) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
    }
    return (h & ~std::uint64_t{0xff}) | static_cast<std::uint64_t>(thread);
}

}  // namespace

int main() {
    sink::concurrent_map<std::uint64_t, std::uint64_t> cache;

    // The fast path is a plain load: most requests hit, and a hit writes
    // nothing shared. Only a miss computes and offers its result.
    auto get = [&cache](std::uint64_t key, int thread, std::uint64_t& wasted) {
        if (std::optional<std::uint64_t> hit = cache.load(key)) {
            return *hit;
        }
        const std::uint64_t mine = expensive(key, thread);
        auto [value, already_there] = cache.load_or_store(key, mine);
        if (already_there) {
            ++wasted;  // another thread stored first; its value wins
        }
        return value;
    };

    // seen[t][k]: what thread t got for key k. Each thread writes only its own
    // row, and the rows are read after join, so no synchronisation is needed.
    std::vector<std::vector<std::uint64_t>> seen(thread_count, std::vector<std::uint64_t>(key_count));
    std::vector<std::uint64_t> wasted(thread_count, 0);
    bool consistent_within_thread = true;
    std::vector<char> thread_ok(thread_count, 1);

    std::vector<std::thread> pool;
    for (int t = 0; t < thread_count; ++t) {
        pool.emplace_back([&, t] {
            for (int r = 0; r < rounds; ++r) {
                // All threads walk the keys in the same order, so they reach
                // each key at about the same time: the worst case for races.
                for (std::uint64_t k = 0; k < key_count; ++k) {
                    const std::uint64_t v = get(k, t, wasted[t]);
                    if (r > 0 && v != seen[t][k]) {
                        thread_ok[t] = 0;  // a cached value must never change
                    }
                    seen[t][k] = v;
                }
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    for (char ok : thread_ok) {
        consistent_within_thread = consistent_within_thread && ok;
    }

    bool agree = true;
    for (std::uint64_t k = 0; k < key_count; ++k) {
        const std::optional<std::uint64_t> in_map = cache.load(k);
        for (int t = 0; t < thread_count; ++t) {
            agree = agree && in_map && seen[t][k] == *in_map;
        }
    }
    std::uint64_t total_wasted = 0;
    for (std::uint64_t w : wasted) {
        total_wasted += w;
    }

    const std::uint64_t computed = computations.load();
    std::printf("%llu keys, %d threads x %d rounds: %llu computations, %llu wasted (lost a load_or_store race)\n",
                static_cast<unsigned long long>(key_count), thread_count, rounds,
                static_cast<unsigned long long>(computed), static_cast<unsigned long long>(total_wasted));
    std::printf("every thread saw the same value for every key: %s; size %zu\n", agree ? "yes" : "NO", cache.size());

    const bool ok = agree && consistent_within_thread && cache.size() == key_count &&
                    computed == key_count + total_wasted;
    return ok ? 0 : 1;
}
