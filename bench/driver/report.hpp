// Turns Google Benchmark's runs into the tables people read: one per
// workload, each map's throughput (median of the repetitions, with the
// spread) at each thread count, and the ratio sink/map measured in the same
// run; then the latency percentiles. The same tables are written as
// Markdown (for the README) and as gnuplot data (for the plots).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace sink_bench {

// What the tables need to know about each map, in display order.
struct map_info {
    std::string id;    // as in benchmark names
    std::string name;  // as printed
    std::string note;
};

class table_reporter : public benchmark::ConsoleReporter {
public:
    table_reporter(std::vector<map_info> maps, std::string out_dir, std::string machine_note);
    void ReportRuns(const std::vector<Run>& runs) override;
    void Finalize() override;
    // Whether any run reported an error (a failed check): the process then
    // exits non-zero, so the smoke test fails.
    bool any_error() const { return any_error_; }

private:
    struct cell {
        double median = 0, min = 0, max = 0;  // million calls per second
        double p50 = 0, p99 = 0, p999 = 0;    // nanoseconds (median over repetitions)
        int repetitions = 0;
        std::string error;
    };
    // workload id -> map id -> threads -> cell
    std::map<std::string, std::map<std::string, std::map<int, cell>>> cells_;
    std::vector<map_info> maps_;
    std::string out_dir_;
    std::string machine_note_;
    bool any_error_ = false;

    std::string tables(bool markdown) const;
    void write_plot_data() const;
};

}  // namespace sink_bench
