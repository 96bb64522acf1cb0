/// \file
/// The public value types of sink::concurrent_map: its options, its
/// statistics and the result of verify(); and the two traits a user may
/// specialize (keep_values_in_place, hash_is_avalanching).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE

namespace detail {
// Hash::is_avalanching as Boost.Unordered reads it: `void` (its first
// spelling) means true, anything else its `value`.
template <class Flag>
struct avalanching_value : std::bool_constant<static_cast<bool>(Flag::value)> {};
template <>
struct avalanching_value<void> : std::true_type {};
}  // namespace detail

/// Whether a concurrent_map keeps values of type T in place: in the entry,
/// beside its link, replaced by one double-width CAS (no node, no
/// allocation per replace; docs/design.md, "Values in place"). True by
/// default for types whose bytes are their value
/// (std::has_unique_object_representations: integers, enums, pointers,
/// structs of these without padding). Specialize it to std::true_type for
/// another trivially copyable type of at most 8 bytes (for example
/// `double`): comparisons still use T's `==`, and the CAS expects the exact
/// bytes it read. It takes effect only where the CAS is lock-free (x86-64
/// with -mcx16, which sink::sink adds). Must be the same in every
/// translation unit that uses the map type.
template <class T>
struct keep_values_in_place : std::bool_constant<std::has_unique_object_representations_v<T>> {};

/// Whether Hash's values are already spread over all 64 bits, so that the
/// map need not mix them again (docs/performance.md, lever 17). True when
/// Hash has a member type `is_avalanching` that is `void` or has a `value`
/// that is true (for example `using is_avalanching = std::true_type;`),
/// the convention of Boost.Unordered; or specialize this trait. Then a
/// key's order is the hash keyed with the map's seed by one multiply
/// (detail::seeded_multiply); otherwise the hash is mixed with the seed first
/// (the MurmurHash3 finaliser). Either way the seed decides which keys
/// share a section. Declare it only for a hash whose every bit depends on
/// every bit of the key: sections are chosen by the top bits, and one
/// multiply does not spread a weak hash (std::hash of an integer is the
/// identity on libstdc++) as evenly as the finaliser does. Must be the
/// same in every translation unit that uses the map type.
template <class Hash, class = void>
struct hash_is_avalanching : std::false_type {};
template <class Hash>
struct hash_is_avalanching<Hash, std::void_t<typename Hash::is_avalanching>>
    : detail::avalanching_value<typename Hash::is_avalanching> {};

/// Tuning knobs of the original sink.Map, plus where retired nodes go.
/// Given to the concurrent_map constructor, which throws
/// std::invalid_argument if grow_amount or shrink_amount is not in [1, 40].
struct concurrent_map_options {
    /// Grow when an insert of a new key stepped over more than this many live
    /// entries of its section (0: never grow on inserts). The section length
    /// trades speed for memory: 10 keeps about 2 live entries a section
    /// (about 37 bytes per u64 entry at 1,000,000 entries, 8 of them a
    /// section head's); 16 keeps about 4 (35 bytes, lookups on a large map
    /// about 1.4x slower); 8, with grow_min_load_percent 100, about one (41
    /// bytes, lookups faster still) (docs/performance.md, "Section heads of
    /// 8 bytes").
    std::size_t grow_on_insert_count = 10;
    /// Shrink when an erase left this many consecutive sections empty (0: never).
    std::size_t shrink_on_empty_count = 2;
    unsigned grow_amount = 1;    ///< bits added to the table width by a grow (x2)
    unsigned shrink_amount = 2;  ///< bits removed by a shrink (/4)
    /// @name Load conditions on the two local heuristics above
    /// In a full map the sections vary in length, so some are long while
    /// others are empty: the long ones ask for a grow and the empty ones for
    /// a shrink, and without a condition on the whole map's load each undoes
    /// the other (measured in docs/performance.md). A grow also needs at
    /// least grow_min_load_percent entries per 100 sections of the current
    /// table; a shrink at most shrink_max_load_percent. After either the
    /// load is about 100, and the gaps (2x to a grow, 4x to a shrink) mean
    /// neither can follow the other straight away. At 200 no grow takes a
    /// map below one entry a section: with 100, a map of steady size grew
    /// once more under churn, to one entry a section and about 41 bytes an
    /// entry (docs/performance.md, "A grow needs two entries a section").
    /// The load is read from size(), so it
    /// is approximate while writes run. 0 turns a condition off (tests use
    /// that to make tiny maps resize all the time).
    /// @{
    std::size_t grow_min_load_percent = 200;  ///< least entries per 100 sections for a grow
    std::size_t shrink_max_load_percent = 25;  ///< most entries per 100 sections for a shrink
    /// @}
    /// Seed of the hash mixing; 0 picks a different seed for every map.
    std::uint64_t seed = 0;
    /// Where the map retires nodes and segments of heads; nullptr: the default domain.
    /// The domain must outlive every node the map retires to it.
    hazard_pointer_domain* domain = nullptr;
};

/// Counters for tests and tuning (concurrent_map::stats()). Each is exact
/// when the map is quiescent; otherwise a recent value.
struct concurrent_map_stats {
    unsigned table_width = 0;          ///< log2 of the number of sections (the width)
    std::size_t sections = 0;          ///< 2^table_width
    std::size_t heads = 0;             ///< section heads in the list, the start sentinel included
    std::uint64_t grows = 0;           ///< resizes to a greater width so far
    std::uint64_t shrinks = 0;         ///< resizes to a smaller width so far (one per level)
    std::uint64_t compactions = 0;     ///< frozen runs cut out
    std::uint64_t nodes_retired = 0;   ///< nodes handed to the hazard-pointer domain
    std::uint64_t heads_installed = 0;  ///< section heads ever linked into the list
    /// Bytes of the pool blocks that hold the map's nodes (0 when the
    /// library is built with SINK_NODE_POOL=0): live nodes, retired nodes
    /// not yet freed, and free slots.
    std::size_t node_pool_bytes = 0;
};

/// The result of concurrent_map::verify(): empty `problem` when every
/// invariant holds.
struct concurrent_map_check {
    std::string problem;               ///< the first broken invariant, or empty
    std::size_t live_entries = 0;      ///< entries in the list that are not erased or superseded
    std::size_t frozen_nodes = 0;      ///< erased or superseded nodes not yet cut out
    std::size_t live_heads = 0;        ///< section heads in the list (the start sentinel not counted)
    /// True when every invariant holds.
    explicit operator bool() const noexcept { return problem.empty(); }
};

SINK_END_NAMESPACE
