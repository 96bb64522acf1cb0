#include "garbage.hpp"

#include <algorithm>

#include "report.hpp"

namespace sink_stress {
namespace {

void raise(std::atomic<std::uint64_t>& a, std::uint64_t v) {
    std::uint64_t seen = a.load(std::memory_order_relaxed);
    while (seen < v && !a.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
    }
}

std::string stats_text(const sink::hazard_pointer_stats& s) {
    return "retired " + std::to_string(s.retired) + ", reclaimed " + std::to_string(s.reclaimed) + ", backlog " +
           std::to_string(s.backlog) + ", records " + std::to_string(s.records) + ", hazard slots " +
           std::to_string(s.slots) + ", scan threshold " + std::to_string(s.scan_threshold) + ", bound " +
           std::to_string(s.backlog_bound);
}

}  // namespace

void garbage_monitor::sample() {
    const sink::hazard_pointer_stats s1 = domain_->stats();
    const sink::hazard_pointer_stats s2 = domain_->stats();
    samples_.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t certain = s1.retired > s2.reclaimed ? s1.retired - s2.reclaimed : 0;
    // The bound only grows with the number of records, so s2's bound is at
    // least the bound at the moment the lower estimate speaks of.
    if (certain > s2.backlog_bound) {
        fail("garbage-bound", "the hazard-pointer backlog was at least " + std::to_string(certain) +
                                  " retired objects not yet freed, above the stated bound " +
                                  std::to_string(s2.backlog_bound) + "\n  first stats(): " + stats_text(s1) +
                                  "\n  second stats(): " + stats_text(s2));
    }
    if (certain > peak_certain_.load(std::memory_order_relaxed)) {
        raise(peak_certain_, certain);
        bound_at_peak_.store(s2.backlog_bound, std::memory_order_relaxed);
    }
    raise(peak_sampled_, s1.backlog);
    raise(largest_bound_, s2.backlog_bound);
}

void garbage_monitor::check_quiescent(const std::string& where) {
    const sink::hazard_pointer_stats before = domain_->stats();
    if (before.backlog > before.backlog_bound) {
        fail("garbage-bound", where + ": at a quiescent point the backlog is above its stated bound: " +
                                  stats_text(before));
    }
    peak_quiescent_ = std::max<std::uint64_t>(peak_quiescent_, before.backlog);
    raise(largest_bound_, before.backlog_bound);
    domain_->drain();
    const sink::hazard_pointer_stats after = domain_->stats();
    if (after.backlog != 0 || after.retired != after.reclaimed) {
        fail("drain", where + ": after a drain with no thread using the domain, retired objects are left: " +
                          stats_text(after));
    }
}

backlog_figures garbage_monitor::figures() const {
    backlog_figures f;
    f.samples = samples_.load(std::memory_order_relaxed);
    f.peak_certain = peak_certain_.load(std::memory_order_relaxed);
    f.peak_sampled = peak_sampled_.load(std::memory_order_relaxed);
    f.bound_at_peak = bound_at_peak_.load(std::memory_order_relaxed);
    f.peak_quiescent = peak_quiescent_;
    f.largest_bound = largest_bound_.load(std::memory_order_relaxed);
    return f;
}


}  // namespace sink_stress
