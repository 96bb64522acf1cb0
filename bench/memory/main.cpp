// sink-bench-memory: how many bytes each map holds per entry, measured the
// same way for every map. Each map is measured in a fresh child process
// (fork) with the counting malloc on: fill an empty map with 1,000,000 u64
// entries from two threads (the peak during growth is tracked), then erase
// them all while another thread looks keys up (W5), then destroy the map.
// Everything the map allocated counts: nodes, tables, buckets, segments and
// the garbage its reclamation still holds.
//
//   sink-bench-memory [--maps=id,...] [--keys=u64,string] [--entries=N] [--out=DIR] [--sink-grow=N]
//                     [Google Benchmark flags]
// --sink-grow sets sink's grow_on_insert_count (section length), as in sink-bench.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/text_table.hpp"
#include "driver/workload.hpp"
#include "maps/all_maps.hpp"
#include "memory/counting_malloc.hpp"

namespace sink_bench {
namespace {

struct measurement {
    double fill_bytes = 0;         // held with every entry in
    double peak_bytes = 0;         // the most held while filling
    double drained_bytes = -1;     // held after erasing every entry (-1: the map cannot erase)
    double destroyed_bytes = 0;    // still allocated after the map is gone
    char error[128] = {};
};

std::size_t entries = 1'000'000;

std::uint64_t scattered(std::size_t i) { return (i * 2654435761ULL) % entries; }

// Key number k as a Key; a string is built per call, as a caller would, and
// freed before the next, so it shows in no figure but the map's own copy.
template <class Key>
Key key_of(std::uint64_t k) {
    if constexpr (std::is_same_v<Key, std::string>) {
        return string_key(k);
    } else {
        return k;
    }
}

template <class Map, class Key>
measurement measure() {
    namespace cm = counting_malloc;
    measurement m;
    process_scope libraries;
    cm::enable(true);
    const std::int64_t base = cm::read().live;
    {
        auto map = std::make_unique<Map>(entries);
        cm::reset_peak();
        const int threads = Map::concurrent ? 2 : 1;
        std::atomic<std::size_t> next{0};
        auto fill = [&] {
            [[maybe_unused]] typename Map::thread_scope scope;
            for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < entries;) {
                map->insert(key_of<Key>(scattered(i)), i);
            }
        };
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(fill);
        fill();
        for (auto& th : pool) th.join();
        pool.clear();
        const cm::snapshot filled = cm::read();
        m.fill_bytes = static_cast<double>(filled.live - base);
        m.peak_bytes = static_cast<double>(filled.peak - base);
        if (map->size() != entries) std::snprintf(m.error, sizeof m.error, "fill lost keys");

        if constexpr (Map::thread_safe_erase) {
            std::atomic<bool> erasing{true};
            std::thread reader;
            if constexpr (Map::concurrent) {
                reader = std::thread([&] {
                    [[maybe_unused]] typename Map::thread_scope scope;
                    std::uint64_t value = 0, k = 1;
                    while (erasing.load(std::memory_order_relaxed)) {
                        k = (k + 2654435761ULL) % entries;
                        map->find(key_of<Key>(k), value);
                    }
                    benchmark::DoNotOptimize(value);
                });
            }
            {
                [[maybe_unused]] typename Map::thread_scope scope;
                for (std::size_t i = 0; i < entries; ++i) map->erase(key_of<Key>(scattered(i)));
            }
            erasing.store(false, std::memory_order_relaxed);
            if (reader.joinable()) reader.join();
            m.drained_bytes = static_cast<double>(cm::read().live - base);
            if (map->size() != 0) std::snprintf(m.error, sizeof m.error, "erase left keys");
        }
    }
    m.destroyed_bytes = static_cast<double>(cm::read().live - base);
    return m;
}

// Runs measure<Map, Key>() in a child process and hands back what it found.
template <class Map, class Key>
measurement in_child() {
    int fds[2];
    if (pipe(fds) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        const measurement m = measure<Map, Key>();
        const ssize_t written = write(fds[1], &m, sizeof m);
        _exit(written == static_cast<ssize_t>(sizeof m) ? 0 : 1);
    }
    close(fds[1]);
    measurement m;
    const ssize_t got = read(fds[0], &m, sizeof m);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != static_cast<ssize_t>(sizeof m) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::snprintf(m.error, sizeof m.error, "the measuring process failed");
    }
    return m;
}

struct row {
    std::string name;
    bool string_keys;
    measurement m;
};
std::vector<row> rows;
bool failed = false;  // a measurement failed its check: exit non-zero

template <class Map, class Key>
void memory_body(benchmark::State& state) {
    measurement m;
    for (auto _ : state) m = in_child<Map, Key>();
    if (m.error[0] != '\0') {
        state.SkipWithError(m.error);
        failed = true;
        return;
    }
    const double n = static_cast<double>(entries);
    state.counters["bytes_per_entry"] = m.fill_bytes / n;
    state.counters["peak_bytes_per_entry"] = m.peak_bytes / n;
    if (m.drained_bytes >= 0) {
        state.counters["bytes_after_erase_all"] = m.drained_bytes;
        state.counters["after_erase_all_pct_of_peak"] = 100.0 * m.drained_bytes / m.peak_bytes;
    }
    state.counters["bytes_after_destroy"] = m.destroyed_bytes;
    rows.push_back({std::string(Map::name), std::is_same_v<Key, std::string>, m});
}

template <template <class> class... Adapters>
void register_all(map_list<Adapters...>, const std::vector<std::string>& wanted, bool u64_keys, bool string_keys) {
    auto one = [&]<template <class> class A, class Key>() {
        using Map = A<Key>;
        const std::string id = map_id(Map::name);
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), id) == wanted.end()) return;
        const std::string keys = std::is_same_v<Key, std::string> ? "/string" : "/u64";
        benchmark::RegisterBenchmark(("memory/" + id + keys).c_str(), memory_body<Map, Key>)
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
    };
    if (u64_keys) (one.template operator()<Adapters, std::uint64_t>(), ...);
    if (string_keys) (one.template operator()<Adapters, std::string>(), ...);
}

std::string table(bool markdown, bool string_keys) {
    std::ostringstream out;
    const double n = static_cast<double>(entries);
    const std::vector<std::string> header = {"map", "bytes/entry", "peak bytes/entry (growth)",
                                             "held after erase-all (W5)", "% of peak"};
    std::vector<std::vector<std::string>> lines;
    for (const row& r : rows) {
        if (r.string_keys != string_keys) continue;
        std::vector<std::string> line = {r.name, fixed(r.m.fill_bytes / n, 1), fixed(r.m.peak_bytes / n, 1)};
        if (r.m.drained_bytes >= 0) {
            line.push_back(fixed(r.m.drained_bytes / 1024.0, 0) + " KiB");
            line.push_back(fixed(100.0 * r.m.drained_bytes / r.m.peak_bytes, 1) + "%");
        } else {
            line.push_back("no thread-safe erase");
            line.push_back("-");
        }
        lines.push_back(std::move(line));
    }
    print_table(out, header, lines, markdown);
    return out.str();
}

}  // namespace
}  // namespace sink_bench

int main(int argc, char** argv) {
    using namespace sink_bench;
    std::vector<std::string> wanted;
    bool u64_keys = true, string_keys = true;
    std::string out_dir = "bench-results";
    std::vector<char*> rest = {argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--maps=", 0) == 0) {
            std::stringstream in(arg.substr(7));
            for (std::string id; std::getline(in, id, ',');) wanted.push_back(id);
        } else if (arg.rfind("--keys=", 0) == 0) {
            u64_keys = string_keys = false;
            std::stringstream in(arg.substr(7));
            for (std::string kind; std::getline(in, kind, ',');) {
                if (kind == "u64") {
                    u64_keys = true;
                } else if (kind == "string") {
                    string_keys = true;
                } else {
                    std::cerr << "--keys takes u64, string or both: " << arg << "\n";
                    return 2;
                }
            }
        } else if (arg.rfind("--entries=", 0) == 0) {
            entries = std::stoull(arg.substr(10));
        } else if (arg.rfind("--out=", 0) == 0) {
            out_dir = arg.substr(6);
        } else if (arg.rfind("--sink-grow=", 0) == 0) {
            sink_map_options().grow_on_insert_count = std::stoull(arg.substr(12));
        } else {
            rest.push_back(argv[i]);
        }
    }
    std::filesystem::create_directories(out_dir);
    register_all(all_maps{}, wanted, u64_keys, string_keys);
    int bench_argc = static_cast<int>(rest.size());
    benchmark::Initialize(&bench_argc, rest.data());
    if (benchmark::ReportUnrecognizedArguments(bench_argc, rest.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();

    std::ofstream md(out_dir + "/memory.md");
    if (u64_keys) {
        std::cout << "\n==== bytes held per entry, " << entries << " u64 keys and values (counting malloc, usable sizes) ====\n"
                  << table(false, false);
        md << table(true, false);
    }
    if (string_keys) {
        std::cout << "\n==== bytes held per entry, " << entries
                  << " std::string keys of 16-32 bytes and u64 values (counting malloc, usable sizes) ====\n"
                  << table(false, true);
        if (u64_keys) md << "\nThe same with std::string keys of 16 to 32 bytes (u64 values):\n\n";
        md << table(true, true);
    }
    std::ofstream dat(out_dir + "/memory.dat");  // the plot: u64 keys
    dat << "map\tbytes_per_entry\tpeak_bytes_per_entry\n";
    for (const row& r : rows) {
        if (r.string_keys) continue;
        dat << "\"" << r.name << "\"\t" << fixed(r.m.fill_bytes / static_cast<double>(entries), 2) << "\t"
            << fixed(r.m.peak_bytes / static_cast<double>(entries), 2) << "\n";
    }
    std::cout << "\ntable: " << out_dir << "/memory.md, plot data: " << out_dir << "/memory.dat\n";
    return failed ? 1 : 0;
}
