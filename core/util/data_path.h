// Where kinspect's own data (checks/, profiles/, schemas/) is found, for the
// parts that read it by default: next to an installed binary, in the
// configured install folder, or, for a binary run from its build tree, in the
// source tree.
#pragma once

#include <filesystem>
#include <string_view>

namespace kinspect {

// The first of <exe>/../share/kinspect/REL, <data dir>/REL and
// <source dir>/REL that exists; empty when none does.
std::filesystem::path bundled_data_path(std::string_view rel);

}  // namespace kinspect
