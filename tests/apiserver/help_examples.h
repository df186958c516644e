// The examples `kinspect <command> --help` shows, read from the built binary,
// and running them as a reader would: through bash, in a working directory of
// their own, with a time limit. For help_examples_test.cpp.
#pragma once

#include <sys/types.h>

#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace kinspect::help_examples {

struct Example {
  std::string command;  // "plugins list"
  std::string line;     // as shown, `\` continuations kept (bash reads them)
  // For a daemon example (the first of its command): the command's lines
  // that are not kinspect commands (`curl -s localhost:8080/...`), its clients.
  std::vector<std::string> clients;
  std::string name;          // the test's name, from the example's words
  bool is_kinspect = true;   // starts with `kinspect` (after VAR=value words)
  bool o_is_output = false;  // the command's -o is --output (not --format)
  bool runnable() const { return is_kinspect; }
  std::string one_line() const;  // continuations joined
};
void PrintTo(const Example& e, std::ostream* os);

// The commands `kinspect --help` lists ("run", "plugins list", ...).
std::vector<std::string> command_names(const std::string& kinspect);
// Every command's examples, in help order (read once, by the built binary).
const std::vector<Example>& all_examples();

// Daemon examples run until stopped (serve); timed ones watch for a set time (trace).
bool is_daemon(const Example& e);
bool is_timed(const Example& e);

// The files the example says it writes: `> FILE`, --output FILE, and -o FILE
// where -o means --output. Relative to its working directory.
std::vector<std::string> written_files(const Example& e);

// In the sandbox only, a daemon listens on a port the kernel picks (port 0;
// it prints the one it got), so that it never meets another daemon on 8080.
std::string with_free_port(const std::string& line);
// A client line's localhost:PORT made the daemon's real port.
std::string port_rewritten(const std::string& line, int port);
// Whether something answers HTTP (or HTTPS) on 127.0.0.1:port within `seconds`.
bool answers_http(int port, bool tls, int seconds);

struct Outcome {
  int exit_code = -1;
  std::string out, err;
  bool timed_out = false;
};

// `bash -c SCRIPT` in `dir` with exactly `env`, in a process group of its
// own; stdout and stderr go to files beside `dir`.
class Job {
 public:
  Job(const std::string& script, const std::string& dir, const std::vector<std::string>& env);
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string err() const;
  // The port of "listening on port N" on stderr; 0 when the job ended or
  // `seconds` passed first.
  int wait_for_port(int seconds);
  // Waits for the end; after `seconds` the group is killed (timed_out).
  Outcome wait(int seconds);

 private:
  bool reap(bool block);
  pid_t pid_ = -1;
  std::string dir_, out_file_, err_file_;
  bool done_ = false;
  int status_ = 0;
};

// Runs a script to its end (or kills it after `seconds`).
Outcome run_to_end(const std::string& script, const std::string& dir, const std::vector<std::string>& env, int seconds);

}  // namespace kinspect::help_examples
