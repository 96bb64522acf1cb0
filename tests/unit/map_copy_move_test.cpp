// concurrent_map as a value: move construction and assignment, swap, and
// copies (a weakly consistent walk of the source, which others may write
// meanwhile). Each leaves both maps consistent (verify), usable, and
// destroys every value exactly once.
#include <gtest/gtest.h>

#include <barrier>
#include <map>
#include <memory>
#include <thread>
#include <type_traits>
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

static_assert(std::is_nothrow_swappable_v<concurrent_map<int, int>>);
static_assert(std::is_move_constructible_v<concurrent_map<int, std::unique_ptr<int>>>);
static_assert(std::is_move_assignable_v<concurrent_map<int, std::unique_ptr<int>>>);
static_assert(!std::is_copy_constructible_v<concurrent_map<int, std::unique_ptr<int>>>,
              "a map of move-only values is not copyable");
static_assert(!std::is_copy_assignable_v<concurrent_map<int, std::unique_ptr<int>>>);
static_assert(std::is_copy_constructible_v<concurrent_map<int, int>>);

template <class Map>
std::map<typename Map::key_type, int> contents(const Map& m) {
    std::map<typename Map::key_type, int> out;
    m.range([&](const auto& k, const auto& v) {
        out.emplace(k, static_cast<int>(v));
        return true;
    });
    return out;
}

std::map<int, int> squares(int from, int to) {
    std::map<int, int> out;
    for (int k = from; k < to; ++k) {
        out.emplace(k, k * k);
    }
    return out;
}

class MapCopyMove : public ::testing::Test {
protected:
    concurrent_map_options tiny() { return sink_test::resizing_options(domain); }
    template <class Map>
    void fill(Map& m, int from, int to) {
        for (int k = from; k < to; ++k) {
            m.store(k, k * k);
        }
    }
    void TearDown() override {
        domain.drain();
        EXPECT_EQ(domain.stats().backlog, 0u);
    }
    hazard_pointer_domain domain{reclamation_policy::eager};
};

TEST_F(MapCopyMove, MoveConstructionTakesTheEntriesAndLeavesTheSourceEmptyAndUsable) {
    concurrent_map<int, int> source(tiny());
    fill(source, 0, 1000);
    concurrent_map<int, int> moved(std::move(source));
    EXPECT_EQ(contents(moved), squares(0, 1000));
    EXPECT_EQ(moved.size(), 1000u);
    EXPECT_TRUE(moved.verify());
    EXPECT_EQ(moved.options().domain, &domain) << "the options move with the entries";
    // NOLINTBEGIN(bugprone-use-after-move): the moved-from state is specified
    EXPECT_TRUE(source.empty());
    EXPECT_EQ(source.size(), 0u);
    EXPECT_TRUE(source.verify());
    source.store(5, 6);
    EXPECT_EQ(source.load(5), 6);
    EXPECT_EQ(moved.load(5), 25) << "the two maps share nothing";
    // NOLINTEND(bugprone-use-after-move)
}

struct registry {
    concurrent_map<int, int> entries;
};

registry make_registry(int n) {
    registry r;
    for (int k = 0; k < n; ++k) {
        r.entries.store(k, k * k);
    }
    return r;  // needs the move constructor (no guaranteed elision for a named local)
}

TEST_F(MapCopyMove, AClassThatOwnsAMapCanBeReturnedAndKeptInAVector) {
    registry r = make_registry(100);
    EXPECT_EQ(contents(r.entries), squares(0, 100));
    std::vector<concurrent_map<int, int>> maps;
    for (int i = 0; i < 5; ++i) {
        maps.emplace_back();  // reallocations move the maps already there
        maps.back().store(i, i * i);
    }
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(contents(maps[i]), squares(i, i + 1));
        EXPECT_TRUE(maps[i].verify());
    }
}

TEST_F(MapCopyMove, MoveAssignmentDestroysTheFormerEntriesExactlyOnce) {
    const long before = counted::live();
    {
        concurrent_map<int, counted> target(tiny());
        concurrent_map<int, counted> source(tiny());
        for (int k = 0; k < 300; ++k) {
            target.store(k, counted(-k));
            source.store(k + 1000, counted(k));
        }
        target = std::move(source);
        domain.drain();
        EXPECT_EQ(counted::live() - before, 300) << "the former 300 destroyed, the moved 300 alive";
        EXPECT_EQ(target.size(), 300u);
        EXPECT_FALSE(target.contains(0));
        EXPECT_EQ(target.load(1000)->value, 0);
        EXPECT_TRUE(target.verify());
        EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move)
        concurrent_map<int, counted>& same = target;
        target = std::move(same);  // self-move changes nothing
        EXPECT_EQ(target.size(), 300u);
    }
    domain.drain();
    EXPECT_EQ(counted::live(), before);
}

TEST_F(MapCopyMove, SwapExchangesEntriesOptionsAndCounters) {
    hazard_pointer_domain other_domain{reclamation_policy::eager};
    concurrent_map<int, int> a(tiny());
    concurrent_map_options b_options = sink_test::resizing_options(other_domain);
    b_options.grow_on_insert_count = 7;
    concurrent_map<int, int> b(b_options);
    fill(a, 0, 500);
    fill(b, 1000, 1010);
    a.erase(0);
    const auto a_stats = a.stats();
    a.swap(b);
    EXPECT_EQ(contents(a), squares(1000, 1010));
    EXPECT_EQ(contents(b), squares(1, 500));
    EXPECT_EQ(a.options().grow_on_insert_count, 7u);
    EXPECT_EQ(a.options().domain, &other_domain);
    EXPECT_EQ(b.stats().table_width, a_stats.table_width);
    EXPECT_EQ(b.stats().grows, a_stats.grows);
    EXPECT_EQ(b.stats().compactions, a_stats.compactions);
    EXPECT_EQ(b.size(), 499u);
    EXPECT_TRUE(a.verify());
    EXPECT_TRUE(b.verify());
    swap(a, b);  // by ADL
    EXPECT_EQ(contents(a), squares(1, 500));
    EXPECT_EQ(contents(b), squares(1000, 1010));
    std::swap(a, b);  // through the move constructor and assignments
    EXPECT_EQ(contents(a), squares(1000, 1010));
    EXPECT_EQ(contents(b), squares(1, 500));
    // Both keep working with what they now hold: growth, erases, iteration.
    fill(a, 2000, 2600);
    for (int k = 1; k < 500; ++k) {
        ASSERT_TRUE(b.erase(k));
    }
    EXPECT_TRUE(a.verify());
    EXPECT_TRUE(b.verify());
    EXPECT_EQ(a.size(), 610u);
    EXPECT_TRUE(b.empty());
    a.clear();
    other_domain.drain();
}

TEST_F(MapCopyMove, ACopyHasEveryEntryAndIsIndependent) {
    concurrent_map<int, int> source(tiny());
    fill(source, 0, 700);
    concurrent_map<int, int> copy(source);
    EXPECT_EQ(contents(copy), squares(0, 700));
    EXPECT_TRUE(copy.verify());
    copy.store(1, -1);
    copy.erase(2);
    EXPECT_EQ(source.load(1), 1);
    EXPECT_TRUE(source.contains(2));

    concurrent_map<int, int> assigned(tiny());
    fill(assigned, 5000, 5100);
    assigned = source;
    EXPECT_EQ(contents(assigned), squares(0, 700));
    EXPECT_TRUE(assigned.verify());
    const concurrent_map<int, int>& same = assigned;
    assigned = same;  // self-copy changes nothing
    EXPECT_EQ(assigned.size(), 700u);
}

TEST_F(MapCopyMove, ACopyCountsEachValueOnce) {
    const long before = counted::live();
    {
        concurrent_map<int, counted> source(tiny());
        for (int k = 0; k < 200; ++k) {
            source.store(k, counted(k));
        }
        concurrent_map<int, counted> copy(source);
        domain.drain();
        EXPECT_EQ(counted::live() - before, 400);
    }
    domain.drain();
    EXPECT_EQ(counted::live(), before);
}

TEST_F(MapCopyMove, ACopyBesideAWriterHasEveryKeyPresentThroughout) {
    // Keys [0, 1000) stay throughout; a writer stores and erases keys
    // [1000, 2000) (value 7 * key) while the copy walks. The copy must hold
    // every stable key with its value, and any other key only with a value
    // the writer stored.
    concurrent_map<int, int> source(tiny());
    fill(source, 0, 1000);
    std::barrier start(2);
    std::thread writer([&] {
        start.arrive_and_wait();
        for (int round = 0; round < 20; ++round) {
            for (int k = 1000; k < 2000; ++k) {
                if ((k + round) % 2 == 0) {
                    source.store(k, 7 * k);
                } else {
                    source.erase(k);
                }
            }
        }
    });
    start.arrive_and_wait();
    concurrent_map<int, int> copy(source);
    writer.join();
    for (int k = 0; k < 1000; ++k) {
        ASSERT_EQ(copy.load(k), k * k) << "key " << k;
    }
    copy.range([](int k, int v) {
        EXPECT_TRUE(k < 1000 || v == 7 * k) << "key " << k << " copied with " << v;
        return true;
    });
    EXPECT_TRUE(copy.verify());
    EXPECT_TRUE(source.verify());
}

}  // namespace
