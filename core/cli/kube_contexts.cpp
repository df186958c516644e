#include "core/cli/kube_contexts.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "core/util/input_file.h"

namespace kinspect::cli {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(':', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string home() {
  const char* h = std::getenv("HOME");
  return h && *h ? std::string(h) : std::string();
}

std::string expand_home(const std::string& p) {
  if (p.rfind("~/", 0) == 0 && !home().empty()) return home() + p.substr(1);
  return p;
}

std::string display_path(const std::string& p) {
  std::string h = home();
  while (!h.empty() && h.back() == '/') h.pop_back();
  if (!h.empty() && p.size() > h.size() && p.compare(0, h.size(), h) == 0 && p[h.size()] == '/')
    return "~" + p.substr(h.size());
  return p;
}

// The files kubectl would read, in order; `explicit_one` when the user named
// exactly one (its absence is then an error, not a file to skip).
std::vector<std::string> kubeconfig_files(const std::string& option, bool& explicit_one) {
  std::vector<std::string> files;
  if (!option.empty()) {
    for (const auto& f : split_list(option)) files.push_back(expand_home(f));
    explicit_one = files.size() == 1;
  } else if (const char* kc = std::getenv("KUBECONFIG"); kc && *kc) {
    for (const auto& f : split_list(kc)) files.push_back(expand_home(f));
  } else if (!home().empty()) {
    files.push_back(home() + "/.kube/config");
  }
  return files;
}

Error field_error(const std::string& file, const std::string& field, const std::string& problem) {
  Diagnostic d;
  d.file = file;
  d.field = field;
  d.message = problem;
  return Error::from(std::move(d));
}

// Adds the contexts and current-context of one file; the first file to name
// a context or set current-context wins, as kubectl merges them.
Status add_file(const std::string& path, KubeContexts& into) {
  const std::string shown = display_path(path);
  auto text = read_input_file(path, 16u << 20);
  if (!text) return Error("kubeconfig: " + text.error().message());
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    Diagnostic d;
    d.file = shown;
    d.pos = {static_cast<unsigned>(e.mark.line + 1), static_cast<unsigned>(e.mark.column + 1)};
    d.message = "invalid YAML: " + e.msg;
    d.source_line = std::string(line_of(*text, d.pos.line));
    return Error::from(std::move(d));
  }
  into.files.push_back(shown);
  if (!root || root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return Error(shown + ": not a kubeconfig (expected a YAML mapping)");
  if (into.current.empty())
    if (YAML::Node cc = root["current-context"]; cc && cc.IsScalar()) into.current = cc.Scalar();
  YAML::Node list = root["contexts"];
  if (!list || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return field_error(shown, "contexts", "expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "contexts[" + std::to_string(i) + "]";
    YAML::Node item = list[i];
    if (!item.IsMap()) return field_error(shown, where, "expected a mapping");
    YAML::Node name = item["name"];
    if (!name || !name.IsScalar() || name.Scalar().empty()) return field_error(shown, where + ".name", "missing");
    KubeContext c{name.Scalar(), {}};
    if (YAML::Node inner = item["context"]; inner && inner.IsMap())
      if (YAML::Node cl = inner["cluster"]; cl && cl.IsScalar()) c.cluster = cl.Scalar();
    if (!into.find(c.name)) into.contexts.push_back(std::move(c));
  }
  return Status::Ok();
}

}  // namespace

const KubeContext* KubeContexts::find(const std::string& name) const {
  for (const auto& c : contexts)
    if (c.name == name) return &c;
  return nullptr;
}

Expected<std::optional<KubeContexts>> read_kube_contexts(const std::string& kubeconfig) {
  bool explicit_one = false;
  KubeContexts out;
  for (const auto& f : kubeconfig_files(kubeconfig, explicit_one)) {
    std::error_code ec;
    if (!fs::exists(f, ec)) {
      if (explicit_one) return Error("kubeconfig not found: " + display_path(f));
      continue;  // kubectl skips the missing files of a list
    }
    if (Status st = add_file(f, out); !st.ok()) return st.error();
  }
  if (out.files.empty()) return std::optional<KubeContexts>();
  return std::optional<KubeContexts>(std::move(out));
}

bool in_cluster_environment() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  return host && *host;
}

}  // namespace kinspect::cli
