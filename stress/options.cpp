#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

namespace sink_stress {
namespace {

const char* const usage_text = R"(sink-stress: stress test of sink::concurrent_map with checked histories

usage: sink-stress [options]

  --scenario LIST     mixed, storm, stall or all (comma-separated; default mixed)
  --threads N|Nx      threads (Nx: N times the hardware threads; default 4)
  --keys N            key space of mixed phases (default 1024)
  --ops N             calls per thread per phase (default 20000)
  --phases N          mixed phases, each checked at its quiescent end (default 4)
  --mix SPEC          call weights, e.g. load=5,store=3,clear=1 ("default": every call)
                      calls: load contains find store load_or_store exchange
                      compare_and_swap erase load_and_erase compare_and_erase update
                      insert_or_assign erase_if range iterate clear erase_if_all
  --dist D            uniform, zipf[:S] (default S 0.99) or hot[:F] (key 0 takes
                      fraction F of the calls, default 0.5)
  --key int|string    key type (default int)
  --value int|string|word
                      value type (default int; int and string are wrapped in a
                      counted type; word is a plain u64 the map keeps in place,
                      with int keys only)
  --grow N            grow_on_insert_count (default 10, the map's)
  --shrink N          shrink_on_empty_count (default 2)
  --grow-amount N     grow_amount (default 1)
  --shrink-amount N   shrink_amount (default 2)
  --policy lazy|eager reclamation policy of the map's hazard-pointer domain
  --hash-bits N       the map's hash keeps N bits (0 to 64, default 64): 2^N
                      distinct hash values, so keys collide in groups of equal
                      order (0: every key in one group)
  --seed N            run seed (default: random; always printed)
  --storms N          fill/drain cycles of the storm scenario (default 2)
  --storm-keys N      keys each storm grows to (default 20000)
  --stall-sites LIST  insert,replace,erase,compaction,install,resize,shrink,
                      claim_release,step,plain_yield,plain_front,
                      cut_retire,iterate (default all)
  --stall-rounds N    times every stall site is visited (default 1)
  --stall-ops N       calls the other threads must complete while one is frozen
                      (default 2000)
  --sample-every N    one garbage-backlog sample per N calls of a thread (default 64)
  --max-states N      search budget per key of the linearizability check
  --verbose           a line per phase

Every check that fails prints "CHECK FAILED [<name>]" with a report and exits 1.
)";

[[noreturn]] void usage_error(const std::string& what) {
    std::fprintf(stderr, "sink-stress: %s\n\n%s", what.c_str(), usage_text);
    std::exit(2);
}

std::uint64_t number(const std::string& flag, const std::string& text) {
    try {
        std::size_t used = 0;
        const unsigned long long v = std::stoull(text, &used, 0);
        if (used != text.size()) {
            throw std::invalid_argument(text);
        }
        return v;
    } catch (const std::exception&) {
        usage_error(flag + ": not a number: '" + text + "'");
    }
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        if (comma > pos) {
            parts.push_back(text.substr(pos, comma - pos));
        }
        pos = comma + 1;
    }
    return parts;
}

bool type_flag(const std::string& flag, const std::string& text) {
    if (text == "int") {
        return false;
    }
    if (text == "string") {
        return true;
    }
    usage_error(flag + ": int or string, not '" + text + "'");
}

}  // namespace

const char* name(stall_site s) noexcept {
    switch (s) {
        case stall_site::insert: return "insert";
        case stall_site::replace: return "replace";
        case stall_site::erase: return "erase";
        case stall_site::compaction: return "compaction";
        case stall_site::install: return "install";
        case stall_site::resize: return "resize";
        case stall_site::shrink: return "shrink";
        case stall_site::claim_release: return "claim_release";
        case stall_site::step: return "step";
        case stall_site::plain_yield: return "plain_yield";
        case stall_site::plain_front: return "plain_front";
        case stall_site::cut_retire: return "cut_retire";
        case stall_site::iterate: return "iterate";
    }
    return "?";
}

std::optional<stall_site> parse_stall_site(const std::string& text) {
    for (std::size_t i = 0; i < stall_site_count; ++i) {
        if (text == name(static_cast<stall_site>(i))) {
            return static_cast<stall_site>(i);
        }
    }
    return std::nullopt;
}

options parse_options(int argc, char** argv) {
    options o;
    bool seeded = false;
    for (std::size_t i = 0; i < stall_site_count; ++i) {
        o.stall_sites.push_back(static_cast<stall_site>(i));
    }
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::fputs(usage_text, stdout);
            std::exit(0);
        }
        if (flag == "--verbose") {
            o.verbose = true;
            continue;
        }
        if (i + 1 >= argc) {
            usage_error(flag + ": needs a value (or is unknown)");
        }
        const std::string v = argv[++i];
        if (flag == "--scenario") {
            o.scenarios.clear();
            for (const auto& s : split(v)) {
                if (s == "all") {
                    o.scenarios = {scenario::mixed, scenario::storm, scenario::stall};
                } else if (s == "mixed") {
                    o.scenarios.push_back(scenario::mixed);
                } else if (s == "storm") {
                    o.scenarios.push_back(scenario::storm);
                } else if (s == "stall") {
                    o.scenarios.push_back(scenario::stall);
                } else {
                    usage_error("--scenario: unknown '" + s + "'");
                }
            }
        } else if (flag == "--threads") {
            if (!v.empty() && v.back() == 'x') {
                const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
                o.threads = static_cast<unsigned>(number(flag, v.substr(0, v.size() - 1))) * hw;
            } else {
                o.threads = static_cast<unsigned>(number(flag, v));
            }
            if (o.threads == 0 || o.threads > 4096) {
                usage_error("--threads: between 1 and 4096");
            }
        } else if (flag == "--keys") {
            o.keys = std::max<std::uint64_t>(1, number(flag, v));
        } else if (flag == "--ops") {
            o.ops = number(flag, v);
        } else if (flag == "--phases") {
            o.phases = static_cast<unsigned>(number(flag, v));
        } else if (flag == "--mix") {
            try {
                o.mix = op_mix::parse(v);
            } catch (const std::exception& e) {
                usage_error(e.what());
            }
        } else if (flag == "--dist") {
            const std::size_t colon = v.find(':');
            const std::string kind = v.substr(0, colon);
            const bool has_param = colon != std::string::npos;
            const double param = has_param ? std::strtod(v.c_str() + colon + 1, nullptr) : 0.0;
            if (kind == "uniform") {
                o.dist = distribution::uniform;
            } else if (kind == "zipf") {
                o.dist = distribution::zipf;
                o.zipf_s = has_param ? param : 0.99;
            } else if (kind == "hot") {
                o.dist = distribution::hot;
                o.hot_fraction = has_param ? param : 0.5;
            } else {
                usage_error("--dist: uniform, zipf[:S] or hot[:F], not '" + v + "'");
            }
        } else if (flag == "--key") {
            o.string_keys = type_flag(flag, v);
        } else if (flag == "--value") {
            o.word_values = v == "word";
            o.string_values = !o.word_values && type_flag(flag, v);
        } else if (flag == "--grow") {
            o.grow_on_insert = number(flag, v);
        } else if (flag == "--shrink") {
            o.shrink_on_empty = number(flag, v);
        } else if (flag == "--grow-amount") {
            o.grow_amount = static_cast<unsigned>(number(flag, v));
        } else if (flag == "--shrink-amount") {
            o.shrink_amount = static_cast<unsigned>(number(flag, v));
        } else if (flag == "--hash-bits") {
            const std::uint64_t bits = number(flag, v);
            if (bits > 64) {
                usage_error("--hash-bits: between 0 and 64");
            }
            o.hash_bits = static_cast<unsigned>(bits);
        } else if (flag == "--policy") {
            if (v != "lazy" && v != "eager") {
                usage_error("--policy: lazy or eager");
            }
            o.eager = v == "eager";
        } else if (flag == "--seed") {
            o.seed = number(flag, v);
            seeded = true;
        } else if (flag == "--storms") {
            o.storms = static_cast<unsigned>(number(flag, v));
        } else if (flag == "--storm-keys") {
            o.storm_keys = std::max<std::uint64_t>(16, number(flag, v));
        } else if (flag == "--stall-sites") {
            o.stall_sites.clear();
            for (const auto& s : split(v)) {
                const auto site = parse_stall_site(s);
                if (!site) {
                    usage_error("--stall-sites: unknown site '" + s + "'");
                }
                o.stall_sites.push_back(*site);
            }
        } else if (flag == "--stall-rounds") {
            o.stall_rounds = static_cast<unsigned>(number(flag, v));
        } else if (flag == "--stall-ops") {
            o.stall_ops = number(flag, v);
        } else if (flag == "--sample-every") {
            o.sample_every = std::max<std::uint64_t>(1, number(flag, v));
        } else if (flag == "--max-states") {
            o.max_states = number(flag, v);
        } else {
            usage_error("unknown option " + flag);
        }
    }
    if (!seeded) {
        std::random_device rd;
        o.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }
    return o;
}

std::string describe(const options& o) {
    std::string s = "threads " + std::to_string(o.threads) + ", keys " + std::to_string(o.keys) + " (" +
                    (o.string_keys ? "string" : "int") + " keys, " + (o.string_values ? "string" : o.word_values ? "word" : "int") +
                    " values), " + std::to_string(o.ops) + " calls per thread per phase, dist ";
    switch (o.dist) {
        case distribution::uniform: s += "uniform"; break;
        case distribution::zipf: s += "zipf:" + std::to_string(o.zipf_s); break;
        case distribution::hot: s += "hot:" + std::to_string(o.hot_fraction); break;
    }
    s += ", map grow " + std::to_string(o.grow_on_insert) + "/+" + std::to_string(o.grow_amount) + " shrink " +
         std::to_string(o.shrink_on_empty) + "/-" + std::to_string(o.shrink_amount) + ", policy " +
         (o.eager ? "eager" : "lazy") +
         (o.hash_bits < 64 ? ", hash keeps " + std::to_string(o.hash_bits) + " bits" : std::string()) + "\n  mix " +
         o.mix.describe();
    return s;
}

}  // namespace sink_stress
