// Section heads (detail/map_heads.hpp): a head is its `next` alone, and a
// walk that steps onto one finds its order from the link that led there
// (the head mark and the level) and the segment directory. These tests
// drive that addressing directly, on segments and a directory of their
// own; the map's own tests drive it through walks.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <utility>

#include "sink/concurrent_map.hpp"

namespace {

using namespace sink::detail;
using link = sink::detail::link;
using types = map_types<std::uint64_t, std::uint64_t, std::allocator<std::pair<const std::uint64_t, std::uint64_t>>>;
using segment = head_segment<types>;

// A directory of its own, with a pool (segments allocate through the
// map's allocator, which the pool holds), freeing what it holds.
struct directory {
    node_pool_base* pool = types::make_pool(types::allocator_type());
    atomic<segment*> levels[max_table_width + 1];
    directory() {
        for (auto& l : levels) {
            l.store(nullptr, mo_relaxed);
        }
    }
    ~directory() {
        for (auto& l : levels) {
            if (segment* s = l.load(mo_relaxed)) {
                segment::destroy(s);
            }
        }
        if (pool != nullptr) {
            pool->close();
        }
    }
    segment* make(unsigned level) { return segment::make(level, pool); }
    segment* add(unsigned level) {
        segment* s = make(level);
        levels[level].store(s, mo_relaxed);
        return s;
    }
};

TEST(SectionHeads, AHeadIsItsNextAlone) {
    static_assert(sizeof(map_head) == sizeof(link));
    // The level fits above every user-space address, and the mark below
    // the alignment of a head.
    static_assert(alignof(map_head) >= 8);
    map_head h(0);
    const link ref = link_to_head(&h, max_table_width);
    EXPECT_TRUE(is_head_ref(ref));
    EXPECT_EQ(head_level_of(ref), max_table_width);
    EXPECT_EQ(head_at(ref), &h);
    EXPECT_EQ(ref_of(ref | frozen_bit | claimed_bit), ref) << "the flags say nothing of the successor";
    EXPECT_FALSE(is_head_ref(link_to<types>(nullptr)));
}

// Every head of levels 1 to 6 reads the order of its place: its prefix
// (index, then a one) followed by zeros.
TEST(SectionHeads, AHeadsOrderFollowsFromItsPlace) {
    directory d;
    for (unsigned level = 1; level <= 6; ++level) {
        segment* s = d.add(level);
        for (std::uint64_t i = 0; i < heads_in_segment(level); ++i) {
            std::uint64_t order = 0;
            ASSERT_TRUE(order_of_head<types>(d.levels, link_to_head(&s->head(i), level), order));
            EXPECT_EQ(order, ((i << 1) | 1) << (64 - level)) << "level " << level << ", index " << i;
            EXPECT_EQ(place_of(prefix_of(order, level), level).index, i);
        }
    }
}

// A head whose segment has left the directory has no order, also when the
// directory holds another segment at its level now (a shrink took the
// head's out, a grow put a new one there): the index would be computed
// from the wrong segment's address. Fault HEAD_ORDER_UNCHECKED computes it
// anyway.
TEST(SectionHeads, AHeadOfASegmentThatLeftTheDirectoryHasNoOrder) {
    directory d;
    const unsigned level = 3;
    segment* gone = d.make(level);
    std::uint64_t order = 0;
    for (std::uint64_t i = 0; i < heads_in_segment(level); ++i) {
        EXPECT_FALSE(order_of_head<types>(d.levels, link_to_head(&gone->head(i), level), order))
            << "no segment at the level";
    }
    d.add(level);
    for (std::uint64_t i = 0; i < heads_in_segment(level); ++i) {
        EXPECT_FALSE(order_of_head<types>(d.levels, link_to_head(&gone->head(i), level), order))
            << "another segment at the level, index " << i;
    }
    segment::destroy(gone);
}

}  // namespace
