// A node's `next` link with a second word beside it that one double-width
// CAS changes together with the link: the cell of a map whose values live
// in their entries (map_node.hpp, "values in place").
//
// Why two words under one CAS: an entry's value is replaced by a CAS that
// must fail if the entry was frozen (erased, or superseded) meanwhile, and
// an erase must fail if the value it decided on was replaced meanwhile. The
// freeze lives in `next`, the value in `word`; only a CAS over both sees
// both. So every CAS on an entry's cell is double-width (compare_exchange_both
// and compare_exchange_link): a CAS on `next` alone next to a double-width CAS
// on the same bytes is a mixed-size access, which the C++ memory model does
// not define and Relacy cannot model. Loads stay single words (the walk's
// hot path); the double-width CAS is a locked instruction, so a single-word
// load sees the link and the word either before it or after it.
//
// Cells of the sentinels never hold a word and are never double-width
// CASed: they are 8-aligned, and their plain CASes are on `next` alone
// (section heads have no cell: a map_head is its link alone). Entries are
// 16-aligned (map_entry), as cmpxchg16b requires.
//
// Backends:
//   std     __sync_val_compare_and_swap on 16 bytes, which gcc and clang
//           emit inline as lock cmpxchg16b when the target has it (-mcx16).
//           (__atomic_compare_exchange on 16 bytes goes to libatomic with
//           gcc, which does not promise to be lock-free.) ThreadSanitizer
//           instruments it as a 128-bit atomic at the cell's address, the
//           same address as `next`'s loads, so it sees the synchronization
//           with them; for the loads of the word it is told (load_word).
//   boost   boost::atomic_ref over the same 16 bytes: cmpxchg16b inline, and
//           is_always_lock_free says so.
//   relacy  one rl::atomic of both words: a load of `next` is a load of the
//           cell, and a CAS of `next` alone is modelled as the double-width
//           CAS that keeps the word.
// Without a lock-free double-width CAS (has_two_word_cas false), values are
// never kept in place and no cell is used.
#pragma once

#include <cstdint>

#include "sink/detail/atomic.hpp"

#if defined(SINK_ATOMICS_BOOST)
#include <boost/atomic/atomic_ref.hpp>
#endif
#if defined(SINK_DETAIL_TSAN) && !defined(SINK_ATOMICS_RELACY)
#include <sanitizer/tsan_interface.h>
#endif

SINK_BEGIN_NAMESPACE
namespace detail {

using link = std::uintptr_t;

// The two words of a cell, `next` first (at the lower address).
struct alignas(16) two_words {
    link next;
    std::uint64_t word;
    friend bool operator==(const two_words&, const two_words&) = default;
};

#if defined(SINK_ATOMICS_RELACY)

inline constexpr bool has_two_word_cas = true;

// For Relacy's history of the cell's events.
template <class Stream>
Stream& operator<<(Stream& out, const two_words& w) {
    out << "{" << w.next << ", " << w.word << "}";
    return out;
}

class link_cell {
public:
    explicit link_cell(link l) noexcept : cell_(two_words{l, 0}) {}

    link load(memory_order mo) const noexcept { return cell_.load(mo).next; }
    // Only on a cell no other thread can CAS yet (a new node or sentinel).
    void store(link l, memory_order mo) noexcept { cell_.store(two_words{l, cell_.load(mo_relaxed).word}, mo); }
    bool compare_exchange_strong(link& expected, link desired, memory_order success, memory_order failure) noexcept {
        return compare_exchange_link(expected, desired, success, failure);
    }
    bool compare_exchange_weak(link& expected, link desired, memory_order success, memory_order failure) noexcept {
        return compare_exchange_link(expected, desired, success, failure);
    }
    bool compare_exchange_link(link& expected, link desired, memory_order success, memory_order failure) noexcept {
        two_words seen{expected, cell_.load(mo_relaxed).word};
        while (!cell_.compare_exchange_strong(seen, two_words{desired, seen.word}, success, failure)) {
            if (seen.next != expected) {
                expected = seen.next;
                return false;
            }
        }
        return true;
    }

    std::uint64_t load_word(memory_order mo) const noexcept { return cell_.load(mo).word; }
    void init_word(std::uint64_t w) noexcept { cell_.store(two_words{cell_.load(mo_relaxed).next, w}, mo_relaxed); }
    // Both words at once: acq_rel, acquire on failure (then `expected` holds
    // what was there).
    bool compare_exchange_both(two_words& expected, two_words desired) noexcept {
        return cell_.compare_exchange_strong(expected, desired, mo_acq_rel, mo_acquire);
    }

private:
    atomic<two_words> cell_;
};

#else  // native

#if defined(SINK_DETAIL_HAS_CX16) && defined(SINK_ATOMICS_BOOST)
inline constexpr bool has_two_word_cas = boost::atomic_ref<two_words>::is_always_lock_free;
#elif defined(SINK_DETAIL_HAS_CX16) && !defined(SINK_ATOMICS_BOOST)
inline constexpr bool has_two_word_cas = true;
#else
inline constexpr bool has_two_word_cas = false;
#define SINK_NO_LINK_CELL 1
#endif

#ifndef SINK_NO_LINK_CELL

#if !defined(SINK_ATOMICS_BOOST) || defined(SINK_DETAIL_TSAN)
__extension__ typedef unsigned __int128 two_words_bits;  // __extension__: no -Wpedantic warning
#endif

class link_cell {
public:
    explicit link_cell(link l) noexcept : next_(l) {}

    link load(memory_order mo) const noexcept { return next_.load(mo); }
    void store(link l, memory_order mo) noexcept { next_.store(l, mo); }
    // A CAS on `next` alone: only for cells that are never double-width
    // CASed (the sentinels'; see the file comment).
    bool compare_exchange_strong(link& expected, link desired, memory_order success, memory_order failure) noexcept {
        return next_.compare_exchange_strong(expected, desired, success, failure);
    }
    bool compare_exchange_weak(link& expected, link desired, memory_order success, memory_order failure) noexcept {
        return next_.compare_exchange_weak(expected, desired, success, failure);
    }
    // A CAS on `next` that keeps the word, double-width: for entries'
    // cells. Retries while only the word changes (a replace that landed
    // meanwhile, which does not concern this CAS); fails, with `expected`
    // updated, once `next` differs. The orders are those of the
    // double-width CAS (full barrier), which covers any success/failure pair.
    bool compare_exchange_link(link& expected, link desired, memory_order, memory_order) noexcept {
        two_words seen{expected, word_.load(mo_relaxed)};
        while (!compare_exchange_both(seen, two_words{desired, seen.word})) {
            if (seen.next != expected) {
                expected = seen.next;
                return false;
            }
        }
        return true;
    }

    std::uint64_t load_word(memory_order mo) const noexcept {
        const std::uint64_t w = word_.load(mo);
#if defined(SINK_DETAIL_TSAN)
        // ThreadSanitizer keys every CAS on the cell (double-width, at the
        // cell's address) to that address, where this load at word_ does not
        // look: acquire there too, as the hardware does (the cell is one
        // atomic object to it). Without it, the test
        // MapConcurrent.APointerStoredInPlacePublishesWhatItPointsAt is a
        // data race to TSan.
        if (mo != mo_relaxed) {
            __tsan_acquire(const_cast<link_cell*>(this));
        }
#endif
        return w;
    }
    // Before the cell's node is published.
    void init_word(std::uint64_t w) noexcept { word_.store(w, mo_relaxed); }
    // Both words at once (16-aligned cells only): a full barrier, so acq_rel
    // on success and acquire on failure (then `expected` holds what was there).
    bool compare_exchange_both(two_words& expected, two_words desired) noexcept {
#if defined(SINK_ATOMICS_BOOST) && !defined(SINK_DETAIL_TSAN)  // (TSan cannot see Boost's inline assembly)
        return boost::atomic_ref<two_words>(*reinterpret_cast<two_words*>(this))
            .compare_exchange_strong(expected, desired, boost::memory_order_acq_rel, boost::memory_order_acquire);
#else
        const two_words_bits e = pack(expected);
        const two_words_bits old = __sync_val_compare_and_swap(reinterpret_cast<two_words_bits*>(this), e, pack(desired));
        if (old == e) {
            return true;
        }
        expected = two_words{static_cast<link>(old), static_cast<std::uint64_t>(old >> 64)};
        return false;
#endif
    }

private:
#if !defined(SINK_ATOMICS_BOOST) || defined(SINK_DETAIL_TSAN)
    // `next` is the low half on the little-endian targets that have the
    // instruction (x86-64, aarch64).
    static two_words_bits pack(two_words w) noexcept {
        return (static_cast<two_words_bits>(w.word) << 64) | w.next;
    }
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "link_cell packs next as the low half");
#endif

    atomic<link> next_;
    atomic<std::uint64_t> word_{0};
};
static_assert(sizeof(link_cell) == 16 && sizeof(atomic<link>) == 8, "a cell is two plain words");
#endif  // SINK_NO_LINK_CELL

#endif

}  // namespace detail
SINK_END_NAMESPACE
