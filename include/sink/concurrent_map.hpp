/// \file
/// sink::concurrent_map: a lock-free concurrent hash map, a port of the Go
/// package sink.Map (one sorted linked list with frozen links, whose
/// sections start at heads kept in appended segments), with hazard-pointer
/// reclamation.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sink/detail/map_core.hpp"
#include "sink/detail/map_iteration.hpp"
#include "sink/detail/map_sections.hpp"
#include "sink/detail/map_verify.hpp"
#include "sink/detail/shared_protection.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE

/// A lock-free concurrent hash map with values that are immutable once stored.
///
/// Two sets of names for the same operations: Go's sync.Map (store, load,
/// load_or_store, exchange, compare_and_swap, erase, load_and_erase,
/// compare_and_erase, range) and the drop-in names of Boost's
/// concurrent_flat_map (insert, emplace, try_emplace, insert_or_assign,
/// count, visit, visit_all, erase_if), which return `bool` or `size_type`,
/// never iterators. docs/migration.md maps the calls of other concurrent
/// maps to these.
///
/// **Values are immutable.** A write makes a new node; readers get a copy
/// (load), a handle that keeps the node alive (find), or a const reference
/// valid during a call (visit, range, iterators). No lock is ever held: a
/// visit may run while the key is being overwritten or erased, and sees
/// the one version it reached, whole and unchanged. To change a value from
/// what it is, call update(key, f), which stores f(value) atomically.
///
/// **Values in place.** When T is trivially copyable, at most 8 bytes and
/// has unique object representations (integers, enums, pointers, structs
/// of these without padding), and the target has a lock-free double-width
/// CAS (x86-64 with -mcx16, which sink::sink adds), the value lives in its
/// key's entry and a replace (store, exchange, compare_and_swap,
/// insert_or_assign, update) changes it with one CAS: no node, no
/// allocation. Readers then get copies: a handle, an iterator and the
/// reference visit and range pass hold the value as it was read, which a
/// later replace does not change.
///
/// **Progress.** Every operation is lock-free unless its entry says
/// otherwise: it never waits for another thread, and some thread always
/// completes its operation. No operation holds a lock, sleeps or starts a
/// thread.
///
/// **Functors.** Every call that takes a function (visit, cvisit,
/// visit_all, cvisit_all, range, erase_if) takes it by forwarding reference
/// and calls it as an lvalue: a stateful function object passed as an
/// lvalue is the one called, and keeps its state after the call.
///
/// **Linearizability.** Every single-key operation is linearizable (per
/// key; docs/design.md lists the linearization points). Whole-map walks
/// (range, visit_all, iterators, clear, erase_if(Pred)) are weakly
/// consistent: every key present and unchanged for the whole walk is
/// reached exactly once, no key twice, and keys inserted or erased
/// meanwhile may or may not be.
///
/// **Exceptions.** Unless an entry says otherwise an operation gives the
/// strong guarantee: if it throws, the map is unchanged (a key or value
/// passed as an rvalue may have been moved from by then). Every operation
/// that finds a key may throw what Hash and KeyEqual throw, and
/// std::bad_alloc when the calling thread needs a new hazard-pointer
/// record, or when a frozen run in the key's way must be cut (a write, or a
/// lookup that links its section's head) and no memory is left to retire
/// it with; the entries below call this "the lookup's exceptions". Writes
/// may also throw what the key and value constructors and the allocator
/// throw. A failed allocation of a segment of section heads inside a grow
/// is swallowed: the operation that asked for it has already taken effect.
///
/// **Ordering.** The CAS that links a node (insert, replace) or freezes it
/// (erase) is acq_rel, and every walk reads links with acquire. So a write
/// *publishes* its node: it happens-before any operation that observes the
/// value it wrote (a load, visit or iteration that returns it, a write
/// whose decision depends on it), and the value's construction
/// happens-before every read of it. An erase happens-before any operation
/// that misses the key because of it. No promise is made across keys
/// beyond what these give (for example, no single total order of writes
/// to different keys).
///
/// **Allocators.** Nodes are freed by whichever thread reclaims them,
/// possibly after the map is destroyed: the map keeps a copy of its
/// allocator (in its node pool) until the last of its memory is freed, so
/// the allocator may be stateful (an arena, a `std::pmr` resource), and what
/// it allocates from must outlive the map and every node retired from it.
/// A thread keeps up to 126 of the nodes it retired in a private batch
/// until its next scan or its exit; once every thread that wrote the map
/// has exited (or scanned since), `hazard_pointer_domain::drain()` frees
/// the rest. Keys and values are
/// constructed and destroyed through the allocator
/// (`std::allocator_traits`), so a `std::pmr` map gives its resource to
/// keys and values that take one.
///
/// **Requirements.** The map must be destroyed only when no other thread
/// uses it.
///
/// \tparam Key the key type
/// \tparam T the mapped type
/// \tparam Hash hashes keys; with KeyEqual, `is_transparent` on both
///         enables the heterogeneous overloads (`template <class K>`)
/// \tparam KeyEqual compares keys
/// \tparam Allocator allocates nodes and segments of section heads, and constructs keys and values
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class concurrent_map {
    using core = detail::map_core<Key, T, Hash, KeyEqual, Allocator>;
    using types = typename core::types;
    using entry = typename types::entry;
    using decision = typename core::decision;
    using live_entry = typename core::live_entry;
    static constexpr bool values_in_place = types::values_in_place;


    static constexpr bool transparent = requires {
        typename Hash::is_transparent;
        typename KeyEqual::is_transparent;
    };
    // A key type usable for lookups besides Key itself.
    template <class K>
    static constexpr bool lookup_key = transparent && !std::is_same_v<std::remove_cvref_t<K>, Key>;

public:
    using key_type = Key;                        ///< Key
    using mapped_type = T;                       ///< T
    using value_type = std::pair<const Key, T>;  ///< what an entry holds
    using size_type = std::size_t;               ///< sizes and counts
    using hasher = Hash;                         ///< Hash
    using key_equal = KeyEqual;                  ///< KeyEqual
    using allocator_type = Allocator;            ///< Allocator

    class handle;
    class const_iterator;
    using iterator = const_iterator;  ///< entries are read-only: the same as const_iterator

    /// An empty map with the default options.
    concurrent_map() : concurrent_map(concurrent_map_options{}) {}
    /// An empty map. Throws std::invalid_argument if `options` are out of
    /// range, std::bad_alloc if the map's node pool or sentinels cannot be allocated.
    explicit concurrent_map(const concurrent_map_options& options, const Hash& hash = Hash(),
                            const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
        : core_(options, hash, eq, alloc) {}

    /// An empty map sized for about `bucket_count` entries (reserve()), with
    /// the default options otherwise.
    explicit concurrent_map(size_type bucket_count, const Hash& hash = Hash(), const KeyEqual& eq = KeyEqual(),
                            const Allocator& alloc = Allocator())
        : core_(concurrent_map_options{}, hash, eq, alloc) {
        reserve(bucket_count);
    }
    /// concurrent_map(bucket_count, Hash(), KeyEqual(), alloc).
    concurrent_map(size_type bucket_count, const Allocator& alloc)
        : concurrent_map(bucket_count, Hash(), KeyEqual(), alloc) {}
    /// concurrent_map(bucket_count, hash, KeyEqual(), alloc).
    concurrent_map(size_type bucket_count, const Hash& hash, const Allocator& alloc)
        : concurrent_map(bucket_count, hash, KeyEqual(), alloc) {}
    /// An empty map with the default options, allocating with `alloc`.
    explicit concurrent_map(const Allocator& alloc) : concurrent_map(0, Hash(), KeyEqual(), alloc) {}
    /// A map holding the entries of [first, last) (the first of equal keys
    /// wins, as insert), sized for `bucket_count` entries first.
    template <std::input_iterator InputIt>
    concurrent_map(InputIt first, InputIt last, size_type bucket_count = 0, const Hash& hash = Hash(),
                   const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
        : concurrent_map(bucket_count, hash, eq, alloc) {
        insert(first, last);
    }
    /// A map holding the entries of `init` (the first of equal keys wins).
    concurrent_map(std::initializer_list<value_type> init, size_type bucket_count = 0, const Hash& hash = Hash(),
                   const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
        : concurrent_map(init.begin(), init.end(), bucket_count, hash, eq, alloc) {}

    /// \name Copy, move, swap
    /// None of these is concurrent with other calls on the map they change
    /// (as in Boost's concurrent maps); each invalidates every iterator of
    /// the maps it changes. Handles stay valid as long as the map now owning
    /// their entry lives.
    ///
    /// Allocators follow the standard containers' rules: a move takes the
    /// allocator with the nodes; a move assignment whose allocator does not
    /// propagate (`std::pmr`) and differs moves the values one by one into
    /// nodes of this map's allocator; a copy asks
    /// `select_on_container_copy_construction`; a copy assignment keeps this
    /// map's allocator unless it propagates on copy assignment. A swap
    /// always exchanges the allocators with the nodes (the standard leaves
    /// swapping unequal allocators that do not propagate undefined; here each
    /// map keeps the nodes of the allocator it then holds).
    ///@{

    /// A map with `other`'s entries, options, hash, equality and allocator;
    /// `other` is left empty and usable (with a new empty list, allocated
    /// here: throws std::bad_alloc, changing nothing, if that fails).
    concurrent_map(concurrent_map&& other)
        : core_(other.core_.options(), other.core_.hash_function(), other.core_.key_eq(),
                other.core_.get_allocator()) {
        core_.swap(other.core_);
    }
    /// As the move above if `alloc == other.get_allocator()`; otherwise a map
    /// allocating with `alloc`, whose values are moved one by one from
    /// `other`'s (keys are copied, as the standard containers do), and
    /// `other` is then cleared: basic guarantee, and handles to `other`'s
    /// entries see moved-from values.
    concurrent_map(concurrent_map&& other, const Allocator& alloc)
        requires std::copy_constructible<Key> && std::move_constructible<T>
        : core_(other.core_.options(), other.core_.hash_function(), other.core_.key_eq(), alloc) {
        if (alloc == other.get_allocator()) {
            core_.swap(other.core_);
        } else {
            take_values_of(other);
        }
    }
    /// Replaces this map's entries (destroying them), options, hash and
    /// equality with `other`'s (and its allocator, unless the allocator does
    /// not propagate on move assignment and differs: then as the move with
    /// this map's allocator above); `other` is left empty and usable.
    /// Throws std::bad_alloc, changing nothing, if `other`'s new list cannot
    /// be allocated; when the values move one by one, basic guarantee only
    /// (as the standard containers): a throw leaves this map unchanged and
    /// some of `other`'s values moved from. (With keys that cannot be
    /// copied, the allocator always goes with the nodes, as in a swap.)
    concurrent_map& operator=(concurrent_map&& other) {
        if (this != &other) {
            if constexpr (std::allocator_traits<Allocator>::propagate_on_container_move_assignment::value ||
                          !(std::copy_constructible<Key> && std::move_constructible<T>)) {
                // (A key that cannot be copied cannot move to other nodes:
                // then the allocator goes with the nodes, as in a swap.)
                concurrent_map taken(std::move(other));
                core_.swap(taken.core_);
            } else {
                concurrent_map taken(std::move(other), get_allocator());
                core_.swap(taken.core_);
            }
        }  // `taken` now holds this map's former entries, and destroys them
        return *this;
    }
    /// A map with the options, hash and equality of `other` and the entries
    /// of one weakly consistent walk of it (as `range`): other threads may
    /// use `other` meanwhile; every key present in it throughout the copy is
    /// copied, with one of the values it had during the copy. Strong
    /// guarantee.
    concurrent_map(const concurrent_map& other)
        requires std::copy_constructible<Key> && std::copy_constructible<T>
        : concurrent_map(other, std::allocator_traits<Allocator>::select_on_container_copy_construction(
                                    other.get_allocator())) {}
    /// The copy above, allocating with `alloc`.
    concurrent_map(const concurrent_map& other, const Allocator& alloc)
        requires std::copy_constructible<Key> && std::copy_constructible<T>
        : core_(other.core_.options(), other.core_.hash_function(), other.core_.key_eq(), alloc) {
        reserve(other.size());
        for (const value_type& kv : other) {
            insert(kv);
        }
    }
    /// Replaces this map's contents with a copy of `other` as above (with
    /// this map's allocator, or `other`'s if it propagates on copy
    /// assignment); strong guarantee (the copy is made first).
    concurrent_map& operator=(const concurrent_map& other)
        requires std::copy_constructible<Key> && std::copy_constructible<T>
    {
        if (this != &other) {
            constexpr bool propagate =
                std::allocator_traits<Allocator>::propagate_on_container_copy_assignment::value;
            concurrent_map copy(other, propagate ? other.get_allocator() : get_allocator());
            core_.swap(copy.core_);
        }
        return *this;
    }
    /// Exchanges the entries, options, hash, equality and allocators of the
    /// two maps. Nothrow if swapping Hash and KeyEqual is.
    void swap(concurrent_map& other) noexcept(noexcept(std::declval<core&>().swap(std::declval<core&>()))) {
        core_.swap(other.core_);
    }
    /// a.swap(b), found by ADL.
    friend void swap(concurrent_map& a, concurrent_map& b) noexcept(noexcept(a.swap(b))) { a.swap(b); }
    ///@}

    /// Destroys the values still in the map. Requires that no other thread
    /// uses the map and that no handle or iterator of it is alive (their
    /// entries are freed here whatever protects them). Values erased earlier are destroyed by the hazard-pointer
    /// domain once no thread can see them (hazard_pointer_domain::drain frees
    /// them at once when nothing protects them).
    ~concurrent_map() = default;

    /// \name Lookups
    /// Lock-free; strong guarantee; the lookup's exceptions. A lookup that
    /// finds a value observes it: the write that published it
    /// happens-before the lookup returns.
    ///@{

    /// A copy of the value of `key`, or nullopt if absent (Go's Load).
    /// Also throws what T's copy throws.
    std::optional<T> load(const Key& key) const
        requires std::copy_constructible<T>
    {
        return load_impl(key);
    }
    /// load() by a key of another type (transparent Hash and KeyEqual).
    template <class K>
        requires lookup_key<K> && std::copy_constructible<T>
    std::optional<T> load(const K& key) const {
        return load_impl(key);
    }

    /// Whether `key` is present.
    bool contains(const Key& key) const { return contains_impl(key); }
    /// contains() by a key of another type.
    template <class K>
        requires lookup_key<K>
    bool contains(const K& key) const {
        return contains_impl(key);
    }

    /// 1 if `key` is present, else 0 (std::unordered_map's count).
    size_type count(const Key& key) const { return contains_impl(key) ? 1 : 0; }
    /// count() by a key of another type.
    template <class K>
        requires lookup_key<K>
    size_type count(const K& key) const {
        return contains_impl(key) ? 1 : 0;
    }

    /// A handle on the entry of `key`, empty if absent. The value stays
    /// alive and unchanged for as long as the handle lives, even if the key
    /// is overwritten or erased meanwhile, but not beyond the map: a handle
    /// must be destroyed (or reset) before the map is.
    handle find(const Key& key) const { return find_impl(key); }
    /// find() by a key of another type.
    template <class K>
        requires lookup_key<K>
    handle find(const K& key) const {
        return find_impl(key);
    }

    /// Calls `f(const value_type&)` on the entry of `key` if present, while a
    /// hazard pointer keeps that entry alive (Boost's visit). Returns whether
    /// `key` was present. Unlike Boost, no lock is held: the key may be
    /// overwritten or erased while `f` runs, and `f` reads the version it was
    /// given, which never changes. Exceptions: also what `f` throws.
    template <class F>
        requires std::invocable<F&, const value_type&>
    bool visit(const Key& key, F&& f) const {
        return visit_impl(key, f);
    }
    /// visit() by a key of another type.
    template <class K, class F>
        requires lookup_key<K> && std::invocable<F&, const value_type&>
    bool visit(const K& key, F&& f) const {
        return visit_impl(key, f);
    }
    /// The same as visit(): every visit is read-only.
    template <class F>
        requires std::invocable<F&, const value_type&>
    bool cvisit(const Key& key, F&& f) const {
        return visit_impl(key, f);
    }
    /// cvisit() by a key of another type.
    template <class K, class F>
        requires lookup_key<K> && std::invocable<F&, const value_type&>
    bool cvisit(const K& key, F&& f) const {
        return visit_impl(key, f);
    }
    ///@}

    /// \name Writes (sync.Map names)
    /// Lock-free; strong guarantee. A write that links a node publishes it;
    /// one that decides from the current value observes that value.
    ///@{

    /// Inserts or assigns (Go's Store). `key` may be a Key, a key of another
    /// type when Hash and KeyEqual are transparent (then a Key is built from
    /// it only for a new node), or anything a Key can be built from (built
    /// first). Throws the lookup's exceptions and what the key and value
    /// constructors and the allocator throw.
    template <class K = Key, class V = T>
        requires std::constructible_from<Key, K&&> && std::constructible_from<T, V&&>
    void store(K&& key, V&& value) {
        if constexpr (std::is_same_v<std::remove_cvref_t<K>, Key> || lookup_key<K>) {
            insert_or_assign_impl(key, std::forward<K>(key), std::forward<V>(value));
        } else {
            Key k(std::forward<K>(key));
            insert_or_assign_impl(k, std::move(k), std::forward<V>(value));
        }
    }

    /// Stores `value` unless `key` is present (Go's LoadOrStore). Returns the
    /// value now in the map and whether it was already there. Throws as
    /// store(), and what T's copy throws.
    std::pair<T, bool> load_or_store(const Key& key, const T& value)
        requires std::copy_constructible<T>
    {
        return load_or_store_impl(key, value);
    }
    /// load_or_store() by a key of another type: a Key is built from it only
    /// if the key is absent.
    template <class K>
        requires lookup_key<K> && std::constructible_from<Key, const K&> && std::copy_constructible<T>
    std::pair<T, bool> load_or_store(const K& key, const T& value) {
        return load_or_store_impl(key, value);
    }

    /// Stores `value` and returns the previous value, if any (Go's Swap).
    /// Throws as store(), and what T's copy throws (then nothing changed).
    template <class V = T>
        requires std::copy_constructible<T> && std::constructible_from<T, V&&>
    std::optional<T> exchange(const Key& key, V&& value) {
        return exchange_impl(key, std::forward<V>(value));
    }
    /// exchange() by a key of another type (a Key is built for the new node).
    template <class K, class V = T>
        requires lookup_key<K> && std::constructible_from<Key, const K&> && std::copy_constructible<T> &&
                 std::constructible_from<T, V&&>
    std::optional<T> exchange(const K& key, V&& value) {
        return exchange_impl(key, std::forward<V>(value));
    }

    /// Replaces the value of `key` by `desired` if it equals `expected`
    /// (Go's CompareAndSwap); never inserts. Returns whether it replaced.
    /// Throws as store(), and what T's `==` throws.
    template <class V = T>
        requires std::equality_comparable<T> && std::constructible_from<T, V&&>
    bool compare_and_swap(const Key& key, const T& expected, V&& desired) {
        return compare_and_swap_impl(key, expected, std::forward<V>(desired));
    }
    /// compare_and_swap() by a key of another type (a Key is built only for
    /// the new node, when `expected` matched).
    template <class K, class V = T>
        requires lookup_key<K> && std::constructible_from<Key, const K&> && std::equality_comparable<T> &&
                 std::constructible_from<T, V&&>
    bool compare_and_swap(const K& key, const T& expected, V&& desired) {
        return compare_and_swap_impl(key, expected, std::forward<V>(desired));
    }

    /// Replaces the value `v` of `key` by `f(v)`, atomically: the value
    /// stored is f applied to the very value it replaces, with no write of
    /// another thread in between (folly's `assign_if` generalised; with Boost's
    /// `visit` one would change the value in place). Returns the value
    /// stored, or an empty optional if `key` is absent, and then inserts
    /// nothing (f is not called if the key is absent when update looks it
    /// up; it may have run in an earlier attempt that lost to an erase).
    ///
    /// Lock-free: f runs once per attempt, on the live value, protected
    /// and unlocked; an attempt that loses its race to another write runs f
    /// again on the newer value. So f may run more than once and must have
    /// no side effects; it is called as an lvalue with `const T&`. Makes one
    /// entry per successful update, as store() does. Throws what f, T's
    /// copy and store() throw; then nothing changed.
    template <class F>
        requires std::copy_constructible<T> && std::invocable<F&, const T&> &&
                 std::constructible_from<T, std::invoke_result_t<F&, const T&>>
    std::optional<T> update(const Key& key, F&& f) {
        return update_impl(key, f);
    }
    /// update() by a key of another type.
    template <class K, class F>
        requires lookup_key<K> && std::constructible_from<Key, const K&> && std::copy_constructible<T> &&
                 std::invocable<F&, const T&> && std::constructible_from<T, std::invoke_result_t<F&, const T&>>
    std::optional<T> update(const K& key, F&& f) {
        return update_impl(key, f);
    }

    /// Erases `key`; returns whether it was present (Go's Delete). Returns
    /// bool, not size_type as std and Boost do: `if (m.erase(k))` reads the
    /// same either way (docs/migration.md). Allocates no entry (a lookup's
    /// allocations aside: docs/faq.md); throws only the lookup's exceptions.
    bool erase(const Key& key) { return erase_impl(key); }
    /// erase() by a key of another type.
    template <class K>
        requires lookup_key<K>
    bool erase(const K& key) {
        return erase_impl(key);
    }

    /// Erases `key` and returns its value, if it was present (Go's
    /// LoadAndDelete). Also throws what T's copy throws (then nothing changed).
    std::optional<T> load_and_erase(const Key& key)
        requires std::copy_constructible<T>
    {
        return load_and_erase_impl(key);
    }
    /// load_and_erase() by a key of another type.
    template <class K>
        requires lookup_key<K> && std::copy_constructible<T>
    std::optional<T> load_and_erase(const K& key) {
        return load_and_erase_impl(key);
    }

    /// Erases `key` if its value equals `expected` (Go's CompareAndDelete).
    /// Also throws what T's `==` throws.
    bool compare_and_erase(const Key& key, const T& expected)
        requires std::equality_comparable<T>
    {
        return compare_and_erase_impl(key, expected);
    }
    /// compare_and_erase() by a key of another type.
    template <class K>
        requires lookup_key<K> && std::equality_comparable<T>
    bool compare_and_erase(const K& key, const T& expected) {
        return compare_and_erase_impl(key, expected);
    }
    ///@}

    /// \name Writes (drop-in names)
    /// Lock-free; strong guarantee; the lookup's exceptions and what the key
    /// and value constructors and the allocator throw. When one of these
    /// inserts or assigns it publishes the new node; when it finds the key
    /// present and leaves it, it observes the value there, as a lookup does.
    ///
    /// The calls that build the node only once the key was found absent
    /// (insert of a value_type, try_emplace, insert_or_assign) do not touch
    /// their arguments when the key is present: exactly so when it is
    /// present at the start of the call. If another thread inserts the key
    /// between this call's look and its link, the node was already built
    /// from the arguments (rvalues moved from) and is then destroyed, and
    /// the call returns false.
    ///@{

    /// Inserts a copy of `value` unless its key is present. Returns true if
    /// it inserted.
    bool insert(const value_type& value) {
        const std::uint64_t order = core_.order_of(value.first);
        return insert_absent(value.first, order, [&](std::uint64_t kind) { return types::make_entry(core_.pool(), kind, value); });
    }
    /// Inserts each element of [first, last) whose key is not present (as
    /// insert(*it), one after the other; not atomic as a whole). Returns the
    /// number inserted. Basic guarantee: if an insert throws, the earlier
    /// ones stay.
    template <std::input_iterator InputIt>
        requires std::constructible_from<value_type, std::iter_reference_t<InputIt>>
    size_type insert(InputIt first, InputIt last) {
        size_type inserted = 0;
        for (; first != last; ++first) {
            inserted += insert(value_type(*first)) ? 1 : 0;
        }
        return inserted;
    }
    /// insert(init.begin(), init.end()).
    size_type insert(std::initializer_list<value_type> init) { return insert(init.begin(), init.end()); }

    /// Inserts `value` (its mapped value moved, its const key copied) unless
    /// its key is present. Returns true if it inserted.
    bool insert(value_type&& value) {
        const std::uint64_t order = core_.order_of(value.first);
        return insert_absent(value.first, order, [&](std::uint64_t kind) { return types::make_entry(core_.pool(), kind, std::move(value)); });
    }
    /// Inserts the pair made from `value` unless its key is present: the
    /// same as emplace(std::forward<P>(value)).
    template <class P>
        requires(!std::is_same_v<std::remove_cvref_t<P>, value_type>) &&
                std::constructible_from<std::pair<Key, T>, P&&> && std::move_constructible<Key> &&
                std::move_constructible<T>
    bool insert(P&& value) {
        return emplace(std::forward<P>(value));
    }

    /// emplace(key, value) with a `key` of type Key: the same as
    /// try_emplace(key, value), so neither argument is touched when the key
    /// is present at the start of the call (see above for a concurrent
    /// insert of the same key). Returns true if it inserted.
    template <class K, class V>
        requires std::same_as<std::remove_cvref_t<K>, Key> && std::constructible_from<T, V&&>
    bool emplace(K&& key, V&& value) {
        return try_emplace_impl(key, std::forward<K>(key), std::forward<V>(value));
    }
    /// Constructs a pair from `args` (any other form: a pair, or
    /// std::piecewise_construct and two tuples, or a key of another type)
    /// and inserts it unless its key is present, in which case the pair is
    /// destroyed: as std::unordered_map::emplace, the pair is built before
    /// the key is known, so rvalue arguments are moved from either way.
    /// try_emplace builds nothing when the key is present. Returns true if
    /// it inserted.
    template <class... Args>
        requires std::constructible_from<std::pair<Key, T>, Args&&...> && std::move_constructible<Key> &&
                 std::move_constructible<T>
    bool emplace(Args&&... args) {
        // A pair with a non-const key, so the node can take the key by move.
        std::pair<Key, T> kv(std::forward<Args>(args)...);
        const std::uint64_t order = core_.order_of(kv.first);
        return insert_absent(kv.first, order, [&](std::uint64_t kind) { return make(kind, std::move(kv.first), std::move(kv.second)); });
    }

    /// Inserts `key` with the value built from `args` unless `key` is
    /// present, in which case nothing is built and nothing moved from (see
    /// above for a concurrent insert of the same key). Returns true if it
    /// inserted.
    template <class... Args>
        requires std::constructible_from<T, Args&&...>
    bool try_emplace(const Key& key, Args&&... args) {
        return try_emplace_impl(key, key, std::forward<Args>(args)...);
    }
    /// try_emplace() moving `key` into the node, only if it inserts.
    template <class... Args>
        requires std::constructible_from<T, Args&&...>
    bool try_emplace(Key&& key, Args&&... args) {
        return try_emplace_impl(key, std::move(key), std::forward<Args>(args)...);
    }
    /// try_emplace() by a key of another type, from which Key is built only
    /// if it inserts.
    template <class K, class... Args>
        requires lookup_key<K> && std::constructible_from<Key, K&&> && std::constructible_from<T, Args&&...>
    bool try_emplace(K&& key, Args&&... args) {
        return try_emplace_impl(key, std::forward<K>(key), std::forward<Args>(args)...);
    }

    /// Inserts `key` with `value`, or replaces the value of a present `key`.
    /// Returns true if it inserted, false if it assigned (as std and Boost;
    /// folly's returns true for both). An assignment links a new node: the
    /// old value is not assigned to, and stays readable to those who hold it.
    template <class M>
        requires std::constructible_from<T, M&&>
    bool insert_or_assign(const Key& key, M&& value) {
        return insert_or_assign_impl(key, key, std::forward<M>(value));
    }
    /// insert_or_assign() moving `key` into the new node.
    template <class M>
        requires std::constructible_from<T, M&&>
    bool insert_or_assign(Key&& key, M&& value) {
        return insert_or_assign_impl(key, std::move(key), std::forward<M>(value));
    }
    /// insert_or_assign() by a key of another type, from which Key is built.
    template <class K, class M>
        requires lookup_key<K> && std::constructible_from<Key, K&&> && std::constructible_from<T, M&&>
    bool insert_or_assign(K&& key, M&& value) {
        return insert_or_assign_impl(key, std::forward<K>(key), std::forward<M>(value));
    }

    /// Erases `key` if `pred(const value_type&)` holds on its live entry
    /// (Boost's erase_if(k, f); folly's erase_key_if tests the mapped value
    /// only). Returns whether it erased. `pred` sees the version that the
    /// erase removes: linearizable as a compare_and_erase. `pred` may be
    /// called more than once, on newer versions, when another write to the
    /// key wins a race; only its last result counts, so it should have no
    /// side effects that matter. Also throws what `pred` throws (then
    /// nothing changed). Allocates no node.
    template <class Pred>
        requires std::predicate<Pred&, const value_type&>
    bool erase_if(const Key& key, Pred&& pred) {
        return erase_if_impl(key, pred);
    }
    /// erase_if() by a key of another type.
    template <class K, class Pred>
        requires lookup_key<K> && std::predicate<Pred&, const value_type&>
    bool erase_if(const K& key, Pred&& pred) {
        return erase_if_impl(key, pred);
    }
    ///@}

    /// \name Whole-map operations
    /// Weakly consistent walks (see the class description); never block
    /// writers. Each entry a walk reaches is observed as a lookup observes it.
    ///@{

    /// Calls `f(key, value)` for each entry; stops when `f` returns false
    /// (Go's Range). The references are valid during the call only.
    /// Lock-free; throws the lookup's exceptions and what `f` throws.
    template <class F>
        requires std::invocable<F&, const Key&, const T&>
    void range(F&& f) const {
        core_.for_each([&f](const live_entry& live) {
            const T& value = live.value();  // (a copy, when in place)
            if constexpr (std::is_void_v<std::invoke_result_t<F&, const Key&, const T&>>) {
                std::invoke(f, live.key(), value);
                return true;
            } else {
                return static_cast<bool>(std::invoke(f, live.key(), value));
            }
        });
    }

    /// Calls `f(const value_type&)` for each entry (Boost's visit_all; its
    /// result, if any, is ignored). Returns the number of calls. No lock is
    /// held (see visit()). Lock-free; throws the lookup's exceptions and what
    /// `f` throws.
    template <class F>
        requires std::invocable<F&, const value_type&>
    size_type visit_all(F&& f) const {
        size_type visited = 0;
        core_.for_each([&](const live_entry& live) {
            const value_type& kv = live.pair();  // (a copy, when in place)
            std::invoke(f, kv);
            ++visited;
            return true;
        });
        return visited;
    }
    /// The same as visit_all(): every visit is read-only.
    template <class F>
        requires std::invocable<F&, const value_type&>
    size_type cvisit_all(F&& f) const {
        return visit_all(std::forward<F>(f));
    }

    /// Erases each entry for which `pred(const value_type&)` holds (Boost's
    /// erase_if(f)); returns the number erased. Each erase is conditional on
    /// the very version `pred` was called on being still live: if the key
    /// was overwritten or erased in between, it is left alone (the newer
    /// value was never tested). Weakly consistent as range(). Lock-free.
    /// Basic guarantee only: if `pred`, Hash or KeyEqual throws, or
    /// bad_alloc is thrown, the entries erased so far stay erased.
    template <class Pred>
        requires std::predicate<Pred&, const value_type&>
    size_type erase_if(Pred&& pred) {
        size_type erased = 0;
        core_.for_each([&](const live_entry& visited) {
            const value_type& kv = visited.pair();  // (a copy, when in place)
            if (!std::invoke(pred, kv)) {
                return true;
            }
            // The walk's hazard pointer keeps the entry alive for this whole
            // call, so no other node can appear at its address: comparing
            // addresses asks "is this still that version?" without ABA. With
            // values in place the version is the entry and the value's word:
            // the erase expects that very word.
            const Key& k = visited.key();
            if (core_.write(
                    k, core_.order_of(k),
                    [&visited](const live_entry& live) {
                        return live && live.e == visited.e && live.word == visited.word ? decision::erase
                                                                                         : decision::keep;
                    },
                    [](std::uint64_t) -> entry* { return nullptr; }) == decision::erase) {
                ++erased;
            }
            return true;
        });
        return erased;
    }

    /// Forward iterator to the first entry, with range()'s guarantees. An
    /// iterator keeps the entry it points at alive (it holds a hazard
    /// pointer). Lock-free; throws the lookup's exceptions.
    const_iterator begin() const { return const_iterator(&core_); }
    /// The past-the-end iterator. Wait-free; nothrow.
    const_iterator end() const noexcept { return const_iterator(); }
    /// The same as begin().
    const_iterator cbegin() const { return begin(); }
    /// The same as end().
    const_iterator cend() const noexcept { return end(); }

    /// Erases every entry present when the walk reaches it; entries inserted
    /// meanwhile may stay. Safe beside any other operation. Then shrinks the
    /// map to one section (giving its memory back; a reserve() made before
    /// is not kept). Lock-free; each entry's erase is ordered as erase(). Throws
    /// the lookup's exceptions (basic guarantee: what was erased stays so).
    void clear() { core_.clear(); }

    /// The number of entries: exact when no operation is in flight; otherwise
    /// some value the count had recently. Cheap (no shared counter is written
    /// by two threads on the hot path). Wait-free; nothrow; relaxed reads
    /// only, so it orders nothing.
    size_type size() const noexcept { return core_.size(); }
    /// size() == 0, with size()'s caveats.
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    /// Widens the map for about n entries now, instead of growing step by
    /// step: 2^w sections for the least w that gives n entries
    /// `grow_on_insert_count / 2` per section. Filling a map to n entries
    /// reaches the same width or one more (a grow is triggered by the
    /// longest section, not the average: at 1,000,000 u64 keys, 19 against
    /// reserve's 18). Not a floor: erases may shrink the map below it, and
    /// clear() returns it to one section. Growing allocates one segment of
    /// section heads per new level (8 bytes per new section), linked into
    /// the list lazily by the walks that need them. Lock-free; throws
    /// std::bad_alloc if a segment or a hazard-pointer record cannot be
    /// allocated: then the width is what it was or what a shrink under way
    /// leaves it at; no entry is affected either way.
    void reserve(size_type n) { core_.reserve(n); }
    ///@}

    /// \name Observers
    ///@{

    /// A copy of the hash function.
    hasher hash_function() const { return core_.hash_function(); }
    /// A copy of the key equality.
    key_equal key_eq() const { return core_.key_eq(); }
    /// A copy of the allocator the map's nodes come from.
    allocator_type get_allocator() const { return core_.get_allocator(); }
    /// The options the map was made with. Nothrow.
    const concurrent_map_options& options() const noexcept { return core_.options(); }
    /// The hazard-pointer domain that nodes and segments are retired to. Nothrow.
    hazard_pointer_domain& domain() const noexcept { return core_.domain(); }

    /// Counters for tests and tuning (see concurrent_map_stats). Lock-free;
    /// throws std::bad_alloc if the thread needs a hazard-pointer record.
    concurrent_map_stats stats() const { return core_.stats(); }
    /// Checks the structure's invariants; requires that no operation runs.
    concurrent_map_check verify() const { return core_.verify(); }
    ///@}

    // ---- handle ------------------------------------------------------------------------

    /// Keeps one entry alive and readable, like the iterator that folly's
    /// ConcurrentHashMap::find returns: it holds a hazard pointer. The entry
    /// never changes; a later write to its key makes a new node that this
    /// handle does not see (with values in place, the handle holds the value
    /// as find read it, and a later replace does not show through it). Movable, not copyable; usable and destroyable
    /// by any thread. Every member is wait-free and nothrow; dereferencing
    /// an empty handle is undefined.
    class handle {
    public:
        /// An empty handle.
        handle() noexcept = default;
        /// Takes over `other`'s entry and protection; `other` becomes empty.
        handle(handle&& other) noexcept
            : hp_(std::move(other.hp_)), entry_(std::exchange(other.entry_, nullptr)), value_(other.value_) {}
        /// Lets go of this handle's entry and takes over `other`'s; `other`
        /// becomes empty.
        handle& operator=(handle&& other) noexcept {
            if (this != &other) {
                hp_ = std::move(other.hp_);
                entry_ = std::exchange(other.entry_, nullptr);
                value_ = other.value_;
            }
            return *this;
        }

        /// Whether the handle holds an entry (the key was found).
        explicit operator bool() const noexcept { return entry_ != nullptr; }
        /// The value.
        const T& operator*() const noexcept { return value(); }
        /// The value's members.
        const T* operator->() const noexcept { return &value(); }
        /// The key.
        const Key& key() const noexcept { return types::key_of(entry_); }
        /// The value (the same as `*h`).
        const T& value() const noexcept {
            if constexpr (values_in_place) {
                return *value_;
            } else {
                return entry_->value.second;
            }
        }
        /// Lets go of the entry (it may then be freed); the handle becomes empty.
        void reset() noexcept {
            hp_ = hazard_pointer();
            entry_ = nullptr;
        }

    private:
        friend class concurrent_map;
        struct no_copy {};
        handle(hazard_pointer hp, const entry* e) noexcept : hp_(std::move(hp)), entry_(e) {}
        handle(hazard_pointer hp, const entry* e, const T& v) noexcept : hp_(std::move(hp)), entry_(e), value_(v) {}
        hazard_pointer hp_;
        const entry* entry_ = nullptr;
        // With values in place, the value as find read it (its LP); an
        // optional, since T need not be default-constructible.
        [[no_unique_address]] std::conditional_t<values_in_place, std::optional<T>, no_copy> value_{};
    };

    // ---- iterator ----------------------------------------------------------------------

    /// A forward iterator over the entries, weakly consistent (see range()).
    /// It holds a hazard pointer on the entry it points at, so the entry
    /// stays readable while the iterator does, even if it is erased. Copies
    /// share that hazard pointer (a copy cannot protect an entry that may be
    /// erased and retired already; see docs/hazard_pointers.md), so copying
    /// and postfix `++` allocate a small shared block instead. Two iterators
    /// are equal when they point at the same node (or both at the end).
    class const_iterator {
        // With values in place there is no value_type in the entry: `*it`
        // makes one, `it->` a proxy that holds one.
        struct arrow_proxy {
            concurrent_map::value_type kv;
            const concurrent_map::value_type* operator->() const noexcept { return &kv; }
        };

    public:
        /// forward. When values are in place `*it` is a value, not a
        /// reference (as for std::vector<bool>'s iterators): multi-pass, and
        /// usable with the standard algorithms, but a reference taken to
        /// `*it`'s or `it->`'s members lives only as long as that expression
        /// (bind `*it` itself to `const auto&`, which extends its life).
        using iterator_category = std::forward_iterator_tag;
        using iterator_concept = std::forward_iterator_tag;  ///< forward
        using value_type = concurrent_map::value_type;  ///< the map's value_type
        using difference_type = std::ptrdiff_t;         ///< std::ptrdiff_t
        /// to a const entry; a proxy holding a copy when values are in place
        using pointer = std::conditional_t<values_in_place, arrow_proxy, const value_type*>;
        /// to a const entry; a copy (the key, and the value as the iterator
        /// read it on reaching the entry) when values are in place
        using reference = std::conditional_t<values_in_place, value_type, const value_type&>;

        /// The end iterator.
        const_iterator() noexcept = default;
        /// Points at the same entry, sharing `other`'s protection. Wait-free;
        /// nothrow.
        const_iterator(const const_iterator& other) noexcept(!detail::fault::unvalidated_handoff)
            : core_(other.core_), hp_(other.hp_), entry_(other.entry_), pos_(other.pos_), word_(other.word_) {
            if constexpr (detail::fault::unvalidated_handoff) {
                if (entry_ != nullptr) {  // the fault: a slot of its own, published without validation
                    hazard_pointer own = make_hazard_pointer(core_->domain());
                    own.reset_protection(entry_);
                    hp_ = detail::shared_protection(own);
                }
            }
        }
        /// Takes over `other`'s position and protection; `other` becomes the
        /// end iterator (it no longer protects anything). Nothrow.
        const_iterator(const_iterator&& other) noexcept
            : core_(other.core_),
              hp_(std::move(other.hp_)),
              entry_(std::exchange(other.entry_, nullptr)),
              pos_(other.pos_),
              word_(other.word_) {}
        /// As the copy constructor. Nothrow.
        const_iterator& operator=(const const_iterator& other) noexcept(!detail::fault::unvalidated_handoff) {
            *this = const_iterator(other);
            return *this;
        }
        /// As the move constructor. Nothrow.
        const_iterator& operator=(const_iterator&& other) noexcept {
            if (this != &other) {
                core_ = other.core_;
                hp_ = std::move(other.hp_);
                entry_ = std::exchange(other.entry_, nullptr);
                pos_ = other.pos_;
                word_ = other.word_;
            }
            return *this;
        }

        /// The entry. Nothrow.
        /// When values are in place: a copy of the key and of the value as
        /// the iterator read it when it reached the entry (a later replace
        /// does not show through it, as with versions); throws what copying
        /// the key throws.
        reference operator*() const noexcept(!values_in_place || std::is_nothrow_copy_constructible_v<Key>) {
            if constexpr (values_in_place) {
                return value_type(types::key_of(entry_), types::value_of_word(word_));
            } else {
                return entry_->value;
            }
        }
        /// The entry's members. Nothrow, except as `*it`.
        pointer operator->() const noexcept(!values_in_place || std::is_nothrow_copy_constructible_v<Key>) {
            if constexpr (values_in_place) {
                return arrow_proxy{**this};
            } else {
                return &entry_->value;
            }
        }

        /// Moves to the next entry (or the end). Lock-free; throws the
        /// lookup's exceptions and std::bad_alloc (then the iterator is
        /// unchanged).
        const_iterator& operator++() {
            typename core::cursor c = core_->new_cursor();
            // A second publish of entry_, as the walk's anchor. It is never
            // entry_'s only protection: hp_ keeps entry_ until settle hands
            // that slot to the cursor, which outlives the walk. What the walk
            // needs besides is that entry_ be in the list to step from, and
            // begin_at's load of entry_->next shows that (live), or makes the
            // walk start afresh from a section head (frozen).
            c.hp_anchor.reset_protection(entry_);
            const bool from_here = c.begin_at(detail::link_to<typename core::types>(entry_)) == detail::step_result::ok;
            typename core::position pos = pos_;
            settle(c, core_->first_after(c, pos, !from_here), pos);
            return *this;
        }
        /// Moves to the next entry and returns a copy of the iterator before.
        const_iterator operator++(int) {
            const_iterator before(*this);
            ++*this;
            return before;
        }

        /// Whether both point at the same node, or both are at the end.
        friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
            return a.entry_ == b.entry_;
        }

    private:
        friend class concurrent_map;
        explicit const_iterator(const core* map) : core_(map) {
            typename core::cursor c = core_->new_cursor();
            typename core::position pos;
            settle(c, core_->first_after(c, pos, true), pos);
        }
        // Takes c's entry (protected by c.hp_cur since the walk validated it)
        // by moving that very slot here: no second publish.
        void settle(typename core::cursor& c, bool found, const typename core::position& pos) {
            if (!found) {
                hp_.reset();
                entry_ = nullptr;
                return;
            }
            if (hp_.unique()) {
                c.hp_cur.swap(hp_.slot());  // our old entry goes with the cursor's slot
            } else {
                hazard_pointer taken = c.hp_cur.to_hazard_pointer();
                hp_ = detail::shared_protection(taken);  // may throw: then nothing changed here
            }
            entry_ = static_cast<const entry*>(c.cur);
            pos_ = pos;
            if constexpr (values_in_place) {
                // Its value as of now: after the walk showed it live.
                word_ = entry_->next.load_word(detail::mo_acquire);
            }
        }

        const core* core_ = nullptr;
        detail::shared_protection hp_;
        const entry* entry_ = nullptr;
        typename core::position pos_{};
        // With values in place, the value's word as read on reaching the entry.
        struct no_word {};
        [[no_unique_address]] std::conditional_t<values_in_place, std::uint64_t, no_word> word_{};
    };

private:
    // Moves `other`'s values one by one into new nodes of this map (keys are
    // copied: a node's key is const), then clears `other`. No other thread
    // uses either map (the caller's precondition), so moving from the value
    // of a published node races with nothing.
    void take_values_of(concurrent_map& other) {
        reserve(other.size());
        for (const value_type& kv : other) {
            try_emplace(kv.first, std::move(const_cast<T&>(kv.second)));
        }
        other.clear();
    }

    // A new node of `key` (hashed to `order` by the caller, once per call)
    // with the value built from `value_args`.
    template <class K, class... Args>
    entry* make(std::uint64_t order, K&& key, Args&&... value_args) {
        return types::make_entry(core_.pool(), order, std::piecewise_construct, std::forward_as_tuple(std::forward<K>(key)),
                                 std::forward_as_tuple(std::forward<Args>(value_args)...));
    }

    // The write behind every insert-unless-present call. `make` runs only
    // once the key was seen absent, and at most once: core_.write keeps the
    // node it made across retries.
    template <class K, class Make>
    bool insert_absent(const K& key, std::uint64_t order, Make&& make) {
        return core_.write(
                   key, order, [](const live_entry& live) { return live ? decision::keep : decision::insert; },
                   std::forward<Make>(make)) == decision::insert;
    }

    // `lookup` is the key as given (for hashing and finding); `key` is what
    // the node's key is built from, and is touched only by the node's making.
    template <class L, class K, class... Args>
    bool try_emplace_impl(const L& lookup, K&& key, Args&&... args) {
        const std::uint64_t order = core_.order_of(lookup);
        return insert_absent(lookup, order,
                             [&](std::uint64_t kind) { return make(kind, std::forward<K>(key), std::forward<Args>(args)...); });
    }

    template <class L, class K, class M>
    bool insert_or_assign_impl(const L& lookup, K&& key, M&& value) {
        const std::uint64_t order = core_.order_of(lookup);
        auto decide = [](const live_entry& live) { return live ? decision::replace : decision::insert; };
        if constexpr (values_in_place) {
            const T v(std::forward<M>(value));  // a word: made once, stored in place or in a new node
            return core_.write(
                       lookup, order, decide, [&](std::uint64_t kind) { return make(kind, std::forward<K>(key), v); },
                       [&v] { return v; }) == decision::insert;
        } else {
            return core_.write(lookup, order, decide, [&](std::uint64_t kind) {
                       return make(kind, std::forward<K>(key), std::forward<M>(value));
                   }) == decision::insert;
        }
    }

    template <class K>
    std::pair<T, bool> load_or_store_impl(const K& key, const T& value) {
        std::optional<T> result;
        bool loaded = false;
        const std::uint64_t order = core_.order_of(key);
        core_.write(
            key, order,
            [&](const live_entry& live) {
                loaded = static_cast<bool>(live);
                result.emplace(live ? live.value() : value);
                return live ? decision::keep : decision::insert;
            },
            [&](std::uint64_t kind) { return make(kind, key, value); });
        return {std::move(*result), loaded};
    }

    template <class K, class V>
    std::optional<T> exchange_impl(const K& key, V&& value) {
        const std::uint64_t order = core_.order_of(key);
        if constexpr (values_in_place) {
            const T v(std::forward<V>(value));
            return write_returning_previous(
                key, order, decision::insert, decision::replace, [&](std::uint64_t kind) { return make(kind, key, v); },
                [&v] { return v; });
        } else {
            return write_returning_previous(key, order, decision::insert, decision::replace,
                                            [&](std::uint64_t kind) { return make(kind, key, std::forward<V>(value)); });
        }
    }

    template <class K, class V>
    bool compare_and_swap_impl(const K& key, const T& expected, V&& desired) {
        const std::uint64_t order = core_.order_of(key);
        auto decide = [&](const live_entry& live) {
            return live && live.value() == expected ? decision::replace : decision::keep;
        };
        if constexpr (values_in_place) {
            // Built only once `expected` matched, as for a node.
            std::optional<T> v;
            auto desired_value = [&]() -> const T& {
                if (!v) {
                    v.emplace(std::forward<V>(desired));
                }
                return *v;
            };
            return core_.write(
                       key, order, decide, [&](std::uint64_t kind) { return make(kind, key, desired_value()); },
                       desired_value) == decision::replace;
        } else {
            return core_.write(key, order, decide, [&](std::uint64_t kind) {
                       return make(kind, key, std::forward<V>(desired));
                   }) == decision::replace;
        }
    }

    // LP: the CAS that links the new value (replace_live) or stores it in
    // place (change_in_place), or, when the key is absent, that of the
    // absence. Each attempt computes the value anew from the live entry it
    // found, and frees the node an earlier attempt made from an older value
    // (in place, no node is made).
    template <class K, class F>
    std::optional<T> update_impl(const K& key, F& f) {
        std::optional<T> next;
        const std::uint64_t order = core_.order_of(key);
        core_.template write</*RemakeEachAttempt=*/true>(
            key, order,
            [&](const live_entry& live) {
                next.reset();
                if (!live) {
                    return decision::keep;
                }
                const T& value = live.value();  // (a copy, when in place)
                next.emplace(std::invoke(f, value));
                return decision::replace;
            },
            [&](std::uint64_t kind) { return make(kind, key, std::as_const(*next)); }, [&next] { return *next; });
        // `next` holds a value exactly when the write replaced (decide
        // resets it, and keeps only with it empty). One named return, so
        // that the compilers elide its copy: a copy here would come after
        // the CAS, and if it threw, the caller would see an exception for
        // a value that is stored.
        return next;
    }

    // A write that copies the previous value out before it acts (so a
    // throwing copy leaves the map unchanged), and returns the copy.
    template <class K, class Make, class Replacement = typename core::no_replacement>
    std::optional<T> write_returning_previous(const K& key, std::uint64_t order, decision if_absent,
                                              decision if_present, Make&& make,
                                              Replacement&& replacement = Replacement()) {
        std::optional<T> previous;
        core_.write(
            key, order,
            [&](const live_entry& live) {
                if constexpr (detail::fault::stale_previous) {
                    if (previous && live) {
                        return if_present;  // the fault: keep what the lost attempt read
                    }
                }
                previous.reset();  // a retry decides afresh: the last attempt's value counts
                if (!live) {
                    return if_absent;
                }
                previous.emplace(live.value());
                return if_present;
            },
            std::forward<Make>(make), std::forward<Replacement>(replacement));
        return previous;
    }

    template <class K>
    std::optional<T> load_impl(const K& key) const {
        typename core::lookup_cursor c = core_.new_lookup_cursor();
        if (!core_.lookup(c, key)) {
            return std::nullopt;
        }
        const entry* e = static_cast<const entry*>(c.cur);
        if constexpr (values_in_place) {
            return types::load_value(e);  // LP: this load (the walk showed e live before it)
        } else {
            return e->value.second;  // copied while protected
        }
    }
    template <class K>
    bool contains_impl(const K& key) const {
        typename core::lookup_cursor c = core_.new_lookup_cursor();
        return core_.lookup(c, key);
    }
    template <class K>
    handle find_impl(const K& key) const {
        typename core::lookup_cursor c = core_.new_lookup_cursor();
        if (!core_.lookup(c, key)) {
            return handle();
        }
        const entry* e = static_cast<const entry*>(c.cur);
        if constexpr (values_in_place) {
            return handle(c.hp_cur.to_hazard_pointer(), e, types::load_value(e));
        } else {
            return handle(c.hp_cur.to_hazard_pointer(), e);
        }
    }
    template <class K, class F>
    bool visit_impl(const K& key, F& f) const {
        typename core::lookup_cursor c = core_.new_lookup_cursor();
        if (!core_.lookup(c, key)) {
            return false;
        }
        const entry* e = static_cast<const entry*>(c.cur);
        if constexpr (values_in_place) {
            const value_type kv(types::key_of(e), types::load_value(e));
            std::invoke(f, kv);
        } else {
            std::invoke(f, e->value);  // c.hp_cur protects it throughout
        }
        return true;
    }
    template <class K>
    bool erase_impl(const K& key) {
        return core_.write(
                   key, core_.order_of(key), [](const live_entry& live) { return live ? decision::erase : decision::keep; },
                   [](std::uint64_t) -> entry* { return nullptr; }) == decision::erase;
    }
    template <class K>
    std::optional<T> load_and_erase_impl(const K& key) {
        return write_returning_previous(key, core_.order_of(key), decision::keep, decision::erase,
                                        [](std::uint64_t) -> entry* { return nullptr; });
    }
    template <class K>
    bool compare_and_erase_impl(const K& key, const T& expected) {
        return core_.write(
                   key, core_.order_of(key),
                   [&](const live_entry& live) {
                       return live && live.value() == expected ? decision::erase : decision::keep;
                   },
                   [](std::uint64_t) -> entry* { return nullptr; }) == decision::erase;
    }
    template <class K, class Pred>
    bool erase_if_impl(const K& key, Pred& pred) {
        return core_.write(
                   key, core_.order_of(key),
                   [&](const live_entry& live) {
                       if (!live) {
                           return decision::keep;
                       }
                       const value_type& kv = live.pair();  // (a copy, when in place)
                       return std::invoke(pred, kv) ? decision::erase
                                                                                               : decision::keep;
                   },
                   [](std::uint64_t) -> entry* { return nullptr; }) == decision::erase;
    }

    core core_;
};

/// Erases each entry of `map` for which `pred(const value_type&)` holds:
/// map.erase_if(pred), found by argument-dependent lookup as std::erase_if
/// and boost::unordered::erase_if are. Returns the number erased.
template <class Key, class T, class Hash, class KeyEqual, class Allocator, class Pred>
typename concurrent_map<Key, T, Hash, KeyEqual, Allocator>::size_type erase_if(
    concurrent_map<Key, T, Hash, KeyEqual, Allocator>& map, Pred&& pred) {
    return map.erase_if(std::forward<Pred>(pred));
}

SINK_END_NAMESPACE
