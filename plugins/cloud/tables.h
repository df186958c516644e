// Declarations of the cloud plugin's tables (see tables.cpp).
#pragma once

#include <kinspect/sdk.hpp>

#include <vector>

namespace cloud {
namespace ks = kinspect::sdk;
std::vector<ks::TableSpec> table_specs();
}  // namespace cloud
