// Tables made of other tables of this driver:
//   k8s.objects    every object of every listable resource, whatever its kind,
//                  with the resource it was listed as and where it was found;
//   k8s.workloads  every pod template carrier (Pods, Deployments, ReplicaSets,
//                  StatefulSets, DaemonSets, Jobs, CronJobs) with its pod spec,
//                  so one check covers every way a pod is declared.
#pragma once

#include "rows.h"

#include <kinspect/sdk.hpp>

#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <vector>

namespace kapi {

struct SplitItem;

kinspect::sdk::TableSpec objects_table();
kinspect::sdk::TableSpec workloads_table();

// Whether the rows of `table` are Kubernetes objects (k8s.pods, a
// discovered k8s.certificates), not facts about the server (k8s.version).
bool is_object_table(std::string_view table);

// The members k8s.objects adds to each object: the plural resource it was
// listed as and where it was found ("live", or the snapshot file).
std::string object_members(std::string_view resource, std::string_view found_in);

// write_item(), with `members` (serialized `"key":value,...`) appended to the row.
void write_item_with(kinspect::sdk::BatchWriter& out, const SplitItem& it, const ItemIdentity& id,
                     const RowOptions& opts, std::string_view members, bool override_identity = false);

// The projection k8s.objects asks of its sources: the columns it adds are
// not the objects' own.
RowOptions objects_source_options(RowOptions asked);

// The pod template carriers, with where each keeps its pod template.
struct WorkloadSource {
  std::string table;  // "k8s.deployments"
  std::string kind;   // "Deployment"
};
const std::vector<WorkloadSource>& workload_sources();

// One carrier object (a Pod, a Deployment, ...) as a k8s.workloads row.
std::string workload_row(const boost::json::value& object);

// k8s.workloads: the rows of each carrier's scan (in workload_sources()
// order), rewritten as workload rows.
std::unique_ptr<kinspect::sdk::Scan> workloads_scan(std::vector<std::unique_ptr<kinspect::sdk::Scan>> sources);

// The projection each carrier is read with: metadata and spec, whatever
// the workloads query reads (its columns are made from those).
RowOptions workload_source_options(bool include_secret_data);

}  // namespace kapi
