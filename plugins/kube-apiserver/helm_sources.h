// Where k8s.helm_release_objects reads the releases: a live API server (a
// LIST of release Secrets by type and of Tiller ConfigMaps by label, so no
// other Secret is read) or a snapshot (the captured table, else release
// Secrets whose data the snapshot holds, else "not captured").
#pragma once

#include "helm.h"
#include "http_client.h"
#include "rows.h"
#include "scope.h"
#include "snapshot.h"

#include <string>
#include <vector>

namespace kapi {

// The rows, read live: one LIST per namespace of the run's scope (or one of
// all). A LIST the role may not make is "forbidden" (the table's checks are
// then not checked, not passed).
std::vector<std::string> helm_rows_live(ApiClient& client, const Scope& scope, int page_size, const CancelCheck& cancel,
                                        const HelmLimits& limits);

// The rows, read from a snapshot; throws kinspect::sdk::Unavailable when
// the snapshot holds neither the table nor the releases' data.
// The run's namespaces narrow the releases read, as live; its label
// selector does not (it is about the releases' objects, not Helm's storage).
std::vector<std::string> helm_rows_from_snapshot(Snapshot& snap, const Scope& scope, const CancelCheck& cancel,
                                                 const HelmLimits& limits);

}  // namespace kapi
