// map_core::verify(): every structural invariant of the list and its section heads,
// checked on a quiescent map (the stress harness, Relacy and the unit tests
// call it after their runs; docs/verification.md).
#pragma once

#include <cstddef>
#include <bit>
#include <cstdint>
#include <string>
#include <utility>

#include "sink/detail/map_core.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
concurrent_map_check map_core<Key, T, Hash, KeyEqual, Allocator>::verify() const {
    concurrent_map_check check;
    auto fail = [&check](std::string what) {
        if (check.problem.empty()) {
            check.problem = std::move(what);
        }
    };
    // The list: sorted by (order, descending stamp), ends at the end sentinel,
    // at most one live entry per key, at most one live plain entry per group.
    // (Positions are refs, map_node.hpp: a head has no order field, and
    // its order is the one its place in its segment gives.)
    link group_first = 0;               // first node of the current group (equal base order)
    std::size_t live_plain = 0;         // live plain entries seen in it
    const std::uint64_t shape = shape_.load(mo_acquire);
    const unsigned width = shape_width(shape);
    std::size_t steps = 0;
    std::uint64_t prev_order = 0;   // the start sentinel's
    link prev = link_to<types>(start_);
    for (link n = ref_of(start_->next.load(mo_acquire)); n != 0; prev = n, n = ref_of(load_next<types>(n, mo_acquire))) {
        if (++steps > (std::size_t{1} << 40)) {
            fail("the list does not end");
            break;
        }
        const link l = load_next<types>(n, mo_acquire);
        if (target<types>(n) == end_) {
            if (l != 0) {
                fail("the end sentinel has a successor");
            }
            break;
        }
        if (is_head_ref(n)) {
            // A head in the list is one of a segment in the directory (its
            // order is then its place there), in a segment the width reaches
            // (or the one a shrink under way is taking out), released by its
            // installer, and live unless that shrink has not cut it yet.
            const unsigned level = head_level_of(n);
            std::uint64_t o = 0;
            if (level == 0 || level > max_table_width || !order_of_head<types>(segments_, n, o)) {
                fail("a head of level " + std::to_string(level) + " in the list is not in its segment");
                prev_order = 0;
                group_first = n;
                continue;
            }
            if (o < prev_order) {
                fail("the list is out of order");
            }
            prev_order = o;
            group_first = n;
            live_plain = 0;
            if (level > width + (shape_shrinking(shape) ? 1 : 0)) {
                fail("a head of a level above the width is in the list");
            } else if ((l & claimed_bit) != 0) {
                fail("a head in the list is still claimed");
            } else if (is_frozen(l) && level != width + 1) {
                fail("a frozen head is in the list");
            }
            if (!is_frozen(l)) {
                ++check.live_heads;
            }
            continue;
        }
        const node* node_n = target<types>(n);
        const std::uint64_t order = node_n->order;
        if (!is_entry_order(order)) {
            fail("a node of order " + std::to_string(order) + " in the list is neither an entry nor a head");
            continue;
        }
        if (order < prev_order) {
            fail("the list is out of order");
        }
        if (is_stamped_order(order) && order == prev_order && !is_head_ref(prev)) {
            // Only the front of a stamped part may still be unstamped (its
            // successor in the part was stamped before it was linked).
            const std::uint64_t stamp = static_cast<const stamped_entry*>(node_n)->stamp.load(mo_acquire);
            const std::uint64_t before =
                static_cast<const stamped_entry*>(target<types>(prev))->stamp.load(mo_acquire);
            if (stamp == stamped_entry::unstamped) {
                fail("an entry behind its stamped part's front is unstamped");
            } else if (before != stamped_entry::unstamped && stamp > before) {
                fail("a group is out of stamp order");
            }
        }
        if (is_head_ref(prev) || target<types>(prev) == start_ || base_order(order) != base_order(prev_order)) {
            group_first = n;
            live_plain = 0;
        }
        prev_order = order;
        if (is_frozen(l)) {
            ++check.frozen_nodes;
            continue;
        }
        ++check.live_entries;
        if (!is_stamped_order(order) && ++live_plain == 2) {
            fail("a group has two live plain entries");
        }
        for (link m = group_first; m != n; m = ref_of(load_next<types>(m, mo_acquire))) {
            if (!is_head_ref(m) && !is_frozen(load_next<types>(m, mo_acquire)) &&
                eq_(types::key_of(static_cast<const entry*>(target<types>(m))),
                    types::key_of(static_cast<const entry*>(node_n)))) {
                fail("a key has two live entries");
            }
        }
    }
    if (check.live_entries != size()) {
        fail("size() is " + std::to_string(size()) + " but the list has " + std::to_string(check.live_entries) +
             " live entries");
    }
    // The heads: every segment up to the width is in the directory; every
    // head that says it is in the list is (the count of linked heads in the
    // segments equals the count of heads found above), none is claimed;
    // a segment above the width is unused (every head unlinked).
    std::size_t linked_heads = 0;
    for (unsigned level = 1; level <= max_table_width; ++level) {
        segment* seg = segments_[level].load(mo_acquire);
        if (seg == nullptr) {
            if (level <= width) {
                fail("the segment of level " + std::to_string(level) + " is missing");
            }
            continue;
        }
        for (std::uint64_t i = 0; i < heads_in_segment(level); ++i) {
            const link l = seg->head(i).next.load(mo_acquire);
            if (level > width && !(shape_shrinking(shape) && level == width + 1) && l != 0) {
                fail("a head above the width was used");
            }
            if ((l & claimed_bit) != 0) {
                fail("a head is still claimed");
            }
            if (l != 0 && !is_frozen(l)) {
                ++linked_heads;
            }
        }
    }
    if (linked_heads != check.live_heads) {
        fail(std::to_string(linked_heads) + " heads say they are in the list, " + std::to_string(check.live_heads) +
             " are");
    }
    if (shape_shrinking(shape)) {
        fail("a shrink was left unfinished");
    }
    return check;
}

}  // namespace detail
SINK_END_NAMESPACE
