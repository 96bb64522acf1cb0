// Stateful allocators: every byte the map holds comes from the allocator it
// was given and goes back to it, also after the map is gone; keys and values
// are constructed and destroyed through it; copies, moves and swaps follow
// the standard containers' allocator rules (concurrent_map.hpp, "Copy, move,
// swap").
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if __has_include(<memory_resource>)
#include <memory_resource>
#endif

#include "sink/concurrent_map.hpp"

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer_domain;
using sink::reclamation_policy;

// What one arena has handed out and not got back, and how many values were
// constructed and destroyed through an allocator of it.
struct arena {
    std::atomic<long> bytes{0};
    std::atomic<long> allocations{0};
    std::atomic<long> constructs{0};
    std::atomic<long> destroys{0};
    std::atomic<long> budget{-1};  // allocations left before bad_alloc; -1: no limit
};

// A stateful allocator with no default constructor: a map that made an
// allocator of its own, or used another one, would not compile or would be
// seen in the counts.
template <class T>
struct arena_allocator {
    using value_type = T;
    arena* where;

    explicit arena_allocator(arena* a) noexcept : where(a) {}
    template <class U>
    arena_allocator(const arena_allocator<U>& other) noexcept : where(other.where) {}  // NOLINT: converting

    T* allocate(std::size_t n) {
        if (where->budget.load() == 0) {
            throw std::bad_alloc();
        }
        if (where->budget.load() > 0) {
            where->budget.fetch_sub(1);
        }
        where->bytes.fetch_add(static_cast<long>(n * sizeof(T)));
        where->allocations.fetch_add(1);
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        where->bytes.fetch_sub(static_cast<long>(n * sizeof(T)));
        ::operator delete(p, std::align_val_t(alignof(T)));  // unsized: clang 14 has no sized deallocation by default
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
        where->constructs.fetch_add(1);
    }
    template <class U>
    void destroy(U* p) noexcept {
        where->destroys.fetch_add(1);
        p->~U();
    }
    template <class U>
    friend bool operator==(const arena_allocator& a, const arena_allocator<U>& b) noexcept {
        return a.where == b.where;
    }
};

template <class K, class V>
using arena_map = concurrent_map<K, V, std::hash<K>, std::equal_to<K>, arena_allocator<std::pair<const K, V>>>;

concurrent_map_options on(hazard_pointer_domain& domain) {
    concurrent_map_options o;
    o.domain = &domain;
    return o;
}

// Two threads write and erase (the table grows and shrinks, nodes are
// retired to both threads' batches); after the map is destroyed and the
// domain drained the arena has every byte back, and every value constructed
// through it was destroyed through it.
TEST(MapAllocator, AStatefulAllocatorGetsEverythingBack) {
    arena ar;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        using map = arena_map<std::uint64_t, std::string>;
        map m(on(domain), {}, {}, map::allocator_type(&ar));
        EXPECT_GT(ar.bytes.load(), 0) << "the empty map's sentinels, table and pool";
        EXPECT_EQ(m.get_allocator().where, &ar);
        auto work = [&](std::uint64_t first) {
            for (std::uint64_t i = first; i < 20000; i += 2) {
                m.store(i, std::string(40, 'v'));  // past any small-string buffer
            }
            for (std::uint64_t i = first; i < 20000; i += 2) {
                m.store(i, std::string(41, 'w'));  // a new version: the old one retired
            }
            for (std::uint64_t i = first; i < 20000; i += 4) {
                m.erase(i);
            }
        };
        std::thread other(work, 1);
        work(0);
        other.join();
        EXPECT_EQ(m.size(), 10000u);
        EXPECT_EQ(*m.load(3), std::string(41, 'w'));
        EXPECT_GE(ar.constructs.load(), 40000);
    }
    domain.drain();
    EXPECT_EQ(ar.bytes.load(), 0);
    EXPECT_EQ(ar.constructs.load(), ar.destroys.load());
}

// A map holds its pool and its segments of section heads (8 bytes per
// section, 2^width - 1 heads in all) and nothing else: growing adds a
// segment and replaces nothing. Emptied by erases, it shrinks, and the
// segments its shrinks retired are freed (each completed resize drains the
// domain).
TEST(MapAllocator, AMapHoldsItsPoolAndItsSegmentsOnly) {
    arena ar;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    using map = arena_map<std::uint64_t, std::uint64_t>;
    map m(on(domain), {}, {}, map::allocator_type(&ar));
    for (std::uint64_t i = 0; i < 200000; ++i) {
        m.store(i, i);
    }
    sink::concurrent_map_stats s = m.stats();
    ASSERT_GE(s.grows, 8u);
    // A head is its `next` alone: 8 bytes, in every kind of map.
    const long head_bytes = static_cast<long>(sizeof(sink::detail::map_head));
    static_assert(sizeof(sink::detail::map_head) == 8);
    const long segment_bytes = static_cast<long>(s.sections) * head_bytes;
    long outside_pool = ar.bytes.load() - static_cast<long>(s.node_pool_bytes);
    EXPECT_LE(outside_pool, segment_bytes + 64 * 1024)
        << "the segments hold " << segment_bytes << " bytes; the rest is something else";
    EXPECT_GE(outside_pool, segment_bytes - 64 * 1024);
    for (std::uint64_t i = 0; i < 200000; ++i) {
        m.erase(i);
    }
    s = m.stats();
    EXPECT_GE(s.shrinks, 8u);
    domain.drain();
    outside_pool = ar.bytes.load() - static_cast<long>(m.stats().node_pool_bytes);
    EXPECT_LE(outside_pool, static_cast<long>(m.stats().sections * 8) + 64 * 1024)
        << "segments taken out by shrinks are still held";
}

// Nodes too large or too aligned for a pool slot have allocations of their
// own, from the same allocator, and outlive the map as the others do.
TEST(MapAllocator, LargeAndOverAlignedNodesUseTheMapsAllocator) {
    struct big {
        std::uint64_t words[300] = {};
    };
    struct alignas(256) aligned {
        std::uint64_t v = 0;
    };
    arena ar;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        using big_map = arena_map<int, big>;
        using aligned_map = arena_map<int, aligned>;
        big_map b(on(domain), {}, {}, big_map::allocator_type(&ar));
        aligned_map a(on(domain), {}, {}, aligned_map::allocator_type(&ar));
        const long empty = ar.bytes.load();
        for (int i = 0; i < 500; ++i) {
            big v;
            v.words[299] = static_cast<std::uint64_t>(i);
            b.store(i, v);
            a.store(i, aligned{static_cast<std::uint64_t>(i)});
        }
        EXPECT_GE(ar.bytes.load() - empty, 500L * static_cast<long>(sizeof(big)));
        for (int i = 0; i < 500; i += 2) {
            b.erase(i);
            a.erase(i);
        }
        EXPECT_EQ(b.load(301)->words[299], 301u);
        for (int i = 1; i < 500; i += 2) {
            EXPECT_TRUE(a.visit(i, [&](const aligned_map::value_type& kv) {
                EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&kv.second) % alignof(aligned), 0u);
                EXPECT_EQ(kv.second.v, static_cast<std::uint64_t>(i));
            }));
        }
    }
    domain.drain();
    EXPECT_EQ(ar.bytes.load(), 0);
    EXPECT_EQ(ar.constructs.load(), ar.destroys.load());
}

// A throwing value constructor: the node goes back, nothing was destroyed
// that was not constructed.
TEST(MapAllocator, AValueThatThrowsLeavesNothing) {
    struct fussy {
        explicit fussy(int v) : value(v) {
            if (v < 0) {
                throw std::runtime_error("negative");
            }
        }
        int value;
    };
    arena ar;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        using map = arena_map<int, fussy>;
        map m(on(domain), {}, {}, map::allocator_type(&ar));
        EXPECT_TRUE(m.try_emplace(1, 1));
        EXPECT_THROW(m.try_emplace(2, -1), std::runtime_error);
        EXPECT_FALSE(m.contains(2));
    }
    domain.drain();
    EXPECT_EQ(ar.bytes.load(), 0);
    EXPECT_EQ(ar.constructs.load(), 1);
    EXPECT_EQ(ar.destroys.load(), 1);
}

// Moves take the allocator with the nodes; a copy of an allocator that does
// not propagate keeps its own; a swap exchanges them.
TEST(MapAllocator, CopiesMovesAndSwapsFollowTheAllocatorRules) {
    arena first, second;
    using map = arena_map<int, std::string>;
    using alloc = map::allocator_type;
    map a(0, alloc(&first));
    a.store(1, "one");
    map moved(std::move(a));
    EXPECT_EQ(moved.get_allocator().where, &first);
    EXPECT_EQ(a.get_allocator().where, &first);
    EXPECT_EQ(moved.load(1), "one");

    map copy(moved, alloc(&second));
    EXPECT_EQ(copy.get_allocator().where, &second);
    EXPECT_EQ(copy.load(1), "one");

    map b(0, alloc(&second));
    b.store(2, "two");
    b = moved;  // copy assignment: arena_allocator does not propagate
    EXPECT_EQ(b.get_allocator().where, &second);
    EXPECT_EQ(b.load(1), "one");
    EXPECT_FALSE(b.contains(2));

    swap(b, moved);
    EXPECT_EQ(b.get_allocator().where, &first);
    EXPECT_EQ(moved.get_allocator().where, &second);
    EXPECT_EQ(b.load(1), "one");
}

// Move assignment between unequal allocators that do not propagate: the
// values move into nodes of this map's allocator, one by one (a move-only
// value is fine), and the source is emptied.
TEST(MapAllocator, AMoveAssignmentBetweenUnequalAllocatorsMovesTheValues) {
    arena first, second;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        using map = arena_map<int, std::unique_ptr<int>>;
        using alloc = map::allocator_type;
        map source(on(domain), {}, {}, alloc(&first));
        map target(on(domain), {}, {}, alloc(&second));
        for (int i = 0; i < 1000; ++i) {
            source.try_emplace(i, std::make_unique<int>(i));
        }
        target.try_emplace(-1, std::make_unique<int>(-1));
        const long second_constructs = second.constructs.load();
        target = std::move(source);
        EXPECT_EQ(target.get_allocator().where, &second);
        EXPECT_EQ(source.get_allocator().where, &first);
        EXPECT_EQ(target.size(), 1000u);
        EXPECT_EQ(source.size(), 0u);
        EXPECT_FALSE(target.contains(-1));
        EXPECT_EQ(second.constructs.load() - second_constructs, 1000);
        for (int i = 0; i < 1000; ++i) {
            EXPECT_TRUE(target.visit(i, [&](const map::value_type& kv) { EXPECT_EQ(*kv.second, i); }));
        }
        source.store(5, std::make_unique<int>(50));  // still usable
        EXPECT_EQ(source.size(), 1u);
    }
    domain.drain();
    EXPECT_EQ(first.bytes.load(), 0);
    EXPECT_EQ(second.bytes.load(), 0);
    EXPECT_EQ(first.constructs.load(), first.destroys.load());
    EXPECT_EQ(second.constructs.load(), second.destroys.load());
}

// A move assignment that moves values one by one and runs out of memory:
// basic guarantee, this map unchanged (the standard containers' promise).
TEST(MapAllocator, AMoveAssignmentThatThrowsLeavesTheTargetUnchanged) {
    arena first, second;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        using map = arena_map<int, std::string>;
        map source(on(domain), {}, {}, map::allocator_type(&first));
        map target(on(domain), {}, {}, map::allocator_type(&second));
        for (int i = 0; i < 100; ++i) {
            source.store(i, std::string(40, 's'));
        }
        target.store(-1, "kept");
        second.budget.store(7);
        EXPECT_THROW(target = std::move(source), std::bad_alloc);
        second.budget.store(-1);
        EXPECT_EQ(target.size(), 1u);
        EXPECT_EQ(target.load(-1), "kept");
        EXPECT_EQ(source.size(), 100u);  // some values moved from
        EXPECT_EQ(target.verify().problem, "");
        EXPECT_EQ(source.verify().problem, "");
    }
    domain.drain();
    EXPECT_EQ(first.bytes.load(), 0);
    EXPECT_EQ(second.bytes.load(), 0);
    EXPECT_EQ(first.constructs.load(), first.destroys.load());
    EXPECT_EQ(second.constructs.load(), second.destroys.load());
}

// The limit the documentation gives: a thread that is still running keeps
// the last nodes it retired in its private batch, out of a drain's reach,
// until its next scan or its exit; its exit hands them over. The map never
// shrinks: a shrink gives memory back with a drain, which the worker would
// run itself, emptying its own batch (about 4% of runs, depending on the
// seed's layout, until shrinking was switched off here).
TEST(MapAllocator, NodesInALiveThreadsBatchGoBackAtItsExit) {
    arena ar;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    concurrent_map_options o = on(domain);
    o.shrink_on_empty_count = 0;
    auto m = std::make_unique<arena_map<int, std::string>>(o, std::hash<int>(), std::equal_to<int>(),
                                                           arena_allocator<std::pair<const int, std::string>>(&ar));
    std::atomic<int> step{0};
    std::thread worker([&] {
        for (int i = 0; i < 20; ++i) {
            m->store(i, std::string(40, 'w'));
        }
        for (int i = 0; i < 20; ++i) {
            m->erase(i);
        }
        step.store(1);
        while (step.load() != 2) {
            std::this_thread::yield();
        }
    });
    while (step.load() != 1) {
        std::this_thread::yield();
    }
    m.reset();
    domain.drain();
    EXPECT_GT(ar.bytes.load(), 0) << "the worker's batch is out of the drain's reach";
    step.store(2);
    worker.join();
    domain.drain();
    EXPECT_EQ(ar.bytes.load(), 0);
    EXPECT_EQ(ar.constructs.load(), ar.destroys.load());
}

#if __has_include(<memory_resource>)

// A resource that counts what it has handed out, over new and delete.
class counting_resource : public std::pmr::memory_resource {
public:
    long outstanding() const { return bytes_.load(); }

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        bytes_.fetch_add(static_cast<long>(n));
        return ::operator new(n, std::align_val_t(align));
    }
    void do_deallocate(void* p, std::size_t n, std::size_t align) override {
        bytes_.fetch_sub(static_cast<long>(n));
        ::operator delete(p, std::align_val_t(align));
    }
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }
    std::atomic<long> bytes_{0};
};

using pmr_string_map =
    concurrent_map<std::pmr::string, std::pmr::string, std::hash<std::pmr::string>, std::equal_to<std::pmr::string>,
                   std::pmr::polymorphic_allocator<std::pair<const std::pmr::string, std::pmr::string>>>;

std::pmr::string long_string(std::size_t i) { return std::pmr::string(48, static_cast<char>('a' + i % 26)); }

// Keys and values of a std::pmr map are built with the map's resource
// (uses-allocator construction through allocator_traits), and everything
// goes back to the resource.
TEST(MapAllocator, APmrMapGivesItsResourceToKeysAndValues) {
    counting_resource resource;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        pmr_string_map m(on(domain), {}, {}, &resource);
        for (std::size_t i = 0; i < 100; ++i) {
            m.store(std::pmr::string(40, 'k') + std::pmr::string(std::to_string(i)), long_string(i));
        }
        EXPECT_TRUE(m.visit(std::pmr::string(40, 'k') + "7", [&](const pmr_string_map::value_type& kv) {
            EXPECT_EQ(kv.first.get_allocator().resource(), &resource);
            EXPECT_EQ(kv.second.get_allocator().resource(), &resource);
        }));
        EXPECT_EQ(m.get_allocator().resource(), &resource);
        pmr_string_map copy(m);  // select_on_container_copy_construction: the default resource
        EXPECT_EQ(copy.get_allocator().resource(), std::pmr::get_default_resource());
        EXPECT_EQ(copy.size(), 100u);
    }
    domain.drain();
    EXPECT_EQ(resource.outstanding(), 0);
}

// The case: a synchronized_pool_resource shared by four threads
// writing one map, destroyed after the map and a drain (under ASan, a node
// freed after that would be a use after free in the resource).
TEST(MapAllocator, ASynchronizedPoolResourceServesSeveralThreads) {
    counting_resource upstream;
    {
        std::pmr::synchronized_pool_resource resource(&upstream);
        hazard_pointer_domain domain(reclamation_policy::lazy);
        {
            pmr_string_map m(on(domain), {}, {}, &resource);
            std::vector<std::thread> threads;
            for (std::size_t t = 0; t < 4; ++t) {
                threads.emplace_back([&m, t] {
                    for (std::size_t round = 0; round < 3; ++round) {
                        for (std::size_t i = t; i < 4000; i += 4) {
                            m.store(long_string(i) + std::pmr::string(std::to_string(i)), long_string(i + round));
                        }
                        for (std::size_t i = t; i < 4000; i += 8) {
                            m.erase(long_string(i) + std::pmr::string(std::to_string(i)));
                        }
                    }
                });
            }
            for (std::thread& th : threads) {
                th.join();
            }
            EXPECT_EQ(m.size(), 2000u);
            // Unequal resources that do not propagate: the values move over.
            counting_resource other;
            {
                pmr_string_map target(on(domain), {}, {}, &other);
                target = std::move(m);
                EXPECT_EQ(target.get_allocator().resource(), &other);
                EXPECT_EQ(target.size(), 2000u);
                EXPECT_EQ(m.size(), 0u);
            }
            domain.drain();
            EXPECT_EQ(other.outstanding(), 0);
        }
        domain.drain();
    }
    EXPECT_EQ(upstream.outstanding(), 0);
}

#endif  // <memory_resource>

}  // namespace

// Values kept in place (a word): replacing the value of a present key, by
// any call that can, constructs nothing and allocates nothing: the value
// changes in its entry (issue 19). A new key still makes an entry.
TEST(MapAllocator, ReplacingAWordValueInPlaceAllocatesNothing) {
    static_assert(sink::detail::value_fits_in_place<std::uint64_t>);
    arena ar;
    hazard_pointer_domain domain(reclamation_policy::lazy);
    using map = arena_map<std::uint64_t, std::uint64_t>;
    map m(on(domain), {}, {}, map::allocator_type(&ar));
    m.store(7, 0);
    const long constructs = ar.constructs.load();
    const long allocations = ar.allocations.load();
    const sink::concurrent_map_stats before = m.stats();
    std::uint64_t v = 0;
    for (int i = 0; i < 1000; ++i) {
        m.store(7, ++v);
        EXPECT_EQ(m.exchange(7, v + 1), std::optional<std::uint64_t>(v));
        ++v;
        EXPECT_TRUE(m.compare_and_swap(7, v, v + 1));
        ++v;
        EXPECT_FALSE(m.insert_or_assign(7, ++v));
        EXPECT_EQ(m.update(7, [](std::uint64_t x) { return x + 1; }), std::optional<std::uint64_t>(v + 1));
        ++v;
    }
    EXPECT_EQ(m.load(7), std::optional<std::uint64_t>(v));
    EXPECT_EQ(ar.constructs.load(), constructs);
    EXPECT_EQ(ar.allocations.load(), allocations);
    EXPECT_EQ(m.stats().node_pool_bytes, before.node_pool_bytes);
    m.store(8, 1);
    EXPECT_EQ(ar.constructs.load(), constructs + 1) << "a new key makes its entry";
}
