#include "kubeconfig.h"

#include <boost/json.hpp>
#include <kinspect/abi.h>

#include "common/time.h"
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <openssl/evp.h>

#include <stdexcept>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace kapi {

std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0, pad = 0, n = 0;
  for (unsigned char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;  // data after padding
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++n;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (n % 4 == 1 || pad > 2) return std::nullopt;
  return out;
}

std::string redact_url(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  size_t at = url.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, start)) + "xxxxx" + std::string(url.substr(start + at));
}

void check_header_safe(std::string_view value, const std::string& source) {
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f)
      throw std::runtime_error(source + " contains " +
                               (c == '\r' || c == '\n' ? std::string("a line break (CR or LF)")
                                                        : std::string("a control character")) +
                               ": refusing to send it in an HTTP header");
}

std::string display_path(const std::string& p) {
  const char* home = std::getenv("HOME");
  if (home && *home) {
    std::string h = home;
    if (h.back() == '/') h.pop_back();
    if (p.size() > h.size() && p.compare(0, h.size(), h) == 0 && p[h.size()] == '/') return "~" + p.substr(h.size());
  }
  return p;
}

namespace {
boost::json::object exec_to_json(const ExecConfig& e) {
  boost::json::array args(e.args.begin(), e.args.end()), env;
  for (const auto& [k, v] : e.env) env.push_back(boost::json::array{boost::json::string(k), boost::json::string(v)});
  return {{"command", e.command}, {"args", std::move(args)}, {"env", std::move(env)},
          {"api_version", e.api_version}, {"provide_cluster_info", e.provide_cluster_info},
          {"install_hint", e.install_hint}, {"interactive_mode", e.interactive_mode}, {"where", e.where}};
}

ExecConfig exec_from_json(const boost::json::object& o) {
  using boost::json::value_to;
  ExecConfig e;
  e.command = value_to<std::string>(o.at("command"));
  e.args = value_to<std::vector<std::string>>(o.at("args"));
  for (const auto& kv : o.at("env").as_array())
    e.env.emplace_back(value_to<std::string>(kv.as_array().at(0)), value_to<std::string>(kv.as_array().at(1)));
  e.api_version = value_to<std::string>(o.at("api_version"));
  e.provide_cluster_info = o.at("provide_cluster_info").as_bool();
  e.install_hint = value_to<std::string>(o.at("install_hint"));
  e.interactive_mode = value_to<std::string>(o.at("interactive_mode"));
  e.where = value_to<std::string>(o.at("where"));
  return e;
}

// Every text member of Connection, by name, for both directions.
template <class C, class Fn>
void for_each_text(C& c, Fn fn) {
  fn("server", c.server), fn("ca_pem", c.ca_pem), fn("tls_server_name", c.tls_server_name);
  fn("proxy_url", c.proxy_url), fn("client_cert_pem", c.client_cert_pem), fn("client_key_pem", c.client_key_pem);
  fn("token", c.token), fn("token_file", c.token_file), fn("username", c.username), fn("password", c.password);
  fn("context", c.context), fn("cluster_name", c.cluster_name), fn("user_name", c.user_name), fn("origin", c.origin);
}
}  // namespace

std::string connection_to_text(const Connection& c) {
  boost::json::object o;
  for_each_text(c, [&](const char* k, const std::string& v) { o[k] = v; });
  o["insecure"] = c.insecure;
  if (c.exec) o["exec"] = exec_to_json(*c.exec);
  return boost::json::serialize(o);
}

Connection connection_from_text(std::string_view text) {
  boost::json::object o = boost::json::parse(text).as_object();
  Connection c;
  for_each_text(c, [&](const char* k, std::string& v) { v = boost::json::value_to<std::string>(o.at(k)); });
  c.insecure = o.at("insecure").as_bool();
  if (const auto* e = o.if_contains("exec")) c.exec = exec_from_json(e->as_object());
  return c;
}

std::string read_config_file(const std::string& path, const std::string& what, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // a FIFO: no wait for a writer
  std::string prefix = what.empty() ? std::string() : what + ": ";
  if (fd < 0) throw std::runtime_error(prefix + "cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0) why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "not a regular file (a FIFO or a device?)";
  else if (static_cast<size_t>(st.st_size) > max_bytes)
    why = "larger than " + std::to_string(max_bytes >> 20) + " MiB, more than any real one";
  std::string text;
  if (why.empty()) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    ssize_t n;
    while (got < text.size() && ((n = ::read(fd, text.data() + got, text.size() - got)) > 0 || (n < 0 && errno == EINTR)))
      if (n > 0) got += static_cast<size_t>(n);
    text.resize(got);
  }
  ::close(fd);
  if (!why.empty()) throw std::runtime_error(prefix + path + " is " + why);
  return text;
}

namespace {

std::string read_file(const std::string& path, const std::string& what) { return read_config_file(path, what); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> v;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t e = s.find(':', pos);
    if (e == std::string::npos) e = s.size();
    if (e > pos) v.push_back(s.substr(pos, e - pos));
    pos = e + 1;
  }
  return v;
}

std::string expand_home(const std::string& p) {
  if (p.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home) return std::string(home) + p.substr(1);
  }
  return p;
}

// One named entry (cluster, user or context) and where it came from.
struct Entry {
  YAML::Node node;  // the inner "cluster"/"user"/"context" map
  std::string file;  // display path
  std::string dir;   // for relative paths
  std::string where;  // "users[2].user"
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::vector<std::string> files;
};

[[noreturn]] void field_error(const Entry& e, const std::string& field, const std::string& problem) {
  throw std::runtime_error(e.file + ": field '" + e.where + (field.empty() ? "" : "." + field) + "': " + problem);
}

void load_file(const std::string& path, Merged& m) {
  std::string disp = display_path(path);
  YAML::Node root;
  std::string text = read_config_file(path, "kubeconfig");
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(disp + ": invalid YAML: " + e.what());
  }
  m.files.push_back(disp);
  if (!root || root.IsNull()) return;
  if (!root.IsMap()) throw std::runtime_error(disp + ": not a kubeconfig (expected a YAML mapping)");
  std::string dir = fs::absolute(fs::path(path)).parent_path().string();
  auto section = [&](const char* key, const char* inner, std::map<std::string, Entry>& into) {
    YAML::Node list = root[key];
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) throw std::runtime_error(disp + ": field '" + std::string(key) + "': expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      YAML::Node item = list[i];
      std::string where = std::string(key) + "[" + std::to_string(i) + "]";
      if (!item.IsMap()) throw std::runtime_error(disp + ": field '" + where + "': expected a mapping");
      YAML::Node name = item["name"];
      if (!name || !name.IsScalar() || name.Scalar().empty())
        throw std::runtime_error(disp + ": field '" + where + ".name': missing");
      YAML::Node in = item[inner];
      if (in && !in.IsNull() && !in.IsMap())
        throw std::runtime_error(disp + ": field '" + where + "." + inner + "': expected a mapping");
      // kubectl: the first file to set a key wins.
      if (!into.count(name.Scalar())) into[name.Scalar()] = Entry{in ? in : YAML::Node(YAML::NodeType::Map), disp, dir, where + "." + inner};
    }
  };
  section("clusters", "cluster", m.clusters);
  section("users", "user", m.users);
  section("contexts", "context", m.contexts);
  if (m.current_context.empty()) {
    YAML::Node cc = root["current-context"];
    if (cc && cc.IsScalar()) m.current_context = cc.Scalar();
  }
}

std::string str(const Entry& e, const char* key) {
  YAML::Node n = e.node[key];
  if (!n || n.IsNull()) return {};
  if (!n.IsScalar()) field_error(e, key, "expected a string");
  return n.Scalar();
}

bool boolean(const Entry& e, const char* key) {
  YAML::Node n = e.node[key];
  if (!n || n.IsNull()) return false;
  if (!n.IsScalar()) field_error(e, key, "expected true or false");
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  field_error(e, key, "expected true or false, got '" + s + "'");
}

std::string rel(const Entry& e, const std::string& p) {
  if (p.empty()) return p;
  std::string x = expand_home(p);
  if (fs::path(x).is_absolute()) return x;
  return (fs::path(e.dir) / x).string();
}

// "<key>-data" (base64, inline) or "<key>" (file path).
std::string data_or_file(const Entry& e, const std::string& key) {
  std::string data = str(e, (key + "-data").c_str());
  if (!data.empty()) {
    auto d = base64_decode(data);
    if (!d) field_error(e, key + "-data", "invalid base64");
    return *d;
  }
  std::string file = str(e, key.c_str());
  if (file.empty()) return {};
  std::string path = rel(e, file);
  try {
    return read_config_file(path, "");
  } catch (const std::exception& x) {
    field_error(e, key, x.what());
  }
}

void check_pem(const Entry& e, const std::string& field, const std::string& pem, const char* marker) {
  if (!pem.empty() && pem.find(marker) == std::string::npos)
    field_error(e, field, std::string("not PEM data (no '") + marker + "' block)");
}

std::optional<Connection> in_cluster(const ResolveOptions& o, const LogFn& log) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) return std::nullopt;
  Connection c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  c.server = "https://" + h + ":" + port;
  std::string dir = o.service_account_dir;
  c.token_file = dir + "/token";
  if (!fs::exists(c.token_file))
    throw std::runtime_error("in-cluster: KUBERNETES_SERVICE_HOST is set but " + c.token_file + " does not exist");
  std::string ca = dir + "/ca.crt";
  if (fs::exists(ca)) c.ca_pem = read_file(ca, "in-cluster");
  c.origin = "in-cluster service account (" + dir + ")";
  c.context = "in-cluster";
  return c;
}

}  // namespace

std::optional<Connection> resolve_connection(const ResolveOptions& o, const LogFn& log) {
  std::vector<std::string> files;
  bool explicit_ = false;
  if (!o.kubeconfig.empty()) {
    for (auto& f : split_list(o.kubeconfig)) files.push_back(expand_home(f));
    explicit_ = true;
  } else if (const char* kc = std::getenv("KUBECONFIG"); kc && *kc) {
    for (auto& f : split_list(kc)) files.push_back(expand_home(f));
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    std::string def = std::string(home) + "/.kube/config";
    if (fs::exists(def)) files.push_back(def);
  }
  Merged m;
  for (const auto& f : files) {
    if (!fs::exists(f)) {
      if (explicit_ && files.size() == 1) throw std::runtime_error("kubeconfig not found: " + display_path(f));
      continue;  // kubectl ignores missing files of a KUBECONFIG list
    }
    log(KI_LOG_DEBUG, "reading kubeconfig " + display_path(f));
    load_file(f, m);
  }
  if (m.files.empty()) return in_cluster(o, log);

  std::string files_desc;
  for (const auto& f : m.files) files_desc += (files_desc.empty() ? "" : ":") + f;
  std::string ctx_name = o.context.empty() ? m.current_context : o.context;
  if (ctx_name.empty())
    throw std::runtime_error("kubeconfig " + files_desc + " has no current-context; pass --context");
  auto ci = m.contexts.find(ctx_name);
  if (ci == m.contexts.end()) throw std::runtime_error("context '" + ctx_name + "' not found in kubeconfig " + files_desc);
  const Entry& ctx = ci->second;
  std::string cluster_name = str(ctx, "cluster");
  std::string user_name = str(ctx, "user");
  if (cluster_name.empty()) field_error(ctx, "cluster", "missing");
  auto cli = m.clusters.find(cluster_name);
  if (cli == m.clusters.end())
    throw std::runtime_error(ctx.file + ": field '" + ctx.where + ".cluster': cluster '" + cluster_name +
                             "' not found in kubeconfig " + files_desc);
  const Entry& cl = cli->second;

  Connection c;
  c.context = ctx_name;
  c.cluster_name = cluster_name;
  c.user_name = user_name;
  c.origin = "kubeconfig " + files_desc + ", context " + ctx_name;
  c.server = str(cl, "server");
  if (c.server.empty()) field_error(cl, "server", "missing");
  if (c.server.rfind("https://", 0) != 0 && c.server.rfind("http://", 0) != 0)
    field_error(cl, "server", "expected an https:// URL, got '" + redact_url(c.server) + "'");
  c.insecure = boolean(cl, "insecure-skip-tls-verify");
  c.tls_server_name = str(cl, "tls-server-name");
  c.proxy_url = str(cl, "proxy-url");
  c.ca_pem = data_or_file(cl, "certificate-authority");
  check_pem(cl, str(cl, "certificate-authority-data").empty() ? "certificate-authority" : "certificate-authority-data",
            c.ca_pem, "-----BEGIN CERTIFICATE-----");

  if (!user_name.empty()) {
    auto ui = m.users.find(user_name);
    if (ui == m.users.end())
      throw std::runtime_error(ctx.file + ": field '" + ctx.where + ".user': user '" + user_name +
                               "' not found in kubeconfig " + files_desc);
    const Entry& u = ui->second;
    c.client_cert_pem = data_or_file(u, "client-certificate");
    c.client_key_pem = data_or_file(u, "client-key");
    const char* cert_field = str(u, "client-certificate-data").empty() ? "client-certificate" : "client-certificate-data";
    const char* key_field = str(u, "client-key-data").empty() ? "client-key" : "client-key-data";
    check_pem(u, cert_field, c.client_cert_pem, "-----BEGIN CERTIFICATE-----");
    check_pem(u, key_field, c.client_key_pem, "PRIVATE KEY-----");
    if (c.client_cert_pem.empty() != c.client_key_pem.empty())
      field_error(u, c.client_cert_pem.empty() ? cert_field : key_field,
                  "missing (client-certificate and client-key go together)");
    c.token = str(u, "token");
    check_header_safe(c.token, u.file + ": field '" + u.where + ".token'");
    std::string tf = str(u, "tokenFile");
    if (!tf.empty()) {
      c.token_file = rel(u, tf);
      if (!fs::exists(c.token_file)) field_error(u, "tokenFile", "cannot read " + c.token_file);
    }
    c.username = str(u, "username");
    c.password = str(u, "password");
    if (YAML::Node ex = u.node["exec"]; ex && !ex.IsNull()) {
      Entry e{ex, u.file, u.dir, u.where + ".exec"};
      if (!ex.IsMap()) field_error(u, "exec", "expected a mapping");
      ExecConfig x;
      x.where = u.file + ": " + e.where;
      x.command = str(e, "command");
      if (x.command.empty()) field_error(e, "command", "missing");
      if (x.command.find('/') != std::string::npos) x.command = rel(e, x.command);
      x.api_version = str(e, "apiVersion");
      if (x.api_version.empty()) field_error(e, "apiVersion", "missing");
      if (x.api_version != "client.authentication.k8s.io/v1" && x.api_version != "client.authentication.k8s.io/v1beta1")
        field_error(e, "apiVersion", "unsupported '" + x.api_version +
                                         "' (want client.authentication.k8s.io/v1 or v1beta1)");
      if (YAML::Node args = ex["args"]; args && !args.IsNull()) {
        if (!args.IsSequence()) field_error(e, "args", "expected a list");
        for (const auto& a : args) x.args.push_back(a.Scalar());
      }
      if (YAML::Node env = ex["env"]; env && !env.IsNull()) {
        if (!env.IsSequence()) field_error(e, "env", "expected a list");
        size_t i = 0;
        for (const auto& kv : env) {
          if (!kv.IsMap() || !kv["name"]) field_error(e, "env[" + std::to_string(i) + "].name", "missing");
          x.env.emplace_back(kv["name"].Scalar(), kv["value"] ? kv["value"].Scalar() : "");
          ++i;
        }
      }
      x.provide_cluster_info = boolean(e, "provideClusterInfo");
      x.install_hint = str(e, "installHint");
      x.interactive_mode = str(e, "interactiveMode");
      if (!x.interactive_mode.empty() && x.interactive_mode != "Never" && x.interactive_mode != "IfAvailable" &&
          x.interactive_mode != "Always")
        field_error(e, "interactiveMode", "expected Never, IfAvailable or Always, got '" + x.interactive_mode + "'");
      c.exec = std::move(x);
    }
    if (YAML::Node ap = u.node["auth-provider"]; ap && !ap.IsNull())
      field_error(u, "auth-provider", "auth-provider plugins were removed from kubectl 1.26; use an exec plugin");
  }
  if (c.insecure && log)
    log(1, "insecure-skip-tls-verify is set for cluster '" + cluster_name + "': the server's certificate is NOT verified");
  return c;
}

namespace {

struct CredentialProcess {
  int status = 0;
  bool timed_out = false;
  std::string out;  // stdout, up to kMaxCredentialBytes
};
constexpr size_t kMaxCredentialBytes = 1 << 20;

// Child side: its own process group (so it and its children can be killed
// together), killed if the thread that started it dies, stderr left as ours.
[[noreturn]] void exec_child(const std::string& cmd, std::vector<char*>& argv, std::vector<char*>& envp, int out_fd,
                             pid_t parent) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) _exit(126);  // the parent died before prctl
  ::dup2(out_fd, 1);
  ::close(out_fd);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::execvpe(cmd.c_str(), argv.data(), envp.data());
  std::fprintf(stderr, "cannot run %s: %s\n", cmd.c_str(), std::strerror(errno));
  _exit(127);
}

// Runs the plugin and reads its stdout until it exits or `timeout` passes.
// The plugin's whole process group is killed at the end, so a background
// child it left behind never outlives the run.
CredentialProcess run_credential_process(const std::string& cmd, std::vector<char*>& argv, std::vector<char*>& envp,
                                         std::chrono::seconds timeout) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("exec plugin: pipe failed");
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("exec plugin: fork failed");
  if (pid == 0) {
    ::close(out[0]);
    exec_child(cmd, argv, envp, out[1], parent);
  }
  ::setpgid(pid, pid);  // also here: no race with the kill below
  ::close(out[1]);
  CredentialProcess r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool exited = false, eof = false;
  while (!exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd f{out[0], POLLIN, 0};
    // A background child may hold stdout open after the plugin exits:
    // poll in short steps and stop once the plugin itself is gone.
    int n = eof ? 0 : ::poll(&f, 1, static_cast<int>(std::min<long>(left.count(), 100)));
    if (n > 0) {
      char buf[4096];
      ssize_t got = ::read(out[0], buf, sizeof buf);
      if (got <= 0) eof = true;
      else if (r.out.size() < kMaxCredentialBytes) r.out.append(buf, static_cast<size_t>(got));
    } else if (eof) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    exited = ::waitpid(pid, &r.status, WNOHANG) == pid;
  }
  if (exited) {  // what it wrote just before exiting
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    char buf[4096];
    ssize_t got;
    while (r.out.size() < kMaxCredentialBytes && (got = ::read(out[0], buf, sizeof buf)) > 0)
      r.out.append(buf, static_cast<size_t>(got));
  }
  ::kill(-pid, SIGKILL);
  if (!exited) ::waitpid(pid, &r.status, 0);
  ::close(out[0]);
  return r;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& s) {
  auto us = plugin_common::parse_rfc3339_us(s);
  if (!us) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::microseconds(*us));
}

}  // namespace

ExecCredential run_exec(const ExecConfig& x, const Connection& cluster, std::chrono::seconds timeout) {
  if (x.interactive_mode == "Always")
    throw std::runtime_error("exec credential plugin '" + x.command + "' (" + x.where +
                             ") needs an interactive terminal (interactiveMode: Always), which kinspect does not "
                             "provide; log in with kubectl first or use a non-interactive credential");
  boost::json::object info{{"kind", "ExecCredential"}, {"apiVersion", x.api_version}};
  boost::json::object spec{{"interactive", false}};
  if (x.provide_cluster_info) {
    boost::json::object cl{{"server", cluster.server}};
    if (!cluster.tls_server_name.empty()) cl["tls-server-name"] = cluster.tls_server_name;
    if (cluster.insecure) cl["insecure-skip-tls-verify"] = true;
    if (!cluster.ca_pem.empty()) {
      // base64 of the CA bundle, as client-go does.
      cl["certificate-authority-data"] = base64_encode(cluster.ca_pem);
    }
    spec["cluster"] = cl;
  }
  info["spec"] = spec;

  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    bool overridden = kv.rfind("KUBERNETES_EXEC_INFO=", 0) == 0;
    for (auto& [k, v] : x.env)
      if (kv.rfind(k + "=", 0) == 0) overridden = true;
    if (!overridden) envs.push_back(kv);
  }
  for (auto& [k, v] : x.env) envs.push_back(k + "=" + v);
  envs.push_back("KUBERNETES_EXEC_INFO=" + boost::json::serialize(info));
  std::vector<char*> envp, argv;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string cmd = x.command;
  argv.push_back(cmd.data());
  std::vector<std::string> args = x.args;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::string who = "exec credential plugin '" + x.command + "' (" + x.where + ")";
  CredentialProcess proc = run_credential_process(cmd, argv, envp, timeout);
  if (proc.timed_out)
    throw std::runtime_error(who + " did not finish within " + std::to_string(timeout.count()) +
                             "s and was stopped (raise the kube-apiserver driver's exec_timeout_seconds if it "
                             "needs longer)");
  int status = proc.status;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // What the plugin printed on stderr went to our stderr, as kubectl lets
    // it: it may hold a token, so it never enters an error or a report.
    std::string m = who + " failed: " +
                    (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : std::string("killed")) +
                    " (its own messages, if any, are on stderr)";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !x.install_hint.empty()) m += " (" + x.install_hint + ")";
    throw std::runtime_error(m);
  }
  const std::string& sout = proc.out;
  boost::json::value v;
  try {
    v = boost::json::parse(sout);
  } catch (const std::exception& e) {
    throw std::runtime_error(who + " printed invalid JSON: " + e.what());
  }
  auto* o = v.if_object();
  if (!o || !o->if_contains("kind") || o->at("kind") != "ExecCredential")
    throw std::runtime_error(who + " did not print an ExecCredential");
  if (auto* av = o->if_contains("apiVersion"); av && av->is_string() && av->as_string() != x.api_version)
    throw std::runtime_error(who + " returned apiVersion " + std::string(av->as_string()) + ", expected " + x.api_version);
  auto* st = o->if_contains("status");
  if (!st || !st->is_object()) throw std::runtime_error(who + " returned an ExecCredential without status");
  ExecCredential c;
  auto& so = st->as_object();
  auto s = [&](const char* k) -> std::string {
    auto* p = so.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  c.token = s("token");
  c.cert_pem = s("clientCertificateData");
  c.key_pem = s("clientKeyData");
  std::string exp = s("expirationTimestamp");
  if (!exp.empty()) {
    c.expires = parse_rfc3339(exp);
    if (!c.expires) throw std::runtime_error(who + ": invalid status.expirationTimestamp '" + exp + "'");
  }
  if (c.token.empty() && c.cert_pem.empty())
    throw std::runtime_error(who + " returned neither status.token nor status.clientCertificateData");
  if (c.cert_pem.empty() != c.key_pem.empty())
    throw std::runtime_error(who + " returned clientCertificateData without clientKeyData or the reverse");
  return c;
}

void check_client_certificate(const std::string& pem, const std::string& who) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!x) throw std::runtime_error(who + ": cannot parse the client certificate (PEM)");
  int after = X509_cmp_current_time(X509_get0_notAfter(x));
  int before = X509_cmp_current_time(X509_get0_notBefore(x));
  std::string na;
  {
    BIO* b = BIO_new(BIO_s_mem());
    ASN1_TIME_print(b, X509_get0_notAfter(x));
    char* d = nullptr;
    long n = BIO_get_mem_data(b, &d);
    na.assign(d, static_cast<size_t>(n));
    BIO_free(b);
  }
  X509_free(x);
  if (after < 0) throw std::runtime_error(who + ": the client certificate expired (notAfter " + na + ")");
  if (before > 0) throw std::runtime_error(who + ": the client certificate is not valid yet");
}

}  // namespace kapi
