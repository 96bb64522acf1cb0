// Smoke test of the benchmark's map adapters: for every map of all_maps and
// both key types, the adapter's semantics on one thread, then (for concurrent
// maps) two threads doing a deterministic mix on disjoint key ranges while
// reading each other's range, and an exact check of the final contents;
// last, two threads incrementing the same few keys, none of which may lose
// an increment.
// It checks the adapters, not the maps: no timing, small sizes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "maps/all_maps.hpp"

namespace {

// A map without an atomic insert-or-replace (atomic_upsert = false) gets the
// same effect here by erase-then-insert: every key of this test is written
// by one thread only, so nothing can come between the two.
template <class Map, class Key>
void upsert(Map& map, const Key& key, std::uint64_t value) {
    if constexpr (sink_bench::atomic_upsert_of<Map>()) {
        map.upsert(key, value);
    } else {
        map.erase(key);
        map.insert(key, value);
    }
}

using namespace sink_bench;

// Keys per thread in the two-thread phase (and in the single-thread bulk
// phase): enough for every map to grow a few times.
constexpr std::uint64_t keys_per_thread = 20000;
constexpr std::size_t expected_entries = 2 * keys_per_thread;

template <class Key>
Key make_key(std::uint64_t i) {
    if constexpr (std::is_same_v<Key, std::string>)
        return "sink-bench-key-" + std::to_string(i);  // past the small-string buffer
    else
        return i * 0x9e3779b97f4a7c15ULL;  // spread, and 0 is a key too
}

template <class Key>
constexpr const char* key_name = std::is_same_v<Key, std::string> ? "string" : "uint64";

// The three values a key i may hold; none is 0, so a value that a map shows
// before it was stored (a default-constructed one) is caught.
constexpr std::uint64_t value_a(std::uint64_t i) { return 3 * i + 1; }
constexpr std::uint64_t value_b(std::uint64_t i) { return 3 * i + 2; }
constexpr std::uint64_t value_c(std::uint64_t i) { return 3 * i + 3; }

// Failures of one map and key type; one per thread, merged after join.
struct report {
    std::string_view map;
    const char* key;
    int failures = 0;

    void expect(bool ok, const char* what, std::uint64_t i) {
        if (ok) return;
        if (failures < 10)
            std::fprintf(stderr, "  %.*s [%s]: %s (key %llu)\n", static_cast<int>(map.size()), map.data(), key,
                         what, static_cast<unsigned long long>(i));
        ++failures;
    }
};

// A lookup as the driver makes it: through a string_view when the map has
// heterogeneous lookup.
template <class Map, class Key>
bool lookup(const Map& map, const Key& key, std::uint64_t& value) {
    return map.find(static_cast<lookup_key_t<Map, Key>>(key), value);
}

template <class Map, class Key>
void expect_value(report& r, const Map& map, const Key& key, std::uint64_t i, std::uint64_t expected) {
    std::uint64_t value = 0;
    const bool found = lookup(map, key, value);
    r.expect(found, "find: key missing", i);
    if (found) r.expect(value == expected, "find: wrong value", i);
}

template <class Map, class Key>
void expect_absent(report& r, const Map& map, const Key& key, std::uint64_t i) {
    std::uint64_t value = 0;
    r.expect(!lookup(map, key, value), "find: erased or never inserted key found", i);
}

// The adapter's contract, on one thread.
template <template <class> class M, class Key>
void single_thread(report& r) {
    using Map = M<Key>;
    Map map(expected_entries);
    [[maybe_unused]] typename Map::thread_scope scope;  // sink_map's is an empty aggregate

    const Key k0 = make_key<Key>(0);
    const Key k1 = make_key<Key>(1);
    expect_absent(r, map, k0, 0);
    r.expect(map.insert(k0, 10), "insert: absent key not inserted", 0);
    r.expect(!map.insert(k0, 11), "insert: present key inserted again", 0);
    expect_value(r, map, k0, 0, 10);
    upsert(map, k0, 12);  // replaces
    expect_value(r, map, k0, 0, 12);
    if constexpr (atomic_increment_of<Map>()) {
        r.expect(map.increment(k0), "increment: present key not found", 0);
        expect_value(r, map, k0, 0, 13);
        r.expect(!map.increment(k1), "increment: absent key found", 1);
        expect_absent(r, map, k1, 1);  // and not inserted
    }
    upsert(map, k1, 13);  // inserts
    expect_value(r, map, k1, 1, 13);
    r.expect(map.size() == 2, "size after two keys", 2);
    if constexpr (Map::thread_safe_erase) {
        r.expect(map.erase(k0), "erase: present key not erased", 0);
        r.expect(!map.erase(k0), "erase: absent key erased", 0);
        expect_absent(r, map, k0, 0);
        r.expect(map.size() == 1, "size after erase", 1);
        r.expect(map.insert(k0, 14), "insert after erase", 0);
        expect_value(r, map, k0, 0, 14);
        r.expect(map.erase(k1), "erase: present key not erased", 1);
        upsert(map, k1, 15);  // inserts again
        expect_value(r, map, k1, 1, 15);
        r.expect(map.size() == 2, "size after re-insert", 2);
    }

    // Bulk: enough keys for the map to grow.
    for (std::uint64_t i = 2; i < keys_per_thread; ++i)
        r.expect(map.insert(make_key<Key>(i), value_a(i)), "bulk insert", i);
    for (std::uint64_t i = 2; i < keys_per_thread; i += 2) upsert(map, make_key<Key>(i), value_b(i));
    if constexpr (Map::thread_safe_erase)
        for (std::uint64_t i = 3; i < keys_per_thread; i += 2)
            r.expect(map.erase(make_key<Key>(i)), "bulk erase", i);
    std::size_t expected_size = 2;
    for (std::uint64_t i = 2; i < keys_per_thread; ++i) {
        const Key key = make_key<Key>(i);
        if (i % 2 == 0) {
            expect_value(r, map, key, i, value_b(i));
            ++expected_size;
        } else if (Map::thread_safe_erase) {
            expect_absent(r, map, key, i);
        } else {
            expect_value(r, map, key, i, value_a(i));
            ++expected_size;
        }
    }
    r.expect(map.size() == expected_size, "size after bulk phase", expected_size);
}

// What key i holds after the two-thread phase (its thread's operations on it
// are deterministic; the other thread only reads it).
struct final_state {
    bool present;
    std::uint64_t value;
};
template <class Map>
final_state expected_final(std::uint64_t i) {
    if (Map::thread_safe_erase && i % 3 == 0) return {i % 9 == 0, value_c(i)};
    return {true, i % 2 == 0 ? value_b(i) : value_a(i)};
}

// One thread's share: keys [t * keys_per_thread, (t + 1) * keys_per_thread)
// are its own; it also reads the other thread's keys, which may be in any of
// their states but must never hold a value that was not stored.
template <class Map, class Key>
void worker(Map& map, unsigned t, std::latch& start, report& r) {
    [[maybe_unused]] typename Map::thread_scope scope;  // sink_map's is an empty aggregate
    start.arrive_and_wait();
    const std::uint64_t first = t * keys_per_thread;
    const std::uint64_t other = (1 - t) * keys_per_thread;
    for (std::uint64_t n = 0; n < keys_per_thread; ++n) {
        const std::uint64_t i = first + n;
        const Key key = make_key<Key>(i);
        r.expect(map.insert(key, value_a(i)), "insert: absent key not inserted", i);
        r.expect(!map.insert(key, value_c(i)), "insert: present key inserted again", i);
        if (i % 2 == 0) upsert(map, key, value_b(i));
        expect_value(r, map, key, i, i % 2 == 0 ? value_b(i) : value_a(i));
        if constexpr (Map::thread_safe_erase) {
            if (i % 3 == 0) {
                r.expect(map.erase(key), "erase: present key not erased", i);
                r.expect(!map.erase(key), "erase: absent key erased", i);
                expect_absent(r, map, key, i);
                if (i % 9 == 0) upsert(map, key, value_c(i));  // upsert inserts
            }
        }

        const std::uint64_t j = other + n;
        std::uint64_t value = 0;
        if (lookup(map, make_key<Key>(j), value))
            r.expect(value == value_a(j) || value == value_b(j) || value == value_c(j),
                     "find: other thread's key holds a value never stored", j);
    }
}

template <template <class> class M, class Key>
void two_threads(report& r) {
    using Map = M<Key>;
    Map map(expected_entries);
    {
        std::latch start(2);
        report r0{r.map, r.key}, r1{r.map, r.key};
        std::thread t0([&] { worker<Map, Key>(map, 0, start, r0); });
        std::thread t1([&] { worker<Map, Key>(map, 1, start, r1); });
        t0.join();
        t1.join();
        r.failures += r0.failures + r1.failures;
    }

    [[maybe_unused]] typename Map::thread_scope scope;  // sink_map's is an empty aggregate
    std::size_t expected_size = 0;
    for (std::uint64_t i = 0; i < 2 * keys_per_thread; ++i) {
        const Key key = make_key<Key>(i);
        const final_state s = expected_final<Map>(i);
        if (s.present) {
            expect_value(r, map, key, i, s.value);
            ++expected_size;
        } else {
            expect_absent(r, map, key, i);
        }
    }
    r.expect(map.size() == expected_size, "size after the two-thread phase", expected_size);
}

// Two threads increment the same few keys, so they meet on each key all
// the time: an increment that is not atomic loses some of the other's.
template <template <class> class M, class Key>
void contended_increments(report& r) {
    using Map = M<Key>;
    constexpr std::uint64_t counters = 4;
    constexpr std::uint64_t per_thread = 20000;  // a multiple of counters
    Map map(expected_entries);
    [[maybe_unused]] typename Map::thread_scope scope;  // sink_map's is an empty aggregate
    std::vector<Key> keys;
    for (std::uint64_t i = 0; i < counters; ++i) {
        keys.push_back(make_key<Key>(i));
        r.expect(map.insert(keys.back(), value_a(i)), "insert: absent key not inserted", i);
    }
    {
        std::latch start(2);
        report r0{r.map, r.key}, r1{r.map, r.key};
        auto work = [&](report& mine) {
            [[maybe_unused]] typename Map::thread_scope own_scope;
            start.arrive_and_wait();
            for (std::uint64_t n = 0; n < per_thread; ++n)
                mine.expect(map.increment(keys[n % counters]), "increment: present key not found", n % counters);
        };
        std::thread t0([&] { work(r0); });
        std::thread t1([&] { work(r1); });
        t0.join();
        t1.join();
        r.failures += r0.failures + r1.failures;
    }
    for (std::uint64_t i = 0; i < counters; ++i)
        expect_value(r, map, keys[i], i, value_a(i) + 2 * per_thread / counters);
}

template <template <class> class M, class Key>
int check(std::string_view name) {
    report r{name, key_name<Key>};
    single_thread<M, Key>(r);
    if constexpr (M<Key>::concurrent) two_threads<M, Key>(r);
    if constexpr (M<Key>::concurrent && atomic_increment_of<M<Key>>()) contended_increments<M, Key>(r);
    return r.failures;
}

template <template <class> class M>
int check_map() {
    using U = M<std::uint64_t>;
    const std::string_view name = U::name;
    const int uint64_failures = check<M, std::uint64_t>(name);
    int string_failures = 0;
    if constexpr (string_keys_supported<M>) string_failures = check<M, std::string>(name);

    const auto verdict = [](int failures) { return failures == 0 ? "ok" : "FAILED"; };
    std::printf("%-40.*s uint64 %-6s string %-6s [%s%s%s%s]\n", static_cast<int>(name.size()), name.data(),
                verdict(uint64_failures), string_keys_supported<M> ? verdict(string_failures) : "n/a",
                U::concurrent ? "1 + 2 threads" : "1 thread only", U::thread_safe_erase ? ", erase" : ", no erase",
                atomic_increment_of<U>() ? ", increment" : ", no increment",
                U::heterogeneous ? ", string_view lookup" : "");
    return uint64_failures + string_failures;
}

template <template <class> class... Maps>
int check_all(map_list<Maps...>) {
    return (check_map<Maps>() + ...);
}

}  // namespace

int main() {
    int failures = 0;
    {
        // libcds set-up; every map is made and destroyed inside its scope.
        sink_bench::process_scope process;
        failures = check_all(sink_bench::all_maps{});
    }
    if (failures != 0) {
        std::printf("%d mismatches\n", failures);
        return 1;
    }
    return 0;
}
