// concurrent_map's drop-in names (insert, emplace, try_emplace,
// insert_or_assign, count, erase_if, visit, visit_all, handle::value):
// their return values, what they leave untouched when the key is present,
// their exception safety, and whole-map erase_if beside a writer.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "map_test_support.hpp"
#include "sink/concurrent_map.hpp"

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer_domain;
using sink::reclamation_policy;
using sink_test::counted;

class MapDropIn : public ::testing::Test {
protected:
    concurrent_map_options tiny() { return sink_test::resizing_options(domain); }
    void TearDown() override {
        domain.drain();
        EXPECT_EQ(domain.stats().backlog, 0u);
    }
    hazard_pointer_domain domain{reclamation_policy::eager};
};

template <class Map>
std::map<typename Map::key_type, typename Map::mapped_type> contents(const Map& m) {
    std::map<typename Map::key_type, typename Map::mapped_type> out;
    m.range([&](const auto& k, const auto& v) {
        out.emplace(k, v);
        return true;
    });
    return out;
}

// Counts the values built from arguments (not copies or moves).
struct probe {
    static inline std::atomic<int> built{0};
    explicit probe(int a, int b) : value(a * 100 + b) { built.fetch_add(1); }
    int value;
};

// A value whose constructor from (value, explode) throws when asked to.
struct bomb {
    bomb(int v, bool explode) : value(v) {
        if (explode) {
            throw std::runtime_error("bomb");
        }
    }
    int value;
};

TEST_F(MapDropIn, InsertReturnsWhetherItInsertedAndLeavesAPresentValue) {
    concurrent_map<int, std::string> m(tiny());
    const std::pair<const int, std::string> one{1, "one"};
    EXPECT_TRUE(m.insert(one));
    EXPECT_FALSE(m.insert(std::pair<const int, std::string>{1, "uno"}));
    EXPECT_EQ(m.load(1), "one");

    std::pair<const int, std::string> two{2, "two"};
    EXPECT_TRUE(m.insert(std::move(two)));
    std::pair<const int, std::string> again{2, "deux"};
    EXPECT_FALSE(m.insert(std::move(again)));
    EXPECT_EQ(again.second, "deux");  // not moved from: the key was present
    EXPECT_EQ(m.load(2), "two");

    EXPECT_TRUE(m.insert({3, "three"}));             // braces pick value_type
    EXPECT_TRUE(m.insert(std::make_pair(4, "four")));  // pair<int, const char*>: the P&& form
    EXPECT_FALSE(m.insert(std::make_pair(4, "vier")));
    EXPECT_EQ(m.load(4), "four");
    EXPECT_EQ(m.size(), 4u);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST_F(MapDropIn, InsertOfAMoveOnlyValueLeavesItWhenPresent) {
    concurrent_map<int, sink_test::move_only> m(tiny());
    EXPECT_TRUE(m.insert(std::pair<const int, sink_test::move_only>(1, sink_test::move_only(10))));
    std::pair<const int, sink_test::move_only> dup(1, sink_test::move_only(11));
    EXPECT_FALSE(m.insert(std::move(dup)));
    ASSERT_NE(dup.second.value, nullptr);
    EXPECT_EQ(*dup.second.value, 11);
    EXPECT_TRUE(m.visit(1, [](const auto& kv) { EXPECT_EQ(*kv.second.value, 10); }));
}

TEST_F(MapDropIn, EmplaceReturnsWhetherItInserted) {
    concurrent_map<int, std::string> m(tiny());
    EXPECT_TRUE(m.emplace(1, "a"));
    EXPECT_FALSE(m.emplace(1, "b"));
    EXPECT_EQ(m.load(1), "a");
    EXPECT_TRUE(m.emplace(std::piecewise_construct, std::forward_as_tuple(2), std::forward_as_tuple(3, 'x')));
    EXPECT_EQ(m.load(2), "xxx");
    EXPECT_TRUE(m.emplace(std::pair<int, std::string>(5, "e")));
    EXPECT_EQ(m.size(), 3u);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST_F(MapDropIn, TryEmplaceBuildsAndMovesNothingWhenPresent) {
    concurrent_map<std::string, std::unique_ptr<int>> m(tiny());
    auto first = std::make_unique<int>(1);
    EXPECT_TRUE(m.try_emplace("k", std::move(first)));
    EXPECT_EQ(first, nullptr);  // taken: the key was absent

    auto second = std::make_unique<int>(2);
    std::string key = "k";
    EXPECT_FALSE(m.try_emplace(std::move(key), std::move(second)));
    ASSERT_NE(second, nullptr);  // present: neither argument moved from
    EXPECT_EQ(*second, 2);
    EXPECT_EQ(key, "k");
    const std::string ckey = "k";
    EXPECT_FALSE(m.try_emplace(ckey, std::move(second)));
    EXPECT_NE(second, nullptr);
    EXPECT_TRUE(m.visit("k", [](const auto& kv) { EXPECT_EQ(*kv.second, 1); }));
}

TEST_F(MapDropIn, TryEmplaceConstructsTheValueOnlyWhenAbsent) {
    concurrent_map<int, probe> m(tiny());
    const int before = probe::built.load();
    EXPECT_TRUE(m.try_emplace(7, 1, 2));
    EXPECT_EQ(probe::built.load(), before + 1);
    EXPECT_FALSE(m.try_emplace(7, 3, 4));
    EXPECT_EQ(probe::built.load(), before + 1);
    EXPECT_TRUE(m.visit(7, [](const auto& kv) { EXPECT_EQ(kv.second.value, 102); }));
}

TEST_F(MapDropIn, InsertOrAssignTellsInsertFromAssign) {
    concurrent_map<std::string, int> m(tiny());
    EXPECT_TRUE(m.insert_or_assign("a", 1));
    EXPECT_FALSE(m.insert_or_assign("a", 2));
    EXPECT_EQ(m.load("a"), 2);
    std::string key = "b";
    EXPECT_TRUE(m.insert_or_assign(std::move(key), 3));
    const std::string ckey = "b";
    EXPECT_FALSE(m.insert_or_assign(ckey, 4));
    EXPECT_EQ(m.load("b"), 4);
    EXPECT_EQ(m.size(), 2u);

    auto held = m.find("a");  // an assignment makes a new node: the old one stays as it was
    EXPECT_FALSE(m.insert_or_assign("a", 5));
    ASSERT_TRUE(held);
    EXPECT_EQ(held.value(), 2);
    EXPECT_EQ(*m.find("a"), 5);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST_F(MapDropIn, CountIsZeroOrOne) {
    concurrent_map<int, int> m(tiny());
    EXPECT_EQ(m.count(1), 0u);
    m.store(1, 1);
    EXPECT_EQ(m.count(1), 1u);
    m.store(1, 2);
    EXPECT_EQ(m.count(1), 1u);
    m.erase(1);
    EXPECT_EQ(m.count(1), 0u);
}

TEST_F(MapDropIn, EraseIfByKeyFollowsThePredicate) {
    concurrent_map<int, int> m(tiny());
    int calls = 0;
    EXPECT_FALSE(m.erase_if(1, [&](const auto&) { return ++calls, true; }));
    EXPECT_EQ(calls, 0);  // absent: the predicate has nothing to look at

    m.store(1, 10);
    EXPECT_FALSE(m.erase_if(1, [&](const std::pair<const int, int>& kv) {
        ++calls;
        EXPECT_EQ(kv.first, 1);
        return kv.second == 11;
    }));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(m.load(1), 10);
    EXPECT_TRUE(m.erase_if(1, [](const auto& kv) { return kv.second == 10; }));
    EXPECT_FALSE(m.contains(1));
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST_F(MapDropIn, WholeMapEraseIfErasesWhatThePredicateSelects) {
    concurrent_map<int, int> m(tiny());
    for (int i = 0; i < 500; ++i) {
        m.store(i, i * 3);
    }
    EXPECT_EQ(m.erase_if([](const auto& kv) { return kv.second % 2 == 0; }), 250u);
    EXPECT_EQ(m.size(), 250u);
    for (int i = 0; i < 500; ++i) {
        ASSERT_EQ(m.contains(i), i % 2 == 1) << i;
    }
    EXPECT_EQ(m.erase_if([](const auto&) { return false; }), 0u);
    EXPECT_EQ(m.erase_if([](const auto&) { return true; }), 250u);
    EXPECT_TRUE(m.empty());
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

// erase_if(pred) selects the initial values (below `fresh`); a writer
// exchanges fresh values into a third of the keys meanwhile. Whatever the
// interleaving: a key the writer wrote keeps its last value (an erase may
// only remove the version pred was called on), every other key is gone,
// and the count erase_if returns is exactly the untouched keys plus the
// writer's keys it erased first, which the writer's first exchange of each
// key tells apart (nullopt: erased already). The race it needs is rare on
// two cores; the next test forces it without threads.
TEST_F(MapDropIn, WholeMapEraseIfBesideAWriterErasesOnlyTestedVersions) {
    constexpr int keys = 3000;
    constexpr int rounds = 6;
    constexpr int fresh = 1000000;
    for (int repeat = 0; repeat < 10; ++repeat) {
        concurrent_map<int, int> m(tiny());
        for (int k = 0; k < keys; ++k) {
            m.store(k, k);
        }
        std::atomic<bool> writer_started{false};
        std::size_t erased_before_writer = 0;
        std::thread writer([&] {
            writer_started.store(true);
            for (int round = 0; round < rounds; ++round) {
                for (int k = 0; k < keys; k += 3) {
                    const std::optional<int> previous = m.exchange(k, fresh + round);
                    if (round == 0 && !previous) {
                        ++erased_before_writer;
                    } else if (round == 0) {
                        ASSERT_EQ(*previous, k);
                    } else {
                        ASSERT_EQ(previous, fresh + round - 1) << "key " << k;
                    }
                }
            }
        });
        while (!writer_started.load()) {
            std::this_thread::yield();
        }
        const std::size_t erased = m.erase_if([](const auto& kv) {
            if (kv.first % 3 == 0) {
                std::this_thread::yield();  // widens the window between the test and the erase
            }
            return kv.second < fresh;
        });
        writer.join();
        EXPECT_EQ(erased, static_cast<std::size_t>(keys - keys / 3) + erased_before_writer);
        for (int k = 0; k < keys; ++k) {
            if (k % 3 == 0) {
                ASSERT_EQ(m.load(k), fresh + rounds - 1) << "key " << k << ", repeat " << repeat;
            } else {
                ASSERT_FALSE(m.contains(k)) << "key " << k << ", repeat " << repeat;
            }
        }
        ASSERT_TRUE(m.verify()) << m.verify().problem;
    }
}

// The same without threads: the predicate itself overwrites, or erases and
// re-inserts, the key it is looking at, so the version it tested is gone by
// the time erase_if acts. The newer version must survive (and the walk does
// not meet it: no key is visited twice).
TEST_F(MapDropIn, WholeMapEraseIfKeepsAKeyChangedAfterItsTest) {
    concurrent_map<int, int> m(tiny());
    for (int k = 0; k < 200; ++k) {
        m.store(k, k);
    }
    const std::size_t erased = m.erase_if([&m](const auto& kv) {
        EXPECT_LT(kv.second, 1000) << "key " << kv.first << " visited twice";
        if (kv.first % 4 == 0) {
            m.store(kv.first, kv.first + 1000);
        } else if (kv.first % 4 == 1) {
            m.erase(kv.first);
            m.store(kv.first, kv.first + 2000);
        }
        return true;
    });
    EXPECT_EQ(erased, 100u);
    for (int k = 0; k < 200; ++k) {
        if (k % 4 >= 2) {
            ASSERT_FALSE(m.contains(k)) << k;
        } else {
            ASSERT_EQ(m.load(k), k + (k % 4 == 0 ? 1000 : 2000)) << k;
        }
    }
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

TEST_F(MapDropIn, VisitCallsOnlyOnAPresentKey) {
    concurrent_map<int, std::string> m(tiny());
    int calls = 0;
    EXPECT_FALSE(m.visit(1, [&](const auto&) { ++calls; }));
    EXPECT_FALSE(m.cvisit(1, [&](const auto&) { ++calls; }));
    EXPECT_EQ(calls, 0);
    m.store(1, "one");
    EXPECT_TRUE(m.visit(1, [&](const std::pair<const int, std::string>& kv) {
        ++calls;
        EXPECT_EQ(kv.first, 1);
        EXPECT_EQ(kv.second, "one");
    }));
    EXPECT_TRUE(m.cvisit(1, [&](const auto&) { ++calls; }));
    EXPECT_EQ(calls, 2);
}

TEST_F(MapDropIn, VisitAllCountsEveryEntry) {
    concurrent_map<int, int> m(tiny());
    EXPECT_EQ(m.visit_all([](const auto&) { ADD_FAILURE() << "empty map"; }), 0u);
    long sum = 0;
    for (int i = 1; i <= 300; ++i) {
        m.store(i, i);
    }
    EXPECT_EQ(m.visit_all([&](const auto& kv) { sum += kv.second; }), 300u);
    EXPECT_EQ(sum, 300L * 301 / 2);
    EXPECT_EQ(m.cvisit_all([](const auto&) {}), 300u);
}

TEST_F(MapDropIn, HandleGivesKeyAndValue) {
    concurrent_map<int, std::string> m(tiny());
    EXPECT_FALSE(m.find(1));
    m.store(1, "one");
    auto h = m.find(1);
    ASSERT_TRUE(h);
    EXPECT_EQ(h.key(), 1);
    EXPECT_EQ(h.value(), "one");
    EXPECT_EQ(*h, "one");
    EXPECT_EQ(h->size(), 3u);
    EXPECT_TRUE(m.erase(1));
    EXPECT_EQ(h.value(), "one");  // erased, still readable through the handle
    h.reset();
    EXPECT_FALSE(h);
}

TEST_F(MapDropIn, HeterogeneousOverloads) {
    concurrent_map<std::string, int, sink_test::string_hash, sink_test::string_equal> m(tiny());
    using namespace std::string_view_literals;
    EXPECT_TRUE(m.try_emplace("a"sv, 1));
    EXPECT_FALSE(m.try_emplace("a"sv, 2));
    EXPECT_TRUE(m.insert_or_assign("b"sv, 2));
    EXPECT_FALSE(m.insert_or_assign("b"sv, 3));
    EXPECT_EQ(m.count("a"sv), 1u);
    EXPECT_EQ(m.count("z"sv), 0u);
    EXPECT_TRUE(m.visit("b"sv, [](const auto& kv) { EXPECT_EQ(kv.second, 3); }));
    EXPECT_TRUE(m.cvisit("b"sv, [](const auto&) {}));
    EXPECT_FALSE(m.erase_if("a"sv, [](const auto& kv) { return kv.second == 2; }));
    EXPECT_TRUE(m.erase_if("a"sv, [](const auto& kv) { return kv.second == 1; }));
    EXPECT_EQ(contents(m), (std::map<std::string, int>{{"b", 3}}));
}

// A key that counts how often it is built, with a transparent hash and
// equality that take std::string_view: a write by string_view must build a
// key only for a node it makes.
struct tracked_key {
    static inline std::atomic<int> built{0};
    explicit tracked_key(std::string_view s) : text(s) { built.fetch_add(1); }
    tracked_key(const tracked_key& o) : text(o.text) { built.fetch_add(1); }
    tracked_key(tracked_key&& o) noexcept : text(std::move(o.text)) { built.fetch_add(1); }
    std::string text;
};
struct tracked_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    std::size_t operator()(const tracked_key& k) const { return (*this)(std::string_view(k.text)); }
};
struct tracked_equal {
    using is_transparent = void;
    static std::string_view view(std::string_view s) { return s; }
    static std::string_view view(const tracked_key& k) { return k.text; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
        return view(a) == view(b);
    }
};

template <class M, class K>
concept can_store = requires(M& m, K k) { m.store(k, 1); };
template <class M, class K>
concept can_load_or_store = requires(M& m, K k) { m.load_or_store(k, 1); };
template <class M, class K>
concept can_exchange = requires(M& m, K k) { m.exchange(k, 1); };
template <class M, class K>
concept can_compare_and_swap = requires(M& m, K k) { m.compare_and_swap(k, 1, 2); };
using transparent_map = concurrent_map<std::string, int, sink_test::string_hash, sink_test::string_equal>;
using plain_map = concurrent_map<std::string, int>;
// Every write takes what the lookups take...
static_assert(can_store<transparent_map, std::string_view> && can_load_or_store<transparent_map, std::string_view> &&
              can_exchange<transparent_map, std::string_view> &&
              can_compare_and_swap<transparent_map, std::string_view>);
// ...a key a Key converts from implicitly works everywhere, as before...
static_assert(can_store<plain_map, const char*> && can_load_or_store<plain_map, const char*> &&
              can_exchange<plain_map, const char*> && can_compare_and_swap<plain_map, const char*>);
// ...and a key type that does not fit fails at the call, not inside it.
static_assert(!can_store<plain_map, std::vector<int>> && !can_load_or_store<plain_map, std::string_view> &&
              !can_exchange<plain_map, std::string_view> && !can_compare_and_swap<plain_map, std::string_view>);

TEST_F(MapDropIn, HeterogeneousWritesBuildAKeyOnlyForANewNode) {
    using namespace std::string_view_literals;
    concurrent_map<tracked_key, int, tracked_hash, tracked_equal> m(tiny());
    auto built_by = [](auto&& call) {
        tracked_key::built.store(0);
        call();
        return tracked_key::built.load();
    };
    EXPECT_EQ(built_by([&] { m.store("a"sv, 1); }), 1);
    EXPECT_EQ(built_by([&] { EXPECT_EQ(m.load_or_store("a"sv, 5), std::make_pair(1, true)); }), 0);
    EXPECT_EQ(built_by([&] { EXPECT_EQ(m.load_or_store("b"sv, 2), std::make_pair(2, false)); }), 1);
    // A replace makes a node (with its key) unless the value is in place.
    constexpr bool in_place =
        sink::detail::map_types<tracked_key, int, std::allocator<std::pair<const tracked_key, int>>>::values_in_place;
    const int replace_builds = in_place ? 0 : 1;
    EXPECT_EQ(built_by([&] { EXPECT_EQ(m.exchange("a"sv, 3), std::optional<int>(1)); }), replace_builds);
    EXPECT_EQ(built_by([&] { EXPECT_FALSE(m.compare_and_swap("a"sv, 99, 4)); }), 0);
    EXPECT_EQ(built_by([&] { EXPECT_TRUE(m.compare_and_swap("a"sv, 3, 4)); }), replace_builds);
    EXPECT_EQ(built_by([&] { EXPECT_FALSE(m.compare_and_swap("zz"sv, 0, 1)); }), 0) << "absent: never inserts";
    EXPECT_EQ(built_by([&] { m.store(std::string("c"), 7); }), 1);
    EXPECT_EQ(m.load("a"sv), 4);
    EXPECT_EQ(m.load("b"sv), 2);
    EXPECT_EQ(m.load("c"sv), 7);
    EXPECT_EQ(m.size(), 3u);
    EXPECT_TRUE(m.verify());

    transparent_map strings(tiny());
    strings.store("x"sv, 1);
    EXPECT_EQ(strings.load_or_store("x"sv, 2), std::make_pair(1, true));
    EXPECT_EQ(strings.exchange("x"sv, 3), std::optional<int>(1));
    EXPECT_TRUE(strings.compare_and_swap("x"sv, 3, 4));
    plain_map plain(tiny());
    plain.store("y", 1);  // a const char* builds the std::string first
    EXPECT_EQ(plain.load_or_store("y", 2), std::make_pair(1, true));
}

TEST_F(MapDropIn, ThrowingConstructorsLeaveTheMapUnchanged) {
    concurrent_map<int, bomb> m(tiny());
    EXPECT_TRUE(m.try_emplace(1, 10, false));
    EXPECT_THROW(m.try_emplace(2, 20, true), std::runtime_error);
    EXPECT_FALSE(m.contains(2));
    EXPECT_FALSE(m.try_emplace(1, 11, true));  // present: nothing built, so nothing thrown
    EXPECT_THROW(m.emplace(std::piecewise_construct, std::forward_as_tuple(3), std::forward_as_tuple(30, true)),
                 std::runtime_error);
    EXPECT_FALSE(m.contains(3));
    EXPECT_EQ(m.size(), 1u);

    concurrent_map<int, sink_test::fragile> f(tiny());
    const sink_test::fragile v(5);
    EXPECT_TRUE(f.insert_or_assign(1, v));
    const sink_test::fragile w(6);
    sink_test::fragile::armed = true;  // the copy of w into the new node throws
    EXPECT_THROW(f.insert_or_assign(1, w), std::runtime_error);
    EXPECT_THROW(f.insert_or_assign(2, w), std::runtime_error);
    EXPECT_THROW(f.insert(std::pair<const int, sink_test::fragile>(3, 7)), std::runtime_error);
    sink_test::fragile::armed = false;
    EXPECT_EQ(f.load(1)->value, 5);
    EXPECT_FALSE(f.contains(2));
    EXPECT_FALSE(f.contains(3));
    EXPECT_TRUE(f.verify()) << f.verify().problem;
}

TEST_F(MapDropIn, ThrowingPredicatesAndVisitorsLeaveTheMapAsItWas) {
    concurrent_map<int, counted> m(tiny());
    const long live_before = counted::live();
    for (int i = 0; i < 100; ++i) {
        m.store(i, counted(i));
    }
    EXPECT_THROW(m.erase_if(5, [](const auto&) -> bool { throw std::runtime_error("pred"); }), std::runtime_error);
    EXPECT_TRUE(m.contains(5));
    EXPECT_THROW(m.visit(5, [](const auto&) { throw std::runtime_error("visit"); }), std::runtime_error);

    // Whole-map erase_if gives the basic guarantee: what it erased before
    // the throw stays erased, the rest stays, and the structure is sound.
    int calls = 0;
    EXPECT_THROW(m.erase_if([&](const auto&) {
        if (++calls == 40) {
            throw std::runtime_error("pred");
        }
        return true;
    }),
                 std::runtime_error);
    EXPECT_EQ(m.size(), 100u - 39u);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    m.clear();
    domain.drain();
    EXPECT_EQ(counted::live(), live_before);
}

// Functors are taken by forwarding reference and called as lvalues: a
// stateful visitor passed as an lvalue keeps its state, whichever call.
TEST_F(MapDropIn, StatefulFunctorsKeepTheirStateOnEveryCall) {
    concurrent_map<int, int> m(tiny());
    for (int k = 0; k < 5; ++k) {
        m.store(k, k);
    }
    struct tally {
        int calls = 0;
        void operator()(const std::pair<const int, int>&) { ++calls; }
        bool operator()(const int&, const int&) {
            ++calls;
            return true;
        }
    };
    tally t;
    m.visit_all(t);
    EXPECT_EQ(t.calls, 5);
    m.cvisit_all(t);
    EXPECT_EQ(t.calls, 10);
    m.range(t);
    EXPECT_EQ(t.calls, 15);
    EXPECT_TRUE(m.visit(1, t));
    EXPECT_TRUE(m.cvisit(2, t));
    EXPECT_EQ(t.calls, 17);
    struct picky {
        int asked = 0;
        bool operator()(const std::pair<const int, int>& kv) {
            ++asked;
            return kv.first == 3;
        }
    };
    picky p;
    EXPECT_TRUE(m.erase_if(3, p));
    EXPECT_EQ(p.asked, 1);
    EXPECT_EQ(m.erase_if(p), 0u);
    EXPECT_EQ(p.asked, 5);
    EXPECT_EQ(m.visit_all([](const auto&) {}), 4u);  // rvalues still work
}

// emplace(key, value) with a Key touches neither argument when the key is
// present; other forms build the pair first.
TEST_F(MapDropIn, EmplaceOfAKeyAndAValueMovesNothingWhenPresent) {
    concurrent_map<std::string, std::string> m(tiny());
    EXPECT_TRUE(m.emplace(std::string("k"), std::string("first")));
    std::string key = "k";
    std::string value = "second";
    EXPECT_FALSE(m.emplace(std::move(key), std::move(value)));
    EXPECT_EQ(key, "k");         // NOLINT(bugprone-use-after-move): untouched, as documented
    EXPECT_EQ(value, "second");  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(m.load("k"), "first");
    EXPECT_TRUE(m.emplace(std::move(value), std::string("v")));
    EXPECT_EQ(m.load("second"), "v");
}

// The constructors and bulk inserts C++ users expect, and erase_if by ADL.
TEST_F(MapDropIn, ConstructorsBulkInsertAndEraseIfByAdl) {
    concurrent_map<int, std::string> from_list{{1, "a"}, {2, "b"}, {1, "ignored"}};
    EXPECT_EQ(from_list.size(), 2u);
    EXPECT_EQ(from_list.load(1), "a");

    const std::vector<std::pair<int, std::string>> items{{3, "c"}, {4, "d"}, {3, "e"}};
    concurrent_map<int, std::string> from_range(items.begin(), items.end());
    EXPECT_EQ(from_range.size(), 2u);
    EXPECT_EQ(from_range.load(3), "c");

    concurrent_map<int, int> sized(10000);
    EXPECT_GT(sized.stats().table_width, 8u);
    concurrent_map<int, int> with_allocator(std::allocator<std::pair<const int, int>>{});
    EXPECT_TRUE(with_allocator.empty());
    concurrent_map<int, int> with_hash(100, std::hash<int>(), std::allocator<std::pair<const int, int>>{});
    EXPECT_TRUE(with_hash.empty());

    concurrent_map<int, std::string> m(tiny());
    EXPECT_EQ(m.insert(items.begin(), items.end()), 2u);
    EXPECT_EQ(m.insert({{5, "e"}, {3, "x"}}), 1u);
    EXPECT_EQ(m.load(3), "c");
    EXPECT_EQ(erase_if(m, [](const auto& kv) { return kv.first >= 4; }), 2u);  // found by ADL
    EXPECT_EQ(m.size(), 1u);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

}  // namespace
