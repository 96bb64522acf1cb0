// A pool of fixed-size slots for one map's nodes (issue 17, item 2; the design
// and its alternatives are docs/proposals/node-pools.md).
//
// Blocks of 1, 4, 16 or 64 frames of 4 KiB (larger as the pool holds more),
// aligned to a frame, come from the pool's allocator. Frame 0 begins with the block's header, every other frame
// with a pointer to it, so a slot finds its block with a mask and one load:
// no per-slot header. Each block serves one size class.
//
// Ownership. Every block is, at any moment, either *owned* (by a heap, by the
// pool's listed stack of reusable blocks, or by a thread deciding its fate) or
// *detached*. Its `remote` word says which: bit 0 (`owned_bit`) is set while
// it is owned, and the rest is the head of a push-only stack of slots freed
// into the block. Only an owner allocates from a block, reads or writes its
// private fields, or returns it to the allocator.
//
// Any thread frees any slot, at any time, with one CAS on its block's
// `remote`: it pushes the slot. If the push found the block detached, the
// freer now owns it (the CAS set `owned_bit`) and settles it: returns it if
// no slot is allocated, lists it for reuse if enough is free, or detaches it
// again. A free that found the block owned touches nothing after its CAS:
// the owner may return the block at once.
//
// Heaps. A map operation that needs a slot takes a heap (one CAS on its
// `busy` flag, starting from a per-thread hint), pops a slot from the heap's
// active block of the class, and gives the heap back before the node's
// constructor runs. A thread holds no pool state between calls: an exiting
// thread owns nothing, and a thread stalled inside a constructor blocks
// nobody. (The allocator itself is called with a heap held, for a new block,
// or by trim() to return one: a slow allocator makes that heap unavailable
// meanwhile, and other threads go round it.) If every heap is busy, the
// thread appends a new chunk of heaps, so allocation never waits for
// another thread.
//
// Lifetime. The pool counts one reference for its owner (the map), one
// for each block it holds, and one for each object the owner allocated
// through the pool's allocator outside the blocks (ref()/unref(): the map's
// tables, nodes too large for a slot). The owner calls close() once (no
// allocation may follow or run concurrently); frees may still arrive from
// any thread, and whichever drops the last reference (the return of the
// last block, or the free of the last table or large node) destroys the
// pool, with a copy of the allocator moved out of it.
#pragma once

#include <array>
#include <cassert>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "sink/detail/atomic.hpp"
#include "sink/detail/config.hpp"
#include "sink/detail/fault.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define SINK_POOL_POISON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SINK_POOL_POISON 1
#endif
#endif
#ifdef SINK_POOL_POISON
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

#include <cstdio>
#include <cstdlib>
#endif

SINK_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::size_t pool_frame_size = 4096;
inline constexpr unsigned pool_class_count = 2;  // entries, stamped entries

class node_pool_base;

// Frame-sized, frame-aligned raw memory: what a pool asks its allocator for.
struct alignas(pool_frame_size) pool_frame {
    std::byte bytes[pool_frame_size];
};

// A free slot holds its link to the next free slot in its first bytes. Under
// Relacy the link is a watched variable, so a free's push that does not
// release it is reported as a data race with the collector that reads it.
using pool_link = var<std::uintptr_t>;

// The header at the start of frame 0 of every block.
struct pool_block {
    static constexpr std::uintptr_t owned_bit = 1;

    pool_block* self;  // the frame word: frames 1.. hold the same pointer (immutable)
    node_pool_base* pool;  // immutable
    void* raw;             // what the allocator returned, if the block is not at its start
    std::uint32_t raw_frames;
    std::uint32_t frames;
    std::uint32_t slot_size;
    std::uint32_t capacity;
    unsigned size_class;
    // Owner-only: passed from owner to owner by the release/acquire pairs on
    // `remote`, the listed stack and the heaps' busy flags.
    var<std::uint32_t> used;        // slots handed out and not collected back
    var<std::uintptr_t> local_free; // LIFO of free slots, linked through pool_link
    var<std::uintptr_t> bump;       // next never-used slot, 0 when there is none
    var<pool_block*> next_listed;   // link in a heap's partial list or the listed stack
    // Freed-slot stack head | owned_bit. Pushes are CASes by any thread; the
    // owner takes the whole stack with one exchange (collect). On a cache
    // line of its own: remote frees do not take the owner's line away.
    alignas(cache_line_size) atomic<std::uintptr_t> remote;
};

inline pool_block* block_of(const void* slot) noexcept {
    const auto frame = reinterpret_cast<std::uintptr_t>(slot) & ~(pool_frame_size - 1);
    return *reinterpret_cast<pool_block* const*>(frame);
}

// A heap: per class, the block it allocates from and a list of partly free
// blocks. Fields are read and written only by the thread whose CAS set busy.
struct pool_heap_fields {
    pool_heap_fields() {
        for (unsigned cls = 0; cls < pool_class_count; ++cls) {
            active[cls].set(nullptr);
            partial[cls].set(nullptr);
        }
    }
    atomic<bool> busy{false};
    std::array<var<pool_block*>, pool_class_count> active;
    std::array<var<pool_block*>, pool_class_count> partial;
};
// Padded to a multiple of a cache line, not aligned to one (the pool object
// holds the first heaps, and an allocator need not honour extended
// alignment): heaps are a line apart, so no two busy flags share a line.
struct pool_heap : pool_heap_fields {
    char padding[cache_line_size - sizeof(pool_heap_fields) % cache_line_size];
};

struct pool_heap_chunk {
    // One heap a chunk in the model: two threads that allocate at once
    // already append a chunk (relacy_node_pool, pool_chunks).
    static constexpr unsigned size = is_model_checked ? 1 : 8;
    std::array<pool_heap, size> heaps;
    atomic<pool_heap_chunk*> next{nullptr};
};

// Where a thread starts probing for a free heap: threads spread over the
// heaps, and a thread usually finds "its" heap free again.
#if defined(SINK_ATOMICS_RELACY)
// Every thread starts at the first heap: the model explores the contention
// for it, which spread hints would make rare.
inline unsigned pool_heap_hint() noexcept { return 0; }
#else
inline std::atomic<unsigned> pool_hint_counter{0};
inline constinit thread_local unsigned pool_hint_plus_one = 0;
inline unsigned pool_heap_hint() noexcept {
    if (pool_hint_plus_one == 0) {
        pool_hint_plus_one = pool_hint_counter.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    return pool_hint_plus_one - 1;
}
#endif

struct pool_class_spec {
    std::uint32_t size = 0;   // 0: class unused
    std::uint32_t align = 8;  // at most pool_max_align
};
inline constexpr std::size_t pool_max_align = 64;
// The largest slot: a frame of one-frame blocks holds several.
inline constexpr std::size_t pool_max_slot_size = 1024;
// How many partly free blocks a heap keeps for a size class; the rest of
// what it takes from the listed stack goes back there, for other heaps.
// (One in the model, so that two listed blocks already exercise the
// relisting: relacy_node_pool, pool_relist.)
inline constexpr unsigned pool_partial_cap = is_model_checked ? 1 : 4;

class node_pool_base {
public:
    node_pool_base(const node_pool_base&) = delete;
    node_pool_base& operator=(const node_pool_base&) = delete;

    // A slot of class `cls`, of at least the class's size and alignment.
    // Throws std::bad_alloc (or what the allocator throws); then the pool is
    // unchanged but for blocks it keeps for later.
    void* allocate(unsigned cls) {
        assert(cls < pool_class_count && specs_[cls].size != 0 && "sink: allocation from an unused pool class");
        pool_heap& h = take_heap();
        pool_block* b = h.active[cls].get();
        void* s = nullptr;
        try {
            for (;;) {
                if (b != nullptr) {
                    if ((s = pop_slot(*b)) != nullptr) {
                        break;
                    }
                    settle(*b, /*may_list=*/true);  // exhausted
                    b = nullptr;
                    h.active[cls].set(nullptr);
                }
                b = next_partial(h, cls);
                if (b == nullptr) {
                    b = new_block(cls);
                }
            }
        } catch (...) {
            give_heap(h);
            throw;
        }
        h.active[cls].set(b);
        give_heap(h);
        unpoison(s, b->slot_size);
        return s;
    }

    // Frees a slot of any pool, from any thread, after its object was
    // destroyed. The slot's memory must not be touched afterwards.
    static void deallocate(void* slot) noexcept {
#ifdef SINK_POOL_POISON
        block_of(slot)->pool->quarantine(slot);
#else
        push_free(slot);
#endif
    }

    // Gives back what idle heaps and the listed stack hold: every block with
    // no allocated slot goes back to the allocator; the others are listed
    // again (at least an eighth free) or detached (to be claimed by a free
    // into them). Lock-free: heaps busy in other threads are skipped. Any
    // thread may call it while the owner has not called close().
    // (The ASan quarantine is not emptied: the map trims after every
    // shrink, when freed-too-early nodes are likeliest to be touched.)
    void trim() noexcept { trim_heaps(); }

    // The owner's last call: no allocate() or trim() may run concurrently
    // or follow (trim() holds heaps whose blocks the close could not see,
    // and the pool may be destroyed as soon as its references drop). Frees
    // may still arrive from any thread; the last block's return destroys the
    // pool. After close() the owner must not touch the pool.
    void close() noexcept {
        for (unsigned cls = 0; cls < pool_class_count; ++cls) {
            // acquire: the blocks listed before the close, with their fields.
            const std::uintptr_t head = listed_[cls].exchange(listed_closed, mo_acquire);
            settle_list(head == listed_closed ? nullptr : reinterpret_cast<pool_block*>(head));
        }
#ifdef SINK_POOL_POISON
        // seq_cst, against the load in quarantine(): a free that put its
        // slot in the ring after the flush below sees the flag and takes
        // its cell out again itself.
        closed_.store(true, std::memory_order_seq_cst);
#endif
        flush_quarantine();
        trim_heaps();
        unref();
    }

    // Blocks currently held (allocated from the allocator and not returned;
    // a recent value, as bytes_held()).
    std::size_t block_count() const noexcept { return blocks_held_.load(mo_relaxed); }
    // Their bytes (a recent value: a statistic, not a synchronisation).
    std::size_t bytes_held() const noexcept { return frames_held_.load(mo_relaxed) * pool_frame_size; }

    std::uint32_t slot_size(unsigned cls) const noexcept { return specs_[cls].size; }

    // ASan builds: frees the slots waiting in the quarantine into their
    // blocks (else nothing). Any thread, while the pool is not closed.
    void release_quarantine() noexcept { flush_quarantine(); }

    // The pool is also the holder of its allocator for memory that is not in
    // a block (the map's tables, nodes too large for a slot): each such
    // object takes a reference when it is allocated through the allocator
    // and drops it after it is freed, so that the allocator outlives it
    // wherever it is freed. ref() requires a reference held by the caller
    // (relaxed, as any count increment made from a held reference).
    void ref() noexcept { refs_.fetch_add(1, mo_relaxed); }
    // Drops a reference; the last one destroys the pool.
    void unref() noexcept {
        // acq_rel: whoever destroys the pool sees every other reference
        // holder's work on it.
        if (refs_.fetch_sub(1, mo_acq_rel) == 1) {
            destroy_self();
        }
    }

private:
    // The free proper: pushes the slot onto its block's remote stack.
    static void push_free(void* slot) noexcept {
        pool_block* const b = block_of(slot);
        const std::uint32_t size = b->slot_size;  // read before the push: b may be gone after it
        std::uintptr_t old = b->remote.load(mo_relaxed);
        unpoison(slot, sizeof(pool_link));  // poisoned if it comes from the quarantine
        auto* link = ::new (slot) pool_link(0);
        // Linearization point of the free: the CAS. acq_rel on success:
        // release, so that the object's destruction and the link happen
        // before the collect (acquire exchange) that hands the slot out
        // again; acquire, so that a push that claims a detached block sees
        // the previous owner's private fields (its release CAS in settle).
        // Relaxed on failure: the retry only re-reads the head.
        const memory_order success = fault::relaxed_remote_push ? mo_relaxed : mo_acq_rel;
        for (;;) {
            unpoison(link, sizeof(pool_link));
            link->set(old & ~pool_block::owned_bit);
            poison(slot, size);
            if (b->remote.compare_exchange_weak(old, reinterpret_cast<std::uintptr_t>(slot) | pool_block::owned_bit,
                                                success, mo_relaxed)) {
                break;
            }
        }
        if ((old & pool_block::owned_bit) != 0) {
            // The owner will collect the slot. The block may already be
            // returned (its owner collected this slot and found it empty).
            if constexpr (fault::touch_after_push) {
                (void)b->used.get();
            }
            return;
        }
        b->pool->settle(*b, /*may_list=*/true);  // we claimed a detached block
    }

    // trim() without the quarantine.
    void trim_heaps() noexcept {
        for (pool_heap_chunk* c = &first_chunk_; c != nullptr; c = c->next.load(mo_acquire)) {
            for (pool_heap& h : c->heaps) {
                bool idle = false;
                if (!h.busy.compare_exchange_strong(idle, true, mo_acquire, mo_relaxed)) {
                    continue;
                }
                for (unsigned cls = 0; cls < pool_class_count; ++cls) {
                    if (pool_block* b = h.active[cls].get()) {
                        h.active[cls].set(nullptr);
                        settle(*b, /*may_list=*/true);
                    }
                    settle_list(h.partial[cls].get());
                    h.partial[cls].set(nullptr);
                }
                give_heap(h);
            }
        }
        for (unsigned cls = 0; cls < pool_class_count; ++cls) {
            settle_list(take_listed(cls));
        }
    }

#ifdef SINK_POOL_POISON
    // ASan builds keep the last freed slots poisoned in a ring before they
    // really go back to their blocks, so that a stale access to a node freed
    // too early is reported even if its slot would have been handed out
    // again at once. A slot in the ring is still allocated as far as its
    // block knows, so the block and the pool stay.
    static constexpr std::size_t quarantine_size = 1024;
    void quarantine(void* slot) noexcept {
        // Every free poisons its slot and only allocate() unpoisons it: a
        // poisoned slot freed again is a double free (which would otherwise
        // make its free list a loop, silently).
        if (__asan_address_is_poisoned(slot)) {
            std::fprintf(stderr, "sink: double free of a pooled node at %p\n", slot);
            __sanitizer_print_stack_trace();
            std::abort();
        }
        poison(slot, block_of(slot)->slot_size);
        refs_.fetch_add(1, mo_relaxed);  // we may free the slot that holds the pool
        const std::size_t i = quarantine_next_.fetch_add(1, mo_relaxed) % quarantine_size;
        // acq_rel: the slot's poisoned state and contents, to the thread
        // that evicts it; ours, of the slot we evict.
        void* evicted = quarantine_[i].exchange(slot, mo_acq_rel);
        if (closed_.load(std::memory_order_seq_cst)) {
            if (void* again = quarantine_[i].exchange(nullptr, mo_acq_rel)) {
                push_free(again);
            }
        }
        if (evicted != nullptr) {
            push_free(evicted);
        }
        unref();
    }
    void flush_quarantine() noexcept {
        for (auto& cell : quarantine_) {
            if (void* s = cell.exchange(nullptr, mo_acq_rel)) {
                push_free(s);
            }
        }
    }
    std::array<atomic<void*>, quarantine_size> quarantine_{};
    atomic<std::size_t> quarantine_next_{0};
    std::atomic<bool> closed_{false};
#else
    void flush_quarantine() noexcept {}
#endif

protected:
    explicit node_pool_base(const std::array<pool_class_spec, pool_class_count>& specs) : specs_(specs) {
        for (auto& l : listed_) {
            l.store(0, mo_relaxed);  // published with the pool
        }
        for (pool_class_spec& s : specs_) {
            if (s.align == 0 || s.align > pool_max_align || (s.align & (s.align - 1)) != 0) {
                throw std::invalid_argument("sink: a node pool slot alignment must be a power of two up to 64");
            }
            if (s.size == 0) {
                continue;  // unused class
            }
            // At least 8: the free link is a word, and under ASan no two
            // slots share an 8-byte shadow granule (poisoning one would race
            // with unpoisoning its neighbour).
            s.align = std::max<std::uint32_t>(s.align, std::max<std::uint32_t>(8, alignof(pool_link)));
            s.size = std::max<std::uint32_t>(s.size, sizeof(pool_link));
            s.size = (s.size + s.align - 1) / s.align * s.align;
            // Aligned as far as the size allows, up to a line: a slot of 16,
            // 32 or 64 bytes then never straddles two lines, and a walk's
            // reads of one node (its next, then its order) cost one miss,
            // not two (docs/performance.md, lever 13). The size is a
            // multiple of this alignment already, so only a frame's first
            // slot can move, into padding the frame had anyway.
            s.align = std::min<std::uint32_t>(static_cast<std::uint32_t>(pool_max_align), s.size & (0u - s.size));
            if (s.size > pool_max_slot_size && !is_model_checked) {
                throw std::length_error("sink: a node pool slot of more than pool_max_slot_size bytes");
            }
        }
    }
    virtual ~node_pool_base() = default;

    // Frame-aligned memory of n frames, or unaligned memory the pool aligns
    // itself (then it asks for one frame more). Throws.
    virtual pool_frame* allocate_frames(std::size_t n) = 0;
    virtual void deallocate_frames(pool_frame* p, std::size_t n) noexcept = 0;
    virtual pool_heap_chunk* allocate_chunk() = 0;
    virtual void deallocate_chunk(pool_heap_chunk* c) noexcept = 0;
    // Destroys the pool object and frees its memory. Called once, by the
    // thread that dropped the last reference.
    virtual void destroy_self() noexcept = 0;

    void destroy_chunks() noexcept {
        pool_heap_chunk* c = first_chunk_.next.load(mo_acquire);
        while (c != nullptr) {
            pool_heap_chunk* next = c->next.load(mo_relaxed);
            deallocate_chunk(c);
            c = next;
        }
    }

private:
    static constexpr std::uintptr_t listed_closed = 1;

    static void poison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept {
#ifdef SINK_POOL_POISON
        ASAN_POISON_MEMORY_REGION(p, n);
#endif
    }
    static void unpoison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept {
#ifdef SINK_POOL_POISON
        ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
    }
    // A free slot's link, read and written with its bytes unpoisoned only
    // meanwhile: a stale access to a free slot is reported wherever it lands.
    static std::uintptr_t read_link(std::uintptr_t slot) noexcept {
        auto* l = reinterpret_cast<pool_link*>(slot);
        unpoison(l, sizeof(pool_link));
        const std::uintptr_t v = l->get();
        poison(l, sizeof(pool_link));
        return v;
    }
    static void write_link(std::uintptr_t slot, std::uintptr_t v) noexcept {
        auto* l = reinterpret_cast<pool_link*>(slot);
        unpoison(l, sizeof(pool_link));
        l->set(v);
        poison(l, sizeof(pool_link));
    }

    // ---- heaps ----

    pool_heap& take_heap() {
        const unsigned start = pool_heap_hint();
        pool_heap_chunk* c = &first_chunk_;
        for (;;) {
            for (unsigned i = 0; i < pool_heap_chunk::size; ++i) {
                pool_heap& h = c->heaps[(start + i) % pool_heap_chunk::size];
                // acquire: the previous holder's writes to the heap and to
                // the blocks it owns (its release store in give_heap).
                if constexpr (fault::heap_without_cas) {
                    if (!h.busy.load(mo_acquire)) {
                        h.busy.store(true, mo_relaxed);
                        return h;
                    }
                } else {
                    bool idle = false;
                    if (!h.busy.load(mo_relaxed) && h.busy.compare_exchange_strong(idle, true, mo_acquire, mo_relaxed)) {
                        return h;
                    }
                }
            }
            pool_heap_chunk* next = c->next.load(mo_acquire);
            if (next == nullptr) {
                // Every heap is busy: add a chunk whose first heap is ours.
                // Success releases the chunk's initialisation to probers that
                // load `next` (acquire). Losing the CAS means another thread
                // appended one: probe that, so the failure acquires its
                // initialisation. acq_rel rather than release on success:
                // C++11's rule, which Relacy keeps, allows no failure order
                // stronger than the success order (C++17 dropped it), and
                // on x86 the two cost the same. (pool_chunks found the
                // release/acquire pair modelled as release/relaxed.)
                pool_heap_chunk* fresh = allocate_chunk();
                fresh->heaps[0].busy.store(true, mo_relaxed);
                pool_heap_chunk* expected = nullptr;
                if (c->next.compare_exchange_strong(expected, fresh,
                                                    fault::chunk_append_relaxed ? mo_acquire : mo_acq_rel,
                                                    mo_acquire)) {
                    return fresh->heaps[0];
                }
                deallocate_chunk(fresh);
                next = expected;
            }
            c = next;
        }
    }
    // release: the heap's fields and the state of the blocks it owns, to the
    // next taker.
    static void give_heap(pool_heap& h) noexcept { h.busy.store(false, mo_release); }

    pool_block* next_partial(pool_heap& h, unsigned cls) noexcept {
        pool_block* b = h.partial[cls].get();
        if (b == nullptr) {
            // Take the listed stack whole; keep a few, list the rest again.
            b = take_listed(cls);
            pool_block* kept = b;
            for (unsigned n = 1; kept != nullptr && n < pool_partial_cap; ++n) {
                kept = kept->next_listed.get();
            }
            if (kept != nullptr) {
                pool_block* rest = kept->next_listed.get();
                kept->next_listed.set(nullptr);
                while (rest != nullptr && !fault::relist_dropped) {
                    pool_block* next = rest->next_listed.get();
                    if (!try_list(*rest)) {
                        settle(*rest, /*may_list=*/false);  // closed: cannot happen while allocating
                    }
                    rest = next;
                }
            }
        }
        if (b != nullptr) {
            h.partial[cls].set(b->next_listed.get());
        }
        return b;
    }

    // ---- blocks ----

    // Pops a free slot of an owned block: the local list, then what was
    // freed into the block, then never-used space.
    static void* pop_slot(pool_block& b) noexcept {
        std::uintptr_t s = b.local_free.get();
        if (s == 0) {
            collect(b);
            s = b.local_free.get();
        }
        if (s != 0) {
            b.local_free.set(read_link(s));
            reinterpret_cast<pool_link*>(s)->~pool_link();
        } else {
            s = b.bump.get();
            if (s == 0) {
                return nullptr;
            }
            b.bump.set(next_bump(b, s));
        }
        b.used.set(b.used.get() + 1);
        return reinterpret_cast<void*>(s);
    }

    // Moves what was freed into an owned block to its local list.
    static void collect(pool_block& b) noexcept {
        // relaxed: only decides whether to exchange; the exchange acquires.
        if ((b.remote.load(mo_relaxed) & ~pool_block::owned_bit) == 0) {
            return;
        }
        // acquire: every push before it (the pushes' CASes continue one
        // release sequence), so the slots' links and their objects'
        // destruction happen before the slots are handed out again.
        const std::uintptr_t taken = b.remote.exchange(pool_block::owned_bit, mo_acquire) & ~pool_block::owned_bit;
        std::uint32_t n = 1;
        std::uintptr_t tail = taken;
        for (std::uintptr_t next; (next = read_link(tail)) != 0; tail = next) {
            ++n;
            assert(n <= b.capacity && "sink: a pool block's free list loops (a slot freed twice)");
        }
        write_link(tail, b.local_free.get());
        b.local_free.set(taken);
        b.used.set(b.used.get() - n);
    }

    static std::uintptr_t first_slot(const pool_block& b, std::uint32_t frame, std::uint32_t align) noexcept {
        const auto base = reinterpret_cast<std::uintptr_t>(&b) + frame * pool_frame_size;
        const std::uintptr_t skip = frame == 0 ? sizeof(pool_block) : sizeof(pool_block*);
        return (base + skip + align - 1) / align * align;
    }
    std::uint32_t slot_align(const pool_block& b) const noexcept { return specs_[b.size_class].align; }

    static std::uintptr_t next_bump(const pool_block& b, std::uintptr_t s) noexcept {
        const std::uintptr_t next = s + b.slot_size;
        const std::uintptr_t frame_end = (s & ~(pool_frame_size - 1)) + pool_frame_size;
        if (next + b.slot_size <= frame_end) {
            return next;
        }
        const auto frame = static_cast<std::uint32_t>((frame_end - reinterpret_cast<std::uintptr_t>(&b)) / pool_frame_size);
        if (frame >= b.frames) {
            return 0;
        }
        return first_slot(b, frame, b.pool->slot_align(b));
    }

    pool_block* new_block(unsigned cls) {
        const pool_class_spec spec = specs_[cls];
        const std::size_t held = block_count();
        // Small maps pay for small blocks; large ones get large blocks, since
        // an aligned allocation can cost up to a frame of padding in the
        // allocator (glibc's memalign leaves the gap before the aligned
        // address as a free chunk that only smaller requests can use): at
        // most 1.6 % once blocks are 64 frames.
        const std::uint32_t frames = held < 4 ? 1 : held < 8 ? 4 : held < 16 ? 16 : 64;
        refs_.fetch_add(1, mo_relaxed);  // the block's reference; the caller holds one
        pool_frame* raw = nullptr;
        std::size_t raw_frames = frames;
        try {
            if (allocator_misaligns_.load(mo_relaxed)) {
                raw_frames = frames + 1;
            }
            raw = allocate_frames(raw_frames);
            if (raw_frames == frames && reinterpret_cast<std::uintptr_t>(raw) % pool_frame_size != 0) {
                allocator_misaligns_.store(true, mo_relaxed);  // a hint: every block checks again
                // An allocator that does not honour the frame's alignment:
                // ask for one frame more and align inside it.
                deallocate_frames(raw, raw_frames);
                raw = nullptr;
                raw_frames = frames + 1;
                raw = allocate_frames(raw_frames);
            }
        } catch (...) {
            refs_.fetch_sub(1, mo_relaxed);
            throw;
        }
        const auto aligned = (reinterpret_cast<std::uintptr_t>(raw) + pool_frame_size - 1) & ~(pool_frame_size - 1);
        auto* b = ::new (reinterpret_cast<void*>(aligned)) pool_block;
        b->self = b;
        b->used.set(0);
        b->local_free.set(0);
        b->next_listed.set(nullptr);
        b->remote.store(pool_block::owned_bit, mo_relaxed);  // published with the slots, through the node
        b->pool = this;
        b->raw = raw;
        b->raw_frames = static_cast<std::uint32_t>(raw_frames);
        b->frames = frames;
        b->slot_size = spec.size;
        b->size_class = cls;
        std::uint32_t capacity = 0;
        for (std::uint32_t f = 0; f < frames; ++f) {
            if (f != 0) {
                *reinterpret_cast<pool_block**>(aligned + f * pool_frame_size) = b;
            }
            const std::uintptr_t first = first_slot(*b, f, spec.align);
            capacity += static_cast<std::uint32_t>((aligned + (f + 1) * pool_frame_size - first) / spec.size);
        }
        b->capacity = capacity;
        frames_held_.fetch_add(frames, mo_relaxed);
        blocks_held_.fetch_add(1, mo_relaxed);
        b->bump.set(first_slot(*b, 0, spec.align));
        poison(reinterpret_cast<void*>(first_slot(*b, 0, spec.align)),
               aligned + frames * pool_frame_size - first_slot(*b, 0, spec.align));
        for (std::uint32_t f = 1; f < frames; ++f) {
            unpoison(reinterpret_cast<void*>(aligned + f * pool_frame_size), sizeof(pool_block*));
        }
        return b;
    }

    // Decides the fate of a block we own that no heap uses: return it if no
    // slot is allocated (then no free can name it again), list it if at
    // least an eighth is free and listing is allowed, else detach it.
    void settle(pool_block& b, bool may_list) noexcept {
        for (;;) {
            collect(b);
            if (b.used.get() == 0) {
                return_block(b);
                return;
            }
            if (may_list && worth_listing(b) && try_list(b)) {
                return;
            }
            if constexpr (fault::unown_without_cas) {
                b.remote.store(0, mo_release);
                return;
            }
            // release: our writes to the private fields, to the free that
            // claims the block next (its acq_rel push). The CAS fails if a
            // slot was pushed meanwhile: then collect and decide again.
            std::uintptr_t expected = pool_block::owned_bit;
            if (b.remote.compare_exchange_strong(expected, 0, mo_release, mo_relaxed)) {
                return;
            }
        }
    }
    // At least an eighth free (an exhausted block is never worth it): a
    // block that would take a few slots and be given up again is left
    // detached, so that frees into nearly full blocks do not pass it around.
    static bool worth_listing(pool_block& b) noexcept {
        const std::uint32_t free = b.capacity - b.used.get();
        return free > 0 && free >= b.capacity / 8;
    }
    // Settles each block of a list we own (a heap's partial list, or the
    // listed stack taken whole); those worth it are listed again, unless the
    // pool is closed.
    void settle_list(pool_block* b) noexcept {
        while (b != nullptr) {
            pool_block* next = b->next_listed.get();
            settle(*b, /*may_list=*/true);
            b = next;
        }
    }

    // The listed stack: blocks worth allocating from, owned by the stack.
    // Pushed one at a time, taken whole (no pop, so no ABA). Not capped: a
    // listed block holds at least an eighth of free space that no other
    // path could reach (a detached block is found only by a free into it).
    // A listed block whose last node is freed meanwhile stays listed until
    // an allocation takes it or trim() returns it.
    bool try_list(pool_block& b) noexcept {
        std::uintptr_t head = listed_[b.size_class].load(mo_relaxed);
        do {
            if (head == listed_closed) {
                return false;
            }
            b.next_listed.set(reinterpret_cast<pool_block*>(head));
            // release: the block's private fields, and its ownership, to
            // the taker (acquire).
        } while (!listed_[b.size_class].compare_exchange_weak(head, reinterpret_cast<std::uintptr_t>(&b),
                                                              fault::listed_relaxed ? mo_relaxed : mo_release,
                                                              mo_relaxed));
        return true;
    }
    pool_block* take_listed(unsigned cls) noexcept {
        std::uintptr_t head = listed_[cls].load(mo_relaxed);
        for (;;) {
            if (head == 0 || head == listed_closed) {
                return nullptr;
            }
            // acquire: the pushes' releases (later pushes continue the
            // release sequence of earlier ones).
            if (listed_[cls].compare_exchange_weak(head, 0, mo_acquire, mo_relaxed)) {
                return reinterpret_cast<pool_block*>(head);
            }
        }
    }

    void return_block(pool_block& b) noexcept {
        pool_frame* raw = static_cast<pool_frame*>(b.raw);
        const std::size_t raw_frames = b.raw_frames;
        frames_held_.fetch_sub(b.frames, mo_relaxed);
        blocks_held_.fetch_sub(1, mo_relaxed);
        if constexpr (!std::is_trivially_destructible_v<pool_link>) {
            // Under Relacy a link is a watched variable: end the free slots'.
            for (std::uintptr_t s = b.local_free.get(); s != 0;) {
                const std::uintptr_t next = read_link(s);
                reinterpret_cast<pool_link*>(s)->~pool_link();
                s = next;
            }
        }
        unpoison(&b, static_cast<std::size_t>(b.frames) * pool_frame_size);
        b.~pool_block();
        deallocate_frames(raw, raw_frames);
        unref();  // after the block is gone: the pool may be destroyed now
    }

    std::array<pool_class_spec, pool_class_count> specs_;
    atomic<std::size_t> refs_{1};  // the owner, plus one per block
    atomic<std::size_t> frames_held_{0};
    atomic<std::size_t> blocks_held_{0};
    atomic<bool> allocator_misaligns_{false};
    std::array<atomic<std::uintptr_t>, pool_class_count> listed_{};
    pool_heap_chunk first_chunk_;
};

// The allocator-aware pool. `Allocator` is any allocator; the pool rebinds
// it to frames, heap chunks and itself, and keeps one copy, which frees
// everything, including the pool, after the owner is gone.
template <class Allocator>
class node_pool final : public node_pool_base {
    using traits = std::allocator_traits<Allocator>;
    using frame_allocator = typename traits::template rebind_alloc<pool_frame>;
    using chunk_allocator = typename traits::template rebind_alloc<pool_heap_chunk>;
    using self_allocator = typename traits::template rebind_alloc<node_pool>;

public:
    static node_pool* create(const Allocator& a, const std::array<pool_class_spec, pool_class_count>& specs) {
        self_allocator sa(a);
        node_pool* p = std::allocator_traits<self_allocator>::allocate(sa, 1);
        try {
            return ::new (static_cast<void*>(p)) node_pool(a, specs);
        } catch (...) {
            std::allocator_traits<self_allocator>::deallocate(sa, p, 1);
            throw;
        }
    }

    Allocator get_allocator() const { return Allocator(frames_); }
    // The pool's allocator rebound to U: what the map allocates and
    // constructs with outside the blocks. Any thread, while it holds a
    // reference (the copy is never modified).
    template <class U>
    typename traits::template rebind_alloc<U> allocator_for() const {
        return typename traits::template rebind_alloc<U>(frames_);
    }

private:
    node_pool(const Allocator& a, const std::array<pool_class_spec, pool_class_count>& specs)
        : node_pool_base(specs), frames_(a) {}

    pool_frame* allocate_frames(std::size_t n) override {
        return std::allocator_traits<frame_allocator>::allocate(frames_, n);
    }
    void deallocate_frames(pool_frame* p, std::size_t n) noexcept override {
        std::allocator_traits<frame_allocator>::deallocate(frames_, p, n);
    }
    pool_heap_chunk* allocate_chunk() override {
        chunk_allocator ca(frames_);
        pool_heap_chunk* c = std::allocator_traits<chunk_allocator>::allocate(ca, 1);
        return ::new (static_cast<void*>(c)) pool_heap_chunk;
    }
    void deallocate_chunk(pool_heap_chunk* c) noexcept override {
        c->~pool_heap_chunk();
        chunk_allocator ca(frames_);
        std::allocator_traits<chunk_allocator>::deallocate(ca, c, 1);
    }
    void destroy_self() noexcept override {
        destroy_chunks();
        self_allocator sa(std::move(frames_));
        this->~node_pool();
        std::allocator_traits<self_allocator>::deallocate(sa, this, 1);
    }

    [[no_unique_address]] frame_allocator frames_;
};

}  // namespace detail
SINK_END_NAMESPACE
