// How a failed check is reported: one line naming the check (the fault
// tests match on it), the details, and how to rerun the same run.
#pragma once

#include <string>

namespace sink_stress {

// The command line and seed to print with any failure.
void set_rerun_hint(std::string hint);

// Prints "sink-stress: CHECK FAILED [<check>]", the details and the rerun
// hint, and ends the process with exit code 1 at once (other threads may
// still be running; nothing is cleaned up). Safe to call from any thread;
// the first caller wins.
[[noreturn]] void fail(const char* check, const std::string& details);

}  // namespace sink_stress
