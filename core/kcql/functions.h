// The scalar and aggregate functions KCQL offers. Each scalar function is a
// plain function over evaluated arguments; the registry carries what the
// binder needs to check calls (arity, whether it may be folded at bind time,
// which argument to compile once per call site).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/kcql/value.h"

namespace kinspect::kcql {

struct FunctionContext {
  Arena& arena;
  double now = 0;  // epoch seconds; fixed for one execution
  // Set by the function: what was wrong with its input. At bind time (constant
  // arguments) it becomes a diagnostic; while evaluating rows the result is NULL.
  std::string* error = nullptr;
  const void* prepared = nullptr;  // what FunctionDef::prepare made at bind time
  // Per-execution memo for arguments that could not be prepared at bind time
  // (a regular expression taken from a parameter or a column).
  std::unordered_map<std::string, std::shared_ptr<const void>>* cache = nullptr;

  Value fail(std::string message) {
    if (error && error->empty()) *error = std::move(message);
    return {};
  }
};

using FunctionImpl = Value (*)(FunctionContext&, const Value* args, size_t n);
// Compiles a constant argument; returns an error message or "".
using PrepareFn = std::string (*)(const Value& arg, std::shared_ptr<const void>& out);

struct FunctionDef {
  std::string_view name;
  int min_args = 0;
  int max_args = 0;  // -1: any number
  FunctionImpl impl = nullptr;
  std::string_view signature;  // "quantity(text) -> real"
  std::string_view summary;
  bool null_propagating = true;  // any NULL argument gives NULL without calling impl
  bool is_volatile = false;      // depends on the execution (now()); never folded
  int prepare_arg = -1;
  PrepareFn prepare = nullptr;
};

const FunctionDef* find_function(std::string_view name);
const std::vector<FunctionDef>& all_functions();

struct AggregateDef {
  std::string_view name;
  int min_args;
  int max_args;
  std::string_view signature;
  std::string_view summary;
};
const AggregateDef* find_aggregate(std::string_view name);
const std::vector<AggregateDef>& all_aggregates();

// Every function and aggregate name, for "did you mean".
std::vector<std::string> function_names();

// Registration, one per family (functions_*.cpp).
void register_core_functions(std::vector<FunctionDef>& out);
void register_k8s_functions(std::vector<FunctionDef>& out);
void register_codec_functions(std::vector<FunctionDef>& out);
void register_schedule_functions(std::vector<FunctionDef>& out);

// Helpers shared by the function families.
bool truthy(const Value& v);  // TRUE only for boolean true
// Text of a string value, or of a number/boolean; false for NULL, objects, arrays.
bool text_of(const Value& v, std::string& out);
// The same without copying a string value: `out` views it, or views `scratch`
// where a number or boolean was formatted. Keeps per-row calls allocation-free.
bool text_of(const Value& v, std::string& scratch, std::string_view& out);
// A number from a number or a numeric string.
bool number_of(const Value& v, double& out);
// Builds a JSON array of `items` in the arena.
Value make_array(Arena& arena, const std::vector<Value>& items);

// An IPv4 or IPv6 network ("10.0.0.0/8", "fd00::/64") or a bare address (a
// /32 or /128), as cidr_contains() and the executor's network index read it.
struct Network {
  std::array<uint8_t, 16> bytes{};
  int prefix = 0;  // in bits of the family's address
  bool v6 = false;
};
bool parse_network(std::string_view text, Network& n);
bool same_prefix(const Network& a, const Network& b, int bits);
// `inner` (an address or a network) lies inside `net`.
bool network_contains(const Network& net, const Network& inner);
// `n` with every bit after the first `bits` cleared, and prefix `bits`.
Network masked(const Network& n, int bits);

}  // namespace kinspect::kcql
