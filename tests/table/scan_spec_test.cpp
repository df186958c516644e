// ScanSpec::covers: when rows fetched for one scan may serve another (the
// run's detection reads k8s.nodes once for itself and the checks).
#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include "core/table/table.h"

using kinspect::ScanSpec;

TEST(ScanSpec, CoversWhatItsPathsHoldWhole) {
  ScanSpec wide{"k8s.nodes", {}, {"metadata.labels", "metadata.name", "status"}};
  EXPECT_TRUE(wide.covers(ScanSpec{"k8s.nodes", {}, {"metadata.name"}}));
  EXPECT_TRUE(wide.covers(ScanSpec{"k8s.nodes", {}, {"status.conditions", "metadata.labels"}}));
  EXPECT_TRUE(wide.covers(wide));
  // Part of what it read is not all of it.
  EXPECT_FALSE(wide.covers(ScanSpec{"k8s.nodes", {}, {"metadata"}}));
  EXPECT_FALSE(wide.covers(ScanSpec{"k8s.nodes", {}, {"spec.taints"}}));
  // A prefix of a key is not its parent: metadata.name is no metadata.namespace.
  EXPECT_FALSE(ScanSpec("k8s.pods", {}, {"metadata.name"}).covers(ScanSpec{"k8s.pods", {}, {"metadata.namespace"}}));
  // No paths is every column: covered only by every column.
  EXPECT_FALSE(wide.covers(ScanSpec("k8s.nodes")));
  EXPECT_TRUE(ScanSpec("k8s.nodes", {}, {}).covers(wide));
}

TEST(ScanSpec, EscapedDotsAreKeysNotPaths) {
  // Key "a.b" under metadata.labels, against key "a" with a child "b".
  ScanSpec label{"k8s.nodes", {}, {"metadata.labels.a\\.b"}};
  EXPECT_FALSE(label.covers(ScanSpec{"k8s.nodes", {}, {"metadata.labels.a"}}));
  EXPECT_TRUE(label.covers(ScanSpec{"k8s.nodes", {}, {"metadata.labels.a\\.b"}}));
  EXPECT_FALSE(ScanSpec("k8s.nodes", {}, {"metadata.labels.a"}).covers(label));
  EXPECT_TRUE(ScanSpec("k8s.nodes", {}, {"metadata.labels"}).covers(label));
}

TEST(ScanSpec, OtherTablesArgumentsAndNarrowedRowsDoNotCover) {
  ScanSpec nodes{"k8s.nodes", {}, {"metadata"}};
  EXPECT_FALSE(nodes.covers(ScanSpec{"k8s.pods", {}, {"metadata"}}));
  EXPECT_FALSE(nodes.covers(ScanSpec{"k8s.nodes", {boost::json::value("x")}, {"metadata"}}));
  // Rows narrowed by a constraint are not every row another scan may need.
  ScanSpec narrowed{"k8s.pods", {}, {"metadata"}, {{"metadata.namespace", {"shop"}}}};
  EXPECT_FALSE(narrowed.covers(ScanSpec{"k8s.pods", {}, {"metadata.name"}}));
  // Every row serves a narrowed reader, which filters them itself.
  EXPECT_TRUE(ScanSpec("k8s.pods", {}, {"metadata"}).covers(narrowed));
}
