// The cursor slots of a hazard record (detail/hazard_record.hpp): a walk
// takes them without a scan when all are free, and takes general slots when
// one of them is still owned, by an iterator that kept the slot its walk
// found its entry with.
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
// five slots are the record's cursor slots. (An insert also saves its
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

}  // namespace
