// Turns the batches a plugin produces (JSON objects separated by whitespace)
// into rows, keeping only the paths a plan reads.
#pragma once


#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/table/table.h"
#include "core/util/error.h"

namespace kinspect {

// A set of dotted paths as a trie; arrays are traversed transparently, so
// "spec.containers.image" keeps the image of every container. A key with a
// dot in it is written with the dot escaped: "metadata.annotations.
// kinspect\.io/waive" keeps one annotation (ki_scan_request::paths).
class Projection {
 public:
  Projection() = default;  // keeps everything
  explicit Projection(const std::vector<std::string>& paths);

  struct Node;
  const Node* root() const { return root_.get(); }
  // Why the paths could not be interned (the key dictionary is full), or "".
  const std::string& error() const { return error_; }

 private:
  void add(const std::string& path);
  std::shared_ptr<Node> root_;
  std::string error_;
};

// While alive, vouches on this thread that `readable_after` bytes after
// `batch`'s last byte can be read (never written) as long as RowParser::feed
// runs on it: a batch in a plugin worker's shared slot has the rest of the
// slot after it. simdjson reads up to 64 bytes past a document's end, so
// feed() parses such a batch where it lies instead of copying it into a
// padded buffer first (3-5% of a whole run's CPU at 150,000 pods). Nests: the
// innermost tail is the one asked.
class BatchTail {
 public:
  BatchTail(std::string_view batch, size_t readable_after);
  ~BatchTail();
  BatchTail(const BatchTail&) = delete;
  BatchTail& operator=(const BatchTail&) = delete;
  // Bytes readable after `batch` on this thread: 0 unless the innermost
  // BatchTail was made for this very batch.
  static size_t readable_after(std::string_view batch);

 private:
  const char* begin_;
  size_t size_, readable_after_;
  const BatchTail* outer_;
};

class RowParser {
 public:
  // Only the projected paths are ever kept, so memory grows with what the
  // plan reads, not with the size of the input.
  explicit RowParser(Projection projection);
  ~RowParser();
  RowParser(const RowParser&) = delete;
  RowParser& operator=(const RowParser&) = delete;

  // Parses every object in `batch` and appends it to `out`'s rows. `source` names
  // where the batch came from for error messages ("plugin kube-apiserver,
  // table k8s.pods"). A batch must hold whole objects.
  Status feed(std::string_view batch, TableData& out, std::string_view source);
  uint64_t bytes_seen() const { return bytes_; }
  // Batches read by the SAX parser because simdjson's fast path did not read
  // them cleanly (row_parser.cpp): for tests and profiles.
  uint64_t sax_batches() const { return sax_batches_; }
  // Batches copied into a padded buffer before simdjson read them (no
  // BatchTail vouched for the bytes after them): for tests and profiles.
  uint64_t copied_batches() const;

 private:
  Status feed_rows(std::string_view batch, TableData& out, std::string_view source);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
  uint64_t sax_batches_ = 0;
};

}  // namespace kinspect

namespace kinspect {

// Calls fn(row) for each JSON object in a batch without parsing it: only
// strings and brackets are tracked. For passing rows through (snapshots).
// Returns false if the batch ends inside an object.
template <class Fn>
bool for_each_row_text(std::string_view batch, Fn&& fn) {
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    char c = batch[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (depth++ == 0) start = i;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      fn(batch.substr(start, i + 1 - start));
    }
  }
  return depth == 0 && !in_string;
}

}  // namespace kinspect
