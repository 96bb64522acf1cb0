// The map on its node pool (detail/node_pool.hpp): what the map holds after
// it is emptied, and that nothing stays behind once the map is destroyed and
// its domain drained.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "sink/concurrent_map.hpp"

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer_domain;
using sink::reclamation_policy;

// Counts what is outstanding through every copy and rebinding.
struct live_allocations {
    static inline std::atomic<long> count{0};
};
template <class T>
struct counting_allocator {
    using value_type = T;
    using is_always_equal = std::true_type;
    counting_allocator() = default;
    template <class U>
    counting_allocator(const counting_allocator<U>&) noexcept {}  // NOLINT: converting, as allocators are
    T* allocate(std::size_t n) {
        T* p = std::allocator<T>().allocate(n);
        live_allocations::count.fetch_add(1);
        return p;
    }
    void deallocate(T* p, std::size_t n) noexcept {
        live_allocations::count.fetch_sub(1);
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    friend bool operator==(const counting_allocator&, const counting_allocator<U>&) noexcept {
        return true;
    }
};

using counted_map = concurrent_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                                   counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>>;

// Erased nodes wait in other threads' batches after the map is gone: the
// pool, its blocks and the sentinels go back to the allocator once the
// domain has freed the last of them.
TEST(MapNodePool, ADestroyedMapAndADrainLeaveNothing) {
    const long before = live_allocations::count.load();
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        concurrent_map_options o;
        o.domain = &domain;
        counted_map m(o);
        for (std::uint64_t i = 0; i < 20000; ++i) {
            m.store(i, i);
        }
        std::thread eraser([&] {
            for (std::uint64_t i = 0; i < 20000; i += 3) {
                m.erase(i);
            }
        });
        for (std::uint64_t i = 1; i < 20000; i += 3) {
            m.erase(i);
        }
        eraser.join();
        EXPECT_GT(m.stats().node_pool_bytes, 0u);
        EXPECT_GT(live_allocations::count.load(), before);
    }
    domain.drain();
    EXPECT_EQ(live_allocations::count.load(), before);
}

// W5 in small (the order of bench/memory: keys erased in the order they
// were inserted): after everything is erased, the map keeps at most 5 % of
// the node memory it held at its peak. The shrinks trim the pool, and a
// detached block goes back with the free of its last node; what stays is
// the blocks of nodes still waiting in the eraser's batch of retired nodes.
// (Erased in random order those nodes are spread over every block, and keep
// most of them: docs/performance.md, "Node pools".)
TEST(MapNodePool, AnEmptiedMapKeepsLittleOfItsPeak) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<std::uint64_t, std::uint64_t> m(o);
    constexpr std::uint64_t n = 300000;
    auto scattered = [](std::uint64_t i) { return i * 2654435761ULL % n; };
    for (std::uint64_t i = 0; i < n; ++i) {
        m.store(scattered(i), i);
    }
    const std::size_t peak = m.stats().node_pool_bytes;
    EXPECT_GE(peak, n * 32);
    for (std::uint64_t i = 0; i < n; ++i) {
        ASSERT_TRUE(m.erase(scattered(i)));
    }
    EXPECT_EQ(m.size(), 0u);
    const std::size_t left = m.stats().node_pool_bytes;
    EXPECT_LE(left * 20, peak) << left << " of " << peak << " bytes";
}

// The same map emptied in random order: the nodes still retired at a
// shrink are spread over every block, and would keep them all if the shrink
// did not drain the domain before trimming the pool (fault
// RESIZE_WITHOUT_DRAIN: 65 % of the peak stays in this order; with the
// drain a few %, the blocks of the few nodes erased after the last shrink;
// at most 20 % is allowed).
TEST(MapNodePool, AMapEmptiedInRandomOrderKeepsLittleOfItsPeak) {
#ifdef SINK_POOL_POISON
    // ASan builds keep the last 1,024 freed nodes of each pool quarantined
    // (node_pool.hpp), and a trim leaves them there on purpose: erased in
    // random order they are spread over every block.
    GTEST_SKIP() << "the ASan quarantine keeps the last freed nodes' blocks";
#endif
    hazard_pointer_domain domain(reclamation_policy::lazy);
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<std::uint64_t, std::uint64_t> m(o);
    constexpr std::uint64_t n = 300000;
    std::vector<std::uint64_t> keys(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        keys[i] = i;
        m.store(i, i);
    }
    const std::size_t peak = m.stats().node_pool_bytes;
    // Fisher-Yates on the raw engine, not std::shuffle, whose permutation
    // differs between standard libraries (libc++ left 11.9% where libstdc++
    // left 4.8%: which nodes come after the last shrink is luck).
    std::mt19937_64 rng(7);
    for (std::size_t i = keys.size() - 1; i > 0; --i) {
        std::swap(keys[i], keys[rng() % (i + 1)]);
    }
    for (std::uint64_t k : keys) {
        ASSERT_TRUE(m.erase(k));
    }
    EXPECT_EQ(m.size(), 0u);
    const std::size_t left = m.stats().node_pool_bytes;
    domain.drain();
    const std::size_t drained = m.stats().node_pool_bytes;
    EXPECT_LE(left * 5, peak) << left << " of " << peak << " bytes";
    EXPECT_LE(drained * 5, peak) << drained << " of " << peak << " bytes after a drain";
}

// clear() of an empty map erases nothing and so gives nothing back: it does
// not drain the domain, whose retired stacks belong to other maps' threads
// (found in review: a loop of clears beside a writer of another map ran
// its scans, a fifth as many clears per second).
TEST(MapNodePool, ClearingAnEmptyMapDoesNotDrainTheDomain) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    concurrent_map_options o;
    o.domain = &domain;
    concurrent_map<int, int> busy(o), scratch(o);
    for (int i = 0; i < 50; ++i) {
        busy.store(i, i);
    }
    for (int i = 0; i < 50; ++i) {
        busy.erase(i);
    }
    const auto before = domain.stats();
    ASSERT_GT(before.backlog, 0u);
    scratch.clear();
    EXPECT_EQ(domain.stats().reclaimed, before.reclaimed);
}

// The pools of two swapped maps travel with their nodes.
TEST(MapNodePool, SwappedMapsKeepTheirNodes) {
    concurrent_map<int, int> a, b;
    for (int i = 0; i < 1000; ++i) {
        a.store(i, i);
    }
    b.store(-1, -1);
    swap(a, b);
    EXPECT_EQ(a.size(), 1u);
    EXPECT_EQ(b.size(), 1000u);
    EXPECT_GT(b.stats().node_pool_bytes, a.stats().node_pool_bytes);
    concurrent_map<int, int> c(std::move(b));
    EXPECT_EQ(c.size(), 1000u);
    EXPECT_EQ(c.load(500), 500);
}

// Nodes too large for a pool slot get an allocation each, outside the
// blocks (their allocator is checked in map_allocator_test.cpp).
TEST(MapNodePool, NodesLargerThanASlotAreAllocatedOneByOne) {
    struct big {
        std::uint64_t words[300] = {};
    };
    using types = sink::detail::map_types<int, big, std::allocator<std::pair<const int, big>>>;
    static_assert(!types::in_slot<types::entry> && !types::in_slot<types::stamped_entry>);
    concurrent_map<int, big> m;
    for (int i = 0; i < 1000; ++i) {
        big b;
        b.words[299] = static_cast<std::uint64_t>(i);
        m.store(i, b);
    }
    for (int i = 0; i < 1000; i += 2) {
        m.erase(i);
    }
    EXPECT_EQ(m.load(501)->words[299], 501u);
    EXPECT_LE(m.stats().node_pool_bytes, 64u * 4096u) << "no node of this map fits a slot";
}

}  // namespace
