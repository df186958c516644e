#include "core/table/row_parser.h"
#include "core/util/short_bytes.h"

#include <boost/json/basic_parser_impl.hpp>
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace kinspect {

namespace json = boost::json;

struct Projection::Node {
  bool whole = false;  // keep this value entirely
  uint32_t key_id = packed::kNoKey;  // this node's key in the packed dictionary
  std::map<std::string, Node, std::less<>> children;
  // The same children as a flat list: a node has a handful, and most keys of
  // a Kubernetes object are not among them, which a length check rejects.
  std::vector<std::pair<std::string_view, const Node*>> flat;

  const Node* child(std::string_view key) const {
    for (const auto& [k, n] : flat)
      if (short_bytes::equal(k, key)) return n;
    return nullptr;
  }
  void freeze() {
    flat.clear();
    for (auto& [k, n] : children) {
      n.freeze();
      flat.emplace_back(k, &n);
    }
  }
};

Projection::Projection(const std::vector<std::string>& paths) {
  if (paths.empty()) return;
  root_ = std::make_shared<Node>();
  try {
    for (const auto& path : paths) add(path);
  } catch (const packed::KeyDictionaryFull& e) {
    error_ = e.what();  // RowParser::feed reports it with the table's name
  }
  root_->freeze();
}

void Projection::add(const std::string& path) {
  Node* n = root_.get();
  const std::vector<std::string> keys = path_keys(path);
  for (size_t k = 0; k < keys.size() && !n->whole; ++k) {
    n = &n->children[keys[k]];
    n->key_id = packed::intern(keys[k]);
    if (k + 1 == keys.size()) {
      n->whole = true;
      n->children.clear();  // a whole value subsumes deeper paths
    }
  }
}

namespace {

// A SAX handler that packs only the projected parts of a row (see packed.h):
// what a query does not read is parsed and dropped without ever being
// copied. This is the hot path of every run.
class ProjectingHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec = json::error_code;

  // What happens to a value: dropped, kept whole, or kept through a node.
  struct Mode {
    enum Kind : uint8_t { Skip, Whole, Project } kind = Skip;
    const Projection::Node* node = nullptr;
  };

  void start(const Projection::Node* root) {
    out_.clear();
    frames_.clear();
    skipping_ = 0;
    next_ = root ? Mode{Mode::Project, root} : Mode{Mode::Whole, nullptr};
  }
  std::string_view bytes() const { return out_.bytes(); }

  bool on_document_begin(ec&) { return true; }
  bool on_document_end(ec&) { return true; }

  bool on_object_begin(ec&) { return open(false); }
  bool on_object_end(std::size_t, ec&) { return close(); }
  bool on_array_begin(ec&) { return open(true); }
  bool on_array_end(std::size_t, ec&) { return close(); }

  bool on_key_part(json::string_view s, std::size_t, ec&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, ec&) {
    if (skipping_) {
      key_.clear();
      return true;
    }
    Frame& f = frames_.back();
    std::string_view key;
    if (key_.empty()) {
      key = std::string_view(s.data(), s.size());
    } else {
      key_.append(s.data(), s.size());
      key = key_;
    }
    if (f.mode.kind == Mode::Whole) {
      next_ = {Mode::Whole, nullptr};
      out_.key(packed::intern(key));
    } else if (f.mode.kind == Mode::Project) {
      const Projection::Node* child = f.mode.node->child(key);
      if (!child) {
        next_ = {};
      } else {
        next_ = child->whole ? Mode{Mode::Whole, nullptr} : Mode{Mode::Project, child};
        out_.key(child->key_id);
      }
    } else {
      next_ = {};
    }
    key_.clear();
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, ec&) {
    if (!skipping_ && keeping()) string_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, ec&) {
    return scalar([&] {
      if (string_.empty()) {
        out_.string(std::string_view(s.data(), s.size()));
      } else {
        string_.append(s.data(), s.size());
        out_.string(string_);
        string_.clear();
      }
    });
  }
  bool on_number_part(json::string_view, ec&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, ec&) { return scalar([&] { out_.int64(v); }); }
  bool on_uint64(std::uint64_t v, json::string_view, ec&) { return scalar([&] { out_.uint64(v); }); }
  bool on_double(double v, json::string_view, ec&) { return scalar([&] { out_.real(v); }); }
  bool on_bool(bool v, ec&) { return scalar([&] { out_.boolean(v); }); }
  bool on_null(ec&) { return scalar([&] { out_.null_value(); }); }
  bool on_comment_part(json::string_view, ec&) { return true; }
  bool on_comment(json::string_view, ec&) { return true; }

 private:
  struct Frame {
    Mode mode;
    bool array = false;
    size_t start = 0;  // where the kept container begins in out_
  };

  // The mode of the value about to start: in an array, every element gets
  // the array's own mode (arrays are transparent to paths).
  Mode current() const {
    if (!frames_.empty() && frames_.back().array) return frames_.back().mode;
    return next_;
  }
  bool keeping() const { return current().kind != Mode::Skip; }

  template <class Push>
  bool scalar(Push&& push) {
    if (skipping_) return true;
    if (current().kind != Mode::Skip) push();
    next_ = {};
    return true;
  }
  bool open(bool array) {
    if (skipping_) {
      ++skipping_;
      return true;
    }
    Mode m = current();
    if (m.kind == Mode::Skip) {
      skipping_ = 1;
      return true;
    }
    frames_.push_back({m, array, array ? out_.open_array() : out_.open_object()});
    next_ = {};
    return true;
  }
  bool close() {
    if (skipping_) {
      --skipping_;
      next_ = {};
      return true;
    }
    out_.close(frames_.back().start);  // only kept containers have a frame
    frames_.pop_back();
    next_ = {};
    return true;
  }

  packed::Writer out_;
  std::vector<Frame> frames_;
  Mode next_;
  // Containers nested inside a dropped value: counted, never framed, since
  // nothing in them is kept (most of an object's bytes, e.g. managedFields).
  size_t skipping_ = 0;
  std::string key_, string_;
};

json::parse_options row_parse_options() {
  json::parse_options o;
  // Kubernetes objects nest deeply (CRD schemas, managedFields), far past
  // Boost.JSON's default limit of 32.
  o.max_depth = 1024;
  // Files read from a host (/proc, logs) need not be UTF-8; keep the bytes
  // rather than fail the whole table.
  o.allow_invalid_utf8 = true;
  return o;
}

// The fast path: simdjson's DOM parser reads a batch (stage 1 finds every
// structural character with SIMD, stage 2 validates every value), and the
// projection is then walked over its tape. On the bench's pods it packs
// rows in about 0.6x the time of the SAX path (bench/README.md, "Seventh
// pass"). It accepts a batch only when simdjson reads every row of it as an
// object; anything else (invalid UTF-8, which host files may hold, integers
// beyond 64 bits, a row that is not an object, any syntax error) goes to the
// SAX path, which stays the one reference for what a row is and for every
// error message.
class DomRows {
 public:
  // Packs every row of `batch` into `out` and returns true, or adds nothing
  // and returns false.
  bool feed(std::string_view batch, const Projection::Node* root, TableData& out) {
    const char* json = batch.data();
    if (BatchTail::readable_after(batch) < simdjson::SIMDJSON_PADDING) {
      padded_.resize(batch.size() + simdjson::SIMDJSON_PADDING);
      std::memcpy(padded_.data(), batch.data(), batch.size());
      json = padded_.data();
      ++copied_;
    }
    // Windows of about 1 MiB keep simdjson's index and tape in cache (a
    // batch is up to 4 MiB); a row longer than a window (a large ConfigMap
    // or CRD) is read with the whole batch as one window.
    if (!read(json, batch.size(), std::min(batch.size(), kWindow), root) &&
        (batch.size() <= kWindow || !read(json, batch.size(), batch.size(), root)))
      return false;
    std::string_view bytes = out_.bytes();
    for (size_t i = 0, begin = 0; i < ends_.size(); begin = ends_[i++])
      out.rows.push_back(out.store.add(bytes.substr(begin, ends_[i] - begin)));
    return true;
  }

  uint64_t copied() const { return copied_; }

 private:
  static constexpr size_t kWindow = 1u << 20;

  // Packs every row of the batch at `json` (padded) into out_, or returns false.
  bool read(const char* json, size_t size, size_t window, const Projection::Node* root) {
    namespace dom = simdjson::dom;
    out_.clear();
    ends_.clear();
    dom::document_stream rows;
    if (parser_.parse_many(json, size, std::max<size_t>(window, 1024)).get(rows)) return false;
    for (auto row : rows) {
      dom::element e;
      if (row.get(e) || !e.is_object()) return false;
      project(e, root);
      ends_.push_back(out_.bytes().size());
    }
    return rows.truncated_bytes() == 0;
  }

  // The same rows as ProjectingHandler writes: a kept container is written
  // with only its projected members, arrays are transparent to paths.
  void project(simdjson::dom::element v, const Projection::Node* node) {
    if (!node) return whole(v);
    if (v.is_object()) {
      size_t at = out_.open_object();
      for (simdjson::dom::key_value_pair kv : simdjson::dom::object(v))
        if (const Projection::Node* child = node->child(kv.key)) {
          out_.key(child->key_id);
          project(kv.value, child->whole ? nullptr : child);
        }
      out_.close(at);
    } else if (v.is_array()) {
      size_t at = out_.open_array();
      for (simdjson::dom::element e : simdjson::dom::array(v)) project(e, node);
      out_.close(at);
    } else {
      scalar(v);
    }
  }
  void whole(simdjson::dom::element v) {
    if (v.is_object()) {
      size_t at = out_.open_object();
      for (simdjson::dom::key_value_pair kv : simdjson::dom::object(v)) {
        out_.key(packed::intern(kv.key));
        whole(kv.value);
      }
      out_.close(at);
    } else if (v.is_array()) {
      size_t at = out_.open_array();
      for (simdjson::dom::element e : simdjson::dom::array(v)) whole(e);
      out_.close(at);
    } else {
      scalar(v);
    }
  }
  // A batch is one step of a table's fetch, which already runs beside the
  // others: no thread of simdjson's own for the next window's first stage.
  static simdjson::dom::parser unthreaded() {
    simdjson::dom::parser p;
    p.threaded = false;
    return p;
  }
  void scalar(simdjson::dom::element v) {
    using T = simdjson::dom::element_type;
    switch (v.type()) {
      case T::STRING: out_.string(std::string_view(v)); break;
      case T::INT64: out_.int64(int64_t(v)); break;
      case T::UINT64: out_.uint64(uint64_t(v)); break;
      case T::DOUBLE: out_.real(double(v)); break;
      case T::BOOL: out_.boolean(bool(v)); break;
      default: out_.null_value(); break;
    }
  }

  simdjson::dom::parser parser_ = unthreaded();
  std::string padded_;
  uint64_t copied_ = 0;
  packed::Writer out_;
  std::vector<size_t> ends_;  // where each row of out_ ends
};

thread_local const BatchTail* innermost_tail = nullptr;

}  // namespace

BatchTail::BatchTail(std::string_view batch, size_t readable_after)
    : begin_(batch.data()), size_(batch.size()), readable_after_(readable_after), outer_(innermost_tail) {
  innermost_tail = this;
}

BatchTail::~BatchTail() { innermost_tail = outer_; }

size_t BatchTail::readable_after(std::string_view batch) {
  const BatchTail* t = innermost_tail;
  return t && t->begin_ == batch.data() && t->size_ == batch.size() ? t->readable_after_ : 0;
}

struct RowParser::Impl {
  Projection projection;
  json::basic_parser<ProjectingHandler> parser{row_parse_options()};
  DomRows dom;
  const Projection::Node* root = nullptr;
};

RowParser::RowParser(Projection projection) : impl_(std::make_unique<Impl>()) {
  impl_->projection = std::move(projection);
  impl_->root = impl_->projection.root();
}

RowParser::~RowParser() = default;

uint64_t RowParser::copied_batches() const { return impl_->dom.copied(); }

Status RowParser::feed(std::string_view batch, TableData& out, std::string_view source) {
  if (!impl_->projection.error().empty()) return Error(std::string(source) + ": " + impl_->projection.error());
  try {
    if (impl_->dom.feed(batch, impl_->root, out)) {
      bytes_ += batch.size();
      return {};
    }
    ++sax_batches_;
    return feed_rows(batch, out, source);
  } catch (const packed::KeyDictionaryFull& e) {
    return Error(std::string(source) + ": " + e.what());
  }
}

Status RowParser::feed_rows(std::string_view batch, TableData& out, std::string_view source) {
  size_t pos = 0;
  while (true) {
    while (pos < batch.size() && (batch[pos] == ' ' || batch[pos] == '\n' || batch[pos] == '\r' || batch[pos] == '\t'))
      ++pos;
    if (pos >= batch.size()) break;
    if (batch[pos] != '{') {
      return Error(std::string(source) + ": row at byte " + std::to_string(bytes_ + pos) + " is not a JSON object");
    }
    impl_->parser.reset();
    impl_->parser.handler().start(impl_->root);
    json::error_code ec;
    // One complete value, then stop; a row cut off by the end of the batch
    // is an error (a batch holds whole rows).
    size_t n = impl_->parser.write_some(false, batch.data() + pos, batch.size() - pos, ec);
    if (ec) {
      return Error(std::string(source) + ": invalid JSON row at byte " + std::to_string(bytes_ + pos + n) + ": " +
                   ec.message());
    }
    out.rows.push_back(out.store.add(impl_->parser.handler().bytes()));
    pos += n;
  }
  bytes_ += batch.size();
  return {};
}

}  // namespace kinspect
