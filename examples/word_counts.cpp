// Several threads count words into one sink::concurrent_map, while another
// thread reads the counts as they change. Shows store-free counting with
// load_or_store + compare_and_swap, find handles, and range.
#include <sink/concurrent_map.hpp>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
    sink::concurrent_map<std::string, long> counts;
    const std::vector<std::string> words = {"lock", "free", "map", "sink", "hazard", "pointer"};

    auto count = [&counts](const std::string& word) {
        for (;;) {
            auto [current, existed] = counts.load_or_store(word, 1);
            if (!existed || counts.compare_and_swap(word, current, current + 1)) {
                return;
            }
        }
    };

    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < 10000; ++i) {
                count(words[static_cast<std::size_t>(i + t) % words.size()]);
            }
        });
    }
    std::thread reader([&] {
        for (int i = 0; i < 100; ++i) {
            if (auto h = counts.find("sink")) {
                (void)*h;  // the value stays valid while h lives, even if replaced
            }
        }
    });
    for (auto& w : writers) {
        w.join();
    }
    reader.join();

    long total = 0;
    counts.range([&](const std::string& word, long n) {
        std::printf("%-8s %ld\n", word.c_str(), n);
        total += n;
        return true;
    });
    std::printf("total    %ld\n", total);
    return total == 40000 ? 0 : 1;
}
