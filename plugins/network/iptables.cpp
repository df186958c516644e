#include "iptables.h"

#include <sys/mman.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <unordered_map>

#include "common/text.h"

namespace network {

void* map_large(size_t bytes) {
  size_t len = (bytes + kLargeBytes - 1) / kLargeBytes * kLargeBytes;
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ::madvise(p, len, MADV_HUGEPAGE);  // a hint: without THP the pages are ordinary ones
  return p;
}

void unmap_large(void* p, size_t bytes) {
  ::munmap(p, (bytes + kLargeBytes - 1) / kLargeBytes * kLargeBytes);
}

void* TextArena::allocate(size_t bytes, size_t align) {
  size_t pad = next_ ? (align - reinterpret_cast<uintptr_t>(next_) % align) % align : 0;
  if (!next_ || left_ < bytes + pad) {
    // A large request gets a block of its own; the current block stays open
    // for the small ones.
    if (bytes > kBlockBytes / 4) return large_.emplace_back(new char[bytes]).get();
    blocks_.emplace_back(static_cast<char*>(map_large(kBlockBytes)));
    next_ = blocks_.back().get(), left_ = kBlockBytes, pad = 0;
  }
  char* p = next_ + pad;
  next_ = p + bytes, left_ -= bytes + pad;
  return p;
}

std::string_view TextArena::keep(std::string_view s) {
  if (s.empty()) return {};
  char* p = static_cast<char*>(allocate(s.size(), 1));
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

std::string_view TextArena::adopt(std::string&& s) {
  return *adopted_.emplace_back(std::make_unique<std::string>(std::move(s)));
}

std::string_view TextArena::concat(std::string_view a, std::string_view b) {
  if (a.empty()) return b;
  char* p = static_cast<char*>(allocate(a.size() + b.size(), 1));
  std::memcpy(p, a.data(), a.size());
  std::memcpy(p + a.size(), b.data(), b.size());
  return {p, a.size() + b.size()};
}

namespace {

using plugin_common::for_each_line;
using plugin_common::parse_int;
using plugin_common::trim;

// A token views the dump's text (kept in the arena), or the arena for a
// quoted string whose escapes were removed.
struct Token {
  std::string_view text;
  bool quoted = false;
};

// Splits a rule on spaces into `out` (cleared first); "..." is one token with
// \" and \\ unescaped, as iptables-save writes comments and log prefixes.
// Returns "" or the error.
std::string tokenize(std::string_view s, TextArena& arena, std::string& scratch, std::vector<Token>& out) {
  out.clear();
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    if (s[i] != '"') {
      size_t start = i;
      while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
      out.push_back({s.substr(start, i - start), false});
      continue;
    }
    size_t start = ++i;
    bool escaped = false;
    scratch.clear();
    for (; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i, escaped = true;
      scratch += s[i];
    }
    if (i >= s.size()) return "unterminated quoted string";
    out.push_back({escaped ? arena.keep(scratch) : s.substr(start, i - start), true});
    ++i;
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

// "80,443,8000:8080" appended to `out` as ranges; false if any part is not a
// port or range (then `out` is left as it was).
bool append_port_list(std::string_view s, std::vector<PortRange>& out) {
  size_t had = out.size();
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
    auto from = part.empty() ? std::nullopt : port(part.substr(0, colon), 0);
    auto to = colon == std::string_view::npos ? from : port(part.substr(colon + 1), 65535);
    if (!from || !to || *to < *from) {
      out.resize(had);
      return false;
    }
    out.push_back({*from, *to});
    if (comma == std::string_view::npos) return true;
    s.remove_prefix(comma + 1);
  }
}

// One rule's matches, options and ports while it is read; the vectors keep
// their capacity from rule to rule, and commit() copies them to the arena.
struct RuleDraft {
  IptRule rule;
  std::vector<Option> match_options, target_options;
  std::vector<std::pair<std::string_view, size_t>> matches;  // module, index of its first option
  std::vector<PortRange> dports, sports;
  std::string joined;  // an option's values, while they are joined

  void reset(std::string_view table, size_t line) {
    rule = IptRule{};
    rule.table = table, rule.line = line;
    match_options.clear(), target_options.clear(), matches.clear(), dports.clear(), sports.clear();
  }
  IptRule commit(TextArena& arena) const;
};

IptRule RuleDraft::commit(TextArena& arena) const {
  IptRule r = rule;
  Options options = arena.keep(match_options);
  std::vector<IptMatch> ms;
  ms.reserve(matches.size());
  for (size_t i = 0; i < matches.size(); ++i) {
    size_t end = i + 1 < matches.size() ? matches[i + 1].second : options.size();
    ms.push_back({matches[i].first, options.subspan(matches[i].second, end - matches[i].second)});
  }
  r.matches = arena.keep(ms);
  r.target_options = arena.keep(target_options);
  r.dports = arena.keep(dports);
  r.sports = arena.keep(sports);
  return r;
}

// Reads one rule's tokens (after "-A CHAIN") into the draft; returns "" or
// the error.
class RuleReader {
 public:
  RuleReader(const std::vector<Token>& t, RuleDraft& d, TextArena& arena) : t_(t), d_(d), r_(d.rule), arena_(arena) {}
  std::string read(size_t start);

 private:
  std::string value(size_t& i, std::string_view opt);
  std::string option(size_t& i, std::string_view opt, bool negated);
  std::string extension_option(size_t& i, std::string_view opt, bool negated);
  std::string_view extension_values(size_t& i, bool& negated);
  std::string ports(std::string_view opt, std::string_view v, bool negated);
  std::string_view negate(bool negated, std::string_view v) { return negated ? arena_.concat("!", v) : v; }

  const std::vector<Token>& t_;
  RuleDraft& d_;
  IptRule& r_;
  TextArena& arena_;
  enum { kNone, kMatch, kTarget } context_ = kNone;
};

std::string RuleReader::value(size_t& i, std::string_view opt) {
  if (i + 1 >= t_.size()) return "option " + std::string(opt) + " needs a value";
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
    if (tok.quoted || tok.text.empty() || tok.text[0] != '-') return "unexpected '" + std::string(tok.text) + "'";
    std::string err = option(i, tok.text, negated);
    if (!err.empty()) return err;
    negated = false;
  }
  if (negated) return "'!' at the end of the rule";
  return "";
}

std::string RuleReader::option(size_t& i, std::string_view opt, bool negated) {
  static const std::map<std::string_view, std::string_view IptRule::*> fields = {
      {"-p", &IptRule::protocol},       {"--protocol", &IptRule::protocol},
      {"-s", &IptRule::source},         {"--source", &IptRule::source},
      {"-d", &IptRule::destination},    {"--destination", &IptRule::destination},
      {"-i", &IptRule::in_interface},   {"--in-interface", &IptRule::in_interface},
      {"-o", &IptRule::out_interface},  {"--out-interface", &IptRule::out_interface}};
  if (auto f = fields.find(opt); f != fields.end()) {
    if (auto e = value(i, opt); !e.empty()) return e;
    r_.*(f->second) = negate(negated, t_[++i].text);
    return "";
  }
  if (opt == "-m" || opt == "--match") {
    if (auto e = value(i, opt); !e.empty()) return e;
    d_.matches.emplace_back(t_[++i].text, d_.match_options.size());
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
    d_.matches.emplace_back("", d_.match_options.size());
    d_.match_options.push_back({"-f", negated ? "!" : ""});
    return "";
  }
  if (opt == "-c" || opt == "--set-counters") {  // the counters inside the rule (older -c output)
    if (i + 2 >= t_.size()) return "-c needs packets and bytes";
    r_.packets = parse_int(t_[i + 1].text), r_.bytes = parse_int(t_[i + 2].text);
    i += 2;
    return r_.packets && r_.bytes ? "" : "-c needs packets and bytes as numbers";
  }
  if (opt.size() > 2 && opt[1] == '-' && context_ != kNone) return extension_option(i, opt, negated);
  return "unknown option " + std::string(opt) + (context_ == kNone ? " (not after -m MODULE or -j TARGET)" : "");
}

// The values of an extension option: the tokens up to the next option
// (--tcp-flags takes two, --syn none), joined by spaces.
std::string_view RuleReader::extension_values(size_t& i, bool& negated) {
  auto is_value = [&](const Token& t) {
    return t.quoted || (t.text != "!" && t.text[0] != '-') ||
           (t.text.size() > 1 && std::isdigit(static_cast<unsigned char>(t.text[1])));
  };
  size_t first = i + 1;
  while (i + 1 < t_.size() && is_value(t_[i + 1])) ++i;
  std::string_view v = i == first ? t_[first].text : std::string_view{};
  if (i > first) {
    d_.joined.clear();
    for (size_t k = first; k <= i; ++k) d_.joined.append(d_.joined.empty() ? "" : " ").append(t_[k].text);
    v = arena_.keep(d_.joined);
  }
  // The old syntax "--dport ! 22" puts the negation after the option.
  if (v.empty() && i + 2 < t_.size() && t_[i + 1].text == "!" && !t_[i + 2].quoted && t_[i + 2].text[0] != '-') {
    negated = true;
    i += 2;
    return t_[i].text;
  }
  return v;
}

// An option of the last -m module or of the target.
std::string RuleReader::extension_option(size_t& i, std::string_view opt, bool negated) {
  std::string_view v = extension_values(i, negated);
  auto& into = context_ == kMatch ? d_.match_options : d_.target_options;
  into.push_back({opt, negate(negated, v)});
  if (context_ != kMatch) return "";
  if (d_.matches.back().first == "comment" && opt == "--comment") r_.comment = v;
  bool dest = false;
  if (is_port_option(opt, dest)) return ports(opt, v, negated);
  if (opt == "--ports") {  // multiport: source or destination
    if (auto e = ports("--dports", v, negated); !e.empty()) return e;
    return ports("--sports", v, negated);
  }
  return "";
}

std::string RuleReader::ports(std::string_view opt, std::string_view v, bool negated) {
  bool dest = false;
  is_port_option(opt, dest);
  if (!append_port_list(v, dest ? d_.dports : d_.sports))
    return "option " + std::string(opt) + " has an invalid port list '" + std::string(v) + "'";
  (dest ? r_.dports_negated : r_.sports_negated) = negated;
  return "";
}

struct SaveParser {
  IptDump d;
  std::string_view table;  // "" outside *table ... COMMIT
  std::unordered_map<std::string_view, size_t> chain_index;  // chain -> index in d.chains, for the open table
  std::vector<Token> tokens;                                 // of the current line
  std::string scratch;                                       // an unescaped string being read
  RuleDraft draft;
  Keep keep = Keep::Everything;

  void error(size_t n, std::string msg) { d.errors.push_back({d.file, n, std::move(msg)}); }
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
  if (auto e = tokenize(line.substr(1), d.text, scratch, tokens); !e.empty() || tokens.size() < 2)
    return error(n, "expected ':CHAIN POLICY [PACKETS:BYTES]'");
  IptChain c;
  c.table = table, c.chain = tokens[0].text, c.line = n;
  c.policy = tokens[1].text == "-" ? "" : tokens[1].text;
  if (tokens.size() >= 3 && !parse_counters(tokens[2].text, c.packets, c.bytes))
    return error(n, "chain counters are not [PACKETS:BYTES]");
  chain_index[c.chain] = d.chains.size();
  d.chains.push_back(c);
}

// The chain a rule line appends to ("[0:0] -A KUBE-SERVICES ..."), read
// before the rest of the line so that a rule this parser cannot read still
// takes its place: positions count every rule of the chain, as the kernel's
// (`iptables -L --line-numbers`) do, and a check names the right one.
std::string_view appended_chain(std::string_view line) {
  if (line.front() == '[') line = trim(line.substr(std::min(line.find(' '), line.size())));
  if (line.substr(0, 3) != "-A ") return {};
  line = trim(line.substr(3));
  return line.substr(0, line.find_first_of(" \t"));
}

void SaveParser::rule(std::string_view line, size_t n) {
  draft.reset(table, n);
  IptRule& r = draft.rule;
  auto c = chain_index.find(appended_chain(line));
  if (c != chain_index.end()) r.position = ++d.chains[c->second].rules;
  if (line.front() == '[') {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || !parse_counters(line.substr(0, sp), r.packets, r.bytes))
      return error(n, "rule counters are not [PACKETS:BYTES]");
    line = trim(line.substr(sp));
  }
  if (auto e = tokenize(line, d.text, scratch, tokens); !e.empty()) return error(n, e);
  if (tokens.size() < 2 || tokens[0].text != "-A") return error(n, "expected '-A CHAIN ...'");
  if (c == chain_index.end())
    return error(n, "rule in chain " + std::string(tokens[1].text) + ", which is not declared in table " + std::string(table));
  r.chain = d.chains[c->second].chain;
  r.text = trim(line.substr(line.find(r.chain) + r.chain.size()));
  if (auto e = RuleReader(tokens, draft, d.text).read(2); !e.empty()) return error(n, e);
  if (keep == Keep::Everything) d.rules.push_back(draft.commit(d.text));
}

void SaveParser::line(std::string_view l, size_t n) {
  l = trim(l);
  if (l.empty()) return;
  if (l[0] == '#') return comment(l);
  if (l[0] == '*') {
    if (!table.empty()) return error(n, "table " + std::string(l.substr(1)) + " starts before COMMIT of table " + std::string(table));
    table = l.substr(1);
    chain_index.clear();
    return;
  }
  if (l == "COMMIT") {
    if (table.empty()) return error(n, "COMMIT outside a table");
    table = {};
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
  if (!append_port_list(s, out)) return std::nullopt;
  return out;
}

namespace {

// Parses `text`, which `p.d.text` already holds.
IptDump parse_kept(SaveParser& p, std::string_view text, std::string_view file, std::string_view family, Keep keep) {
  p.keep = keep;
  p.d.file = std::string(file);
  p.d.family = std::string(family);
  p.d.backend = "unknown";
  // A dump is mostly rules: one allocation instead of a doubling series of moves.
  if (keep == Keep::Everything) p.d.rules.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  for_each_line(text, [&](std::string_view l, size_t n) { p.line(l, n); });
  if (!p.table.empty()) p.error(0, "table " + std::string(p.table) + " has no COMMIT (truncated dump?)");
  return std::move(p.d);
}

}  // namespace

IptDump parse_iptables_save(std::string text, std::string_view file, std::string_view family, Keep keep) {
  SaveParser p;
  return parse_kept(p, p.d.text.adopt(std::move(text)), file, family, keep);
}

}  // namespace network
