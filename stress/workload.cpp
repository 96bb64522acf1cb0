#include "workload.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sink_stress {
namespace {

std::uint64_t splitmix(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

}  // namespace

rng::rng(std::uint64_t seed) noexcept {
    for (auto& s : s_) {
        s = splitmix(seed);
    }
}

std::uint64_t rng::next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) noexcept {
    std::uint64_t x = seed;
    std::uint64_t a = splitmix(x);
    x ^= purpose * 0x632be59bd9b4e019ULL;
    a ^= splitmix(x);
    x ^= index * 0x8cb92ba72f3d8dd7ULL;
    return a ^ splitmix(x);
}

key_chooser::key_chooser(distribution d, std::uint64_t keys, double zipf_s, double hot_fraction)
    : d_(d), keys_(std::max<std::uint64_t>(keys, 1)), hot_fraction_(hot_fraction) {
    if (d_ == distribution::zipf) {
        cdf_.resize(keys_);
        double sum = 0;
        for (std::uint64_t i = 0; i < keys_; ++i) {
            sum += 1.0 / std::pow(static_cast<double>(i + 1), zipf_s);
            cdf_[i] = sum;
        }
        for (auto& c : cdf_) {
            c /= sum;
        }
    }
}

std::uint64_t key_chooser::next(rng& r) const {
    switch (d_) {
        case distribution::uniform:
            return r.below(keys_);
        case distribution::hot:
            // Key 0 takes hot_fraction of the calls; the rest are uniform.
            return r.unit() < hot_fraction_ ? 0 : r.below(keys_);
        case distribution::zipf: {
            const double u = r.unit();
            const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
            return std::min<std::uint64_t>(static_cast<std::uint64_t>(it - cdf_.begin()), keys_ - 1);
        }
    }
    return 0;
}

const char* name(op_type t) noexcept {
    switch (t) {
        case op_type::load: return "load";
        case op_type::contains: return "contains";
        case op_type::find: return "find";
        case op_type::store: return "store";
        case op_type::load_or_store: return "load_or_store";
        case op_type::exchange: return "exchange";
        case op_type::compare_and_swap: return "compare_and_swap";
        case op_type::erase: return "erase";
        case op_type::load_and_erase: return "load_and_erase";
        case op_type::compare_and_erase: return "compare_and_erase";
        case op_type::update: return "update";
        case op_type::insert_or_assign: return "insert_or_assign";
        case op_type::erase_if: return "erase_if";
        case op_type::erase_if_all: return "erase_if_all";
        case op_type::range: return "range";
        case op_type::iterate: return "iterate";
        case op_type::clear: return "clear";
    }
    return "?";
}

op_mix op_mix::defaults() {
    op_mix m;
    auto set = [&m](op_type t, unsigned w) { m.weights_[static_cast<std::size_t>(t)] = w; };
    // Per 10,000 calls: walks and clears are rare because each one touches
    // every key (and a clear empties the map), the rest about evenly split
    // between reads and writes.
    set(op_type::load, 2000);
    set(op_type::contains, 600);
    set(op_type::find, 600);
    set(op_type::store, 1500);
    set(op_type::load_or_store, 800);
    set(op_type::exchange, 800);
    set(op_type::compare_and_swap, 800);
    set(op_type::erase, 1200);
    set(op_type::load_and_erase, 600);
    set(op_type::compare_and_erase, 600);
    set(op_type::update, 600);
    set(op_type::insert_or_assign, 600);
    set(op_type::erase_if, 600);
    set(op_type::range, 3);
    set(op_type::iterate, 3);
    set(op_type::clear, 1);
    set(op_type::erase_if_all, 1);
    return m;
}

op_mix op_mix::parse(const std::string& text) {
    if (text == "default") {
        return defaults();
    }
    op_mix m;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string item = text.substr(pos, comma - pos);
        pos = comma + 1;
        const std::size_t eq = item.find('=');
        if (eq == std::string::npos) {
            throw std::invalid_argument("--mix: expected name=weight, got '" + item + "'");
        }
        const std::string key = item.substr(0, eq);
        bool known = false;
        for (std::size_t i = 0; i < op_type_count; ++i) {
            if (key == name(static_cast<op_type>(i))) {
                m.weights_[i] = static_cast<unsigned>(std::stoul(item.substr(eq + 1)));
                known = true;
            }
        }
        if (!known) {
            throw std::invalid_argument("--mix: unknown call '" + key + "'");
        }
    }
    unsigned total = 0;
    for (unsigned w : m.weights_) {
        total += w;
    }
    if (total == 0) {
        throw std::invalid_argument("--mix: every weight is 0");
    }
    return m;
}

op_type op_mix::pick(rng& r) const {
    unsigned total = 0;
    for (unsigned w : weights_) {
        total += w;
    }
    std::uint64_t x = r.below(total);
    for (std::size_t i = 0; i < op_type_count; ++i) {
        if (x < weights_[i]) {
            return static_cast<op_type>(i);
        }
        x -= weights_[i];
    }
    return op_type::load;
}

op_mix op_mix::without(op_type t) const {
    op_mix m = *this;
    m.weights_[static_cast<std::size_t>(t)] = 0;
    return m;
}

std::string op_mix::describe() const {
    std::string s;
    for (std::size_t i = 0; i < op_type_count; ++i) {
        if (weights_[i] != 0) {
            s += (s.empty() ? "" : ",") + std::string(name(static_cast<op_type>(i))) + "=" +
                 std::to_string(weights_[i]);
        }
    }
    return s;
}

}  // namespace sink_stress
