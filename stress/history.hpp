// What the stress threads record: one op_record per map call (or per entry
// an iteration yielded), stamped with a logical clock at invocation and at
// response. The checkers work on these records only, never on the map.
//
// Values are identified by 64-bit ids that are unique in the run (thread
// and sequence number), so a key's history is a register with distinct
// writes plus "absent" (id 0), and a value read names the write it came from.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace sink_stress {

// Id 0: the key is absent (or an optional result was empty).
inline constexpr std::uint64_t absent = 0;

// A value id for the seq-th write of thread `thread`: never 0, unique per run.
inline constexpr std::uint64_t value_id(std::uint64_t thread, std::uint64_t seq) noexcept {
    return ((thread + 1) << 40) | (seq & ((std::uint64_t{1} << 40) - 1));
}
// An id that no write ever stores: an expected value that must not match.
inline constexpr std::uint64_t phantom_bit = std::uint64_t{1} << 63;

enum class op_kind : std::uint8_t {
    load,
    contains,
    find,
    store,
    load_or_store,
    exchange,
    compare_and_swap,
    erase,
    load_and_erase,
    compare_and_erase,
    update,        // arg: the value f returned; arg2: the value f was last called on
    insert_or_assign,  // arg: the value written; flag: inserted (the key was absent)
    erase_if,      // one key; arg2: the value pred was last called on (absent: never called)
    clear,         // one record; the checker gives it to every key
    erase_if_all,  // erase_if(pred) of the whole map: one record, given to every key
    iter_read,     // an entry an iteration yielded: a read inside the walk
    absent_claim,  // made by the checker: a full walk that skipped a stable key saw it absent
    erased_claim,  // made by the checker: a clear (flag: an erase_if(pred)) that no write to the key
                   // overlapped left it absent (or, for erase_if, holding a value pred rejects)
};

const char* name(op_kind k) noexcept;

// The predicate the stress calls give erase_if, on a value id: the same for
// every call, so that the checker knows which values it erases.
inline constexpr bool erase_if_holds(std::uint64_t value_id) noexcept { return (value_id & 1) == 0; }

struct op_record {
    std::uint64_t inv = 0;     // logical clock before the call
    std::uint64_t resp = 0;    // logical clock after it returned
    std::uint64_t key = 0;     // key id
    std::uint64_t arg = 0;     // value written; expected value; iteration id (iter_read)
    std::uint64_t arg2 = 0;    // desired value (compare_and_swap)
    std::uint64_t result = 0;  // value id returned (absent: 0)
    std::uint32_t thread = 0;
    op_kind kind = op_kind::load;
    bool flag = false;  // bool result: contains, cas, erase, compare_and_erase, load_or_store's "loaded"

    // Whether the call changed the key's state (known from its result).
    bool changed_state() const noexcept;
};

// A walk (range or iterators): its yields are op_records of kind iter_read.
struct iteration_record {
    std::uint64_t id = 0;
    std::uint64_t inv = 0;
    std::uint64_t resp = 0;
    std::uint32_t thread = 0;
    bool full = false;  // walked to the end (not stopped early)
};

// What one thread recorded in one phase.
struct thread_log {
    std::vector<op_record> ops;
    std::vector<iteration_record> iterations;
};

// The run's logical clock. Every stamp is a fetch_add on one counter, so
// stamps are unique and totally ordered. acq_rel: if op A's response stamp
// is below op B's invocation stamp, A's stamp RMW synchronizes with B's
// (B reads A's value or a later one in the RMW chain), so everything A did
// happens-before everything B does: "A precedes B" in the checker's sense
// is real happens-before, which is what the map promises to respect.
class logical_clock {
public:
    static std::uint64_t stamp() noexcept { return counter_.fetch_add(1, std::memory_order_acq_rel) + 1; }
    static std::uint64_t peek() noexcept { return counter_.load(std::memory_order_acquire); }

private:
    static inline std::atomic<std::uint64_t> counter_{0};
};

// "absent", or "w<thread>.<seq>" (the writer thread is t<thread> in reports).
std::string describe_value(std::uint64_t id);
// One line: "store(k, w2.17)", "load -> w0.3", ...
std::string describe_call(const op_record& r);

}  // namespace sink_stress
