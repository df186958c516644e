// The KCQL examples of a Markdown page: ```kcql blocks are queries (a
// `-- => rows` line gives the rows they return over the fixture cluster),
// ```kcql-check blocks are check files. Read by tests/kcql/docs_test.cpp
// (the fixtures) and tests/checks/docs_test.cpp (the real driver schemas).
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kinspect::docs_test {

struct Example {
  std::string lang;  // "kcql" or "kcql-check"
  std::string text;
  int line = 0;  // of the block's first line in the page
  // The text preceded by as many newlines as lines come before it in the
  // page, so that a parse or bind error names the page's own line.
  std::string at_page_lines() const { return std::string(size_t(line - 1), '\n') + text; }
};

inline std::vector<Example> examples_of(const std::string& page) {
  std::ifstream file(page);
  std::stringstream all;
  all << file.rdbuf();
  std::vector<Example> out;
  std::istringstream in(all.str());
  std::string line;
  int n = 0;
  Example* open = nullptr;
  while (std::getline(in, line)) {
    ++n;
    if (!open && (line == "```kcql" || line == "```kcql-check")) {
      out.push_back({line.substr(3), "", n + 1});
      open = &out.back();
    } else if (open && line == "```") {
      open = nullptr;
    } else if (open) {
      open->text += line + "\n";
    }
  }
  return out;
}

// The rows a query example states after `-- => `, or "" when it states none.
inline std::string expected_rows(const Example& e) {
  auto at = e.text.find("-- => ");
  if (at == std::string::npos) return "";
  return e.text.substr(at + 6, e.text.find('\n', at) - at - 6);
}

}  // namespace kinspect::docs_test
