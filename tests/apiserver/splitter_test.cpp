// The streaming List splitter, fed in every chunk size: same items, same
// projections, same errors as when fed at once.
#include "rows.h"
#include "splitter.h"
#include "yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
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
