// Helpers for tests that run outside tools (python3, chromium).
#pragma once

#include <string>

#include "tests/common/run_command.h"

namespace kinspect::report::testing {

// True if the command exits 0 (output discarded).
inline bool command_works(const std::string& cmd) {
  return kinspect::testing::run_command(cmd + " >/dev/null 2>&1").exit_code == 0;
}

inline const char* kPython = "/usr/bin/python3";

inline bool python_has(const std::string& module) {
  return command_works(std::string(kPython) + " -c 'import " + module + "'");
}

}  // namespace kinspect::report::testing
