#include <gtest/gtest.h>

#include "core/profile/version.h"

using kinspect::KubeVersion;
using kinspect::VersionRange;

TEST(KubeVersion, ParsesWhatClustersReport) {
  auto v = KubeVersion::parse("v1.28.3-eks-4f4795d");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->str(), "1.28.3");
  EXPECT_EQ(KubeVersion::parse("v1.29.0+k3s1")->minor, 29);
  EXPECT_EQ(KubeVersion::parse("1.30")->str(), "1.30.0");
  EXPECT_EQ(KubeVersion::parse("v1.31.0-rc.1")->patch, 0);
  EXPECT_FALSE(KubeVersion::parse("1"));
  EXPECT_FALSE(KubeVersion::parse("latest"));
  EXPECT_FALSE(KubeVersion::parse("1.x"));
  EXPECT_FALSE(KubeVersion::parse(""));
}

TEST(VersionRange, ComparatorsAlternativesAndMinors) {
  auto r = VersionRange::parse(">=1.26 <1.31");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->contains(*KubeVersion::parse("1.25.16")));
  EXPECT_TRUE(r->contains(*KubeVersion::parse("1.26.0")));
  EXPECT_TRUE(r->contains(*KubeVersion::parse("v1.30.14")));
  EXPECT_FALSE(r->contains(*KubeVersion::parse("1.31.0")));
  auto minor = VersionRange::parse("1.28");
  EXPECT_TRUE(minor->contains(*KubeVersion::parse("1.28.15")));
  EXPECT_FALSE(minor->contains(*KubeVersion::parse("1.29.0")));
  auto alt = VersionRange::parse("1.27.x || >=1.30");
  EXPECT_TRUE(alt->contains(*KubeVersion::parse("1.27.3")));
  EXPECT_FALSE(alt->contains(*KubeVersion::parse("1.28.3")));
  EXPECT_TRUE(alt->contains(*KubeVersion::parse("1.33.1")));
  EXPECT_TRUE(VersionRange::parse("*")->any());
  auto bad = VersionRange::parse(">=1.26 <one");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("'one' is not a version"), std::string::npos);
}
