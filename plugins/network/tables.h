// Declarations of the network plugin's tables (see tables.cpp).
#pragma once

#include <kinspect/sdk.hpp>

#include <vector>

namespace network {
namespace ks = kinspect::sdk;
std::vector<ks::TableSpec> table_specs();
}  // namespace network
