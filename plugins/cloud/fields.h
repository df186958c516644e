// Reading the providers' response shapes: arrays of objects (AWS's plain
// arrays, Alibaba Cloud's {"Instances": {"Instance": [...]}} wrappers), lists
// of texts, numbers that arrive as text, and the row writers the two
// providers share. Every error names the file and the field path
// ("describe-instances.json: Reservations[0].Instances[1].State: expected an
// object, got a string").
#pragma once

#include <kinspect/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

#include "adapter.h"
#include "calls.h"

namespace cloud {

namespace ks = kinspect::sdk;
using kinspect::adapters::Fields;
using kinspect::adapters::Rows;

// The root of a call's output.
inline Fields root_of(const CallOutput& out) { return Fields(out.root.as_object(), out.file + ":"); }

// Calls fn(Fields) for each object of the array at `key` (absent: none).
template <class Fn>
void each(const Fields& f, std::string_view key, Fn&& fn) {
  const json::array* a = f.array(key);
  if (!a) return;
  for (size_t i = 0; i < a->size(); ++i) fn(Fields(kinspect::adapters::object_at(*a, i, f.at(key)), f.at(key, i)));
}

// Alibaba Cloud's wrapped list: the array `inner` inside the object `outer`.
template <class Fn>
void each_in(const Fields& f, std::string_view outer, std::string_view inner, Fn&& fn) {
  const json::object* o = f.object(outer);
  if (o) each(Fields(*o, f.at(outer)), inner, fn);
}

// The sub-object at `key` as Fields (an empty object when absent).
Fields sub(const Fields& f, std::string_view key);

// The texts of an array of strings at `key` (AWS), or of `inner` inside
// `outer` (Alibaba Cloud).
std::vector<std::string> texts(const Fields& f, std::string_view key);
std::vector<std::string> texts_in(const Fields& f, std::string_view outer, std::string_view inner);

// An integer written as a number or as its text ("Priority": "1").
std::optional<int64_t> int_or_text(const Fields& f, std::string_view key);

// The time at `key` as RFC 3339 in UTC ("2017-12-10T16:00:00Z"), whatever
// the provider wrote: Alibaba Cloud's minutes ("2017-12-10T16:00Z") or AWS's
// offsets ("...+00:00"), so ts() in KCQL reads every provider's times alike.
// Empty when absent; a text that is not a time is an error naming the field.
std::string time_at(const Fields& f, std::string_view key);

std::string lower(std::string s);

// Rows as JSON object texts, written field by field.
template <class Fn>
void add_row(Rows& rows, Fn&& fn) {
  rows.push_back(kinspect::adapters::row(fn));
}
void texts_field(ks::JsonWriter& w, std::string_view key, const std::vector<std::string>& v);
using kinspect::adapters::int_or_null;
using kinspect::adapters::text_or_null;

// What a node is matched by (cloud.instances' node_keys): the instance ID, which
// node.spec.providerID ends with, and each private address, one of which is
// the InternalIP of a node without a provider ID.
std::vector<std::string> node_keys(const std::string& instance_id, const std::vector<std::string>& private_ips);

// A tag list as an object: AWS [{"Key","Value"}], Alibaba {"Tag": [{"TagKey","TagValue"}]}.
void tags_field(ks::JsonWriter& w, const Fields& f, std::string_view key, bool aliyun);
// The value of tag `name` in such a list, or "".
std::string tag_value(const Fields& f, std::string_view key, std::string_view name);

// A load balancer's listeners and backends, the same JSON for both providers
// (cloud.load_balancers' listeners and backends columns).
struct Listener {
  std::optional<int64_t> port;
  std::string protocol;
  std::vector<std::string> target_groups;  // AWS target group names; empty for Alibaba Cloud
};
struct Backend {
  std::string instance_id, target_group, health, reason;
  std::optional<int64_t> port, listener_port;
};
void write_listeners(ks::JsonWriter& w, const std::vector<Listener>& ls);
void write_backends(ks::JsonWriter& w, const std::vector<Backend>& bs);

}  // namespace cloud
