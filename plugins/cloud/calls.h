// A provider's folder of saved call outputs: which files hold the output of
// one call, and their parsed JSON. A call is found as CALL.json, or as several
// CALL-<anything>.json (one per page, per target group, per load balancer...).
// A call with no file makes the tables that need it unavailable ("not
// provided"), never empty: a call that was not saved is not a call that
// returned nothing.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cloud {

namespace json = boost::json;

inline constexpr int64_t kDefaultMaxFileBytes = 256ll << 20;

// One saved output: its path, the <anything> of CALL-<anything>.json ("" for
// CALL.json), and its JSON.
struct CallOutput {
  std::string file;
  std::string suffix;
  json::value root;
};

class CallDir {
 public:
  // `setting` names the setting that gave `dir` ("cloud.aws_dir") for errors.
  // Throws std::runtime_error when `dir` is not a readable folder.
  CallDir(std::string setting, std::string dir, int64_t max_file_bytes = kDefaultMaxFileBytes);

  const std::string& dir() const { return dir_; }
  // Whether any file holds `call`'s output.
  bool has(std::string_view call) const;
  // Every saved output of `call`, parsed; throws ks::Unavailable ("not
  // provided", saying which file and which command) when there is none, and
  // std::runtime_error naming the file, line and column when one is not JSON.
  std::vector<CallOutput> load(std::string_view call, std::string_view command) const;
  // The output of `call` whose suffix is `suffix` (CALL-<suffix>.json), or
  // Unavailable naming that file.
  CallOutput load_one(std::string_view call, std::string_view suffix, std::string_view command) const;

 private:
  std::vector<std::string> files_of(std::string_view call) const;
  CallOutput parse(const std::string& name, std::string_view call) const;

  std::string setting_, dir_;
  int64_t max_file_bytes_;
  std::vector<std::string> names_;  // the folder's *.json files, sorted
};

}  // namespace cloud
