// The cursor slots of a hazard record (detail/hazard_record.hpp): a walk
// takes them without a scan when all are free, and takes general slots when
// one of them is still owned, by an iterator that kept the slot its walk
// found its entry with. A lookup (map_lookup_cursor) takes the first two
// only, and its two slots take turns along the walk.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <thread>

#include "sink/concurrent_map.hpp"

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer;
using sink::hazard_pointer_domain;
using sink::reclamation_policy;

concurrent_map_options on(hazard_pointer_domain& domain) {
    concurrent_map_options o;
    o.domain = &domain;
    return o;
}

// A thread that holds hazard pointers in every general slot of its record
// still looks keys up and erases them without a second record: the walk's
// five slots (a lookup's two) are the record's cursor slots. (An insert also saves its
// insertion point, in two general slots.)
TEST(MapCursorSlots, AWalkTakesTheCursorSlotsNotGeneralOnes) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    concurrent_map<int, int> m(on(domain));
    for (int i = 0; i < 100; ++i) {
        m.store(i, i);
    }
    std::thread([&] {
        std::array<hazard_pointer, sink::detail::slots_per_record> held;
        for (hazard_pointer& hp : held) {
            hp = sink::make_hazard_pointer(domain);
        }
        const std::size_t records = domain.stats().records;
        for (int i = 0; i < 100; ++i) {
            EXPECT_EQ(m.load(i), i);
        }
        for (int i = 0; i < 100; i += 2) {
            EXPECT_TRUE(m.erase(i));
        }
        EXPECT_EQ(domain.stats().records, records) << "a walk took general slots";
    }).join();
}

// The same for lookups that fall back on the general walk: heads not in the
// list yet (they join lazily, and reserve() grew the table), so each first
// lookup of a section gives up its walk over live nodes, gives its two
// slots back and walks with a cursor's five.
TEST(MapCursorSlots, ALookupsGeneralWalkTakesTheCursorSlotsNotGeneralOnes) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    concurrent_map<int, int> m(on(domain));
    for (int i = 0; i < 100; ++i) {
        m.store(i, i);
    }
    m.reserve(100000);
    const std::uint64_t installed = m.stats().heads_installed;
    std::thread([&] {
        std::array<hazard_pointer, sink::detail::slots_per_record> held;
        for (hazard_pointer& hp : held) {
            hp = sink::make_hazard_pointer(domain);
        }
        const std::size_t records = domain.stats().records;
        for (int i = 0; i < 100; ++i) {
            EXPECT_EQ(m.load(i), i);
        }
        EXPECT_EQ(domain.stats().records, records) << "a lookup took general slots";
    }).join();
    EXPECT_GT(m.stats().heads_installed, installed) << "no lookup took the general walk";
}

// A value whose objects are listed while they live (a store in its
// destructor would be removed as dead by the compiler).
struct canary {
    static inline std::set<const canary*> living;
    canary() { living.insert(this); }
    canary(const canary&) { living.insert(this); }
    ~canary() { living.erase(this); }
    bool alive() const { return living.count(this) != 0; }
};

// An iterator keeps the cursor slot its walk found the entry with. Later
// walks of the same thread must leave that slot alone (they take general
// slots): the entry, erased meanwhile, stays alive through a drain until
// the iterator lets go. Fault CURSOR_SLOTS_UNCHECKED takes the cursor slots
// anyway (and gives them all back at the walk's end), and the drain
// destroys the iterator's entry under it. (Nothing is allocated after the
// erase, so the entry's memory is not reused meanwhile.) Run on a domain of
// its own (cursor slots taken through the library) and on the default
// domain (taken inline in the walk).
void an_iterators_slot_is_not_taken_by_the_next_walk(hazard_pointer_domain& domain) {
    {
        concurrent_map<int, canary> m(on(domain));
        m.store(1, canary{});
        auto it = m.begin();
        ASSERT_NE(it, m.end());
        EXPECT_TRUE(m.erase(1));
        for (int i = 0; i < 10; ++i) {
            EXPECT_FALSE(m.contains(i + 1));  // more walks
        }
        domain.drain();
        ASSERT_TRUE(it->second.alive()) << "the iterator's entry was destroyed while it held it";
        ++it;
        EXPECT_EQ(it, m.end());
    }
    domain.drain();
}

TEST(MapCursorSlots, AnIteratorsSlotIsNotTakenByTheNextWalk) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    an_iterators_slot_is_not_taken_by_the_next_walk(domain);
}

TEST(MapCursorSlots, AnIteratorsSlotIsNotTakenByTheNextWalkOnTheDefaultDomain) {
    an_iterators_slot_is_not_taken_by_the_next_walk(sink::hazard_pointer_default_domain());
}

// The same for a handle: find() moves the slot its walk found the entry
// with out of the cursor (walk_slot::to_hazard_pointer); the cursor gives
// the other four back, and later walks must leave the handle's alone.
void a_handles_slot_is_not_taken_by_the_next_walk(hazard_pointer_domain& domain) {
    {
        concurrent_map<int, canary> m(on(domain));
        m.store(1, canary{});
        auto h = m.find(1);
        ASSERT_TRUE(h);
        EXPECT_TRUE(m.erase(1));
        for (int i = 0; i < 10; ++i) {
            EXPECT_FALSE(m.contains(i + 1));  // more walks
        }
        domain.drain();
        ASSERT_TRUE(h->alive()) << "the handle's entry was destroyed while it held it";
    }
    domain.drain();
}

TEST(MapCursorSlots, AHandlesSlotIsNotTakenByTheNextWalk) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    a_handles_slot_is_not_taken_by_the_next_walk(domain);
}

TEST(MapCursorSlots, AHandlesSlotIsNotTakenByTheNextWalkOnTheDefaultDomain) {
    a_handles_slot_is_not_taken_by_the_next_walk(sink::hazard_pointer_default_domain());
}

// The inline take (hazard_domain_access::try_take_cursor_slots) checks all
// five slots: an iterator or handle keeps whichever slot its walk ended
// with (the walk swaps them around), so any one still owned must keep the
// next walk off the five, and once it is given back the five are taken again.
TEST(MapCursorSlots, AnyOneOwnedCursorSlotKeepsTheNextWalkOffAllFive) {
    using access = sink::detail::hazard_domain_access;
    constexpr std::size_t n = sink::detail::cursor_slots_per_record;
    hazard_pointer_domain& domain = sink::hazard_pointer_default_domain();
    std::thread([&] {
        // A walk binds the thread's default-domain record and gives its
        // cursor slots back.
        concurrent_map<int, int> m;
        m.store(1, 1);
        EXPECT_EQ(m.load(1), 1);
        auto* const block = access::try_take_cursor_slots(domain);
        ASSERT_NE(block, nullptr) << "the slots of a finished walk are not free";
        for (std::size_t kept = 0; kept < n; ++kept) {
            std::array<hazard_pointer, n> owners;
            for (std::size_t i = 0; i < n; ++i) {
                access::adopt_into(owners[i], block + i);
            }
            for (std::size_t i = 0; i < n; ++i) {
                if (i != kept) {
                    owners[i] = hazard_pointer();  // given back
                }
            }
            EXPECT_EQ(access::try_take_cursor_slots(domain), nullptr) << "cursor slot " << kept << " is still owned";
            owners[kept] = hazard_pointer();
            EXPECT_EQ(access::try_take_cursor_slots(domain), block) << "all five are free again";
        }
        for (std::size_t i = 0; i < n; ++i) {
            hazard_pointer given_back;
            access::adopt_into(given_back, block + i);
        }
    }).join();
}

// The lookup's inline take (hazard_domain_access::try_take_lookup_slots)
// checks the first two cursor slots: either still owned keeps it off them,
// the other three do not matter to it, and while it holds its two a cursor
// is not served from the five.
TEST(MapLookupSlots, ALookupTakesTheFirstTwoCursorSlotsWhenBothAreFree) {
    using access = sink::detail::hazard_domain_access;
    constexpr std::size_t n = sink::detail::cursor_slots_per_record;
    hazard_pointer_domain& domain = sink::hazard_pointer_default_domain();
    std::thread([&] {
        concurrent_map<int, int> m;
        m.store(1, 1);
        EXPECT_EQ(m.load(1), 1);
        auto* const block = access::try_take_lookup_slots(domain);
        ASSERT_NE(block, nullptr) << "the slots of a finished lookup are not free";
        for (std::size_t kept = 0; kept < 2; ++kept) {
            std::array<hazard_pointer, 2> owners;  // the two, taken
            access::adopt_into(owners[0], block);
            access::adopt_into(owners[1], block + 1);
            owners[1 - kept] = hazard_pointer();  // given back
            EXPECT_EQ(access::try_take_lookup_slots(domain), nullptr) << "lookup slot " << kept << " is still owned";
            owners[kept] = hazard_pointer();
            EXPECT_EQ(access::try_take_lookup_slots(domain), block) << "both are free again";  // taken again
            EXPECT_EQ(access::try_take_cursor_slots(domain), nullptr) << "a cursor was served while a lookup held two";
        }
        {
            hazard_pointer a, b;  // gives the two back
            access::adopt_into(a, block);
            access::adopt_into(b, block + 1);
        }
        EXPECT_EQ(m.load(1), 1);
        ASSERT_EQ(access::try_take_cursor_slots(domain), block) << "a lookup did not give its two back";
        {
            std::array<hazard_pointer, n> owners;  // all five, taken
            for (std::size_t i = 0; i < n; ++i) {
                access::adopt_into(owners[i], block + i);
            }
            owners[0] = hazard_pointer();
            owners[1] = hazard_pointer();
            EXPECT_EQ(access::try_take_lookup_slots(domain), block) << "the other three kept a lookup off its two";
            hazard_pointer a, b;
            access::adopt_into(a, block);
            access::adopt_into(b, block + 1);
        }  // all five given back
        EXPECT_EQ(m.load(1), 1);
        EXPECT_EQ(access::try_take_lookup_slots(domain), block);
        hazard_pointer a, b;
        access::adopt_into(a, block);
        access::adopt_into(b, block + 1);
    }).join();
}

// find() hands out the slot that protects the entry found, whichever of the
// lookup's two slots that is at the step it was found (they take turns):
// every key of a map whose sections hold a few entries each is found,
// erased and drained, and must still be alive in its handle.
void every_handle_keeps_its_entry(hazard_pointer_domain& domain) {
    {
        concurrent_map<int, canary> m(on(domain));
        for (int k = 0; k < 300; ++k) {
            m.store(k, canary{});
        }
        ASSERT_GT(m.stats().table_width, 3u) << "sections of one entry or two are wanted";
        for (int k = 0; k < 300; ++k) {
            auto h = m.find(k);
            ASSERT_TRUE(h) << k;
            EXPECT_TRUE(m.erase(k));
            domain.drain();
            ASSERT_TRUE(h->alive()) << "the handle of key " << k << " does not protect its entry";
        }
    }
    domain.drain();
}

TEST(MapLookupSlots, EveryHandleKeepsItsEntry) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    every_handle_keeps_its_entry(domain);
}

TEST(MapLookupSlots, EveryHandleKeepsItsEntryOnTheDefaultDomain) {
    every_handle_keeps_its_entry(sink::hazard_pointer_default_domain());
}

// A lookup whose section head is not in the list yet (a reserve() grew the
// table; heads join lazily) gives up its walk over live nodes; the general
// walk installs the head, finds the entry and hands its slot to the
// lookup, and so to the handle.
TEST(MapLookupSlots, AHandleFromTheGeneralWalkKeepsItsEntry) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        concurrent_map<int, canary> m(on(domain));
        for (int k = 0; k < 50; ++k) {
            m.store(k, canary{});
        }
        m.reserve(100000);
        const std::uint64_t installed = m.stats().heads_installed;
        for (int k = 0; k < 50; ++k) {
            auto h = m.find(k);
            ASSERT_TRUE(h) << k;
            EXPECT_TRUE(m.erase(k));
            domain.drain();
            ASSERT_TRUE(h->alive()) << "the handle of key " << k << " does not protect its entry";
        }
        EXPECT_GT(m.stats().heads_installed, installed) << "no lookup took the general walk";
    }
    domain.drain();
}

// visit() holds its lookup's two slots while its function runs: lookups,
// finds and writes made from inside take other slots, and the entry being
// visited stays protected through an erase and a drain.
TEST(MapLookupSlots, CallsFromInsideVisitLeaveItsEntryProtected) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    {
        concurrent_map<int, canary> m(on(domain));
        for (int k = 0; k < 100; ++k) {
            m.store(k, canary{});
        }
        const bool visited = m.visit(5, [&](const auto& kv) {
            EXPECT_TRUE(m.erase(5));
            for (int k = 0; k < 100; ++k) {
                EXPECT_EQ(m.contains(k), k != 5);
            }
            auto h = m.find(7);
            EXPECT_TRUE(h);
            m.store(500, canary{});
            domain.drain();
            EXPECT_TRUE(kv.second.alive()) << "the visited entry was destroyed while visit held it";
        });
        EXPECT_TRUE(visited);
    }
    domain.drain();
}

}  // namespace
