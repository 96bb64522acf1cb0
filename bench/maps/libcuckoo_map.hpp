// libcuckoo's cuckoohash_map: concurrent cuckoo hashing with striped
// spinlocks (two buckets locked per operation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <libcuckoo/cuckoohash_map.hh>

#include "common/key_hash.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

template <class Key>
class libcuckoo_map {
public:
    static constexpr std::string_view name = "libcuckoo";
    static constexpr std::string_view note = "";
    static constexpr bool concurrent = true;
    static constexpr bool thread_safe_erase = true;
    // find, insert and erase are templates on the key type: a string_view is
    // hashed and compared as it is.
    static constexpr bool heterogeneous = true;

    // The table starts at libcuckoo's default size (2^16 buckets of 4 slots)
    // and grows by itself; reserving would hide the growth that the
    // benchmarks measure.
    explicit libcuckoo_map(std::size_t /*expected_entries*/) {}

    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        return map_.find(key, value);  // copies under the buckets' locks
    }
    bool insert(const Key& key, std::uint64_t value) { return map_.insert(key, value); }
    void upsert(const Key& key, std::uint64_t value) { map_.insert_or_assign(key, value); }
    // update_fn runs the functor under the key's bucket locks.
    bool increment(const Key& key) {
        return map_.update_fn(key, [](std::uint64_t& v) { ++v; });
    }
    bool erase(const Key& key) { return map_.erase(key); }
    std::size_t size() const { return map_.size(); }

    using thread_scope = no_thread_scope;

private:
    // std::allocator (libcuckoo's default too), as for every map.
    libcuckoo::cuckoohash_map<Key, std::uint64_t, key_hash, key_equal,
                              std::allocator<std::pair<const Key, std::uint64_t>>>
        map_;
};

}  // namespace sink_bench
