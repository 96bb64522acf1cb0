// map_core::verify(): every structural invariant of the list and the table,
// checked on a quiescent map (the stress harness, Relacy and the unit tests
// call it after their runs; docs/verification.md).
#pragma once

#include <cstddef>
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
    const node* group_first = nullptr;  // first node of the current group (equal base order)
    std::size_t live_plain = 0;         // live plain entries seen in it
    const node* prev = start_;
    std::uint64_t last_waypoint_order = 0;
    std::size_t steps = 0;
    for (const node* n = target<types>(start_->next.load(mo_acquire)); n != nullptr;
         prev = n, n = target<types>(n->next.load(mo_acquire))) {
        if (++steps > (std::size_t{1} << 40)) {
            fail("the list does not end");
            break;
        }
        const link l = n->next.load(mo_acquire);
        if (n == end_) {
            if (l != 0) {
                fail("the end sentinel has a successor");
            }
            break;
        }
        if (n->order < prev->order) {
            fail("the list is out of order");
        }
        if (is_entry_order(n->order) && is_stamped_order(n->order) && n->order == prev->order) {
            // Only the front of a stamped part may still be unstamped (its
            // successor in the part was stamped before it was linked).
            const std::uint64_t stamp = static_cast<const stamped_entry*>(n)->stamp.load(mo_acquire);
            const std::uint64_t before = static_cast<const stamped_entry*>(prev)->stamp.load(mo_acquire);
            if (stamp == stamped_entry::unstamped) {
                fail("an entry behind its stamped part's front is unstamped");
            } else if (before != stamped_entry::unstamped && stamp > before) {
                fail("a group is out of stamp order");
            }
        }
        if (!is_entry_order(n->order) || !is_entry_order(prev->order) ||
            base_order(n->order) != base_order(prev->order)) {
            group_first = n;
            live_plain = 0;
        }
        if (is_frozen(l)) {
            ++check.frozen_nodes;
            continue;
        }
        if (is_waypoint_order(n->order)) {
            if (check.live_waypoints > 0 && n->order == last_waypoint_order) {
                fail("two live waypoints of one order");
            }
            last_waypoint_order = n->order;
            ++check.live_waypoints;
            // Its slot_refs counts exactly the slots of the (only) table that
            // hold it, at most one: its own. A reference too many would keep
            // it from ever being deleted by a shrink.
            if (n != start_) {
                table* t = current_.load(mo_acquire);
                const bool slotted = t->represents(n->order) && t->slot(t->index(n->order)).load(mo_acquire) == n;
                const std::uint32_t refs = static_cast<const waypoint*>(n)->slot_refs.load(mo_acquire);
                if (refs != (slotted ? 1u : 0u)) {
                    fail("the waypoint of order " + std::to_string(n->order) + " counts " + std::to_string(refs) +
                         " slot references but " + (slotted ? "one slot holds" : "no slot holds") + " it");
                }
            }
            continue;
        }
        ++check.live_entries;
        if (!is_stamped_order(n->order) && ++live_plain == 2) {
            fail("a group has two live plain entries");
        }
        for (const node* m = group_first; m != n; m = target<types>(m->next.load(mo_acquire))) {
            if (!is_frozen(m->next.load(mo_acquire)) &&
                eq_(static_cast<const entry*>(m)->value.first, static_cast<const entry*>(n)->value.first)) {
                fail("a key has two live entries");
            }
        }
    }
    if (check.live_entries != size()) {
        fail("size() is " + std::to_string(size()) + " but the list has " + std::to_string(check.live_entries) +
             " live entries");
    }
    // The table: no sweep pending; each filled slot holds a live waypoint of
    // its own order that counts the slot.
    table* t = current_.load(mo_acquire);
    if (t->old.load(mo_acquire) != nullptr) {
        fail("a resize was left unswept");
    }
    for (std::size_t i = 0; i < t->size; ++i) {
        const node* w = t->slot(i).load(mo_acquire);
        if (w == nullptr) {
            continue;
        }
        if (w == table::expunged()) {
            fail("the current table has an expunged slot");
            continue;
        }
        if (w->order != t->waypoint_order(i) || is_frozen(w->next.load(mo_acquire))) {
            fail("slot " + std::to_string(i) + " holds a wrong or deleted waypoint");
        }
        if (i != 0 && (static_cast<const waypoint*>(w)->slot_refs.load(mo_acquire) & waypoint::dead) != 0) {
            fail("slot " + std::to_string(i) + " holds a waypoint marked dead");
        }
    }
    return check;
}

}  // namespace detail
SINK_END_NAMESPACE
