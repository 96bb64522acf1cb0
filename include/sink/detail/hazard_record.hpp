// Internals of the hazard-pointer domain: the intrusive header of a retired
// object, the arrays that hold objects retired without one, and a thread's
// hazard record. Users never name these types.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sink/detail/atomic.hpp"

SINK_BEGIN_NAMESPACE
class hazard_pointer_domain;
namespace detail {

// The header every retirable object carries (inside hazard_pointer_obj_base).
// `next_retired` links the object into exactly one retired list at a time; it
// is written by whoever owns the list (before a release push, or while the
// list is held privately after an acquire take), so it needs no atomicity.
struct retired_object {
    retired_object* next_retired = nullptr;
    void (*reclaim)(retired_object*) noexcept = nullptr;
};

// A block retired as a whole range of addresses: any published address in
// [this, this + bytes) keeps it, not only its first byte. The header must
// be the block's first byte (its first base, in a type with no virtual
// functions), so that the range starts where the block does. For blocks whose
// interior addresses walkers protect and validate (a segment of the map's
// section heads, each head reached through its own address): a walker that
// published &block->heads[i] holds the block. `free_range` frees it (the
// domain's own reclaim function stands in `reclaim`, which is how a scan
// tells a range from an object retired by its address alone).
// hazard_domain_access::retire_range retires one.
struct retired_range : retired_object {
    std::size_t bytes = 0;
    void (*free_range)(retired_range*) noexcept = nullptr;
};

// How to free an object retired without a header (sink's list nodes): one
// reclaimer per kind of object, shared by all objects of that kind, so that
// the object itself carries nothing for its retirement. A reclaimer must
// outlive every object retired with it (a static, or a holder that counts
// its objects).
struct reclaimer {
    void (*reclaim)(const reclaimer& self, void* object) noexcept;
};

// A fixed-size array of objects retired without a header, with its own
// retired_object header so that the domain's stacks, hand-overs and drains
// move it like any retired object. A thread fills its current batch
// privately (hazard_record::current); a scan compares each item with the
// hazards, frees the unprotected ones and packs the survivors to the front
// of as few batches as it can (hazard_pointer_domain.cpp).
struct retired_batch : retired_object {
#if defined(SINK_ATOMICS_RELACY)
    // One item, so that model runs cross batch boundaries on every retire
    // and a run of two frozen nodes is cut in two (relacy_map_held.cpp).
    static constexpr std::size_t capacity = 1;
#else
    // 2 KiB per batch: one allocation per 126 retires, and a thread's
    // private, not yet scanned part stays small.
    static constexpr std::size_t capacity = 126;
#endif
    struct item {
        void* object;
        const reclaimer* how;
    };
    std::size_t count = 0;
    item items[capacity];
};

// Hazard slots per record that any hazard pointer may take. A thread gets
// one record per domain, and a second one only while it holds more than
// this many hazard pointers at once.
inline constexpr std::size_t slots_per_record = 8;
// Further slots of every record, kept for the map's cursors (the five
// hazard pointers of one walk): the record's thread takes them all at once
// when all are free, with no scan (hazard_pointer_domain::
// acquire_cursor_slots); a cursor that finds one taken (a nested walk, or an
// iterator or handle still owning the slot its walk found it with) takes
// general slots instead. Scans read them like the others.
inline constexpr std::size_t cursor_slots_per_record = 5;
inline constexpr std::size_t all_slots_per_record = slots_per_record + cursor_slots_per_record;

// The value of a slot that no hazard_pointer owns. It is the address of a
// static object, so it never equals the address of a retired object, and the
// reclaimer needs no special case for it. Inline: every hazard pointer's
// release stores it, and an out-of-line call there cost a call per slot.
inline constexpr char free_slot_object = 0;  // an inline variable: one address per program
inline const void* free_slot_marker() noexcept { return &free_slot_object; }

// One block of hazard slots plus a retired list, bound to at most one thread
// at a time (`in_use`). Records are created on demand, linked into the domain
// for its whole life, and reused after their thread exits.
struct alignas(cache_line_size) hazard_record {
    hazard_record();

    // Published hazards. Written by the hazard_pointer that owns the slot
    // (release stores, then the reader fence), read by every reclaimer (acquire
    // loads after the reclaimer fence). free_slot_marker() when unowned.
    // The first slots_per_record are general, the rest the cursor's.
    atomic<const void*> slots[all_slots_per_record];
    atomic<const void*>* cursor_slots() noexcept { return slots + slots_per_record; }

    // Retired objects waiting for a scan: a stack the owner pushes onto with a
    // release CAS, and that the owner's scan, a drain or a thread exit takes
    // whole with an acquire exchange. Taking it whole means no pop, so no ABA.
    atomic<retired_object*> retired{nullptr};

    // Totals for stats(). Written only by the owning thread (a load and a
    // store, no read-modify-write); read relaxed by stats().
    atomic<std::uint64_t> retired_total{0};
    atomic<std::uint64_t> reclaimed_total{0};

    // Set by the CAS that binds the record to a thread (acquire: sees what the
    // previous owner wrote), cleared when the thread lets go of it (release).
    atomic<bool> in_use{true};

    // Owner-only: objects pushed since the last scan (an estimate: a drain may
    // take them meanwhile, which only makes the next scan come early).
    std::size_t pending = 0;
    // Owner-only: the batch that objects retired without a header go to
    // (filled privately; a scan, a drain by the owner or the thread's exit
    // takes it), and one empty batch kept so that most refills allocate
    // nothing.
    retired_batch* current = nullptr;
    retired_batch* spare = nullptr;
    // Owner-only: further records of the same thread, when it needs more slots.
    hazard_record* next_of_owner = nullptr;
    // The domain's list of all records. Written once before the record is
    // published with a release CAS, immutable afterwards.
    hazard_record* next = nullptr;
    // The domain the record belongs to, for ever (set with `next`).
    hazard_pointer_domain* domain = nullptr;
};

#if !defined(SINK_ATOMICS_RELACY)
// A hint: the calling thread's record in the default domain, or nullptr
// (set when the thread's binding is used, cleared when the record it names
// is released, only by the thread itself: hazard_pointer_domain.cpp). It is
// always null or a record bound to this thread, but not necessarily of the
// domain the reader means: copies of sink in several shared objects may
// share this thread-local while each has its own default domain, so a
// reader checks `domain` first. Inline and constant-initialised, so that a
// map walk's hazard pointers are found without a call in an executable
// (hazard_domain_access::try_take_cursor_slots; position-independent code
// reaches a thread-local through __tls_get_addr). Under Relacy the
// simulated threads share one OS thread: bindings live in the domain.
inline constinit thread_local hazard_record* this_thread_default_record = nullptr;
#endif

}  // namespace detail
SINK_END_NAMESPACE
