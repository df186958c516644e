#include "core/daemon/write_back.h"

#include <boost/json.hpp>

#include <set>

#include "core/table/row_parser.h"
#include "core/util/log.h"

namespace kinspect::daemon {

namespace json = boost::json;

namespace {

// The objects `r` has published findings on.
std::set<std::string> published_objects(const report::Report& r, report::Severity floor) {
  std::set<std::string> objects;
  for (const auto& c : r.checks)
    for (const auto& f : c.findings)
      if (report::rank(f.severity) >= report::rank(floor)) objects.insert(f.object);
  return objects;
}

}  // namespace

std::string publish_request(const std::string& cluster, const report::Report& current,
                            const report::Report* previous, const WriteBack& options) {
  json::array findings;
  // `findings` holds only what failed the check: waived ones are in
  // `waived`, and a check that did not run has none.
  for (const auto& c : current.checks)
    for (const auto& f : c.findings) {
      if (report::rank(f.severity) < report::rank(options.min_severity)) continue;
      findings.push_back(json::object{{"check_id", c.id},
                                      {"title", c.title},
                                      {"severity", report::to_string(f.severity)},
                                      {"object", f.object},
                                      {"message", f.message},
                                      {"remedy", c.remedy}});
    }
  json::array resolved;
  if (previous) {
    const std::set<std::string> now = published_objects(current, options.min_severity);
    for (const std::string& o : published_objects(*previous, options.min_severity))
      if (!now.count(o)) resolved.push_back(json::string(o));
  }
  return json::serialize(json::object{{"cluster", cluster},
                                      {"generated_at", current.generated_at},
                                      {"findings", std::move(findings)},
                                      {"resolved", std::move(resolved)}});
}

void write_back(LoadedPlugin& publisher, const std::string& request, const CancelToken* cancel,
                WriteBackStatus& status) {
  std::map<std::pair<std::string, std::string>, uint64_t> writes;
  std::string first_failure;
  Status st = publisher.publish(request, [&](std::string_view batch) {
    for_each_row_text(batch, [&](std::string_view row) {
      json::error_code ec;
      json::value v = json::parse(row, ec);
      if (ec || !v.is_object()) return;
      const json::object& o = v.as_object();
      auto word = [&](const char* k) {
        const json::value* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      ++writes[{word("write"), word("result")}];
      if (word("result") == "failed" && first_failure.empty()) first_failure = word("object") + ": " + word("error");
    });
    return Status::Ok();
  }, cancel);
  for (const auto& [k, n] : writes) status.writes[k] += n;
  if (!st.ok()) {
    ++status.failures;
    status.last_error = st.error().message();
  } else {
    status.last_error = first_failure;
  }
  if (!status.last_error.empty()) log::warn("daemon", "write-back: " + status.last_error);
}

}  // namespace kinspect::daemon
