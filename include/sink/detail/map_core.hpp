// The algorithm of sink::concurrent_map. This file holds the class and the
// list protocol: lookups, the one write loop, the walk to a key, the CASes
// that link, replace and erase an entry, stamps, and the compaction that
// follows a change. The rest of the class is defined by protocol:
//
//   map_sections.hpp   the sections: where a walk starts, the install of
//                      section heads, the resize heuristics, growing and
//                      shrinking, memory given back after them
//                      (map_heads.hpp: the heads' storage and addressing)
//   map_iteration.hpp  walks over the whole list: iteration positions,
//                      clear(), the compacting full walk
//   map_verify.hpp     verify(), the structural invariants checked
//
// map_cursor.hpp has the steps every walk is made of. docs/design.md has the
// picture, the invariants and the reclamation argument; comments here say
// why each atomic step is what it is. `// LP:` marks linearization points.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sink/concurrent_map_options.hpp"
#include "sink/detail/atomic.hpp"
#include "sink/detail/fault.hpp"
#include "sink/detail/hash_mix.hpp"
#include "sink/detail/map_cursor.hpp"
#include "sink/detail/map_node.hpp"
#include "sink/detail/map_heads.hpp"
#include "sink/detail/stall.hpp"
#include "sink/detail/striped_counter.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE

namespace detail {

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
class map_core {
public:
    using types = map_types<Key, T, Allocator>;
    using node = typename types::node;
    using entry = typename types::entry;
    using stamped_entry = typename types::stamped_entry;
    using segment = head_segment<types>;
    using cursor = map_cursor<types>;
    using lookup_cursor = map_lookup_cursor<types>;
    using value_type = typename types::value_type;

    map_core(const concurrent_map_options& options, const Hash& hash, const KeyEqual& eq, const Allocator& alloc)
        : hash_(hash),
          eq_(eq),
          options_(checked(options)),
          domain_(options.domain != nullptr ? options.domain : &hazard_pointer_default_domain()),
          seed_(options.seed != 0 ? options.seed : fresh_seed(this)) {
        for (auto& seg : segments_) {
            seg.store(nullptr, mo_relaxed);  // published with the map itself
        }
        pool_ = types::make_pool(alloc);  // first: nothing else to undo if it throws
        try {
            end_ = types::make_sentinel(pool_, end_order);
            start_ = types::make_sentinel(pool_, 0);
            start_->next.store(link_to<types>(end_), mo_relaxed);
        } catch (...) {
            if (start_ != nullptr) {
                types::destroy_sentinel(pool_, start_);
            }
            if (end_ != nullptr) {
                types::destroy_sentinel(pool_, end_);
            }
            close_pool();
            throw;
        }
    }

    // Requires that no other thread uses the map. Nodes still in the list are
    // freed here; nodes cut out earlier were retired and the domain frees them.
    ~map_core() {
#if !defined(NDEBUG) && !defined(SINK_ATOMICS_RELACY)
        assert(!any_entry_protected() && "sink::concurrent_map destroyed while a handle or iterator of it is alive");
#endif
        link n = ref_of(start_->next.load(mo_relaxed));
        while (target<types>(n) != end_) {
            const link after = ref_of(load_next<types>(n, mo_relaxed));
            if (!is_head_ref(n)) {
                types::destroy(target<types>(n));  // heads are their segment's
            }
            n = after;
        }
        types::destroy_sentinel(pool_, start_);
        types::destroy_sentinel(pool_, end_);
        // Every segment in the directory, in use or not (one above the width
        // left by a grow that lost its race, one whose shrink never finished).
        for (auto& seg : segments_) {
            if (segment* p = seg.load(mo_relaxed)) {
                segment::destroy(p);
            }
        }
        // Nodes retired earlier may still wait in other threads' batches:
        // their pool blocks stay until the last of them is freed, and that
        // free destroys the pool (node_pool.hpp, "Lifetime").
        close_pool();
    }

    // Where this map's nodes come from (nullptr: one allocation each).
    node_pool_base* pool() const noexcept { return pool_; }
    // The allocator the map was made with (kept by its pool).
    Allocator get_allocator() const { return types::allocator_of(pool_); }

#if !defined(NDEBUG) && !defined(SINK_ATOMICS_RELACY)
    // Whether a hazard slot publishes an entry still in the list (debug
    // builds: a handle or iterator that would dangle once the destructor
    // frees the list). O(slots log slots + entries). A debug aid, not a
    // proof: a walk of another map on the same domain, running right now,
    // may publish (before validating it) an address freed and reused by one
    // of our entries, and be counted.
    bool any_entry_protected() const {
        std::vector<const void*> published = hazard_domain_access::published(*domain_);
        std::sort(published.begin(), published.end());
        for (link n = ref_of(start_->next.load(mo_relaxed)); target<types>(n) != end_;
             n = ref_of(load_next<types>(n, mo_relaxed))) {
            if (!is_head_ref(n) &&
                std::binary_search(published.begin(), published.end(), static_cast<const void*>(target<types>(n)))) {
                return true;
            }
        }
        return false;
    }
#endif

    map_core(const map_core&) = delete;
    map_core& operator=(const map_core&) = delete;

    hazard_pointer_domain& domain() const noexcept { return *domain_; }
    // A cursor for walks of this map (its domain's slots, its directory).
    SINK_DETAIL_ALWAYS_INLINE cursor new_cursor() const { return cursor(*domain_, segments_); }
    SINK_DETAIL_ALWAYS_INLINE lookup_cursor new_lookup_cursor() const { return lookup_cursor(*domain_); }
    const Hash& hash_function() const { return hash_; }
    const KeyEqual& key_eq() const { return eq_; }
    const concurrent_map_options& options() const noexcept { return options_; }

    // Exchanges everything with `other`: a list moves with what its orders,
    // stamps and counts depend on (seed, stamp clocks, counters, options,
    // domain, hash and equality). Requires that no thread uses either map and
    // no iterator of either is alive. Relaxed loads and stores: the caller
    // orders this against other threads' later use (a map is handed to
    // another thread by whatever synchronises with it).
    void swap(map_core& other) noexcept(std::is_nothrow_swappable_v<Hash> && std::is_nothrow_swappable_v<KeyEqual>) {
        using std::swap;
        swap(hash_, other.hash_);
        swap(eq_, other.eq_);
        swap(options_, other.options_);
        swap(domain_, other.domain_);
        swap(seed_, other.seed_);
        swap(start_, other.start_);
        swap(end_, other.end_);
        swap(pool_, other.pool_);
        auto swap_atomic = [](auto& a, auto& b) noexcept {
            const auto mine = a.load(mo_relaxed);
            a.store(b.load(mo_relaxed), mo_relaxed);
            b.store(mine, mo_relaxed);
        };
        swap_atomic(shape_, other.shape_);
        for (unsigned level = 0; level <= max_table_width; ++level) {
            swap_atomic(segments_[level], other.segments_[level]);
        }
        for (std::size_t i = 0; i < stamp_clocks; ++i) {
            swap_atomic(stamp_clocks_[i].value, other.stamp_clocks_[i].value);
        }
        swap_atomic(grows_, other.grows_);
        swap_atomic(shrinks_, other.shrinks_);
        size_.swap(other.size_);
        compactions_.swap(other.compactions_);
        retired_.swap(other.retired_);
        heads_installed_.swap(other.heads_installed_);
    }

    template <class K>
    std::uint64_t order_of(const K& key) const {
        const auto h = static_cast<std::uint64_t>(hash_(key));
        if constexpr (hash_is_avalanching<Hash>::value) {
            return entry_order(seeded_multiply(h, seed_));
        } else {
            return entry_order(seeded_mix(h, seed_));
        }
    }

    // ---- lookups ------------------------------------------------------------

    // Leaves the live entry of `key` protected in c.hp_cur (c.cur) and returns
    // true, or returns false. Lock-free.
    template <class K>
    bool lookup(lookup_cursor& c, const K& key) const {
        const std::uint64_t order = order_of(key);
        auto match = [this, &key](node* n) { return eq_(types::key_of(static_cast<entry*>(n)), key); };
        // First over live nodes only (walk_live); on anything else, the
        // general walk from the beginning.
        switch (walk_live(c, order, match)) {
            case walk_status::found:
                return true;  // LP: as the general walk's (walk_live is one)
            case walk_status::absent:
                return false;
            case walk_status::restart:
                break;
        }
        return lookup_general(c, order, match);
    }

    // ---- writes ---------------------------------------------------------------

    // What a write does once it knows the key's live entry (or its absence).
    enum class decision { keep, replace, erase, insert };

    // What a write's `decide` sees: the key's live entry, or none. With
    // values in place, also the value's word as read once after the walk
    // showed the entry live: the decision is made on that word, and the
    // double-width CAS that carries it out expects it (and the link the walk
    // read), so the change lands only on the state that was decided on.
    using value_ref = std::conditional_t<types::values_in_place, T, const T&>;
    struct live_entry {
        entry* e = nullptr;
        std::uint64_t word = 0;

        explicit operator bool() const noexcept { return e != nullptr; }
        const Key& key() const noexcept { return types::key_of(e); }
        value_ref value() const noexcept {
            if constexpr (types::values_in_place) {
                return types::value_of_word(word);
            } else {
                return e->value.second;
            }
        }
        // The key and value as one value_type (a copy when in place).
        std::conditional_t<types::values_in_place, value_type, const value_type&> pair() const {
            if constexpr (types::values_in_place) {
                return value_type(key(), value());
            } else {
                return e->value;
            }
        }
    };
    // The `replacement` of a write that never replaces.
    struct no_replacement {
        T operator()() const { std::abort(); }
    };

    // The one write loop. `decide(const live_entry&)` is called with the
    // live entry (protected) or none, before anything changes, and may
    // throw (for example while copying the old value out): then the map is
    // unchanged. `make(order)` builds the new node, of the kind `order` says,
    // when one is needed; it is remade in the other kind if the group changes
    // before it is linked (map_types::rekind). The node is kept across
    // retries, unless `RemakeEachAttempt`: then its value depends on the live
    // entry that `decide` saw (update), and an attempt that lost its race
    // frees it, so that the next attempt's make() builds it from the newer
    // value. With values in place, a replace or an erase of the live entry
    // is one double-width CAS (change_in_place), and a replace stores
    // `replacement()`, which makes no node. Returns the decision taken; the
    // change it names has happened (its LP is the CAS).
    template <bool RemakeEachAttempt = false, class K, class Decide, class Make, class Replacement = no_replacement>
    decision write(const K& key, std::uint64_t order, Decide&& decide, Make&& make,
                   Replacement&& replacement = Replacement()) {
        cursor c = new_cursor();
        node_holder fresh;
        // Once the new node is made the key may have been moved into it.
        auto match = [this, &key, &fresh](node* n) {
            const Key& k = types::key_of(static_cast<entry*>(n));
            return fresh ? eq_(k, types::key_of(fresh.get())) : eq_(k, key);
        };
        bool compact = false;
        for (;;) {
            find_start(c, order);
            const walk_status status = walk(c, order, match, compact, /*need_boundary=*/true);
            if (status == walk_status::restart) {
                continue;
            }
            live_entry live{status == walk_status::found ? static_cast<entry*>(c.cur) : nullptr, 0};
            if constexpr (types::values_in_place) {
                if (live) {
                    // LP of a keep on a present key (with the walk's load of
                    // the link: the word read here was the value at a moment
                    // between that load and now when the entry was live).
                    live.word = live.e->next.load_word(mo_acquire);
                }
            }
            decision d = decide(live);
            if constexpr (RemakeEachAttempt && !fault::update_keeps_node) {
                fresh.destroy();  // made from an earlier attempt's live value
            }
            if constexpr (types::values_in_place) {
                // A replace or an erase in place. Retried here while only
                // the value changes under it (another replace landed): the
                // entry is still live and protected, so decide again on the
                // value now there.
                while (live && (d == decision::replace || d == decision::erase)) {
                    const std::uint64_t word = d == decision::erase ? live.word : types::word_of(replacement());
                    const in_place_result r = change_in_place(c, live, d == decision::erase, word);
                    if (r == in_place_result::done) {
                        if (d == decision::erase) {
                            after_erase(c, order);
                        }
                        return d;
                    }
                    if (r == in_place_result::link_changed) {
                        break;
                    }
                    d = decide(live);  // live.word is the value now there
                }
                if (live && d == decision::keep) {
                    return d;
                }
                if (live) {
                    compact = true;  // the link changed: walk again
                    continue;
                }
            }
            if (d == decision::keep) {
                return d;  // LP: the load that showed `live` live, or the absence
            }
            if (d == decision::erase) {
                if constexpr (!types::values_in_place) {  // (in place: above)
                    if (erase_live(c)) {
                        after_erase(c, order);
                        return d;
                    }
                }
            } else if (d == decision::insert && !c.insert_direct()) {
                // A frozen run sits before the group: compact, then insert.
            } else {
                // A new version has its key's kind; a new key is plain when
                // no live entry of its group is (map_node.hpp): then its
                // predecessor at the CAS is not a plain entry of the group.
                // A stamped node may always be linked as a new key.
                const std::uint64_t kind =
                    d == decision::replace
                        ? live.e->order
                        : types::new_entry_order(order, !is_plain_entry_of(c.insert_prev(), order) ||
                                                            fault::second_plain_key);
                if (!fresh) {
                    fresh.reset(make(kind));
                } else if (fresh.get()->order != kind &&
                           !(d == decision::insert && is_stamped_order(fresh.get()->order))) {
                    fresh.reset(types::rekind(pool_, fresh.get(), kind));  // made for a state that changed
                }
                bool linked = false;
                if constexpr (types::values_in_place) {
                    linked = insert_new(c, fresh.get());  // (a replace in place is above)
                } else {
                    linked = d == decision::replace ? replace_live(c, fresh.get()) : insert_new(c, fresh.get());
                }
                if (linked) {
                    fresh.release();
                    if (d == decision::replace) {
                        after_replace(c, order);
                    } else {
                        size_.add(1);
                        after_insert(c);
                    }
                    return d;
                }
            }
            if constexpr (fault::lost_retry) {
                return d;  // the fault: report a change that did not happen
            }
            // Lost a race or met a frozen node in the way: walk again, and
            // compact on the way this time.
            compact = true;
        }
    }

    // ---- whole-map operations (map_iteration.hpp, map_sections.hpp) ----------

    // Visits live entries in list order: f(const live_entry&) returns false
    // to stop. Weakly consistent (docs/design.md, "iteration").
    template <class F>
    void for_each(F&& f) const;

    // Position of an iterator: a stamped order and a stamp, after the last
    // entry it yielded; the start of the list before the first. A stamped
    // entry's position is its own (order, stamp). A plain entry has no stamp:
    // its position is in its group's stamped part, below the stamp of every
    // stamped entry present when it was yielded and at or above the stamp of
    // every key that can come back (docs/design.md, "iteration").
    struct position {
        std::uint64_t order = 0;
        std::uint64_t stamp = 0;
    };
    // Moves c to the first live entry after `pos` and sets `pos` to its
    // position; false at the end of the list.
    bool first_after(cursor& c, position& pos, bool restart) const;
    // From the entry c stands on (whose position is `pos`) to the next one.
    bool next_after(cursor& c, position& pos) const;

    // Erases every entry that is in the map when the walk reaches it.
    void clear();

    std::size_t size() const noexcept {
        const std::int64_t n = size_.sum();
        return n < 0 ? 0 : static_cast<std::size_t>(n);
    }

    // Grows the table until n entries fit at the configured section length.
    void reserve(std::size_t n);
    concurrent_map_stats stats() const;

    // Checks every structural invariant; requires a quiescent map
    // (map_verify.hpp).
    concurrent_map_check verify() const;

private:
    enum class walk_status { found, absent, restart };

    struct node_holder {
        entry* p = nullptr;
        node_holder() = default;
        node_holder(const node_holder&) = delete;
        node_holder& operator=(const node_holder&) = delete;
        ~node_holder() {
            if (p != nullptr) {
                types::destroy(p);
            }
        }
        explicit operator bool() const noexcept { return p != nullptr; }
        entry* get() const noexcept { return p; }
        void reset(entry* e) noexcept { p = e; }
        void destroy() noexcept {
            if (p != nullptr) {
                types::destroy(p);
                p = nullptr;
            }
        }
        void release() noexcept { p = nullptr; }
    };

    static concurrent_map_options checked(const concurrent_map_options& o) {
        if (o.grow_amount == 0 || o.shrink_amount == 0 || o.grow_amount > max_table_width ||
            o.shrink_amount > max_table_width) {
            throw std::invalid_argument("sink::concurrent_map: grow_amount and shrink_amount must be in [1, 40]");
        }
        return o;
    }
    static std::uint64_t fresh_seed(const void* self) noexcept {
        static std::atomic<std::uint64_t> maps{0};  // not a model-checked variable
        const std::uint64_t n = maps.fetch_add(1, std::memory_order_relaxed);
        const std::uint64_t s = mix64(reinterpret_cast<std::uintptr_t>(self) ^ mix64(n + 0x9e3779b97f4a7c15ULL));
        return s != 0 ? s : 1;
    }
    void close_pool() noexcept {
        if (pool_ != nullptr) {
            pool_->close();
            pool_ = nullptr;
        }
    }

    // ---- the walk ---------------------------------------------------------------

    // Matches any live node of the order: there is at most one node of a
    // head's order, so for a head's order this finds it.
    static bool any_live_node(node*) noexcept { return true; }

    // Walks from c's start to the key: stops on its live entry (found), or on
    // the first node ordered after its group (absent). `order` is the group's
    // base order for a key (both parts of the group are searched), or a
    // head's order. With `compact`, cuts out every frozen run it meets.
    // With `need_boundary`, remembers the front of the group's stamped part
    // (where a new key goes, in either kind: map_node.hpp).
    template <class Match>
    walk_status walk(cursor& c, std::uint64_t order, Match&& matches, bool compact, bool need_boundary) const {
        const std::uint64_t last = is_entry_order(order) ? stamped_order(order) : order;
        auto in_group = [order](std::uint64_t o) { return base_order(o) == order; };
        for (;;) {
            c.examine();
            node* cur = c.cur;
            if (is_frozen(c.cur_link) && compact && !c.in_run) {
                std::size_t retired = 0;
                const auto r = c.cut_run(retired);
                count_cut(r, retired);
                if (r == cursor::cut_result::restart) {
                    return walk_status::restart;
                }
                if (r == cursor::cut_result::skipped && !fault::step_through_skipped_cut) {
                    // No memory to retire the run with. A compacting walk is
                    // a retry that needs the run gone (an insert point right
                    // after the live node, a head's place): stepping
                    // through would retry forever. Nothing has changed, so
                    // the strong guarantee holds.
                    throw std::bad_alloc();
                }
                if (r != cursor::cut_result::skipped) {
                    continue;
                }
            }
            std::uint64_t o = 0;
            if (!c.cur_order(o)) [[unlikely]] {
                continue;  // a head whose segment left: frozen, examine it again
            }
            if (o > last) {
                return walk_status::absent;
            }
            if (fault::live_tombstone && is_frozen(c.cur_link) && is_entry_order(o) && in_group(o) && matches(cur)) {
                return walk_status::found;  // the fault: an erased or superseded entry taken as live
            }
            if (!is_frozen(c.cur_link)) {
                if (o < order) {
                    // Writes only: the grow heuristic runs after an insert
                    // (lookups skip the count, lever 12).
                    if (need_boundary && is_entry_order(o)) {
                        ++c.live_passed;
                    }
                } else if (matches(cur)) {  // in the group: order <= o <= last (an entry)
                    return walk_status::found;
                }
            }
            if (o == last && need_boundary && !c.boundary_saved &&
                c.save_boundary() == step_result::restart) {
                return walk_status::restart;
            }
            if (c.advance() == step_result::restart) {
                return walk_status::restart;
            }
        }
    }

    // The lookup walk as it runs in a section with no frozen node (at rest
    // every section: the change that freezes a node cuts it out): walk()
    // with compact and need_boundary false, for as long as every node it
    // stands on is live, with the position in locals rather than in the
    // cursor (docs/performance.md, lever 16). It makes the same loads in the
    // same order as walk() would, so walk()'s linearization points and
    // reclamation argument are its own: a step from a live node is validated
    // by re-reading that node's `next` (item 1); no step is ever taken from
    // a frozen node, so no anchor and no run (item 3) are needed. Two slots
    // take turns, c's two: `held` protects the node stood on, `ahead` the
    // successor being validated. Returns restart, having changed nothing,
    // on a head that is absent or not usable, a frozen node, a head of unknown
    // order, or a position frozen under it: the caller then runs the
    // general walk, which handles them all. On found, c.cur is the entry and
    // c.hp_cur protects it.
    template <class Match>
    walk_status walk_live(lookup_cursor& c, std::uint64_t order, Match&& matches) const {
        walk_slot* held = &c.hp_scratch;
        walk_slot* ahead = &c.hp_cur;
        node* pos;
        link pos_ref;
        link pos_link;
        // Acquire: the segments up to this width were published before it.
        const unsigned width = shape_width(shape_.load(mo_acquire));
        const std::uint64_t prefix = prefix_of(order, width);
        if (prefix != 0) [[likely]] {
            const head_place place = place_of(prefix, width);
            segment* seg = nullptr;
            map_head* const h = protect_head(*held, place, seg);
            if (h == nullptr) [[unlikely]] {
                return walk_status::restart;
            }
            pos_ref = link_to_head(h, place.level);
            pos = target<types>(pos_ref);
            // Acquire, read after h was validated: its successor's fields.
            pos_link = h->next.load(mo_acquire);
            if (!is_usable_head_link(pos_link)) [[unlikely]] {
                return walk_status::restart;  // not installed, claimed or frozen
            }
        } else {
            // The first section's head is the start sentinel: never
            // retired, never frozen, so not protected.
            pos = start_;
            pos_ref = link_to<types>(start_);
            pos_link = start_->next.load(mo_acquire);
        }
        const std::uint64_t last = stamped_order(order);
        for (;;) {
            // pos is live (pos_link unfrozen): protect its successor and
            // re-read pos->next; unchanged, pos is still in the list and n
            // its successor, so n is in the list after the publish: n is
            // protected (item 1).
            node* const n = target<types>(pos_link);
            ahead->publish(n);  // then re-read (reader fence inside)
            const link now = load_next_at<types>(pos, pos_ref, mo_acquire);
            if (now != pos_link && !fault::skip_step_validation) [[unlikely]] {
                if (is_frozen(now)) {
                    return walk_status::restart;
                }
                pos_link = now;  // linked after pos meanwhile: step again
                continue;
            }
            const link n_ref = ref_of(pos_link);
            // Acquire: n's successor's fields, and n's own were published
            // by the release that linked n (read through pos_link).
            const link n_link = load_next_at<types>(n, n_ref, mo_acquire);
            if (is_frozen(n_link)) [[unlikely]] {
                return walk_status::restart;
            }
            std::uint64_t o;
            if (is_head_ref(n_ref)) [[unlikely]] {
                if (!order_of_head(segments_, n_ref, o)) {
                    return walk_status::restart;
                }
            } else {
                o = n->order;
            }
            if (o > last) {
                return walk_status::absent;  // LP: as walk()'s absent
            }
            if (o >= order && matches(n)) {  // in the group, live: an entry
                // LP: the load of n->next above, which showed n live.
                if (ahead != &c.hp_cur) {
                    c.hp_cur.swap(*ahead);  // the found entry's slot is hp_cur
                }
                c.cur = n;
                return walk_status::found;
            }
            std::swap(held, ahead);  // held protects n; the other slot is free
            pos = n;
            pos_ref = n_ref;
            pos_link = n_link;
            // Where walk()'s advance() stalls: pos's next read, its
            // successor not yet protected (the first step, from the
            // start, is enter()'s, which has no stall site).
            stall::at(stall::site::step);
        }
    }

    // A lookup by the general walk, once walk_live gave up: c gives its two
    // slots back, a cursor walks with five, and the found entry's slot
    // moves into c.hp_cur (c.hp_scratch stays empty).
    template <class Match>
    SINK_DETAIL_COLD bool lookup_general(lookup_cursor& c, std::uint64_t order, Match& match) const {
        c.give_back();
        cursor g = new_cursor();
        for (;;) {
            find_start(g, order);
            switch (walk(g, order, match, /*compact=*/false, /*need_boundary=*/false)) {
                case walk_status::found:
                    // LP: the load of g.cur->next that showed the entry live.
                    c.hp_cur.swap(g.hp_cur);
                    c.cur = g.cur;
                    return true;
                case walk_status::absent:
                    // LP: see docs/design.md ("absent"): a moment during the
                    // walk when no live entry of the key was in the list.
                    return false;
                case walk_status::restart:
                    break;
            }
        }
    }

    void count_cut(typename cursor::cut_result r, std::size_t retired) const noexcept {
        if (r == cursor::cut_result::cut) {
            compactions_.add(1);
            retired_.add(static_cast<std::int64_t>(retired));
        }
    }

    // ---- the changes ------------------------------------------------------------

    // A replace (the new value's word) or an erase of a live entry whose value
    // is in place: one double-width CAS over its cell, expecting the link the
    // walk read (unfrozen: so never on an erased or cut entry, item 2) and the
    // word decide saw (so never on a value decide did not see). An erase
    // freezes the link and keeps the word, which then never changes again.
    enum class in_place_result { done, value_changed, link_changed };
    in_place_result change_in_place(cursor& c, live_entry& live, bool erase, std::uint64_t word) const noexcept {
        // The fault: the value's word alone, whatever the link now is (a
        // replace that can land on an entry frozen since the walk).
        const link l = fault::value_cas_alone && !erase ? c.cur->next.load(mo_acquire) : c.cur_link;
        two_words expected{l, live.word};
        stall::at(erase ? stall::site::erase : stall::site::replace);
        // LP (every replace and erase of a present key, in place).
        // Acq_rel (the double-width CAS is a full barrier): release publishes
        // the value to the acquire loads of the word; acquire on failure
        // reads what beat us.
        if (c.cur->next.compare_exchange_both(expected, two_words{erase ? l | frozen_bit : l, word})) {
            if (erase) {
                size_.add(-1);
            }
            return in_place_result::done;
        }
        if (expected.next != l) {
            return in_place_result::link_changed;
        }
        live.word = expected.word;
        return in_place_result::value_changed;
    }

    // Links `fresh` (a new version of c.cur's key) right after it. One CAS
    // links the new node and freezes the old one (item 2).
    bool replace_live(cursor& c, entry* fresh) const noexcept {
        static_assert(!types::values_in_place, "in place, a replace is change_in_place: one double-width CAS");
        entry* live = static_cast<entry*>(c.cur);
        if (is_stamped_order(live->order)) {
            // Versions of a key share its stamp: stamp the live one first.
            stamped(fresh)->stamp.store(stamp_of(stamped(live)), mo_relaxed);
        }
        fresh->next.store(c.cur_link, mo_relaxed);
        link expected = c.cur_link;
        stall::at(stall::site::replace);
        // LP (store/exchange/compare_and_swap of an existing key).
        // Acq_rel: release publishes fresh's fields to whoever reads this link.
        return live->next.compare_exchange_strong(expected, link_to<types>(fresh) | frozen_bit, link_success_order,
                                                  link_failure_order);
    }

    // Freezes c.cur with nothing after it: it is erased.
    bool erase_live(cursor& c) const noexcept {
        static_assert(!types::values_in_place, "in place, an erase is change_in_place: one double-width CAS");
        link expected = c.cur_link;
        stall::at(stall::site::erase);
        // LP (erase/load_and_erase/compare_and_erase of a present key).
        if (c.cur->next.compare_exchange_strong(expected, c.cur_link | frozen_bit, mo_acq_rel,
                                                mo_acquire)) {
            size_.add(-1);
            return true;
        }
        return false;
    }

    // Links `fresh` (a key with no live entry) between its group's plain
    // part and the front of its stamped part; c.insert_direct() holds.
    bool insert_new(cursor& c, entry* fresh) const {
        const link succ = c.insert_succ();
        if (is_stamped_order(fresh->order)) {
            // A new key is linked unstamped, also when `fresh` was made for a
            // replace that lost its race to an erase and carries the stamp it
            // copied then (a stamp from before the link: invariant 7).
            if constexpr (!fault::stale_retry_stamp) {
                stamped(fresh)->stamp.store(stamped_entry::unstamped, mo_relaxed);
            }
            if (!is_head_ref(succ) && target<types>(succ)->order == fresh->order) {
                // fresh goes in front of the stamped part: its front must be
                // stamped before anything is linked before it, so that
                // fresh, stamped later, gets the higher stamp
                // (docs/design.md, invariant 7).
                stamp_of(stamped(target<types>(succ)));
            }
            if constexpr (fault::stamp_before_link) {
                stamp_of(stamped(fresh));  // the fault: a stamp taken before the CAS can be stale
            }
        }
        fresh->next.store(succ, mo_relaxed);
        // The link as read: a section head's carries its installer's claim
        // while it has one (map_sections.hpp); an entry's is succ's ref.
        link expected = fault::expect_unclaimed_link ? succ : c.insert_prev_link();
        if constexpr (fault::succ_unprotected) {
            // The fault: succ's address may be freed and come back as another
            // node right after prev before the CAS (design.md, item 13).
            c.hp_cur.reset_protection();
            c.hp_next.reset_protection();
            if (c.boundary_saved) {
                c.hp_succ.reset_protection();
                c.hp_anchor.reset_protection();  // the walk went on; prev is in hp_prev
            }
        }
        stall::at(stall::site::insert);
        // LP (insert of a new key). Expecting an unfrozen link to succ, which
        // hp_succ/hp_cur protects (item 3), fails if prev was frozen (item 2)
        // or anything was linked between prev and succ. Success also proves
        // the kind right: prev live and adjacent to succ means no plain entry
        // of the group but prev can be live.
        return cas_next<types>(c.insert_prev(), expected, link_to<types>(fresh), link_success_order, link_failure_order);
    }

    // Whether `ref` leads to a plain entry of the group of base order `order`.
    static bool is_plain_entry_of(link ref, std::uint64_t order) noexcept {
        return !is_head_ref(ref) && target<types>(ref)->order == order;
    }

    // The orders of the CASes that link a new entry (insert_new, replace_live).
    // Acq_rel: release publishes the entry's fields; acquire on failure reads
    // the link that beat us. The test-only fault drops both.
    static constexpr memory_order link_success_order = fault::relaxed_link ? mo_relaxed : mo_acq_rel;
    static constexpr memory_order link_failure_order = fault::relaxed_link ? mo_relaxed : mo_acquire;

    // The stamp of e, stamping it first if it has none (map_node.hpp). Any
    // thread may stamp a linked entry; the first CAS wins and the stamp never
    // changes again. Every stamp read goes through here.
    //
    // The clock of e's group: one of `stamp_clocks` cells chosen by order, so
    // all entries of a group share a cell. Acq_rel on the clock: of two
    // stampings of one group, the later in the clock's order gets the higher
    // stamp and synchronizes with the earlier one; the acq_rel CAS publishes
    // the stamp with that order. docs/design.md ("iteration") derives from
    // these two that a key never comes back with a stamp below one an
    // iterator has already yielded it with.
    std::uint64_t stamp_of(stamped_entry* e) const noexcept {
        std::uint64_t stamp = e->stamp.load(mo_acquire);
        if (stamp != stamped_entry::unstamped) {
            return stamp;
        }
        auto& clock = clock_of(e->order);
        const std::uint64_t fresh = fault::frozen_clock ? 1 : clock.fetch_add(1, mo_acq_rel) + 1;
        if (e->stamp.compare_exchange_strong(stamp, fresh, mo_acq_rel, mo_acquire)) {
            return fresh;
        }
        return stamp;  // stamped by another thread meanwhile
    }
    // The clock of a group (either part's order): one of `stamp_clocks` cells.
    atomic<std::uint64_t>& clock_of(std::uint64_t order) const noexcept {
        return stamp_clocks_[static_cast<std::size_t>(order >> 2) % stamp_clocks].value;
    }
    static stamped_entry* stamped(node* n) noexcept { return static_cast<stamped_entry*>(n); }

    // ---- after a change: compaction and the resize heuristics ---------------------

    // c.cur was just frozen: cut it out, or failing that, compact its section.
    void compact_frozen(cursor& c, std::uint64_t order) const noexcept {
        if (c.enter() == step_result::ok) {
            c.examine();
            if (!is_frozen(c.cur_link)) {
                return;  // already cut by someone else
            }
            std::size_t retired = 0;
            const auto r = c.cut_run(retired);
            count_cut(r, retired);
            if (r == cursor::cut_result::cut || r == cursor::cut_result::skipped) {
                return;  // skipped: no memory to retire with; a later walk cuts it
            }
        }
        repair(order);
    }

    // A compacting walk over the key's section, best effort.
    void repair(std::uint64_t order) const noexcept {
        try {
            cursor c = new_cursor();
            for (int attempts = 0; attempts < 4; ++attempts) {
                find_start(c, order);
                if (walk(c, order, any_live_node, /*compact=*/true, /*need_boundary=*/false) != walk_status::restart) {
                    return;
                }
            }
        } catch (...) {
            // Only allocation can fail here; frozen nodes stay until a later walk.
        }
    }

    void after_replace(cursor& c, std::uint64_t order) const noexcept { compact_frozen(c, order); }

    // ---- the sections and their heads (map_sections.hpp) ---------------------------

    // The shape word: the width, a flag saying a shrink is under way (the
    // width is already one less; the segment above it is being taken out),
    // and a generation that every change of the word increments.
    static constexpr std::uint64_t shape_shrinking_bit = 0x100;
    static constexpr unsigned shape_width(std::uint64_t s) noexcept { return static_cast<unsigned>(s & 0xff); }
    static constexpr bool shape_shrinking(std::uint64_t s) noexcept { return (s & shape_shrinking_bit) != 0; }
    static constexpr std::uint64_t shape_generation(std::uint64_t s) noexcept { return s >> 9; }
    static constexpr std::uint64_t make_shape(unsigned width, bool shrinking, std::uint64_t generation) noexcept {
        return width | (shrinking ? shape_shrinking_bit : 0) | (generation << 9);
    }

    // Where a walk starts: c at the key's section head (installed if need
    // be), a parent's, or the start sentinel, with cur its successor.
    // Inline, the common case (lever 10): the key's own head is in the list
    // and usable; find_start_general does the rest, from the beginning.
    void find_start(cursor& c, std::uint64_t order) const {
        // Acquire: the segments up to this width were published before it.
        const unsigned width = shape_width(shape_.load(mo_acquire));
        const std::uint64_t prefix = prefix_of(order, width);
        if (prefix != 0) [[likely]] {
            segment* seg = nullptr;
            const head_place place = place_of(prefix, width);
            // Straight into hp_anchor: the head is the walk's first anchor
            // (find_start_general protects in hp_start, its scratch, since it
            // may have to install the head or try a parent's first).
            map_head* h = protect_head(c.hp_anchor, place, seg);
            if (h != nullptr) [[likely]] {
                // Acquire, read after h was validated: its successor's fields.
                const link l = h->next.load(mo_acquire);
                if (is_usable_head_link(l)) [[likely]] {
                    c.width = width;
                    if (c.begin_at(link_to_head(h, place.level), l) == step_result::ok) [[likely]] {
                        return;
                    }
                }
            }
        }
        // hp_anchor may protect the head just found unusable: let it go, or
        // find_start_general's swap would keep it in the scratch slot (and
        // with it the whole segment, should a shrink retire that) for as
        // long as the cursor lives.
        c.hp_anchor.reset_protection();
        find_start_general(c, order);
    }
    void find_start_general(cursor& c, std::uint64_t order) const;
    void start_below(cursor& c, std::uint64_t order) const;
    map_head* protect_head(walk_slot& hp, head_place place, segment*& seg) const noexcept;
    bool install_head(cursor& c, segment* seg, map_head* h, head_place place) const;
    static void unclaim(map_head* h) noexcept;
    bool release_claim(cursor& c, map_head* h, std::uint64_t order) const;
    void unlink_frozen_head(cursor& c, std::uint64_t order) const;
    unsigned current_width() const noexcept;

    // The heuristics that ask for a resize after a change, the resize, and
    // the memory given back after it.
    void after_insert(cursor& c) const noexcept;
    void after_erase(cursor& c, std::uint64_t order) const noexcept;
    bool load_allows(unsigned width, std::size_t percent, bool at_least) const noexcept;
    std::size_t empty_sections_from(cursor& c) const noexcept;
    void request_resize(unsigned from, int to) const noexcept;
    void resize(unsigned from, int to_signed) const;
    void grow(std::uint64_t s, unsigned to) const;
    bool shrink_one(std::uint64_t s) const;
    bool finish_shrink(std::uint64_t s) const;
    static bool freeze_head(map_head* h) noexcept;
    void give_back_memory(bool trim, bool drain = true) const noexcept;

    // ---- whole-list walks (map_iteration.hpp) -----------------------------------

    bool stamp_part_front(cursor& c) const noexcept;
    position plain_position(const node* n) const noexcept;
    // A compacting walk over the whole list, visiting every live node.
    template <class Visit>
    void full_walk(cursor& c, Visit&& visit) const;

    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual eq_;
    concurrent_map_options options_;
    hazard_pointer_domain* domain_;
    std::uint64_t seed_;
    node_pool_base* pool_ = nullptr;  // owned: closed by the destructor
    node* start_ = nullptr;
    node* end_ = nullptr;
    mutable atomic<std::uint64_t> shape_{0};
    // Segment k holds the heads of level k (map_heads.hpp); [0] is unused
    // (the start sentinel is the head of level 0).
    mutable atomic<segment*> segments_[max_table_width + 1];
    static constexpr std::size_t stamp_clocks = 16;
    struct alignas(cache_line_size) stamp_clock {
        atomic<std::uint64_t> value{0};
    };
    mutable stamp_clock stamp_clocks_[stamp_clocks];
    mutable atomic<std::uint64_t> grows_{0};
    mutable atomic<std::uint64_t> shrinks_{0};
    mutable striped_counter size_;
    mutable striped_counter compactions_;
    mutable striped_counter retired_;
    mutable striped_counter heads_installed_;
};

}  // namespace detail
SINK_END_NAMESPACE
