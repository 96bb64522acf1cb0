// concurrent_map against std::unordered_map: at least a million random
// operations using every call, with knobs that make the table grow and shrink
// many times, and the structural check after each phase.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <unordered_map>

#include "map_test_support.hpp"
#include "sink/concurrent_map.hpp"

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer_domain;

template <class Hash>
void run_model(std::uint64_t seed, int phases, int ops_per_phase, int key_space, bool expect_resizes = true) {
    hazard_pointer_domain domain;
    concurrent_map_options o;
    o.domain = &domain;
    o.grow_on_insert_count = 3;
    o.shrink_on_empty_count = 1;
    o.grow_min_load_percent = 0;  // every local trigger resizes: a resize storm
    o.shrink_max_load_percent = 0;
    o.seed = seed | 1;
    concurrent_map<int, long, Hash> m(o);
    std::unordered_map<int, long> model;
    std::mt19937_64 rng(seed);
    long next_value = 1;
    std::uint64_t grows = 0;
    for (int phase = 0; phase < phases; ++phase) {
        // Alternate between filling (many stores) and draining (many erases)
        // so that the table keeps growing and shrinking.
        const bool filling = phase % 2 == 0;
        const int space = phase % 4 == 0 ? key_space : key_space / 8 + 1;
        for (int i = 0; i < ops_per_phase; ++i) {
            const int key = static_cast<int>(rng() % static_cast<std::uint64_t>(space));
            const int op = static_cast<int>(rng() % 100);
            const long value = next_value++;
            auto it = model.find(key);
            const std::optional<long> had = it == model.end() ? std::nullopt : std::optional<long>(it->second);
            if (op < (filling ? 30 : 10)) {
                m.store(key, value);
                model[key] = value;
            } else if (op < (filling ? 40 : 20)) {
                auto [v, loaded] = m.load_or_store(key, value);
                ASSERT_EQ(loaded, had.has_value());
                ASSERT_EQ(v, had.value_or(value));
                model.emplace(key, value);
            } else if (op < (filling ? 50 : 30)) {
                ASSERT_EQ(m.exchange(key, value), had);
                model[key] = value;
            } else if (op < (filling ? 55 : 35)) {
                const long expected = had && rng() % 2 ? *had : -1;
                ASSERT_EQ(m.compare_and_swap(key, expected, value), had && *had == expected);
                if (had && *had == expected) {
                    model[key] = value;
                }
            } else if (op < (filling ? 62 : 60)) {
                ASSERT_EQ(m.erase(key), had.has_value());
                model.erase(key);
            } else if (op < (filling ? 66 : 75)) {
                ASSERT_EQ(m.load_and_erase(key), had);
                model.erase(key);
            } else if (op < (filling ? 70 : 85)) {
                const long expected = had && rng() % 2 ? *had : -1;
                ASSERT_EQ(m.compare_and_erase(key, expected), had && *had == expected);
                if (had && *had == expected) {
                    model.erase(key);
                }
            } else if (op < 90) {
                ASSERT_EQ(m.load(key), had) << "key " << key << " op " << i;
            } else if (op < 95) {
                ASSERT_EQ(m.contains(key), had.has_value());
            } else if (op < 99) {
                auto h = m.find(key);
                ASSERT_EQ(static_cast<bool>(h), had.has_value());
                if (h) {
                    ASSERT_EQ(*h, *had);
                }
            } else if (rng() % 50 == 0) {
                // Rarely: a full iteration, or a clear.
                if (rng() % 4 == 0) {
                    m.clear();
                    model.clear();
                } else {
                    std::map<int, long> seen;
                    for (const auto& kv : m) {
                        ASSERT_TRUE(seen.emplace(kv.first, kv.second).second);
                    }
                    ASSERT_EQ(seen.size(), model.size());
                    for (const auto& [k, v] : seen) {
                        ASSERT_EQ(model.at(k), v);
                    }
                }
            }
        }
        ASSERT_EQ(m.size(), model.size());
        const auto check = m.verify();
        ASSERT_TRUE(check) << "phase " << phase << ": " << check.problem;
        ASSERT_EQ(check.live_entries, model.size());
        grows = m.stats().grows;
    }
    const auto s = m.stats();
    if (expect_resizes) {
        EXPECT_GT(grows, 20u);
        EXPECT_GT(s.shrinks, 20u);
    }
    std::size_t seen = 0;
    m.range([&](int k, long v) {
        EXPECT_EQ(model.at(k), v);
        ++seen;
        return true;
    });
    EXPECT_EQ(seen, model.size());
}

TEST(MapModel, MillionOperationsAgainstUnorderedMap) {
    run_model<std::hash<int>>(20261123, 20, 50000, 20000);
}

TEST(MapModel, ConstantHashAgainstUnorderedMap) {
    // One group of equal order: no insert ever steps over an earlier
    // section's entries, so the table never grows; the map stays correct.
    run_model<sink_test::constant_hash>(7, 8, 4000, 120, /*expect_resizes=*/false);
}

TEST(MapModel, BottomBitsHashAgainstUnorderedMap) {
    run_model<sink_test::bottom_bits_hash>(11, 10, 20000, 3000);
}

}  // namespace
