#include "core/kcql/kube_schema.h"

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/util/data_path.h"

namespace kinspect::kcql {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

Error bad(const std::string& file, const std::string& what) {
  return Error::from(Diagnostic{file, {}, "Kubernetes schema: " + what, "regenerate it with scripts/kubernetes-schema", {}, {}});
}

// A type the file names must be a scalar, "any", a declared type, or an array
// or map of one: anything else is a broken file, said now rather than
// silently accepted later.
bool known_type(std::string_view t, const json::object& types) {
  while (!t.empty() && (t[0] == '[' || t[0] == '{')) t.remove_prefix(1);
  static const char* scalars[] = {"string", "integer", "number", "boolean", "date-time", "any"};
  for (const char* s : scalars)
    if (t == s) return true;
  return types.contains(t);
}

}  // namespace

Expected<KubeSchema> KubeSchema::parse(std::string_view text, const std::string& file) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return bad(file, "invalid JSON: " + ec.message());
  const json::object* root = doc.if_object();
  const json::object* source = root && root->contains("source") ? root->at("source").if_object() : nullptr;
  const json::object* kinds = root && root->contains("kinds") ? root->at("kinds").if_object() : nullptr;
  const json::object* types = root && root->contains("types") ? root->at("types").if_object() : nullptr;
  if (!source || !kinds || !types) return bad(file, "want an object with \"source\", \"kinds\" and \"types\" objects");
  KubeSchema s;
  s.file_ = file;
  auto text_of = [&](const char* key) -> std::string {
    const json::value* v = source->if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  s.package_ = text_of("package");
  s.kubernetes_ = text_of("kubernetes");
  s.license_ = text_of("license");
  if (s.package_.empty() || s.kubernetes_.empty()) return bad(file, "source.package and source.kubernetes are required");
  for (const auto& [name, props] : *types) {
    const json::object* o = props.if_object();
    if (!o) return bad(file, "types." + std::string(name) + " is not an object");
    auto& fields = s.types_[std::string(name)];
    for (const auto& [field, type] : *o) {
      if (!type.is_string() || !known_type(type.get_string(), *types))
        return bad(file, "types." + std::string(name) + "." + std::string(field) + " names no known type");
      fields.emplace(std::string(field), std::string(type.get_string()));
    }
  }
  for (const auto& [kind, type] : *kinds) {
    if (!type.is_string() || !types->contains(type.get_string()))
      return bad(file, "kinds." + std::string(kind) + " names no type of \"types\"");
    s.kinds_.emplace(std::string(kind), std::string(type.get_string()));
  }
  return s;
}

Expected<KubeSchema> KubeSchema::load(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error("cannot read the Kubernetes schema " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

std::string KubeSchema::kind_type(std::string_view row_kind) const {
  auto it = kinds_.find(row_kind);
  return it == kinds_.end() ? std::string() : it->second;
}

const std::map<std::string, std::string>* KubeSchema::fields(std::string_view type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

namespace {

fs::path schema_file() {
  if (const char* e = std::getenv("KINSPECT_KUBERNETES_SCHEMA"); e && *e) return e;
  return bundled_data_path("schemas/kubernetes.json");
}

}  // namespace

const KubeSchema* default_kube_schema(std::string* problem) {
  static std::once_flag once;
  static std::optional<KubeSchema> schema;
  static std::string why;
  std::call_once(once, [] {
    fs::path file = schema_file();
    if (file.empty()) {
      why = "no Kubernetes schema (schemas/kubernetes.json) found: paths into Kubernetes objects are not checked";
      return;
    }
    auto loaded = KubeSchema::load(file);
    if (!loaded) why = loaded.error().message() + " (paths into Kubernetes objects are not checked)";
    else schema = std::move(*loaded);
  });
  if (problem) *problem = why;
  return schema ? &*schema : nullptr;
}

}  // namespace kinspect::kcql
