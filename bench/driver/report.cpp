#include "driver/report.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "common/text_table.hpp"
#include "driver/workload.hpp"

namespace sink_bench {

namespace {

// "W1/sink/iterations:1/repeats:3/real_time/threads:2" -> {"W1", "sink"}
std::pair<std::string, std::string> split_name(const std::string& function_name) {
    const auto slash = function_name.find('/');
    if (slash == std::string::npos) return {function_name, ""};
    return {function_name.substr(0, slash), function_name.substr(slash + 1)};
}

double counter(const benchmark::BenchmarkReporter::Run& run, const char* name) {
    const auto it = run.counters.find(name);
    return it == run.counters.end() ? 0.0 : it->second.value;
}

}  // namespace

table_reporter::table_reporter(std::vector<map_info> maps, std::string out_dir, std::string machine_note)
    : maps_(std::move(maps)), out_dir_(std::move(out_dir)), machine_note_(std::move(machine_note)) {}

void table_reporter::ReportRuns(const std::vector<Run>& runs) {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
        const auto [workload_id, map_id] = split_name(run.run_name.function_name);
        cell& c = cells_[workload_id][map_id][static_cast<int>(run.threads)];
        if (run.error_occurred) {
            c.error = run.error_message;
            any_error_ = true;
            continue;
        }
        const double mops = counter(run, "ops_per_second") / 1e6;
        if (run.run_type == Run::RT_Iteration) {
            // Kept for single-repetition runs, which have no aggregates.
            if (c.repetitions == 0 || mops < c.min) c.min = mops;
            if (mops > c.max) c.max = mops;
            ++c.repetitions;
            if (run.repetitions <= 1) {
                c.median = mops;
                c.p50 = counter(run, "p50_ns");
                c.p99 = counter(run, "p99_ns");
                c.p999 = counter(run, "p999_ns");
            }
        } else if (run.aggregate_name == "median") {
            c.median = mops;
            c.p50 = counter(run, "p50_ns");
            c.p99 = counter(run, "p99_ns");
            c.p999 = counter(run, "p999_ns");
        }
    }
}

std::string table_reporter::tables(bool markdown) const {
    std::ostringstream out;
    const std::string sink_id = maps_.empty() ? "" : maps_.front().id;
    for (const workload& w : all_workloads()) {
        const auto wit = cells_.find(std::string(w.id));
        if (wit == cells_.end()) continue;
        const auto& by_map = wit->second;
        std::set<int> thread_counts;
        int reps = 0;
        for (const auto& [map_id, by_threads] : by_map) {
            for (const auto& [t, c] : by_threads) {
                thread_counts.insert(t);
                reps = std::max(reps, c.repetitions);
            }
        }
        const auto sink_row = by_map.find(sink_id);
        const bool erase_only = w.shape == workload_shape::drain;

        if (markdown) {
            out << "\n#### " << w.id << ": " << w.title << "\n\n";
            out << "Million " << (erase_only ? "erases" : "calls") << " per second, median of " << reps
                << " runs [min-max]; `sink/map` is sink's median over the map's, at the same thread count.\n\n";
        } else {
            out << "\n" << w.id << ": " << w.title << "\n";
            out << "  M " << (erase_only ? "erases" : "calls") << "/s, median of " << reps
                << " runs [min-max]; sink/map = ratio of the medians at the same thread count\n";
        }
        // Header.
        std::vector<std::string> header = {"map"};
        for (int t : thread_counts) header.push_back(std::to_string(t) + (t == 1 ? " thread" : " threads"));
        for (int t : thread_counts) header.push_back("sink/map " + std::to_string(t) + "t");
        std::vector<std::vector<std::string>> rows;
        for (const map_info& m : maps_) {
            const auto mit = by_map.find(m.id);
            if (mit == by_map.end()) continue;
            std::vector<std::string> row = {m.name};
            for (int t : thread_counts) {
                const auto cit = mit->second.find(t);
                if (cit == mit->second.end()) {
                    row.push_back("-");
                } else if (!cit->second.error.empty()) {
                    row.push_back("error: " + cit->second.error);
                } else {
                    const cell& c = cit->second;
                    row.push_back(fixed(c.median, 2) + " [" + fixed(c.min, 2) + "-" + fixed(c.max, 2) + "]");
                }
            }
            for (int t : thread_counts) {
                std::string ratio = "-";
                const auto cit = mit->second.find(t);
                if (m.id != sink_id && sink_row != by_map.end() && cit != mit->second.end() &&
                    cit->second.median > 0) {
                    const auto sit = sink_row->second.find(t);
                    if (sit != sink_row->second.end() && sit->second.median > 0) {
                        ratio = fixed(sit->second.median / cit->second.median, 2) + "x";
                    }
                }
                row.push_back(ratio);
            }
            rows.push_back(std::move(row));
        }
        print_table(out, header, rows, markdown);

        // Latency, for the runs with more than one thread.
        std::vector<int> multi;
        for (int t : thread_counts)
            if (t > 1) multi.push_back(t);
        if (multi.empty()) continue;
        out << (markdown ? "\nLatency of sampled calls, p50 / p99 / p99.9 in ns (median over the runs):\n\n"
                         : "  latency of sampled calls, ns: p50 / p99 / p99.9\n");
        std::vector<std::string> lheader = {"map"};
        for (int t : multi) lheader.push_back(std::to_string(t) + " threads");
        std::vector<std::vector<std::string>> lrows;
        for (const map_info& m : maps_) {
            const auto mit = by_map.find(m.id);
            if (mit == by_map.end()) continue;
            std::vector<std::string> row = {m.name};
            for (int t : multi) {
                const auto cit = mit->second.find(t);
                if (cit == mit->second.end() || !cit->second.error.empty()) {
                    row.push_back("-");
                } else {
                    const cell& c = cit->second;
                    row.push_back(fixed(c.p50, 0) + " / " + fixed(c.p99, 0) + " / " + fixed(c.p999, 0));
                }
            }
            lrows.push_back(std::move(row));
        }
        print_table(out, lheader, lrows, markdown);
    }
    // Maps that sat out a workload, and why.
    std::ostringstream notes;
    for (const map_info& m : maps_) {
        if (!m.note.empty()) notes << (markdown ? "- " : "  ") << m.name << ": " << m.note << "\n";
    }
    if (!notes.str().empty()) out << (markdown ? "\nMaps:\n\n" : "\nmaps:\n") << notes.str();
    return out.str();
}

void table_reporter::write_plot_data() const {
    // One file per workload: a row per thread count, a column per map.
    for (const auto& [workload_id, by_map] : cells_) {
        std::ofstream f(out_dir_ + "/throughput-" + workload_id + ".dat");
        std::set<int> thread_counts;
        for (const auto& [map_id, by_threads] : by_map)
            for (const auto& [t, c] : by_threads) thread_counts.insert(t);
        f << "threads";
        std::vector<const map_info*> present;
        for (const map_info& m : maps_) {
            if (by_map.count(m.id)) {
                present.push_back(&m);
                f << "\t\"" << m.name << "\"";
            }
        }
        f << "\n";
        for (int t : thread_counts) {
            f << t;
            for (const map_info* m : present) {
                const auto& by_threads = by_map.at(m->id);
                const auto it = by_threads.find(t);
                if (it == by_threads.end() || !it->second.error.empty()) {
                    f << "\tNaN";
                } else {
                    f << "\t" << fixed(it->second.median, 3);
                }
            }
            f << "\n";
        }
    }
}

void table_reporter::Finalize() {
    ConsoleReporter::Finalize();
    std::cout << "\n==== sink and its peers, measured in this one run ====\n" << tables(false) << std::flush;
    std::ofstream md(out_dir_ + "/throughput.md");
    md << "Machine: " << machine_note_ << "\n" << tables(true);
    write_plot_data();
    std::cout << "\ntables: " << out_dir_ << "/throughput.md, plot data: " << out_dir_ << "/throughput-*.dat\n";
}

}  // namespace sink_bench
