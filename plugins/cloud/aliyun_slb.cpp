// Alibaba Cloud Server Load Balancer (CLB/SLB): each balancer from its own
// DescribeLoadBalancerAttribute output (DescribeLoadBalancerAttribute-<ID>.json),
// the health of its backends per listener port from DescribeHealthStatus
// (DescribeHealthStatus-<ID>.json: the output does not name the balancer).
#include <set>

#include "providers.h"

namespace cloud {

namespace {

std::vector<Listener> listeners(const Fields& lb) {
  std::vector<Listener> out;
  // The API has spelt this member both ways over the years.
  for (const char* key : {"ListenerPortsAndProtocol", "ListenerPortsAndProtocal"}) {
    each_in(lb, key, "ListenerPortAndProtocol", [&](const Fields& l) {
      out.push_back({l.integer("ListenerPort"), lower(l.text("ListenerProtocol")), {}});
    });
    each_in(lb, key, "ListenerPortAndProtocal", [&](const Fields& l) {
      out.push_back({l.integer("ListenerPort"), lower(l.text("ListenerProtocal")), {}});
    });
    if (!out.empty()) break;
  }
  return out;
}

// "normal" -> healthy, "abnormal" -> unhealthy, as AWS says it.
std::string health(const std::string& status) {
  std::string s = lower(status);
  if (s == "normal") return "healthy";
  if (s == "abnormal") return "unhealthy";
  return s;
}

std::vector<Backend> backends(const CallDir& dir, const Fields& lb, const std::string& id) {
  CallOutput f = dir.load_one("DescribeHealthStatus", id, "aliyun slb DescribeHealthStatus --LoadBalancerId " + id);
  std::vector<Backend> out;
  std::set<std::string> seen;
  each_in(root_of(f), "BackendServers", "BackendServer", [&](const Fields& b) {
    out.push_back({b.text("ServerId"), "", health(b.text("ServerHealthStatus")), "", b.integer("Port"), b.integer("ListenerPort")});
    seen.insert(b.text("ServerId"));
  });
  // A server attached to the balancer that no listener checks has no health.
  each_in(lb, "BackendServers", "BackendServer", [&](const Fields& b) {
    if (!seen.count(b.text("ServerId"))) out.push_back({b.text("ServerId"), "", "", "", std::nullopt, std::nullopt});
  });
  return out;
}

}  // namespace

Rows aliyun_load_balancers(const CallDir& dir) {
  Rows rows;
  for (const auto& f : dir.load("DescribeLoadBalancerAttribute", "aliyun slb DescribeLoadBalancerAttribute --LoadBalancerId ID")) {
    Fields lb = root_of(f);
    std::string id = lb.text("LoadBalancerId");
    std::vector<Backend> bs = backends(dir, lb, id);
    add_row(rows, [&](ks::JsonWriter& w) {
      w.field("provider", "aliyun").field("lb_id", id);
      text_or_null(w, "name", lb.text("LoadBalancerName"));
      w.field("type", "slb");
      text_or_null(w, "scheme", lb.text("AddressType"));
      text_or_null(w, "address", lb.text("Address"));
      text_or_null(w, "vpc_id", lb.text("VpcId"));
      text_or_null(w, "state", lower(lb.text("LoadBalancerStatus")));
      write_listeners(w, listeners(lb));
      write_backends(w, bs);
    });
  }
  return rows;
}

}  // namespace cloud
