// The calls of the two libcds adapters (SplitListMap and MichaelHashMap),
// which differ only in their container and how it is built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "maps/peer_support.hpp"
#include "maps/process_scope.hpp"

namespace sink_bench {

// Container: a libcds map from Key to atomic_value over gc::HP.
template <class Container, class Key>
class libcds_map_calls {
public:
    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        return map_.find(key, [&value](auto& item) { value = item.second.load(); });
    }

    // emplace: the node is built with its value before it is linked.
    bool insert(const Key& key, std::uint64_t value) { return map_.insert(key, value); }

    // libcds's update() links a node with a default-constructed value and
    // only then calls the functor, so a concurrent find could see 0, a value
    // nobody stored ("insert item troubleshooting" in libcds's docs). So an
    // upsert is a release store into the node found (libcds's find functor
    // may change item.second), or else an insert of a fully built node; if
    // that insert loses a race, the key is there now: store into it.
    void upsert(const Key& key, std::uint64_t value) {
        for (;;) {
            if (map_.find(key, [value](auto& item) { item.second.store(value); })) return;
            if (map_.insert(key, value)) return;
        }
    }

    // libcds lets the find functor change item.second but does not
    // serialise functors on one item, so the add is atomic_value's own.
    // update(key, functor, false) would do the same after building a
    // throw-away key and value pair on every call.
    bool increment(const Key& key) {
        return map_.find(key, [](auto& item) { item.second.increment(); });
    }

    bool erase(const Key& key) { return map_.erase(key); }
    std::size_t size() const { return map_.size(); }

    // Every thread that touches a libcds container must be attached.
    using thread_scope = libcds_thread_scope;

protected:
    template <class... Args>
    explicit libcds_map_calls(Args&&... args) : map_(std::forward<Args>(args)...) {}

private:
    // libcds's find is not const.
    mutable Container map_;
};

}  // namespace sink_bench
