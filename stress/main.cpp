// sink-stress: see options.cpp for the command line and docs/verification.md
// for what each check proves.
#include <cstdio>
#include <string>

#include "options.hpp"
#include "report.hpp"
#include "runs.hpp"

int main(int argc, char** argv) {
    using namespace sink_stress;
    const options o = parse_options(argc, argv);
    std::string rerun = std::string("rerun: ") + argv[0];
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--seed") {
            ++i;
            continue;
        }
        rerun += " " + a;
    }
    rerun += " --seed " + std::to_string(o.seed);
    set_rerun_hint(rerun);
    std::printf("sink-stress: seed %llu\n  %s\n", static_cast<unsigned long long>(o.seed), describe(o).c_str());
    std::fflush(stdout);

    run_figures f;
    if (o.string_keys && o.word_values) {
        std::fprintf(stderr, "sink-stress: --value word goes with int keys only\n");
        return 2;
    }
    if (o.string_keys) {
        f = o.string_values ? run_string_string(o) : run_string_int(o);
    } else {
        f = o.string_values ? run_int_string(o) : o.word_values ? run_int_word(o) : run_int_int(o);
    }
    std::fputs(summary(f, o.seed).c_str(), stdout);
    return 0;
}
