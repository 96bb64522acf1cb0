// xenium's vyukov_hash_map: lock-free lookups, bucket locks for updates,
// with a reclaimer of xenium's for the nodes it retires.
#pragma once

#include <array>  // xenium's generic_epoch_based.hpp uses std::array without including it
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <xenium/reclamation/generic_epoch_based.hpp>
#include <xenium/vyukov_hash_map.hpp>

#include "common/key_hash.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

template <class Key>
class xenium_vyukov_map {
    // u64 keys and values live in the buckets themselves (xenium's fast
    // path); string keys need nodes, and the values then go into nodes too.
    static constexpr bool in_bucket = std::is_same_v<Key, std::uint64_t>;

public:
    static constexpr std::string_view name = "xenium vyukov_hash_map";
    static constexpr std::string_view note =
        "epoch-based reclamation; no atomic replace or increment of a value (u64), no safe erase with string keys";
    static constexpr bool concurrent = true;
    // xenium 0.0.2's erase(key) reclaims the accessor of the erased node even
    // when the key was absent and there is none: a null dereference whenever
    // keys or values live in nodes. With u64 keys and values nothing lives in
    // a node and the reclaim is a no-op, so only string-key maps sit out
    // the workloads that erase.
    static constexpr bool thread_safe_erase = in_bucket;
    // A value in a bucket comes out only as a copy and has no replace call,
    // so there is no atomic insert-or-replace for u64 values: the driver
    // skips the workloads that replace (W7b). With nodes, a value is an
    // atomic_value that an accessor points at (see upsert).
    static constexpr bool atomic_upsert = !in_bucket;
    // Nor an atomic increment for the same reason: the driver skips the
    // counter workload (W8). A value in a node is incremented in place.
    static constexpr bool atomic_increment = !in_bucket;
    // try_get_value takes const key_type&; keys are compared with ==.
    static constexpr bool heterogeneous = false;

    // The map grows by itself from its default capacity (128); reserving
    // would hide the growth that the benchmarks measure.
    explicit xenium_vyukov_map(std::size_t /*expected_entries*/) {}

    // xenium's own destructor removes entries through erase(iterator), which
    // never reclaims their nodes: it would leak every value (and string key)
    // still in the map. erase(key) of a present key does reclaim, so drain
    // the map by key first (quiescent: no other thread uses it).
    ~xenium_vyukov_map() {
        if constexpr (!in_bucket) {
            std::vector<Key> keys;
            for (auto it = map_.begin(); it != map_.end(); ++it) keys.push_back((*it).first);
            for (const Key& key : keys) map_.erase(key);
        }
    }
    xenium_vyukov_map(const xenium_vyukov_map&) = delete;
    xenium_vyukov_map& operator=(const xenium_vyukov_map&) = delete;

    bool find(const Key& key, std::uint64_t& value) const {
        typename map_type::accessor item;  // a copy (in bucket), or a guard on the value's node
        if (!map_.try_get_value(key, item)) return false;
        if constexpr (in_bucket) {
            value = *item;
        } else {
            value = item->load();
        }
        return true;
    }

    bool insert(const Key& key, std::uint64_t value) { return map_.emplace(key, value); }

    void upsert(const Key& key, std::uint64_t value) {
        if constexpr (in_bucket) {
            std::fputs("xenium_vyukov_map::upsert: unsupported for u64 values (no atomic replace)\n", stderr);
            std::abort();
        } else {
            auto [item, inserted] = map_.get_or_emplace(key, value);
            if (!inserted) item->store(value);
        }
    }

    bool increment(const Key& key) {
        if constexpr (in_bucket) {
            std::fputs("xenium_vyukov_map::increment: unsupported for u64 values (no atomic update)\n", stderr);
            std::abort();
        } else {
            typename map_type::accessor item;  // a guard on the value's node
            if (!map_.try_get_value(key, item)) return false;
            item->increment();
            return true;
        }
    }

    bool erase(const Key& key) {
        if constexpr (in_bucket) {
            return map_.erase(key);
        } else {
            std::fputs("xenium_vyukov_map::erase: unsupported with string keys (xenium 0.0.2 crashes erasing an "
                       "absent key)\n",
                       stderr);
            std::abort();
        }
    }

    // The map keeps no count; only called when quiescent, so count by walking
    // (iterators lock one bucket at a time).
    std::size_t size() const {
        std::size_t n = 0;
        for (auto it = map_.begin(); it != map_.end(); ++it) ++n;
        return n;
    }

    // xenium's reclaimers register threads on first use by themselves.
    using thread_scope = no_thread_scope;

private:
    // Plain epoch-based reclamation (xenium's defaults: scan every 100
    // retires, all threads, eager regions).
    using reclaimer = xenium::reclamation::generic_epoch_based<>;
    // Nodes and blocks come from plain new/delete, as for every map.
    using value_type = std::conditional_t<in_bucket, std::uint64_t, atomic_value>;
    using map_type = xenium::vyukov_hash_map<Key, value_type, xenium::policy::reclaimer<reclaimer>,
                                             xenium::policy::hash<key_hash>>;

    // try_get_value is const, but begin() (for size) is not.
    mutable map_type map_;
};

}  // namespace sink_bench
