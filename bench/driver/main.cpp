// sink-bench: sink and its peers on the workloads of docs/benchmarks.md, in
// one process, with one hash and one key stream. ./dev bench runs it.
//
//   sink-bench [--suite=default|full|smoke] [--out=DIR] [--maps=id,...]
//              [--workloads=W1,...] [--threads=1,2,...] [--repetitions=N]
//              [--calls=N] [--sink-grow=N] [--sink-grow-load=N] [Google Benchmark flags]
// --sink-grow sets sink's grow_on_insert_count (section length) for the run,
// --sink-grow-load its grow_min_load_percent (the load a grow needs).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "driver/map_runs.hpp"
#include "driver/report.hpp"
#include "driver/workload.hpp"
#include "maps/all_maps.hpp"

namespace sink_bench {
namespace {

struct selection {
    std::vector<std::string> maps;       // ids; empty: all
    std::vector<std::string> workloads;  // ids; empty: all
    std::vector<int> threads;
    int repetitions = 3;
};

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

bool selected(const std::vector<std::string>& list, const std::string& id) {
    return list.empty() || std::find(list.begin(), list.end(), id) != list.end();
}

template <template <class> class Adapter, class Key>
void register_one(const workload& w, const selection& sel) {
    using Map = Adapter<Key>;
    if (w.erases() && !Map::thread_safe_erase) return;
    if (w.upsert_pct > 0 && !atomic_upsert_of<Map>()) return;
    if (w.increment_pct > 0 && !atomic_increment_of<Map>()) return;
    const std::string name = std::string(w.id) + "/" + map_id(Map::name);
    benchmark::internal::Benchmark* b = nullptr;
    switch (w.shape) {
        case workload_shape::steady:
            b = benchmark::RegisterBenchmark(name.c_str(), [&w](benchmark::State& s) { steady_body<Map, Key>(s, w); });
            break;
        case workload_shape::fill:
            b = benchmark::RegisterBenchmark(name.c_str(), [&w](benchmark::State& s) { fill_body<Map, Key>(s, w); });
            break;
        case workload_shape::drain:
            b = benchmark::RegisterBenchmark(name.c_str(), [&w](benchmark::State& s) { drain_body<Map, Key>(s, w); });
            break;
    }
    b->Iterations(1)->Repetitions(sel.repetitions)->UseRealTime()->Unit(benchmark::kMillisecond);
    for (int t : sel.threads) {
        if (t == 1 || Map::concurrent) b->Threads(t);
    }
}

template <template <class> class Adapter>
void register_map(const selection& sel, std::vector<map_info>& shown) {
    using U64 = Adapter<std::uint64_t>;
    const std::string id = map_id(U64::name);
    if (!selected(sel.maps, id)) return;
    shown.push_back({id, std::string(U64::name), std::string(U64::note)});
    for (const workload& w : all_workloads()) {
        if (!selected(sel.workloads, std::string(w.id))) continue;
        if (w.string_keys) {
            if constexpr (string_keys_supported<Adapter>) register_one<Adapter, std::string>(w, sel);
        } else {
            register_one<Adapter, std::uint64_t>(w, sel);
        }
    }
}

template <template <class> class... Adapters>
std::vector<map_info> register_all(map_list<Adapters...>, const selection& sel) {
    std::vector<map_info> shown;
    (register_map<Adapters>(sel, shown), ...);
    return shown;
}

std::string machine_note() {
    std::string cpu = "unknown CPU";
    std::ifstream info("/proc/cpuinfo");
    for (std::string line; std::getline(info, line);) {
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    }
    std::ostringstream out;
    out << cpu << ", " << std::thread::hardware_concurrency() << " hardware threads, "
#if defined(__clang__)
        << "clang "
#else
        << "g++ "
#endif
        << __VERSION__ << ", CMAKE_BUILD_TYPE=Release (-O3)";
    return out.str();
}

}  // namespace
}  // namespace sink_bench

int main(int argc, char** argv) {
    using namespace sink_bench;
    selection sel;
    std::string suite = "default", out_dir = "bench-results";
    std::vector<char*> rest = {argv[0]};
    bool threads_given = false, calls_given = false, reps_given = false, maps_given = false, workloads_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](const char* flag) -> std::optional<std::string> {
            const std::string prefix = std::string(flag) + "=";
            if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
            return std::nullopt;
        };
        if (auto v = value("--suite")) {
            suite = *v;
        } else if (auto v = value("--out")) {
            out_dir = *v;
        } else if (auto v = value("--maps")) {
            sel.maps = split_list(*v), maps_given = true;
        } else if (auto v = value("--workloads")) {
            sel.workloads = split_list(*v), workloads_given = true;
        } else if (auto v = value("--threads")) {
            for (const auto& t : split_list(*v)) sel.threads.push_back(std::stoi(t));
            threads_given = true;
        } else if (auto v = value("--repetitions")) {
            sel.repetitions = std::stoi(*v), reps_given = true;
        } else if (auto v = value("--calls")) {
            budget().steady_calls = std::stoull(*v), calls_given = true;
        } else if (auto v = value("--sink-grow-load")) {
            sink_map_options().grow_min_load_percent = std::stoull(*v);
        } else if (auto v = value("--sink-grow")) {
            sink_map_options().grow_on_insert_count = std::stoull(*v);
        } else {
            rest.push_back(argv[i]);
        }
    }
    // The suites. default: the ./dev bench selection (about 5 minutes on 2
    // cores); full: everything; smoke: every map and workload, tiny, to check
    // that the harness runs (a CTest test).
    if (suite == "default") {
        if (!maps_given) sel.maps = {"sink", "libcds-splitlistmap", "tbb-concurrent-unordered-map"};
        if (!workloads_given) sel.workloads = {"R", "W1", "W2", "W3"};
        if (!threads_given) sel.threads = {1, 2};
    } else if (suite == "full") {
        if (!threads_given) sel.threads = {1, 2, 4, 8};
    } else if (suite == "smoke") {
        if (!threads_given) sel.threads = {2};
        if (!reps_given) sel.repetitions = 1;
        if (!calls_given) budget().steady_calls = 20'000;
        shrink_workloads(100);
    } else {
        std::cerr << "unknown suite '" << suite << "' (default, full or smoke)\n";
        return 2;
    }
    std::filesystem::create_directories(out_dir);

    process_scope libraries;  // libcds' one-time set-up, for the whole run
    std::vector<map_info> shown = register_all(all_maps{}, sel);
    if (shown.empty() || shown.front().id != "sink") {
        std::cerr << "sink must be among the selected maps: every ratio is sink's over a peer's\n";
        return 2;
    }
    int bench_argc = static_cast<int>(rest.size());
    benchmark::Initialize(&bench_argc, rest.data());
    if (benchmark::ReportUnrecognizedArguments(bench_argc, rest.data())) return 2;
    table_reporter reporter(shown, out_dir, machine_note());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    prepared().reset();  // every libcds container goes before libcds does
    benchmark::Shutdown();
    if (reporter.any_error()) {
        std::cerr << "sink-bench: some runs failed their checks (see the tables)\n";
        return 1;
    }
    return 0;
}
