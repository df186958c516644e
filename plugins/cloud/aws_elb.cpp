// AWS load balancers (ELBv2: application, network, gateway): the balancers
// from `aws elbv2 describe-load-balancers`, their listeners from
// `describe-listeners` (one file per balancer, or one for all), and the
// health of each listener's targets from `describe-target-health`, saved one
// file per target group as describe-target-health-<target group name>.json
// (its output does not say which group it describes).
#include <map>

#include "providers.h"

namespace cloud {

namespace {

// "arn:aws:elasticloadbalancing:...:targetgroup/NAME/ID" -> NAME
std::string target_group_name(const std::string& arn) {
  size_t at = arn.find(":targetgroup/");
  if (at == std::string::npos) return arn;
  at += 13;
  return arn.substr(at, arn.find('/', at) - at);
}

Listener read_listener(const Fields& l) {
  Listener out{l.integer("Port"), l.text("Protocol"), {}};
  auto add = [&](const std::string& arn) {
    if (!arn.empty()) out.target_groups.push_back(target_group_name(arn));
  };
  each(l, "DefaultActions", [&](const Fields& a) {
    add(a.text("TargetGroupArn"));
    each(sub(a, "ForwardConfig"), "TargetGroups", [&](const Fields& g) {
      std::string arn = g.text("TargetGroupArn");
      if (arn != a.text("TargetGroupArn")) add(arn);
    });
  });
  return out;
}

std::map<std::string, std::vector<Listener>> listeners_by_balancer(const CallDir& dir) {
  std::map<std::string, std::vector<Listener>> out;
  for (const auto& f : dir.load("describe-listeners", "aws elbv2 describe-listeners --load-balancer-arn ARN"))
    each(root_of(f), "Listeners", [&](const Fields& l) { out[l.text("LoadBalancerArn")].push_back(read_listener(l)); });
  return out;
}

std::vector<Backend> targets(const CallDir& dir, const std::string& group, const Listener& l) {
  CallOutput f = dir.load_one("describe-target-health", group,
                              "aws elbv2 describe-target-health --target-group-arn <ARN of " + group + ">");
  std::vector<Backend> out;
  each(root_of(f), "TargetHealthDescriptions", [&](const Fields& d) {
    Fields target = sub(d, "Target"), health = sub(d, "TargetHealth");
    out.push_back({target.text("Id"), group, lower(health.text("State")), health.text("Reason"), target.integer("Port"), l.port});
  });
  return out;
}

}  // namespace

Rows aws_load_balancers(const CallDir& dir) {
  std::vector<CallOutput> lbs = dir.load("describe-load-balancers", "aws elbv2 describe-load-balancers");
  std::map<std::string, std::vector<Listener>> listeners;
  bool any = false;
  for (const auto& f : lbs) any = any || (root_of(f).array("LoadBalancers") && !root_of(f).array("LoadBalancers")->empty());
  if (any) listeners = listeners_by_balancer(dir);
  Rows rows;
  for (const auto& f : lbs)
    each(root_of(f), "LoadBalancers", [&](const Fields& lb) {
      const std::vector<Listener>& ls = listeners[lb.text("LoadBalancerArn")];
      std::vector<Backend> backends;
      for (const auto& l : ls)
        for (const auto& g : l.target_groups)
          for (auto& b : targets(dir, g, l)) backends.push_back(std::move(b));
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", "aws").field("lb_id", lb.text("LoadBalancerArn"));
        text_or_null(w, "name", lb.text("LoadBalancerName"));
        text_or_null(w, "type", lb.text("Type"));
        text_or_null(w, "scheme", lb.text("Scheme"));
        text_or_null(w, "address", lb.text("DNSName"));
        text_or_null(w, "vpc_id", lb.text("VpcId"));
        text_or_null(w, "state", lower(sub(lb, "State").text("Code")));
        write_listeners(w, ls);
        write_backends(w, backends);
      });
    });
  return rows;
}

}  // namespace cloud
