// YAML -> JSON for Kubernetes manifests (yaml-cpp), one document at a time.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace kapi {

// Serializes a YAML node as JSON. Plain scalars are typed as kubectl
// (sigs.k8s.io/yaml) reads them: null, YAML 1.1 booleans (true/yes/on/y ...),
// integers, floats; quoted scalars are strings.
//
// Aliases are shared in yaml-cpp's tree but expanded here, so a few hundred
// bytes of nested aliases ("billion laughs") would expand to gigabytes:
// `budget` bounds the nodes visited and the JSON written, and past it
// yaml_to_json throws YamlBudgetExceeded naming the node's line.
struct YamlBudget {
  size_t nodes_left;
  size_t max_bytes;
  size_t depth = 0;  // current nesting; an alias that contains itself nests forever
  static constexpr size_t kMaxDepth = 200;
  // Room for any document of `text_bytes` bytes without aliases, plus a
  // little for the occasional alias of a real manifest.
  static YamlBudget for_text(size_t text_bytes) {
    return YamlBudget{2 * text_bytes + 10000, 16 * text_bytes + (1u << 20)};
  }
};
struct YamlBudgetExceeded : std::runtime_error {
  size_t line;  // 1-based, within the converted text
  YamlBudgetExceeded(size_t l, const std::string& what) : std::runtime_error(what), line(l) {}
};
void yaml_to_json(const YAML::Node& node, std::string& out, YamlBudget* budget = nullptr);

// Largest YAML document (or List item) and line the reader holds.
inline constexpr size_t kMaxYamlDocumentBytes = 64u << 20;

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
  [[noreturn]] void too_big(const char* what, size_t line) const;
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
