// Walks over the whole list (map_core's members, by protocol: map_core.hpp
// has the class): iteration, whose position after a yielded entry survives
// that entry (docs/design.md, "iteration"), clear(), and the compacting walk
// that clear() is made of.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "sink/detail/map_core.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

// Visits live entries in list order: f(const live_entry&) returns false to
// stop. With values in place the entry's word is read once, after the walk
// showed the entry live (a value the entry had while live). Weakly
// consistent; see docs/design.md ("iteration").
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
template <class F>
void map_core<Key, T, Hash, KeyEqual, Allocator>::for_each(F&& f) const {
    cursor c = new_cursor();
    position pos;
    if (!first_after(c, pos, true)) {
        return;
    }
    for (;;) {
        live_entry live{static_cast<entry*>(c.cur), 0};
        if constexpr (types::values_in_place) {
            live.word = live.e->next.load_word(mo_acquire);
        }
        if (!f(std::as_const(live))) {
            return;
        }
        if (!next_after(c, pos)) {
            return;
        }
    }
}

// Moves c to the first live entry after `pos` (starting afresh from the
// section heads when `restart`) and sets `pos` to its position; false at the end
// of the list.
//
// An entry is after `pos` if its order is higher, or equal with a lower
// stamp. Its position is read (its stamp, stamping it if need be; for a
// plain entry, the clock) BEFORE the load of its `next` that shows it
// live, and that load is the one the yield relies on: then no entry of
// the same key linked later can carry a lower stamp (docs/design.md,
// "iteration"), which is what keeps a restart from yielding the key
// again.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::first_after(cursor& c, position& pos, bool restart) const {
    for (;;) {
        if (restart) {
            find_start(c, pos.order);
        }
        restart = true;
        for (;;) {
            c.examine();
            node* n = c.cur;
            if (n == end_) {
                return false;
            }
            // (A head is passed without its order: the positions are entries'.)
            if (!is_frozen(c.cur_link) && !c.cur_is_head() && n->order >= pos.order) {
                const bool plain = !is_stamped_order(n->order);
                position here;
                if (!plain) {
                    here = position{n->order, stamp_of(stamped(n))};
                } else if (!fault::unstamped_plain_position && !stamp_part_front(c)) {
                    continue;  // n changed meanwhile: examine it again
                } else if constexpr (!fault::clock_after_validation) {
                    here = plain_position(n);
                }
                c.examine();  // the load after the position (see above)
                if (is_frozen(c.cur_link)) {
                    continue;  // frozen meanwhile: step over it below
                }
                if (plain) {
                    stall::at(stall::site::plain_yield);
                    if constexpr (fault::clock_after_validation) {
                        here = plain_position(n);  // the fault: read after the validating load
                    }
                }
                if (n->order > pos.order || here.stamp < pos.stamp) {
                    pos = here;
                    return true;
                }
            }
            if (c.advance() == step_result::restart) {
                break;
            }
        }
    }
}

// c.cur is a plain entry, live as last examined. Stamps its successor if
// that is the front of the group's stamped part: every stamped entry of
// the group then has a stamp no higher than the clock reads after this
// (the front's stamp is the part's highest: invariant 7). False if
// c.cur's next changed meanwhile.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::stamp_part_front(cursor& c) const noexcept {
    node* y = target<types>(c.cur_link);
    stall::at(stall::site::plain_front);
    c.hp_next.reset_protection(y);
    // c.cur still live with the same next: y is in the list, protected.
    if (!fault::skip_front_validation && c.cur->next.load(mo_acquire) != c.cur_link) {
        c.hp_next.reset_protection(nullptr);
        return false;
    }
    if (!is_head_ref(c.cur_link) && y->order == stamped_order(c.cur->order)) {
        stamp_of(stamped(y));
    }
    // Let y go: the walk protects what it steps onto itself. Left here,
    // the protection would only delay y's reclamation (and hide from the
    // fault builds a step that skips its validation).
    c.hp_next.reset_protection(nullptr);
    return true;
}

// The position after plain entry n, read after stamp_part_front.
// Acquire: a stamping that this load reads (or one before it: all clock
// writes are RMWs) happens-before the load of n's next that follows. So
// a key stamped at or below the value read was linked before that load.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
auto map_core<Key, T, Hash, KeyEqual, Allocator>::plain_position(const node* n) const noexcept -> position {
    if constexpr (fault::plain_position_at_top) {
        return position{stamped_order(n->order), ~std::uint64_t{0}};  // the fault
    }
    return position{stamped_order(n->order), clock_of(n->order).load(mo_acquire) + 1};
}

// From the entry c stands on (whose position is `pos`) to the next one.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::next_after(cursor& c, position& pos) const {
    if (c.advance() == step_result::restart) {
        return first_after(c, pos, true);
    }
    return first_after(c, pos, false);
}

// Erases every entry that is in the map when the walk reaches it.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::clear() {
    cursor c = new_cursor();
    bool froze_any = false;
    full_walk(c, [this, &froze_any](link ref, link l) {
        if (is_head_ref(ref)) {
            return false;
        }
        node* n = target<types>(ref);
        if (!is_entry_order(n->order)) {
            return false;
        }
        link expected = l;
        stall::at(stall::site::erase);
        // LP (of erasing this entry): as in erase_live. Only the CAS that
        // froze the entry counts it out: a failed one met a newer
        // version or another erase, which is examined again.
        if (cas_next<types>(ref, expected, l | frozen_bit, mo_acq_rel, mo_acquire) ||
            fault::clear_counts_lost_cas) {
            size_.add(-1);
            froze_any = true;
        }
        return true;  // re-examine: it is frozen now (or changed)
    });
    c.hp_start.reset_protection();  // the walk is over (see give_back_memory)
    try {
        request_resize(current_width(), 0);
    } catch (...) {
        // Every entry is erased already; the width just stays as large.
    }
    // A clear that erased nothing has nothing to give back, and does not
    // drain the domain (a drain takes every thread's retired stack: a
    // loop clearing an empty map beside writers of other maps would
    // keep doing their scans).
    give_back_memory(/*trim=*/true, /*drain=*/froze_any);
}

// A compacting walk over the whole list. `visit(ref, link)` is called on
// live nodes other than the end sentinel; it returns true if it changed
// the node (which is then examined again).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
template <class Visit>
void map_core<Key, T, Hash, KeyEqual, Allocator>::full_walk(cursor& c, Visit&& visit) const {
    for (;;) {
        c.hp_anchor.reset_protection(start_);  // the start sentinel is never retired
        if (c.begin_at(link_to<types>(start_)) != step_result::ok) {
            continue;
        }
        bool restart = false;
        while (!restart) {
            c.examine();
            if (is_frozen(c.cur_link)) {
                if (!c.in_run) {
                    std::size_t retired = 0;
                    const auto r = c.cut_run(retired);
                    count_cut(r, retired);
                    if (r != cursor::cut_result::skipped) {
                        restart = r == cursor::cut_result::restart;
                        continue;
                    }
                    // No room to retire: step through the run.
                }
            } else {
                if (c.cur == end_) {
                    return;
                }
                if (visit(c.cur_ref, c.cur_link)) {
                    continue;
                }
            }
            restart = c.advance() == step_result::restart;
        }
    }
}

}  // namespace detail
SINK_END_NAMESPACE
