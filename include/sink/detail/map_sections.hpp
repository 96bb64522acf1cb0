// The sections of sink::concurrent_map's list and their heads (map_core's
// members, by protocol: map_core.hpp has the class; map_heads.hpp the
// heads' storage and addressing).
//
// A walk to a key starts at the head of the key's section (find_start),
// whose memory is in the segment directory: no node, no table slot and no
// pointer lead there. A head joins the list lazily, the first time a walk
// needs it (install_head), and until it has a walk starts from the head of
// a parent section, which contains the key's. The width grows by adding a
// segment and shrinks by taking the top one out of the list and retiring
// it (shrink_one). Resizes are asked for by two local heuristics checked
// against the whole map's load: a long walk through a section grows, a run
// of empty sections shrinks.
//
// A head's `next` word says where it stands (docs/design.md, "section
// heads"):
//   0               not in the list, free to be installed
//   claimed | s     an installer owns it: not yet linked, or linked and not
//                   yet released; walks do not start at it
//   s               in the list and usable as a start
//   frozen | ...    a shrink took it: cut out of the list by compacting
//                   walks, never used again; its segment is retired once
//                   every head of it is out of the list
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
        const std::uint64_t s = shape_.load(mo_acquire);
        if (shape_width(s) >= want && !shape_shrinking(s)) {
            return;
        }
        resize(shape_width(s), static_cast<int>(std::max(shape_width(s), want)));
    }
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
concurrent_map_stats map_core<Key, T, Hash, KeyEqual, Allocator>::stats() const {
    concurrent_map_stats s;
    const unsigned width = current_width();
    s.table_width = width;
    s.sections = std::size_t{1} << width;
    s.heads = 1;  // the start sentinel
    hazard_pointer hp = make_hazard_pointer(*domain_);
    for (unsigned level = 1; level <= width; ++level) {
        segment* seg = hp.protect(segments_[level]);
        if (seg == nullptr) {
            continue;
        }
        for (std::uint64_t i = 0; i < heads_in_segment(level); ++i) {
            if (is_usable_head_link(seg->head(i).next.load(mo_acquire))) {
                ++s.heads;
            }
        }
    }
    s.grows = grows_.load(mo_relaxed);
    s.shrinks = shrinks_.load(mo_relaxed);
    s.node_pool_bytes = pool_ != nullptr ? pool_->bytes_held() : 0;
    s.compactions = static_cast<std::uint64_t>(compactions_.sum());
    s.nodes_retired = static_cast<std::uint64_t>(retired_.sum());
    s.heads_installed = static_cast<std::uint64_t>(heads_installed_.sum());
    return s;
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
unsigned map_core<Key, T, Hash, KeyEqual, Allocator>::current_width() const noexcept {
    return shape_width(shape_.load(mo_acquire));
}

// Positions c at a live node whose order is at most `order`: the head of
// the key's section when it is in the list (installing it if no one has),
// else the nearest usable head of a parent section, else the start
// sentinel. cur is then its successor. (find_start, inline in map_core.hpp,
// tries the key's own head first and comes here when it cannot use it.)
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::find_start_general(cursor& c, std::uint64_t order) const {
    for (;;) {
        // Acquire: the segments up to this width were published before it.
        const unsigned width = shape_width(shape_.load(mo_acquire));
        c.width = width;
        std::uint64_t prefix = prefix_of(order, width);
        bool own_section = true;
        while (prefix != 0) {
            const head_place place = place_of(prefix, width);
            segment* seg = nullptr;
            map_head* h = protect_head(c.hp_start, place, seg);
            if (h != nullptr) {
                link l = h->next.load(mo_acquire);
                if (l == 0 && own_section && install_head(c, seg, h, place)) {
                    l = h->next.load(mo_acquire);
                }
                if (is_usable_head_link(l)) {
                    c.hp_anchor.swap(c.hp_start);
                    if (c.begin_at(link_to_head(h, place.level), l) == step_result::ok) {
                        return;
                    }
                    break;  // frozen since: a shrink took it; look again
                }
            }
            own_section = false;
            prefix = parent_prefix(prefix);
        }
        if (prefix == 0) {
            c.hp_anchor.reset_protection(start_);  // never retired
            if (c.begin_at(link_to<types>(start_)) == step_result::ok) {
                return;
            }
        }
    }
}

// The head at `place`, published in hp and validated: hp shows its address
// and the directory still held its segment after the publish, so the
// segment was not retired before (it is retired only after its directory
// entry is cleared: shrink_one), and the scan that could free it sees the
// publish (a retired range is kept by any address inside it). nullptr if
// the directory has no segment there (a shrink took it, or the width read
// is stale). The directory may hold a new segment at the same address by
// the time it is re-read; then the head is that segment's, which is as good.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
auto map_core<Key, T, Hash, KeyEqual, Allocator>::protect_head(walk_slot& hp, head_place place,
                                                               segment*& seg) const noexcept -> map_head* {
    seg = segments_[place.level].load(mo_acquire);
    for (;;) {
        if (seg == nullptr) {
            return nullptr;
        }
        map_head* h = &seg->head(place.index);
        hp.publish(h);  // then re-read (reader fence inside)
        segment* now = segments_[place.level].load(mo_acquire);
        if (now == seg) {
            return h;
        }
        seg = now;
    }
}

// Links head h of segment seg, at `place` (h protected in c.hp_start,
// found with next 0), into the list, after a claim: the CAS of its next from 0 makes this
// thread its only installer. The installer holds the segment from before
// the claim until h is either in the list and released or out of it for
// good (segment::holds): a shrink may freeze h at any step, and an
// installer may link a frozen h after the shrink's walk passed its place.
// The walk to h's place starts from a parent head, so it never waits for
// the installer of another head; no one waits for this one (walks start
// from a parent while h is claimed). Returns whether h is in the list now,
// protected in c.hp_start. May throw bad_alloc (a compacting walk with no
// memory to retire with): before the link h is then released, unlinked;
// after it only if a frozen h could not be cut out for want of memory, and
// then its segment is never freed (a leak, not a dangling pointer; the
// segment's reference to the map's pool keeps the pool too).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::install_head(cursor& c, segment* seg, map_head* h,
                                                               head_place place) const {
    if (!seg->try_hold()) {
        return false;  // the segment is on its way out
    }
    auto let_go = [this, seg]() noexcept {
        if (seg->release_hold()) {
            // The last hold of a segment a shrink took out: retire it, and
            // drain at once, as the shrink would have (a segment of
            // megabytes counts as one retired object towards a scan).
            hazard_domain_access::retire_range(*domain_, seg);
            give_back_memory(/*trim=*/false);
        }
    };
    link claim = 0;
    // Relaxed: the claim publishes nothing; it only decides who installs.
    if (!h->next.compare_exchange_strong(claim, claimed_bit, mo_relaxed, mo_relaxed)) {
        let_go();
        return false;  // claimed, linked or frozen by someone else meanwhile
    }
    // A walk that read an older width may have found a segment above the
    // current one (left by a grow that lost its race): such segments stay
    // unused, so that the next grow can take them as they are.
    const unsigned level = seg->level;
    if (level > shape_width(shape_.load(mo_acquire)) || segments_[level].load(mo_acquire) != seg) {
        unclaim(h);
        let_go();
        return false;
    }
    const std::uint64_t order = head_order(place);
    bool compact = false;
    try {
        for (;;) {
            start_below(c, order);
            const walk_status status = walk(c, order, any_live_node, compact, /*need_boundary=*/false);
            if (status == walk_status::restart) {
                continue;
            }
            // h is claimed and unlinked, and the only node of its order: the
            // walk stopped on the first node after the gap.
            if (!c.insert_direct()) {
                compact = true;  // a frozen run before the gap: cut it first
                continue;
            }
            const link succ = c.insert_succ();
            link mine = h->next.load(mo_relaxed);
            // Only a shrink's freeze changes a claimed, unlinked head: then it
            // stays out of the list.
            if (is_frozen(mine) ||
                !h->next.compare_exchange_strong(mine, claimed_bit | succ, mo_relaxed, mo_relaxed)) {
                let_go();
                return false;
            }
            link expected = c.insert_prev_link();
            stall::at(stall::site::install);
            // Acq_rel, as every link: release publishes h's next (written
            // above) to whoever reads it through prev. The link carries h's
            // level (its order follows from it and h's address). Fails if
            // prev changed or was frozen.
            if (cas_next<types>(c.insert_prev(), expected, link_to_head(h, level), mo_acq_rel, mo_acquire)) {
                heads_installed_.add(1);
                break;
            }
            compact = true;
        }
    } catch (...) {
        unclaim(h);  // never linked
        let_go();
        throw;
    }
    const bool in_list = release_claim(c, h, order);  // may throw: then the hold stays (see above)
    let_go();
    return in_list;
}

// Gives up the claim of a head that was never linked (if a shrink froze it
// meanwhile, the freeze stays and so does the head, out of the list).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::unclaim(map_head* h) noexcept {
    link l = h->next.load(mo_relaxed);
    while (!is_frozen(l) && !h->next.compare_exchange_weak(l, 0, mo_relaxed, mo_relaxed)) {
    }
}

// The installer's last step: h is linked; clear its claim, or, if a shrink
// froze it meanwhile, take it out of the list again (while h is still
// protected, so that its segment cannot be freed while h is in the list).
// Whether h stays in the list must be decided by a read-modify-write on
// h->next that succeeds on an unfrozen value:
//   - not a store: a store of the value read would undo a freeze that came
//     after the read, and the shrink would then leave h in the list and
//     retire its segment (fault CLAIM_RELEASED_BY_STORE);
//   - not a load alone: the shrink freezes h with a CAS and then walks h's
//     place, and a load here could miss the freeze while that walk misses
//     the link (each thread writes one word, then reads the other's: the
//     store-buffering shape). A CAS that succeeds comes before the freeze
//     in h->next's modification order, so the freeze reads from it (or
//     from a later CAS in the same release sequence) and the link
//     happens-before the shrink's walk, which sees h and cuts it.
// When the claim is already gone no CAS is needed: the thread that dropped
// it changed h->next after reaching h through the list (a walk never
// starts at a claimed head), so the link happens-before its CAS, and so
// before any freeze that follows it.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::release_claim(cursor& c, map_head* h,
                                                                std::uint64_t order) const {
    link l = h->next.load(mo_acquire);
    stall::at(stall::site::claim_release);
    for (;;) {
        if (is_frozen(l)) {
            unlink_frozen_head(c, order);
            return false;
        }
        if ((l & claimed_bit) == 0) {
            return true;
        }
        if constexpr (fault::claim_released_by_store) {
            h->next.store(l & ~claimed_bit, mo_release);  // the fault: may undo a freeze since the load
            return true;
        }
        // Acq_rel: release orders our link of h before a freeze that reads
        // this value (see above).
        if (h->next.compare_exchange_weak(l, l & ~claimed_bit, mo_acq_rel, mo_acquire)) {
            return true;
        }
    }
}

// Takes the frozen head of `order` out of the list: a compacting walk over
// its place, with c (whose hp_start may protect it: the walk leaves it
// alone).
// Returns when h is out of the list. Throws bad_alloc if a frozen run of
// entries before h cannot be cut for want of memory (a cut of heads alone
// needs none).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::unlink_frozen_head(cursor& c, std::uint64_t order) const {
    for (;;) {
        start_below(c, order);
        if (walk(c, order, any_live_node, /*compact=*/true, /*need_boundary=*/false) != walk_status::restart) {
            return;
        }
    }
}

// Positions c at the nearest usable head strictly before `order`'s own
// section head (a parent of it), or the start sentinel; installs nothing.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::start_below(cursor& c, std::uint64_t order) const {
    for (;;) {
        const unsigned width = current_width();
        c.width = width;
        // The head of `order` itself (a head's order is its own section's
        // start) is skipped: walks to a head start below it.
        std::uint64_t prefix = parent_prefix(prefix_of(order, width));
        while (prefix != 0 && (prefix << (64 - width)) >= order) {
            prefix = parent_prefix(prefix);
        }
        bool started = false;
        while (prefix != 0) {
            segment* seg = nullptr;
            const head_place place = place_of(prefix, width);
            map_head* h = protect_head(c.hp_anchor, place, seg);
            if (h != nullptr && is_usable_head_link(h->next.load(mo_acquire))) {
                started = c.begin_at(link_to_head(h, place.level)) == step_result::ok;
                break;
            }
            prefix = parent_prefix(prefix);
        }
        if (started) {
            return;
        }
        if (prefix == 0) {
            c.hp_anchor.reset_protection(start_);
            if (c.begin_at(link_to<types>(start_)) == step_result::ok) {
                return;
            }
        }
    }
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::after_insert(cursor& c) const noexcept {
    if (options_.grow_on_insert_count > 0 && c.live_passed > options_.grow_on_insert_count &&
        load_allows(c.width, options_.grow_min_load_percent, /*at_least=*/true)) {
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
        request_resize(c.width, static_cast<int>(c.width) - static_cast<int>(options_.shrink_amount));
    }
}

// The whole-map condition on a resize that a local heuristic asked for:
// the load (entries per 100 sections of width `width`) is at least (or at
// most) `percent`. Only read when a heuristic fired, so the sum over the
// size counter's cells stays off the common path.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::load_allows(unsigned width, std::size_t percent,
                                                              bool at_least) const noexcept {
    if (percent == 0) {
        return true;
    }
    const std::size_t entries = size();
    const std::size_t sections = std::size_t{1} << width;
    // entries * 100 >= sections * percent, without overflow for any
    // width up to max_table_width (saturating for an absurd percent).
    const std::size_t scaled_entries = entries > SIZE_MAX / 100 ? SIZE_MAX : entries * 100;
    const std::size_t scaled_sections = percent > SIZE_MAX / sections ? SIZE_MAX : sections * percent;
    return at_least ? scaled_entries >= scaled_sections : scaled_entries <= scaled_sections;
}

// How many consecutive empty sections start at c's anchor (0 unless the
// anchor is a head and no live entry follows it before the next one).
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
std::size_t map_core<Key, T, Hash, KeyEqual, Allocator>::empty_sections_from(cursor& c) const noexcept {
    if (!(is_head_ref(c.anchor_ref) || c.anchor == start_) || c.enter() != step_result::ok) {
        return 0;
    }
    std::size_t empty = 0;
    for (int steps = 0; steps < 64; ++steps) {
        c.examine();
        if (!is_frozen(c.cur_link)) {
            if (!c.cur_is_head()) {
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
        // A segment could not be allocated: the map keeps its width; the
        // operation that asked has already taken effect.
    }
}

// Changes the width from `from` to `to` (clamped to [0, 40]): a grow adds
// the segments above `from` and then the width; a shrink takes one level
// at a time. A resize that finds a shrink unfinished finishes it first,
// and does nothing more (a later request will). Never waits for another
// thread.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::resize(unsigned from, int to_signed) const {
    const unsigned to = static_cast<unsigned>(std::clamp(to_signed, 0, static_cast<int>(max_table_width)));
    std::uint64_t s = shape_.load(mo_acquire);
    if (shape_shrinking(s)) {
        finish_shrink(s);
        return;
    }
    if (shape_width(s) != from || to == from) {
        return;
    }
    if (to > from) {
        grow(s, to);
        return;
    }
    while (shape_width(s) > to && !shape_shrinking(s)) {
        if (!shrink_one(s)) {
            return;
        }
        s = shape_.load(mo_acquire);
    }
}

// From shape s (not shrinking) to width `to`: every segment up to `to` in
// the directory, then the width. A segment above the width is never used:
// one left by a grow that lost its width CAS waits there, all its heads
// unlinked, for the next grow.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
void map_core<Key, T, Hash, KeyEqual, Allocator>::grow(std::uint64_t s, unsigned to) const {
    for (unsigned level = shape_width(s) + 1; level <= to; ++level) {
        if (segments_[level].load(mo_acquire) != nullptr) {
            continue;
        }
        segment* fresh = segment::make(level, pool_);
        segment* empty = nullptr;
        // Release: the heads' orders are published with the segment.
        if (!segments_[level].compare_exchange_strong(empty, fresh, mo_acq_rel, mo_acquire)) {
            segment::destroy(fresh);  // never published
        }
    }
    // Acq_rel: release makes the segments visible to whoever reads the
    // width (find_start's acquire load); fails if another resize came first.
    if (shape_.compare_exchange_strong(s, make_shape(to, false, shape_generation(s) + 1), mo_acq_rel, mo_acquire)) {
        grows_.fetch_add(1, mo_relaxed);
        give_back_memory(/*trim=*/false);
    }
}

// From shape s (width w, not shrinking) to w - 1: the CAS of the width
// makes new walks stop using segment w; finish_shrink takes its heads out
// of the list and retires it. Returns false if another resize came first.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::shrink_one(std::uint64_t s) const {
    const std::uint64_t shrinking = make_shape(shape_width(s) - 1, true, shape_generation(s) + 1);
    {
        // Mark the victim first (release, published with the shape CAS
        // below): its helpers take out only a segment with their mark. Only
        // if the shape is still s after the victim was read: a stale
        // shrinker could otherwise mark a segment that a grow which lost
        // its race left at the level after the real victim had gone, with
        // the generation of the shrink that took that victim (found by
        // review); the shape's re-read sees that shrink's CAS, which came
        // before the victim's removal and so before the segment's install.
        hazard_pointer hp = make_hazard_pointer(*domain_);
        segment* victim = hp.protect(segments_[shape_width(s)]);
        if (shape_.load(mo_acquire) != s) {
            return false;
        }
        if (victim != nullptr) {
            victim->doom(shape_generation(shrinking));
        }
    }
    if (!shape_.compare_exchange_strong(s, shrinking, mo_acq_rel, mo_acquire)) {
        return false;
    }
    shrinks_.fetch_add(1, mo_relaxed);
    stall::at(stall::site::resize);
    return finish_shrink(shrinking);
}

// Finishes the shrink that shape s (shrinking, width w - 1) describes: any
// thread may, any number of times; each step is idempotent.
//   1. Freeze every head of segment w: an unlinked head can no longer be
//      claimed, a claimed one is taken out by its installer
//      (release_claim), a linked one is dead to walks, which restart
//      rather than start at it.
//   2. Take each out of the list: a compacting walk over its place.
//   3. Clear the directory entry; the thread whose CAS does retires the
//      segment (a range: walkers hold addresses of heads inside it).
//   4. Clear the shrinking flag (a new generation, so that a slow helper
//      of an earlier shrink cannot clear a later one's).
// The segment is retired only after (a) no width reaches it and its
// directory entry is null, so no start can find a head of it again, and
// (b) every head of it is out of the list and cannot come back (an
// installer that linked one after step 1 cuts it before it lets go). A
// walker that holds a head's address got it from the directory or from a
// predecessor's `next`, published it and re-read its source, which still
// showed the head: so its publish came before (a) or (b), and the scan
// after the retire sees it. Returns whether the shrink is finished.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::finish_shrink(std::uint64_t s) const {
    const unsigned level = shape_width(s) + 1;
    hazard_pointer hp = make_hazard_pointer(*domain_);
    segment* seg = hp.protect(segments_[level]);
    // Still this shrink's? If the shape moved on, the shrink was finished by
    // others and the directory may hold a segment of a later grow, which
    // must not be touched. While the shape is s, the segment read before it
    // is the shrink's (or one left unused by a grow that read an older
    // width, as good to take out): a grow installs a segment for use only
    // after it read a shape past s (acquire on both loads).
    if (shape_.load(mo_acquire) != s && !fault::stale_shrink_helper) {
        return false;
    }
    // Only the shrink's own victim (a segment left above the width by a
    // grow that lost its race may have taken the level after the victim
    // left the directory).
    if (seg != nullptr && seg->doomed.load(mo_acquire) != shape_generation(s) && !fault::stale_shrink_helper) {
        seg = nullptr;
    }
    if (seg != nullptr) {
        const std::uint64_t n = heads_in_segment(level);
        bool linked_any = false;
        for (std::uint64_t i = 0; i < n; ++i) {
            linked_any = freeze_head(&seg->head(i)) || linked_any;
        }
        stall::at(stall::site::shrink);
        try {
            cursor c = new_cursor();
            for (std::uint64_t i = 0; i < n && linked_any && !fault::shrink_skips_cut; ++i) {
                // A head frozen from 0 was never linked and cannot be now.
                if (target<types>(seg->head(i).next.load(mo_acquire)) != nullptr) {
                    unlink_frozen_head(c, head_order(head_place{level, i}));
                }
            }
        } catch (...) {
            return false;  // no memory: a later resize finishes it
        }
        segment* expected = seg;
        if (segments_[level].compare_exchange_strong(expected, nullptr, mo_acq_rel, mo_acquire) &&
            seg->release_hold()) {
            // The directory's hold was the last: no installer holds it.
            hazard_domain_access::retire_range(*domain_, seg);
        }
        hp.reset_protection();
    }
    std::uint64_t expected = s;
    const bool finished =
        shape_.compare_exchange_strong(expected, make_shape(shape_width(s), false, shape_generation(s) + 1),
                                       mo_acq_rel, mo_acquire);
    if (finished) {
        give_back_memory(/*trim=*/true);
    }
    return finished;
}

// Step 1 of a shrink for one head. Acq_rel: the freeze is ordered after
// any installer's release_claim it reads from (see there). Returns whether
// the head had a successor (linked, or about to be): then it must be cut.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
bool map_core<Key, T, Hash, KeyEqual, Allocator>::freeze_head(map_head* h) noexcept {
    link l = h->next.load(mo_acquire);
    while (!is_frozen(l) && !h->next.compare_exchange_weak(l, l | frozen_bit, mo_acq_rel, mo_acquire)) {
    }
    return target<types>(l) != nullptr;
}

// After a completed resize or a clear. First the domain is drained: the
// erased nodes still waiting to be freed (up to about a thousand per thread
// between two scans, spread over every block when keys are erased in
// random order) would keep their blocks, which the trim would then list
// again for reuse, and a listed block stays with the pool after its last
// node is freed (docs/performance.md, "Node pools"); after a shrink it also
// frees the segment just retired. The drain frees what this thread and the
// threads that scanned since retired, and no hazard pointer protects;
// other threads' unscanned batches are out of its reach. Resizes are rare
// (log n of them in a fill), so its cost, bounded by the garbage bound, is
// spread thin. No retirer of this thread is open here (this runs after
// every cut of the operation has retired its nodes), so taking its batch
// is safe.
//
// Then, after a shrink or a clear (`trim`), the pool gives back the blocks
// its idle heaps and listed stack hold with no live node, and detaches the
// others, so that the free of their last node returns them. Without it
// blocks that no allocation comes to use again would stay with the map
// after an erase-everything phase. Lock-free (busy heaps are skipped).
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

}  // namespace detail
SINK_END_NAMESPACE
