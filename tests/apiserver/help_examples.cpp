// Reading `--help` examples from the built binary and running them; see
// help_examples.h.
#include "help_examples.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/common/run_command.h"

namespace kinspect::help_examples {

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

struct Word {
  std::string text;
  bool quoted = false;
};

// Shell-like words: quotes group and are removed; an unquoted # starts a comment.
std::vector<Word> words_of(const std::string& line) {
  std::vector<Word> out;
  Word cur;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur.text += c;
    } else if (c == '\'' || c == '"') {
      quote = c, cur.quoted = in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(cur);
      cur = {}, in_word = false;
    } else if (c == '#' && !in_word) {
      break;
    } else {
      cur.text += c, in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

bool starts_kinspect(const std::string& line) {
  static const std::regex assignment("[A-Za-z_][A-Za-z0-9_]*=.*");
  for (const auto& w : words_of(line)) {
    if (!w.quoted && std::regex_match(w.text, assignment)) continue;
    return w.text == "kinspect";
  }
  return false;
}

// A gtest name: the example's words after `kinspect` (not its comment),
// [A-Za-z0-9_] only.
std::string name_of(const std::string& one_line, std::set<std::string>& taken) {
  std::string s;
  for (const auto& w : words_of(one_line)) s += (s.empty() && w.text == "kinspect" ? "" : w.text + " ");
  std::string n;
  for (char c : s) {
    bool ok = std::isalnum(static_cast<unsigned char>(c));
    if (ok) n += c;
    else if (!n.empty() && n.back() != '_') n += '_';
  }
  while (!n.empty() && n.back() == '_') n.pop_back();
  if (n.size() > 90) n.resize(90);
  std::string unique = n;
  for (int i = 2; !taken.insert(unique).second; ++i) unique = n + "_" + std::to_string(i);
  return unique;
}

// The lines under "Examples:", a line ending in `\` joined with the next.
std::vector<std::string> example_lines(const std::string& help) {
  std::vector<std::string> out;
  bool in = false, continued = false;
  for (const auto& raw : lines_of(help)) {
    if (raw == "Examples:") {
      in = true;
      continue;
    }
    std::string l = trim(raw);
    if (!in || l.empty()) continue;
    if (continued) out.back() += "\n" + l;
    else out.push_back(l);
    continued = l.back() == '\\';
  }
  return out;
}

std::vector<Example> examples_of(const std::string& kinspect, const std::string& command, std::set<std::string>& taken) {
  const std::string help = run_command(sh_quote(kinspect) + " " + command + " --help").out;
  const bool o_is_output = help.find("-o [ --output ]") != std::string::npos;
  std::vector<Example> out;
  std::vector<std::string> clients;
  for (const auto& line : example_lines(help)) {
    Example e;
    e.command = command;
    e.line = line;
    e.is_kinspect = starts_kinspect(line);
    e.o_is_output = o_is_output;
    if (!e.is_kinspect && is_daemon(e)) {
      clients.push_back(line);
      continue;
    }
    e.name = name_of(e.one_line(), taken);
    out.push_back(std::move(e));
  }
  if (!clients.empty()) {
    // The first daemon example serves them; with none they cannot run.
    auto daemon = std::find_if(out.begin(), out.end(), [](const Example& e) { return e.is_kinspect; });
    if (daemon != out.end()) daemon->clients = clients;
    for (const auto& c : clients)
      if (daemon == out.end()) out.push_back(Example{command, c, {}, name_of(c, taken), false, o_is_output});
  }
  return out;
}

}  // namespace

std::string Example::one_line() const { return std::regex_replace(line, std::regex(R"(\\\n\s*)"), ""); }

void PrintTo(const Example& e, std::ostream* os) { *os << '`' << e.one_line() << '`'; }

std::vector<std::string> command_names(const std::string& kinspect) {
  std::vector<std::string> names;
  bool in = false;
  for (const auto& l : lines_of(run_command(sh_quote(kinspect) + " --help").out)) {
    if (l == "Commands:") in = true;
    else if (in && l.empty()) break;
    else if (in && l.rfind("  ", 0) == 0) names.push_back(trim(l).substr(0, trim(l).find("  ")));
  }
  return names;
}

const std::vector<Example>& all_examples() {
  static const std::vector<Example> all = [] {
    std::vector<Example> v;
    std::set<std::string> taken;
    for (const auto& c : command_names(KINSPECT_BIN))
      for (auto& e : examples_of(KINSPECT_BIN, c, taken)) v.push_back(std::move(e));
    return v;
  }();
  return all;
}

bool is_daemon(const Example& e) { return e.command == "serve"; }
bool is_timed(const Example& e) { return e.command.rfind("trace ", 0) == 0; }

std::vector<std::string> written_files(const Example& e) {
  std::vector<std::string> files;
  auto w = words_of(e.one_line());
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    const std::string& t = w[i].text;
    bool output = !w[i].quoted && (t == ">" || t == "--output" || (t == "-o" && e.o_is_output));
    if (output) files.push_back(w[i + 1].text);
  }
  return files;
}

std::string with_free_port(const std::string& line) {
  static const std::regex listen(R"((--listen[ =]\S*):\d+)");
  if (std::regex_search(line, listen)) return std::regex_replace(line, listen, "$1:0");
  return line + " --listen 127.0.0.1:0";
}

std::string port_rewritten(const std::string& line, int port) {
  static const std::regex hostport(R"((localhost|127\.0\.0\.1|\[::1\]):\d+)");
  return std::regex_replace(line, hostport, "$1:" + std::to_string(port));
}

bool answers_http(int port, bool tls, int seconds) {
  const std::string url = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) + "/metrics";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = run_command("curl -s -k --max-time 2 -o /dev/null -w '%{http_code}' " + sh_quote(url));
    if (!r.out.empty() && r.out != "000") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

Job::Job(const std::string& script, const std::string& dir, const std::vector<std::string>& env)
    : dir_(dir), out_file_(dir + ".stdout"), err_file_(dir + ".stderr") {
  // Everything the child needs is made before fork: the test server's
  // threads may hold the allocator's lock at that moment.
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* argv[] = {"bash", "-c", script.c_str(), nullptr};
  pid_ = ::fork();
  if (pid_ != 0) return;
  ::setpgid(0, 0);
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
  ::dup2(in, 0), ::dup2(out, 1), ::dup2(err, 2);
  ::execve("/bin/bash", const_cast<char* const*>(argv), envp.data());
  ::_exit(127);
}

Job::~Job() {
  if (pid_ > 0 && !done_) {
    ::kill(-pid_, SIGKILL);
    reap(true);
  }
}

std::string Job::err() const { return slurp(err_file_); }

bool Job::reap(bool block) {
  if (done_) return true;
  if (::waitpid(pid_, &status_, block ? 0 : WNOHANG) == pid_) done_ = true;
  return done_;
}

int Job::wait_for_port(int seconds) {
  static const std::regex said(R"(listening on port (\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline && !reap(false)) {
    std::smatch m;
    std::string e = err();
    if (std::regex_search(e, m, said)) return std::stoi(m[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

Outcome Job::wait(int seconds) {
  Outcome o;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!reap(false) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!done_) {
    ::kill(-pid_, SIGKILL);
    reap(true);
    o.timed_out = true;
  }
  o.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  o.out = slurp(out_file_);
  o.err = err();
  return o;
}

Outcome run_to_end(const std::string& script, const std::string& dir, const std::vector<std::string>& env, int seconds) {
  Job job(script, dir, env);
  return job.wait(seconds);
}

}  // namespace kinspect::help_examples
