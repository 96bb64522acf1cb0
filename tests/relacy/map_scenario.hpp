// What every Relacy scenario of the map shares: a value type whose reads and
// writes Relacy checks, a hash that puts each key where the scenario wants it
// in the list, a fixture that builds a tiny map on a model-checked domain,
// and a small linearizability checker for the operations the threads ran.
//
// The map is the shipped header compiled against Relacy's atomics
// (SINK_ATOMICS_RELACY); every node, table and hazard-pointer record is
// allocated through Relacy, so a read of freed memory, a leak or a double
// free is a Relacy report, and so is a data race on a value.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "sink/concurrent_map.hpp"

namespace sink_relacy {

namespace d = sink::detail;

#if defined(SINK_RELACY_VALUES_IN_PLACE)
// A value the map keeps in place (in the word of its entry's cell, replaced
// by the double-width CAS): a plain word, so that the scenarios check that
// CAS and its retries. (What an rl::var would check, the value's
// publication, is the cell's atomic itself here.)
class value {
public:
    explicit value(int v) : v_(v) {}
    int get() const { return static_cast<int>(v_); }
    friend bool operator==(const value&, const value&) = default;

private:
    std::int64_t v_;
};
static_assert(d::value_fits_in_place<value>, "the in-place variants must keep values in place");
#else
// A mapped value held in an rl::var: Relacy reports a read of it that is not
// ordered after its construction (a missing release/acquire) as a data race,
// and a read after its node was freed as an access to freed memory.
class value {
public:
    explicit value(int v) : v_(v) {}
    value(const value& other) : v_(other.get()) {}
    value& operator=(const value& other) {
        v_.set(other.get());
        return *this;
    }
    int get() const { return v_.get(); }
    friend bool operator==(const value& a, const value& b) { return a.get() == b.get(); }

private:
    d::var<int> v_;
};
#endif

// ---- placing keys ----------------------------------------------------------

// The inverse of detail::mix64, so that a hash can choose the order a key gets.
constexpr std::uint64_t inverse_multiplier(std::uint64_t c) {
    std::uint64_t x = c;  // Newton's iteration doubles the correct low bits
    for (int i = 0; i < 6; ++i) {
        x *= 2 - c * x;
    }
    return x;
}
constexpr std::uint64_t unmix64(std::uint64_t h) {
    h ^= h >> 33;
    h *= inverse_multiplier(0xc4ceb9fe1a85ec53ULL);
    h ^= h >> 33;
    h *= inverse_multiplier(0xff51afd7ed558ccdULL);
    h ^= h >> 33;
    return h;
}
static_assert(d::mix64(unmix64(0x0123456789abcdefULL)) == 0x0123456789abcdefULL);

inline constexpr std::uint64_t map_seed = 1;

// Key k (0..255) gets the order (k << 56) | 1: its top byte is k, so with a
// table of width w it lies in section k >> (8 - w), and keys are listed in
// numeric order. Keys 256 and up collide with key k % 256 (same order), to
// build groups of equal orders.
struct placed_hash {
    std::size_t operator()(int key) const noexcept {
        const std::uint64_t top = static_cast<std::uint64_t>(key) & 0xff;
        return static_cast<std::size_t>(unmix64(top << 56) - map_seed);
    }
};

// Memory from Relacy's heap through the allocator interface (not aligned
// beyond what Relacy's malloc gives: a pool aligns its blocks itself).
template <class T>
struct model_allocator {
    using value_type = T;
    model_allocator() = default;
    template <class U>
    model_allocator(const model_allocator<U>&) noexcept {}  // NOLINT: converting, as allocators are
    T* allocate(std::size_t n) { return static_cast<T*>(d::allocate_bytes(n * sizeof(T), alignof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { d::deallocate_bytes(p, n * sizeof(T), alignof(T)); }
    template <class U>
    bool operator==(const model_allocator<U>&) const noexcept {
        return true;
    }
};

#if SINK_NODE_POOL
// Built with SINK_NODE_POOL=1 (the `pool` variants): the nodes come from the
// map's pool, whose blocks come from Relacy's heap through model_allocator,
// so a block never returned is a leak Relacy reports.
using map_type =
    sink::concurrent_map<int, value, placed_hash, std::equal_to<int>, model_allocator<std::pair<const int, value>>>;
static_assert(d::map_types<int, value, model_allocator<std::pair<const int, value>>>::uses_node_pool,
              "the pool variants must run on the pool");
#else
using map_type = sink::concurrent_map<int, value, placed_hash>;
#endif

// Knobs for a tiny map that grows, shrinks and compacts at once.
inline sink::concurrent_map_options tiny_options(sink::hazard_pointer_domain& domain) {
    sink::concurrent_map_options o;
    o.grow_on_insert_count = 1;   // grow when an insert passes 2 live entries in its section
    o.shrink_on_empty_count = 1;  // shrink when an erase leaves its section empty
    o.grow_amount = 1;
    o.shrink_amount = 1;
    o.grow_min_load_percent = 0;  // no load conditions: resize on every local trigger
    o.shrink_max_load_percent = 0;
    o.seed = map_seed;
    o.domain = &domain;
    return o;
}

// ---- the history of one execution --------------------------------------------

enum class op_kind {
    load,
    store,
    erase,
    load_or_store,
    exchange,
    compare_and_swap,
    compare_and_erase,
    load_and_erase,
    update,  // adds arg to the value, if present
    clear
};

inline constexpr int absent = -1;

struct op {
    op_kind kind = op_kind::load;
    int key = 0;
    int arg = 0;     // the value stored, or the expected value
    int arg2 = 0;    // compare_and_swap's desired value
    int result = absent;  // a value seen (absent: none)
    bool flag = false;    // a boolean result
    // Invocation and response: ticks of the history's clock.
    unsigned invoked = 0;
    unsigned responded = 0;
};

// The keys of a scenario and what the map held: key -> value (absent: none).
struct model_state {
    static constexpr int capacity = 8;
    std::array<int, capacity> keys{};
    std::array<int, capacity> values{};
    int count = 0;

    int& at(int key) {
        for (int i = 0; i < count; ++i) {
            if (keys[static_cast<std::size_t>(i)] == key) {
                return values[static_cast<std::size_t>(i)];
            }
        }
        RL_ASSERT(count < capacity);
        keys[static_cast<std::size_t>(count)] = key;
        values[static_cast<std::size_t>(count)] = absent;
        return values[static_cast<std::size_t>(count++)];
    }
    bool operator==(const model_state& other) const {
        model_state a = *this;
        model_state b = other;
        for (int i = 0; i < count; ++i) {
            if (a.values[static_cast<std::size_t>(i)] != b.at(keys[static_cast<std::size_t>(i)])) {
                return false;
            }
        }
        for (int i = 0; i < other.count; ++i) {
            if (b.values[static_cast<std::size_t>(i)] != a.at(other.keys[static_cast<std::size_t>(i)])) {
                return false;
            }
        }
        return true;
    }
};

// Applies `o` to `s` as the sequential specification says and reports
// whether the result matches what the thread saw.
inline bool apply_sequentially(model_state& s, const op& o) {
    if (o.kind == op_kind::clear) {
        for (int i = 0; i < s.count; ++i) {
            s.values[static_cast<std::size_t>(i)] = absent;
        }
        return true;
    }
    int& v = s.at(o.key);
    const int before = v;
    switch (o.kind) {
        case op_kind::load:
            return o.result == before;
        case op_kind::store:
            v = o.arg;
            return true;
        case op_kind::erase:
            v = absent;
            return o.flag == (before != absent);
        case op_kind::load_or_store:
            if (before == absent) {
                v = o.arg;
                return !o.flag && o.result == o.arg;
            }
            return o.flag && o.result == before;
        case op_kind::exchange:
            v = o.arg;
            return o.result == before;
        case op_kind::compare_and_swap:
            if (before == o.arg) {
                v = o.arg2;
                return o.flag;
            }
            return !o.flag;
        case op_kind::compare_and_erase:
            if (before == o.arg) {
                v = absent;
                return o.flag;
            }
            return !o.flag;
        case op_kind::load_and_erase:
            v = absent;
            return o.result == before;
        case op_kind::update:
            if (before == absent) {
                return o.result == absent;
            }
            v = before + o.arg;
            return o.result == v;
        case op_kind::clear:
            break;
    }
    return false;
}

inline const char* name(op_kind k) {
    switch (k) {
        case op_kind::load: return "load";
        case op_kind::store: return "store";
        case op_kind::erase: return "erase";
        case op_kind::load_or_store: return "load_or_store";
        case op_kind::exchange: return "exchange";
        case op_kind::compare_and_swap: return "compare_and_swap";
        case op_kind::compare_and_erase: return "compare_and_erase";
        case op_kind::load_and_erase: return "load_and_erase";
        case op_kind::update: return "update";
        case op_kind::clear: return "clear";
    }
    return "?";
}

class history {
public:
    static constexpr int capacity = 12;

    // Runs one operation on the map and records it with its result.
    template <class Map>
    op& run(Map& m, op_kind kind, int key, int arg = 0, int arg2 = 0) {
        RL_ASSERT(count_ < capacity);
        op& o = ops_[static_cast<std::size_t>(count_++)];
        o.kind = kind;
        o.key = key;
        o.arg = arg;
        o.arg2 = arg2;
        o.invoked = tick();
        switch (kind) {
            case op_kind::load: {
                const std::optional<value> v = m.load(key);
                o.result = v ? v->get() : absent;
                break;
            }
            case op_kind::store:
                m.store(key, value(arg));
                break;
            case op_kind::erase:
                o.flag = m.erase(key);
                break;
            case op_kind::load_or_store: {
                const auto [v, loaded] = m.load_or_store(key, value(arg));
                o.result = v.get();
                o.flag = loaded;
                break;
            }
            case op_kind::exchange: {
                const std::optional<value> v = m.exchange(key, value(arg));
                o.result = v ? v->get() : absent;
                break;
            }
            case op_kind::compare_and_swap:
                o.flag = m.compare_and_swap(key, value(arg), value(arg2));
                break;
            case op_kind::compare_and_erase:
                o.flag = m.compare_and_erase(key, value(arg));
                break;
            case op_kind::load_and_erase: {
                const std::optional<value> v = m.load_and_erase(key);
                o.result = v ? v->get() : absent;
                break;
            }
            case op_kind::update: {
                const int add = arg;
                const std::optional<value> v = m.update(key, [add](const value& x) { return value(x.get() + add); });
                o.result = v ? v->get() : absent;
                break;
            }
            case op_kind::clear:
                m.clear();
                break;
        }
        o.responded = tick();
        return o;
    }

    // True if some order of the recorded operations that respects real time
    // (an operation that responded before another was invoked comes first)
    // explains every result and leads from `initial` to `final_state`.
    bool linearizable(const model_state& initial, const model_state& final_state) const {
        return search(initial, final_state, (1u << count_) - 1);
    }

    void print() const {
        for (int i = 0; i < count_; ++i) {
            const op& o = ops_[static_cast<std::size_t>(i)];
            std::printf("  [%u, %u] %s(%d, %d, %d) -> result %d flag %d\n", o.invoked, o.responded, name(o.kind), o.key,
                        o.arg, o.arg2, o.result, o.flag ? 1 : 0);
        }
    }

    void reset() {
        count_ = 0;
        clock_.store(0, d::mo_relaxed);
    }

private:
    // The real-time order that linearizability respects is the order a
    // program can observe: "A returned before B was called" must mean that A
    // happens-before B. The order of Relacy's simulation is not that (a load
    // may still read an older value of a location after another thread's
    // store to it has returned, when nothing orders the two), so the clock is
    // a model-checked counter: each tick is an acq_rel RMW, and a tick that
    // reads a later value synchronises with every earlier tick. Ticks order
    // only the boundaries of operations, never the steps inside overlapping
    // ones, so the weak behaviours inside the map are still explored.
    unsigned tick() { return clock_.fetch_add(1, d::mo_acq_rel) + 1; }

    bool search(const model_state& s, const model_state& final_state, unsigned pending) const {
        if (pending == 0) {
            return s == final_state;
        }
        for (int i = 0; i < count_; ++i) {
            if ((pending & (1u << i)) == 0) {
                continue;
            }
            const op& o = ops_[static_cast<std::size_t>(i)];
            bool minimal = true;  // no pending operation finished before o began
            for (int j = 0; j < count_ && minimal; ++j) {
                minimal = (pending & (1u << j)) == 0 || ops_[static_cast<std::size_t>(j)].responded > o.invoked;
            }
            model_state next = s;
            if (minimal && apply_sequentially(next, o) && search(next, final_state, pending & ~(1u << i))) {
                return true;
            }
        }
        return false;
    }

    std::array<op, capacity> ops_{};
    int count_ = 0;  // plain: Relacy switches threads only at modelled steps
    d::atomic<unsigned> clock_{0};
};

// ---- holding a thread where a bug would need it ------------------------------------

// The random scheduler rarely keeps one thread still for the hundreds of
// steps another needs to erase, cut and free a node; a scenario that needs
// that schedule builds it: one thread waits at the gate (in its own code, as
// a user callback could) until the other opens it. The map never waits.
class gate {
public:
    void reset() { open_.store(false, d::mo_relaxed); }
    void open() { open_.store(true, d::mo_release); }
    void wait() {
        while (!open_.load(d::mo_acquire)) {
            rl::yield(1, RL_INFO);
        }
    }

private:
    d::atomic<bool> open_{false};
};

#ifdef SINK_STALL_POINTS
// Holds one thread at a stall point inside the map (detail/stall.hpp) until
// another thread has done what the scenario needs done meanwhile. One plan
// per scenario; `arm` at the end of before(), so that setup is never held.
class stall_plan {
public:
    gate held;    // opened by the held thread when it stops (or finishes without stopping)
    gate resume;  // the held thread goes on when this opens

    void arm(unsigned thread, d::stall::site site) {
        thread_ = thread;
        site_ = site;
        armed_ = true;
        stopped_ = false;
        held.reset();
        resume.reset();
        current = this;
        d::stall::set_hook(&on_stall);
    }
    // The held thread calls this at its end, so that a waiter is released
    // even in a schedule where the site was never reached.
    void done(unsigned thread) {
        if (thread == thread_ && armed_) {
            armed_ = false;
            held.open();
        }
    }
    bool stopped() const { return stopped_; }
    void disarm() {
        d::stall::set_hook(nullptr);
        current = nullptr;
    }

private:
    static void on_stall(d::stall::site s) noexcept {
        stall_plan* p = current;
        if (p != nullptr && p->armed_ && s == p->site_ && d::current_thread_index() == p->thread_) {
            p->armed_ = false;  // plain: Relacy switches threads only at modelled steps
            p->stopped_ = true;
            p->held.open();
            p->resume.wait();
        }
    }

    static inline stall_plan* current = nullptr;
    unsigned thread_ = 0;
    d::stall::site site_ = d::stall::site::insert;
    bool armed_ = false;
    bool stopped_ = false;
};
#endif

// ---- the fixture -----------------------------------------------------------------

// Owns a domain (eager: every retire scans, so a node is freed the moment no
// hazard pointer protects it) and a tiny map. A scenario derives from
// rl::test_suite as well, calls setup() in before(), thread_done() at the end
// of each thread and teardown() in after().
template <class Map>
struct basic_map_fixture {
    std::optional<sink::hazard_pointer_domain> domain;
    std::optional<Map> map;
    history events;
    model_state initial;

    void setup(sink::reclamation_policy policy = sink::reclamation_policy::eager) {
        domain.emplace(policy);
        d::hazard_domain_access::set_model_default_domain(&*domain);
        map.emplace(tiny_options(*domain));
        events.reset();
        initial = model_state{};
    }
    // Stores before the threads start (part of the initial state).
    void prefill(int key, int v) {
        map->store(key, value(v));
        initial.at(key) = v;
    }
    // The keys the scenario uses, so that the final state names them all.
    void track(int key) { initial.at(key); }

    // A thread's end: its retired nodes go to the domain, as at thread exit.
    void thread_done() { d::hazard_domain_access::release_current_thread(*domain); }

    // What the map holds now, for the keys the scenario tracks; also checks
    // that iteration and size agree with the lookups.
    model_state contents() {
        model_state s = initial;
        int present = 0;
        for (int i = 0; i < s.count; ++i) {
            const std::optional<value> v = map->load(s.keys[static_cast<std::size_t>(i)]);
            s.values[static_cast<std::size_t>(i)] = v ? v->get() : absent;
            present += v ? 1 : 0;
        }
        int listed = 0;
        map->range([&](const int&, const value&) {
            ++listed;
            return true;
        });
        RL_ASSERT(listed == present);
        RL_ASSERT(map->size() == static_cast<std::size_t>(present));
        return s;
    }

    // The checks every scenario ends with: the structure is sound, the
    // history is linearizable, and everything is freed (Relacy reports a
    // leak for anything the map or the domain forgot).
    void check_and_teardown() {
        const sink::concurrent_map_check check = map->verify();
        if (!check) {
            std::printf("verify(): %s\n", check.problem.c_str());
        }
        RL_ASSERT(check);
        const model_state final_state = contents();
        const bool ok = events.linearizable(initial, final_state);
        if (!ok) {
            std::printf("not linearizable:\n");
            events.print();
        }
        RL_ASSERT(ok);
        teardown();
    }

    // Destroys the map, then the domain: what either forgot to free is a
    // Relacy leak report.
    void teardown() {
        map.reset();
        domain.reset();
        d::hazard_domain_access::set_model_default_domain(nullptr);
    }
};
using map_fixture = basic_map_fixture<map_type>;

// ---- running ----------------------------------------------------------------------

// How a scenario is explored: Relacy's random scheduler for many iterations,
// and (in --long mode, or for the smallest scenarios) every schedule with at
// most `context_bound` preemptions.
struct exploration {
    unsigned long long random_iterations = 0;
    unsigned context_bound = 0;  // 0: no bounded search
};

// Steps one execution may take before Relacy calls it a livelock (its
// default is 2,000). The map's resizes drain the domain since issue 17's
// memory work, which reads every hazard slot and frees what it can: a held
// sweep with a grow behind it took 2,022 steps. A loop that waits for
// another thread still runs past any limit.
inline constexpr unsigned execution_depth = 4000;

template <class Scenario>
bool explore(const char* name, const exploration& how) {
    bool ok = true;
    if (how.random_iterations > 0) {
        rl::test_params p;
        p.search_type = rl::random_scheduler_type;
        p.iteration_count = how.random_iterations;
        p.execution_depth_limit = execution_depth;
        const bool passed = rl::simulate<Scenario>(p);
        std::printf("%s: %s (random scheduler, %llu iterations)\n", name, passed ? "passed" : "FAILED",
                    how.random_iterations);
        std::fflush(stdout);
        ok = ok && passed;
    }
    if (ok && how.context_bound > 0) {
        rl::test_params p;
        p.search_type = rl::sched_bound;
        p.context_bound = how.context_bound;
        p.execution_depth_limit = execution_depth;
        const bool passed = rl::simulate<Scenario>(p);
        std::printf("%s: %s (context bound %u, %llu schedules)\n", name, passed ? "passed" : "FAILED",
                    how.context_bound, static_cast<unsigned long long>(p.stop_iteration));
        std::fflush(stdout);
        ok = ok && passed;
    }
    return ok;
}

// --long on the command line: the soak settings instead of the CI ones.
inline bool long_mode(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--long") == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace sink_relacy
