// kinspect trace drops: the kernel's packet drops, live. The command knows no
// plugin: it runs the table function net.drops through the registry, like
// `kinspect query` does, so any plugin that serves that table answers it
// (in-tree: plugins/network-ebpf).
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>

#include "core/cli/cli.h"
#include "core/kcql/kcql.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace json = boost::json;

namespace {

const std::vector<std::string> kColumns = {"reason", "location", "netns", "ifindex", "protocol", "src", "sport",
                                           "dst", "dport", "tcp_flags", "icmp_type", "icmp_code", "packets", "bytes"};

std::string kcql_text(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

// Seconds of "10s", "500ms", "1m" or "10"; a UsageError naming the option otherwise.
double seconds_option(const po::variables_map& vm, const char* name) {
  std::string t = vm[name].as<std::string>();
  double scale = 1;
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "ms") == 0) scale = 0.001, t.resize(t.size() - 2);
  else if (!t.empty() && t.back() == 's') t.pop_back();
  else if (!t.empty() && t.back() == 'm') scale = 60, t.pop_back();
  char* end = nullptr;
  const double v = t.empty() ? NAN : std::strtod(t.c_str(), &end);
  if (!std::isfinite(v) || v <= 0 || (end && *end))
    throw UsageError("kinspect trace drops: --" + std::string(name) + " takes a duration such as 10s, 500ms or 1m, not '" +
                     vm[name].as<std::string>() + "'");
  return v * scale;
}

struct Window {
  double seconds;
  std::string netns, reason;
};

std::string window_query(const Window& w) {
  std::string q = "SELECT ";
  for (size_t i = 0; i < kColumns.size(); ++i) q += (i ? ", " : "") + kColumns[i];
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.3fs", w.seconds);
  q += " FROM net.drops(" + kcql_text(dur) + (w.netns.empty() ? "" : ", " + kcql_text(w.netns)) + ")";
  if (!w.reason.empty()) q += " WHERE upper(reason) = upper(" + kcql_text(w.reason) + ")";
  return q + " ORDER BY packets DESC";
}

// One window's rows as JSON objects; throws UsageError for a query the
// registry cannot bind, std::runtime_error when the table cannot be read.
std::vector<json::object> trace_window(PluginRegistry& reg, const Window& w) {
  auto q = kcql::parse_query(window_query(w), "<trace drops>");
  if (!q) throw UsageError(q.error().format());
  auto plan = kcql::bind_query(*q, reg, {});
  if (!plan) throw UsageError(plan.error().format() + "\n(is the network-ebpf plugin installed? see 'kinspect tables net.drops')");
  kcql::ExecOptions opts;
  opts.time_budget = std::chrono::milliseconds(static_cast<int64_t>(w.seconds * 1000) + 60000);
  auto rs = kcql::execute(*plan, reg, opts);
  if (!rs) throw std::runtime_error(rs.error().format());
  std::vector<json::object> out;
  for (const auto& row : rs->rows) {
    json::object o;
    for (size_t i = 0; i < rs->columns.size() && i < row.size(); ++i) o[rs->columns[i]] = row[i];
    out.push_back(std::move(o));
  }
  return out;
}

// Rows of successive windows added up per drop (every column but the counts).
class Totals {
 public:
  void add(const std::vector<json::object>& rows) {
    for (auto row : rows) {
      const int64_t packets = row["packets"].to_number<int64_t>(), bytes = row["bytes"].to_number<int64_t>();
      row.erase("packets");
      row.erase("bytes");
      auto& t = totals_[json::serialize(row)];
      if (t.row.empty()) t.row = row;
      t.packets += packets;
      t.bytes += bytes;
    }
  }
  std::vector<json::object> top(size_t n) const {
    std::vector<const Total*> all;
    for (const auto& [k, t] : totals_) all.push_back(&t);
    std::stable_sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->packets > b->packets; });
    std::vector<json::object> out;
    for (size_t i = 0; i < all.size() && i < n; ++i) {
      json::object o = all[i]->row;
      o["packets"] = all[i]->packets;
      o["bytes"] = all[i]->bytes;
      out.push_back(std::move(o));
    }
    return out;
  }

 private:
  struct Total {
    json::object row;
    int64_t packets = 0, bytes = 0;
  };
  std::map<std::string, Total> totals_;
};

void draw(const std::vector<json::object>& top, double done, double total, const Window& w) {
  TextTable t({"PACKETS", "REASON", "LOCATION", "PROTO", "SOURCE", "DESTINATION", "FLAGS", "NETNS", "IF"});
  for (const auto& r : top) {
    auto hostport = [&](const char* addr, const char* port) {
      std::string s = json_cell(r.at(addr));
      return r.at(port).is_null() ? s : s + ":" + json_cell(r.at(port));
    };
    t.add({json_cell(r.at("packets")), json_cell(r.at("reason")), term::printable(json_cell(r.at("location"))), json_cell(r.at("protocol")),
           hostport("src", "sport"), hostport("dst", "dport"), json_cell(r.at("tcp_flags")), json_cell(r.at("netns")),
           json_cell(r.at("ifindex"))});
  }
  std::cout << "\033[H\033[2J" << "kinspect trace drops: " << std::lround(done) << "s of " << std::lround(total) << "s"
            << (w.netns.empty() ? std::string(", every namespace") : ", netns " + term::printable(w.netns))
            << (w.reason.empty() ? std::string() : ", reason " + term::printable(w.reason)) << "\n\n"
            << t.render(term::stdout_colour()) << std::flush;
}

int trace_drops(const po::variables_map& vm) {
  Window w{seconds_option(vm, "duration"), vm.count("netns") ? vm["netns"].as<std::string>() : "",
           vm.count("reason") ? vm["reason"].as<std::string>() : ""};
  const double total = w.seconds;
  const size_t top = static_cast<size_t>(std::max(1, vm["top"].as<int>()));
  auto reg = load_plugins(vm, false, nullptr, !vm.count("no-isolation"));
  Totals totals;
  try {
    if (!::isatty(STDOUT_FILENO)) {
      totals.add(trace_window(*reg, w));
      json::array out;
      for (auto& r : totals.top(SIZE_MAX)) out.emplace_back(std::move(r));
      std::cout << json::serialize(out) << '\n';
      return kExitOk;
    }
    const double step = std::min(seconds_option(vm, "interval"), total);
    draw({}, 0, total, w);
    for (double done = 0; done < total - 1e-3;) {
      w.seconds = std::min(step, total - done);
      totals.add(trace_window(*reg, w));
      done += w.seconds;
      draw(totals.top(top), done, total, w);
    }
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    std::cerr << "kinspect trace drops: " << e.what() << '\n';
    return kExitIncomplete;
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> trace_commands() {
  Command c;
  c.name = "trace drops";
  c.summary = "Show where and why the kernel drops packets, live (eBPF)";
  c.details =
      "Traces the kernel's packet drops (skb:kfree_skb) for --duration through the table\n"
      "function net.drops (plugin network-ebpf; see docs/network.md) and shows them\n"
      "by drop reason, kernel location and flow. On a terminal the top --top drops are\n"
      "redrawn after every --interval; otherwise one window is traced and its rows are\n"
      "printed as a JSON array, most packets first. Needs root (CAP_BPF and CAP_PERFMON)\n"
      "and a kernel with BTF; without them it says why and exits 3.";
  c.examples =
      "  kinspect trace drops --duration 5s --netns blue\n"
      "  kinspect trace drops --reason NETFILTER_DROP --top 10\n"
      "  kinspect trace drops --duration 30s > drops.json";
  c.options = [](po::options_description& d, po::positional_options_description&) {
    add_source_options(d);
    d.add_options()("duration", po::value<std::string>()->default_value("10s"), "how long to trace (10s, 500ms, 1m)")(
        "netns", po::value<std::string>(), "only drops in this network namespace (a name `ip netns` lists)")(
        "reason", po::value<std::string>(), "only drops with this reason (NETFILTER_DROP, NO_SOCKET, ...)")(
        "top", po::value<int>()->default_value(20), "rows shown on a terminal")(
        "interval", po::value<std::string>()->default_value("2s"), "how often the terminal view is redrawn")(
        "no-isolation", "load plugins into this process instead of worker processes");
  };
  c.run = trace_drops;
  return {c};
}

}  // namespace kinspect::cli
