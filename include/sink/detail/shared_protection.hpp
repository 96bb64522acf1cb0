// One hazard pointer shared by the copies of an iterator.
//
// A copy of an iterator must keep the entry the original points at alive,
// and that entry may be erased, cut out and retired already. Publishing its
// address in a second slot would not protect it (reclamation.md item 10): a
// scan that took it from a retired list may read the new slot before the
// publish and the original's slot after the original moved on, and free it.
// Nothing can validate the second publish either, since a retired node is
// reachable from nowhere. So copies do not publish at all: they share the
// original's slot, which was validated when the walk found the entry, and
// the slot is released by the last copy to let go.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

#include "sink/detail/atomic.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

class shared_protection {
public:
    shared_protection() noexcept = default;
    // Takes over `hp` (a validated protection). Throws bad_alloc, and then
    // `hp` is left as it was.
    explicit shared_protection(hazard_pointer& hp) : block_(new block) { block_->hp.swap(hp); }

    shared_protection(const shared_protection& other) noexcept : block_(other.block_) {
        if (block_ != nullptr) {
            // Relaxed: the new owner comes from an existing one, which keeps the
            // block alive meanwhile (as std::shared_ptr's count).
            block_->owners.fetch_add(1, mo_relaxed);
        }
    }
    shared_protection(shared_protection&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    shared_protection& operator=(shared_protection other) noexcept {
        std::swap(block_, other.block_);
        return *this;
    }
    ~shared_protection() { reset(); }

    explicit operator bool() const noexcept { return block_ != nullptr; }

    // Whether no other copy shares the slot, so that its owner may move it on.
    // Acquire: pairs with the release of the copies that let go, so their
    // reads of the protected entry happen-before whatever we protect next.
    bool unique() const noexcept { return block_ != nullptr && block_->owners.load(mo_acquire) == 1; }
    // The slot itself; only for the sole owner (unique()).
    hazard_pointer& slot() noexcept { return block_->hp; }

    // Lets go; the last owner releases the slot.
    void reset() noexcept {
        if (block_ == nullptr) {
            return;
        }
        // Acq_rel: every owner's reads of the entry happen-before the last
        // owner's release of the slot (a release store a scan reads with
        // acquire), so none of them can read it after it is freed.
        if (block_->owners.fetch_sub(1, mo_acq_rel) == 1) {
            delete block_;
        }
        block_ = nullptr;
    }

private:
    struct block {
        hazard_pointer hp;
        atomic<std::size_t> owners{1};
    };
    block* block_ = nullptr;
};

}  // namespace detail
SINK_END_NAMESPACE
