/// \file
/// Hazard pointers (Michael 2004), shaped after the C++26 interface: the
/// reclamation that sink::concurrent_map uses, usable on its own. The
/// comment at the top of this header gives the garbage bound and the
/// memory-ordering argument; docs/hazard_pointers.md the rest.

// Hazard pointers (Michael 2004), shaped after the C++26 interface
// (std::hazard_pointer, make_hazard_pointer, protect, try_protect,
// reset_protection, hazard_pointer_obj_base<T, D>::retire), plus the few
// things a lock-free list walk needs beyond it.
//
// Built on sink's atomics seam, so the same code runs under Relacy.
//
// Usage
// -----
//   struct node : sink::hazard_pointer_obj_base<node> { ... };
//   sink::detail::atomic<node*> head;
//
//   sink::hazard_pointer hp = sink::make_hazard_pointer();
//   node* n = hp.protect(head);      // n stays valid until hp is reset/destroyed
//   ...
//   // unlink n so that no thread can newly reach it, then:
//   n->retire();                     // freed once no hazard pointer protects it
//
// No registration: a thread gets its hazard record the first time it makes a
// hazard pointer or retires an object, and when the thread exits the record
// is released and the thread's retired objects are handed to the domain.
//
// Progress
// --------
//   try_protect, reset_protection, swap, empty, moves   wait-free
//   protect                                             lock-free (retries
//                                                       only while the source
//                                                       keeps changing)
//   make_hazard_pointer   lock-free, except that the first call of a thread
//                         (or one that needs more than slots_per_record slots)
//                         may allocate a record; it then throws bad_alloc if
//                         the allocation fails
//   retire                lock-free and never throws; it allocates only for
//                         the first retire of a thread that has no record
//                         yet (and if that fails, hands the object to the
//                         domain instead); every scan_threshold retires of a
//                         thread it scans, which costs
//                         O(records * slots + retired backlog)
//   drain, stats          lock-free, O(records * slots + backlog)
//
// Garbage bound
// -------------
// With H = records * all_slots_per_record hazard slots (8 general and 5 kept
// for the map's cursors per record) and R = scan_threshold
// (max(2H, F) with the lazy policy, F = 1,024 with asymmetric fences and 64
// without; 1 with the eager one), every thread
// scans its retired list after R retires, and a scan leaves at most H
// survivors, so at all times
//     retired-but-not-reclaimed <= (2 * records + 1) * max(R, H + 1)
//                                   + records * retired_batch::capacity,
// which stats().backlog_bound reports (the last term: objects retired
// without a header, detail::headerless_retirer, are scanned only once the
// unlink that retired them is complete, at most one batch past R). records grows with the number of
// threads that use the domain at the same time (O(threads)), so the bound is
// O(threads^2 * slots), as in Michael's scheme.
//
// Memory ordering
// ---------------
// The reader publishes a pointer with a release store into its slot and then
// issues the *reader fence* (seq_cst) before it re-reads the source. The
// reclaimer, after the object was unlinked (the unlink happens-before the
// retire, which happens-before the scan through the retired list's
// release/acquire), issues the *reclaimer fence* (seq_cst) before it reads the
// slots with acquire loads. In the single total order of seq_cst fences one
// fence comes first: if the reader's, the reclaimer sees the published
// pointer and keeps the object; if the reclaimer's, the reader's re-read sees
// the unlink and the reader does not use the object. Resetting a slot is a
// release store, so everything the reader did with the object happens-before
// the reclaimer's acquire load that finds the slot changed, and therefore
// before the object is freed.
// The two fences are detail::reader_fence() and detail::reclaimer_fence().
// Where the kernel offers it (Linux membarrier, private expedited), they are
// asymmetric: the reader's fence is a compiler-only fence, and the reclaimer's
// is a process-wide barrier that makes every running thread of the process
// execute a full memory barrier (a thread that is not running passed one at
// its context switch). The argument above holds unchanged: whichever of the
// reader's publish and the barrier comes first, the barrier orders the
// reader's store before its re-read as the reader's own fence did. Readers
// publish on every step of every walk, and reclaimers scan once per many
// retires, so the cost moves to the rare side (docs/performance.md, lever 3).
// The library decides once per process (detail::asymmetric_fences()); Relacy
// builds, ThreadSanitizer builds, other systems and SINK_ASYMMETRIC_FENCES=OFF
// keep the symmetric seq_cst fences, which those tools can check.
#pragma once

#include <array>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "sink/detail/atomic.hpp"
#include "sink/detail/fault.hpp"
#include "sink/detail/hazard_record.hpp"

SINK_BEGIN_NAMESPACE

class hazard_pointer;
class hazard_pointer_domain;

namespace detail {

// Registers the process for process-wide barriers; true if they are
// available and the library was built to use them. Called once, through
// asymmetric_fences().
bool enable_asymmetric_fences() noexcept;
// The process-wide barrier (membarrier); only called when enabled.
void process_wide_barrier() noexcept;

// The readers' copy of the decision below: 0 until it is made, then 1
// (symmetric) or 2 (asymmetric), and never changed again. Not a model-checked
// variable: Relacy builds decide at compile time.
inline std::atomic<unsigned char> reader_fence_mode{0};

// Whether this process uses asymmetric fences. Decided once: a function-local
// static is initialised exactly once and every thread sees the initialised
// value. Reclaimers always ask here. Readers read reader_fence_mode instead
// (one load, where the static costs a guard check on every publish; lever 7
// of docs/performance.md): a reader that reads 0 uses the seq_cst fence,
// which is safe whatever reclaimers do, and one that reads 2 knows this
// function returns true to every reclaimer from then on. So no reader uses the
// compiler-only fence while a reclaimer uses the symmetric one. The domain
// decides when it makes a thread's first record, before any slot is handed
// out, so readers take the fast form from their first publish.
// Under Relacy a build chooses: symmetric by default, and with
// SINK_RELACY_ASYMMETRIC_FENCES the asymmetric form, the barrier modelled by
// rl::systemwide_fence (tests/relacy, the *_asymmetric scenarios).
inline bool asymmetric_fences() noexcept {
#if defined(SINK_ATOMICS_RELACY)
#if defined(SINK_RELACY_ASYMMETRIC_FENCES)
    return true;
#else
    return false;
#endif
#else
    static const bool enabled = [] {
        const bool e = enable_asymmetric_fences();
        // Relaxed: readers need no order with anything else (see above).
        reader_fence_mode.store(e ? 2 : 1, std::memory_order_relaxed);
        return e;
    }();
    return enabled;
#endif
}

// Whether a reader may use the compiler-only fence: only once the decision is
// known to be asymmetric.
inline bool reader_fence_is_compiler_only() noexcept {
#if defined(SINK_ATOMICS_RELACY)
    return asymmetric_fences();
#else
    return reader_fence_mode.load(std::memory_order_relaxed) == 2;
#endif
}

// Orders the reader's publish (a store to its slot) before its validating
// re-read of the source. Pairs with reclaimer_fence(); see the header comment.
// Asymmetric: only the compiler must keep the order; the reclaimer's barrier
// makes the hardware keep it.
inline void reader_fence() noexcept {
    if constexpr (!fault::no_reader_fence) {
        if (reader_fence_is_compiler_only()) {
            compiler_fence(mo_seq_cst);
        } else {
            thread_fence(mo_seq_cst);
        }
    }
}

// Orders the unlink of every object in the list being scanned before the
// reclaimer's reads of the hazard slots. Pairs with reader_fence().
inline void reclaimer_fence() noexcept {
    if constexpr (!fault::no_reclaimer_fence) {
        if (asymmetric_fences()) {
            process_wide_barrier();
        } else {
            thread_fence(mo_seq_cst);
        }
    }
}

struct hazard_domain_access;
class headerless_retirer;

}  // namespace detail

/// How eagerly a domain frees retired objects.
enum class reclamation_policy {
    lazy,   ///< scan a thread's retired list every max(2H, F) retires (fast;
            ///< F = 1,024 with asymmetric fences, 64 without)
    eager,  ///< scan on every retire: frees as early as possible, for
            ///< sanitizer and model-checking builds
};

/// A snapshot of a domain's counters. Exact when no thread is retiring,
/// scanning or draining at the time; otherwise each field is a recent value.
struct hazard_pointer_stats {
    std::uint64_t retired = 0;        ///< objects ever retired to the domain
    std::uint64_t reclaimed = 0;      ///< objects ever freed by the domain
    std::uint64_t backlog = 0;        ///< retired - reclaimed: waiting to be freed
    std::size_t records = 0;          ///< hazard records created (about: threads)
    std::size_t slots = 0;            ///< H = records * 13 (8 general, 5 for the map's walks)
    std::size_t scan_threshold = 0;   ///< R: retires between two scans of a thread
    std::size_t backlog_bound = 0;    ///< (2 * records + 1) * max(R, H + 1) + records * 126
    bool asymmetric_fences = false;   ///< readers fence for the compiler only; scans use membarrier
};

/// A set of hazard records and retired objects. Most programs only use the
/// default domain; separate domains keep tests and model-checking runs apart.
///
/// A thread binds to a record of a domain the first time it makes a hazard
/// pointer or retires there. A thread keeps bindings to up to four
/// non-default domains at once; binding to a fifth lets go of the oldest
/// binding under a process-wide mutex (the registry of live domains), which
/// is the only blocking step on any thread's path besides constructing and
/// destroying a non-default domain.
class hazard_pointer_domain {
public:
    /// A domain with no records and nothing retired. Blocking (registers the
    /// domain under a process-wide mutex); throws std::bad_alloc or
    /// std::system_error.
    explicit hazard_pointer_domain(reclamation_policy policy = reclamation_policy::lazy);

    /// Frees every object still retired to the domain and all records.
    /// Requires that no thread uses the domain any more: no hazard_pointer made
    /// from it is alive and no thread is retiring into it. Threads that used it
    /// and still run need not do anything. Blocking (the registry mutex).
    ~hazard_pointer_domain();

    /// Not copyable: hazard pointers and retired objects refer to it by address.
    hazard_pointer_domain(const hazard_pointer_domain&) = delete;
    /// Not copyable.
    hazard_pointer_domain& operator=(const hazard_pointer_domain&) = delete;

    /// Frees every retired object that no hazard pointer protects, taking the
    /// retired lists of all threads, not only the caller's. Objects that a
    /// concurrent scan of another thread holds at that moment are freed by that
    /// scan instead, and the map's nodes that another running thread retired
    /// since its last scan (at most 126 per thread, in its private batch) by
    /// that thread's next scan or its exit. Returns the number freed. Lock-free; never allocates;
    /// nothrow (deleters must not throw). Ordering: as a scan (the reclaimer
    /// fence; see the header comment): an object is freed only after every
    /// use of it under a hazard pointer happened-before the end of that
    /// protection.
    std::size_t drain() noexcept;

    /// The domain's counters. Lock-free, O(records * slots + backlog); nothrow.
    hazard_pointer_stats stats() const noexcept;

    /// The current policy. Wait-free; nothrow.
    reclamation_policy policy() const noexcept;
    /// Changes the policy for later retires (relaxed: it only decides when
    /// scans happen, never whether an object may be freed). Wait-free; nothrow.
    void set_policy(reclamation_policy policy) noexcept;

private:
    friend class hazard_pointer;
    friend struct detail::hazard_domain_access;
    friend class detail::headerless_retirer;
    template <class, class>
    friend class hazard_pointer_obj_base;
    friend hazard_pointer make_hazard_pointer(hazard_pointer_domain& domain);
    template <std::size_t N>
    friend std::array<hazard_pointer, N> make_hazard_pointers(hazard_pointer_domain& domain);
    friend hazard_pointer_domain& hazard_pointer_default_domain() noexcept;

    // The default domain: id 0, not in the registry of live domains.
    struct default_tag {};
    hazard_pointer_domain(default_tag, reclamation_policy policy);

    struct taken_list {
        detail::retired_object* head = nullptr;
        detail::retired_object* tail = nullptr;
        std::size_t size = 0;
        void append(taken_list other) noexcept;
    };

    // Owns one slot of the calling thread's record(s); throws bad_alloc.
    detail::atomic<const void*>* acquire_slot();
    // Owns n slots at once, or none if it throws bad_alloc.
    void acquire_slots(detail::atomic<const void*>** out, std::size_t n);
    // Owns cursor_slots_per_record slots: the calling thread's cursor slots
    // if all are free, else general ones (as acquire_slots).
    void acquire_cursor_slots(detail::atomic<const void*>** out);
    // Two slots: the first two cursor slots if free, else general ones.
    void acquire_lookup_slots(detail::atomic<const void*>** out);
    // The two above: the first n cursor slots if all n are free, else n
    // general ones.
    void acquire_first_cursor_slots(detail::atomic<const void*>** out, std::size_t n);
    void retire(detail::retired_object* object) noexcept;
    // Objects without a header (detail::headerless_retirer): room in the
    // calling thread's current batch (0 if it has no record and none can be
    // made, or no batch can be allocated); then append; then scan if due.
    std::size_t reserve_headerless(detail::hazard_record*& owner) noexcept;
    static void retire_headerless(detail::hazard_record* owner, void* object,
                                  const detail::reclaimer& how) noexcept;
    void end_headerless(detail::hazard_record* owner) noexcept;
    static taken_list take_current_batch(detail::hazard_record* owner) noexcept;

    detail::hazard_record* acquire_record();
    detail::hazard_record* current_thread_record(bool create) noexcept;
    void release_record_chain(detail::hazard_record* first) noexcept;
    void release_spilled_records(detail::hazard_record* first) noexcept;

    std::size_t scan_threshold() const noexcept;
    void scan(detail::hazard_record* owner) noexcept;
    void retire_unowned(detail::retired_object* object) noexcept;
    taken_list take_orphans() noexcept;
    void push_orphans(taken_list list) noexcept;
    static taken_list take(detail::atomic<detail::retired_object*>& stack) noexcept;
    static void push(detail::atomic<detail::retired_object*>& stack, taken_list list) noexcept;
    // Frees every object of `list` that no hazard slot shows, items of
    // batches included, and returns the rest. Batches that it empties are
    // linked into `empties` (through next_retired) for the caller to keep
    // or free.
    taken_list reclaim_unprotected(taken_list list, detail::retired_object*& empties) noexcept;
    taken_list reclaim_unprotected(taken_list list) noexcept;
    void count_reclaimed(detail::hazard_record* owner, std::size_t n) noexcept;

    // All records ever created, newest first; a record is never unlinked
    // before the domain is destroyed, so a reclaimer can walk the list freely.
    detail::atomic<detail::hazard_record*> records_{nullptr};
    detail::atomic<std::size_t> record_count_{0};
    // Retired objects that belong to no thread: handed over at thread exit,
    // survivors of drains, and retires of a thread that has no record.
    detail::atomic<detail::retired_object*> orphans_{nullptr};
    detail::atomic<std::size_t> orphan_count_{0};
    // Counters of work done by threads without a record (read-modify-write:
    // several such threads may count at once).
    detail::atomic<std::uint64_t> unowned_retired_{0};
    detail::atomic<std::uint64_t> unowned_reclaimed_{0};
    detail::atomic<int> policy_;
    // Tells a domain apart from an earlier one at the same address in the
    // per-thread binding cache.
    std::uint64_t id_;
#if defined(SINK_ATOMICS_RELACY)
    // Under Relacy the simulated threads share one OS thread, so the binding
    // of a thread to its record lives here, by simulated thread index.
    static constexpr unsigned max_model_threads = 16;
    detail::hazard_record* model_thread_records_[max_model_threads] = {};
#endif
};

/// The atomic type that hazard_pointer::protect() reads: std::atomic<T>, or
/// boost::atomic<T> when sink is built with SINK_ATOMICS=boost.
template <class T>
using atomic = detail::atomic<T>;

/// The process-wide domain used when none is named. It is never destroyed, so
/// objects may be retired to it even from static destructors. Nothrow;
/// wait-free after the first call of the process (which allocates it).
hazard_pointer_domain& hazard_pointer_default_domain() noexcept;

/// A single hazard pointer (C++26 std::hazard_pointer): owns one hazard slot
/// of the thread that made it. Movable, not copyable. Any thread may use,
/// move and destroy it. Every member is wait-free and nothrow, except
/// protect(), which is lock-free.
class hazard_pointer {
public:
    /// An empty hazard pointer: owns no slot, protects nothing.
    hazard_pointer() noexcept = default;

    /// Takes over `other`'s slot and protection; `other` becomes empty.
    hazard_pointer(hazard_pointer&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    /// Gives this hazard pointer's slot back (ending its protection, a
    /// release store) and takes over `other`'s.
    hazard_pointer& operator=(hazard_pointer&& other) noexcept {
        if (this != &other) {
            release();
            slot_ = std::exchange(other.slot_, nullptr);
        }
        return *this;
    }
    /// Gives the slot back, ending any protection (a release store).
    ~hazard_pointer() { release(); }

    /// Whether it owns no slot (default-constructed or moved from).
    [[nodiscard]] bool empty() const noexcept { return slot_ == nullptr; }

    /// Returns the value of `src` at a moment when it pointed at the returned
    /// object and that object was protected. Lock-free (retries only while
    /// `src` keeps changing). Ordering: `src` is re-read with acquire, so the
    /// object's initialisation before the store that published it
    /// happens-before the caller's reads. Requires a non-empty hazard pointer.
    template <class T>
    T* protect(const detail::atomic<T*>& src) noexcept {
        T* ptr = src.load(detail::mo_relaxed);
        while (!try_protect(ptr, src)) {
        }
        return ptr;
    }

    /// Protects `ptr` if `src` still holds it after the publish; otherwise
    /// clears the protection, stores the newer value in `ptr`, returns false.
    /// Wait-free. Ordering: as protect().
    template <class T>
    bool try_protect(T*& ptr, const detail::atomic<T*>& src) noexcept {
        return try_protect(ptr, src, [](T* p) noexcept { return p; });
    }

    /// The same for a source that holds something other than a plain pointer
    /// (a pointer with tag bits, say): `to_pointer(value)` is the object to
    /// protect. Returns the value read, like protect above.
    template <class V, class ToPointer>
    V protect(const detail::atomic<V>& src, ToPointer to_pointer) noexcept {
        V value = src.load(detail::mo_relaxed);
        while (!try_protect(value, src, to_pointer)) {
        }
        return value;
    }

    /// try_protect() for such a source: `to_pointer(value)` is the object to protect.
    template <class V, class ToPointer>
    bool try_protect(V& value, const detail::atomic<V>& src, ToPointer to_pointer) noexcept {
        const V seen = value;
        reset_protection(to_pointer(seen));
        // Acquire: the object we are about to read was initialised before the
        // release store or CAS that made `src` point at it.
        value = src.load(detail::mo_acquire);
        if (value == seen || detail::fault::skip_validation) {
            value = seen;
            return true;
        }
        reset_protection();
        return false;
    }

    /// Publishes `ptr` (replacing any earlier protection) and orders the
    /// publish before every later load of this thread (the reader fence).
    /// By itself this does not make `ptr` safe: it is protected once the caller
    /// has re-read, AFTER this call, a location that proves `ptr` was still
    /// reachable (try_protect re-reads its source). This is what a list walk
    /// needs when the proof is not the pointer's own source, for example the
    /// `next` of the last live node before a run of frozen nodes. Wait-free.
    /// Ordering: a release store, then a seq_cst fence.
    template <class T>
    void reset_protection(const T* ptr) noexcept {
        assert(slot_ != nullptr && "reset_protection on an empty hazard_pointer");
        if (ptr == nullptr) {
            reset_protection();
            return;
        }
        publish(ptr);
    }

    /// Ends protection. Wait-free. Release, for the same reason as above; no
    /// fence: a reclaimer that still sees the old value only keeps an object
    /// longer.
    void reset_protection(std::nullptr_t = nullptr) noexcept {
        assert(slot_ != nullptr && "reset_protection on an empty hazard_pointer");
        slot_->store(nullptr, detail::mo_release);
    }

    /// Exchanges slots (and so protections) with `other`.
    void swap(hazard_pointer& other) noexcept { std::swap(slot_, other.slot_); }

private:
    friend hazard_pointer make_hazard_pointer(hazard_pointer_domain& domain);
    template <std::size_t N>
    friend std::array<hazard_pointer, N> make_hazard_pointers(hazard_pointer_domain& domain);
    friend struct detail::hazard_domain_access;
    explicit hazard_pointer(detail::atomic<const void*>* slot) noexcept : slot_(slot) {}

    void publish(const void* ptr) noexcept {
        // Release: what this thread did with the previously protected object
        // happens-before a reclaimer's acquire read of the slot that no longer
        // shows it. The reader fence then orders the publish before the
        // caller's validating load (pairs with the reclaimer fence).
        slot_->store(ptr, detail::mo_release);
        detail::reader_fence();
    }

    void release() noexcept {
        if (slot_ != nullptr) {
            // Release: as reset_protection(). Also hands the slot back to the
            // record's owner, which reuses it after seeing the marker.
            slot_->store(detail::free_slot_marker(), detail::mo_release);
            slot_ = nullptr;
        }
    }

    detail::atomic<const void*>* slot_ = nullptr;
};

/// a.swap(b).
inline void swap(hazard_pointer& a, hazard_pointer& b) noexcept { a.swap(b); }

/// A hazard pointer owning a slot of the calling thread's record in `domain`.
/// Lock-free, except that the thread's first call for a domain (or one that
/// needs more than eight slots at once) may allocate a record, and binding
/// to a fifth non-default domain takes the registry mutex (see
/// hazard_pointer_domain). Throws std::bad_alloc if a new record is needed
/// and cannot be allocated; then nothing changed.
[[nodiscard]] hazard_pointer make_hazard_pointer(
    hazard_pointer_domain& domain = hazard_pointer_default_domain());

/// N hazard pointers at once, like folly's hazptr_array: one lookup of the
/// thread's record and one scan for free slots instead of N (a sink
/// extension; C++26 has only make_hazard_pointer).
/// Progress: lock-free (wait-free unless a new record is needed).
/// Exceptions: all or nothing; throws std::bad_alloc, owning no slot, if a
/// new record is needed and cannot be allocated.
/// \tparam N how many
/// \param domain the domain whose records the slots come from
template <std::size_t N>
[[nodiscard]] std::array<hazard_pointer, N> make_hazard_pointers(hazard_pointer_domain& domain) {
    detail::atomic<const void*>* slots[N];
    domain.acquire_slots(slots, N);
    return [&slots]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<hazard_pointer, N>{hazard_pointer(slots[I])...};
    }(std::make_index_sequence<N>{});
}
/// make_hazard_pointers<N>(hazard_pointer_default_domain()).
template <std::size_t N>
[[nodiscard]] std::array<hazard_pointer, N> make_hazard_pointers() {
    return make_hazard_pointers<N>(hazard_pointer_default_domain());
}

/// Base class of objects that can be retired (C++26
/// std::hazard_pointer_obj_base). D is called as D()(T*) once the object is
/// unprotected; it must be default-constructible and nothrow-movable, must
/// not throw, and must not depend on anything that may be gone by then (for
/// example a container that was destroyed meanwhile).
/// \tparam T the derived class (CRTP)
/// \tparam D the deleter
template <class T, class D = std::default_delete<T>>
class hazard_pointer_obj_base : private detail::retired_object {
public:
    /// Hands the object to `domain`, which calls `deleter` on it once no
    /// hazard pointer protects it. Precondition: the object is no longer
    /// reachable by any thread that does not already protect it, and it was
    /// not retired before. Lock-free; nothrow (it allocates only for a
    /// thread's first retire, and if that fails hands the object to the
    /// domain instead). Every scan_threshold retires of a thread it scans,
    /// running the deleters of the objects it frees. Ordering: the retire
    /// happens-before the scan that frees the object.
    void retire(D deleter = D(), hazard_pointer_domain& domain = hazard_pointer_default_domain()) noexcept {
        static_assert(std::is_base_of_v<hazard_pointer_obj_base, T>, "T must derive from hazard_pointer_obj_base<T, D>");
        static_assert(std::is_nothrow_move_constructible_v<D>, "the deleter must be nothrow-movable");
        deleter_ = std::move(deleter);
        this->reclaim = &reclaim_object;
        domain.retire(this);
    }

protected:
    /// A not-yet-retired object.
    hazard_pointer_obj_base() = default;
    /// A copy is a new object: it is not retired, whatever the original is.
    hazard_pointer_obj_base(const hazard_pointer_obj_base&) noexcept : detail::retired_object() {}
    /// Assignment leaves the retirement state of both objects alone.
    hazard_pointer_obj_base& operator=(const hazard_pointer_obj_base&) noexcept { return *this; }
    /// Protected: objects are destroyed through D, never through this base.
    ~hazard_pointer_obj_base() = default;

private:
    friend class hazard_pointer_domain;

    static void reclaim_object(detail::retired_object* object) noexcept {
        auto* self = static_cast<hazard_pointer_obj_base*>(object);
        D deleter = std::move(self->deleter_);
        deleter(static_cast<T*>(self));
    }

    [[no_unique_address]] D deleter_{};
};

namespace detail {

// Test and model-checking hooks; not for users.
struct hazard_domain_access {
    // Lets the calling thread go of its record(s) in `domain`, exactly as
    // thread exit does (its retired objects are handed to the domain).
    static void release_current_thread(hazard_pointer_domain& domain) noexcept;
    // Lets go of a record chain (thread exit, eviction of a binding).
    static void release_chain(hazard_pointer_domain& domain, hazard_record* first) noexcept;
    // The slots of one map walk's hazard pointers (map_cursor), each owned
    // at once by one of the cursor's walk_slots (walk_slot.hpp). Two ways:
    // try_take_cursor_slots, inline, gives the calling thread's five cursor
    // slots when they are all free (no scan for free slots: docs/performance.md,
    // lever 8), else nullptr; acquire_cursor_slots, out of line, serves the
    // rest (other domains, a thread whose hint is not set yet): the cursor
    // slots when all are free, else general slots as make_hazard_pointers
    // gives them. A slot may leave the cursor as an ordinary hazard_pointer
    // (an iterator or a handle keeps the slot its walk found the entry with)
    // and be given back from any thread; the cursor slots are taken again
    // only once all five are free.
    SINK_DETAIL_ALWAYS_INLINE static atomic<const void*>* try_take_cursor_slots(hazard_pointer_domain& domain) noexcept {
        static_assert(cursor_slots_per_record == 5);
#if !defined(SINK_ATOMICS_RELACY)
        // The default domain's record from the thread_local hint, which is
        // null or a record bound to this thread: ours if it belongs to
        // `domain` (hazard_record.hpp). Other domains take the general path.
        hazard_record* const r = this_thread_default_record;
        if (r == nullptr || r->domain != &domain || r->next_of_owner != nullptr) {
            return nullptr;
        }
        atomic<const void*>* const c = r->cursor_slots();
        // Relaxed, as in acquire_slots: only this thread (the record's owner)
        // turns a free slot into a taken one; a slot given back by another
        // thread (an iterator destroyed there) guards nothing of ours. Five
        // loads and one branch: a slot is free iff it XORs to zero with the
        // marker.
        const auto f = reinterpret_cast<std::uintptr_t>(free_slot_marker());
        const auto taken = [c, f](int i) noexcept { return reinterpret_cast<std::uintptr_t>(c[i].load(mo_relaxed)) ^ f; };
        if (!fault::cursor_slots_unchecked && (taken(0) | taken(1) | taken(2) | taken(3) | taken(4)) != 0) {
            return nullptr;
        }
        c[0].store(nullptr, mo_relaxed);
        c[1].store(nullptr, mo_relaxed);
        c[2].store(nullptr, mo_relaxed);
        c[3].store(nullptr, mo_relaxed);
        c[4].store(nullptr, mo_relaxed);
        return c;
#else
        (void)domain;
        return nullptr;
#endif
    }
    // The two slots of a lookup (map_lookup_cursor): the first two of the
    // thread's cursor slots when both are free, else nullptr (then
    // acquire_lookup_slots). A lookup needs two where a write needs five
    // (docs/performance.md, lever 16). Ownership is per slot: a slot is
    // taken by storing nullptr over the free marker, which only this thread
    // does, and given back by storing the marker; so a lookup's two and a
    // handle or iterator that kept another cursor slot never share one, and
    // a cursor (all five) is not served from the cursor slots while a
    // lookup holds two of them.
    SINK_DETAIL_ALWAYS_INLINE static atomic<const void*>* try_take_lookup_slots(hazard_pointer_domain& domain) noexcept {
#if !defined(SINK_ATOMICS_RELACY)
        hazard_record* const r = this_thread_default_record;
        if (r == nullptr || r->domain != &domain || r->next_of_owner != nullptr) {
            return nullptr;
        }
        atomic<const void*>* const c = r->cursor_slots();
        // Relaxed, as in try_take_cursor_slots. (Written out as that one is:
        // one template with loops over N cost W2 about 20 instructions a
        // call, measured with callgrind.)
        const auto f = reinterpret_cast<std::uintptr_t>(free_slot_marker());
        const auto taken = [c, f](int i) noexcept { return reinterpret_cast<std::uintptr_t>(c[i].load(mo_relaxed)) ^ f; };
        if (!fault::cursor_slots_unchecked && (taken(0) | taken(1)) != 0) {
            return nullptr;
        }
        c[0].store(nullptr, mo_relaxed);
        c[1].store(nullptr, mo_relaxed);
        return c;
#else
        (void)domain;
        return nullptr;
#endif
    }
    // Two slots into `out`: the first two cursor slots when both are free,
    // else general ones. Throws std::bad_alloc as make_hazard_pointers,
    // owning nothing then.
    static void acquire_lookup_slots(hazard_pointer_domain& domain, atomic<const void*>** out) {
        domain.acquire_lookup_slots(out);
    }
    // cursor_slots_per_record slots into `out`: the thread's cursor slots when
    // all are free, else general ones. Throws std::bad_alloc as
    // make_hazard_pointers, owning nothing then.
    static void acquire_cursor_slots(hazard_pointer_domain& domain, atomic<const void*>** out) {
        domain.acquire_cursor_slots(out);
    }
    // Makes the empty `hp` own `slot` (a slot a walk_slot gives up).
    static void adopt_into(hazard_pointer& hp, atomic<const void*>* slot) noexcept {
        assert(hp.slot_ == nullptr);
        hp.slot_ = slot;
    }
    // Exchanges the slot `hp` owns with `slot` (a walk_slot's).
    static void exchange_slot(hazard_pointer& hp, atomic<const void*>*& slot) noexcept { std::swap(hp.slot_, slot); }
    // Retires `range` (its `bytes` and `free_range` set) to `domain`: freed
    // by a scan that finds no published address inside it. As
    // hazard_pointer_obj_base::retire otherwise (lock-free, nothrow; the
    // retire happens-before the scan that frees it).
    static void retire_range(hazard_pointer_domain& domain, retired_range* range) noexcept;
#if !defined(SINK_ATOMICS_RELACY)
    // Every address some hazard slot of `domain` publishes now (a debug
    // check: a map's destructor asserts that none of its entries is among
    // them). Allocates; a snapshot, exact only when nothing runs.
    static std::vector<const void*> published(const hazard_pointer_domain& domain);
#else
    // Under Relacy there is no process-wide default domain (Relacy atomics
    // exist only inside a test run): the model names one for each run.
    static void set_model_default_domain(hazard_pointer_domain* domain) noexcept;
#endif
};

// Retires objects that carry no header of their own (the map's list nodes):
// each becomes an item (address, reclaimer) of the calling thread's current
// batch. Room is reserved first, before the unlink that makes the objects
// garbage, because after the unlink nothing may fail: an unlinked object
// must be retired. Usage:
//     headerless_retirer r(domain);          // reserves room (nothrow)
//     ... unlink at most r.room() objects (room() == 0: do not unlink) ...
//     r.retire(object, how);                 // once per unlinked object
//     // the destructor scans if the thread's retires made a scan due
// The retire happens-before the scan that frees the object, as for
// hazard_pointer_obj_base::retire.
class headerless_retirer {
public:
    explicit headerless_retirer(hazard_pointer_domain& domain) noexcept
        : domain_(domain), room_(domain.reserve_headerless(owner_)) {}
    headerless_retirer(const headerless_retirer&) = delete;
    headerless_retirer& operator=(const headerless_retirer&) = delete;
    ~headerless_retirer() {
        if (retired_ != 0) {
            domain_.end_headerless(owner_);
        }
    }

    // How many objects may still be retired through this retirer.
    std::size_t room() const noexcept { return room_ - retired_; }

    void retire(void* object, const reclaimer& how) noexcept {
        // A named check under the model checker (a cut past its room is one
        // of the fault builds), an assert elsewhere.
#if defined(SINK_ATOMICS_RELACY)
        RL_ASSERT(retired_ < room_);
#else
        assert(retired_ < room_ && "headerless_retirer: more retires than reserved room");
#endif
        hazard_pointer_domain::retire_headerless(owner_, object, how);
        ++retired_;
    }

private:
    hazard_pointer_domain& domain_;
    hazard_record* owner_ = nullptr;
    std::size_t room_;
    std::size_t retired_ = 0;
};

}  // namespace detail

SINK_END_NAMESPACE
