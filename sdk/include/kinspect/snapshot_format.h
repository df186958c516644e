// The kinspect snapshot format (kinspect-snapshot/v1), shared by the writer
// (`kinspect snapshot`, in the core) and the reader (the kube-apiserver
// plugin). It crosses the core/plugin boundary, so it lives in the SDK, which
// both may include: header-only, the standard library only.
//
// A snapshot is a directory, or a .tar.gz of that directory's contents:
//
//   manifest.json        {"format":"kinspect-snapshot/v1",
//                         "created":"2026-01-02T03:04:05Z",
//                         "cluster":{"version":{...contents of /version...},
//                                    "name":"prod"},   (optional: the name live runs gave the cluster)
//                         "resources":[{"table":"k8s.pods","file":"pods.json","count":1234,
//                                       "sha256":"<64 hex digits of the file>"}, ...],
//                         "failed":[{"table":"k8s.secrets","error":"forbidden: ..."}]}   (optional)
//   pods.json            {"apiVersion":"v1","kind":"List","items":[ ...one row per object... ]}
//   ...                  one List file per table (name: file_for_table())
//   version.json         (optional) the /version object
//   readyz.txt           (optional) /readyz?verbose text
//   livez.txt            (optional) /livez?verbose text
//   api-resources.json   (optional) {"apiVersion":"v1","kind":"List","items":[ k8s.api_resources rows ]}
//
// A table listed in "resources" is read from its file only; one listed in
// "failed" is an error when read ("snapshot S: k8s.secrets was not captured:
// forbidden: ..."); any other well-known table is empty.
//
// In a .tar.gz, write manifest.json FIRST: the reader then knows which
// members hold a table and stops parsing once it has read them (a table the
// manifest does not list is empty without parsing further); it still
// decompresses the rest, to check the gzip CRC. Member
// paths must be relative without "..": the reader refuses anything else.
//
// "count" and "sha256" are optional (older snapshots and hand-made ones have
// neither); when present the reader checks them and a file that differs fails
// its table with an error naming it, never a silent partial read.
//
// Each items[] element is one row of the table exactly as the driver
// produced it (a Kubernetes object with apiVersion and kind). Special tables
// (k8s.version, k8s.readyz, k8s.livez, k8s.api_resources) may be captured the
// same way as List files listed in the manifest; the reader prefers a
// manifest entry and falls back to the optional files above.
#pragma once

#include <string>
#include <string_view>

namespace kinspect::snapshot {

inline constexpr std::string_view kFormat = "kinspect-snapshot/v1";
inline constexpr std::string_view kManifest = "manifest.json";
inline constexpr std::string_view kVersionFile = "version.json";
inline constexpr std::string_view kReadyzFile = "readyz.txt";
inline constexpr std::string_view kLivezFile = "livez.txt";
inline constexpr std::string_view kApiResourcesFile = "api-resources.json";

// "k8s.pods" -> "pods.json"; "k8s.api_resources" -> "api_resources.json".
inline std::string file_for_table(std::string_view table) {
  std::string_view t = table;
  if (t.rfind("k8s.", 0) == 0) t.remove_prefix(4);
  std::string f(t);
  for (char& c : f)
    if (c == '/' || c == '\\') c = '_';
  return f + ".json";
}

// The opening and closing of a List file; rows go between, comma-separated.
inline constexpr std::string_view kListOpen = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n";
inline constexpr std::string_view kListClose = "\n]}\n";

}  // namespace kinspect::snapshot
