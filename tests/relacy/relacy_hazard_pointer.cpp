// Relacy model check of the hazard pointers, compiled from the library's own
// header and source against Relacy's atomics (SINK_ATOMICS_RELACY).
//
// Scenario: one thread protects the object in a shared cell and reads it; the
// other replaces the object and retires the old one, with the eager policy
// (scan on every retire). Relacy explores the interleavings under the C++
// memory model and reports a read of freed memory (the value is an rl::var
// inside the node), a data race, a leak, or a failed assertion.
// A second scenario does the same with an address inside a block retired
// as a range (interior_protect_vs_retire_range, below).
#include <cstdio>
#include <optional>

#include "sink/hazard_pointer.hpp"

namespace {

namespace d = sink::detail;

struct node : sink::hazard_pointer_obj_base<node> {
    explicit node(int v) : value(v) {}
    d::var<int> value;
};

struct protect_vs_retire : rl::test_suite<protect_vs_retire, 2> {
    std::optional<sink::hazard_pointer_domain> domain;
    d::atomic<node*> cell;

    void before() {
        domain.emplace(sink::reclamation_policy::eager);
        sink::detail::hazard_domain_access::set_model_default_domain(&*domain);
        cell.store(new node(1), d::mo_release);
    }

    void thread(unsigned index) {
        if (index == 0) {
            sink::hazard_pointer hp = sink::make_hazard_pointer(*domain);
            node* p = hp.protect(cell);
            const int v = p->value.get();  // freed memory here is a Relacy report
            RL_ASSERT(v == 1 || v == 2);
        } else {
            node* old = cell.exchange(new node(2), d::mo_acq_rel);
            old->retire({}, *domain);
        }
        // Thread exit: hand the retired objects to the domain.
        sink::detail::hazard_domain_access::release_current_thread(*domain);
    }

    void after() {
        delete cell.load(d::mo_relaxed);
        domain.reset();  // frees everything still retired, and the records
        sink::detail::hazard_domain_access::set_model_default_domain(nullptr);
    }
};

// The same with an address inside a block retired as a range (the map's
// section heads will live in such blocks): the reader protects and reads
// the third head of a block; the writer points the cell at a head of a new
// block and retires the old block whole. The scan must keep the block while
// the interior address is published (fault SCAN_EXACT_ONLY: only the
// block's first byte keeps it, and the read is of freed memory).
struct head_block;

struct head {
    d::var<int> value;
    head_block* block = nullptr;  // the block it lives in (test bookkeeping)
};

struct head_block : d::retired_range {
    explicit head_block(int v) {
        bytes = sizeof(head_block);
        free_range = [](d::retired_range* r) noexcept { delete static_cast<head_block*>(r); };
        for (head& h : heads) {
            h.value.set(v);
            h.block = this;
        }
    }
    head heads[4];
};

struct interior_protect_vs_retire_range : rl::test_suite<interior_protect_vs_retire_range, 2> {
    std::optional<sink::hazard_pointer_domain> domain;
    d::atomic<head*> cell;

    void before() {
        domain.emplace(sink::reclamation_policy::eager);
        sink::detail::hazard_domain_access::set_model_default_domain(&*domain);
        cell.store(&(new head_block(1))->heads[2], d::mo_release);
    }

    void thread(unsigned index) {
        if (index == 0) {
            sink::hazard_pointer hp = sink::make_hazard_pointer(*domain);
            head* h = hp.protect(cell);
            const int v = h->value.get();  // freed memory here is a Relacy report
            RL_ASSERT(v == 1 || v == 2);
        } else {
            head* old = cell.exchange(&(new head_block(2))->heads[1], d::mo_acq_rel);
            sink::detail::hazard_domain_access::retire_range(*domain, old->block);
        }
        sink::detail::hazard_domain_access::release_current_thread(*domain);
    }

    void after() {
        delete cell.load(d::mo_relaxed)->block;
        domain.reset();
        sink::detail::hazard_domain_access::set_model_default_domain(nullptr);
    }
};

template <class Scenario>
bool check(const char* name) {
    // Every schedule with at most 2 preemptions: the bug patterns of hazard
    // pointers need one (the reader is preempted between reading the source
    // and publishing, while the other thread unlinks, retires and scans),
    // which a random scheduler almost never produces because retire and scan
    // take dozens of steps.
    rl::test_params bounded;
    bounded.search_type = rl::sched_bound;
    bounded.context_bound = 2;
    const bool bounded_ok = rl::simulate<Scenario>(bounded);
    std::printf("%s: %s (context bound 2, %llu schedules)\n", name, bounded_ok ? "passed" : "FAILED",
                static_cast<unsigned long long>(bounded.stop_iteration));

    // Random schedules for the weak-memory outcomes (which value a load sees).
    rl::test_params random;
    random.iteration_count = 100000;
    random.search_type = rl::random_scheduler_type;
    const bool random_ok = rl::simulate<Scenario>(random);
    std::printf("%s: %s (random scheduler, %llu iterations)\n", name, random_ok ? "passed" : "FAILED",
                static_cast<unsigned long long>(random.iteration_count));
    return bounded_ok && random_ok;
}

}  // namespace

int main() {
    // Stops at the first failure: a fault build has then shown its report,
    // and the rest would only cost time.
    const bool ok = check<protect_vs_retire>("protect_vs_retire") &&
                    check<interior_protect_vs_retire_range>("interior_protect_vs_retire_range");
    return ok ? 0 : 1;
}
