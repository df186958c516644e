// YAML -> JSON for Kubernetes manifests (yaml-cpp), one document at a time.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace kapi {

// Serializes a YAML node as JSON. Plain scalars are typed as kubectl
// (sigs.k8s.io/yaml) reads them: null, YAML 1.1 booleans (true/yes/on/y ...),
// integers, floats; quoted scalars are strings.
void yaml_to_json(const YAML::Node& node, std::string& out);

// Pull-based YAML reader with bounded memory: yields one JSON document at a
// time. Multi-document streams are split on "---"; inside a document, a
// top-level `items:` block sequence (as `kubectl get -o yaml` writes a List)
// is streamed item by item, so only one item is held, however long the List.
// Every other document is converted whole. `read` supplies bytes (0 at end).
class YamlReader {
 public:
  YamlReader(std::function<size_t(char*, size_t)> read, std::string name);
  // The next object as JSON; false at the end. Items that are not mappings
  // are skipped.
  bool next(std::string& json);

 private:
  bool getline(std::string& line);
  void flush_item();
  void flush_doc();
  void convert(const std::string& text, size_t first_line, bool only_maps);

  std::function<size_t(char*, size_t)> read_;
  std::string name_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  size_t line_no_ = 0;
  enum class Mode { kHead, kItemsStart, kItems } mode_ = Mode::kHead;
  size_t item_indent_ = 0;
  std::string head_, item_;
  size_t head_line_ = 1, item_line_ = 0;
  std::vector<std::string> ready_;
  size_t ready_pos_ = 0;
  bool done_ = false;
};

}  // namespace kapi
