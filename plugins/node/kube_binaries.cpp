#include "kube_binaries.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <cctype>
#include <chrono>
#include <set>
#include <stdexcept>

#include "common/subprocess.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace node {

namespace {

using T = ks::Type;

// Where installers put them: packages (/usr/bin), release binaries and k3s
// (/usr/local/bin), Flatcar (/opt/bin), GKE's Container-Optimized OS
// (/home/kubernetes/bin). /bin is /usr/bin on merged-/usr hosts; the
// resolved path keeps one row per file.
const char* const kDirs[] = {"/usr/local/bin", "/usr/bin", "/bin", "/opt/bin", "/home/kubernetes/bin"};

struct Program {
  const char* name;
  std::vector<std::string> version_args;
};

const Program kPrograms[] = {
    {"kubectl", {"version", "--client", "--output=json"}},
    {"kubeadm", {"version", "--output=json"}},
    {"kubelet", {"--version"}},
};

// A version query prints a few hundred bytes and starts no server; one that
// takes longer than this is stuck.
constexpr auto kDeadline = std::chrono::seconds(10);
constexpr size_t kOutputCap = 64 * 1024;

bool executable(const std::string& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(file.c_str(), X_OK) == 0;
}

}  // namespace

ks::TableSpec kubernetes_binaries_table() {
  return {"node.kubernetes_binaries",
          "The Kubernetes programs installed on the host: kubectl, kubeadm and kubelet, looked for in <root>/usr/local/bin, "
          "usr/bin, bin, opt/bin and home/kubernetes/bin, each run once to print its version (kubectl version --client "
          "--output=json, kubeadm version --output=json, kubelet --version; at most 10 s each). One row per file, a "
          "symlink counted once under the first directory that has it; no row for a program that is not installed.",
          {{"binary", T::Text, "kubectl, kubeadm or kubelet"},
           {"path", T::Text, "Where it was found on the host, e.g. /usr/bin/kubectl"},
           {"resolved", T::Text, "The file it is, symlinks followed inside the root"},
           {"status", T::Text, "ok when it printed a version, else error"},
           {"version", T::Text, "The version it printed, e.g. v1.30.2 (NULL unless status is ok)"},
           {"error", T::Text, "Why no version: it could not run, timed out, exited non-zero or printed none"}},
          {},
          {"SELECT binary, path, version FROM node.kubernetes_binaries"}};
}

std::string version_in_output(std::string_view binary, std::string_view out) {
  if (binary == "kubelet") {
    // "Kubernetes v1.30.2": the first word that starts with v and a digit.
    size_t at = 0;
    while ((at = out.find('v', at)) != std::string_view::npos) {
      const bool word_start = at == 0 || out[at - 1] == ' ';
      if (word_start && at + 1 < out.size() && std::isdigit(static_cast<unsigned char>(out[at + 1]))) {
        size_t end = out.find_first_of(" \t\r\n", at);
        return std::string(out.substr(at, end == std::string_view::npos ? out.size() - at : end - at));
      }
      ++at;
    }
    return {};
  }
  boost::system::error_code ec;
  json::value v = json::parse(out, ec);
  if (ec || !v.is_object()) return {};
  const json::value* client = v.as_object().if_contains("clientVersion");
  if (!client || !client->is_object()) return {};
  const json::value* git = client->as_object().if_contains("gitVersion");
  return git && git->is_string() ? std::string(git->as_string()) : std::string();
}

namespace {

void ask_version(const plugin_common::HostFs& fs, const Program& p, const std::string& path,
                 const std::string& resolved, ks::BatchWriter& out) {
  std::vector<std::string> argv{fs.at(fs.is_real_root() ? path : resolved)};
  argv.insert(argv.end(), p.version_args.begin(), p.version_args.end());
  std::string version, error;
  try {
    plugin_common::ToolResult r = plugin_common::run_tool(argv, -1, kOutputCap, kDeadline);
    if (r.exit_code == 0) version = version_in_output(p.name, r.out);
    if (r.exit_code != 0)
      error = "exited with " + std::to_string(r.exit_code) + (r.err.empty() ? "" : ": " + r.err.substr(0, 512));
    else if (version.empty())
      error = "printed no version";
  } catch (const std::exception& e) {
    error = e.what();
  }
  auto row = out.row();
  row.field("binary", p.name).field("path", path).field("resolved", resolved);
  row.field("status", version.empty() ? "error" : "ok");
  if (version.empty()) row.null("version").field("error", error);
  else row.field("version", version).null("error");
}

}  // namespace

void kubernetes_binary_rows(const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  for (const Program& p : kPrograms) {
    std::set<std::string> seen;  // resolved paths
    for (const char* dir : kDirs) {
      const std::string path = std::string(dir) + "/" + p.name;
      std::string resolved;
      try {
        resolved = fs.resolve(path);
      } catch (const std::runtime_error&) {
        continue;  // a symlink loop is no program
      }
      if (!executable(fs.at(resolved)) || !seen.insert(resolved).second) continue;
      ask_version(fs, p, path, resolved, out);
    }
  }
}

}  // namespace node
