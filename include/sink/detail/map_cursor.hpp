// A hazard-protected position in the map's list, and the steps every walk is
// made of: enter the successor of a live node, step on, cut out a run of
// frozen nodes. The map's operations (map_core.hpp) are loops over these.
//
// The validation rule (reclamation.md item 1): a step from a LIVE node is
// validated by re-reading that node's `next` (a live node is always in the
// list, so an unchanged `next` proves the successor is too). A frozen node's
// `next` never changes, even after the node is cut out, so a step from a
// frozen node is validated against the last live node before its run, the
// `anchor`: the run (immutable) is in the list exactly as long as
// anchor->next still points at its first node.
//
// The cursor keeps a ref (map_node.hpp) of each position beside its
// address: a position may be a section head, which is its `next` alone, and
// the ref says so. `next` is reached through the ref (load_next, cas_next);
// `order` is read only from nodes (cur_order finds a head's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "sink/detail/atomic.hpp"
#include "sink/detail/fault.hpp"
#include "sink/detail/map_heads.hpp"
#include "sink/detail/map_node.hpp"
#include "sink/detail/stall.hpp"
#include "sink/detail/walk_slot.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

enum class step_result { ok, restart };

template <class Types>
struct map_cursor {
    using node = typename Types::node;
    using directory = atomic<head_segment<Types>*>;

    // The five slots in one acquisition (lever 2 of docs/performance.md):
    // the thread's cursor slots when they are free (lever 8), taken in
    // place (lever 9). May throw bad_alloc (the general path), owning
    // nothing then.
    // `heads`: the map's segment directory, where a head's order is found.
    SINK_DETAIL_ALWAYS_INLINE map_cursor(hazard_pointer_domain& d, const directory* heads) : domain(&d), segments(heads) {
        if (slot const s = hazard_domain_access::try_take_cursor_slots(d)) [[likely]] {
            set_slots(s, s + 1, s + 2, s + 3, s + 4);
        } else {
            slot g[cursor_slots_per_record];
            hazard_domain_access::acquire_cursor_slots(d, g);
            set_slots(g[0], g[1], g[2], g[3], g[4]);
        }
    }
    // Gives the slots back. Only hp_cur can have left (to_hazard_pointer, at
    // the end of a walk); the other four still own theirs (walk_slot.hpp).
    SINK_DETAIL_ALWAYS_INLINE ~map_cursor() {
        hp_start.release();
        hp_anchor.release();
        hp_next.release();
        hp_first.release();
        if (!hp_cur.empty()) {
            hp_cur.release();
        }
    }
    map_cursor(const map_cursor&) = delete;
    map_cursor& operator=(const map_cursor&) = delete;

    hazard_pointer_domain* domain;
    const directory* segments;
    walk_slot hp_start;        // scratch for finding the start: a section head being checked or installed
    walk_slot hp_anchor;       // protects anchor
    walk_slot hp_cur;          // protects cur
    walk_slot hp_next;         // protects the node being stepped onto; scratch
    walk_slot hp_first;        // protects the first node of the run cur is in (item 3)
    hazard_pointer hp_prev;    // made on demand: the saved insertion point
    hazard_pointer hp_succ;

    unsigned width = 0;        // the width the walk's start was found at

    // The position. Unset until begin_at() sets the anchor and enter() cur:
    // a cursor is always started before it is read (and storing zeros here
    // first cost a lookup 9 instructions: docs/performance.md, lever 14).
    node* anchor;              // last live node passed; in the list when validated
    link anchor_ref;           // its ref (a head, a node)
    link anchor_link;          // anchor->next as last read (never frozen)
    node* cur;                 // the node under examination (an entry only if cur_ref says so)
    link cur_ref;              // its ref
    link cur_link;             // cur->next as last read
    bool in_run;               // cur lies inside a frozen run after anchor

    // The insertion point of a new key (the front of its group), saved when
    // a walk steps into the group; otherwise it is (anchor, cur). The rest
    // is read only when boundary_saved (save_boundary() sets it all).
    bool boundary_saved = false;
    link prev_ref;
    link prev_link;            // prev->next as read (succ, or a node before it)
    link succ_ref;
    bool direct;               // succ was prev's immediate successor

    std::size_t live_passed = 0;  // live entries stepped over (grow heuristic)

    // Starts at `w` (the ref of a section head or the start sentinel), which
    // hp_anchor protects and which was found usable.
    step_result begin_at(link w) noexcept {
        // Acquire: w's successor was initialised before the release CAS that
        // linked it, and this load is how we come to read it.
        return begin_at(w, load_next<Types>(w, mo_acquire));
    }
    // The same with w->next already read (acquire) after w was protected.
    step_result begin_at(link w, link l) noexcept {
        if (is_frozen(l)) {
            return step_result::restart;  // a shrink took w: look it up again
        }
        anchor = target<Types>(w);
        anchor_ref = w;
        anchor_link = l;
        live_passed = 0;
        boundary_saved = false;
        return enter();
    }

    // cur := anchor's successor, protected and validated.
    step_result enter() noexcept {
        for (;;) {
            node* n = target<Types>(anchor_link);
            hp_cur.publish(n);  // then re-read (reader fence inside)
            const link now = load_next_at<Types>(anchor, anchor_ref, mo_acquire);
            if (now == anchor_link) {
                cur = n;
                cur_ref = ref_of(anchor_link);
                in_run = false;
                return step_result::ok;
            }
            if (is_frozen(now)) {
                return step_result::restart;  // anchor was superseded or erased
            }
            anchor_link = now;  // something was linked after anchor: retry
        }
    }

    // Reads cur->next into cur_link. Acquire: the successor's fields.
    void examine() noexcept { cur_link = load_next_at<Types>(cur, cur_ref, mo_acquire); }

    // cur's order, after examine(). A node carries its own; a head's
    // follows from its place in its segment (order_of_head). A head whose
    // segment has left the directory was frozen before it left, but may
    // have looked live when examined: then false, and the caller examines
    // it again (it reads the freeze now: order_of_head). A frozen head of
    // unknown order reads as 0, below every key: a walk neither stops nor
    // matches at a frozen node, and 0 is no walk's target, so it passes.
    bool cur_order(std::uint64_t& order) const noexcept {
        if (!is_head_ref(cur_ref)) [[likely]] {
            order = cur->order;
            return true;
        }
        const known_order k = head_order(segments, cur_ref, cur_link);
        order = k.order;
        return k.known;
    }
    bool cur_is_head() const noexcept { return is_head_ref(cur_ref); }

    // Moves from cur to its successor, as last examined. Returns ok also when
    // it did not move because cur changed meanwhile; the caller re-examines.
    step_result advance() noexcept {
        node* n = target<Types>(cur_link);
        stall::at(stall::site::step);
        hp_next.publish(n);  // then re-read below
        if (!is_frozen(cur_link)) {
            // cur was live; if its next is unchanged it still is, so it is in
            // the list and n is its successor: n is protected.
            if (!fault::skip_step_validation && load_next_at<Types>(cur, cur_ref, mo_acquire) != cur_link) {
                return step_result::ok;
            }
            hp_anchor.swap(hp_cur);
            anchor = cur;
            anchor_ref = cur_ref;
            anchor_link = cur_link;
            hp_cur.swap(hp_next);
            cur = n;
            cur_ref = ref_of(cur_link);
            in_run = false;
            return step_result::ok;
        }
        // cur is frozen: validate against the anchor (item 1).
        const link now = load_next_at<Types>(anchor, anchor_ref, mo_acquire);
        if (now != anchor_link && !fault::skip_run_validation) {
            if (is_frozen(now)) {
                return step_result::restart;
            }
            anchor_link = now;
            return enter();
        }
        if (!in_run) {
            // cur is the run's first node, the address every later check of
            // anchor->next compares with: keep it protected for as long as we
            // are in the run, or it could be freed and its address reused
            // right after the anchor (ABA, item 3).
            hp_first.swap(hp_cur);
            if constexpr (fault::first_unprotected) {
                hp_first.reset_protection(nullptr);  // the fault: the compared address may come back
            }
        }
        hp_cur.swap(hp_next);
        cur = n;
        cur_ref = ref_of(cur_link);
        in_run = true;
        return step_result::ok;
    }

    enum class cut_result { cut, moved, restart, skipped };

    // Precondition: cur is frozen and anchor's immediate successor. Cuts the
    // frozen run [cur, y) out with one CAS on anchor->next and retires every
    // entry of it (section heads belong to their segment, which a shrink
    // retires: map_sections.hpp); `retired` receives how many. y is the
    // first live node after the run; or the first head after `first` (a
    // cut takes at most one head, as its first node: see below); or, when
    // this thread's retired batch has room for fewer entries than the run
    // holds, the first frozen entry past that room (a later cut takes the
    // rest: a live node may lead to a frozen run, that is what a run is). A
    // head takes no room, so a run that starts with one is always cut at
    // least that far. On `moved` the anchor
    // changed under us and cur is its new successor. On `skipped` (no room
    // at all, and the run starts with an entry: no memory for a batch)
    // nothing changed, and the caller steps through the run instead.
    cut_result cut_run(std::size_t& retired) noexcept {
        // Room before the CAS: after it, every node of the run must be
        // retired, and retiring must not fail (headerless_retirer).
        headerless_retirer retirer(*domain);
        const std::size_t room = fault::cut_past_room ? retirer.room() + 1 : retirer.room();
        if (retirer.room() == 0 && !cur_is_head()) {
            return cut_result::skipped;
        }
        const link first = cur_ref;
        hp_first.swap(hp_cur);  // keep the expected value protected (item 3)
        if constexpr (fault::cut_first_unprotected) {
            hp_first.reset_protection(nullptr);  // the fault: the expected address may come back
        }
        link l = cur_link;
        link y = 0;
        // Entries of the run from first up to (not including) n.
        std::size_t entries = is_head_ref(first) ? 0 : 1;
        for (;;) {
            const link n = ref_of(l);
            hp_next.publish(target<Types>(n));  // then re-read anchor->next
            const link now = load_next_at<Types>(anchor, anchor_ref, mo_acquire);
            if (now != anchor_link) {
                if (is_frozen(now)) {
                    return cut_result::restart;
                }
                anchor_link = now;
                return enter() == step_result::ok ? cut_result::moved : cut_result::restart;
            }
            // The run up to n is in the list and immutable: n is protected.
            l = load_next<Types>(n, mo_acquire);
            // A head past the run's first node ends the cut, frozen or not:
            // after the CAS the run is read again (to retire its entries),
            // and of its nodes only `first` stays protected (hp_first) and
            // only entries are ours (no one else can retire them once the
            // CAS took them out); a head in the middle would be neither, and
            // the shrink that froze it may find it out of the list, retire
            // its segment and free it before that read (found by review:
            // MapSchedule.ACutReadsNoHeadItNoLongerProtects). It is the
            // first node of the next cut.
            if (!is_frozen(l) || is_head_ref(n) || entries == room) {
                y = n;
                break;
            }
            ++entries;
            hp_cur.swap(hp_next);  // walk on inside the run
        }
        link expected = anchor_link;
        stall::at(stall::site::compaction);
        // Acq_rel: release so that a thread that reads y through anchor->next
        // also sees what we read of y (it was published to us by acquire);
        // acquire to order the run's reads before its retirement.
        // The run is logically gone already (every node in it is frozen): this
        // CAS changes no key's state; it decides who retires the run. Only one
        // CAS can replace `first` in anchor->next, and no other node points
        // into the run from the list, so exactly one thread retires it.
        // (y is the ref that led to it: the head mark and level, if it is a
        // head, stay in the link.)
        if (cas_next<Types>(anchor_ref, expected, y, mo_acq_rel, mo_acquire)) {
            stall::at(stall::site::cut_retire);
            link n = first;
            while (n != y) {
                // We own the run now; its links are frozen, so this reads what
                // the walk above read.
                const link after = ref_of(load_next<Types>(n, mo_relaxed));
                // Unreachable now but for hazard pointers (protected ones
                // stay until their slots let go); freed by a later scan.
                // A head is only out of the list: its segment's shrink
                // retires it with the rest of the segment.
                if (!is_head_ref(n)) {
                    retirer.retire(target<Types>(n), Types::node_reclaimer);
                    ++retired;
                }
                n = after;
            }
            anchor_link = y;
            hp_cur.swap(hp_next);  // y, protected since the walk reached it
            cur = target<Types>(y);
            cur_ref = y;
            in_run = false;
            return cut_result::cut;
        }
        if (is_frozen(expected)) {
            return cut_result::restart;
        }
        anchor_link = expected;
        return enter() == step_result::ok ? cut_result::moved : cut_result::restart;
    }

    // Remembers (anchor, cur) as the insertion point of a new key; called when
    // the walk is about to step into the key's group. May throw bad_alloc
    // (the first time, when it needs its two hazard pointers).
    //
    // hp_anchor and hp_cur protect both nodes now, but the walk moves them on,
    // and a second slot publishing a node proves nothing by itself: the node
    // may have been retired already, and a scan may have read the new slot
    // before the publish and the old one after it moved on (reclamation.md
    // item 10). So the publishes are validated like any first protection, by
    // one re-read of anchor->next: unchanged, anchor is live (in the list),
    // and so is cur, its successor or a node of the frozen run that anchor
    // still leads to. Otherwise the walk restarts.
    step_result save_boundary() {
        if (hp_prev.empty()) {
            auto two = make_hazard_pointers<2>(*domain);
            hp_prev = std::move(two[0]);
            hp_succ = std::move(two[1]);
        }
        hp_prev.reset_protection(anchor);
        hp_succ.reset_protection(cur);
        if (!fault::unvalidated_handoff && load_next_at<Types>(anchor, anchor_ref, mo_acquire) != anchor_link) {
            return step_result::restart;
        }
        prev_ref = anchor_ref;
        prev_link = anchor_link;
        succ_ref = cur_ref;
        direct = !in_run;
        boundary_saved = true;
        return step_result::ok;
    }
    // Refs of the insertion point: prev is a node or a head, succ too.
    link insert_prev() const noexcept { return boundary_saved ? prev_ref : anchor_ref; }
    // insert_prev()->next as read; when insert_direct(), its target is insert_succ().
    link insert_prev_link() const noexcept { return boundary_saved ? prev_link : anchor_link; }
    link insert_succ() const noexcept { return boundary_saved ? succ_ref : cur_ref; }
    bool insert_direct() const noexcept { return boundary_saved ? direct : !in_run; }

private:
    // cur_order for a head (ref, its next as examined): at most once per
    // section a walk passes. Static, with its inputs by value: a cursor
    // whose address went to a call could not stay in registers.
    struct known_order {
        std::uint64_t order;
        bool known;
    };
    SINK_DETAIL_COLD static known_order head_order(const directory* segments, link ref, link next) noexcept {
        std::uint64_t order = 0;
        if (order_of_head<Types>(segments, ref, order)) {
            return {order, true};
        }
        return {0, is_frozen(next)};
    }

    using slot = atomic<const void*>*;
    void set_slots(slot start, slot anchor_slot, slot cur_slot, slot next_slot, slot first_slot) noexcept {
        hp_start.set(start);
        hp_anchor.set(anchor_slot);
        hp_cur.set(cur_slot);
        hp_next.set(next_slot);
        hp_first.set(first_slot);
    }
};

// What a lookup walks with (map_core::walk_live): two slots that take
// turns, and the entry found. A lookup needs no anchor, no run and no
// insertion point, so it takes two slots where map_cursor takes five
// (docs/performance.md, lever 16); when it must fall back on the general
// walk, a map_cursor does that walk and hands the found entry's slot over.
template <class Types>
struct map_lookup_cursor {
    using node = typename Types::node;

    SINK_DETAIL_ALWAYS_INLINE explicit map_lookup_cursor(hazard_pointer_domain& d) {
        if (slot const s = hazard_domain_access::try_take_lookup_slots(d)) [[likely]] {
            hp_scratch.set(s);
            hp_cur.set(s + 1);
        } else {
            slot g[2];
            hazard_domain_access::acquire_lookup_slots(d, g);
            hp_scratch.set(g[0]);
            hp_cur.set(g[1]);
        }
    }
    // hp_cur may have left (to_hazard_pointer: a handle keeps it), and
    // both are empty after give_back().
    SINK_DETAIL_ALWAYS_INLINE ~map_lookup_cursor() {
        if (!hp_scratch.empty()) {
            hp_scratch.release();
        }
        if (!hp_cur.empty()) {
            hp_cur.release();
        }
    }
    // Gives both slots back before the general walk takes a cursor's five:
    // held, they would keep it off the thread's cursor slots (and a thread
    // whose general slots are all owned would need a second record).
    void give_back() noexcept {
        hp_scratch.release();
        hp_scratch.set(nullptr);
        hp_cur.release();
        hp_cur.set(nullptr);
    }
    map_lookup_cursor(const map_lookup_cursor&) = delete;
    map_lookup_cursor& operator=(const map_lookup_cursor&) = delete;

    walk_slot hp_scratch;  // protects the node stood on while the next is validated
    walk_slot hp_cur;      // protects cur, once found
    node* cur;             // the live entry found (set only then)

private:
    using slot = atomic<const void*>*;
};

}  // namespace detail
SINK_END_NAMESPACE
