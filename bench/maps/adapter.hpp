// What the benchmark driver asks of a map. Every map of the comparison is
// wrapped in an adapter with this shape, so that one driver runs the same
// workload, the same hash and the same key stream against each of them.
//
//   template <class Key> class xxx_map {          // Key: uint64_t or std::string
//   public:
//       static constexpr std::string_view name;   // as printed in the tables
//       static constexpr std::string_view note;   // what is special ("" if nothing)
//       static constexpr bool concurrent;         // false: one thread only
//       static constexpr bool thread_safe_erase;  // false: no workload that erases
//       explicit xxx_map(std::size_t expected_entries);
//       bool find(lookup_key, std::uint64_t& value) const;
//       bool insert(const Key&, std::uint64_t value);   // only if absent
//       void upsert(const Key&, std::uint64_t value);   // insert or replace, atomically
//                                                       // (atomic_upsert = false: none)
//       bool increment(const Key&);                     // add 1 to a present key's value,
//                                                       // atomically; false if absent
//                                                       // (atomic_increment = false: none)
//       bool erase(const Key&);
//       std::size_t size() const;                       // quiescent only
//       // Called by the driver around every benchmark thread's work.
//       struct thread_scope { thread_scope(); ~thread_scope(); };
//   };
//
// lookup_key is `const Key&`, or for string keys std::string_view when the
// map has heterogeneous lookup (`static constexpr bool heterogeneous`); the
// driver then passes a string_view and a map without it pays for building a
// std::string, as its users would.
//
// Values are uint64_t. A lookup copies the value out, so that every map does
// the same work a caller would (a reference into a concurrent map is not
// something every peer can hand out safely).
//
// process_scope (one per process, made in main before any adapter) sets up
// the libraries that need a global set-up (libcds).
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace sink_bench {

// The type a lookup takes for maps of Key.
template <class Map, class Key>
using lookup_key_t = std::conditional_t<std::is_same_v<Key, std::string> && Map::heterogeneous, std::string_view,
                                        const Key&>;

// A map's id in benchmark names and on command lines: "TBB
// concurrent_unordered_map" -> "tbb-concurrent-unordered-map"; what follows
// " (" is a remark, not part of the id.
inline std::string map_id(std::string_view name) {
    name = name.substr(0, name.find(" ("));
    std::string id;
    for (char ch : name) {
        if (std::isalnum(static_cast<unsigned char>(ch))) {
            id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
        } else if (!id.empty() && id.back() != '-') {
            id.push_back('-');
        }
    }
    while (!id.empty() && id.back() == '-') id.pop_back();
    return id;
}

// The maps of a comparison, as a list of adapter templates (all_maps.hpp).
template <template <class> class... Adapters>
struct map_list {};

// Whether an adapter takes std::string keys: `static constexpr bool
// string_keys = false;` opts out, and its absence means yes. Asked of the
// uint64_t instance, so the string one is never instantiated.
template <class Map>
constexpr bool string_keys_of() {
    if constexpr (requires { Map::string_keys; }) {
        return Map::string_keys;
    } else {
        return true;
    }
}
// Whether an adapter's upsert is an atomic insert-or-replace: `static
// constexpr bool atomic_upsert = false;` opts out (the workloads that
// replace values then skip that map).
template <class Map>
constexpr bool atomic_upsert_of() {
    if constexpr (requires { Map::atomic_upsert; }) {
        return Map::atomic_upsert;
    } else {
        return true;
    }
}

// Whether an adapter's increment adds 1 atomically: `static constexpr bool
// atomic_increment = false;` opts out (the counter workload then skips that
// map).
template <class Map>
constexpr bool atomic_increment_of() {
    if constexpr (requires { Map::atomic_increment; }) {
        return Map::atomic_increment;
    } else {
        return true;
    }
}

template <template <class> class Adapter>
inline constexpr bool string_keys_supported = string_keys_of<Adapter<std::uint64_t>>();

}  // namespace sink_bench
