#include "driver/workload.hpp"

#include <cmath>
#include <cstdio>
#include <random>

#include "common/key_hash.hpp"

namespace sink_bench {

namespace {

constexpr std::size_t million = 1'000'000;

// Zipf(theta) over ranks 0..n-1 by the method of Gray et al. ("Quickly
// generating billion-record synthetic databases", SIGMOD 1994), as YCSB does.
class zipf_ranks {
public:
    zipf_ranks(std::size_t n, double theta) : n_(static_cast<double>(n)), theta_(theta) {
        for (std::size_t i = 1; i <= n; ++i) zeta_n_ += 1.0 / std::pow(static_cast<double>(i), theta);
        const double zeta_2 = 1.0 + 1.0 / std::pow(2.0, theta);
        alpha_ = 1.0 / (1.0 - theta);
        eta_ = (1.0 - std::pow(2.0 / n_, 1.0 - theta)) / (1.0 - zeta_2 / zeta_n_);
    }
    template <class Rng>
    std::uint64_t operator()(Rng& rng) {
        const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
        const double uz = u * zeta_n_;
        if (uz < 1.0) return 0;
        if (uz < 1.0 + std::pow(0.5, theta_)) return 1;
        const auto rank = static_cast<std::uint64_t>(n_ * std::pow(eta_ * u - eta_ + 1.0, alpha_));
        return rank < static_cast<std::uint64_t>(n_) ? rank : static_cast<std::uint64_t>(n_) - 1;
    }

private:
    double n_, theta_, zeta_n_ = 0, alpha_ = 0, eta_ = 0;
};

}  // namespace

namespace {

std::size_t& size_divisor() {
    static std::size_t d = 1;
    return d;
}

// The smoke suite runs every workload at a fraction of its size.
std::vector<workload> scaled(std::vector<workload> list) {
    for (workload& w : list) {
        w.prefill /= size_divisor();
        w.key_space /= size_divisor();
    }
    return list;
}

}  // namespace

void shrink_workloads(std::size_t divisor) { size_divisor() = divisor; }

const std::vector<workload>& all_workloads() {
    using enum workload_shape;
    using enum key_choice;
    static const std::vector<workload> list = scaled({
        {"R", "read-only: find present keys, 1,000,000 keys", steady, false, million, 2 * million, present,
         100, 0, 0, 0, 0},
        // Right after R: increments change no key, so W8 shares R's map.
        {"W8", "counters: Zipf(0.99) keys, 100% increment of a present key, in a 1,000,000-key map", steady, false,
         million, 2 * million, present_zipf, 0, 0, 0, 0, 100},
        {"W1", "read-heavy: 90% find / 5% insert / 5% erase, 1,000,000 of 2,000,000 keys", steady, false, million,
         2 * million, uniform, 90, 5, 5, 0, 0},
        {"W7a", "skewed: Zipf(0.99) keys, 90% find / 5% insert / 5% erase, 1,000,000 of 2,000,000 keys", steady,
         false, million, 2 * million, zipf, 90, 5, 5, 0, 0},
        {"W2", "mixed: 50% find / 25% insert / 25% erase, 1,000,000 of 2,000,000 keys", steady, false, million,
         2 * million, uniform, 50, 25, 25, 0, 0},
        {"W7b", "one hot key: 50% find / 50% insert-or-replace, in a 1,000,000-key map", steady, false, million,
         2 * million, hot, 50, 0, 0, 50, 0},
        {"W4", "small, in cache: 90% find / 5% insert / 5% erase, 10,000 of 20,000 keys", steady, false, 10'000,
         20'000, uniform, 90, 5, 5, 0, 0},
        {"W6", "string keys (16-32 bytes): 90% find / 5% insert / 5% erase, 1,000,000 of 2,000,000", steady, true,
         million, 2 * million, uniform, 90, 5, 5, 0, 0},
        {"W3", "growth: insert 2,000,000 distinct keys into an empty map", fill, false, 0, 2 * million, uniform, 0,
         100, 0, 0, 0},
        {"W5", "shrink: erase all of 1,000,000 keys while the other threads find", drain, false, million,
         2 * million, present, 0, 0, 100, 0, 0},
    });
    return list;
}

std::vector<encoded_op> make_stream(const workload& w, std::size_t length) {
    std::mt19937_64 rng(0x5eed'0000 + std::hash<std::string_view>{}(w.id));
    std::uniform_int_distribution<std::uint64_t> any_key(0, w.key_space - 1);
    std::uniform_int_distribution<std::uint64_t> any_present(0, w.prefill > 0 ? w.prefill - 1 : 0);
    std::uniform_int_distribution<unsigned> percent(0, 99);
    std::size_t ranks = 1;  // zeta over a million ranks is worth skipping when unused
    if (w.choice == key_choice::zipf) ranks = w.key_space;
    if (w.choice == key_choice::present_zipf) ranks = w.prefill;
    zipf_ranks zipf(ranks, 0.99);
    std::vector<encoded_op> stream;
    stream.reserve(length);
    for (std::size_t i = 0; i < length; ++i) {
        std::uint64_t key = 0;
        switch (w.choice) {
            case key_choice::uniform: key = any_key(rng); break;
            case key_choice::present: key = 2 * any_present(rng); break;
            // Rank r is key (r * odd) mod key_space: a bijection (the constant
            // shares no factor with 2,000,000), so the hottest keys are
            // scattered over the space, half of them prefilled.
            case key_choice::zipf: key = (zipf(rng) * 2654435761ULL) % w.key_space; break;
            // The same over the prefilled keys (the constant is a prime above
            // any prefill, so this too is a bijection): every key is present.
            case key_choice::present_zipf: key = 2 * ((zipf(rng) * 2654435761ULL) % w.prefill); break;
            case key_choice::hot: key = 2 * (w.prefill / 2); break;  // a prefilled key
        }
        const unsigned p = percent(rng);
        op_kind kind = op_kind::find;
        if (p >= w.find_pct) kind = op_kind::insert;
        if (p >= w.find_pct + w.insert_pct) kind = op_kind::erase;
        if (p >= w.find_pct + w.insert_pct + w.erase_pct) kind = op_kind::upsert;
        if (p >= w.find_pct + w.insert_pct + w.erase_pct + w.upsert_pct) kind = op_kind::increment;
        stream.push_back(encoded_op::of(kind, key));
    }
    return stream;
}

std::string string_key(std::uint64_t k) {
    // The first 16 bytes are fmix64(k) in hex (a bijection, so distinct keys
    // get distinct strings, all differing early like real identifiers); a
    // filler brings the length to 16 + k % 17, so lengths spread over 16..32
    // and every key is longer than libstdc++'s small-string buffer (15).
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fmix64(k)));
    std::string s(hex, 16);
    s.append(static_cast<std::size_t>(k % 17), '.');
    return s;
}

}  // namespace sink_bench
