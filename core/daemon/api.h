// The daemon's HTTP API (docs/daemon.md):
//   GET  /healthz                       the process answers
//   GET  /readyz                        clusters, plugins, checks, the last reload's error (503 until ready)
//   GET  /metrics                       Prometheus text format
//   GET  /api/v1/clusters
//   GET  /api/v1/reports?cluster=NAME   newest first
//   GET  /api/v1/reports/latest?cluster=NAME[&format=html]
//   GET  /api/v1/reports/{id}[?format=html]
//   POST /api/v1/runs                   {"cluster", "profile", "scenario", "target_version"}; bearer token
//   GET  /api/v1/runs/{id}
#pragma once

#include <string>

#include "core/daemon/daemon.h"
#include "core/daemon/http.h"

namespace kinspect::daemon {

class HttpServer;

// `token`: what POST requests must send as "Authorization: Bearer TOKEN";
// "" refuses every write. `server` may be null (its figures go in /metrics).
HttpHandler make_api(Daemon& daemon, std::string token, const HttpServer* server);

// The /metrics page.
std::string render_metrics(Daemon& daemon, const HttpServer* server);

}  // namespace kinspect::daemon
