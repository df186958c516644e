#include "iptables.h"

#include <algorithm>
#include <map>

#include "common/text.h"

namespace network {

namespace {

using plugin_common::for_each_line;
using plugin_common::parse_int;
using plugin_common::trim;

struct Token {
  std::string text;
  bool quoted = false;
};

// Splits a rule on spaces; "..." is one token with \" and \\ unescaped, as
// iptables-save writes comments and log prefixes. Returns "" or the error.
std::string tokenize(std::string_view s, std::vector<Token>& out) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    Token t;
    if (s[i] == '"') {
      t.quoted = true;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        t.text += s[i];
      }
      if (i >= s.size()) return "unterminated quoted string";
      ++i;
    } else {
      size_t start = i;
      while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
      t.text.assign(s.substr(start, i - start));
    }
    out.push_back(std::move(t));
  }
  return "";
}

// "[12:3456]" -> packets, bytes.
bool parse_counters(std::string_view s, std::optional<int64_t>& packets, std::optional<int64_t>& bytes) {
  if (s.size() < 5 || s.front() != '[' || s.back() != ']') return false;
  s = s.substr(1, s.size() - 2);
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  packets = parse_int(s.substr(0, colon));
  bytes = parse_int(s.substr(colon + 1));
  return packets && bytes;
}

bool is_port_option(std::string_view o, bool& dest) {
  static const std::map<std::string_view, bool> opts = {
      {"--dport", true},  {"--destination-port", true},  {"--dports", true}, {"--destination-ports", true},
      {"--sport", false}, {"--source-port", false},      {"--sports", false}, {"--source-ports", false}};
  auto it = opts.find(o);
  if (it == opts.end()) return false;
  dest = it->second;
  return true;
}

// Reads one rule's tokens (after "-A CHAIN") into `r`; returns "" or the error.
class RuleReader {
 public:
  RuleReader(const std::vector<Token>& t, IptRule& r) : t_(t), r_(r) {}
  std::string read(size_t start);

 private:
  std::string value(size_t& i, const std::string& opt);
  std::string option(size_t& i, const std::string& opt, bool negated);
  std::string extension_option(size_t& i, const std::string& opt, bool negated);
  std::string ports(const std::string& opt, const std::string& v, bool negated);

  const std::vector<Token>& t_;
  IptRule& r_;
  enum { kNone, kMatch, kTarget } context_ = kNone;
};

std::string RuleReader::value(size_t& i, const std::string& opt) {
  if (i + 1 >= t_.size()) return "option " + opt + " needs a value";
  return "";
}

std::string RuleReader::read(size_t i) {
  bool negated = false;
  for (; i < t_.size(); ++i) {
    const Token& tok = t_[i];
    if (tok.text == "!" && !tok.quoted) {
      negated = true;
      continue;
    }
    if (tok.quoted || tok.text.empty() || tok.text[0] != '-') return "unexpected '" + tok.text + "'";
    std::string err = option(i, tok.text, negated);
    if (!err.empty()) return err;
    negated = false;
  }
  if (negated) return "'!' at the end of the rule";
  return "";
}

std::string RuleReader::option(size_t& i, const std::string& opt, bool negated) {
  static const std::map<std::string_view, std::string IptRule::*> fields = {
      {"-p", &IptRule::protocol},       {"--protocol", &IptRule::protocol},
      {"-s", &IptRule::source},         {"--source", &IptRule::source},
      {"-d", &IptRule::destination},    {"--destination", &IptRule::destination},
      {"-i", &IptRule::in_interface},   {"--in-interface", &IptRule::in_interface},
      {"-o", &IptRule::out_interface},  {"--out-interface", &IptRule::out_interface}};
  if (auto f = fields.find(opt); f != fields.end()) {
    if (auto e = value(i, opt); !e.empty()) return e;
    r_.*(f->second) = (negated ? "!" : "") + t_[++i].text;
    return "";
  }
  if (opt == "-m" || opt == "--match") {
    if (auto e = value(i, opt); !e.empty()) return e;
    r_.matches.push_back({t_[++i].text, {}});
    context_ = kMatch;
    return "";
  }
  if (opt == "-j" || opt == "--jump" || opt == "-g" || opt == "--goto") {
    if (auto e = value(i, opt); !e.empty()) return e;
    r_.target = t_[++i].text;
    r_.goto_target = opt == "-g" || opt == "--goto";
    context_ = kTarget;
    return "";
  }
  if (opt == "-f" || opt == "--fragment") {
    r_.matches.push_back({"", {{"-f", negated ? "!" : ""}}});
    return "";
  }
  if (opt == "-c" || opt == "--set-counters") {  // the counters inside the rule (older -c output)
    if (i + 2 >= t_.size()) return "-c needs packets and bytes";
    r_.packets = parse_int(t_[i + 1].text), r_.bytes = parse_int(t_[i + 2].text);
    i += 2;
    return r_.packets && r_.bytes ? "" : "-c needs packets and bytes as numbers";
  }
  if (opt.size() > 2 && opt[1] == '-' && context_ != kNone) return extension_option(i, opt, negated);
  return "unknown option " + opt + (context_ == kNone ? " (not after -m MODULE or -j TARGET)" : "");
}

// An option of the last -m module or of the target: its values are the
// tokens up to the next option (--tcp-flags takes two, --syn none).
std::string RuleReader::extension_option(size_t& i, const std::string& opt, bool negated) {
  std::string v;
  while (i + 1 < t_.size() && (t_[i + 1].quoted || (t_[i + 1].text != "!" && t_[i + 1].text[0] != '-') ||
                               (t_[i + 1].text.size() > 1 && std::isdigit(static_cast<unsigned char>(t_[i + 1].text[1]))))) {
    v += (v.empty() ? "" : " ") + t_[++i].text;
  }
  // The old syntax "--dport ! 22" puts the negation after the option.
  if (v.empty() && i + 2 < t_.size() && t_[i + 1].text == "!" && !t_[i + 2].quoted && t_[i + 2].text[0] != '-') {
    negated = true;
    v = t_[i + 2].text;
    i += 2;
  }
  Options& into = context_ == kMatch ? r_.matches.back().options : r_.target_options;
  into.emplace_back(opt, (negated ? "!" : "") + v);
  if (context_ == kMatch && r_.matches.back().module == "comment" && opt == "--comment") r_.comment = v;
  bool dest = false;
  if (context_ == kMatch && is_port_option(opt, dest)) return ports(opt, v, negated);
  if (context_ == kMatch && opt == "--ports") {  // multiport: source or destination
    if (auto e = ports("--dports", v, negated); !e.empty()) return e;
    return ports("--sports", v, negated);
  }
  return "";
}

std::string RuleReader::ports(const std::string& opt, const std::string& v, bool negated) {
  auto list = parse_port_list(v);
  if (!list) return "option " + opt + " has an invalid port list '" + v + "'";
  bool dest = false;
  is_port_option(opt, dest);
  auto& into = dest ? r_.dports : r_.sports;
  into.insert(into.end(), list->begin(), list->end());
  (dest ? r_.dports_negated : r_.sports_negated) = negated;
  return "";
}

struct SaveParser {
  IptDump d;
  std::string file;
  std::string table;  // "" outside *table ... COMMIT
  std::map<std::string, size_t> chain_index;  // chain -> index in d.chains, for the open table

  void error(size_t n, std::string msg) { d.errors.push_back({file, n, std::move(msg)}); }
  void comment(std::string_view line);
  void chain(std::string_view line, size_t n);
  void rule(std::string_view line, size_t n);
  void line(std::string_view line, size_t n);
};

void SaveParser::comment(std::string_view line) {
  // "# Generated by iptables-save v1.8.9 (nf_tables) on Thu Dec  3 ..."
  size_t v = line.find("-save v");
  if (v != std::string_view::npos) {
    std::string_view rest = line.substr(v + 6);
    d.version = std::string(rest.substr(0, rest.find(' ')));
    if (rest.find("(nf_tables)") != std::string_view::npos) d.backend = "nf_tables";
    else if (rest.find("(legacy)") != std::string_view::npos) d.backend = "legacy";
    else if (d.backend == "unknown") d.backend = "legacy";  // before 1.8 there was only the legacy backend
  }
  if (line.find("iptables-legacy tables present") != std::string_view::npos) d.legacy_tables_present = true;
}

void SaveParser::chain(std::string_view line, size_t n) {
  // ":KUBE-SERVICES - [0:0]" or ":INPUT ACCEPT [12:345]"
  std::vector<Token> t;
  if (auto e = tokenize(line.substr(1), t); !e.empty() || t.size() < 2) return error(n, "expected ':CHAIN POLICY [PACKETS:BYTES]'");
  IptChain c;
  c.table = table, c.chain = t[0].text, c.line = n;
  c.policy = t[1].text == "-" ? "" : t[1].text;
  if (t.size() >= 3 && !parse_counters(t[2].text, c.packets, c.bytes)) return error(n, "chain counters are not [PACKETS:BYTES]");
  chain_index[c.chain] = d.chains.size();
  d.chains.push_back(std::move(c));
}

void SaveParser::rule(std::string_view line, size_t n) {
  IptRule r;
  r.table = table, r.line = n;
  if (line.front() == '[') {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || !parse_counters(line.substr(0, sp), r.packets, r.bytes))
      return error(n, "rule counters are not [PACKETS:BYTES]");
    line = trim(line.substr(sp));
  }
  std::vector<Token> t;
  if (auto e = tokenize(line, t); !e.empty()) return error(n, e);
  if (t.size() < 2 || t[0].text != "-A") return error(n, "expected '-A CHAIN ...'");
  r.chain = t[1].text;
  auto c = chain_index.find(r.chain);
  if (c == chain_index.end()) return error(n, "rule in chain " + r.chain + ", which is not declared in table " + table);
  size_t after = line.find(r.chain) + r.chain.size();
  r.text = std::string(trim(line.substr(after)));
  if (auto e = RuleReader(t, r).read(2); !e.empty()) return error(n, e);
  r.position = ++d.chains[c->second].rules;
  d.rules.push_back(std::move(r));
}

void SaveParser::line(std::string_view l, size_t n) {
  l = trim(l);
  if (l.empty()) return;
  if (l[0] == '#') return comment(l);
  if (l[0] == '*') {
    if (!table.empty()) return error(n, "table " + std::string(l.substr(1)) + " starts before COMMIT of table " + table);
    table = std::string(l.substr(1));
    chain_index.clear();
    return;
  }
  if (l == "COMMIT") {
    if (table.empty()) return error(n, "COMMIT outside a table");
    table.clear();
    return;
  }
  if (table.empty()) return error(n, "line outside a table (no '*TABLE' before it)");
  if (l[0] == ':') return chain(l, n);
  if (l[0] == '[' || l[0] == '-') return rule(l, n);
  error(n, "expected '*TABLE', ':CHAIN', a rule or COMMIT");
}

}  // namespace

std::optional<std::vector<PortRange>> parse_port_list(std::string_view s) {
  std::vector<PortRange> out;
  auto port = [](std::string_view p, int64_t dflt) -> std::optional<int64_t> {
    if (p.empty()) return dflt;
    auto v = parse_int(p);
    if (!v || *v < 0 || *v > 65535) return std::nullopt;
    return v;
  };
  while (true) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    size_t colon = part.find(':');
    if (part.empty()) return std::nullopt;
    auto from = port(part.substr(0, colon), 0);
    auto to = colon == std::string_view::npos ? from : port(part.substr(colon + 1), 65535);
    if (!from || !to || *to < *from) return std::nullopt;
    out.push_back({*from, *to});
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

IptDump parse_iptables_save(std::string_view text, std::string_view file, std::string_view family) {
  SaveParser p;
  p.file = std::string(file);
  p.d.file = std::string(file);
  p.d.family = std::string(family);
  p.d.backend = "unknown";
  // A dump is mostly rules: one allocation instead of a doubling series of moves.
  p.d.rules.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  for_each_line(text, [&](std::string_view l, size_t n) { p.line(l, n); });
  if (!p.table.empty()) p.error(0, "table " + p.table + " has no COMMIT (truncated dump?)");
  return std::move(p.d);
}

}  // namespace network
