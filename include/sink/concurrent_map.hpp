// sink::concurrent_map: a lock-free concurrent hash map, a port of the Go
// package sink.Map (one sorted linked list with frozen links, and a
// replaceable table of waypoints), with hazard-pointer reclamation.
//
// Every operation is lock-free: it never waits for another thread, and some
// thread always completes its operation. No operation holds a lock, sleeps
// or starts a thread. Every operation is linearizable per key, and a store
// happens-before any load that sees its value.
//
// Values are immutable once stored: a store makes a new node. Readers get a
// copy (load), or a handle that keeps the node alive (find), or a reference
// valid for the duration of a visit (range, iterators).
//
// Exceptions: if Hash, KeyEqual, a key or value constructor, or the
// allocator throws, the operation throws and the map is unchanged (a key or
// value passed as an rvalue may have been moved from by then). Lookups can
// allocate too: the first lookup in a section links its waypoint. A failed
// allocation of a bigger or smaller table inside a resize is swallowed: the
// operation that asked for the resize has already taken effect.
//
// Requirements: Allocator's instances must all be equal (nodes are freed by
// whichever thread reclaims them, possibly after the map is destroyed), and
// the map must be destroyed only when no other thread uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sink/detail/map_core.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE

template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class concurrent_map {
    using core = detail::map_core<Key, T, Hash, KeyEqual, Allocator>;
    using types = typename core::types;
    using entry = typename types::entry;
    using decision = typename core::decision;

    static constexpr bool transparent = requires {
        typename Hash::is_transparent;
        typename KeyEqual::is_transparent;
    };
    // A key type usable for lookups besides Key itself.
    template <class K>
    static constexpr bool lookup_key = transparent && !std::is_same_v<std::remove_cvref_t<K>, Key>;

public:
    using key_type = Key;
    using mapped_type = T;
    using value_type = std::pair<const Key, T>;
    using size_type = std::size_t;
    using hasher = Hash;
    using key_equal = KeyEqual;
    using allocator_type = Allocator;

    class handle;
    class const_iterator;
    using iterator = const_iterator;

    concurrent_map() : concurrent_map(concurrent_map_options{}) {}
    explicit concurrent_map(const concurrent_map_options& options, const Hash& hash = Hash(),
                            const KeyEqual& eq = KeyEqual())
        : core_(options, hash, eq) {}

    // The map is a shared object with a fixed address: not copyable or movable.
    concurrent_map(const concurrent_map&) = delete;
    concurrent_map& operator=(const concurrent_map&) = delete;

    // Requires that no other thread uses the map. Values still in the map are
    // destroyed here; values erased earlier are destroyed by the hazard-pointer
    // domain once no thread can see them (hazard_pointer_domain::drain frees
    // them at once when nothing protects them).
    ~concurrent_map() = default;

    // ---- lookups (lock-free; strong guarantee) ----------------------------------

    // A copy of the value of `key`, if present.
    std::optional<T> load(const Key& key) const
        requires std::copy_constructible<T>
    {
        return load_impl(key);
    }
    template <class K>
        requires lookup_key<K> && std::copy_constructible<T>
    std::optional<T> load(const K& key) const {
        return load_impl(key);
    }

    bool contains(const Key& key) const { return contains_impl(key); }
    template <class K>
        requires lookup_key<K>
    bool contains(const K& key) const {
        return contains_impl(key);
    }

    // A handle on the value of `key` (empty if absent): the value stays alive
    // and unchanged for as long as the handle lives, even if the key is
    // overwritten or erased meanwhile. Throws bad_alloc if the thread needs a
    // new hazard-pointer record or the section's waypoint cannot be allocated.
    handle find(const Key& key) const { return find_impl(key); }
    template <class K>
        requires lookup_key<K>
    handle find(const K& key) const {
        return find_impl(key);
    }

    // ---- writes (lock-free; strong guarantee) -------------------------------------

    // Inserts or assigns. LP: the CAS that links the new node.
    template <class K = Key, class V = T>
        requires std::constructible_from<Key, K&&> && std::constructible_from<T, V&&>
    void store(K&& key, V&& value) {
        const Key& k = key;
        core_.write(
            k, core_.order_of(k), [](entry* live) { return live ? decision::replace : decision::insert; },
            [&] { return make(std::forward<K>(key), std::forward<V>(value)); });
    }

    // Stores `value` unless `key` is present. Returns the value now in the map
    // and whether it was already there (Go's LoadOrStore).
    std::pair<T, bool> load_or_store(const Key& key, const T& value)
        requires std::copy_constructible<T>
    {
        std::optional<T> result;
        bool loaded = false;
        core_.write(
            key, core_.order_of(key),
            [&](entry* live) {
                loaded = live != nullptr;
                result.emplace(live ? live->value.second : value);
                return live ? decision::keep : decision::insert;
            },
            [&] { return make(key, value); });
        return {std::move(*result), loaded};
    }

    // Stores `value` and returns the previous value, if any (Go's Swap).
    template <class V = T>
        requires std::copy_constructible<T> && std::constructible_from<T, V&&>
    std::optional<T> exchange(const Key& key, V&& value) {
        return write_returning_previous(key, decision::insert, decision::replace,
                                        [&] { return make(key, std::forward<V>(value)); });
    }

    // Replaces the value of `key` by `desired` if it equals `expected`.
    template <class V = T>
        requires std::equality_comparable<T> && std::constructible_from<T, V&&>
    bool compare_and_swap(const Key& key, const T& expected, V&& desired) {
        return core_.write(
                   key, core_.order_of(key),
                   [&](entry* live) {
                       return live != nullptr && live->value.second == expected ? decision::replace
                                                                                 : decision::keep;
                   },
                   [&] { return make(key, std::forward<V>(desired)); }) == decision::replace;
    }

    // Erases `key`; true if it was present. Never allocates.
    bool erase(const Key& key) { return erase_impl(key); }
    template <class K>
        requires lookup_key<K>
    bool erase(const K& key) {
        return erase_impl(key);
    }

    // Erases `key` and returns its value, if it was present (Go's LoadAndDelete).
    std::optional<T> load_and_erase(const Key& key)
        requires std::copy_constructible<T>
    {
        return load_and_erase_impl(key);
    }
    template <class K>
        requires lookup_key<K> && std::copy_constructible<T>
    std::optional<T> load_and_erase(const K& key) {
        return load_and_erase_impl(key);
    }

    // Erases `key` if its value equals `expected` (Go's CompareAndDelete).
    bool compare_and_erase(const Key& key, const T& expected)
        requires std::equality_comparable<T>
    {
        return compare_and_erase_impl(key, expected);
    }
    template <class K>
        requires lookup_key<K> && std::equality_comparable<T>
    bool compare_and_erase(const K& key, const T& expected) {
        return compare_and_erase_impl(key, expected);
    }

    // ---- whole-map operations -------------------------------------------------------

    // Calls f(key, value) for each entry; stops when f returns false (Go's
    // Range). Weakly consistent: every key present and unchanged for the whole
    // walk is visited exactly once, no key is visited twice, keys inserted or
    // erased meanwhile may or may not be seen. Never blocks writers. The
    // references are valid during the call only.
    template <class F>
        requires std::invocable<F&, const Key&, const T&>
    void range(F&& f) const {
        core_.for_each([&f](const value_type& kv) {
            if constexpr (std::is_void_v<std::invoke_result_t<F&, const Key&, const T&>>) {
                std::invoke(f, kv.first, kv.second);
                return true;
            } else {
                return static_cast<bool>(std::invoke(f, kv.first, kv.second));
            }
        });
    }

    // Forward iterators over the entries, with range's guarantees. An
    // iterator keeps the entry it points at alive.
    const_iterator begin() const { return const_iterator(&core_); }
    const_iterator end() const noexcept { return const_iterator(); }
    const_iterator cbegin() const { return begin(); }
    const_iterator cend() const noexcept { return end(); }

    // Erases every entry present when the walk reaches it; entries inserted
    // meanwhile may stay. Safe beside any other operation. Then shrinks the
    // table. Lock-free.
    void clear() { core_.clear(); }

    // The number of entries: exact when no operation is in flight; otherwise
    // some value the count had recently. Cheap (no shared counter is written
    // by two threads on the hot path).
    size_type size() const noexcept { return core_.size(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    // Sizes the table for about n entries now, instead of growing step by step.
    void reserve(size_type n) { core_.reserve(n); }

    hasher hash_function() const { return core_.hash_function(); }
    key_equal key_eq() const { return core_.key_eq(); }
    allocator_type get_allocator() const { return allocator_type(); }
    const concurrent_map_options& options() const noexcept { return core_.options(); }
    hazard_pointer_domain& domain() const noexcept { return core_.domain(); }

    // For tests and tuning.
    concurrent_map_stats stats() const { return core_.stats(); }
    // Checks the structure's invariants; requires that no operation runs.
    concurrent_map_check verify() const { return core_.verify(); }

    // ---- handle ------------------------------------------------------------------------

    // Keeps one entry alive and readable. Movable, not copyable.
    class handle {
    public:
        handle() noexcept = default;
        handle(handle&&) noexcept = default;
        handle& operator=(handle&&) noexcept = default;

        explicit operator bool() const noexcept { return entry_ != nullptr; }
        const T& operator*() const noexcept { return entry_->value.second; }
        const T* operator->() const noexcept { return &entry_->value.second; }
        const Key& key() const noexcept { return entry_->value.first; }
        void reset() noexcept {
            hp_ = hazard_pointer();
            entry_ = nullptr;
        }

    private:
        friend class concurrent_map;
        handle(hazard_pointer hp, const entry* e) noexcept : hp_(std::move(hp)), entry_(e) {}
        hazard_pointer hp_;
        const entry* entry_ = nullptr;
    };

    // ---- iterator ----------------------------------------------------------------------

    class const_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = concurrent_map::value_type;
        using difference_type = std::ptrdiff_t;
        using pointer = const value_type*;
        using reference = const value_type&;

        const_iterator() noexcept = default;
        const_iterator(const const_iterator& other) : core_(other.core_), pos_(other.pos_) {
            if (other.entry_ != nullptr) {
                hp_ = make_hazard_pointer(core_->domain());
                hp_.reset_protection(other.entry_);  // other protects it meanwhile
                entry_ = other.entry_;
            }
        }
        const_iterator(const_iterator&&) noexcept = default;
        const_iterator& operator=(const const_iterator& other) {
            if (this != &other) {
                const_iterator copy(other);
                *this = std::move(copy);
            }
            return *this;
        }
        const_iterator& operator=(const_iterator&&) noexcept = default;

        reference operator*() const noexcept { return entry_->value; }
        pointer operator->() const noexcept { return &entry_->value; }

        const_iterator& operator++() {
            typename core::cursor c(core_->domain());
            c.hp_anchor.reset_protection(entry_);  // hp_ protects it meanwhile
            const bool from_here = c.begin_at(const_cast<entry*>(entry_)) == detail::step_result::ok;
            settle(c, core_->first_after(c, pos_, !from_here));
            return *this;
        }
        const_iterator operator++(int) {
            const_iterator before(*this);
            ++*this;
            return before;
        }

        friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
            return a.entry_ == b.entry_;
        }

    private:
        friend class concurrent_map;
        explicit const_iterator(const core* map) : core_(map) {
            typename core::cursor c(core_->domain());
            settle(c, core_->first_after(c, pos_, true));
        }
        void settle(typename core::cursor& c, bool found) {
            if (!found) {
                hp_ = hazard_pointer();
                entry_ = nullptr;
                return;
            }
            if (hp_.empty()) {
                hp_ = make_hazard_pointer(core_->domain());
            }
            entry_ = static_cast<const entry*>(c.cur);
            hp_.reset_protection(entry_);  // c.hp_cur protects it meanwhile
            pos_ = typename core::position{entry_->order, entry_->stamp};
        }

        const core* core_ = nullptr;
        hazard_pointer hp_;
        const entry* entry_ = nullptr;
        typename core::position pos_{};
    };

private:
    template <class K, class V>
    entry* make(K&& key, V&& value) const {
        const Key& k = key;
        return types::make_entry(core_.order_of(k), std::piecewise_construct, std::forward_as_tuple(std::forward<K>(key)),
                                 std::forward_as_tuple(std::forward<V>(value)));
    }

    // A write that copies the previous value out before it acts (so a
    // throwing copy leaves the map unchanged), and returns the copy.
    template <class K, class Make>
    std::optional<T> write_returning_previous(const K& key, decision if_absent, decision if_present, Make&& make) {
        std::optional<T> previous;
        core_.write(
            key, core_.order_of(key),
            [&](entry* live) {
                previous.reset();
                if (live == nullptr) {
                    return if_absent;
                }
                previous.emplace(live->value.second);
                return if_present;
            },
            std::forward<Make>(make));
        return previous;
    }

    template <class K>
    std::optional<T> load_impl(const K& key) const {
        typename core::cursor c(core_.domain());
        if (!core_.lookup(c, key)) {
            return std::nullopt;
        }
        return static_cast<const entry*>(c.cur)->value.second;  // copied while protected
    }
    template <class K>
    bool contains_impl(const K& key) const {
        typename core::cursor c(core_.domain());
        return core_.lookup(c, key);
    }
    template <class K>
    handle find_impl(const K& key) const {
        typename core::cursor c(core_.domain());
        if (!core_.lookup(c, key)) {
            return handle();
        }
        return handle(std::move(c.hp_cur), static_cast<const entry*>(c.cur));
    }
    template <class K>
    bool erase_impl(const K& key) {
        return core_.write(
                   key, core_.order_of(key), [](entry* live) { return live ? decision::erase : decision::keep; },
                   []() -> entry* { return nullptr; }) == decision::erase;
    }
    template <class K>
    std::optional<T> load_and_erase_impl(const K& key) {
        return write_returning_previous(key, decision::keep, decision::erase, []() -> entry* { return nullptr; });
    }
    template <class K>
    bool compare_and_erase_impl(const K& key, const T& expected) {
        return core_.write(
                   key, core_.order_of(key),
                   [&](entry* live) {
                       return live != nullptr && live->value.second == expected ? decision::erase : decision::keep;
                   },
                   []() -> entry* { return nullptr; }) == decision::erase;
    }

    core core_;
};

SINK_END_NAMESPACE
