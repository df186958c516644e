// kinspect-parse-probe LIST.json PATHS.json [RUNS] [BATCH_MIB]: how fast could the
// projecting parse be with simdjson's On-Demand API instead of Boost.JSON's
// SAX parser? Issue 21 asks for that answer in figures; this prints them.
//
// It cuts the List's items into batches of about BATCH_MIB (default 4, what
// a plugin worker sends: sdk.hpp's kTargetBytes), then times, over the same batches, median of RUNS:
//   boost-sax-null     Boost.JSON's SAX parser, a handler that keeps nothing
//   rowparser          kinspect's RowParser with PATHS (what a run does)
//   simdjson-walk      On-Demand, every value visited, nothing kept
//   simdjson-project   On-Demand, the PATHS kept as packed rows (RowParser's job)
//   simdjson-dom-proj  the DOM parser (validates every value), then the same
// PATHS.json is a JSON array of projection paths, or a scan request with a
// "paths" member (what kinspect sends a plugin for the table).
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <simdjson.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/table/packed.h"
#include "core/table/row_parser.h"
#include "core/table/table.h"

namespace {

namespace od = simdjson::ondemand;
using kinspect::packed::Writer;

struct NullHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec = boost::json::error_code;
  bool on_document_begin(ec&) { return true; }
  bool on_document_end(ec&) { return true; }
  bool on_object_begin(ec&) { return true; }
  bool on_object_end(std::size_t, ec&) { return true; }
  bool on_array_begin(ec&) { return true; }
  bool on_array_end(std::size_t, ec&) { return true; }
  bool on_key_part(boost::json::string_view, std::size_t, ec&) { return true; }
  bool on_key(boost::json::string_view, std::size_t, ec&) { return true; }
  bool on_string_part(boost::json::string_view, std::size_t, ec&) { return true; }
  bool on_string(boost::json::string_view, std::size_t, ec&) { return true; }
  bool on_number_part(boost::json::string_view, ec&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, ec&) { return true; }
  bool on_uint64(std::uint64_t, boost::json::string_view, ec&) { return true; }
  bool on_double(double, boost::json::string_view, ec&) { return true; }
  bool on_bool(bool, ec&) { return true; }
  bool on_null(ec&) { return true; }
  bool on_comment_part(boost::json::string_view, ec&) { return true; }
  bool on_comment(boost::json::string_view, ec&) { return true; }
};

// The projection as a trie of keys; "#" below a node keeps only a shell.
struct Node {
  std::map<std::string, Node, std::less<>> children;
  bool whole = false;
};

Node trie_of(const std::vector<std::string>& paths) {
  Node root;
  for (const std::string& path : paths) {
    Node* n = &root;
    std::string key;
    for (size_t i = 0; i <= path.size(); ++i) {
      if (i < path.size() && path[i] == '\\' && i + 1 < path.size()) {
        key += path[++i];
      } else if (i == path.size() || path[i] == '.') {
        n = &n->children[key];
        key.clear();
      } else {
        key += path[i];
      }
    }
    n->whole = true;
  }
  return root;
}

// The items of a List, cut into batches of whole objects separated by
// newlines, each batch followed by simdjson's padding.
std::vector<std::string> batches_of(const char* data, size_t size, size_t batch_bytes) {
  boost::json::value list = boost::json::parse(boost::json::string_view(data, size));
  std::vector<std::string> batches(1);
  for (const auto& item : list.as_object().at("items").as_array()) {
    if (batches.back().size() >= batch_bytes) batches.emplace_back();
    batches.back() += boost::json::serialize(item);
    batches.back() += '\n';
  }
  for (auto& b : batches) b.reserve(b.size() + simdjson::SIMDJSON_PADDING);
  return batches;
}

// ---- simdjson, every value visited
void walk(od::value v, size_t& values) {
  switch (v.type()) {
    case od::json_type::object:
      for (auto field : v.get_object()) {
        (void)field.unescaped_key().value();
        walk(field.value().value(), values);
      }
      break;
    case od::json_type::array:
      for (auto e : v.get_array()) walk(e.value(), values);
      break;
    case od::json_type::string: (void)v.get_string().value(); break;
    case od::json_type::number: (void)v.get_number().value(); break;
    case od::json_type::boolean: (void)v.get_bool().value(); break;
    case od::json_type::null: (void)v.is_null(); break;
  }
  ++values;
}

// ---- simdjson, the projection kept as packed rows
void write_whole(od::value v, Writer& w);
void write_scalar(od::value v, Writer& w) {
  switch (v.type()) {
    case od::json_type::string: w.string(v.get_string().value()); break;
    case od::json_type::number: {
      od::number n = v.get_number().value();
      if (n.is_int64()) w.int64(n.get_int64());
      else if (n.is_uint64()) w.uint64(n.get_uint64());
      else w.real(n.get_double());
      break;
    }
    case od::json_type::boolean: w.boolean(v.get_bool().value()); break;
    default: w.null_value(); break;
  }
}
void write_whole(od::value v, Writer& w) {
  switch (v.type()) {
    case od::json_type::object: {
      size_t at = w.open_object();
      for (auto field : v.get_object()) {
        w.key(std::string_view(field.unescaped_key().value()));
        write_whole(field.value().value(), w);
      }
      w.close(at);
      break;
    }
    case od::json_type::array: {
      size_t at = w.open_array();
      for (auto e : v.get_array()) write_whole(e.value(), w);
      w.close(at);
      break;
    }
    default: write_scalar(v, w);
  }
}
void project(od::value v, const Node& node, Writer& w) {
  if (node.whole) return write_whole(v, w);
  switch (v.type()) {
    case od::json_type::object: {
      size_t at = w.open_object();
      if (!node.children.count("#"))
        for (auto field : v.get_object()) {
          std::string_view key = field.unescaped_key().value();
          auto it = node.children.find(key);
          if (it == node.children.end()) continue;  // On-Demand skips it unread
          w.key(key);
          project(field.value().value(), it->second, w);
        }
      w.close(at);
      break;
    }
    case od::json_type::array: {
      size_t at = w.open_array();
      for (auto e : v.get_array()) project(e.value(), node, w);
      w.close(at);
      break;
    }
    default: write_scalar(v, w);
  }
}

// ---- simdjson DOM (every value validated), the projection kept
namespace dom = simdjson::dom;
void dom_whole(dom::element v, Writer& w) {
  switch (v.type()) {
    case dom::element_type::OBJECT: {
      size_t at = w.open_object();
      for (dom::key_value_pair kv : dom::object(v)) {
        w.key(kv.key);
        dom_whole(kv.value, w);
      }
      w.close(at);
      break;
    }
    case dom::element_type::ARRAY: {
      size_t at = w.open_array();
      for (dom::element e : dom::array(v)) dom_whole(e, w);
      w.close(at);
      break;
    }
    case dom::element_type::STRING: w.string(std::string_view(v)); break;
    case dom::element_type::INT64: w.int64(int64_t(v)); break;
    case dom::element_type::UINT64: w.uint64(uint64_t(v)); break;
    case dom::element_type::DOUBLE: w.real(double(v)); break;
    case dom::element_type::BOOL: w.boolean(bool(v)); break;
    case dom::element_type::NULL_VALUE: w.null_value(); break;
  }
}
void dom_project(dom::element v, const Node& node, Writer& w) {
  if (node.whole) return dom_whole(v, w);
  switch (v.type()) {
    case dom::element_type::OBJECT: {
      size_t at = w.open_object();
      if (!node.children.count("#"))
        for (dom::key_value_pair kv : dom::object(v)) {
          auto it = node.children.find(kv.key);
          if (it == node.children.end()) continue;
          w.key(kv.key);
          dom_project(kv.value, it->second, w);
        }
      w.close(at);
      break;
    }
    case dom::element_type::ARRAY: {
      size_t at = w.open_array();
      for (dom::element e : dom::array(v)) dom_project(e, node, w);
      w.close(at);
      break;
    }
    default: dom_whole(v, w);
  }
}

template <class F>
double median_ms(int runs, F&& f) {
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::vector<std::string> paths_from(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  boost::json::value v = boost::json::parse(text.str());
  const boost::json::array& a = v.is_array() ? v.as_array() : v.as_object().at("paths").as_array();
  std::vector<std::string> paths;
  for (const auto& p : a) paths.emplace_back(p.as_string());
  return paths;
}

}  // namespace

int probe(int argc, char** argv);

int main(int argc, char** argv) {
  try {
    return probe(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kinspect-parse-probe: %s\n", e.what());
    return 1;
  }
}

int probe(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: kinspect-parse-probe LIST.json PATHS.json [RUNS] [BATCH_MIB]\n");
    return 2;
  }
  int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  size_t batch_bytes = size_t(argc > 4 ? std::max(1, std::atoi(argv[4])) : 4) << 20;
  int fd = open(argv[1], O_RDONLY);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    std::fprintf(stderr, "%s: cannot open\n", argv[1]);
    return 2;
  }
  void* map = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  std::vector<std::string> batches, paths;
  try {
    batches = batches_of(static_cast<const char*>(map), size_t(st.st_size), batch_bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(argv[1]) + ": not a List with items: " + e.what());
  }
  munmap(map, size_t(st.st_size));
  try {
    paths = paths_from(argv[2]);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(argv[2]) + ": not a JSON array of paths: " + e.what());
  }
  size_t bytes = 0;
  for (const auto& b : batches) bytes += b.size();

  size_t rows = 0, values = 0, packed_bytes = 0;
  double sax = median_ms(runs, [&] {
    boost::json::basic_parser<NullHandler> parser(boost::json::parse_options{});
    for (const auto& b : batches) {
      size_t at = 0;
      while (at < b.size()) {
        parser.reset();
        boost::json::error_code ec;
        at += parser.write_some(false, b.data() + at, b.size() - at, ec);
        while (at < b.size() && (b[at] == '\n' || b[at] == ' ')) ++at;
      }
    }
  });
  double rowparser = median_ms(runs, [&] {
    kinspect::RowParser parser{kinspect::Projection(paths)};
    kinspect::TableData table;
    for (const auto& b : batches) (void)parser.feed(b, table, "probe");
    rows = table.rows.size();
  });
  double walk_ms = median_ms(runs, [&] {
    od::parser parser;
    values = 0;
    for (const auto& b : batches) {
      od::document_stream docs = parser.iterate_many(b.data(), b.size(), 4u << 20).value();
      for (auto doc : docs) walk(od::value(doc.get_value().value()), values);
    }
  });
  Node trie = trie_of(paths);
  double project_ms = median_ms(runs, [&] {
    od::parser parser;
    kinspect::packed::Store store;
    Writer w;
    packed_bytes = 0;
    for (const auto& b : batches) {
      od::document_stream docs = parser.iterate_many(b.data(), b.size(), 4u << 20).value();
      for (auto doc : docs) {
        w.clear();
        project(doc.get_value().value(), trie, w);
        store.add(w.bytes());
        packed_bytes += w.bytes().size();
      }
    }
  });
  double dom_ms = median_ms(runs, [&] {
    dom::parser parser;
    kinspect::packed::Store store;
    Writer w;
    for (const auto& b : batches) {
      dom::document_stream docs = parser.parse_many(b.data(), b.size(), 4u << 20).value();
      for (auto doc : docs) {
        w.clear();
        dom_project(doc.value(), trie, w);
        store.add(w.bytes());
      }
    }
  });
  auto line = [&](const char* name, double ms) {
    std::printf("%-18s %9.1f ms %7.2f GB/s %6.2fx\n", name, ms, double(bytes) / ms / 1e6, ms / sax);
  };
  std::printf("%zu batches, %.0f MB, %zu rows, %zu values, %zu paths, %.0f MB packed (simdjson)\n", batches.size(),
              double(bytes) / 1e6, rows, values, paths.size(), double(packed_bytes) / 1e6);
  line("boost-sax-null", sax);
  line("rowparser", rowparser);
  line("simdjson-walk", walk_ms);
  line("simdjson-project", project_ms);
  line("simdjson-dom-proj", dom_ms);
  return 0;
}
