// Runs a shell command for end-to-end tests and captures what it printed.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace kinspect::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline CommandResult run_command(const std::string& cmd) {
  char tmpl[] = "/tmp/kinspect-test-stderr-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  CommandResult r;
  std::string full = "(" + cmd + ") 2>" + tmpl + " </dev/null";
  FILE* p = popen(full.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream f(tmpl);
  std::stringstream ss;
  ss << f.rdbuf();
  r.err = ss.str();
  std::remove(tmpl);
  return r;
}

// Quotes a string for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

}  // namespace kinspect::testing
