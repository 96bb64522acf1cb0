// One hazard slot of a map walk's cursor (map_cursor.hpp): a hazard_pointer
// without the test of ownership. A hazard_pointer tests its slot before each
// release, since it may have been moved from; a cursor takes its five slots
// together when it is made and gives them back together when it is
// destroyed, and only one of them (the found entry's, hp_cur) ever leaves
// it, at the end of its walk, through to_hazard_pointer(). So the cursor
// gives four back with no test and tests the fifth once (docs/performance.md,
// lever 14). Protections are published exactly as hazard_pointer publishes
// them: a release store, then the reader fence.
#pragma once

#include <cassert>
#include <cstddef>
#include <utility>

#include "sink/detail/atomic.hpp"
#include "sink/detail/hazard_record.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

class walk_slot {
public:
    // Owns no slot until set(): a cursor sets its five in its constructor,
    // before anything can read them (so nothing is stored here first).
    walk_slot() noexcept {}  // NOLINT(modernize-use-equals-default): leaves slot_ unset on purpose
    // Owns `slot`, a slot taken for a cursor (hazard_domain_access).
    void set(atomic<const void*>* slot) noexcept { slot_ = slot; }
    walk_slot(const walk_slot&) = delete;
    walk_slot& operator=(const walk_slot&) = delete;

    // As hazard_pointer::reset_protection(ptr) for a ptr that is not null:
    // the publish, ordered before the caller's validating re-read. Release:
    // what this thread did with the object protected before happens-before
    // a reclaimer's acquire read of the slot that no longer shows it; the
    // reader fence then orders the publish before the re-read (it pairs
    // with the reclaimer fence).
    void publish(const void* ptr) noexcept {
        assert(slot_ != nullptr && ptr != nullptr);
        slot_->store(ptr, mo_release);
        reader_fence();
    }
    void reset_protection(const void* ptr) noexcept {
        if (ptr == nullptr) {
            reset_protection();
            return;
        }
        publish(ptr);
    }
    // Ends protection (release, as hazard_pointer's; no fence needed).
    void reset_protection(std::nullptr_t = nullptr) noexcept {
        assert(slot_ != nullptr);
        slot_->store(nullptr, mo_release);
    }

    void swap(walk_slot& other) noexcept { std::swap(slot_, other.slot_); }
    // Exchanges slots, and so protections, with a hazard_pointer, which must
    // own one (a cursor's four other slots are given back untested).
    void swap(hazard_pointer& hp) noexcept {
        assert(!hp.empty());
        hazard_domain_access::exchange_slot(hp, slot_);
    }

    bool empty() const noexcept { return slot_ == nullptr; }

    // Gives the slot back (the cursor's destructor): as ~hazard_pointer,
    // a release store of the free marker, which ends the protection and
    // lets the record's owner take the slot again. Precondition: owns one.
    void release() noexcept {
        assert(slot_ != nullptr);
        slot_->store(free_slot_marker(), mo_release);
    }
    // Moves the slot, and the protection it holds, into a hazard_pointer;
    // this one is empty after.
    hazard_pointer to_hazard_pointer() noexcept {
        hazard_pointer hp;
        hazard_domain_access::adopt_into(hp, std::exchange(slot_, nullptr));
        return hp;
    }

private:
    atomic<const void*>* slot_;  // set() first
};

}  // namespace detail
SINK_END_NAMESPACE
