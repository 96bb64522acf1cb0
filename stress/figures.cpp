#include "figures.hpp"

#include <algorithm>

namespace sink_stress {

void merge(backlog_figures& a, const backlog_figures& b) {
    a.samples += b.samples;
    if (b.peak_certain > a.peak_certain) {
        a.peak_certain = b.peak_certain;
        a.bound_at_peak = b.bound_at_peak;
    }
    a.peak_sampled = std::max(a.peak_sampled, b.peak_sampled);
    a.peak_quiescent = std::max(a.peak_quiescent, b.peak_quiescent);
    a.largest_bound = std::max(a.largest_bound, b.largest_bound);
}

std::string summary(const run_figures& f, std::uint64_t seed) {
    const auto n = [](std::uint64_t v) { return std::to_string(v); };
    const std::uint64_t fewest = f.stalls == 0 ? 0 : f.fewest_ops_while_frozen;
    std::string s = "sink-stress: every check passed (seed " + n(seed) + ")\n";
    s += "  threads " + n(f.threads) + ", phases " + n(f.phases) + ", map calls " + n(f.checks.calls) + " (walks " +
         n(f.checks.walks) + ")\n";
    s += "  linearizability: " + n(f.checks.histories) + " key histories, " + n(f.checks.records) +
         " records (calls, yields, clears, " + n(f.checks.absence_claims) + " absence claims); largest search " +
         n(f.checks.largest_search) + " states; undecided " + n(f.checks.undecided) + "\n";
    s += "  resizes: " + n(f.grows) + " grows, " + n(f.shrinks) + " shrinks, widest table " + n(f.widest_table) +
         " bits, " + n(f.storms) + " storms\n";
    s += "  stalls: " + n(f.stalls) + " threads frozen; the others completed " + n(f.ops_while_frozen) +
         " calls while one was frozen (fewest in one stall " + n(fewest) + ")\n";
    s += "  garbage: " + n(f.backlog.samples) + " samples; peak backlog " + n(f.backlog.peak_certain) +
         " retired objects not yet freed (a certain lower estimate; the stated bound then " +
         n(f.backlog.bound_at_peak) + "); largest raw sample " + n(f.backlog.peak_sampled) +
         " (an over-estimate while others run); largest at a quiescent point " + n(f.backlog.peak_quiescent) +
         "; largest bound " + n(f.backlog.largest_bound) + "\n";
    s += "totals: threads=" + n(f.threads) + " calls=" + n(f.checks.calls) + " histories=" + n(f.checks.histories) +
         " grows=" + n(f.grows) + " shrinks=" + n(f.shrinks) + " storms=" + n(f.storms) + " stalls=" + n(f.stalls) +
         " ops_while_frozen=" + n(f.ops_while_frozen) + " peak_backlog=" + n(f.backlog.peak_certain) +
         " bound_at_peak=" + n(f.backlog.bound_at_peak) + " largest_bound=" + n(f.backlog.largest_bound) +
         " undecided=" + n(f.checks.undecided) + "\n";
    return s;
}

}  // namespace sink_stress
