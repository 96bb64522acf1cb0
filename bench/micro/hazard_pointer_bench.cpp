// Micro-benchmarks of sink's hazard pointers (include/sink/hazard_pointer.hpp,
// src/hazard_pointer_domain.cpp): each primitive a map operation is built
// from, by itself, so that an optimisation (asymmetric fences, cheaper slot
// acquisition, scan tuning) can be measured one piece at a time.
//
// Threaded cases (->Threads(n)): Google Benchmark sums CPU time and
// iterations over the threads, so the CPU column is the cost of one operation
// on one thread; the Time column is wall time per operation of all threads
// together (about CPU / n when the threads do not slow each other down).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "sink/hazard_pointer.hpp"

namespace {

struct object : sink::hazard_pointer_obj_base<object> {
    std::uint64_t payload = 0;
};

// What a reader protects from: a pointer that never changes during a run.
// alignas: each thread's own copy sits on its own cache line.
struct alignas(64) source {
    source() { ptr.store(&target, std::memory_order_release); }
    sink::detail::atomic<object*> ptr{nullptr};
    object target;
};

// Threads that each hold `per_thread` hazard pointers of `domain` (on objects
// of their own, never retired) from construction to destruction. They block
// on a latch meanwhile: no sleeping, no spinning.
class hazard_holders {
public:
    hazard_holders(sink::hazard_pointer_domain& domain, int threads, int per_thread) : ready_(threads) {
        for (int t = 0; t < threads; ++t) {
            threads_.emplace_back([this, &domain, per_thread] {
                std::vector<object> objects(static_cast<std::size_t>(per_thread));
                std::vector<sink::hazard_pointer> hps;
                for (object& o : objects) {
                    hps.push_back(sink::make_hazard_pointer(domain));
                    hps.back().reset_protection(&o);  // published; o is live, so no validation needed
                }
                ready_.count_down();
                stop_.wait();
                hps.clear();  // release the slots before the objects go
            });
        }
        ready_.wait();
    }
    hazard_holders(const hazard_holders&) = delete;
    hazard_holders& operator=(const hazard_holders&) = delete;
    ~hazard_holders() {
        stop_.count_down();
        for (std::thread& t : threads_) {
            t.join();
        }
    }

private:
    std::latch ready_;
    std::latch stop_{1};
    std::vector<std::thread> threads_;
};

// ---- slot acquire / release ---------------------------------------------------

// make_hazard_pointer + destroy with `held` other slots of this thread taken:
// every map operation does this 5 times (its cursor), and the slot search is
// linear over the record's 8 slots (held = 8 needs a second record).
void BM_MakeHazardPointer(benchmark::State& state) {
    std::vector<sink::hazard_pointer> held;
    for (std::int64_t i = 0; i < state.range(0); ++i) {
        held.push_back(sink::make_hazard_pointer());
    }
    for (auto _ : state) {
        sink::hazard_pointer hp = sink::make_hazard_pointer();
        sink::hazard_pointer* escaped = &hp;
        benchmark::DoNotOptimize(escaped);
    }
}
BENCHMARK(BM_MakeHazardPointer)->ArgName("held")->Arg(0)->Arg(4)->Arg(7)->Arg(8);

// ---- baselines for protect ----------------------------------------------------

// A plain acquire load of the source: what a walk step would cost with no
// reclamation at all; the floor protect() is compared with.
void BM_PlainAcquireLoad(benchmark::State& state) {
    source src;
    for (auto _ : state) {
        object* p = src.ptr.load(std::memory_order_acquire);
        benchmark::DoNotOptimize(p);
    }
}
BENCHMARK(BM_PlainAcquireLoad)->Threads(1)->Threads(2);

// The reader fence alone (seq_cst thread fence, `lock or` on x86-64 with
// g++ 12): the part of protect() an asymmetric fence would remove.
void BM_ReaderFence(benchmark::State& state) {
    for (auto _ : state) {
        sink::detail::reader_fence();
    }
}
BENCHMARK(BM_ReaderFence)->Threads(1)->Threads(2);

// ---- protect, try_protect, reset_protection -------------------------------------

// protect() of an unchanging pointer: relaxed load, release store to the
// slot, reader fence, acquire re-read. Every walk step pays this once. At 2
// threads (each with its own source and record, nothing shared) it shows
// whether the fence gets dearer when both cores fence at once.
void BM_Protect(benchmark::State& state) {
    source src;
    sink::hazard_pointer hp = sink::make_hazard_pointer();
    for (auto _ : state) {
        object* p = hp.protect(src.ptr);
        benchmark::DoNotOptimize(p);
    }
    hp.reset_protection();
}
BENCHMARK(BM_Protect)->Threads(1)->Threads(2);

// try_protect() that succeeds: the same publish + fence + re-read without the
// first load; the form a caller uses when it already read the pointer.
void BM_TryProtect(benchmark::State& state) {
    source src;
    sink::hazard_pointer hp = sink::make_hazard_pointer();
    for (auto _ : state) {
        object* p = &src.target;
        benchmark::DoNotOptimize(p);
        bool ok = hp.try_protect(p, src.ptr);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(p);
    }
    hp.reset_protection();
}
BENCHMARK(BM_TryProtect);

// reset_protection(ptr): release store + reader fence, no re-read. The map's
// cursor publishes with this and validates against a different location.
void BM_ResetProtectionPointer(benchmark::State& state) {
    source src;
    sink::hazard_pointer hp = sink::make_hazard_pointer();
    for (auto _ : state) {
        object* p = &src.target;
        benchmark::DoNotOptimize(p);
        hp.reset_protection(p);
    }
    hp.reset_protection();
}
BENCHMARK(BM_ResetProtectionPointer);

// reset_protection(nullptr): a release store only (no fence); what ending a
// protection costs, to contrast with publishing one.
void BM_ResetProtectionNull(benchmark::State& state) {
    sink::hazard_pointer hp = sink::make_hazard_pointer();
    for (auto _ : state) {
        hp.reset_protection();
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_ResetProtectionNull);

// ---- retire ------------------------------------------------------------------------

// new + delete of the retired object type: the allocation share of the retire
// benchmarks below, to subtract from them.
void BM_NewDelete(benchmark::State& state) {
    for (auto _ : state) {
        object* o = new object;
        benchmark::DoNotOptimize(o);
        delete o;
    }
}
BENCHMARK(BM_NewDelete);

void report_domain(benchmark::State& state, const sink::hazard_pointer_domain& domain) {
    const sink::hazard_pointer_stats s = domain.stats();
    state.counters["records"] = static_cast<double>(s.records);
    state.counters["scan_R"] = static_cast<double>(s.scan_threshold);
}

// retire() of an unprotected object into the lazy default domain, with its
// new: the push plus the amortised scan every R retires triggers (which
// deletes R objects). The cost a map write pays per node it cuts out.
void BM_RetireDefaultDomain(benchmark::State& state) {
    sink::hazard_pointer_domain& domain = sink::hazard_pointer_default_domain();
    if (domain.policy() != sink::reclamation_policy::lazy) {
        state.SkipWithError("the default domain is not lazy (SINK_HAZARD_POINTER_EAGER build?)");
        return;
    }
    for (auto _ : state) {
        object* o = new object;
        benchmark::DoNotOptimize(o);
        o->retire();
    }
    report_domain(state, domain);
}
BENCHMARK(BM_RetireDefaultDomain);

// The same in a fresh lazy domain while `holders` other threads each hold 4
// published hazard pointers: more records make every scan read more slots and
// search more hazards, but also raise R = max(2H, 64), so scans come rarer.
void BM_RetireWithHazardsHeld(benchmark::State& state) {
    sink::hazard_pointer_domain domain(sink::reclamation_policy::lazy);
    {
        hazard_holders holders(domain, static_cast<int>(state.range(0)), 4);
        for (auto _ : state) {
            object* o = new object;
            benchmark::DoNotOptimize(o);
            o->retire(std::default_delete<object>(), domain);
        }
        report_domain(state, domain);
    }
    state.counters["hazards"] = static_cast<double>(4 * state.range(0));
}
BENCHMARK(BM_RetireWithHazardsHeld)->ArgName("holders")->Arg(0)->Arg(1)->Arg(3);

// ---- scan ------------------------------------------------------------------------

// One scan of N retired objects while H hazards are published, with the cost
// per object (items/s). The domain gets N/16 records (N/2 slots, all this
// thread's), so its lazy threshold R = 2 * slots is exactly N: the ratio every
// lazy scan has. Each iteration retires N-1 objects untimed, then times the
// N-th retire, which triggers the scan: read every slot, sort the H hazards,
// look each object up, delete all N (the hazards point at live objects, not
// at retired ones). drain() runs the same reclaim_unprotected over all
// records; this is the path writers actually hit. Above 256 hazards the scan
// compares in passes of 256, each over the whole list (H = 2048: 8 passes).
// Manual timing with steady_clock, because PauseTiming/ResumeTiming costs
// about as much as a 64-object scan here; BM_ManualTimerOverhead is the
// error of that (tens of ns). Read the Time column: CPU includes the setup.
void BM_Scan(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto h = static_cast<std::size_t>(state.range(1));
    sink::hazard_pointer_domain domain(sink::reclamation_policy::lazy);
    std::vector<object> live(h);  // what the published hazards point at
    std::vector<sink::hazard_pointer> held;
    {
        std::vector<sink::hazard_pointer> slots;
        for (std::size_t i = 0; i < n / 2; ++i) {
            slots.push_back(sink::make_hazard_pointer(domain));
        }
        for (std::size_t i = 0; i < h; ++i) {
            slots[i].reset_protection(&live[i]);
            held.push_back(std::move(slots[i]));
        }
    }  // the other slots are free again; their records stay and are scanned
    if (domain.stats().scan_threshold != n) {
        state.SkipWithError("the scan threshold is not N: the setup does not match the domain's policy");
        return;
    }
    std::vector<object*> batch(n);
    for (auto _ : state) {
        for (object*& o : batch) {
            o = new object;
        }
        for (std::size_t i = 0; i + 1 < n; ++i) {
            batch[i]->retire(std::default_delete<object>(), domain);
        }
        const auto start = std::chrono::steady_clock::now();
        batch[n - 1]->retire(std::default_delete<object>(), domain);  // the N-th: scans
        const auto stop = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    }
    const sink::hazard_pointer_stats s = domain.stats();
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
    state.counters["slots"] = static_cast<double>(s.slots);
    state.counters["freed/scan"] =
        state.iterations() == 0 ? 0.0 : static_cast<double>(s.reclaimed) / static_cast<double>(state.iterations());
    held.clear();
}
BENCHMARK(BM_Scan)
    ->UseManualTime()
    ->ArgNames({"N", "H"})
    ->Args({64, 0})
    ->Args({64, 32})
    ->Args({512, 0})
    ->Args({512, 32})
    ->Args({512, 256})
    ->Args({4096, 0})
    ->Args({4096, 32})
    ->Args({4096, 2048});

// Two steady_clock reads around nothing, timed like BM_Scan: the error in
// BM_Scan's times.
void BM_ManualTimerOverhead(benchmark::State& state) {
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        const auto stop = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    }
}
BENCHMARK(BM_ManualTimerOverhead)->UseManualTime();

}  // namespace
