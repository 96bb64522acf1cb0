// Latency of sampled calls, in a log-linear histogram: 16 sub-buckets per
// power of two of nanoseconds, so a percentile is within about 6% of the
// true sample. One histogram per benchmark thread, written only by that
// thread during the run and read by thread 0 after Google Benchmark's end
// barrier (which orders the writes before the read).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace sink_bench {

class latency_histogram {
public:
    static constexpr unsigned sub_bits = 4;
    static constexpr unsigned sub_buckets = 1u << sub_bits;
    static constexpr unsigned bucket_count = 64 * sub_buckets;

    void clear() { counts_.fill(0); }

    void record(std::uint64_t ns) { ++counts_[index_of(ns)]; }

    void add(const latency_histogram& other) {
        for (unsigned i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
    }

    std::uint64_t total() const {
        std::uint64_t n = 0;
        for (std::uint64_t c : counts_) n += c;
        return n;
    }

    // The smallest recorded value v such that at least q of the samples are
    // <= v (reported as the upper edge of its bucket); 0 with no samples.
    double percentile(double q) const {
        const std::uint64_t n = total();
        if (n == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(n - 1)) + 1;
        std::uint64_t seen = 0;
        for (unsigned i = 0; i < bucket_count; ++i) {
            seen += counts_[i];
            if (seen >= rank) return static_cast<double>(upper_edge(i));
        }
        return static_cast<double>(upper_edge(bucket_count - 1));
    }

private:
    // Values below sub_buckets get one bucket each; above, the top sub_bits
    // bits after the leading one pick the sub-bucket of its power of two.
    static unsigned index_of(std::uint64_t v) {
        if (v < sub_buckets) return static_cast<unsigned>(v);
        const unsigned magnitude = 63u - static_cast<unsigned>(std::countl_zero(v));  // >= sub_bits
        const unsigned sub = static_cast<unsigned>(v >> (magnitude - sub_bits)) & (sub_buckets - 1);
        return std::min(bucket_count - 1, (magnitude - sub_bits + 1) * sub_buckets + sub);
    }
    static std::uint64_t upper_edge(unsigned i) {
        if (i < sub_buckets) return i;
        const unsigned magnitude = i / sub_buckets + sub_bits - 1;
        const std::uint64_t sub = i % sub_buckets;
        return ((sub_buckets + sub + 1) << (magnitude - sub_bits)) - 1;
    }

    std::array<std::uint64_t, bucket_count> counts_{};
};

}  // namespace sink_bench
