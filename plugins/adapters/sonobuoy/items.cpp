// Item trees (sonobuoy_results.yaml, yaml-cpp) and JUnit XML (Boost.PropertyTree).
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <stdexcept>

#include "results.h"

namespace kinspect::adapters::sonobuoy {

namespace {

constexpr size_t kMaxMessage = 4096;  // a failure message is kept to its first 4 KiB
constexpr int kMaxDepth = 64;

std::string clip(std::string s) {
  if (s.size() > kMaxMessage) s = s.substr(0, kMaxMessage) + "...";
  return s;
}

// A scalar member of a YAML map, or "" when absent; an error naming it when it is not a scalar.
std::string scalar(const YAML::Node& n, const char* key, const std::string& where) {
  YAML::Node v = n[key];
  if (!v || v.IsNull()) return {};
  if (!v.IsScalar())
    throw std::runtime_error(where + "." + key + ": expected text, got a " + (v.IsMap() ? "map" : "list") + " (line " +
                             std::to_string(v.Mark().line + 1) + ")");
  return v.Scalar();
}

struct Walk {
  const std::string& plugin;
  std::vector<Item>& out;
};

void walk(const YAML::Node& n, const std::string& where, Walk& w, Item context, int depth) {
  if (!n.IsMap())
    throw std::runtime_error(where + ": expected an item (a map with name and status), got " +
                             (n.IsSequence() ? std::string("a list") : "'" + (n.IsScalar() ? n.Scalar() : std::string()) + "'") +
                             " (line " + std::to_string(n.Mark().line + 1) + ")");
  if (depth > kMaxDepth) throw std::runtime_error(where + ": items nested deeper than " + std::to_string(kMaxDepth));
  const std::string name = scalar(n, "name", where);
  YAML::Node meta = n["meta"];
  if (meta && meta.IsMap()) {
    std::string type = scalar(meta, "type", where + ".meta");
    std::string file = scalar(meta, "file", where + ".meta");
    if (type == "node") context.node = name;
    if (!file.empty()) context.file = file;
  }
  YAML::Node items = n["items"];
  if (items && !items.IsNull() && !items.IsSequence())
    throw std::runtime_error(where + ".items: expected a list, got " + (items.IsMap() ? "a map" : "'" + items.Scalar() + "'") +
                             " (line " + std::to_string(items.Mark().line + 1) + ")");
  if (items && items.IsSequence() && items.size() > 0) {
    if (depth > 0) context.suite = name;
    for (size_t i = 0; i < items.size(); ++i) walk(items[i], where + ".items[" + std::to_string(i) + "]", w, context, depth + 1);
    return;
  }
  if (depth == 0) return;  // a summary without items: nothing ran
  Item it = context;
  it.plugin = w.plugin;
  it.name = name;
  it.status = scalar(n, "status", where);
  YAML::Node details = n["details"];
  if (details && details.IsMap()) {
    std::string failure = scalar(details, "failure", where + ".details");
    if (failure.empty()) failure = scalar(details, "error", where + ".details");
    it.message = clip(failure);
  }
  it.source = "sonobuoy_results.yaml";
  w.out.push_back(std::move(it));
}

}  // namespace

std::vector<Item> items_from_yaml(const std::string& text, const std::string& where, const std::string& plugin,
                                  std::string* root_status) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(where + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                             ": invalid YAML: " + e.msg);
  }
  std::vector<Item> out;
  Walk w{plugin, out};
  try {
    walk(root, where, w, Item{}, 0);
    if (root_status) *root_status = scalar(root, "status", where);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(where + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return out;
}

namespace {

namespace pt = boost::property_tree;

void testcases(const pt::ptree& suite, const std::string& suite_name, const std::string& plugin, std::vector<Item>& out,
               int depth) {
  if (depth > kMaxDepth) throw std::runtime_error("test suites nested deeper than " + std::to_string(kMaxDepth));
  for (const auto& [tag, child] : suite) {
    if (tag == "testsuite") {
      testcases(child, child.get<std::string>("<xmlattr>.name", suite_name), plugin, out, depth + 1);
      continue;
    }
    if (tag != "testcase") continue;
    Item it;
    it.plugin = plugin;
    it.suite = suite_name;
    it.name = child.get<std::string>("<xmlattr>.name", "");
    std::string time = child.get<std::string>("<xmlattr>.time", "");
    if (!time.empty()) {
      try {
        it.duration_seconds = std::stod(time);
      } catch (const std::exception&) {
      }
    }
    it.status = "passed";
    for (const char* bad : {"failure", "error"}) {
      if (auto f = child.get_child_optional(bad)) {
        it.status = "failed";
        std::string msg = f->get<std::string>("<xmlattr>.message", "");
        std::string body = f->get_value<std::string>();
        it.message = clip(msg.empty() ? body : msg);
        break;
      }
    }
    if (it.status == "passed" && child.get_child_optional("skipped")) it.status = "skipped";
    it.source = "junit";
    out.push_back(std::move(it));
  }
}

}  // namespace

std::vector<Item> items_from_junit(const std::string& text, const std::string& where, const std::string& plugin) {
  pt::ptree doc;
  std::istringstream in(text);
  try {
    pt::read_xml(in, doc);
  } catch (const pt::xml_parser_error& e) {
    throw std::runtime_error(where + ":" + std::to_string(e.line()) + ": invalid JUnit XML: " + e.message());
  }
  std::vector<Item> out;
  try {
    if (auto suites = doc.get_child_optional("testsuites")) testcases(*suites, "", plugin, out, 0);
    else if (doc.get_child_optional("testsuite")) testcases(doc, "", plugin, out, 0);
    else throw std::runtime_error("no <testsuites> or <testsuite> element");
  } catch (const pt::ptree_error& e) {
    throw std::runtime_error(where + ": " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(where + ": not JUnit XML: " + e.what());
  }
  return out;
}

}  // namespace kinspect::adapters::sonobuoy
