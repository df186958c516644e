#include "core/daemon/api.h"

#include <boost/json.hpp>

#include <openssl/crypto.h>

#include "core/report/render.h"

namespace kinspect::daemon {

namespace json = boost::json;

namespace {

HttpResponse json_ok(const json::value& v, int status = 200) { return {status, "application/json", json::serialize(v) + "\n"}; }

json::object summary_json(const report::Summary& s) {
  return {{"checks", s.checks},   {"passed", s.passed},     {"failed", s.failed},   {"errors", s.errors},
          {"skipped", s.skipped}, {"not_checked", s.not_checked}, {"findings", s.findings},
          {"critical", s.critical}, {"warning", s.warning}, {"info", s.info}};
}

json::object entry_json(const ReportEntry& e) {
  return {{"id", e.id},   {"cluster", e.cluster}, {"profile", e.profile}, {"generated_at", e.generated_at},
          {"bytes", e.bytes}, {"summary", summary_json(e.summary)}};
}

json::object run_json(const RunState& r) {
  json::object o{{"id", r.id},         {"cluster", r.cluster},       {"profile", r.profile},
                 {"scenario", r.scenario}, {"state", r.state},       {"requested_at", r.requested_at},
                 {"started_at", r.started_at}, {"finished_at", r.finished_at}, {"scheduled", r.scheduled}};
  if (!r.target_version.empty()) o["target_version"] = r.target_version;
  if (!r.report_id.empty()) o["report"] = r.report_id;
  if (!r.error.empty()) o["error"] = r.error;
  return o;
}

// A stored report as JSON, or as the HTML page with ?format=html.
HttpResponse report_response(Daemon& d, const std::string& id, const HttpRequest& req) {
  auto text = d.history().json(id);
  if (!text) return json_error(404, "no report '" + id + "'");
  auto format = req.query.count("format") ? req.query.at("format") : "json";
  if (format == "json") return {200, "application/json", *text};
  if (format != "html") return json_error(400, "format must be json or html, not '" + format + "'");
  auto r = report::parse_report_json(*text, id);
  if (!r) return json_error(500, "stored report " + id + " cannot be read: " + r.error().message());
  return {200, "text/html; charset=utf-8", report::render_html(*r)};
}

// Constant-time comparison, so the token cannot be guessed byte by byte from timing.
bool authorized(const std::string& token, const HttpRequest& req) {
  const std::string want = "Bearer " + token;
  return !token.empty() && req.authorization.size() == want.size() &&
         CRYPTO_memcmp(req.authorization.data(), want.data(), want.size()) == 0;
}

HttpResponse post_run(Daemon& d, const std::string& token, const HttpRequest& req) {
  if (token.empty()) return json_error(403, "writes are disabled: start the daemon with --token-file");
  if (!authorized(token, req)) return json_error(401, "missing or wrong bearer token");
  json::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec) return json_error(400, "the body is not JSON: " + ec.message());
  if (!body.is_object()) return json_error(400, "the body must be a JSON object");
  RunState r;
  for (const auto& [key, value] : body.as_object()) {
    if (!value.is_string()) return json_error(400, "field '" + std::string(key) + "' must be a string");
    const std::string v(value.as_string());
    if (key == "cluster") r.cluster = v;
    else if (key == "profile") r.profile = v;
    else if (key == "scenario") r.scenario = v;
    else if (key == "target_version") r.target_version = v;
    else return json_error(400, "unknown field '" + std::string(key) + "' (cluster, profile, scenario, target_version)");
  }
  if (r.cluster.empty()) return json_error(400, "field 'cluster' is required");
  auto id = d.request_run(r);
  if (!id) {
    const std::string& why = id.error().message();
    int status = why == "queue full" ? 429 : why == "shutting down" ? 503 : 400;
    return json_error(status, why);
  }
  return json_ok(json::object{{"id", *id}, {"state", "queued"}}, 202);
}

json::value readiness(Daemon& d, bool& ready) {
  ReloadStatus rs = d.reload_status();
  json::array clusters;
  ready = rs.checks > 0;
  for (const auto& j : d.jobs()) {
    const bool reachable = j.runs_ok > 0 && j.last_error.empty();
    clusters.push_back(json::object{{"cluster", j.cluster}, {"profile", j.profile}, {"reachable", reachable},
                                    {"runs_ok", j.runs_ok}, {"runs_failed", j.runs_failed},
                                    {"last_error", j.last_error}, {"plugins", rs.plugins[j.cluster]}});
  }
  json::object errors;
  for (const auto& [cluster, errs] : rs.plugin_errors) errors[cluster] = json::array(errs.begin(), errs.end());
  json::object write_back;
  for (const auto& [cluster, st] : d.write_back_status()) write_back[cluster] = json::object{{"last_error", st.last_error}};
  return json::object{{"ready", ready},           {"checks", rs.checks},          {"profiles", rs.profiles},
                      {"clusters", clusters},     {"plugin_errors", errors}, {"write_back", write_back},
                      {"last_reload_error", rs.last_error}, {"reloads_ok", rs.reloads_ok},
                      {"reloads_failed", rs.reloads_failed}};
}

HttpResponse get(Daemon& d, const HttpServer* server, const HttpRequest& req) {
  const std::string& p = req.path;
  const std::string cluster = req.query.count("cluster") ? req.query.at("cluster") : "";
  if (!cluster.empty() && !d.has_cluster(cluster)) return json_error(404, "no cluster '" + cluster + "'");
  if (p == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (p == "/readyz") {
    bool ready = false;
    json::value v = readiness(d, ready);
    return json_ok(v, ready ? 200 : 503);
  }
  if (p == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(d, server)};
  if (p == "/api/v1/clusters") {
    json::array a;
    for (const auto& c : d.config().clusters) {
      auto latest = d.history().latest(c.name);
      a.push_back(json::object{{"name", c.name}, {"source", c.snapshot.empty() ? "live" : "snapshot"},
                               {"latest_report", latest ? json::value(latest->id) : json::value(nullptr)}});
    }
    return json_ok(a);
  }
  if (p == "/api/v1/reports") {
    json::array a;
    for (const auto& e : d.history().list(cluster)) a.push_back(entry_json(e));
    return json_ok(a);
  }
  if (p == "/api/v1/reports/latest") {
    auto e = d.history().latest(cluster);
    if (!e) return json_error(404, "no report yet" + (cluster.empty() ? std::string() : " for cluster '" + cluster + "'"));
    return report_response(d, e->id, req);
  }
  if (p.rfind("/api/v1/reports/", 0) == 0) return report_response(d, p.substr(16), req);
  if (p.rfind("/api/v1/runs/", 0) == 0) {
    auto r = d.run(p.substr(13));
    return r ? json_ok(run_json(*r)) : json_error(404, "no run '" + p.substr(13) + "'");
  }
  return json_error(404, "no such endpoint: " + p);
}

}  // namespace

HttpHandler make_api(Daemon& daemon, std::string token, const HttpServer* server) {
  return [&daemon, token = std::move(token), server](const HttpRequest& req) -> HttpResponse {
    if (req.method == "GET" || req.method == "HEAD") return get(daemon, server, req);
    if (req.method == "POST" && req.path == "/api/v1/runs") return post_run(daemon, token, req);
    if (req.path == "/api/v1/runs") return json_error(405, "use POST to start a run, GET /api/v1/runs/{id} to follow it");
    return json_error(405, "method " + req.method + " is not allowed here");
  };
}

}  // namespace kinspect::daemon
