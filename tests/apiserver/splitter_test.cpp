// The streaming List splitter, fed in every chunk size: same items, same
// projections, same errors as when fed at once.
#include "rows.h"
#include "splitter.h"
#include "yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "fixture.h"

using namespace kapitest;
namespace json = boost::json;

namespace {

std::vector<std::string> split(const std::string& doc, size_t chunk, const kapi::RowOptions& opts) {
  std::string batch;
  kinspect::sdk::BatchWriter out(batch);
  kapi::ListSplitter s("doc");
  auto sink = [&](const kapi::SplitItem& it) {
    kapi::write_item(out, it, kapi::identify(it, "", ""), opts);
  };
  for (size_t off = 0; off < doc.size(); off += chunk) s.feed(doc.data() + off, std::min(chunk, doc.size() - off), sink);
  s.finish(sink);
  std::vector<std::string> rows;
  json::stream_parser p;
  size_t i = 0;
  while (i < batch.size()) {
    while (i < batch.size() && std::isspace(static_cast<unsigned char>(batch[i]))) ++i;
    if (i >= batch.size()) break;
    p.reset();
    i += p.write_some(batch.data() + i, batch.size() - i);
    if (!p.done()) p.finish();
    rows.push_back(json::serialize(p.release()));
  }
  return rows;
}

}  // namespace

TEST(Splitter, EveryChunkSizeGivesTheSameRows) {
  for (const char* f : {"events_EventList.json", "kind_kube-system_PodList.json", "kubectl_List.json"}) {
    std::string doc = read_file(data(f));
    kapi::RowOptions all, proj;
    proj.project = true;
    proj.keep = {"metadata", "reason"};
    proj.strip_managed_fields = true;
    auto whole = split(doc, doc.size(), all);
    auto whole_proj = split(doc, doc.size(), proj);
    ASSERT_EQ(whole.size(), json::parse(doc).as_object().at("items").as_array().size()) << f;
    for (size_t chunk : {1, 2, 3, 5, 7, 13, 64, 333, 4096}) {
      EXPECT_EQ(split(doc, chunk, all), whole) << f << " chunk " << chunk;
      EXPECT_EQ(split(doc, chunk, proj), whole_proj) << f << " chunk " << chunk;
    }
    // Projected rows are the full rows minus the dropped keys.
    for (size_t i = 0; i < whole.size(); ++i) {
      json::object full = json::parse(whole[i]).as_object();
      json::object expect;
      for (auto& kv : full)
        if (kv.key() == "apiVersion" || kv.key() == "kind" || kv.key() == "metadata" || kv.key() == "reason")
          expect[kv.key()] = kv.value();
      if (auto* m = expect.if_contains("metadata")) m->as_object().erase("managedFields");
      EXPECT_EQ(json::parse(whole_proj[i]).as_object(), expect) << f << " item " << i;
    }
  }
}

namespace {
// The rows write_item gives for `doc` fed in pieces of `chunk`, for a scan of `read` paths.
std::vector<std::string> projected(const std::string& doc, size_t chunk, const std::vector<std::string>& read) {
  std::string batch;
  kinspect::sdk::BatchWriter out(batch);
  kapi::ListSplitter s("doc");
  kapi::RowOptions opts;
  opts.project = true;
  for (const auto& p : read) {
    std::string top = p.substr(0, p.find('.'));
    if (std::find(opts.keep.begin(), opts.keep.end(), top) == opts.keep.end()) opts.keep.push_back(top);
  }
  opts.read_paths = read;
  // As row_options() sets it: managedFields go unless a path reads them.
  opts.strip_managed_fields = std::none_of(read.begin(), read.end(), [](const std::string& p) {
    return p.rfind("metadata.managedFields", 0) == 0;
  });
  s.skip_unread_strings(read);
  auto sink = [&](const kapi::SplitItem& it) { kapi::write_item(out, it, kapi::identify(it, "", ""), opts); };
  for (size_t off = 0; off < doc.size(); off += chunk) s.feed(doc.data() + off, std::min(chunk, doc.size() - off), sink);
  s.finish(sink);
  std::vector<std::string> rows;
  for (size_t a = 0, b; a < batch.size(); a = b + 1) {
    b = batch.find('\n', a);
    if (b == std::string::npos) b = batch.size();
    rows.push_back(json::serialize(json::parse(std::string_view(batch).substr(a, b - a))));
  }
  return rows;
}
}  // namespace

// A row carries, of an item's metadata, only the members a read path leads
// to: the host would drop the others (annotations, uid, managedFields) after
// copying and parsing them.
TEST(Splitter, RowsLeaveOutTheMetadataMembersNoPathReads) {
  const std::string doc =
      R"({"kind":"PodList","apiVersion":"v1","items":[)"
      R"({"metadata":{"annotations":{"sidecar":"{\"x\":[1,2]}"},"name":"a","uid":"u1","namespace":"n",)"
      R"("managedFields":[{"manager":"m"}],"labels":{"app":"web"}},"spec":{"nodeName":"w1"}},)"
      R"({ "metadata" : { "name" : "b" , "labels" : { } } , "spec" : { } },)"
      R"({"metadata":{"uid":"u3","annotations":{}},"spec":{"nodeName":"w3"}},)"
      R"({"metadata":{"name":"twice"},"spec":{},"metadata":{"uid":"u4","name":"again"}},)"
      R"({"metadata":[],"spec":{}}]})";
  const std::vector<std::string> read = {"metadata.name", "metadata.labels.app", "spec.nodeName"};
  const std::vector<std::string> want = {
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"app":"web"}},"spec":{"nodeName":"w1"}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"b","labels":{}},"spec":{}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{"nodeName":"w3"}})",
      // Two metadata members: neither is cut (uid stays). Boost.JSON, which
      // reads the rows here, keeps the last of duplicate keys.
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"uid":"u4","name":"again"},"spec":{}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":[],"spec":{}})"};
  for (size_t chunk : {size_t(1), size_t(2), size_t(7), size_t(64), doc.size()})
    EXPECT_EQ(projected(doc, chunk, read), want) << "chunk " << chunk;

  // Reading metadata whole keeps every member but managedFields; reading
  // managedFields keeps it.
  auto whole = projected(doc, 5, {"metadata"});
  EXPECT_EQ(json::parse(whole[0]).at("metadata").as_object().size(), 5u) << whole[0];
  EXPECT_FALSE(json::parse(whole[0]).at("metadata").as_object().contains("managedFields"));
  auto mf = projected(doc, 5, {"metadata.managedFields", "metadata.uid"});
  EXPECT_EQ(json::serialize(json::parse(mf[0]).at("metadata")), R"({"uid":"u1","managedFields":[{"manager":"m"}]})");
  EXPECT_EQ(json::serialize(json::parse(mf[2]).at("metadata")), R"({"uid":"u3"})");
  // A member whose name has a dot, escaped in the path as the binder writes it.
  const std::string dotted = R"({"items":[{"metadata":{"we.ird":1,"we":2,"name":"x"}}]})";
  EXPECT_EQ(projected(dotted, 3, {"metadata.we\\.ird"}), std::vector<std::string>{R"({"metadata":{"we.ird":1}})"});
}

TEST(Splitter, StringsWithBracketsAndEscapes) {
  std::string doc = R"({"kind":"ConfigMapList","apiVersion":"v1","items":[{"metadata":{"name":"a\"}]{["},"data":{"x":"\\","y":"]}\"\\\""}},{"metadata":{"name":"b"}}]})";
  for (size_t chunk : {1, 2, 3, 1000}) {
    auto rows = split(doc, chunk, {});
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(json::parse(rows[0]).as_object().at("metadata").as_object().at("name").as_string(), "a\"}]{[");
    EXPECT_EQ(json::parse(rows[1]).as_object().at("kind").as_string(), "ConfigMap");
  }
}

TEST(Splitter, MalformedAndTruncated) {
  EXPECT_THROW(split(R"({"items":[{"a":1]})", 3, {}), std::runtime_error);
  try {
    split(R"({"items":[{"a":"b)", 4, {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "truncated JSON in doc at byte 17");
  }
  EXPECT_THROW(split("garbage", 3, {}), std::runtime_error);
}

namespace {
std::vector<std::string> yaml_stream(const std::string& text, size_t chunk) {
  size_t pos = 0;
  kapi::YamlReader r(
      [&](char* b, size_t n) {
        size_t k = std::min({n, chunk, text.size() - pos});
        std::memcpy(b, text.data() + pos, k);
        pos += k;
        return k;
      },
      "doc.yaml");
  std::vector<std::string> out;
  std::string j;
  while (r.next(j)) out.push_back(json::serialize(json::parse(j)));
  return out;
}
std::string yaml_whole_json(const YAML::Node& n) {
  std::string j;
  kapi::yaml_to_json(n, j);
  return json::serialize(json::parse(j));
}
}  // namespace

// kubectl -o yaml Lists are streamed item by item, with the same result as
// converting the whole document.
TEST(YamlReader, StreamsListItemsLikeWholeConversion) {
  for (const char* f : {"popeye_nodes_List.yaml", "pod.yaml"}) {
    std::string text = read_file(data(f));
    YAML::Node whole = YAML::Load(text);
    std::vector<std::string> expect;
    if (whole["items"] && whole["items"].IsSequence()) {
      for (const auto& item : whole["items"]) expect.push_back(yaml_whole_json(item));
    } else {
      expect.push_back(yaml_whole_json(whole));
    }
    for (size_t chunk : {1, 7, 100, 65536}) {
      auto got = yaml_stream(text, chunk);
      // A streamed List also yields its head (apiVersion/kind/metadata) last.
      if (got.size() == expect.size() + 1) got.pop_back();
      EXPECT_EQ(got, expect) << f << " chunk " << chunk;
    }
  }
}

TEST(YamlReader, IndentedItemsCommentsAndBlockScalars) {
  std::string text =
      "# a dump\n"
      "apiVersion: v1\n"
      "items:\n"
      "  - apiVersion: v1\n"
      "    kind: ConfigMap\n"
      "    metadata: {name: one}\n"
      "    data:\n"
      "      script: |\n"
      "        #!/bin/sh\n"
      "\n"
      "        # a comment inside the script\n"
      "        echo hi\n"
      "  # between items\n"
      "  - kind: ConfigMap\n"
      "    metadata:\n"
      "      name: two\n"
      "  - just a string\n"
      "kind: List\n"
      "---\n"
      "kind: Service\n"
      "metadata: {name: three}\n";
  auto got = yaml_stream(text, 5);
  ASSERT_EQ(got.size(), 4u);  // two items, the List's head, the Service
  auto one = json::parse(got[0]).as_object();
  EXPECT_EQ(one["data"].as_object()["script"].as_string(), "#!/bin/sh\n\n# a comment inside the script\necho hi\n");
  EXPECT_EQ(json::parse(got[1]).as_object()["metadata"].as_object()["name"].as_string(), "two");
  EXPECT_EQ(json::parse(got[2]).as_object()["kind"].as_string(), "List");
  EXPECT_EQ(json::parse(got[3]).as_object()["kind"].as_string(), "Service");
}

// A huge string nobody reads streams by without being held: memory follows
// what the scan reads, not what is in the file. One that is read still hits
// the per-object limit, with its error.
TEST(Splitter, LongStringsNobodyReadsAreSkippedNotHeld) {
  const size_t kHuge = 300u << 20;  // 300 MiB, fed in 64 KiB chunks, never built whole
  auto stream = [&](kapi::ListSplitter& s, const kapi::ListSplitter::Sink& sink, size_t& max_held) {
    std::string head = R"({"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"a","annotations":{"big":")";
    s.feed(head.data(), head.size(), sink);
    std::string chunk(64 << 10, 'x');
    for (size_t sent = 0; sent < kHuge; sent += chunk.size()) {
      s.feed(chunk.data(), chunk.size(), sink);
      max_held = std::max(max_held, s.held());
    }
    std::string tail = R"("},"namespace":"n"},"spec":{"nodeName":"w1"}},{"metadata":{"name":"b"}}]})";
    s.feed(tail.data(), tail.size(), sink);
    s.finish(sink);
  };
  std::vector<std::string> items;
  auto sink = [&](const kapi::SplitItem& it) { items.emplace_back(it.json); };
  kapi::ListSplitter s("huge.json");
  s.skip_unread_strings({"metadata.name", "metadata.namespace", "spec.nodeName"});
  size_t max_held = 0;
  stream(s, sink, max_held);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(s.skipped_strings(), 1u);
  EXPECT_LT(max_held, 4u << 20) << "the skipped string was held";
  json::value first = json::parse(items[0]);
  EXPECT_EQ(first.at("metadata").at("name"), "a");
  EXPECT_EQ(first.at("metadata").at("namespace"), "n");
  EXPECT_TRUE(first.at("metadata").at("annotations").at("big").is_null());
  EXPECT_EQ(first.at("spec").at("nodeName"), "w1");
  EXPECT_EQ(json::parse(items[1]).at("metadata").at("name"), "b");

  // Reading the annotations (or all of metadata) keeps the string: refused at the limit.
  for (std::vector<std::string> read : {std::vector<std::string>{"metadata"},
                                        std::vector<std::string>{"metadata.annotations.big"},
                                        std::vector<std::string>{}}) {
    kapi::ListSplitter keep("huge.json");
    keep.skip_unread_strings(read);
    items.clear();
    size_t held = 0;
    try {
      stream(keep, sink, held);
      ADD_FAILURE() << "a read 300 MiB string must hit the per-object limit";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("an object larger than 64 MiB"), std::string::npos) << e.what();
    }
    EXPECT_EQ(keep.skipped_strings(), 0u);
  }
}

TEST(Splitter, SkippingFollowsThePathThroughArrays) {
  std::string big(3u << 20, 'y');
  std::string doc = R"({"items":[{"spec":{"containers":[{"name":"c","args":[")" + big + R"("],"image":"i"}]},"status":{"message":")" + big + R"("}}]})";
  for (size_t chunk : {size_t(4096), size_t(65536)}) {
    std::vector<std::string> items;
    auto sink = [&](const kapi::SplitItem& it) { items.emplace_back(it.json); };
    kapi::ListSplitter s("doc");
    s.skip_unread_strings({"spec.containers"});
    for (size_t off = 0; off < doc.size(); off += chunk) s.feed(doc.data() + off, std::min(chunk, doc.size() - off), sink);
    s.finish(sink);
    ASSERT_EQ(items.size(), 1u);
    json::value v = json::parse(items[0]);
    EXPECT_EQ(v.at("spec").at("containers").at(0).at("args").at(0).as_string().size(), big.size()) << "read: kept";
    EXPECT_EQ(v.at("spec").at("containers").at(0).at("image"), "i");
    EXPECT_TRUE(v.at("status").at("message").is_null()) << "not read: skipped";
    EXPECT_EQ(s.skipped_strings(), 1u);
  }
}

namespace {
// Every item the splitter gives for `doc` fed in pieces of `chunk`, as Boost.JSON reads it.
std::vector<json::value> split_items(const std::string& doc, size_t chunk, kapi::SplitLimits limits = {},
                                     std::vector<std::string> read_paths = {}) {
  std::vector<json::value> items;
  kapi::ListSplitter s("doc", limits);
  if (!read_paths.empty()) s.skip_unread_strings(read_paths);
  auto sink = [&](const kapi::SplitItem& it) {
    items.push_back(json::parse(it.json));
    ASSERT_NE(it.members, nullptr);
    for (const auto& m : *it.members) {
      json::value one = json::parse("{" + std::string(it.json.substr(m.start, m.end - m.start)) + "}");
      EXPECT_EQ(one.as_object().begin()->key(), m.key);
    }
  };
  for (size_t off = 0; off < doc.size(); off += chunk) s.feed(doc.data() + off, std::min(chunk, doc.size() - off), sink);
  s.finish(sink);
  return items;
}
}  // namespace

// Below an item's members the splitter reads 64 bytes at a time (quotes,
// backslashes and brackets as bit masks). Strings with every run of
// backslashes, brackets and quotes inside them, at every offset within a
// block, compact and indented, in every piece size: the same items as
// Boost.JSON reads.
TEST(Splitter, NestedValuesReadInBlocksGiveTheSameItems) {
  json::array items;
  for (size_t pad = 0; pad < 70; ++pad) {
    json::object annotations, spec;
    for (size_t run = 0; run <= 5; ++run) {
      std::string tricky = std::string(pad, 'p') + std::string(run, '\\') + "\"}]{[,:" + std::string(run, '\\');
      annotations["a" + std::to_string(run)] = tricky;
      spec["s" + std::to_string(run)] = json::array{tricky, json::object{{tricky, json::array{1, tricky}}}};
    }
    items.push_back(json::object{{"metadata", {{"name", "x" + std::to_string(pad)}, {"annotations", annotations}}},
                                 {"spec", spec}});
  }
  json::object list{{"kind", "PodList"}, {"apiVersion", "v1"}, {"items", items}};
  const std::string compact = json::serialize(list);
  std::string indented;  // every token on its own line, indented by its depth
  for (size_t i = 0, depth = 0; i < compact.size(); ++i) {
    char c = compact[i];
    indented += c;
    if (c == '"') {
      for (++i; compact[i] != '"'; ++i) {
        indented += compact[i];
        if (compact[i] == '\\') indented += compact[++i];
      }
      indented += '"';
    } else if (c == '{' || c == '[' || c == ',') {
      depth += c != ',';
      indented += "\n" + std::string(depth * 3, ' ');
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  for (const std::string* doc : {&compact, static_cast<const std::string*>(&indented)}) {
    for (size_t chunk : {size_t(1), size_t(7), size_t(63), size_t(64), size_t(65), size_t(127), size_t(4096), doc->size()}) {
      std::vector<json::value> got = split_items(*doc, chunk);
      ASSERT_EQ(got.size(), items.size()) << "chunk " << chunk;
      for (size_t k = 0; k < got.size(); ++k) ASSERT_EQ(got[k], items[k]) << "item " << k << ", chunk " << chunk;
    }
  }
}

// A long string that nothing reads is skipped when it is a value, in an
// object or an array, and kept when it is a key: the splitter tells them
// apart where the string is cut by the end of a piece.
TEST(Splitter, LongNestedKeysAreKeptAndValuesSkipped) {
  const std::string big(3u << 20, 'k');
  const std::string doc = R"({"items":[{"metadata":{"name":"n"},"spec":{"x":{")" + big + R"(":"v","a":1,")" + big + R"(b":"v"},"y":[")" + big +
                          R"(","z"],"w":")" + big + R"("}}]})";
  for (size_t chunk : {size_t(4096), size_t(65536)}) {
    std::vector<json::value> got = split_items(doc, chunk, {}, {"metadata.name"});
    ASSERT_EQ(got.size(), 1u);
    const json::object& spec = got[0].at("spec").as_object();
    EXPECT_TRUE(spec.at("x").as_object().contains(big)) << "a first key is kept";
    EXPECT_TRUE(spec.at("x").as_object().contains(big + "b")) << "a key after a comma is kept";
    EXPECT_TRUE(spec.at("y").at(0).is_null()) << "an array's value is skipped";
    EXPECT_EQ(spec.at("y").at(1), "z");
    EXPECT_TRUE(spec.at("w").is_null()) << "an object's value is skipped";
  }
}

// The bounds and errors of the byte loop hold inside nested values too.
TEST(Splitter, NestedValuesKeepTheLimitsAndErrors) {
  kapi::SplitLimits limits;
  limits.max_whitespace_run = 4096;
  auto doc = [](size_t spaces) {
    return R"({"items":[{"spec":{"a":[1,)" + std::string(spaces, ' ') + R"(2]}}]})";
  };
  for (size_t chunk : {size_t(5), size_t(64), size_t(1000)}) {
    EXPECT_EQ(split_items(doc(4000), chunk, limits).size(), 1u);
    try {
      split_items(doc(5000), chunk, limits);
      ADD_FAILURE() << "5000 spaces in a row passed a limit of 4096";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("of whitespace in a row"), std::string::npos) << e.what();
    }
    try {
      split_items(R"({"items":[{"spec":{"a":[1,{"b":2]}}]})", chunk);
      ADD_FAILURE() << "a mismatched bracket passed";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "malformed JSON (mismatched bracket) in doc at byte 32");
    }
  }
}

namespace {

// Everything a splitter reports for `doc` fed in pieces of `chunk` with
// `scan`: each item's bytes, member spans and metadata spans, the held
// state at the end, and the error if one is thrown.
std::string split_trace(const std::string& doc, size_t chunk, kapi::BlockScan scan, kapi::SplitLimits limits = {}) {
  kapi::ListSplitter s("doc", limits);
  if (!s.use_block_scan(scan)) return "scan not run here";
  s.skip_unread_strings({"metadata.name", "spec.containers"});
  std::string trace;
  auto sink = [&](const kapi::SplitItem& it) {
    trace += "item " + std::string(it.json) + " uid=" + std::string(it.uid) + "\n";
    if (it.members)
      for (const auto& m : *it.members) trace += " member " + m.key + " " + std::to_string(m.start) + "-" + std::to_string(m.end) + "\n";
    if (it.metadata)
      for (const auto& m : *it.metadata)
        trace += " meta " + std::to_string(m.start) + "-" + std::to_string(m.end) + (m.read ? " read" : "") + "\n";
  };
  try {
    for (size_t off = 0; off < doc.size(); off += chunk) s.feed(doc.data() + off, std::min(chunk, doc.size() - off), sink);
    s.finish(sink);
    trace += "end items=" + std::to_string(s.items()) + " skipped=" + std::to_string(s.skipped_strings());
  } catch (const std::exception& e) {
    trace += std::string("error: ") + e.what();
  }
  return trace;
}

// Nested values that put every case of the block scan on 64-byte block
// edges: runs of backslashes of each length before a quote, brackets and
// separators inside strings, whitespace-only blocks, control bytes (a tab in
// a string, raw bytes 0x01 and 0x1f: not valid JSON in a string, but the
// splitter passes them on and must classify them alike).
std::string nested_item(int k) {
  std::string s = "{\"metadata\":{\"name\":\"p" + std::to_string(k) + "\",\"labels\":{\"a\":\"" + std::string(k % 70, 'x') +
                  "\",\"ctl\":\"a\tb\x01" "c\x1f" + std::string(k % 40, 'w') +
                  "\"},\"uid\":\"u" + std::to_string(k) + "\"},\"spec\":{\"containers\":[{\"args\":[";
  for (int r = 0; r < 9; ++r) s += (r ? "," : "") + std::string("\"") + std::string(k % 61, 'y') + std::string(r, '\\') + (r % 2 ? "\"\"" : "\"");
  s += "],\"brackets\":\"{[}]:,\\\"\",\"pad\":[" + std::string(k % 130, ' ') + "{}],\"deep\":[[[{\"x\":{\"y\":[1,2,{\"z\":null}]}}]]]}]}}";
  return s;
}

}  // namespace

TEST(Splitter, EveryBlockScanReadsAsTheGenericOne) {
  std::vector<kapi::BlockScan> wide;
  for (auto scan : {kapi::BlockScan::Avx2, kapi::BlockScan::Avx512})
    if (kapi::ListSplitter("probe").use_block_scan(scan)) wide.push_back(scan);
#if defined(__x86_64__)
  // A CPU that has them must be offered them (else this test would pass by comparing nothing).
  EXPECT_EQ(kapi::ListSplitter("probe").use_block_scan(kapi::BlockScan::Avx2), bool(__builtin_cpu_supports("avx2")));
  EXPECT_EQ(kapi::ListSplitter("probe").use_block_scan(kapi::BlockScan::Avx512), bool(__builtin_cpu_supports("avx512bw")));
#endif
  if (wide.empty()) GTEST_SKIP() << "this CPU runs neither AVX2 nor AVX-512BW: only the generic scan exists here";
  for (auto scan : wide) std::printf("comparing the %s scan with the generic one\n", scan == kapi::BlockScan::Avx2 ? "AVX2" : "AVX-512BW");
  std::string list = "{\"kind\":\"PodList\",\"items\":[";
  for (int k = 0; k < 140; ++k) list += (k ? "," : "") + nested_item(k);
  list += "]}";
  std::vector<std::string> docs = {list, read_file(data("kind_kube-system_PodList.json")), read_file(data("kubectl_List.json"))};
  // Broken documents: the same error at the same byte from every scan.
  std::string mismatched = list;
  mismatched.replace(mismatched.find("{\"z\":null}"), 10, "{\"z\":null]");
  std::string truncated = list.substr(0, list.size() / 2);
  docs.push_back(mismatched);
  docs.push_back(truncated);
  for (size_t d = 0; d < docs.size(); ++d)
    for (size_t chunk : {1, 7, 63, 64, 65, 200, 4096, 1 << 20}) {
      std::string generic = split_trace(docs[d], chunk, kapi::BlockScan::Generic);
      if (d == 3) {
        EXPECT_NE(generic.find("error: malformed JSON (mismatched bracket) in doc at byte "), std::string::npos);
      } else if (d == 4) {
        EXPECT_NE(generic.find("error: truncated JSON"), std::string::npos);
      } else {
        EXPECT_EQ(generic.find("error"), std::string::npos) << generic.substr(generic.rfind('\n') + 1);
      }
      for (auto scan : wide) EXPECT_EQ(split_trace(docs[d], chunk, scan), generic) << "doc " << d << " chunk " << chunk << " scan " << int(scan);
    }
  // Low limits, so that the structural and whitespace masks decide the
  // output: strings over 16 bytes at unread paths are skipped (which asks
  // the last structural byte whether a string left open is a key), and a
  // run of more than 140 blanks inside an item is refused.
  kapi::SplitLimits low;
  low.skip_string_over = 16;
  low.max_whitespace_run = 140;  // the list's own pads reach 129
  std::string padded = list;
  padded.replace(padded.find("\"pad\":[") + 7, 0, std::string(300, ' '));
  for (size_t chunk : {1, 7, 63, 64, 65, 200, 4096}) {
    std::string skipping = split_trace(list, chunk, kapi::BlockScan::Generic, low);
    // Strings are skipped when a piece ends inside one, which small pieces make sure of.
    if (chunk <= 65) {
      EXPECT_EQ(skipping.find("skipped=0"), std::string::npos) << skipping.substr(skipping.rfind('\n') + 1);
    }
    EXPECT_EQ(skipping.find("error"), std::string::npos) << skipping.substr(skipping.rfind('\n') + 1);
    std::string refused = split_trace(padded, chunk, kapi::BlockScan::Generic, low);
    EXPECT_NE(refused.find("error: more than"), std::string::npos) << refused.substr(refused.rfind('\n') + 1);
    for (auto scan : wide) {
      EXPECT_EQ(split_trace(list, chunk, scan, low), skipping) << "chunk " << chunk << " scan " << int(scan);
      EXPECT_EQ(split_trace(padded, chunk, scan, low), refused) << "chunk " << chunk << " scan " << int(scan);
    }
  }
}
