// The check categories, in report order, with their titles: the one list
// the check loader validates a CATEGORY against and the report groups by.
#pragma once

#include <string_view>

namespace kinspect {

struct CheckCategory {
  std::string_view id;
  std::string_view title;
};

inline constexpr CheckCategory kCheckCategories[] = {
    {"nodes", "Nodes"},
    {"control-plane", "Control plane"},
    {"addons", "Add-ons"},
    {"network", "Network"},
    {"workloads", "Workloads"},
    {"storage", "Storage"},
    {"security", "Security"},
    {"upgrade", "Upgrade"},
    {"node-host", "Node host"},
    {"network-host", "Network host"},
    {"cloud", "Cloud"},  // checks/network/cloud.kcql, docs/cloud.md
    {"adapters", "Other tools' results"},  // checks/adapters/, docs/adapters.md
};

}  // namespace kinspect
