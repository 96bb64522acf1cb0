// The algorithm of sink::concurrent_map: the sorted list with frozen links,
// waypoints, the lookup table and its resizes. docs/design.md has the
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
#include "sink/detail/map_table.hpp"
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
    using waypoint = typename types::waypoint;
    using table = map_table<types>;
    using cursor = map_cursor<types>;
    using value_type = typename types::value_type;

    map_core(const concurrent_map_options& options, const Hash& hash, const KeyEqual& eq, const Allocator& alloc)
        : hash_(hash),
          eq_(eq),
          options_(checked(options)),
          domain_(options.domain != nullptr ? options.domain : &hazard_pointer_default_domain()),
          seed_(options.seed != 0 ? options.seed : fresh_seed(this)) {
        pool_ = types::make_pool(alloc);  // first: nothing else to undo if it throws
        try {
            end_ = types::make_sentinel(pool_, end_order);
            start_ = types::make_sentinel(pool_, 0);
            start_->next.store(link_to<types>(end_), mo_relaxed);
            current_.store(table::make(0, start_, pool_), mo_relaxed);
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
        node* n = target<types>(start_->next.load(mo_relaxed));
        while (n != end_) {
            node* after = target<types>(n->next.load(mo_relaxed));
            types::destroy(n);
            n = after;
        }
        types::destroy_sentinel(pool_, start_);
        types::destroy_sentinel(pool_, end_);
        table* t = current_.load(mo_relaxed);
        if (table* old = t->old.load(mo_relaxed)) {
            table::destroy(old);  // a sweep that never finished (a thread died in it)
        }
        table::destroy(t);
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
        for (node* n = target<types>(start_->next.load(mo_relaxed)); n != end_;
             n = target<types>(n->next.load(mo_relaxed))) {
            if (std::binary_search(published.begin(), published.end(), static_cast<const void*>(n))) {
                return true;
            }
        }
        return false;
    }
#endif

    map_core(const map_core&) = delete;
    map_core& operator=(const map_core&) = delete;

    hazard_pointer_domain& domain() const noexcept { return *domain_; }
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
        swap_atomic(current_, other.current_);
        for (std::size_t i = 0; i < stamp_clocks; ++i) {
            swap_atomic(stamp_clocks_[i].value, other.stamp_clocks_[i].value);
        }
        swap_atomic(grows_, other.grows_);
        swap_atomic(shrinks_, other.shrinks_);
        size_.swap(other.size_);
        compactions_.swap(other.compactions_);
        retired_.swap(other.retired_);
        waypoints_created_.swap(other.waypoints_created_);
    }

    template <class K>
    std::uint64_t order_of(const K& key) const {
        return entry_order(seeded_mix(static_cast<std::uint64_t>(hash_(key)), seed_));
    }

    // ---- lookups ------------------------------------------------------------

    // Leaves the live entry of `key` protected in c.hp_cur (c.cur) and returns
    // true, or returns false. Lock-free.
    template <class K>
    bool lookup(cursor& c, const K& key) const {
        const std::uint64_t order = order_of(key);
        auto match = [this, &key](node* n) { return eq_(static_cast<entry*>(n)->value.first, key); };
        for (;;) {
            find_start(c, order);
            switch (walk(c, order, match, /*compact=*/false, /*need_boundary=*/false)) {
                case walk_status::found:
                    // LP: the load of c.cur->next that showed the entry live.
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

    // ---- writes ---------------------------------------------------------------

    // What a write does once it knows the key's live entry (or its absence).
    enum class decision { keep, replace, erase, insert };

    // The one write loop. `decide(entry* live_or_null)` is called with the
    // live entry (protected) or nullptr, before anything changes, and may
    // throw (for example while copying the old value out): then the map is
    // unchanged. `make(order)` builds the new node, of the kind `order` says,
    // when one is needed; it is remade in the other kind if the group changes
    // before it is linked (map_types::rekind). Returns the
    // decision taken; the change it names has happened (its LP is the CAS).
    template <class K, class Decide, class Make>
    decision write(const K& key, std::uint64_t order, Decide&& decide, Make&& make) {
        cursor c(*domain_);
        node_holder fresh;
        // Once the new node is made the key may have been moved into it.
        auto match = [this, &key, &fresh](node* n) {
            const Key& k = static_cast<entry*>(n)->value.first;
            return fresh ? eq_(k, fresh.get()->value.first) : eq_(k, key);
        };
        bool compact = false;
        for (;;) {
            find_start(c, order);
            const walk_status status = walk(c, order, match, compact, /*need_boundary=*/true);
            if (status == walk_status::restart) {
                continue;
            }
            entry* live = status == walk_status::found ? static_cast<entry*>(c.cur) : nullptr;
            const decision d = decide(live);
            if (d == decision::keep) {
                return d;  // LP: the load that showed `live` live, or the absence
            }
            if (d == decision::erase) {
                if (erase_live(c)) {
                    after_erase(c, order);
                    return d;
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
                        ? live->order
                        : types::new_entry_order(order, c.insert_prev()->order != order || fault::second_plain_key);
                if (!fresh) {
                    fresh.reset(make(kind));
                } else if (fresh.get()->order != kind &&
                           !(d == decision::insert && is_stamped_order(fresh.get()->order))) {
                    fresh.reset(types::rekind(pool_, fresh.get(), kind));  // made for a state that changed
                }
                if (d == decision::replace ? replace_live(c, fresh.get()) : insert_new(c, fresh.get())) {
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

    // ---- whole-map operations -------------------------------------------------

    // Visits live entries in list order: f(const value_type&) returns false to
    // stop. Weakly consistent; see docs/design.md ("iteration").
    template <class F>
    void for_each(F&& f) const {
        cursor c(*domain_);
        position pos;
        if (!first_after(c, pos, true)) {
            return;
        }
        for (;;) {
            if (!f(static_cast<const entry*>(c.cur)->value)) {
                return;
            }
            if (!next_after(c, pos)) {
                return;
            }
        }
    }

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
    // Moves c to the first live entry after `pos` (starting afresh from the
    // table when `restart`) and sets `pos` to its position; false at the end
    // of the list.
    //
    // An entry is after `pos` if its order is higher, or equal with a lower
    // stamp. Its position is read (its stamp, stamping it if need be; for a
    // plain entry, the clock) BEFORE the load of its `next` that shows it
    // live, and that load is the one the yield relies on: then no entry of
    // the same key linked later can carry a lower stamp (docs/design.md,
    // "iteration"), which is what keeps a restart from yielding the key
    // again.
    bool first_after(cursor& c, position& pos, bool restart) const {
        for (;;) {
            if (restart) {
                find_start(c, pos.order);
            }
            restart = true;
            for (;;) {
                c.examine();
                node* n = c.cur;
                if (n->order == end_order) {
                    return false;
                }
                if (!is_frozen(c.cur_link) && is_entry_order(n->order) && n->order >= pos.order) {
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
    bool stamp_part_front(cursor& c) const noexcept {
        node* y = target<types>(c.cur_link);
        stall::at(stall::site::plain_front);
        c.hp_next.reset_protection(y);
        // c.cur still live with the same next: y is in the list, protected.
        if (!fault::skip_front_validation && c.cur->next.load(mo_acquire) != c.cur_link) {
            c.hp_next.reset_protection(nullptr);
            return false;
        }
        if (y->order == stamped_order(c.cur->order)) {
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
    position plain_position(const node* n) const noexcept {
        if constexpr (fault::plain_position_at_top) {
            return position{stamped_order(n->order), ~std::uint64_t{0}};  // the fault
        }
        return position{stamped_order(n->order), clock_of(n->order).load(mo_acquire) + 1};
    }

    // From the entry c stands on (whose position is `pos`) to the next one.
    bool next_after(cursor& c, position& pos) const {
        if (c.advance() == step_result::restart) {
            return first_after(c, pos, true);
        }
        return first_after(c, pos, false);
    }

    // Erases every entry that is in the map when the walk reaches it.
    void clear() {
        cursor c(*domain_);
        bool froze_any = false;
        full_walk(c, [this, &froze_any](node* n, link l) {
            if (!is_entry_order(n->order)) {
                return false;
            }
            link expected = l;
            stall::at(stall::site::erase);
            // LP (of erasing this entry): as in erase_live. Only the CAS that
            // froze the entry counts it out: a failed one met a newer
            // version or another erase, which is examined again.
            if (n->next.compare_exchange_strong(expected, l | frozen_bit, mo_acq_rel, mo_acquire) ||
                fault::clear_counts_lost_cas) {
                size_.add(-1);
                froze_any = true;
            }
            return true;  // re-examine: it is frozen now (or changed)
        });
        c.hp_table.reset_protection();  // the walk is over (see give_back_memory)
        try {
            request_resize(current_width(), 0);
        } catch (...) {
            // Every entry is erased already; the table just stays as large.
        }
        // A clear that erased nothing has nothing to give back, and does not
        // drain the domain (a drain takes every thread's retired stack: a
        // loop clearing an empty map beside writers of other maps would
        // keep doing their scans).
        give_back_memory(/*trim=*/true, /*drain=*/froze_any);
    }

    std::size_t size() const noexcept {
        const std::int64_t n = size_.sum();
        return n < 0 ? 0 : static_cast<std::size_t>(n);
    }

    void reserve(std::size_t n) {
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

    concurrent_map_stats stats() const {
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

    // Checks every structural invariant; requires a quiescent map.
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

    unsigned current_width() const {
        hazard_pointer hp = make_hazard_pointer(*domain_);
        return hp.protect(current_)->width;
    }
    bool sweep_pending() const {
        hazard_pointer hp = make_hazard_pointer(*domain_);
        return hp.protect(current_)->old.load(mo_acquire) != nullptr;
    }

    static node* protect_slot(hazard_pointer& hp, const typename table::slot_type& slot) noexcept {
        return hp.protect(slot, [](node* p) noexcept { return p == table::expunged() ? nullptr : p; });
    }

    // ---- the walk ---------------------------------------------------------------

    // Matches any live node of the order: there is at most one live waypoint
    // per order, so for a waypoint order this finds it.
    static bool any_live_node(node*) noexcept { return true; }

    // Walks from c's start to the key: stops on its live entry (found), or on
    // the first node ordered after its group (absent). `order` is the group's
    // base order for a key (both parts of the group are searched), or a
    // waypoint's order. With `compact`, cuts out every frozen run it meets.
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
                    // after the live node, a waypoint's place): stepping
                    // through would retry forever. Nothing has changed, so
                    // the strong guarantee holds.
                    throw std::bad_alloc();
                }
                if (r != cursor::cut_result::skipped) {
                    continue;
                }
            }
            if (cur->order > last) {
                return walk_status::absent;
            }
            if (fault::live_tombstone && is_frozen(c.cur_link) && is_entry_order(cur->order) &&
                in_group(cur->order) && matches(cur)) {
                return walk_status::found;  // the fault: an erased or superseded entry taken as live
            }
            if (!is_frozen(c.cur_link)) {
                if (cur->order < order) {
                    if (is_entry_order(cur->order)) {
                        ++c.live_passed;
                    }
                } else if (matches(cur)) {  // in the group: order <= cur->order <= last
                    return walk_status::found;
                }
            }
            if (cur->order == last && need_boundary && !c.boundary_saved &&
                c.save_boundary() == step_result::restart) {
                return walk_status::restart;
            }
            if (c.advance() == step_result::restart) {
                return walk_status::restart;
            }
        }
    }

    void count_cut(typename cursor::cut_result r, std::size_t retired) const noexcept {
        if (r == cursor::cut_result::cut) {
            compactions_.add(1);
            retired_.add(static_cast<std::int64_t>(retired));
        }
    }

    // Positions c at a live waypoint whose order is at most `order` (the
    // start of the key's section), with cur its successor.
    void find_start(cursor& c, std::uint64_t order) const {
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

    bool start_from_old_table(cursor& c, table* t, std::uint64_t order) const {
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
    node* install_waypoint(cursor& c, table* t, std::size_t i) const {
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

    static bool try_ref(waypoint* w) noexcept {
        std::uint32_t r = w->slot_refs.load(mo_relaxed);
        do {
            if ((r & waypoint::dead) != 0) {
                return false;
            }
            // Acq_rel: totally ordered with the 0 -> dead CAS of a deleter.
        } while (!w->slot_refs.compare_exchange_weak(r, r + 1, mo_acq_rel, mo_relaxed));
        return true;
    }
    static void unref(waypoint* w) noexcept {
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
    static bool try_delete_waypoint(node* n) noexcept {
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
    static void help_waypoint_delete(node* w) noexcept {
        if constexpr (!fault::unhelped_waypoint_delete) {  // the fault: wait for the deleter instead
            finish_waypoint_delete(w);
        }
    }
    // The second step of a waypoint's deletion, by its deleter or a helper.
    // Idempotent.
    static void finish_waypoint_delete(node* w) noexcept {
        link l = w->next.load(mo_acquire);
        // Dead, so no slot gets w any more; only inserts after w change its
        // next now, never to a frozen value. Acq_rel as every CAS on a next.
        while (!is_frozen(l) && !w->next.compare_exchange_weak(l, l | frozen_bit, mo_acq_rel, mo_acquire)) {
        }
    }

    // ---- the changes ------------------------------------------------------------

    // Links `fresh` (a new version of c.cur's key) right after it. One CAS
    // links the new node and freezes the old one (item 2).
    bool replace_live(cursor& c, entry* fresh) const noexcept {
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
        node* succ = c.insert_succ();
        if (is_stamped_order(fresh->order)) {
            // A new key is linked unstamped, also when `fresh` was made for a
            // replace that lost its race to an erase and carries the stamp it
            // copied then (a stamp from before the link: invariant 7).
            if constexpr (!fault::stale_retry_stamp) {
                stamped(fresh)->stamp.store(stamped_entry::unstamped, mo_relaxed);
            }
            if (succ->order == fresh->order) {
                // fresh goes in front of the stamped part: its front must be
                // stamped before anything is linked before it, so that
                // fresh, stamped later, gets the higher stamp
                // (docs/design.md, invariant 7).
                stamp_of(stamped(succ));
            }
            if constexpr (fault::stamp_before_link) {
                stamp_of(stamped(fresh));  // the fault: a stamp taken before the CAS can be stale
            }
        }
        fresh->next.store(link_to<types>(succ), mo_relaxed);
        link expected = link_to<types>(succ);
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
        return c.insert_prev()->next.compare_exchange_strong(expected, link_to<types>(fresh), link_success_order,
                                                             link_failure_order);
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
            cursor c(*domain_);
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

    void after_insert(cursor& c) const noexcept {
        if (options_.grow_on_insert_count > 0 && c.live_passed > options_.grow_on_insert_count &&
            load_allows(c.width, options_.grow_min_load_percent, /*at_least=*/true)) {
            // The walk is over: its table need not stay protected, and the
            // drain at the end of the sweep can free it if it is the old one.
            c.hp_table.reset_protection();
            request_resize(c.width, static_cast<int>(c.width + options_.grow_amount));
        }
    }

    void after_erase(cursor& c, std::uint64_t order) const noexcept {
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
    bool load_allows(unsigned width, std::size_t percent, bool at_least) const noexcept {
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
    std::size_t empty_sections_from(cursor& c) const noexcept {
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

    void request_resize(unsigned from, int to) const noexcept {
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
    void resize(unsigned from, int to_signed) const {
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
    void sweep(table* t) const {
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
    void give_back_memory(bool trim, bool drain = true) const noexcept {
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
    void delete_unrepresented_waypoints(table* t) const {
        cursor c(*domain_);
        full_walk(c, [t](node* n, link) {
            return is_waypoint_order(n->order) && !t->represents(n->order) && try_delete_waypoint(n);
        });
    }

    // A compacting walk over the whole list. `visit(node, link)` is called on
    // live nodes other than the end sentinel; it returns true if it changed
    // the node (which is then examined again).
    template <class Visit>
    void full_walk(cursor& c, Visit&& visit) const {
        for (;;) {
            c.hp_anchor.reset_protection(start_);  // the start sentinel is never retired
            if (c.begin_at(start_) != step_result::ok) {
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
                    if (c.cur->order == end_order) {
                        return;
                    }
                    if (visit(c.cur, c.cur_link)) {
                        continue;
                    }
                }
                restart = c.advance() == step_result::restart;
            }
        }
    }

    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual eq_;
    concurrent_map_options options_;
    hazard_pointer_domain* domain_;
    std::uint64_t seed_;
    node_pool_base* pool_ = nullptr;  // owned: closed by the destructor
    waypoint* start_ = nullptr;
    waypoint* end_ = nullptr;
    mutable atomic<table*> current_{nullptr};
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
    mutable striped_counter waypoints_created_;
};

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
