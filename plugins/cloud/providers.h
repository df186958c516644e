// Each provider's reader: the rows of one cloud.* table from its folder of
// saved call outputs (aws.cpp, aliyun.cpp). Rows carry the same columns for
// both providers (tables.cpp), with `provider` saying whose they are.
#pragma once

#include <string_view>

#include "calls.h"
#include "fields.h"

namespace cloud {

Rows aws_rows(const CallDir& dir, std::string_view table);
Rows aliyun_rows(const CallDir& dir, std::string_view table);

}  // namespace cloud
