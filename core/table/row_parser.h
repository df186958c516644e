// Turns the batches a plugin produces (JSON objects separated by whitespace)
// into rows, keeping only the paths a plan reads.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/error.h"

namespace kinspect {

// A set of dotted paths as a trie; arrays are traversed transparently, so
// "spec.containers.image" keeps the image of every container.
class Projection {
 public:
  Projection() = default;  // keeps everything
  explicit Projection(const std::vector<std::string>& paths);
  bool keeps_all() const { return root_ == nullptr; }
  // Copies the projected parts of `row` into storage `sp`.
  boost::json::value apply(const boost::json::value& row, const boost::json::storage_ptr& sp) const;

  struct Node;

 private:
  std::shared_ptr<Node> root_;
};

class RowParser {
 public:
  // Rows are allocated from `table_storage` (normally the run's arena for
  // this table); each row is parsed in a scratch arena that is reused, so
  // memory grows with the projected size, not the size of the input.
  RowParser(Projection projection, boost::json::storage_ptr table_storage);
  ~RowParser();
  RowParser(const RowParser&) = delete;
  RowParser& operator=(const RowParser&) = delete;

  // Parses every object in `batch` and appends it to `out`. `source` names
  // where the batch came from for error messages ("plugin kube-apiserver,
  // table k8s.pods"). A batch must hold whole objects.
  Status feed(std::string_view batch, std::vector<boost::json::value>& out, std::string_view source);
  uint64_t bytes_seen() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

}  // namespace kinspect
