#include "calls.h"

#include <kinspect/sdk.hpp>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "adapter.h"

namespace cloud {

namespace fs = std::filesystem;
namespace ks = kinspect::sdk;

CallDir::CallDir(std::string setting, std::string dir, int64_t max_file_bytes)
    : setting_(std::move(setting)), dir_(std::move(dir)), max_file_bytes_(max_file_bytes) {
  std::error_code ec;
  fs::file_status st = fs::status(dir_, ec);
  if (ec || !fs::exists(st)) throw std::runtime_error(setting_ + ": " + dir_ + ": no such folder");
  if (!fs::is_directory(st)) throw std::runtime_error(setting_ + ": " + dir_ + ": not a folder (give the folder that holds the saved call outputs)");
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 && name[0] != '.') names_.push_back(name);
  }
  if (ec) throw std::runtime_error(setting_ + ": " + dir_ + ": cannot list: " + ec.message());
  std::sort(names_.begin(), names_.end());
}

std::vector<std::string> CallDir::files_of(std::string_view call) const {
  std::vector<std::string> out;
  const std::string exact = std::string(call) + ".json", prefix = std::string(call) + "-";
  for (const auto& n : names_)
    if (n == exact || (n.compare(0, prefix.size(), prefix) == 0 && n.size() > prefix.size() + 5)) out.push_back(n);
  return out;
}

bool CallDir::has(std::string_view call) const { return !files_of(call).empty(); }

CallOutput CallDir::parse(const std::string& name, std::string_view call) const {
  CallOutput out;
  out.file = dir_ + "/" + name;
  size_t stem = name.size() - 5;
  out.suffix = stem > call.size() ? name.substr(call.size() + 1, stem - call.size() - 1) : "";
  out.root = kinspect::adapters::parse_json(kinspect::adapters::read_file(out.file, max_file_bytes_), out.file);
  if (!out.root.is_object())
    throw std::runtime_error(out.file + ": expected a JSON object (the call's whole response), got " +
                             kinspect::adapters::json_kind(out.root));
  return out;
}

std::vector<CallOutput> CallDir::load(std::string_view call, std::string_view command) const {
  std::vector<std::string> names = files_of(call);
  if (names.empty())
    throw ks::Unavailable("not provided", dir_ + " has no " + std::string(call) + ".json (save the output of `" +
                                              std::string(command) + "` there; " + setting_ + ")");
  std::vector<CallOutput> out;
  for (const auto& n : names) out.push_back(parse(n, call));
  return out;
}

CallOutput CallDir::load_one(std::string_view call, std::string_view suffix, std::string_view command) const {
  const std::string name = std::string(call) + "-" + std::string(suffix) + ".json";
  if (std::find(names_.begin(), names_.end(), name) == names_.end())
    throw ks::Unavailable("not provided", dir_ + " has no " + name + " (save the output of `" + std::string(command) +
                                              "` there; " + setting_ + ")");
  return parse(name, call);
}

}  // namespace cloud
