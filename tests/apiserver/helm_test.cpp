// k8s.helm_release_objects: the objects inside Helm releases, from a real
// Helm 3 release Secret (FairwindsOps/pluto's e2e asset, tests/data/apiserver/
// SOURCES.md) served live and read from snapshots, from Helm 2 Tiller
// ConfigMaps, and from damaged releases; no value of a release ever reaches
// a row or the log. Then the check removed-api-in-helm-release through the
// built kinspect.
#include "fixture.h"
#include "helm.h"
#include "tests/common/report_json.h"
#include "tests/common/run_command.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <filesystem>

using namespace kapitest;
using kinspect::testing::messages_of;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

namespace {

const std::string kRelease = data("pluto_helm3-release-secret.json");

std::string snap_config(const std::string& path) { return "{\"snapshot\":" + kitest::q(path) + "}"; }

// --- an encoder and decoder of the test's own (OpenSSL, zlib), so that the
// expected rows do not come from the code under test ---

std::string unbase64(const std::string& in) {
  std::string out(in.size() / 4 * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) throw std::runtime_error("test: bad base64");
  out.resize(size_t(n) - (in.size() >= 2 && in[in.size() - 2] == '=' ? 2 : in.size() >= 1 && in.back() == '=' ? 1 : 0));
  return out;
}

std::string zip(const std::string& in, int wbits = 16 + MAX_WBITS) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string unzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 16 + MAX_WBITS);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return out;
}

// The release JSON inside the real Secret.
json::object real_release() {
  json::value secret = json::parse(read_file(kRelease));
  std::string once = unbase64(std::string(secret.at("data").at("release").as_string()));
  return json::parse(unzip(unbase64(once))).as_object();
}

// "apiVersion kind namespace/name" of each object of a manifest, as
// yaml-cpp's own multi-document loader reads it.
std::vector<std::string> identities(const std::string& manifest, const std::string& release_ns) {
  std::vector<std::string> out;
  for (const YAML::Node& d : YAML::LoadAll(manifest)) {
    if (!d.IsMap()) continue;
    std::string ns = d["metadata"]["namespace"] ? d["metadata"]["namespace"].as<std::string>() : release_ns;
    out.push_back(d["apiVersion"].as<std::string>() + " " + d["kind"].as<std::string>() + " " + ns + "/" +
                  d["metadata"]["name"].as<std::string>());
  }
  return out;
}

std::vector<std::string> identities(const kitest::ScanResult& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows)
    if (row.at("error").is_null())
      out.push_back(str(row, "api_version") + " " + str(row, "kind") + " " + str(row, "namespace") + "/" + str(row, "name"));
  return out;
}

// Every value of the release that is not one of the identities the table
// may show: each string of the release JSON and each value of a manifest
// line, six characters or longer.
std::vector<std::string> withheld_values(const json::object& release, const kitest::ScanResult& r) {
  std::set<std::string> shown;
  for (const auto& row : r.rows)
    for (const auto& kv : row.as_object())
      if (kv.value().is_string()) shown.insert(std::string(kv.value().as_string()));
  // A part of a value shown (the chart's name in "name-version") is shown too.
  auto is_shown = [&](const std::string& v) {
    return std::any_of(shown.begin(), shown.end(), [&](const std::string& s) { return s.find(v) != std::string::npos; });
  };
  std::vector<std::string> out;
  std::function<void(const json::value&)> walk = [&](const json::value& v) {
    if (v.is_object())
      for (const auto& kv : v.as_object()) walk(kv.value());
    else if (v.is_array())
      for (const auto& x : v.as_array()) walk(x);
    else if (v.is_string() && v.as_string().size() >= 6 && !is_shown(std::string(v.as_string())))
      out.emplace_back(v.as_string());
  };
  walk(release);
  std::istringstream lines(std::string(release.at("manifest").as_string()));
  for (std::string line; std::getline(lines, line);) {
    size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 2);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.size() >= 6 && !is_shown(value)) out.push_back(value);
  }
  return out;
}

std::string rows_text(const kitest::ScanResult& r) {
  std::string s;
  for (const auto& row : r.rows) s += json::serialize(row) + "\n";
  return s;
}

void expect_nothing_withheld_shown(const std::vector<std::string>& withheld, const std::string& shown) {
  ASSERT_FALSE(withheld.empty());
  for (const auto& v : withheld) EXPECT_EQ(shown.find(v), std::string::npos) << "leaked: " << v;
}

// The real release's rows, checked against the release decoded here.
void expect_real_release_rows(const kitest::ScanResult& r, const std::string& logs) {
  ASSERT_TRUE(r.ok) << r.error;
  const json::object release = real_release();
  const std::string ns(release.at("namespace").as_string());
  std::vector<std::string> want = identities(std::string(release.at("manifest").as_string()), ns);
  ASSERT_EQ(want, (std::vector<std::string>{"extensions/v1beta1 Deployment demo2/test-helm3chart-v1beta1",
                                             "apps/v1 Deployment demo2/test-helm3chart"}));
  EXPECT_EQ(identities(r), want);
  ASSERT_EQ(r.rows.size(), want.size());
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    EXPECT_EQ(str(row, "release"), std::string(release.at("name").as_string()));
    EXPECT_EQ(str(row, "release_namespace"), ns);
    EXPECT_EQ(row.at("revision"), release.at("version"));
    EXPECT_EQ(str(row, "status"), std::string(release.at("info").at("status").as_string()));
    EXPECT_EQ(str(row, "chart"), "helm3chart-0.1.0");
    EXPECT_EQ(str(row, "source"), "helm3-secret");
    EXPECT_EQ(str(row, "storage"), "secret default/sh.helm.release.v1.test.v1");
    EXPECT_EQ(row.at("doc_index"), json::value(int64_t(i)));
    EXPECT_EQ(row.as_object().size(), 13u) << row;
  }
  std::vector<std::string> withheld = withheld_values(release, r);
  withheld.push_back(std::string(json::parse(read_file(kRelease)).at("data").at("release").as_string()).substr(0, 64));
  expect_nothing_withheld_shown(withheld, rows_text(r) + logs);
}

// A Helm 3 release Secret holding `release` (JSON text), encoded as Helm
// and the API server do; `value` replaces data.release when given.
std::string release_secret(const std::string& ns, const std::string& name, const std::string& release,
                           std::optional<std::string> value = std::nullopt) {
  json::object s{{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "helm.sh/release.v1"}};
  s["metadata"] = json::object{{"name", "sh.helm.release.v1." + name + ".v1"}, {"namespace", ns},
                               {"labels", json::object{{"owner", "helm"}, {"name", name}, {"version", "1"}}}};
  s["data"] = json::object{{"release", value ? *value : base64(base64(zip(release)))}};
  return json::serialize(s);
}

std::string release_json(const std::string& name, const std::string& ns, const std::string& manifest) {
  json::object r{{"name", name}, {"namespace", ns}, {"version", 1}, {"manifest", manifest}};
  r["info"] = json::object{{"status", "deployed"}};
  r["chart"] = json::object{{"metadata", json::object{{"name", "app"}, {"version", "1.0.0"}}}};
  return json::serialize(r);
}

const char* kCanary = "s3cr3t-CANARY-value";

// A manifest with a Secret and a ConfigMap holding the canary.
std::string canary_manifest() {
  return std::string("---\n# Source: app/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app-creds\n"
                     "data:\n  password: ") +
         base64(kCanary) + "\nstringData:\n  token: " + kCanary + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
         "  name: app-config\n  namespace: other\ndata:\n  url: https://" + kCanary + "@db\n";
}

std::string list_of(const std::vector<std::string>& items) {
  std::string s = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]}";
}

// --- Helm 2: hapi.release.Release, encoded by hand ---
std::string varint(uint64_t v) {
  std::string s;
  do {
    unsigned char b = v & 0x7f;
    v >>= 7;
    s += char(v ? b | 0x80 : b);
  } while (v);
  return s;
}
std::string field(uint32_t n, const std::string& bytes) { return varint(n << 3 | 2) + varint(bytes.size()) + bytes; }
std::string field(uint32_t n, uint64_t v) { return varint(n << 3) + varint(v); }

std::string tiller_configmap(const std::string& manifest) {
  std::string status = field(1, uint64_t(1));  // DEPLOYED
  std::string info = field(1, status) + field(5, std::string("Install complete"));
  std::string chart = field(1, field(1, std::string("legacy")) + field(2, std::string("https://example.com")) +
                                   field(4, std::string("0.3.0")));
  std::string rel = field(1, std::string("old-app")) + field(2, info) + field(3, chart) +
                    field(4, field(1, std::string(kCanary))) + field(5, manifest) + field(7, uint64_t(4)) +
                    field(8, std::string("legacy-ns")) + varint(9 << 3 | 5) + std::string(4, 'x');
  json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"}};
  cm["metadata"] = json::object{{"name", "old-app.v4"}, {"namespace", "kube-system"},
                                {"labels", json::object{{"OWNER", "TILLER"}, {"NAME", "old-app"}, {"VERSION", "4"}}}};
  cm["data"] = json::object{{"release", base64(zip(rel))}};
  return json::serialize(cm);
}

std::string without_kind(const std::string& object) {
  json::object o = json::parse(object).as_object();
  o.erase("kind");
  o.erase("apiVersion");
  return json::serialize(o);
}

}  // namespace

TEST(HelmReleases, TheRealReleaseSecretServedLiveGivesItsObjectsAndNothingElse) {
  Cluster c("helm-live");
  const std::string secret = read_file(kRelease);
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1",
                           {without_kind(secret), without_kind(R"({"metadata":{"name":"db","namespace":"default"},
                             "type":"Opaque","data":{"password":")" + base64(kCanary) + "\"}}")});
  c.server->add_collection("/api/v1/configmaps", "ConfigMapList", "v1", {});
  auto p = plugin(c.config(c.cert_kubeconfig()));
  auto r = p->scan("k8s.helm_release_objects");
  expect_real_release_rows(r, p->all_logs());
  EXPECT_EQ(rows_text(r).find(base64(kCanary)), std::string::npos);
  // Only release Secrets were asked for: never a LIST of every Secret.
  size_t secret_lists = 0;
  for (const auto& line : c.server->log())
    if (line.find("/api/v1/secrets") != std::string::npos) {
      ++secret_lists;
      EXPECT_NE(line.find("fieldSelector=type%3Dhelm.sh%2Frelease.v1"), std::string::npos) << line;
    }
  EXPECT_EQ(secret_lists, 1u);
}

TEST(HelmReleases, TheRealReleaseSecretReadFromSnapshots) {
  const std::string dir = temp_dir("helm-snap");
  std::filesystem::copy_file(kRelease, dir + "/release.json");
  for (const std::string& path : {dir, kRelease}) {
    auto p = plugin(snap_config(path));
    auto r = p->scan("k8s.helm_release_objects");
    expect_real_release_rows(r, p->all_logs());
    // k8s.secrets itself still withholds the values.
    auto secrets = p->scan("k8s.secrets");
    ASSERT_TRUE(secrets.ok) << secrets.error;
    ASSERT_EQ(secrets.rows.size(), 1u);
    EXPECT_TRUE(secrets.rows[0].at("data").at("release").is_null());
  }
}

TEST(HelmReleases, ASnapshotWithoutTheReleasesDataIsNotCaptured) {
  // As kinspect snapshot writes Secrets: values withheld.
  const std::string dir = temp_dir("helm-withheld");
  json::object s = json::parse(read_file(kRelease)).as_object();
  s["data"].as_object()["release"] = nullptr;
  write_file(dir + "/secrets.json", list_of({json::serialize(s)}));
  auto r = plugin(snap_config(dir))->scan("k8s.helm_release_objects");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.rc, KI_UNAVAILABLE) << r.error;
  EXPECT_NE(r.error.find("without their data"), std::string::npos) << r.error;
  // No Secrets at all: not captured either, never zero rows.
  const std::string empty = temp_dir("helm-nosecrets");
  write_file(empty + "/nodes.json", read_file(data("kind_nodes_NodeList.json")));
  auto none = plugin(snap_config(empty))->scan("k8s.helm_release_objects");
  EXPECT_EQ(none.rc, KI_UNAVAILABLE) << none.error;
  EXPECT_NE(none.error.find("not captured"), std::string::npos) << none.error;
}

TEST(HelmReleases, DamagedReleasesAreErrorRowsNamingTheirSecret) {
  const std::string good = release_json("ok", "apps", canary_manifest());
  std::string bomb = base64(base64(zip(std::string(80u << 20, '\0'))));
  std::string truncated = base64(zip(good));
  truncated = base64(unbase64(truncated).substr(0, 40));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"bad-base64", "!!not base64!!"},
      {"bad-gzip", base64(base64(std::string("\x1f\x8b\x08\x00garbage-") + kCanary))},
      {"truncated", truncated},
      {"bomb", bomb},
      {"not-json", base64(base64(zip(std::string("{\"manifest\": \"") + kCanary)))},
  };
  std::vector<std::string> items = {release_secret("apps", "ok", good)};
  for (const auto& [name, value] : bad) items.push_back(release_secret("apps", name, "", value));
  // One document of a good release is not valid YAML: that document alone is an error.
  items.push_back(release_secret("apps", "half", release_json("half", "apps",
                                                              "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n"
                                                              "---\nkind: [" + std::string(kCanary) + "\n")));
  const std::string dir = temp_dir("helm-bad");
  write_file(dir + "/secrets.json", list_of(items));
  auto p = plugin(snap_config(dir));
  auto r = p->scan("k8s.helm_release_objects");
  ASSERT_TRUE(r.ok) << r.error;
  std::map<std::string, std::string> errors;  // storage -> error
  for (const auto& row : r.rows)
    if (!row.at("error").is_null()) errors[str(row, "storage")] = str(row, "error");
  for (const auto& [name, value] : bad) {
    const std::string where = "secret apps/sh.helm.release.v1." + name + ".v1";
    ASSERT_TRUE(errors.count(where)) << where << "\n" << rows_text(r);
    EXPECT_EQ(errors[where].rfind(where + ": ", 0), 0u) << errors[where];
  }
  EXPECT_NE(errors["secret apps/sh.helm.release.v1.bomb.v1"].find("more than"), std::string::npos);
  EXPECT_NE(errors["secret apps/sh.helm.release.v1.truncated.v1"].find("truncated"), std::string::npos);
  EXPECT_NE(errors["secret apps/sh.helm.release.v1.half.v1"].find("document starting at line 6 is invalid"), std::string::npos)
      << errors["secret apps/sh.helm.release.v1.half.v1"];
  // The good releases' objects, the Secret in the manifest by its name only.
  EXPECT_EQ(identities(r), (std::vector<std::string>{"v1 Secret apps/app-creds", "v1 ConfigMap other/app-config",
                                                     "v1 Service apps/svc"}));
  const std::string shown = rows_text(r) + p->all_logs();
  EXPECT_EQ(shown.find(kCanary), std::string::npos) << shown;
  EXPECT_EQ(shown.find(base64(kCanary)), std::string::npos) << shown;
}

TEST(HelmReleases, Helm2TillerConfigMapsAreDecodedFromTheirProtobuf) {
  Cluster c("helm2");
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1", {});
  c.server->add_collection("/api/v1/configmaps", "ConfigMapList", "v1",
                           {without_kind(tiller_configmap(canary_manifest())),
                            without_kind(R"({"metadata":{"name":"plain","namespace":"kube-system"},"data":{"k":")" +
                                         std::string(kCanary) + "\"}}")});
  auto p = plugin(c.config(c.cert_kubeconfig()));
  auto r = p->scan("k8s.helm_release_objects");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 2u) << rows_text(r);
  EXPECT_EQ(identities(r), (std::vector<std::string>{"v1 Secret legacy-ns/app-creds", "v1 ConfigMap other/app-config"}));
  for (const auto& row : r.rows) {
    EXPECT_EQ(str(row, "release"), "old-app");
    EXPECT_EQ(str(row, "release_namespace"), "legacy-ns");
    EXPECT_EQ(row.at("revision"), json::value(4));
    EXPECT_EQ(str(row, "status"), "deployed");
    EXPECT_EQ(str(row, "chart"), "legacy-0.3.0");
    EXPECT_EQ(str(row, "source"), "helm2-configmap");
    EXPECT_EQ(str(row, "storage"), "configmap kube-system/old-app.v4");
  }
  EXPECT_EQ((rows_text(r) + p->all_logs()).find(kCanary), std::string::npos);
  for (const auto& line : c.server->log()) {
    if (line.find("/api/v1/configmaps") != std::string::npos) {
      EXPECT_NE(line.find("labelSelector=OWNER%3DTILLER"), std::string::npos) << line;
    }
  }
}

TEST(HelmReleases, Helm2ProtobufDamageIsAnErrorNotACrash) {
  kapi::HelmLimits limits;
  std::string rel = field(1, std::string("x")) + field(5, std::string("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"));
  for (size_t cut = 0; cut + 1 < rel.size(); ++cut) {
    try {
      kapi::decode_helm2_release(base64(rel.substr(0, cut)), limits);
    } catch (const kapi::HelmDecodeError& e) {
      EXPECT_NE(std::string(e.what()).find("release protobuf"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(kapi::decode_helm2_release(base64(varint(1 << 3 | 3)), limits), kapi::HelmDecodeError);  // a group
  EXPECT_THROW(kapi::decode_helm2_release(base64(varint(5 << 3 | 2) + varint(1u << 30)), limits), kapi::HelmDecodeError);
  auto ok = kapi::decode_helm2_release(base64(rel), limits);
  ASSERT_EQ(ok.objects.size(), 1u);
  EXPECT_EQ(ok.objects[0].kind, "Service");
}

TEST(HelmReleases, TooManyDocumentsAreRefused) {
  kapi::HelmLimits limits;
  limits.max_documents = 10;
  std::string manifest;
  for (int i = 0; i < 11; ++i) manifest += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c" + std::to_string(i) + "}\n";
  EXPECT_THROW(kapi::manifest_objects(manifest, limits), kapi::HelmDecodeError);
  limits.max_documents = 12;
  EXPECT_EQ(kapi::manifest_objects(manifest, limits).size(), 11u);
}

// The check, as a user runs it on a folder holding the real release Secret.
TEST(HelmReleases, RemovedApiInHelmReleaseFiresOnTheRealRelease) {
  const std::string dir = temp_dir("helm-cli");
  std::filesystem::copy_file(kRelease, dir + "/release.json");
  auto run = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(dir) +
                         " --scenario pre-upgrade --target-version 1.25 --format json --fail-on none --plugin-dir " +
                         sh_quote(KAPI_PLUGIN_DIR));
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 3) << run.err;  // 3: the folder lacks the other checks' tables
  const std::string messages = messages_of(json::parse(run.out), "removed-api-in-helm-release");
  EXPECT_EQ(messages,
            "Helm release demo2/test (revision 2, chart helm3chart-0.1.0) holds Deployment demo2/test-helm3chart-v1beta1 "
            "as extensions/v1beta1, which Kubernetes v1.16.0 removed: move it to apps/v1 before upgrading to 1.25\n")
      << run.out;
}

// kinspect snapshot captures the decoded table (never the Secret's values),
// and a run on that snapshot answers as a run on the live cluster does.
TEST(HelmReleases, ASnapshotCapturesTheTableAndAnswersTheCheckOffline) {
  Cluster c("helm-roundtrip");
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1", {without_kind(read_file(kRelease))});
  c.server->add_collection("/api/v1/configmaps", "ConfigMapList", "v1", {});
  const std::string kc = c.cert_kubeconfig();
  auto cmd = [](const std::string& args) {
    return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
  };
  const std::string run = "run --format json --fail-on none --scenario pre-upgrade --target-version 1.25 "
                          "--check removed-api-in-helm-release ";
  auto live = run_command(cmd(run + "--kubeconfig " + sh_quote(kc)));
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const std::string messages = messages_of(json::parse(live.out), "removed-api-in-helm-release");
  EXPECT_NE(messages.find("holds Deployment demo2/test-helm3chart-v1beta1 as extensions/v1beta1"), std::string::npos)
      << messages;

  const std::string snap = c.dir + "/snap";
  auto taken = run_command(cmd("snapshot -o " + sh_quote(snap) + " --kubeconfig " + sh_quote(kc) +
                               " --table k8s.helm_release_objects --table k8s.version"));
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  const std::string file = read_file(snap + "/helm_release_objects.json");
  EXPECT_NE(file.find("test-helm3chart-v1beta1"), std::string::npos) << file;
  const std::string value(json::parse(read_file(kRelease)).at("data").at("release").as_string());
  EXPECT_EQ(file.find(value.substr(0, 40)), std::string::npos);
  c.server.reset();
  auto offline = run_command(cmd(run + "--snapshot " + sh_quote(snap)));
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(messages_of(json::parse(offline.out), "removed-api-in-helm-release"), messages);
}

// A Helm 2 release whose strings are not UTF-8 still gives rows the host reads.
TEST(HelmReleases, NonUtf8Helm2StringsAreShownAsQuestionMarks) {
  std::string rel = field(1, std::string("bad\xff\xfename")) +
                    field(5, std::string("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"));
  kapi::HelmHolder h{"helm2-configmap", "kube-system", "x.v1", "", "", base64(zip(rel))};
  std::string batch;
  kinspect::sdk::BatchWriter out(batch);
  kapi::write_helm_rows(out, h, kapi::HelmLimits{});
  json::value row = json::parse(batch);
  EXPECT_EQ(row.at("release"), "bad??name");
  EXPECT_EQ(row.at("kind"), "Service");
}

// The run's namespaces narrow the releases; its label selector does not
// (release Secrets carry Helm's labels, not those of the release's objects).
TEST(HelmReleases, TheScopesNamespacesNarrowTheReleasesItsSelectorDoesNot) {
  const std::string dir = temp_dir("helm-scope");
  std::filesystem::copy_file(kRelease, dir + "/release.json");  // the Secret is in namespace default
  auto scan = [&](const std::string& extra) {
    return plugin("{\"snapshot\":" + kitest::q(dir) + extra + "}")->scan("k8s.helm_release_objects");
  };
  auto selector = scan(",\"label_selector\":\"app=web\"");
  ASSERT_TRUE(selector.ok) << selector.error;
  EXPECT_EQ(selector.rows.size(), 2u);
  auto same = scan(",\"namespaces\":[\"default\"]");
  ASSERT_TRUE(same.ok) << same.error;
  EXPECT_EQ(same.rows.size(), 2u);
  auto other = scan(",\"namespaces\":[\"other\"]");
  ASSERT_TRUE(other.ok) << other.error;
  EXPECT_EQ(other.rows.size(), 0u);
  auto excluded = scan(",\"exclude_namespaces\":[\"default\"]");
  ASSERT_TRUE(excluded.ok) << excluded.error;
  EXPECT_EQ(excluded.rows.size(), 0u);
}

// Live, the run's namespaces are one LIST each, still by type.
TEST(HelmReleases, LiveNamespacesAreOneListEach) {
  Cluster c("helm-live-ns");
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1", {without_kind(read_file(kRelease))});
  c.server->add_collection("/api/v1/configmaps", "ConfigMapList", "v1", {});
  auto in_default = plugin(c.config(c.cert_kubeconfig(), ",\"namespaces\":[\"default\"]"))->scan("k8s.helm_release_objects");
  ASSERT_TRUE(in_default.ok) << in_default.error;
  EXPECT_EQ(in_default.rows.size(), 2u);
  auto elsewhere = plugin(c.config(c.cert_kubeconfig(), ",\"namespaces\":[\"web\"]"))->scan("k8s.helm_release_objects");
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.rows.size(), 0u);
  size_t lists = 0;
  for (const auto& line : c.server->log()) {
    if (line.find("/secrets") == std::string::npos) continue;
    ++lists;
    EXPECT_TRUE(line.find("/api/v1/namespaces/default/secrets?") != std::string::npos ||
                line.find("/api/v1/namespaces/web/secrets?") != std::string::npos)
        << line;
    EXPECT_NE(line.find("fieldSelector=type%3Dhelm.sh%2Frelease.v1"), std::string::npos) << line;
  }
  EXPECT_EQ(lists, 2u);
}
