// The hazard-pointer domain: records, retired lists, scans, thread exit.
// See include/sink/hazard_pointer.hpp for the memory-ordering argument and
// docs/hazard_pointers.md for the design.
#include "sink/hazard_pointer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#if !defined(SINK_ATOMICS_RELACY)
#include <pthread.h>

#include <mutex>
#include <vector>
#endif

// Asymmetric fences (hazard_pointer.hpp): Linux membarrier, except where a
// tool must see the fences (Relacy models them, ThreadSanitizer does not know
// membarrier) or the build turned them off.
// (SINK_DETAIL_TSAN: sink/detail/config.hpp.)
#if defined(__linux__) && !defined(SINK_ATOMICS_RELACY) && !defined(SINK_DETAIL_TSAN) && \
    !defined(SINK_NO_ASYMMETRIC_FENCES)
#define SINK_DETAIL_MEMBARRIER 1
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#endif

SINK_BEGIN_NAMESPACE

namespace detail {

#if defined(SINK_DETAIL_MEMBARRIER)
bool enable_asymmetric_fences() noexcept {
    // Private expedited: IPIs only the CPUs running this process's threads,
    // and needs the process to register first (once, here).
    const long commands = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (commands < 0 || (commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) {
        return false;
    }
    return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void process_wide_barrier() noexcept {
    // Our own unlink-before-scan order first (the barrier is about the other
    // threads), then every running thread of the process gets a full barrier.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        // Cannot happen once registered; if it did, readers would be running
        // without fences, so freeing anything would be unsafe.
        std::fputs("sink: membarrier failed after registration\n", stderr);
        std::abort();
    }
}
#elif defined(SINK_ATOMICS_RELACY)
bool enable_asymmetric_fences() noexcept { return false; }  // the model decides (hazard_pointer.hpp)
void process_wide_barrier() noexcept { process_wide_fence(); }
#else
bool enable_asymmetric_fences() noexcept { return false; }
void process_wide_barrier() noexcept { thread_fence(mo_seq_cst); }
#endif

hazard_record::hazard_record() {
    // Relaxed: the record becomes visible to other threads only through the
    // release CAS that links it into the domain.
    for (auto& slot : slots) {
        slot.store(free_slot_marker(), mo_relaxed);
    }
}

}  // namespace detail

using detail::hazard_record;
using detail::retired_object;

namespace {

// Scans that find more hazards than this compare the retired list against
// them in several passes, so that a scan never allocates.
constexpr std::size_t hazards_per_pass = 256;
// The lazy policy's scan threshold never drops below this, so that a lone
// thread does not scan every few retires.
constexpr std::size_t min_scan_threshold = 64;
// A thread gives back its further records once an acquisition leaves at
// least this many slots of its first record free (hysteresis: see
// acquire_slots).
constexpr std::size_t spill_release_room = 3;
// With asymmetric fences every scan starts with a process-wide barrier, which
// interrupts every other running thread of the process (an IPI; on a VM an
// exit to the hypervisor). Scanning every 64 retires halved the throughput of
// two threads that write (docs/performance.md, lever 3); this amortises it.
constexpr std::size_t min_scan_threshold_asymmetric = 1024;

using detail::reclaimer;
using detail::retired_batch;

// A batch's own reclaim function, which is also how a batch is told apart
// from other retired objects: frees every item, then the batch. Only the
// domain's destructor calls it (scans free items one by one).
void reclaim_batch(retired_object* object) noexcept;

bool is_batch(const retired_object* o) noexcept { return o->reclaim == &reclaim_batch; }
retired_batch* as_batch(retired_object* o) noexcept { return static_cast<retired_batch*>(o); }

// The reclaim function of every retired_range, which is also how a scan
// tells a range from an object kept only by its own address.
void reclaim_range(retired_object* object) noexcept {
    auto* range = static_cast<detail::retired_range*>(object);
    range->free_range(range);
}
bool is_range(const retired_object* o) noexcept { return o->reclaim == &reclaim_range; }

// How many retired objects `o` stands for.
std::size_t object_count(retired_object* o) noexcept { return is_batch(o) ? as_batch(o)->count : 1; }

// During a scan, an item found protected is marked by the low bit of its
// reclaimer's address (reclaimers hold a function pointer, so that bit is 0).
bool is_marked(const retired_batch::item& it) noexcept {
    return (reinterpret_cast<std::uintptr_t>(it.how) & 1) != 0;
}
void mark(retired_batch::item& it) noexcept {
    it.how = reinterpret_cast<const reclaimer*>(reinterpret_cast<std::uintptr_t>(it.how) | 1);
}
void unmark(retired_batch::item& it) noexcept {
    it.how = reinterpret_cast<const reclaimer*>(reinterpret_cast<std::uintptr_t>(it.how) & ~std::uintptr_t{1});
}
void reclaim_item(const retired_batch::item& it) noexcept { it.how->reclaim(*it.how, it.object); }

#if !defined(SINK_ATOMICS_RELACY)

// Live non-default domains. A thread's binding to a domain can outlive the
// domain; the thread looks the domain up here, under the lock, before it
// touches the domain's records again, and the domain's destructor removes
// itself under the same lock first. Used only when a binding is made,
// evicted or released at thread exit: never on an operation's path.
struct domain_registry {
    std::mutex mutex;
    std::vector<std::uint64_t> live;
    std::uint64_t next_id = 1;  // 0 is the default domain
};

domain_registry& registry() {
    // Never destroyed: thread exits may still consult it after main returns.
    static domain_registry* const instance = new domain_registry;
    return *instance;
}

// A thread's binding to its record in one non-default domain.
struct binding {
    hazard_pointer_domain* domain = nullptr;
    std::uint64_t domain_id = 0;
    hazard_record* record = nullptr;
};

constexpr std::size_t max_other_bindings = 4;

// Trivially destructible, so it stays usable during the whole thread exit,
// even after the exit hook below has run.
struct thread_bindings {
    hazard_record* default_record;
    binding others[max_other_bindings];
    std::size_t next_eviction;
    bool exit_hook_armed;
    bool exited;
    bool late_hook_armed;
};
constinit thread_local thread_bindings tls_bindings{};

struct thread_exit_hook {
    thread_exit_hook() noexcept {}  // NOLINT: non-trivial on purpose, see arm_exit_hook
    ~thread_exit_hook();
};
thread_local thread_exit_hook tls_exit_hook;

void release_all_bindings(thread_bindings& b) noexcept;

// The late hook: for bindings made after the exit hook ran (a destructor of
// another thread_local, constructed before this thread's first binding, that
// uses a map). A pthread key's destructor runs after every C++ thread_local
// destructor of the thread, and again (up to PTHREAD_DESTRUCTOR_ITERATIONS
// times) if a key destructor binds anew, so such records are released too
// instead of staying bound to a thread that is gone.
void on_late_thread_exit(void*) noexcept {
    thread_bindings& b = tls_bindings;
    b.late_hook_armed = false;
    release_all_bindings(b);
}

// The key, made once per process; 0 if pthread_key_create failed (then a late
// binding stays bound, as it did before the late hook existed).
struct late_exit_key {
    pthread_key_t key{};
    bool valid = false;
    late_exit_key() noexcept { valid = pthread_key_create(&key, &on_late_thread_exit) == 0; }
};
const late_exit_key& late_key() noexcept {
    static const late_exit_key k;  // never deleted: threads may exit until the process ends
    return k;
}

// Touching the hook constructs it in this thread and registers its destructor
// to run at thread exit; after it ran, the late hook takes over.
void arm_exit_hook() noexcept {
    thread_bindings& b = tls_bindings;
    if (!b.exit_hook_armed && !b.exited) {
        b.exit_hook_armed = true;
        [[maybe_unused]] thread_exit_hook* hook = &tls_exit_hook;
    } else if (b.exited && !b.late_hook_armed) {
        const late_exit_key& k = late_key();
        // Any non-null value: the destructor runs only for non-null values.
        if (k.valid && pthread_setspecific(k.key, &b) == 0) {
            b.late_hook_armed = true;
        }
    }
}

#else  // Relacy

hazard_pointer_domain* model_default_domain = nullptr;

#endif

}  // namespace

// ---------------------------------------------------------------------------
// Batches: arrays of objects retired without a header.

namespace {

// Nothrow: a thread that cannot get a batch unlinks nothing (reserve_headerless).
retired_batch* new_batch() noexcept {
#if defined(SINK_ATOMICS_RELACY)
    void* memory = detail::allocate_bytes(sizeof(retired_batch), alignof(retired_batch));
#else
    void* memory = ::operator new(sizeof(retired_batch), std::nothrow);
#endif
    if (memory == nullptr) {
        return nullptr;
    }
    retired_batch* b = std::construct_at(static_cast<retired_batch*>(memory));
    b->reclaim = &reclaim_batch;
    return b;
}

void free_batch(retired_batch* batch) noexcept {
    std::destroy_at(batch);
#if defined(SINK_ATOMICS_RELACY)
    detail::deallocate_bytes(batch, sizeof(retired_batch), alignof(retired_batch));
#else
    ::operator delete(batch);
#endif
}

void reclaim_batch(retired_object* object) noexcept {
    retired_batch* b = as_batch(object);
    for (std::size_t i = 0; i < b->count; ++i) {
        reclaim_item(b->items[i]);
    }
    free_batch(b);
}

void free_batches(retired_object* list) noexcept {
    while (list != nullptr) {
        retired_object* next = list->next_retired;
        free_batch(as_batch(list));
        list = next;
    }
}

}  // namespace

// ---------------------------------------------------------------------------
// taken_list: a retired list held privately by one thread.

void hazard_pointer_domain::taken_list::append(taken_list other) noexcept {
    if (other.head == nullptr) {
        return;
    }
    if (head == nullptr) {
        *this = other;
        return;
    }
    tail->next_retired = other.head;
    tail = other.tail;
    size += other.size;
}

hazard_pointer_domain::taken_list hazard_pointer_domain::take(
    detail::atomic<retired_object*>& stack) noexcept {
    // Relaxed peek: skip the read-modify-write when there is nothing to take.
    if (stack.load(detail::mo_relaxed) == nullptr) {
        return {};
    }
    // Acquire: pairs with the release CAS of every push before it (a chain of
    // CASes is one release sequence), so the unlink of each object we take
    // happens-before our reclaimer fence, and its next_retired is visible.
    retired_object* head = stack.exchange(nullptr, detail::mo_acquire);
    taken_list list;
    list.head = head;
    for (retired_object* o = head; o != nullptr; o = o->next_retired) {
        list.tail = o;
        list.size += object_count(o);
    }
    return list;
}

void hazard_pointer_domain::push(detail::atomic<retired_object*>& stack, taken_list list) noexcept {
    if (list.head == nullptr) {
        return;
    }
    retired_object* head = stack.load(detail::mo_relaxed);
    do {
        list.tail->next_retired = head;
        // Release: publishes next_retired and everything the retiring thread
        // did before (the unlink above all) to the acquire take() that gets it.
    } while (!stack.compare_exchange_weak(head, list.head, detail::mo_release, detail::mo_relaxed));
}

// ---------------------------------------------------------------------------
// Construction, the default domain, thread bindings.

hazard_pointer_domain::hazard_pointer_domain(reclamation_policy policy)
    : policy_(static_cast<int>(policy)), id_(0) {
#if !defined(SINK_ATOMICS_RELACY)
    domain_registry& r = registry();
    std::lock_guard lock(r.mutex);
    id_ = r.next_id++;
    r.live.push_back(id_);
#endif
}

hazard_pointer_domain::hazard_pointer_domain(default_tag, reclamation_policy policy)
    : policy_(static_cast<int>(policy)), id_(0) {}

hazard_pointer_domain::~hazard_pointer_domain() {
#if !defined(SINK_ATOMICS_RELACY)
    if (id_ != 0) {
        domain_registry& r = registry();
        std::lock_guard lock(r.mutex);
        r.live.erase(std::find(r.live.begin(), r.live.end(), id_));
    }
#endif
    // No thread uses the domain any more (precondition), so every retired
    // object can be freed, protected or not, and then every record.
    taken_list all;
    for (hazard_record* r = records_.load(detail::mo_acquire); r != nullptr; r = r->next) {
        all.append(take(r->retired));
        all.append(take_current_batch(r));
        if (r->spare != nullptr) {
            free_batch(std::exchange(r->spare, nullptr));
        }
    }
    all.append(take(orphans_));
    for (retired_object* o = all.head; o != nullptr;) {
        retired_object* next = o->next_retired;
        o->reclaim(o);
        o = next;
    }
    for (hazard_record* r = records_.load(detail::mo_acquire); r != nullptr;) {
        hazard_record* next = r->next;
        for ([[maybe_unused]] auto& slot : r->slots) {
            assert(slot.load(detail::mo_relaxed) == detail::free_slot_marker() &&
                   "hazard_pointer_domain destroyed while a hazard_pointer of it is alive");
        }
        std::destroy_at(r);
        detail::deallocate_bytes(r, sizeof(hazard_record), alignof(hazard_record));
        r = next;
    }
}

hazard_pointer_domain& hazard_pointer_default_domain() noexcept {
#if defined(SINK_ATOMICS_RELACY)
    assert(model_default_domain != nullptr && "the Relacy model must name a default domain");
    return *model_default_domain;
#else
    // Never destroyed: threads that exit after main returns, and static
    // destructors, may still retire into it.
    static hazard_pointer_domain* const domain = new hazard_pointer_domain(
        hazard_pointer_domain::default_tag{},
        SINK_HAZARD_POINTER_EAGER ? reclamation_policy::eager : reclamation_policy::lazy);
    return *domain;
#endif
}

reclamation_policy hazard_pointer_domain::policy() const noexcept {
    return static_cast<reclamation_policy>(policy_.load(detail::mo_relaxed));
}

void hazard_pointer_domain::set_policy(reclamation_policy policy) noexcept {
    // Relaxed: the policy only decides when scans happen, never whether an
    // object may be freed.
    policy_.store(static_cast<int>(policy), detail::mo_relaxed);
}

hazard_record* hazard_pointer_domain::acquire_record() {
    // Decide the fence form before this thread gets its first slot, so its
    // publishes take the reader's fast form from the start (hazard_pointer.hpp).
    (void)detail::asymmetric_fences();
    for (hazard_record* r = records_.load(detail::mo_acquire); r != nullptr; r = r->next) {
        if (r->in_use.load(detail::mo_relaxed)) {
            continue;
        }
        bool expected = false;
        // Acquire: pairs with the release store of the previous owner's
        // release_record_chain, so its writes to the record happen-before ours.
        if (r->in_use.compare_exchange_strong(expected, true, detail::mo_acquire, detail::mo_relaxed)) {
            return r;
        }
    }
    void* memory = detail::allocate_bytes(sizeof(hazard_record), alignof(hazard_record));
    hazard_record* r = std::construct_at(static_cast<hazard_record*>(memory));
    r->domain = this;
    hazard_record* head = records_.load(detail::mo_relaxed);
    do {
        r->next = head;
        // Release: a thread that finds the record through records_ sees its
        // initialised slots and `next`.
    } while (!records_.compare_exchange_weak(head, r, detail::mo_release, detail::mo_relaxed));
    // Relaxed: the count only sizes the scan threshold and the stats; scans
    // walk the list itself.
    record_count_.fetch_add(1, detail::mo_relaxed);
    return r;
}

void hazard_pointer_domain::release_record_chain(hazard_record* first) noexcept {
    // Hand over the thread's retired objects: free what is unprotected now,
    // and leave the rest (at most H objects) with the domain.
    taken_list all;
    for (hazard_record* r = first; r != nullptr; r = r->next_of_owner) {
        all.append(take(r->retired));
        all.append(take_current_batch(r));
        if (r->spare != nullptr) {
            free_batch(std::exchange(r->spare, nullptr));
        }
    }
    all.append(take_orphans());
    const std::size_t taken = all.size;
    taken_list survivors = reclaim_unprotected(all);
    count_reclaimed(first, taken - survivors.size);
    push_orphans(survivors);
    // The reclaims above ran user code, which may have retired through this
    // thread's records again (a value's destructor that erases from another
    // map): hand those objects over too, so that drain() reaches them.
    for (hazard_record* r = first; r != nullptr; r = r->next_of_owner) {
        taken_list late = take(r->retired);
        late.append(take_current_batch(r));
        if (r->spare != nullptr) {
            free_batch(std::exchange(r->spare, nullptr));
        }
        push_orphans(late);
    }
    for (hazard_record* r = first; r != nullptr;) {
        hazard_record* next = r->next_of_owner;
        r->pending = 0;
        r->next_of_owner = nullptr;
        // Release: pairs with the acquire CAS of the record's next owner.
        // Slots still owned by hazard pointers that were moved to another
        // thread stay owned; the next owner skips them until they are freed.
        r->in_use.store(false, detail::mo_release);
        r = next;
    }
}

#if !defined(SINK_ATOMICS_RELACY)

namespace {

// Lets go of a binding to a non-default domain, if that domain still lives.
void release_binding(binding& b) noexcept {
    if (b.record != nullptr) {
        domain_registry& r = registry();
        std::lock_guard lock(r.mutex);
        if (std::find(r.live.begin(), r.live.end(), b.domain_id) != r.live.end()) {
            detail::hazard_domain_access::release_chain(*b.domain, b.record);
        }
    }
    b = binding{};
}

thread_exit_hook::~thread_exit_hook() {
    thread_bindings& b = tls_bindings;
    b.exited = true;
    release_all_bindings(b);
}

// The inline hint the map's walks read (detail::this_thread_default_record)
// is a cache of the binding: set when the binding is used, cleared when the
// record it names is released. It may be shared with other copies of this
// library in the process (thread-local variables of several shared objects
// can be merged into one while their functions stay apart, e.g. under
// -Bsymbolic-functions): each copy follows the same two rules, so the hint
// is always null or a record bound to this thread, and a reader checks that
// the record belongs to its own domain (hazard_record::domain).
void publish_default_hint(hazard_record* r) noexcept { detail::this_thread_default_record = r; }
void clear_default_hint(hazard_record* released) noexcept {
    if (detail::this_thread_default_record == released) {
        detail::this_thread_default_record = nullptr;
    }
}

void release_all_bindings(thread_bindings& b) noexcept {
    if (b.default_record != nullptr) {
        clear_default_hint(b.default_record);
        detail::hazard_domain_access::release_chain(hazard_pointer_default_domain(), b.default_record);
        b.default_record = nullptr;
    }
    for (binding& other : b.others) {
        release_binding(other);
    }
}

}  // namespace

hazard_record* hazard_pointer_domain::current_thread_record(bool create) noexcept {
    thread_bindings& b = tls_bindings;
    if (id_ == 0) {
        if (b.default_record != nullptr || !create) {
            if (b.default_record != nullptr) {
                publish_default_hint(b.default_record);
            }
            return b.default_record;
        }
        try {
            b.default_record = acquire_record();
        } catch (const std::bad_alloc&) {
            return nullptr;
        }
        // After the exit hook has run (another thread_local's destructor using
        // a map), the late hook releases the record.
        arm_exit_hook();
        publish_default_hint(b.default_record);
        return b.default_record;
    }
    for (binding& other : b.others) {
        if (other.domain == this && other.domain_id == id_) {
            return other.record;
        }
    }
    if (!create) {
        return nullptr;
    }
    hazard_record* record = nullptr;
    try {
        record = acquire_record();
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
    binding* free_binding = nullptr;
    for (binding& other : b.others) {
        if (other.record == nullptr) {
            free_binding = &other;
            break;
        }
    }
    if (free_binding == nullptr) {
        // All binding places taken: let go of one (its domain gets the
        // retired objects, as at thread exit) and reuse its place.
        free_binding = &b.others[b.next_eviction];
        b.next_eviction = (b.next_eviction + 1) % max_other_bindings;
        release_binding(*free_binding);
    }
    *free_binding = binding{this, id_, record};
    arm_exit_hook();
    return record;
}

void detail::hazard_domain_access::release_current_thread(hazard_pointer_domain& domain) noexcept {
    thread_bindings& b = tls_bindings;
    if (domain.id_ == 0) {
        if (b.default_record != nullptr) {
            clear_default_hint(b.default_record);
            domain.release_record_chain(b.default_record);
            b.default_record = nullptr;
        }
        return;
    }
    for (binding& other : b.others) {
        if (other.domain == &domain && other.domain_id == domain.id_) {
            domain.release_record_chain(other.record);
            other = binding{};
        }
    }
}

std::vector<const void*> detail::hazard_domain_access::published(const hazard_pointer_domain& domain) {
    std::vector<const void*> out;
    for (hazard_record* r = domain.records_.load(detail::mo_acquire); r != nullptr; r = r->next) {
        for (const auto& slot : r->slots) {
            const void* p = slot.load(detail::mo_acquire);
            if (p != nullptr && p != detail::free_slot_marker()) {
                out.push_back(p);
            }
        }
    }
    return out;
}

#else  // Relacy: bindings live in the domain, by simulated thread index.

hazard_record* hazard_pointer_domain::current_thread_record(bool create) noexcept {
    const unsigned index = detail::current_thread_index();
    assert(index < max_model_threads);
    hazard_record*& record = model_thread_records_[index];
    if (record == nullptr && create) {
        record = acquire_record();
    }
    return record;
}

void detail::hazard_domain_access::release_current_thread(hazard_pointer_domain& domain) noexcept {
    hazard_record*& record = domain.model_thread_records_[detail::current_thread_index()];
    if (record != nullptr) {
        domain.release_record_chain(record);
        record = nullptr;
    }
}

void detail::hazard_domain_access::set_model_default_domain(hazard_pointer_domain* domain) noexcept {
    model_default_domain = domain;
}

#endif

void detail::hazard_domain_access::release_chain(hazard_pointer_domain& domain, hazard_record* first) noexcept {
    domain.release_record_chain(first);
}

void detail::hazard_domain_access::retire_range(hazard_pointer_domain& domain, retired_range* range) noexcept {
    assert(range->bytes != 0 && range->free_range != nullptr);
    range->reclaim = &reclaim_range;
    domain.retire(range);
}

// ---------------------------------------------------------------------------
// Hazard pointers.

void hazard_pointer_domain::acquire_slots(detail::atomic<const void*>** out, std::size_t n) {
    // One lookup of the thread's record and one scan for all n: a map
    // operation needs five slots, and five separate acquisitions were half
    // the instructions of a lookup (docs/performance.md, lever 2).
    hazard_record* const first = current_thread_record(true);
    if (first == nullptr) {
        throw std::bad_alloc();
    }
    hazard_record* r = first;
    std::size_t taken = 0;
    try {
        for (;; r = r->next_of_owner) {
            std::size_t free_left = 0;
            for (std::size_t i = 0; i < detail::slots_per_record; ++i) {  // the general slots
                detail::atomic<const void*>& slot = r->slots[i];
                // Relaxed: only the record's owner (this thread) turns a free
                // slot into a taken one, and the slot guards no data but itself.
                if (slot.load(detail::mo_relaxed) == detail::free_slot_marker()) {
                    if (taken == n) {
                        ++free_left;
                        continue;
                    }
                    slot.store(nullptr, detail::mo_relaxed);
                    out[taken++] = &slot;
                }
            }
            if (taken == n) {
                // Served by the first record alone, with room to spare: the
                // thread's further records (made while it held more) go back.
                // The room keeps a thread that holds a few hazard pointers
                // across calls from giving a record back and taking one
                // again on every call.
                if (r == first && free_left >= spill_release_room && first->next_of_owner != nullptr) {
                    release_spilled_records(first);
                }
                return;
            }
            if (r->next_of_owner == nullptr) {
                r->next_of_owner = acquire_record();  // may throw; the chain is unchanged then
            }
        }
    } catch (...) {
        // All or nothing: hand back what we took (nothing protected yet).
        for (std::size_t i = 0; i < taken; ++i) {
            out[i]->store(detail::free_slot_marker(), detail::mo_relaxed);
        }
        throw;
    }
}

void hazard_pointer_domain::release_spilled_records(hazard_record* first) noexcept {
    // A thread that once held more hazard pointers than one record has
    // slots for keeps the further records only while it needs them: one
    // whose slots are all free again is given back for any thread to reuse,
    // so records stay bounded by the slots in use at once, not by a
    // thread's peak. Runs no user code (no scan): a further record normally
    // holds no retired objects (retire uses the first), and any it holds go
    // to the orphans as they are.
    hazard_record* prev = first;
    for (hazard_record* r = first->next_of_owner; r != nullptr;) {
        hazard_record* next = r->next_of_owner;
        bool all_free = true;
        for (auto& slot : r->slots) {
            // Relaxed: a free slot is only ever taken by the record's owner
            // (this thread), so what we read cannot change to taken meanwhile.
            if (slot.load(detail::mo_relaxed) != detail::free_slot_marker()) {
                all_free = false;
                break;
            }
        }
        if (all_free) {
            prev->next_of_owner = next;
            r->next_of_owner = nullptr;
            taken_list left = take(r->retired);
            left.append(take_current_batch(r));
            push_orphans(left);
            if (r->spare != nullptr) {
                free_batch(std::exchange(r->spare, nullptr));
            }
            r->pending = 0;
            // Release: pairs with the acquire CAS of the record's next owner.
            r->in_use.store(false, detail::mo_release);
        } else {
            prev = r;
        }
        r = next;
    }
}

void hazard_pointer_domain::acquire_cursor_slots(detail::atomic<const void*>** out) {
    acquire_first_cursor_slots(out, detail::cursor_slots_per_record);
}

void hazard_pointer_domain::acquire_lookup_slots(detail::atomic<const void*>** out) {
    acquire_first_cursor_slots(out, 2);
}

void hazard_pointer_domain::acquire_first_cursor_slots(detail::atomic<const void*>** out, std::size_t n) {
    // The thread's first record, if it has no further ones (else the general
    // path, which also gives back those it no longer needs).
    hazard_record* const r = current_thread_record(true);
    if (r != nullptr && r->next_of_owner == nullptr && !detail::fault::cursor_slots_unchecked) {
        detail::atomic<const void*>* const cursor = r->cursor_slots();
        // Relaxed, as in acquire_slots: only this thread (the record's owner)
        // turns a free slot into a taken one; a slot given back by another
        // thread (an iterator destroyed there) guards no data but itself.
        bool all_free = true;
        for (std::size_t i = 0; i < n; ++i) {
            all_free &= cursor[i].load(detail::mo_relaxed) == detail::free_slot_marker();
        }
        if (all_free) {
            for (std::size_t i = 0; i < n; ++i) {
                cursor[i].store(nullptr, detail::mo_relaxed);
                out[i] = &cursor[i];
            }
            return;
        }
    } else if (r != nullptr && detail::fault::cursor_slots_unchecked) {
        // The fault: takes the cursor slots whatever owns them.
        for (std::size_t i = 0; i < n; ++i) {
            r->cursor_slots()[i].store(nullptr, detail::mo_relaxed);
            out[i] = &r->cursor_slots()[i];
        }
        return;
    }
    acquire_slots(out, n);
}

detail::atomic<const void*>* hazard_pointer_domain::acquire_slot() {
    detail::atomic<const void*>* slot = nullptr;
    acquire_slots(&slot, 1);
    return slot;
}

hazard_pointer make_hazard_pointer(hazard_pointer_domain& domain) {
    return hazard_pointer(domain.acquire_slot());
}

// ---------------------------------------------------------------------------
// Retire and reclaim.

std::size_t hazard_pointer_domain::scan_threshold() const noexcept {
    if (policy() == reclamation_policy::eager) {
        return 1;
    }
    const std::size_t hazards = record_count_.load(detail::mo_relaxed) * detail::all_slots_per_record;
    return std::max(2 * hazards, detail::asymmetric_fences() ? min_scan_threshold_asymmetric : min_scan_threshold);
}

void hazard_pointer_domain::retire(retired_object* object) noexcept {
    hazard_record* owner = current_thread_record(true);
    if (owner == nullptr) {
        retire_unowned(object);
        return;
    }
    // Counted before the push (release store), so that whoever frees the
    // object counts it as reclaimed only after it was counted as retired:
    // stats() never sees more reclaimed than retired.
    owner->retired_total.store(owner->retired_total.load(detail::mo_relaxed) + 1, detail::mo_release);
    object->next_retired = nullptr;
    push(owner->retired, taken_list{object, object, 1});
    if (++owner->pending >= scan_threshold() && !detail::fault::never_scan) {
        scan(owner);
    }
}

void hazard_pointer_domain::retire_unowned(retired_object* object) noexcept {
    unowned_retired_.fetch_add(1, detail::mo_release);
    object->next_retired = nullptr;
    push_orphans(taken_list{object, object, 1});
    if (orphan_count_.load(detail::mo_relaxed) >= scan_threshold()) {
        taken_list orphans = take_orphans();
        const std::size_t taken = orphans.size;
        taken_list survivors = reclaim_unprotected(orphans);
        count_reclaimed(nullptr, taken - survivors.size);
        push_orphans(survivors);
    }
}

void hazard_pointer_domain::scan(hazard_record* owner) noexcept {
    taken_list list = take(owner->retired);
    list.append(take_current_batch(owner));
    list.append(take_orphans());
    const std::size_t taken = list.size;
    retired_object* empties = nullptr;
    taken_list survivors = reclaim_unprotected(list, empties);
    count_reclaimed(owner, taken - survivors.size);
    owner->pending = survivors.size;
    push(owner->retired, survivors);
    // Keep one emptied batch for the next refill, free the others. Decided
    // only now: the reclaims above ran user code, which may have retired
    // (and so taken the spare) meanwhile, or even let go of this record
    // (evicting the thread's binding to the domain): then the record may be
    // another thread's already, and its owner-only fields are not ours.
    if (empties != nullptr && owner->spare == nullptr && current_thread_record(false) == owner) {
        owner->spare = as_batch(empties);
        empties = std::exchange(empties->next_retired, nullptr);
    }
    free_batches(empties);
}

// ---------------------------------------------------------------------------
// Objects retired without a header.

hazard_pointer_domain::taken_list hazard_pointer_domain::take_current_batch(hazard_record* owner) noexcept {
    // Owner-only (or the domain's destructor): no other thread touches it.
    retired_batch* b = std::exchange(owner->current, nullptr);
    if (b == nullptr) {
        return {};
    }
    if (b->count == 0) {
        if (owner->spare == nullptr) {
            owner->spare = b;
        } else {
            free_batch(b);
        }
        return {};
    }
    b->next_retired = nullptr;
    return taken_list{b, b, b->count};
}

std::size_t hazard_pointer_domain::reserve_headerless(hazard_record*& owner) noexcept {
    owner = current_thread_record(true);
    if (owner == nullptr) {
        return 0;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        retired_batch* b = owner->current;
        if (b != nullptr && b->count == retired_batch::capacity) {
            // Full: it joins the thread's retired stack, where drains and
            // scans of any thread can take it (release, as every push).
            owner->current = nullptr;
            b->next_retired = nullptr;
            push(owner->retired, taken_list{b, b, b->count});
            b = nullptr;
        }
        if (b == nullptr) {
            b = std::exchange(owner->spare, nullptr);
            if (b == nullptr) {
                b = new_batch();
            }
            owner->current = b;
        }
        if (b != nullptr) {
            return retired_batch::capacity - b->count;
        }
        if (attempt == 0) {
            // No memory for a batch: a scan may empty one of ours. Its
            // reclaims run user code, which may retire (filling `current`
            // again, hence the second look) or let go of the record.
            scan(owner);
            if (current_thread_record(false) != owner) {
                return 0;
            }
        }
    }
    return 0;
}

void hazard_pointer_domain::retire_headerless(hazard_record* owner, void* object, const reclaimer& how) noexcept {
    retired_batch* b = owner->current;
    assert(b != nullptr && b->count < retired_batch::capacity && "retire_headerless without reserved room");
    // Counted before the object can be freed, as in retire().
    owner->retired_total.store(owner->retired_total.load(detail::mo_relaxed) + 1, detail::mo_release);
    b->items[b->count++] = retired_batch::item{object, &how};
    ++owner->pending;
}

void hazard_pointer_domain::end_headerless(hazard_record* owner) noexcept {
    if (owner->pending >= scan_threshold() && !detail::fault::never_scan) {
        scan(owner);
    }
}

std::size_t hazard_pointer_domain::drain() noexcept {
    taken_list all;
    for (hazard_record* r = records_.load(detail::mo_acquire); r != nullptr; r = r->next) {
        all.append(take(r->retired));
    }
    // The caller's own current batches too; other threads' current batches
    // are theirs alone until they fill, scan or exit.
    for (hazard_record* r = current_thread_record(false); r != nullptr; r = r->next_of_owner) {
        all.append(take_current_batch(r));
    }
    all.append(take_orphans());
    const std::size_t taken = all.size;
    taken_list survivors = reclaim_unprotected(all);
    const std::size_t freed = taken - survivors.size;
    count_reclaimed(current_thread_record(false), freed);
    push_orphans(survivors);
    return freed;
}

hazard_pointer_domain::taken_list hazard_pointer_domain::take_orphans() noexcept {
    taken_list list = take(orphans_);
    if (list.size != 0) {
        // Relaxed: the count only triggers scans. Decremented after the take
        // and incremented before the push, so it never drops below the number
        // of objects on the stack.
        orphan_count_.fetch_sub(list.size, detail::mo_relaxed);
    }
    return list;
}

void hazard_pointer_domain::push_orphans(taken_list list) noexcept {
    if (list.size == 0) {
        return;
    }
    orphan_count_.fetch_add(list.size, detail::mo_relaxed);
    push(orphans_, list);
}

void hazard_pointer_domain::count_reclaimed(hazard_record* owner, std::size_t n) noexcept {
    if (n == 0) {
        return;
    }
    // Release: pairs with the acquire loads of stats(), which read the
    // reclaimed counters before the retired ones; see retire().
    if (owner != nullptr) {
        owner->reclaimed_total.store(owner->reclaimed_total.load(detail::mo_relaxed) + n, detail::mo_release);
    } else {
        unowned_reclaimed_.fetch_add(n, detail::mo_release);
    }
}

hazard_pointer_domain::taken_list hazard_pointer_domain::reclaim_unprotected(taken_list list) noexcept {
    retired_object* empties = nullptr;
    taken_list survivors = reclaim_unprotected(list, empties);
    free_batches(empties);
    return survivors;
}

hazard_pointer_domain::taken_list hazard_pointer_domain::reclaim_unprotected(taken_list list,
                                                                             retired_object*& empties) noexcept {
    if (list.head == nullptr) {
        return {};
    }
    // Pairs with the reader fence of every hazard_pointer publish: after it,
    // a slot read below shows every pointer that a reader validated before the
    // unlink of the objects in `list` (see hazard_pointer.hpp).
    detail::reclaimer_fence();

    // Objects with a header not found protected yet, and every batch.
    taken_list unprotected = list;
    taken_list survivors;
    const void* hazards[hazards_per_pass];
    std::size_t count = 0;

    // Moves every object of `unprotected` that is in hazards[0, count) to
    // `survivors`, and marks every batch item that is.
    auto keep_protected = [&]() noexcept {
        // Compared as integers: a total order on unrelated pointers, and the
        // range test below adds a size to an address without pointer
        // arithmetic past the header object.
        auto before = [](const void* a, const void* b) noexcept {
            return reinterpret_cast<std::uintptr_t>(a) < reinterpret_cast<std::uintptr_t>(b);
        };
        std::sort(hazards, hazards + count, before);
        auto is_hazard = [&](const void* p) noexcept {
            return std::binary_search(hazards, hazards + count, p, before);
        };
        // A range is kept by the first published address at or above its
        // start if that address is below its end.
        auto covers_hazard = [&](const detail::retired_range* r) noexcept {
            if (detail::fault::scan_exact_only) {
                return is_hazard(r);
            }
            const void* const* first = std::lower_bound(hazards, hazards + count, r, before);
            return first != hazards + count &&
                   reinterpret_cast<std::uintptr_t>(*first) - reinterpret_cast<std::uintptr_t>(r) < r->bytes;
        };
        taken_list rest;
        for (retired_object* o = unprotected.head; o != nullptr;) {
            retired_object* next = o->next_retired;
            o->next_retired = nullptr;
            if (is_batch(o)) {
                retired_batch* b = as_batch(o);
                for (std::size_t i = 0; i < b->count; ++i) {
                    if (!detail::fault::batch_ignores_hazards && is_hazard(b->items[i].object)) {
                        mark(b->items[i]);
                    }
                }
                rest.append(taken_list{o, o, b->count});
            } else {
                const bool kept = is_range(o) ? covers_hazard(static_cast<const detail::retired_range*>(o))
                                              : is_hazard(static_cast<const void*>(o));
                taken_list& to = kept ? survivors : rest;
                to.append(taken_list{o, o, 1});
            }
            o = next;
        }
        unprotected = rest;
        count = 0;
    };

    for (hazard_record* r = records_.load(detail::mo_acquire); r != nullptr; r = r->next) {
        for (auto& slot : r->slots) {
            // Acquire: if the slot no longer shows an object, everything its
            // reader did with the object happens-before we free it.
            const void* p = slot.load(detail::mo_acquire);
            if (p == nullptr || p == detail::free_slot_marker() || detail::fault::ignore_hazards) {
                continue;
            }
            hazards[count++] = p;
            if (count == hazards_per_pass) {
                keep_protected();
            }
        }
    }
    if (count != 0) {
        keep_protected();
    }

    // Free the unprotected objects with a header, and set the batches aside.
    taken_list batches;
    for (retired_object* o = unprotected.head; o != nullptr;) {
        retired_object* next = o->next_retired;
        if (is_batch(o)) {
            o->next_retired = nullptr;
            batches.append(taken_list{o, o, as_batch(o)->count});
        } else {
            o->reclaim(o);
        }
        o = next;
    }

    // Free the unmarked items and pack the marked ones, in order, to the
    // front of the batches: the write position never passes the read
    // position, so no item is overwritten before it is read. Counts are set
    // afterwards (a batch's count is read before anything is written to it).
    retired_object* fill = batches.head;
    std::size_t filled = 0;
    for (retired_object* o = batches.head; o != nullptr; o = o->next_retired) {
        retired_batch* b = as_batch(o);
        const std::size_t n = b->count;
        for (std::size_t i = 0; i < n; ++i) {
            retired_batch::item it = b->items[i];
            if (!is_marked(it)) {
                reclaim_item(it);
                continue;
            }
            unmark(it);
            if (filled == retired_batch::capacity) {
                fill = fill->next_retired;
                filled = 0;
            }
            as_batch(fill)->items[filled++] = it;
        }
    }
    for (retired_object* o = batches.head; o != nullptr;) {
        retired_object* next = o->next_retired;
        o->next_retired = nullptr;
        retired_batch* b = as_batch(o);
        if (fill == nullptr || filled == 0) {
            b->count = 0;  // nothing survived in this one, or in those after the last filled
        } else if (o == fill) {
            b->count = filled;
            fill = nullptr;  // every later batch is empty
        } else {
            b->count = retired_batch::capacity;
        }
        if (b->count == 0) {
            o->next_retired = empties;
            empties = o;
        } else {
            survivors.append(taken_list{o, o, b->count});
        }
        o = next;
    }
    return survivors;
}

// ---------------------------------------------------------------------------
// Stats.

hazard_pointer_stats hazard_pointer_domain::stats() const noexcept {
    hazard_pointer_stats s;
    // Reclaimed first, then retired, all acquire (see count_reclaimed): the
    // retired total read afterwards covers every object counted as reclaimed.
    std::uint64_t reclaimed = unowned_reclaimed_.load(detail::mo_acquire);
    for (hazard_record* r = records_.load(detail::mo_acquire); r != nullptr; r = r->next) {
        reclaimed += r->reclaimed_total.load(detail::mo_acquire);
    }
    std::uint64_t retired = unowned_retired_.load(detail::mo_acquire);
    for (hazard_record* r = records_.load(detail::mo_acquire); r != nullptr; r = r->next) {
        retired += r->retired_total.load(detail::mo_acquire);
    }
    s.retired = retired;
    s.reclaimed = reclaimed;
    s.backlog = retired >= reclaimed ? retired - reclaimed : 0;
    s.records = record_count_.load(detail::mo_relaxed);
    s.slots = s.records * detail::all_slots_per_record;
    s.scan_threshold = scan_threshold();
    // Plus what each thread's current batch can hold beyond the threshold:
    // a scan is due after R retires, but comes only after the last retire
    // of the cut that crossed R, at most one batch later.
    s.backlog_bound = (2 * s.records + 1) * std::max(s.scan_threshold, s.slots + 1) +
                      s.records * detail::retired_batch::capacity;
    s.asymmetric_fences = detail::asymmetric_fences();
    return s;
}

SINK_END_NAMESPACE
