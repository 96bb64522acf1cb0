// The jump table of sink::concurrent_map (map_core's members, by protocol:
// map_core.hpp has the class). A table of 2^width slots, one per section of
// the list; a filled slot holds the section's waypoint, a node in the list
// whose order is the section's first. A walk starts at the slot of its key's
// section (find_start) and fills an empty slot on the way (install_waypoint).
// A waypoint counts the slots that hold it (slot_refs) and is deleted only
// when none does (items 4 and 12 of docs/design.md). The table is never
// changed in size: a resize publishes a new table that points at the old
// one, and a sweep expunges every old slot, carrying its waypoint over or
// deleting it; the thread that ends the sweep retires the old table
// (item 5). Resizes are asked for by two local heuristics, checked against
// the whole map's load: a long walk through a section grows the table, a
// run of empty sections shrinks it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "sink/detail/map_core.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::reserve(std::size_t n) {
    const std::size_t per_section = std::max<std::size_t>(1, options_.grow_on_insert_count / 2);
    unsigned want = 0;
    while (want < max_table_width && (std::size_t{1} << want) * per_section < n) {
        ++want;
    }
    for (int attempts = 0; attempts < 64; ++attempts) {
        const unsigned width = current_width();
        if (width >= want && !sweep_pending()) {
            return;
        }
        resize(width, static_cast<int>(std::max(width, want)));
    }
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
concurrent_map_stats map_core<Key, T, Hash, KeyEqual, Allocator>::stats() const {
    concurrent_map_stats s;
    hazard_pointer hp = make_hazard_pointer(*domain_);
    table* t = hp.protect(current_);
    s.table_width = t->width;
    s.sections = t->size;
    for (std::size_t i = 0; i < t->size; ++i) {
        node* w = t->slot(i).load(mo_acquire);
        if (w != nullptr && w != table::expunged()) {
            ++s.waypoints;
        }
    }
    s.grows = grows_.load(mo_relaxed);
    s.shrinks = shrinks_.load(mo_relaxed);
    s.node_pool_bytes = pool_ != nullptr ? pool_->bytes_held() : 0;
    s.compactions = static_cast<std::uint64_t>(compactions_.sum());
    s.nodes_retired = static_cast<std::uint64_t>(retired_.sum());
    s.waypoints_created = static_cast<std::uint64_t>(waypoints_created_.sum());
    return s;
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
unsigned map_core<Key, T, Hash, KeyEqual, Allocator>::current_width() const {
    hazard_pointer hp = make_hazard_pointer(*domain_);
    return hp.protect(current_)->width;
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::sweep_pending() const {
    hazard_pointer hp = make_hazard_pointer(*domain_);
    return hp.protect(current_)->old.load(mo_acquire) != nullptr;
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
auto map_core<Key, T, Hash, KeyEqual, Allocator>::protect_slot(hazard_pointer& hp,
                                                               const typename table::slot_type& slot) noexcept
    -> node* {
    return hp.protect(slot, [](node* p) noexcept { return p == table::expunged() ? nullptr : p; });
}

// Positions c at a live waypoint whose order is at most `order` (the
// start of the key's section), with cur its successor.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::find_start(cursor& c, std::uint64_t order) const {
    for (;;) {
        // The table: retired only after it is replaced and swept, and
        // current_ no longer points at it (item 5).
        table* t = c.hp_table.protect(current_);
        c.width = t->width;
        const std::size_t i = t->index(order);
        // The waypoint: a slot that still holds it after the publish
        // proves it was not yet deleted, because a waypoint is deleted only
        // once no slot holds it (slot_refs, item 4).
        node* w = protect_slot(c.hp_anchor, t->slot(i));
        if (w == table::expunged()) {
            continue;  // t was replaced; current_ has moved on
        }
        if (w == nullptr) {
            // While a resize is being swept, the replaced table still has a
            // waypoint for this section (or one before it).
            if (start_from_old_table(c, t, order)) {
                return;
            }
            w = install_waypoint(c, t, i);
            if (w == nullptr) {
                continue;
            }
        }
        if (c.begin_at(w) == step_result::ok) {
            return;
        }
    }
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::start_from_old_table(cursor& c, table* t, std::uint64_t order) const {
    // hp_next is free while a walk has not begun.
    table* old = c.hp_next.protect(t->old);
    if (old == nullptr) {
        return false;
    }
    node* w = protect_slot(c.hp_anchor, old->slot(old->index(order)));
    if (w == nullptr || w == table::expunged()) {
        return false;
    }
    return c.begin_at(w) == step_result::ok;
}

// Fills empty slot i of t: adopts the live waypoint of its order if the
// list has one, or links a new one. Returns it protected in hp_anchor, or
// nullptr when the caller must look again (t was replaced, or the
// waypoint is being deleted). May throw bad_alloc.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
auto map_core<Key, T, Hash, KeyEqual, Allocator>::install_waypoint(cursor& c, table* t, std::size_t i) const -> node* {
    const std::uint64_t order = t->waypoint_order(i);
    bool compact = false;
    for (;;) {
        // Start from the nearest filled slot below (slot 0: the start).
        std::size_t j = i;
        node* from = nullptr;
        while (from == nullptr) {
            --j;
            from = protect_slot(c.hp_anchor, t->slot(j));
            if (from == table::expunged()) {
                return nullptr;
            }
        }
        if (c.begin_at(from) != step_result::ok) {
            return nullptr;
        }
        const walk_status status = walk(c, order, any_live_node, compact, /*need_boundary=*/false);
        if (status == walk_status::restart) {
            return nullptr;
        }
        node* w = nullptr;
        if (status == walk_status::found) {
            w = c.cur;
            c.hp_next.swap(c.hp_cur);  // keep w protected in hp_next
        } else {
            if (!c.insert_direct()) {
                compact = true;
                continue;
            }
            waypoint* fresh = types::make_waypoint(pool_, order);
            node* succ = c.insert_succ();
            fresh->next.store(link_to<types>(succ), mo_relaxed);
            // Protect it before it becomes reachable: from the moment it is
            // linked another thread could (in a shrink sweep) delete it.
            c.hp_next.reset_protection(fresh);
            link expected = link_to<types>(succ);
            // Release: publishes the waypoint's fields with the link.
            if (!c.insert_prev()->next.compare_exchange_strong(expected, link_to<types>(fresh), mo_acq_rel,
                                                               mo_acquire)) {
                types::destroy(fresh);
                compact = true;
                continue;
            }
            waypoints_created_.add(1);
            w = fresh;
        }
        // Install: take a slot reference first (fails once the waypoint is
        // being deleted), then the slot.
        if (order != 0 && !try_ref(static_cast<waypoint*>(w))) {
            // Its deleter may be stalled between marking it dead and
            // freezing it: freeze it ourselves, or the next look would
            // find it live and fail here again (item 12). Frozen, it is
            // skipped, and the next look links a new waypoint.
            help_waypoint_delete(w);
            return nullptr;
        }
        node* empty = nullptr;
        stall::at(stall::site::waypoint);
        // Release: a reader that finds w in the slot (acquire) sees its
        // fields. Never succeeds on an expunged slot.
        if (t->slot(i).compare_exchange_strong(empty, w, mo_acq_rel, mo_acquire) || empty == w) {
            if (empty == w) {
                unref(static_cast<waypoint*>(w));  // someone else's install holds the reference
            }
            c.hp_anchor.swap(c.hp_next);
            return w;
        }
        // Expunged: t was replaced. If we linked w it stays in the list
        // as an orphan; a later table adopts it or a shrink deletes it.
        unref(static_cast<waypoint*>(w));
        return nullptr;
    }
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::try_ref(waypoint* w) noexcept {
    std::uint32_t r = w->slot_refs.load(mo_relaxed);
    do {
        if ((r & waypoint::dead) != 0) {
            return false;
        }
        // Acq_rel: totally ordered with the 0 -> dead CAS of a deleter.
    } while (!w->slot_refs.compare_exchange_weak(r, r + 1, mo_acq_rel, mo_relaxed));
    return true;
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::unref(waypoint* w) noexcept {
    if (w->order == 0) {
        return;  // the start sentinel is never deleted
    }
    // Release: the change of the slot that held w happens-before a
    // deleter's acquire CAS that reads the count this leaves.
    w->slot_refs.fetch_sub(1, mo_release);
}

// Deletes waypoint w if no slot holds it or can come to, in two steps:
// the CAS of slot_refs from 0 to dead makes every later try_ref fail,
// then the freeze. A thread that finds the count dead on a waypoint that
// is not frozen yet finishes the freeze itself
// (help_waypoint_delete), so nobody waits for a deleter stalled between
// the two.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::try_delete_waypoint(node* n) noexcept {
    waypoint* w = static_cast<waypoint*>(n);
    std::uint32_t zero = 0;
    if (w->order == 0) {
        return false;
    }
    if (!fault::ignore_slot_refs &&
        !w->slot_refs.compare_exchange_strong(zero, waypoint::dead, mo_acq_rel, mo_relaxed)) {
        if (zero == waypoint::dead) {
            help_waypoint_delete(w);  // another deleter's: the shrink's walk finishes it too
            return !fault::unhelped_waypoint_delete;
        }
        return false;
    }
    stall::at(stall::site::waypoint_delete);
    finish_waypoint_delete(w);
    return true;
}

// What a thread that found w dead does (the caller protects w).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::help_waypoint_delete(node* w) noexcept {
    if constexpr (!fault::unhelped_waypoint_delete) {  // the fault: wait for the deleter instead
        finish_waypoint_delete(w);
    }
}

// The second step of a waypoint's deletion, by its deleter or a helper.
// Idempotent.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::finish_waypoint_delete(node* w) noexcept {
    link l = w->next.load(mo_acquire);
    // Dead, so no slot gets w any more; only inserts after w change its
    // next now, never to a frozen value. Acq_rel as every CAS on a next.
    while (!is_frozen(l) && !w->next.compare_exchange_weak(l, l | frozen_bit, mo_acq_rel, mo_acquire)) {
    }
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::after_insert(cursor& c) const noexcept {
    if (options_.grow_on_insert_count > 0 && c.live_passed > options_.grow_on_insert_count &&
        load_allows(c.width, options_.grow_min_load_percent, /*at_least=*/true)) {
        // The walk is over: its table need not stay protected, and the
        // drain at the end of the sweep can free it if it is the old one.
        c.hp_table.reset_protection();
        request_resize(c.width, static_cast<int>(c.width + options_.grow_amount));
    }
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::after_erase(cursor& c, std::uint64_t order) const noexcept {
    compact_frozen(c, order);
    if (options_.shrink_on_empty_count == 0 || c.width == 0) {
        return;
    }
    if (empty_sections_from(c) >= options_.shrink_on_empty_count &&
        load_allows(c.width, options_.shrink_max_load_percent, /*at_least=*/false)) {
        c.hp_table.reset_protection();  // as in after_insert
        request_resize(c.width, static_cast<int>(c.width) - static_cast<int>(options_.shrink_amount));
    }
}

// The whole-map condition on a resize that a local heuristic asked for:
// the load (entries per 100 sections of a table of `width`) is at least
// (or at most) `percent`. Only read when a heuristic fired, so the sum
// over the size counter's cells stays off the common path.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::load_allows(unsigned width, std::size_t percent,
                                                              bool at_least) const noexcept {
    if (percent == 0) {
        return true;
    }
    const std::size_t entries = size();
    const std::size_t sections = std::size_t{1} << width;
    // entries * 100 >= sections * percent, without overflow for any
    // width up to max_table_width (2^40 * 100 * percent fits unless the
    // percent is absurd; saturate then).
    const std::size_t scaled_entries = entries > SIZE_MAX / 100 ? SIZE_MAX : entries * 100;
    const std::size_t scaled_sections = percent > SIZE_MAX / sections ? SIZE_MAX : sections * percent;
    return at_least ? scaled_entries >= scaled_sections : scaled_entries <= scaled_sections;
}

// How many consecutive empty sections start at c's anchor (0 unless the
// anchor is a waypoint and no live entry follows it before the next one).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
std::size_t map_core<Key, T, Hash, KeyEqual, Allocator>::empty_sections_from(cursor& c) const noexcept {
    if (!is_waypoint_order(c.anchor->order) || c.enter() != step_result::ok) {
        return 0;
    }
    std::size_t empty = 0;
    for (int steps = 0; steps < 64; ++steps) {
        c.examine();
        if (!is_frozen(c.cur_link)) {
            if (!is_waypoint_order(c.cur->order)) {
                return empty;  // an entry, or the end
            }
            if (++empty >= options_.shrink_on_empty_count) {
                return empty;
            }
        }
        if (c.advance() == step_result::restart) {
            return 0;
        }
    }
    return empty;
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::request_resize(unsigned from, int to) const noexcept {
    try {
        resize(from, to);
    } catch (...) {
        // A table could not be allocated: the map keeps its size; the
        // operation that asked has already taken effect.
    }
}

// Replaces the table of width `from` by one of width `to` and sweeps the
// old one. Any thread may call it; a resize that finds an earlier one
// unfinished finishes that one instead. Never waits for another thread.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::resize(unsigned from, int to_signed) const {
    hazard_pointer hp = make_hazard_pointer(*domain_);
    table* t = hp.protect(current_);
    if (t->old.load(mo_acquire) != nullptr) {
        sweep(t);  // help the resize under way; a new one waits for a later request
        return;
    }
    const unsigned to = static_cast<unsigned>(std::clamp(to_signed, 0, static_cast<int>(max_table_width)));
    if (t->width != from || to == from) {
        return;
    }
    table* fresh = table::make(to, start_, pool_);
    fresh->old.store(t, mo_relaxed);
    table* expected = t;
    // Acq_rel: release publishes the new table (and its link to the old
    // one) to every thread that loads current_.
    if (!current_.compare_exchange_strong(expected, fresh, mo_acq_rel, mo_acquire)) {
        table::destroy(fresh);  // never published
        return;
    }
    (to > from ? grows_ : shrinks_).fetch_add(1, mo_relaxed);
    if constexpr (fault::early_table_retire) {
        t->retire(map_table_deleter<types>(), *domain_);  // the fault: sweepers still reach t through fresh->old
    }
    hp.reset_protection(fresh);
    stall::at(stall::site::resize);
    if (current_.load(mo_acquire) != fresh) {
        return;  // already replaced again: its sweep was finished by others
    }
    sweep(fresh);
}

// Sweeps t->old (t protected by the caller): expunges every old slot,
// carries its waypoint over to t when t has a slot for it, and, for a
// shrink, deletes the waypoints that t has no slot for. The thread whose
// CAS clears t->old retires the old table (item 5).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::sweep(table* t) const {
    hazard_pointer hp_old = make_hazard_pointer(*domain_);
    table* old = hp_old.protect(t->old);
    if (old == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < old->size - (fault::sweep_skips_last_slot ? 1 : 0); ++i) {
        if (i == old->size / 2) {
            stall::at(stall::site::sweep);
        }
        auto& slot = old->slot(i);
        if (slot.load(mo_acquire) == table::expunged()) {
            continue;
        }
        // Acq_rel: we read the waypoint's fields (acquire); the expunge is
        // ordered before our unref (release) below.
        node* w = slot.exchange(table::expunged(), mo_acq_rel);
        if (w == nullptr || w == table::expunged()) {
            continue;
        }
        // w cannot be deleted before we drop the old slot's reference.
        auto* wp = static_cast<waypoint*>(w);
        // (try_ref cannot fail here: the old slot's reference is still counted.)
        if (t->represents(w->order) && w->order != 0 && try_ref(wp)) {
            node* empty = nullptr;
            if (!t->slot(t->index(w->order)).compare_exchange_strong(empty, w, mo_acq_rel, mo_acquire)) {
                unref(wp);  // t's slot already has it
            }
        }
        unref(wp);
    }
    if (t->width < old->width) {
        delete_unrepresented_waypoints(t);
    }
    table* expected = old;
    if (t->old.compare_exchange_strong(expected, nullptr, mo_acq_rel, mo_acquire) && !fault::early_table_retire) {
        // No slot of `old` holds anything, current_ and t->old no longer
        // point at it: only hazard pointers can, and retire respects them.
        // Nothing of `old` is read after the retire (once hp_old lets go,
        // any thread's drain may free it).
        const bool shrank = t->width < old->width;
        old->retire(map_table_deleter<types>(), *domain_);
        hp_old.reset_protection();
        give_back_memory(/*trim=*/shrank);
    }
}

// After a completed resize or a clear. First the domain is drained:
// a table replaced by a resize is retired when its sweep ends, and
// without a drain it waits for this thread's next scan, which only a
// retire brings (a fill that only inserts never scans: the replaced
// tables, together about the size of the current one, stayed until the
// next erase; the operation that resized no longer protects its start
// table, and the sweep lets go of the old one first). And the erased
// nodes still waiting to be freed (up to about a thousand per thread
// between two scans, spread over every block when keys are erased in
// random order) would keep their blocks, which the trim would then
// list again for reuse, and a listed block stays with the pool after
// its last node is freed (docs/performance.md, "Node pools"). The
// drain frees what this thread and the threads that scanned since
// retired, and no hazard pointer protects; other threads' unscanned
// batches are out of its reach. Resizes are rare (log n of them in a
// fill), so its cost, bounded by the garbage bound, is spread thin. No
// retirer of this thread is open here (this runs after every cut of
// the operation has retired its nodes), so taking its batch is safe.
//
// Then, after a shrink or a clear (`trim`), the pool gives back the
// blocks its idle heaps and listed stack hold with no live node, and
// detaches the others, so that the free of their last node returns
// them. Without it blocks that no allocation comes to use again would
// stay with the map after an erase-everything phase. Lock-free (busy
// heaps are skipped).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::give_back_memory(bool trim, bool drain) const noexcept {
    // (Fault NEVER_SCAN turns these drains off with the scans: its
    // stress run shows the garbage bound broken without them.)
    if (drain && !fault::resize_without_drain && !fault::never_scan) {
        domain_->drain();
    }
    if (trim && pool_ != nullptr && !fault::skip_pool_trim) {
        pool_->trim();
    }
}

// After a shrink: deletes every waypoint (slotted or orphaned) that the
// smaller table has no slot for, unless some slot still holds it.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::delete_unrepresented_waypoints(table* t) const {
    cursor c(*domain_);
    full_walk(c, [t](node* n, link) {
        return is_waypoint_order(n->order) && !t->represents(n->order) && try_delete_waypoint(n);
    });
}

}  // namespace detail
SINK_END_NAMESPACE
