#include "nft.h"

#include <boost/json.hpp>

#include <map>
#include <stdexcept>

namespace network {

namespace json = boost::json;

namespace {

std::string text_of(const json::value* v) {
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::optional<int64_t> int_of(const json::value* v) {
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

// A match's right-hand side as port ranges: 22, {"range":[a,b]}, {"set":[...]}.
bool port_ranges(const json::value& v, std::vector<PortRange>& out) {
  if (auto n = int_of(&v)) {
    out.push_back({*n, *n});
    return true;
  }
  if (!v.is_object()) return false;
  const auto& o = v.as_object();
  if (const auto* r = o.if_contains("range"); r && r->is_array() && r->as_array().size() == 2) {
    auto a = int_of(&r->as_array()[0]), b = int_of(&r->as_array()[1]);
    if (!a || !b) return false;
    out.push_back({*a, *b});
    return true;
  }
  if (const auto* s = o.if_contains("set"); s && s->is_array()) {
    for (const auto& e : s->as_array())
      if (!port_ranges(e, out)) return false;
    return true;
  }
  return false;
}

// Values of a match's right-hand side as text: "eth0", a prefix, a set of them.
void texts(const json::value& v, std::vector<std::string>& out) {
  if (v.is_string()) out.emplace_back(v.as_string());
  else if (auto n = int_of(&v)) out.push_back(std::to_string(*n));
  else if (v.is_object()) {
    const auto& o = v.as_object();
    if (const auto* p = o.if_contains("prefix"); p && p->is_object())
      out.push_back(text_of(p->as_object().if_contains("addr")) + "/" +
                    std::to_string(int_of(p->as_object().if_contains("len")).value_or(0)));
    else if (const auto* s = o.if_contains("set"); s && s->is_array())
      for (const auto& e : s->as_array()) texts(e, out);
    else if (const auto* r = o.if_contains("range"); r && r->is_array() && r->as_array().size() == 2)
      out.push_back(text_of(&r->as_array()[0]) + "-" + text_of(&r->as_array()[1]));
  }
}

void read_match(const json::object& m, NftRule& r) {
  const json::value* left = m.if_contains("left");
  const json::value* right = m.if_contains("right");
  if (!left || !right || !left->is_object()) return;
  const bool negated = text_of(m.if_contains("op")) == "!=";
  const auto& l = left->as_object();
  if (const auto* p = l.if_contains("payload"); p && p->is_object()) {
    std::string proto = text_of(p->as_object().if_contains("protocol"));
    std::string field = text_of(p->as_object().if_contains("field"));
    if (field == "dport" || field == "sport") {
      if (proto == "tcp" || proto == "udp" || proto == "sctp") r.protocols.push_back(proto);
      std::vector<PortRange> ports;
      if (port_ranges(*right, ports)) {
        auto& into = field == "dport" ? r.dports : r.sports;
        into.insert(into.end(), ports.begin(), ports.end());
        if (field == "dport") r.dports_negated = negated;
      }
    } else if (field == "saddr" || field == "daddr") {
      texts(*right, field == "saddr" ? r.saddr : r.daddr);
    }
  } else if (const auto* meta = l.if_contains("meta"); meta && meta->is_object()) {
    std::string key = text_of(meta->as_object().if_contains("key"));
    if (key == "l4proto") texts(*right, r.protocols);
    else if (key == "iifname") texts(*right, r.iifname);
    else if (key == "oifname") texts(*right, r.oifname);
  }
}

void read_expr(const json::value& e, NftRule& r) {
  if (!e.is_object() || e.as_object().empty()) return;
  const auto& kv = *e.as_object().begin();
  const std::string key(kv.key());
  if (key == "match" && kv.value().is_object()) return read_match(kv.value().as_object(), r);
  if (key == "counter" && kv.value().is_object()) {
    r.packets = int_of(kv.value().as_object().if_contains("packets"));
    r.bytes = int_of(kv.value().as_object().if_contains("bytes"));
    return;
  }
  static const char* const verdicts[] = {"accept", "drop", "reject", "jump", "goto", "return", "queue", "continue"};
  for (const char* v : verdicts)
    if (key == v) {
      r.verdict = key;
      if (kv.value().is_object()) r.verdict_target = text_of(kv.value().as_object().if_contains("target"));
    }
}

struct Reader {
  NftRuleset rs;
  std::string file;
  std::map<std::string, size_t> chain_at;  // family/table/chain -> index in rs.chains

  static std::string key(const std::string& f, const std::string& t, const std::string& c) { return f + "/" + t + "/" + c; }
  void error(size_t item, std::string msg) { rs.errors.push_back({file, 0, "nftables[" + std::to_string(item) + "]: " + msg}); }
  void chain(const json::object& c);
  void rule(const json::object& o, size_t item);
};

void Reader::chain(const json::object& c) {
  NftChain ch;
  ch.family = text_of(c.if_contains("family"));
  ch.table = text_of(c.if_contains("table"));
  ch.chain = text_of(c.if_contains("name"));
  ch.type = text_of(c.if_contains("type"));
  ch.hook = text_of(c.if_contains("hook"));
  ch.priority = int_of(c.if_contains("prio"));
  ch.policy = text_of(c.if_contains("policy"));
  ch.handle = int_of(c.if_contains("handle")).value_or(0);
  chain_at[key(ch.family, ch.table, ch.chain)] = rs.chains.size();
  rs.chains.push_back(std::move(ch));
}

void Reader::rule(const json::object& o, size_t item) {
  NftRule r;
  r.family = text_of(o.if_contains("family"));
  r.table = text_of(o.if_contains("table"));
  r.chain = text_of(o.if_contains("chain"));
  r.handle = int_of(o.if_contains("handle")).value_or(0);
  r.comment = text_of(o.if_contains("comment"));
  const json::value* expr = o.if_contains("expr");
  if (r.table.empty() || r.chain.empty() || !expr || !expr->is_array())
    return error(item, "rule without family, table, chain or expr array");
  auto c = chain_at.find(key(r.family, r.table, r.chain));
  if (c == chain_at.end()) return error(item, "rule in chain " + r.chain + " of table " + r.table + ", which was not listed");
  for (const auto& e : expr->as_array()) read_expr(e, r);
  r.expr = json::serialize(*expr);
  r.position = ++rs.chains[c->second].rules;
  rs.rules.push_back(std::move(r));
}

}  // namespace

NftRuleset parse_nft_json(std::string_view text, std::string_view file) {
  json::error_code ec;
  json::stream_parser p;
  size_t used = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) throw std::runtime_error(std::string(file) + ": not JSON at byte " + std::to_string(used) + ": " + ec.message());
  json::value doc = p.release();
  const json::value* items = doc.is_object() ? doc.as_object().if_contains("nftables") : nullptr;
  if (!items || !items->is_array()) throw std::runtime_error(std::string(file) + ": expected {\"nftables\": [...]} (nft -j list ruleset)");
  Reader rd;
  rd.file = std::string(file);
  size_t i = 0;
  for (const auto& it : items->as_array()) {
    if (!it.is_object()) rd.error(i, "not an object");
    else if (const auto* c = it.as_object().if_contains("chain"); c && c->is_object()) rd.chain(c->as_object());
    else if (const auto* r = it.as_object().if_contains("rule"); r && r->is_object()) rd.rule(r->as_object(), i);
    ++i;
  }
  return std::move(rd.rs);
}

}  // namespace network
