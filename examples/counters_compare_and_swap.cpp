// Per-key counters incremented by several threads at once.
//
// A value in a sink map is immutable: load gives a copy, and there is no
// reference through which to change the stored value in place (another
// thread may be reading it at that very moment, without a lock). To change a
// value, compute the new one from a copy and install it with
// compare_and_swap, which succeeds only if the value is still the one the
// copy was taken from. If another thread got there first, read again and
// retry: the classic lock-free read-modify-write loop. update(key, f) runs
// that loop for you (f may run more than once, so it must only compute);
// the program does the same counting both ways.
//
// Checks: after all threads have finished, every counter holds exactly the
// number of increments made to it (no lost updates), and the retries that
// lost a race are counted and printed.
#include <sink/concurrent_map.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

namespace {

constexpr int thread_count = 4;
constexpr int keys = 8;  // few keys, so that threads collide often
constexpr int increments_per_thread = 20000;

using counters = sink::concurrent_map<int, std::uint64_t>;

// Adds `by` to the counter of `key`, creating it if needed. Returns how many
// attempts lost a race (for the statistics only).
std::uint64_t add(counters& map, int key, std::uint64_t by) {
    std::uint64_t lost = 0;
    for (;;) {
        std::optional<std::uint64_t> current = map.load(key);
        if (!current) {
            // load_or_store, not store: a plain store could overwrite a
            // counter that another thread created (and incremented) since
            // our load, and its increments would be lost.
            auto [value, existed] = map.load_or_store(key, by);
            if (!existed) {
                return lost;
            }
            current = value;  // someone else created it: add to theirs
        }
        if (map.compare_and_swap(key, *current, *current + by)) {
            return lost;
        }
        ++lost;
    }
}

// The same with update(): try_emplace creates the counter at 0 only if it
// is absent (never over another thread's), and update stores f of the very
// value it replaces. Nothing to count: the retries happen inside.
std::uint64_t add_with_update(counters& map, int key, std::uint64_t by) {
    map.try_emplace(key, 0);
    map.update(key, [by](std::uint64_t v) { return v + by; });
    return 0;
}

// Every thread adds to every key, with `add` as given.
template <class Add>
std::vector<std::uint64_t> count(counters& map, Add add) {
    std::vector<std::uint64_t> lost(thread_count, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < thread_count; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < increments_per_thread; ++i) {
                // Key k gets increments of k + 1, so that a counter fed
                // another key's increments would show up in the totals.
                const int key = (i + t) % keys;
                lost[t] += add(map, key, static_cast<std::uint64_t>(key + 1));
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    return lost;
}

bool check(const counters& map) {
    // Every thread visits every key equally often (increments_per_thread is a
    // multiple of keys), so each counter's total is known in advance.
    static_assert(increments_per_thread % keys == 0);
    const std::uint64_t visits_per_key = std::uint64_t{thread_count} * (increments_per_thread / keys);
    bool ok = map.size() == keys;
    for (int k = 0; k < keys; ++k) {
        const std::uint64_t expected = visits_per_key * static_cast<std::uint64_t>(k + 1);
        const std::optional<std::uint64_t> got = map.load(k);
        std::printf("counter %d: %llu (expected %llu)\n", k, static_cast<unsigned long long>(got.value_or(0)),
                    static_cast<unsigned long long>(expected));
        ok = ok && got == expected;
    }
    return ok;
}

}  // namespace

int main() {
    counters by_hand;
    const std::vector<std::uint64_t> lost = count(by_hand, add);
    std::uint64_t total_lost = 0;
    for (std::uint64_t l : lost) {
        total_lost += l;
    }
    std::printf("compare_and_swap loop: %d increments, %llu retries after a lost race\n",
                thread_count * increments_per_thread, static_cast<unsigned long long>(total_lost));
    const bool loop_ok = check(by_hand);

    counters by_update;
    count(by_update, add_with_update);
    std::printf("update: %d increments\n", thread_count * increments_per_thread);
    const bool update_ok = check(by_update);
    return loop_ok && update_ok ? 0 : 1;
}
