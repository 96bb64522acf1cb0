// Keys and values of the stress maps, made from and read back to the ids
// the checkers use. Integer keys are the ids themselves (the map mixes the
// hash); string keys and values embed the id in decimal, and every third one
// is padded past the small-string buffer so that keys and values on the heap
// are exercised too (ASan then sees a freed string as well as a freed node).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "counted.hpp"

namespace sink_stress {

namespace detail {
inline std::string text(char prefix, std::uint64_t id) {
    std::string s = prefix + std::to_string(id);
    if (id % 3 == 0) {
        s.resize(40, '.');
    }
    return s;
}
inline std::uint64_t parse(const std::string& s) {
    std::uint64_t id = 0;
    for (std::size_t i = 1; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        id = id * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    return id;
}
}  // namespace detail

// The payload of a run whose values the map keeps in place: a plain word,
// which sink replaces with one double-width CAS (docs/design.md, "Values in
// place"). Not wrapped in counted: a word has no constructor to count.
struct word_payload {};

template <class Key, class Payload>
struct codec {
    using key_type = Key;
    static constexpr bool word_values = std::is_same_v<Payload, word_payload>;
    using value_type = std::conditional_t<word_values, std::uint64_t, counted<Payload>>;

    static Key key(std::uint64_t id) {
        if constexpr (std::is_same_v<Key, std::string>) {
            return detail::text('k', id);
        } else {
            return static_cast<Key>(id);
        }
    }
    static std::uint64_t key_id(const Key& k) {
        if constexpr (std::is_same_v<Key, std::string>) {
            return detail::parse(k);
        } else {
            return static_cast<std::uint64_t>(k);
        }
    }
    static value_type value(std::uint64_t id) {
        if constexpr (word_values) {
            return id;
        } else if constexpr (std::is_same_v<Payload, std::string>) {
            return value_type(detail::text('v', id));
        } else {
            return value_type(static_cast<Payload>(id));
        }
    }
    static std::uint64_t value_id(const value_type& v) {
        if constexpr (word_values) {
            return v;
        } else if constexpr (std::is_same_v<Payload, std::string>) {
            return detail::parse(v.payload());
        } else {
            return static_cast<std::uint64_t>(v.payload());
        }
    }
    // Keys are named by their id in reports (a string key is "k<id>", padded).
    static std::string key_name(std::uint64_t id) { return std::to_string(id); }
};

}  // namespace sink_stress
