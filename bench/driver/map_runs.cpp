#include "driver/map_runs.hpp"

#include <map>
#include <mutex>

namespace sink_bench {

run_budget& budget() {
    static run_budget b;
    return b;
}

run_state& shared_run() {
    static run_state s;
    return s;
}

prepared_map& prepared() {
    static prepared_map p;
    return p;
}

// Built by thread 0 before a run's start barrier, never changed afterwards.
const key_table& key_table::of(const workload& w) {
    static key_table none;
    static key_table strings;
    if (!w.string_keys) return none;
    if (strings.strings.size() < w.key_space) {
        strings.strings.clear();
        strings.strings.reserve(w.key_space);
        for (std::uint64_t k = 0; k < w.key_space; ++k) strings.strings.push_back(string_key(k));
    }
    return strings;
}

const std::vector<encoded_op>& stream_of(const workload& w, std::size_t length) {
    static std::map<std::string_view, std::vector<encoded_op>> streams;
    auto& stream = streams[w.id];
    if (stream.size() != length) stream = make_stream(w, length);
    return stream;
}

}  // namespace sink_bench
