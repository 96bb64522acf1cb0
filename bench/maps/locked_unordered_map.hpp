// The baseline a user writes first: std::unordered_map under one
// std::shared_mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/key_hash.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

template <class Key>
class locked_unordered_map {
public:
    static constexpr std::string_view name = "std::unordered_map + shared_mutex";
    static constexpr std::string_view note = "";
    static constexpr bool concurrent = true;
    static constexpr bool thread_safe_erase = true;
    // C++20 heterogeneous lookup (transparent key_hash and key_equal).
    static constexpr bool heterogeneous = true;

    // The map grows by itself; reserving would hide the growth that the
    // benchmarks measure.
    explicit locked_unordered_map(std::size_t /*expected_entries*/) {}

    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        std::shared_lock lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end()) return false;
        value = it->second;
        return true;
    }
    bool insert(const Key& key, std::uint64_t value) {
        std::unique_lock lock(mutex_);
        return map_.try_emplace(key, value).second;
    }
    void upsert(const Key& key, std::uint64_t value) {
        std::unique_lock lock(mutex_);
        map_.insert_or_assign(key, value);
    }
    bool increment(const Key& key) {
        std::unique_lock lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end()) return false;
        ++it->second;
        return true;
    }
    bool erase(const Key& key) {
        std::unique_lock lock(mutex_);
        return map_.erase(key) != 0;
    }
    std::size_t size() const {
        std::shared_lock lock(mutex_);
        return map_.size();
    }

    using thread_scope = no_thread_scope;

private:
    mutable std::shared_mutex mutex_;
    // std::allocator, the default, as for every map.
    std::unordered_map<Key, std::uint64_t, key_hash, key_equal> map_;
};

}  // namespace sink_bench
