// Streaming splitter for Kubernetes List JSON: feed bytes as they arrive,
// get each element of the top-level "items" array as its own serialized
// object, without building a DOM and without holding the whole document.
// A document that is a single object (no "items" array) yields itself.
// Several concatenated top-level documents are accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kapi {

// A top-level member of an item: `"key": value`, as [start, end) in the item's json.
struct SplitMember {
  std::string key;
  size_t start = 0;
  size_t end = static_cast<size_t>(-1);
};

// A member of an item's metadata: [start, end) runs from its key's quote to
// the comma or brace after its value.
struct MetadataMember {
  size_t start = 0, end = 0;
  bool read = true;             // a read path leads to it (all are, without read paths)
  bool managed_fields = false;  // it is metadata.managedFields
};

struct SplitItem {
  std::string_view json;         // the serialized object
  std::string_view kind;         // its own "kind", if has_kind
  std::string_view api_version;  // its own "apiVersion", if has_api_version
  bool has_kind = false;
  bool has_api_version = false;
  std::string_view uid;  // metadata.uid when present
  std::string_view list_kind;         // the enclosing List's kind when known ("PodList"), else ""
  std::string_view list_api_version;  // the enclosing List's apiVersion when known
  // Members of List items (empty for a single top-level object).
  const std::vector<SplitMember>* members = nullptr;
  // The members of the item's metadata object, so that a row can leave out
  // what the scan does not read (managedFields, annotations, ...): set when
  // the item has one metadata object, seen whole; `metadata_open` and
  // `metadata_close` are its braces in `json`.
  const std::vector<MetadataMember>* metadata = nullptr;
  size_t metadata_open = 0, metadata_close = 0;
};

// Bounds that keep a hostile document from holding memory or time. A
// Kubernetes object is at most a few MiB (etcd's request limit is 1.5 MiB),
// and no List writer pads with whitespace.
struct SplitLimits {
  size_t max_object_bytes = 64u << 20;      // one item (or a single top-level object)
  size_t max_whitespace_run = 64u << 20;    // consecutive whitespace outside strings
  // A string value of a List item longer than this, at a path the scan does
  // not read (see skip_unread_strings), is dropped as it streams by and
  // becomes null: memory follows what is read, not what is in the file.
  size_t skip_string_over = 1u << 20;
};

// How the splitter reads the nested bytes of an item, 64 at a time (see
// ListSplitter::scan_nested): with SSE2 (every x86-64; plain C++ elsewhere),
// AVX2 or AVX-512BW. All read the same bytes the same way; they differ only
// in how many bytes one instruction compares. A splitter starts with the
// widest this CPU runs.
enum class BlockScan { Generic, Avx2, Avx512 };

class ListSplitter {
 public:
  using Sink = std::function<void(const SplitItem&)>;
  // `name` is used in error messages ("truncated JSON in pods.json at byte N").
  explicit ListSplitter(std::string name, SplitLimits limits = {}) : name_(std::move(name)), limits_(limits) {}

  // The dotted paths the scan reads ("metadata.name", "spec.containers");
  // long string values elsewhere are skipped (SplitLimits::skip_string_over).
  // Empty (the default): everything is read, nothing is skipped.
  // The same paths say which members of an item's metadata are read
  // (SplitItem::metadata).
  void skip_unread_strings(std::vector<std::string> read_paths);
  // String values skipped so far.
  size_t skipped_strings() const { return skipped_; }

  void feed(const char* p, size_t n, const Sink& sink);
  // Call at end of input; throws std::runtime_error if the document is truncated.
  void finish(const Sink& sink);

  // The widest block scan this CPU runs.
  static BlockScan best_block_scan();
  // Reads with `scan` from here on (tests compare the scans on one input);
  // false, and nothing changes, when this CPU cannot run it.
  bool use_block_scan(BlockScan scan);

  uint64_t bytes() const { return total_; }
  // The last top-level document's "metadata" object (raw JSON), kind and apiVersion.
  const std::string& root_metadata() const { return meta_.buf; }
  // Whether the current document's "metadata" was read to its end (a
  // List's comes before its items: its continue token is known early).
  bool root_metadata_read() const { return !meta_.active && !meta_.buf.empty(); }
  const std::string& root_kind() const { return root_kind_; }
  const std::string& root_api_version() const { return root_api_; }
  size_t items() const { return items_; }
  // Bytes currently held (for memory accounting in tests).
  size_t held() const { return item_.buf.capacity() + root_.buf.capacity() + meta_.buf.capacity() + str_.capacity(); }

 private:
  struct Capture {
    bool active = false;
    size_t start = 0;  // offset in the current chunk
    std::string buf;
  };
  [[noreturn]] void fail(const char* what) const;
  void check_held();
  size_t skip_whitespace(const char* p, size_t i, size_t n);
  bool nested_scan_applies() const;
  size_t scan_nested(const char* p, size_t i, size_t n);
  // scan_nested's loop, built once per instruction set (splitter.cpp).
  template <class Blocks>
  size_t scan_nested_with(const char* p, size_t i, size_t n);
  size_t scan_nested_avx2(const char* p, size_t i, size_t n);
  size_t scan_nested_avx512(const char* p, size_t i, size_t n);
  void end_nested_scan_in_string(size_t open_quote, bool escaped);
  void end_string(const char* p, size_t i);
  void emit_item(std::string_view json, const Sink& sink);
  void end_root(const Sink& sink);
  void maybe_skip_string();
  bool path_is_read(const std::vector<std::string>& path) const;

  std::string name_;
  SplitLimits limits_;
  BlockScan scan_ = best_block_scan();
  uint64_t ws_run_ = 0;  // whitespace bytes in a row so far
  uint64_t total_ = 0;   // bytes consumed before the current chunk
  uint64_t offset_ = 0;  // offset of the current chunk
  std::vector<uint8_t> stack_;  // bit0 object, bit1 expecting key (not kept below an item's members: see scan_nested)
  char last_structural_ = 0;    // the last of { } [ ] : , outside strings
  bool in_str_ = false;
  bool esc_ = false;
  bool str_capture_ = false;
  bool str_is_key_ = false;
  size_t str_start_ = 0;
  std::string str_;
  std::string root_key_;
  std::string item_key_;
  bool in_metadata_ = false;  // item_key_ is "metadata": asked for every string of the item's next level
  bool in_items_ = false;  // inside the root's "items" array
  bool saw_items_ = false;
  std::string root_kind_, root_api_;
  std::string item_kind_, item_api_;
  std::string meta_key_, item_uid_;
  // Member spans (positions in the item's bytes).
  size_t item_pos(size_t i) const { return item_.buf.size() + i - item_.start; }
  std::vector<SplitMember> members_;
  static constexpr size_t npos = static_cast<size_t>(-1);
  std::vector<MetadataMember> meta_members_;
  size_t meta_open_ = npos, meta_close_ = npos;
  bool meta_twice_ = false;  // a second "metadata" member: its spans are not told apart
  bool metadata_member_read(std::string_view key) const;
  bool item_has_kind_ = false, item_has_api_ = false;
  Capture item_, root_, meta_;
  size_t items_ = 0;
  // The string value being read inside an item: where its quote is in the
  // item's bytes and in the stream; skipping_ while it is being dropped.
  size_t value_quote_pos_ = 0;
  uint64_t value_quote_at_ = 0;
  bool skipping_ = false;
  size_t skipped_ = 0;
  std::vector<std::string> read_paths_;
  // From read_paths_: every metadata member is read, or these are.
  bool metadata_read_whole_ = true;
  std::vector<std::string> metadata_read_;
};

}  // namespace kapi
