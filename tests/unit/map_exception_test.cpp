// concurrent_map when user code throws: the hash, the equality, a value's
// copy, or the allocator on its Nth allocation. The operation must throw,
// leave the map as it was, and leak nothing (the counted type and, in the
// ASan build, LeakSanitizer check the last part).
#include <gtest/gtest.h>

#include <map>
#include <new>
#include <optional>
#include <stdexcept>

#include "map_test_support.hpp"
#include "sink/concurrent_map.hpp"

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer_domain;
using sink_test::counted;

template <class Map>
std::map<int, int> contents(const Map& m) {
    std::map<int, int> out;
    m.range([&](int k, int v) {
        out.emplace(k, v);
        return true;
    });
    return out;
}

TEST(MapExceptions, ThrowingHashLeavesTheMapUnchanged) {
    hazard_pointer_domain domain;
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<int, int, sink_test::throwing_hash> m(o);
    for (int i = 0; i < 50; ++i) {
        m.store(i, i);
    }
    const auto before = contents(m);
    sink_test::throwing_hash::armed = true;
    EXPECT_THROW(m.store(1, 100), std::runtime_error);
    EXPECT_THROW(m.store(100, 100), std::runtime_error);
    EXPECT_THROW(m.erase(1), std::runtime_error);
    EXPECT_THROW(m.load(1), std::runtime_error);
    EXPECT_THROW(m.exchange(1, 5), std::runtime_error);
    sink_test::throwing_hash::armed = false;
    EXPECT_EQ(contents(m), before);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST(MapExceptions, ThrowingEqualityLeavesTheMapUnchanged) {
    hazard_pointer_domain domain;
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<int, int, std::hash<int>, sink_test::throwing_equal> m(o);
    for (int i = 0; i < 50; ++i) {
        m.store(i, i);
    }
    const auto before = contents(m);
    sink_test::throwing_equal::armed = true;
    // Equality runs only when a node of the same hash is met, so these keys
    // are present ones.
    EXPECT_THROW(m.store(3, 100), std::runtime_error);
    EXPECT_THROW(m.erase(4), std::runtime_error);
    EXPECT_THROW(m.compare_and_swap(5, 5, 6), std::runtime_error);
    EXPECT_THROW(m.load_or_store(6, 0), std::runtime_error);
    sink_test::throwing_equal::armed = false;
    EXPECT_EQ(contents(m), before);
    EXPECT_EQ(m.size(), 50u);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST(MapExceptions, ThrowingCopyLeavesTheMapUnchanged) {
    hazard_pointer_domain domain;
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<int, sink_test::fragile> m(o);
    for (int i = 0; i < 20; ++i) {
        m.store(i, sink_test::fragile(i));
    }
    sink_test::fragile::armed = true;
    const sink_test::fragile v(77);
    EXPECT_THROW(m.store(1, v), std::runtime_error);        // copy into the node
    EXPECT_THROW(m.store(100, v), std::runtime_error);
    EXPECT_THROW(m.exchange(2, 5), std::runtime_error);     // copy of the old value out
    EXPECT_THROW(m.load_and_erase(3), std::runtime_error);  // copy of the value out
    EXPECT_THROW(m.load(4), std::runtime_error);
    EXPECT_THROW(m.load_or_store(5, v), std::runtime_error);
    sink_test::fragile::armed = false;
    EXPECT_EQ(m.size(), 20u);
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(m.load(i)->value, i);
    }
    EXPECT_FALSE(m.contains(100));
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

namespace {
// A value without a move constructor (moves copy) whose n-th copy from
// the last reset throws.
struct countdown_copy {
    static inline int copies = 0;
    static inline int throw_at = 0;  // 1-based; 0: never
    static void reset(int at) {
        copies = 0;
        throw_at = at;
    }
    countdown_copy(int v = 0) : value(v) {}  // NOLINT: implicit on purpose
    countdown_copy(const countdown_copy& o) : value(o.value) {
        if (++copies == throw_at) {
            throw std::runtime_error("countdown copy");
        }
    }
    countdown_copy& operator=(const countdown_copy&) = default;
    int value;
};
}  // namespace

// Every copy an update makes comes before its CAS: whichever one throws, the
// map is unchanged. (A copy of the returned value after the CAS, which two
// return statements in update_impl cost with GCC and Clang, would throw for
// a value already stored.)
TEST(MapExceptions, AnUpdateWhoseCopyThrowsChangesNothing) {
    hazard_pointer_domain domain;
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<int, countdown_copy> m(o);
    m.store(1, countdown_copy(5));
    auto plus_one = [](const countdown_copy& v) { return countdown_copy(v.value + 1); };
    countdown_copy::reset(0);
    const std::optional<countdown_copy> stored = m.update(1, plus_one);
    const int per_update = countdown_copy::copies;
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->value, 6);
    EXPECT_GE(per_update, 1);
    for (int at = 1; at <= per_update; ++at) {
        countdown_copy::reset(0);
        const int before = m.load(1)->value;
        countdown_copy::reset(at);
        EXPECT_THROW(m.update(1, plus_one), std::runtime_error) << "copy " << at;
        countdown_copy::reset(0);
        EXPECT_EQ(m.load(1)->value, before) << "copy " << at << " of " << per_update << " threw after the store";
    }
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

using failing_map = concurrent_map<int, counted, std::hash<int>, std::equal_to<int>,
                                   sink_test::failing_allocator<std::pair<const int, counted>>>;

TEST(MapExceptions, AllocatorFailingOnTheNthAllocation) {
    const long live_before = counted::live();
    for (long n = 0; n < 120; ++n) {
        hazard_pointer_domain domain;
        {
            concurrent_map_options o;
            o.domain = &domain;
            o.grow_on_insert_count = 2;
            std::map<int, int> model;
            sink_test::allocation_budget::arm(n);
            try {
                failing_map m(o);
                try {
                    for (int i = 0; i < 60; ++i) {
                        m.store(i % 25, counted(i));
                        model[i % 25] = i;
                        if (i % 4 == 0) {
                            m.erase(i / 2);  // erases never allocate
                            model.erase(i / 2);
                        }
                        auto [v, loaded] = m.load_or_store(100 + i, counted(i));
                        (void)v;
                        (void)loaded;
                        model.emplace(100 + i, i);
                    }
                } catch (const std::bad_alloc&) {
                    // The operation that failed did nothing.
                }
                sink_test::allocation_budget::disarm();
                std::map<int, int> seen;
                m.range([&](int k, const counted& c) {
                    seen.emplace(k, c.value);
                    return true;
                });
                ASSERT_EQ(seen, model) << "failing allocation " << n;
                ASSERT_TRUE(m.verify()) << m.verify().problem;
            } catch (const std::bad_alloc&) {
                ASSERT_TRUE(model.empty());  // the constructor failed
            }
            sink_test::allocation_budget::disarm();
        }
        domain.drain();
        ASSERT_EQ(counted::live(), live_before) << "failing allocation " << n;
    }
}

}  // namespace
