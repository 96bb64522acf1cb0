// concurrent_map under several threads: disjoint keys, a few shared keys,
// read-modify-write counters, iteration and clear beside writers, and more
// threads than cores. Each test checks final states, what the threads saw,
// and that every counted value was destroyed exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "map_test_support.hpp"
#include "sink/concurrent_map.hpp"

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer_domain;
using sink::reclamation_policy;
using sink_test::counted;

unsigned cores() { return std::max(2u, std::thread::hardware_concurrency()); }

template <class F>
void run_threads(unsigned n, F&& body) {
    std::barrier start(static_cast<std::ptrdiff_t>(n));
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < n; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            body(t);
        });
    }
    for (auto& th : threads) {
        th.join();
    }
}

concurrent_map_options small_sections(hazard_pointer_domain& d) {
    concurrent_map_options o;
    o.domain = &d;
    o.grow_on_insert_count = 3;  // resizes race with everything
    o.shrink_on_empty_count = 1;
    o.grow_min_load_percent = 0;  // no load conditions: every trigger resizes
    o.shrink_max_load_percent = 0;
    return o;
}

TEST(MapConcurrent, DisjointKeysEndInTheirOwnFinalState) {
    const long live_before = counted::live();
    hazard_pointer_domain domain;
    {
        concurrent_map<int, counted> m(small_sections(domain));
        constexpr int per_thread = 3000;
        const unsigned n = 4;
        run_threads(n, [&](unsigned t) {
            const int base = static_cast<int>(t) * per_thread;
            for (int round = 0; round < 3; ++round) {
                for (int i = 0; i < per_thread; ++i) {
                    m.store(base + i, counted(round));
                }
                for (int i = 0; i < per_thread; ++i) {
                    ASSERT_EQ(m.load(base + i)->value, round);
                    if (i % 2 == round % 2) {
                        ASSERT_TRUE(m.erase(base + i));
                    }
                }
            }
        });
        // Round 2 left the even keys of each range... erased odd ones: check.
        for (unsigned t = 0; t < n; ++t) {
            for (int i = 0; i < per_thread; ++i) {
                const auto v = m.load(static_cast<int>(t) * per_thread + i);
                ASSERT_EQ(v.has_value(), i % 2 != 0) << i;
            }
        }
        EXPECT_EQ(m.size(), n * per_thread / 2);
        EXPECT_TRUE(m.verify()) << m.verify().problem;
    }
    domain.drain();
    EXPECT_EQ(counted::live(), live_before);
}

TEST(MapConcurrent, FewSharedKeysOnlyEverShowWrittenValues) {
    const long live_before = counted::live();
    hazard_pointer_domain domain(reclamation_policy::eager);
    {
        concurrent_map<int, counted> m(small_sections(domain));
        constexpr int keys = 4;
        constexpr int ops = 20000;
        const unsigned n = 4;
        run_threads(n, [&](unsigned t) {
            std::mt19937 rng(t);
            for (int i = 0; i < ops; ++i) {
                const int key = static_cast<int>(rng() % keys);
                const int value = static_cast<int>(t) * 1000000 + i;  // unique per write
                switch (rng() % 6) {
                    case 0: m.store(key, counted(value)); break;
                    case 1: m.erase(key); break;
                    case 2: {
                        auto old = m.exchange(key, counted(value));
                        if (old) {
                            ASSERT_GE(old->value, 0);
                        }
                        break;
                    }
                    case 3: {
                        auto seen = m.load(key);
                        if (seen) {
                            ASSERT_LT(seen->value % 1000000, ops);
                            ASSERT_LT(seen->value / 1000000, static_cast<int>(n));
                        }
                        break;
                    }
                    case 4: {
                        auto h = m.find(key);
                        if (h) {
                            const int v = h->value;
                            ASSERT_EQ(h->value, v);  // stable while held
                        }
                        break;
                    }
                    default: {
                        auto seen = m.load(key);
                        if (seen) {
                            m.compare_and_swap(key, *seen, counted(value));
                        } else {
                            m.load_or_store(key, counted(value));
                        }
                    }
                }
            }
        });
        EXPECT_LE(m.size(), static_cast<std::size_t>(keys));
        EXPECT_TRUE(m.verify()) << m.verify().problem;
    }
    domain.drain();
    EXPECT_EQ(counted::live(), live_before);
}

TEST(MapConcurrent, CompareAndSwapCountersLoseNoIncrement) {
    hazard_pointer_domain domain;
    concurrent_map<int, long> m(small_sections(domain));
    constexpr int keys = 8;
    constexpr int increments = 3000;
    const unsigned n = 4;
    run_threads(n, [&](unsigned t) {
        for (int i = 0; i < increments; ++i) {
            const int key = (i + static_cast<int>(t)) % keys;
            for (;;) {
                auto [current, loaded] = m.load_or_store(key, 1);
                if (!loaded) {
                    break;
                }
                if (m.compare_and_swap(key, current, current + 1)) {
                    break;
                }
            }
        }
    });
    long total = 0;
    m.range([&](int, long v) {
        total += v;
        return true;
    });
    EXPECT_EQ(total, static_cast<long>(n) * increments);
}

// Every update returns the value it stored: per key, the values returned
// are 1, 2, ..., n, each once (a lost update would store one twice).
template <class V>
void update_counters_lose_no_increment() {
    hazard_pointer_domain domain;
    concurrent_map<int, V> m(small_sections(domain));
    constexpr int keys = 2;
    constexpr int increments = 5000;
    const unsigned n = 4;
    for (int k = 0; k < keys; ++k) {
        m.store(k, 0);
    }
    std::vector<std::vector<std::vector<long>>> returned(n, std::vector<std::vector<long>>(keys));
    run_threads(n, [&](unsigned t) {
        for (int i = 0; i < increments; ++i) {
            const int key = (i + static_cast<int>(t)) % keys;
            const std::optional<V> stored = m.update(key, [](const V& v) { return V(static_cast<long>(v) + 1); });
            ASSERT_TRUE(stored.has_value());
            returned[t][static_cast<std::size_t>(key)].push_back(*stored);
        }
    });
    for (int k = 0; k < keys; ++k) {
        std::vector<long> all;
        for (unsigned t = 0; t < n; ++t) {
            const auto& mine = returned[t][static_cast<std::size_t>(k)];
            EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));  // a thread's own updates come in order
            all.insert(all.end(), mine.begin(), mine.end());
        }
        std::sort(all.begin(), all.end());
        for (std::size_t i = 0; i < all.size(); ++i) {
            ASSERT_EQ(all[i], static_cast<long>(i) + 1) << "key " << k;
        }
        EXPECT_EQ(static_cast<long>(*m.load(k)), static_cast<long>(all.size()));
    }
}
TEST(MapConcurrent, UpdateCountersLoseNoIncrement) {
    static_assert(sink::detail::value_fits_in_place<long>);
    update_counters_lose_no_increment<long>();
}
TEST(MapConcurrent, UpdateCountersLoseNoIncrementOnVersions) {
    update_counters_lose_no_increment<sink_test::versioned<long>>();
}

TEST(MapConcurrent, LoadOrStoreHasOneWinnerPerKey) {
    hazard_pointer_domain domain;
    concurrent_map<int, int> m(small_sections(domain));
    constexpr int keys = 2000;
    const unsigned n = 4;
    std::vector<std::vector<int>> results(n, std::vector<int>(keys));
    std::vector<std::atomic<int>> winners(keys);
    run_threads(n, [&](unsigned t) {
        for (int k = 0; k < keys; ++k) {
            auto [v, loaded] = m.load_or_store(k, static_cast<int>(t));
            results[t][k] = v;
            if (!loaded) {
                winners[k].fetch_add(1);
            }
        }
    });
    for (int k = 0; k < keys; ++k) {
        ASSERT_EQ(winners[k].load(), 1) << k;
        for (unsigned t = 1; t < n; ++t) {
            ASSERT_EQ(results[t][k], results[0][k]) << k;
        }
    }
}

TEST(MapConcurrent, IterationSeesStableKeysExactlyOnceBesideWriters) {
    hazard_pointer_domain domain(reclamation_policy::eager);
    concurrent_map<int, int> m(small_sections(domain));
    constexpr int stable = 500;  // even keys: present for the whole test
    for (int i = 0; i < stable; ++i) {
        m.store(2 * i, i);
    }
    std::atomic<bool> done{false};
    const unsigned writers = 3;
    run_threads(writers + 1, [&](unsigned t) {
        if (t == writers) {
            for (int pass = 0; pass < 40; ++pass) {
                std::set<int> seen;
                if (pass % 2 == 0) {
                    for (const auto& kv : m) {
                        ASSERT_TRUE(seen.insert(kv.first).second) << "twice: " << kv.first;
                    }
                } else {
                    m.range([&](int k, int) {
                        EXPECT_TRUE(seen.insert(k).second) << "twice: " << k;
                        return true;
                    });
                }
                for (int i = 0; i < stable; ++i) {
                    ASSERT_TRUE(seen.count(2 * i)) << "missed stable key " << 2 * i;
                }
            }
            done = true;
            return;
        }
        std::mt19937 rng(t);
        while (!done.load()) {
            const int key = 2 * static_cast<int>(rng() % 3000) + 1;  // odd keys churn
            if (rng() % 2) {
                m.store(key, key);
            } else {
                m.erase(key);
            }
        }
    });
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST(MapConcurrent, ClearBesideWritersKeepsTheStructureSound) {
    const long live_before = counted::live();
    hazard_pointer_domain domain(reclamation_policy::eager);
    {
        concurrent_map<int, counted> m(small_sections(domain));
        std::atomic<bool> done{false};
        run_threads(4, [&](unsigned t) {
            if (t == 0) {
                for (int i = 0; i < 30; ++i) {
                    m.clear();
                }
                done = true;
                return;
            }
            std::mt19937 rng(t);
            while (!done.load()) {
                const int key = static_cast<int>(rng() % 2000);
                m.store(key, counted(key));
                auto v = m.load(static_cast<int>(rng() % 2000));
                if (v) {
                    ASSERT_GE(v->value, 0);
                }
            }
        });
        EXPECT_TRUE(m.verify()) << m.verify().problem;
        m.clear();
        EXPECT_TRUE(m.empty());
    }
    domain.drain();
    EXPECT_EQ(counted::live(), live_before);
}

TEST(MapConcurrent, OversubscribedMixedOperations) {
    const long live_before = counted::live();
    hazard_pointer_domain domain;
    {
        concurrent_map<int, counted> m(small_sections(domain));
        const unsigned n = 4 * cores();
        std::vector<std::map<int, int>> last_write(n);
        run_threads(n, [&](unsigned t) {
            std::mt19937 rng(t + 100);
            // Each thread owns keys t, t + n, t + 2n, ...: its own view is exact.
            for (int i = 0; i < 4000; ++i) {
                const int key = static_cast<int>(t + n * (rng() % 200));
                switch (rng() % 4) {
                    case 0:
                    case 1:
                        m.store(key, counted(i));
                        last_write[t][key] = i;
                        break;
                    case 2:
                        ASSERT_EQ(m.erase(key), last_write[t].erase(key) == 1);
                        break;
                    default: {
                        auto v = m.load(key);
                        auto it = last_write[t].find(key);
                        ASSERT_EQ(v.has_value(), it != last_write[t].end());
                        if (v) {
                            ASSERT_EQ(v->value, it->second);
                        }
                    }
                }
            }
        });
        std::size_t expected = 0;
        for (const auto& w : last_write) {
            expected += w.size();
        }
        EXPECT_EQ(m.size(), expected);
        EXPECT_TRUE(m.verify()) << m.verify().problem;
    }
    domain.drain();
    EXPECT_EQ(counted::live(), live_before);
}

// Values in place: increments of one hot key from two threads by update(),
// compare_and_swap loops and exchange-free stores are never lost, while a
// third thread erases and re-inserts a second key of the same section (its
// freezes and links CAS the cells around the hot entry double-width too).
TEST(MapConcurrent, InPlaceIncrementsOfAHotKeyAreNeverLost) {
    static_assert(sink::detail::value_fits_in_place<std::uint64_t>);
    constexpr std::uint64_t rounds = 20000;
    hazard_pointer_domain domain(reclamation_policy::eager);
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<std::uint64_t, std::uint64_t> m(o);
    m.store(1, 0);
    std::atomic<bool> done{false};
    std::thread churn([&] {
        while (!done.load()) {
            m.store(2, 5);
            m.erase(2);
        }
    });
    std::thread by_update([&] {
        for (std::uint64_t i = 0; i < rounds; ++i) {
            ASSERT_TRUE(m.update(1, [](std::uint64_t v) { return v + 1; }).has_value());
        }
    });
    for (std::uint64_t i = 0; i < rounds; ++i) {
        std::uint64_t seen = *m.load(1);
        while (!m.compare_and_swap(1, seen, seen + 1)) {
            seen = *m.load(1);
        }
    }
    by_update.join();
    done.store(true);
    churn.join();
    EXPECT_EQ(m.load(1), std::optional<std::uint64_t>(2 * rounds));
    EXPECT_TRUE(m.verify());
}

// Pointers kept in place: what a writer wrote before storing the pointer
// is visible to a reader that loads it (the double-width CAS releases, the
// load of the word acquires). ThreadSanitizer reports the payload's read
// as a race if it does not see that order.
TEST(MapConcurrent, APointerStoredInPlacePublishesWhatItPointsAt) {
    struct payload {
        int value = 0;
    };
    static_assert(sink::detail::value_fits_in_place<payload*>);
    constexpr int rounds = 50000;
    hazard_pointer_domain domain;
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<int, payload*> m(o);
    std::vector<payload> payloads(rounds);
    m.store(0, nullptr);
    std::thread writer([&] {
        for (int i = 0; i < rounds; ++i) {
            payloads[static_cast<std::size_t>(i)].value = i + 1;  // plain write, published by the store
            m.store(0, &payloads[static_cast<std::size_t>(i)]);
        }
    });
    long seen = 0;
    while (seen < rounds) {
        const payload* p = *m.load(0);
        if (p != nullptr) {
            ASSERT_GE(p->value, 1);
            seen = p->value;
        }
    }
    writer.join();
}

}  // namespace
