// The ruleset tables: iptables and ip6tables from their save tools run in the
// namespace (or saved dumps), nftables from `nft -j list ruleset`, IPVS from
// /proc/net/ip_vs, and the lines of those dumps that could not be parsed.
#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <span>
#include <stdexcept>

#include "iptables.h"
#include "nft.h"
#include "procnet.h"
#include "reader.h"

namespace network {

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr size_t kMaxDumpBytes = 512u << 20;  // a 100,000-rule ruleset is ~20 MiB

struct Dump {
  std::string origin;  // the command or the file, for messages and rows
  std::string text;
};

std::string read_file(const std::string& path, const char* setting) {
  int err = 0;
  auto text = plugin_common::HostFs("/").read(path, &err, kMaxDumpBytes);
  if (!text) throw std::runtime_error("cannot read " + path + " (setting network." + setting + "): " + std::strerror(err));
  return *text;
}

Dump run_dump(const Source& src, std::vector<std::string> argv) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  if (!src.settings.netns.empty()) cmd += " (in network namespace " + src.settings.netns + ")";
  ToolResult r = run_tool(argv, src.ns, kMaxDumpBytes, 60s);
  if (r.exit_code != 0) {
    std::string err(plugin_common::trim(r.err));
    throw std::runtime_error(cmd + " failed with exit code " + std::to_string(r.exit_code) + (err.empty() ? "" : ": " + err));
  }
  return {cmd, std::move(r.out)};
}

// The iptables dumps of both families: live, or the files given.
std::vector<IptDump> iptables_dumps(const Source& src, Keep keep) {
  const Settings& s = src.settings;
  std::vector<IptDump> out;
  auto add = [&](Dump d, const char* family) { out.push_back(parse_iptables_save(std::move(d.text), d.origin, family, keep)); };
  if (s.offline()) {
    if (s.iptables_save.empty() && s.ip6tables_save.empty())
      throw std::runtime_error("reading saved dumps (nft_json is set) but neither iptables_save nor ip6tables_save is");
    if (!s.iptables_save.empty()) add({s.iptables_save, read_file(s.iptables_save, "iptables_save")}, "ipv4");
    if (!s.ip6tables_save.empty()) add({s.ip6tables_save, read_file(s.ip6tables_save, "ip6tables_save")}, "ipv6");
    return out;
  }
  add(run_dump(src, {"iptables-save", "-c"}), "ipv4");
  add(run_dump(src, {"ip6tables-save", "-c"}), "ipv6");
  return out;
}

NftRuleset nft_ruleset(const Source& src) {
  const Settings& s = src.settings;
  if (s.offline()) {
    if (s.nft_json.empty()) throw std::runtime_error("reading saved dumps (iptables_save is set) but nft_json is not");
    return parse_nft_json(read_file(s.nft_json, "nft_json"), s.nft_json);
  }
  Dump d = run_dump(src, {"nft", "-j", "list", "ruleset"});
  return parse_nft_json(d.text, d.origin);
}

template <class T, class Load>
std::shared_ptr<const T> cached(std::mutex& m, std::chrono::steady_clock::time_point& at, std::shared_ptr<const T>& slot,
                                Load load) {
  std::lock_guard<std::mutex> lock(m);
  auto now = std::chrono::steady_clock::now();
  if (!slot || now - at > DumpCache::kFresh) {
    slot = std::make_shared<const T>(load());
    at = now;
  }
  return slot;
}

std::shared_ptr<const std::vector<IptDump>> iptables_cached(Source& src, Keep keep) {
  DumpCache& c = src.cache;
  std::lock_guard<std::mutex> lock(c.iptables_mutex);
  auto now = std::chrono::steady_clock::now();
  bool fresh = c.iptables && now - c.iptables_at <= DumpCache::kFresh;
  if (fresh && (keep == Keep::ChainsAndErrors || c.iptables_keep == Keep::Everything)) return c.iptables;
  c.iptables = std::make_shared<const std::vector<IptDump>>(iptables_dumps(src, keep));
  c.iptables_at = now, c.iptables_keep = keep;
  return c.iptables;
}

std::shared_ptr<const NftRuleset> nft_cached(Source& src) {
  return cached(src.cache.nft_mutex, src.cache.nft_at, src.cache.nft, [&] { return nft_ruleset(src); });
}

void report_errors(const Source& src, const std::string& table, const std::vector<LineError>& errors) {
  for (size_t i = 0; i < errors.size() && i < 5; ++i)
    src.host.warn(table + ": " + errors[i].file + ":" + std::to_string(errors[i].line) + ": " + errors[i].message);
  if (errors.size() > 5) src.host.warn(table + ": " + std::to_string(errors.size() - 5) + " more unparseable lines (see net.dump_errors)");
}

void port_array(ks::JsonWriter& r, std::string_view key, std::span<const PortRange> ports) {
  auto a = r.array(key);
  for (const auto& p : ports) {
    auto o = a.object();
    o.field("from", p.from).field("to", p.to);
  }
}

void options_object(ks::JsonWriter& r, std::string_view key, Options opts) {
  auto o = r.object(key);
  for (const auto& opt : opts) o.field(opt.first, opt.second);
}

struct RuleRow {
  const IptDump* dump;
  const IptRule* rule;
};

// Which of a rule's columns beyond its identity (family, backend, table,
// chain, position) the query reads; the rest are left out of the row. A run's
// checks read a dozen of the columns, and 100,000 rows of the others would
// be tens of MiB of JSON for the host to parse and drop.
struct RuleColumns {
  bool protocol, source, destination, in_interface, out_interface, dports, sports, comment, matches, target,
      target_options, counters, rule, origin;
  explicit RuleColumns(const Source& src)
      : protocol(src.wants("protocol")), source(src.wants("source")), destination(src.wants("destination")),
        in_interface(src.wants("in_interface")), out_interface(src.wants("out_interface")),
        dports(src.wants("dports") || src.wants("dports_negated")), sports(src.wants("sports")),
        comment(src.wants("comment")), matches(src.wants("matches")), target(src.wants("target") || src.wants("goto")),
        target_options(src.wants("target_options")), counters(src.wants("packets") || src.wants("bytes")),
        rule(src.wants("rule")), origin(src.wants("source_file") || src.wants("line")) {}
};

// A column the query does not read is left out of the row: the host keeps
// only the columns a plan reads, so what it never reads need not cross.
void text_if(ks::JsonWriter& r, bool wanted, std::string_view key, std::string_view v) {
  if (wanted) text_or_null(r, key, v);
}

void write_matches(ks::JsonWriter& r, const IptRule& x) {
  auto ms = r.array("matches");
  for (const auto& m : x.matches) {
    auto o = ms.object();
    o.field("module", m.module);
    options_object(o, "options", m.options);
  }
}

void write_rule(const RuleRow& rr, const RuleColumns& want, ks::JsonWriter& r) {
  const IptRule& x = *rr.rule;
  r.field("family", rr.dump->family).field("backend", rr.dump->backend).field("table", x.table).field("chain", x.chain);
  r.field("position", x.position);
  text_if(r, want.protocol, "protocol", x.protocol);
  text_if(r, want.source, "source", x.source);
  text_if(r, want.destination, "destination", x.destination);
  text_if(r, want.in_interface, "in_interface", x.in_interface);
  text_if(r, want.out_interface, "out_interface", x.out_interface);
  if (want.dports) port_array(r, "dports", x.dports), r.field("dports_negated", x.dports_negated);
  if (want.sports) port_array(r, "sports", x.sports);
  text_if(r, want.comment, "comment", x.comment);
  if (want.matches) write_matches(r, x);
  text_if(r, want.target, "target", x.target);
  if (want.target) r.field("goto", x.goto_target);
  if (want.target_options) options_object(r, "target_options", x.target_options);
  if (want.counters) int_or_null(r, "packets", x.packets), int_or_null(r, "bytes", x.bytes);
  text_if(r, want.rule, "rule", x.text);
  if (want.origin) r.field("source_file", rr.dump->file).field("line", static_cast<int64_t>(x.line));
}

Emitter iptables_rules_table(Source& src) {
  auto dumps = iptables_cached(src, Keep::Everything);
  std::vector<RuleRow> rows;
  for (const auto& d : *dumps) {
    report_errors(src, "net.iptables_rules", d.errors);
    for (const auto& r : d.rules) rows.push_back({&d, &r});
  }
  const RuleColumns want(src);
  return emit_all(std::move(rows), [dumps, want](const RuleRow& rr, ks::JsonWriter& r) { write_rule(rr, want, r); });
}

Emitter iptables_chains_table(Source& src) {
  auto dumps = iptables_cached(src, Keep::ChainsAndErrors);
  std::vector<std::pair<const IptDump*, const IptChain*>> rows;
  for (const auto& d : *dumps)
    for (const auto& c : d.chains) rows.emplace_back(&d, &c);
  return emit_all(std::move(rows), [dumps](const std::pair<const IptDump*, const IptChain*>& dc, ks::JsonWriter& r) {
    const IptChain& c = *dc.second;
    r.field("family", dc.first->family).field("backend", dc.first->backend).field("table", c.table).field("chain", c.chain);
    r.field("builtin", !c.policy.empty());
    text_or_null(r, "policy", c.policy);
    r.field("rules", c.rules);
    int_or_null(r, "packets", c.packets);
    int_or_null(r, "bytes", c.bytes);
    r.field("legacy_tables_present", dc.first->legacy_tables_present);
    r.field("source_file", dc.first->file);
  });
}

Emitter nft_rules_table(Source& src) {
  auto rs = nft_cached(src);
  report_errors(src, "net.nft_rules", rs->errors);
  std::vector<const NftRule*> rows;
  for (const auto& x : rs->rules) rows.push_back(&x);
  return emit_all(std::move(rows), [rs](const NftRule* xp, ks::JsonWriter& r) {
    const NftRule& x = *xp;
    r.field("family", x.family).field("table", x.table).field("chain", x.chain).field("handle", x.handle);
    r.field("position", x.position);
    text_or_null(r, "comment", x.comment);
    text_array(r, "protocols", x.protocols);
    port_array(r, "dports", x.dports);
    r.field("dports_negated", x.dports_negated);
    port_array(r, "sports", x.sports);
    text_array(r, "saddr", x.saddr);
    text_array(r, "daddr", x.daddr);
    text_array(r, "iifname", x.iifname);
    text_array(r, "oifname", x.oifname);
    text_or_null(r, "verdict", x.verdict);
    text_or_null(r, "verdict_target", x.verdict_target);
    int_or_null(r, "packets", x.packets);
    int_or_null(r, "bytes", x.bytes);
    r.raw("expr", x.expr);
  });
}

Emitter nft_chains_table(Source& src) {
  auto rs = nft_cached(src);
  return emit_all(rs->chains, [](const NftChain& c, ks::JsonWriter& r) {
    r.field("family", c.family).field("table", c.table).field("chain", c.chain);
    text_or_null(r, "type", c.type);
    text_or_null(r, "hook", c.hook);
    int_or_null(r, "priority", c.priority);
    text_or_null(r, "policy", c.policy);
    r.field("rules", c.rules);
  });
}

Emitter ipvs_table(Source& src) {
  std::string path = src.settings.ip_vs;
  std::optional<std::string> text;
  int err = 0;
  {
    NetnsScope in(src.ns);
    if (path.empty()) path = src.proc_net("ip_vs");
    text = plugin_common::HostFs("/").read(path, &err);
  }
  // Without the ip_vs module the file does not exist: IPVS is simply not in use.
  if (!text && !(err == ENOENT && src.settings.ip_vs.empty()))
    throw std::runtime_error("net.ipvs: cannot read " + path + ": " + std::strerror(err));
  Warnings w;
  auto services = text ? parse_ip_vs(*text, path, w) : std::vector<IpvsService>{};
  if (w.count) src.host.warn("net.ipvs: " + w.summary());
  std::vector<std::pair<IpvsService, std::optional<IpvsReal>>> rows;
  for (auto& s : services) {
    if (s.reals.empty()) rows.emplace_back(s, std::nullopt);
    for (auto& real : s.reals) rows.emplace_back(s, real);
  }
  return emit_all(std::move(rows), [](const std::pair<IpvsService, std::optional<IpvsReal>>& sr, ks::JsonWriter& r) {
    const IpvsService& s = sr.first;
    r.field("protocol", s.protocol);
    text_or_null(r, "address", s.address);
    if (s.fwmark) r.null("port");
    else r.field("port", s.port);
    int_or_null(r, "fwmark", s.fwmark);
    r.field("scheduler", s.scheduler);
    if (!sr.second) {
      for (const char* k : {"real_address", "real_port", "forward", "weight", "active_connections", "inactive_connections"}) r.null(k);
      return;
    }
    const IpvsReal& x = *sr.second;
    r.field("real_address", x.address).field("real_port", x.port).field("forward", x.forward).field("weight", x.weight);
    r.field("active_connections", x.active).field("inactive_connections", x.inactive);
  });
}

Emitter dump_errors_table(Source& src) {
  std::vector<std::pair<std::string, LineError>> rows;
  // Offline, only the dumps that were given.
  const Settings& s = src.settings;
  if (!s.offline() || !s.iptables_save.empty() || !s.ip6tables_save.empty())
    for (const auto& d : *iptables_cached(src, Keep::ChainsAndErrors))
      for (const auto& e : d.errors) rows.emplace_back(d.family == "ipv6" ? "ip6tables" : "iptables", e);
  if (!s.offline() || !s.nft_json.empty())
    for (const auto& e : nft_cached(src)->errors) rows.emplace_back("nft", e);
  return emit_all(std::move(rows), [](const std::pair<std::string, LineError>& se, ks::JsonWriter& r) {
    r.field("source", se.first).field("file", se.second.file).field("line", static_cast<int64_t>(se.second.line));
    r.field("message", se.second.message);
  });
}

}  // namespace

Emitter dump_table(const std::string& table, Source& src) {
  if (table == "net.iptables_rules") return iptables_rules_table(src);
  if (table == "net.iptables_chains") return iptables_chains_table(src);
  if (table == "net.nft_rules") return nft_rules_table(src);
  if (table == "net.nft_chains") return nft_chains_table(src);
  if (table == "net.ipvs") return ipvs_table(src);
  if (table == "net.dump_errors") return dump_errors_table(src);
  return nullptr;
}

}  // namespace network
