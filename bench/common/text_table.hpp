// The tables the benchmark executables print: aligned plain text for the
// terminal, or Markdown (numbers right-aligned) for the README.
#pragma once

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

namespace sink_bench {

inline std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// The first column is left-aligned (names), the others right-aligned.
inline void print_table(std::ostream& out, const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows, bool markdown) {
    std::vector<std::size_t> width(header.size(), 0);
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    auto line = [&](const std::vector<std::string>& row) {
        out << (markdown ? "| " : "  ");
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i) out << (markdown ? " | " : "  ");
            const std::string pad(width[i] > row[i].size() ? width[i] - row[i].size() : 0, ' ');
            out << (i ? pad + row[i] : row[i] + pad);
        }
        out << (markdown ? " |\n" : "\n");
    };
    line(header);
    if (markdown) {
        out << "|";
        for (std::size_t i = 0; i < header.size(); ++i) out << " " << (i ? "---:" : "---") << " |";
        out << "\n";
    }
    for (const auto& row : rows) line(row);
}

}  // namespace sink_bench
