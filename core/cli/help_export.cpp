// The man page (kinspect.1) and the bash and zsh completions, written from
// the same command table, help texts and option descriptions as --help, so
// they cannot drift from the program. The build runs `kinspect __man` and
// `kinspect completion bash|zsh` and installs what they print.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include "core/cli/cli.h"

#ifndef KINSPECT_VERSION
#define KINSPECT_VERSION "0.0.0"
#endif

namespace kinspect::cli {

namespace {

// One option as the help shows it.
struct OptionDoc {
  std::string long_name;  // "format" ("" for a short-only option)
  std::string short_name; // "-o" or ""
  bool takes_value = false;
  std::string help;
};

struct CommandDoc {
  const Command* command;
  std::vector<OptionDoc> options;
  std::vector<std::string> positional;
};

CommandDoc describe(const Command& c) {
  po::options_description desc;
  po::positional_options_description pos;
  command_options(c, desc, pos);
  CommandDoc d{&c, {}, {}};
  for (const auto& o : desc.options()) {
    std::string shortest = o->canonical_display_name(po::command_line_style::allow_dash_for_short);
    OptionDoc od;
    od.long_name = o->long_name();
    od.short_name = shortest.size() == 2 && shortest[0] == '-' ? shortest : "";
    od.takes_value = o->semantic()->max_tokens() > 0;
    od.help = o->description();
    d.options.push_back(std::move(od));
  }
  std::set<std::string> seen;
  for (unsigned i = 0; i < pos.max_total_count() && i < 8; ++i)
    if (seen.insert(pos.name_for_position(i)).second) d.positional.push_back(pos.name_for_position(i));
  return d;
}

std::vector<CommandDoc> all_commands() {
  std::vector<CommandDoc> out;
  for (const auto& c : commands()) out.push_back(describe(c));
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// ---- man page (roff, man macros) ----

// Text safe on a roff text line: backslashes escaped, hyphens as \- (so
// options copy as ASCII), UTF-8 as \[uXXXX] (groff reads bytes as Latin-1),
// and a leading . or ' made literal.
std::string roff(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto ch = static_cast<unsigned char>(text[i]);
    if (ch == '\\') out += "\\e";
    else if (ch == '-') out += "\\-";
    else if (ch < 0x80) out += char(ch);
    else {
      const int extra = ch >= 0xF0 ? 3 : ch >= 0xE0 ? 2 : 1;
      unsigned cp = ch & (0x3F >> extra);
      for (int k = 0; k < extra && i + 1 < text.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F);
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

// Paragraphs of help text: blank lines part them; one with indented lines
// (a list, a table, commands) keeps its lines as they are.
void roff_paragraphs(std::ostream& m, const std::string& text) {
  std::vector<std::vector<std::string>> paras(1);
  for (const auto& line : lines_of(text)) {
    if (line.find_first_not_of(' ') == std::string::npos) {
      if (!paras.back().empty()) paras.emplace_back();
    } else {
      paras.back().push_back(line);
    }
  }
  for (const auto& p : paras) {
    if (p.empty()) continue;
    bool verbatim = false;
    for (const auto& l : p) verbatim = verbatim || l[0] == ' ';
    m << ".PP\n";
    if (verbatim) m << ".nf\n";
    for (const auto& l : p) m << roff(l) << '\n';
    if (verbatim) m << ".fi\n";
  }
}

void roff_option(std::ostream& m, const OptionDoc& o) {
  m << ".TP\n";
  std::string head;
  if (!o.short_name.empty()) head += "\\fB" + roff(o.short_name) + "\\fR";
  if (!o.long_name.empty()) head += (head.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff(o.long_name) + "\\fR";
  if (o.takes_value) head += " \\fIvalue\\fR";
  m << head << '\n' << roff(o.help.empty() ? "(no description)" : o.help) << '\n';
}

void roff_command(std::ostream& m, const CommandDoc& d) {
  const Command& c = *d.command;
  m << ".SS \"kinspect " << roff(c.name);
  for (const auto& p : d.positional) m << " [" << roff(p) << "]";
  m << " [options]\"\n" << roff(c.summary) << '\n';
  if (!c.details.empty()) roff_paragraphs(m, c.details);
  m << ".PP\nOptions:\n.RS\n";
  for (const auto& o : d.options)
    if (o.long_name != "help" && o.long_name != "verbose" && o.long_name != "quiet" && o.long_name != "color" &&
        o.long_name != "version")
      roff_option(m, o);
  m << ".RE\n";
  if (!c.examples.empty()) {
    m << ".PP\nExamples:\n.PP\n.RS\n.nf\n";
    for (const auto& l : lines_of(c.examples)) m << roff(l.substr(std::min(l.find_first_not_of(' '), l.size()))) << '\n';
    m << ".fi\n.RE\n";
  }
}

// ---- shell completion ----

// A word in single quotes for bash and zsh.
std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// The words that may follow `prefix` ("" or a group such as "plugins").
std::vector<std::string> next_words(const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& c : commands()) {
    if (!prefix.empty() && c.name.rfind(prefix + " ", 0) != 0) continue;
    std::string rest = prefix.empty() ? c.name : c.name.substr(prefix.size() + 1);
    std::string word = rest.substr(0, rest.find(' '));
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
  }
  return out;
}

// Every prefix of a command name that is a group: "" and "plugins", ...
std::vector<std::string> groups() {
  std::vector<std::string> out{""};
  for (const auto& c : commands())
    for (size_t sp = c.name.find(' '); sp != std::string::npos; sp = c.name.find(' ', sp + 1))
      if (std::find(out.begin(), out.end(), c.name.substr(0, sp)) == out.end()) out.push_back(c.name.substr(0, sp));
  return out;
}

std::vector<std::string> option_words(const CommandDoc& d, bool values_only) {
  std::vector<std::string> out;
  for (const auto& o : d.options) {
    if (values_only && !o.takes_value) continue;
    if (!o.long_name.empty()) out.push_back("--" + o.long_name);
    if (!o.short_name.empty()) out.push_back(o.short_name);
  }
  return out;
}

// Fixed choices of option values the help texts state.
const std::vector<std::pair<std::string, std::string>>& value_choices() {
  static const std::vector<std::pair<std::string, std::string>> v = {
      {"--color", "auto always never"},
      {"--fail-on", "critical warning info none"},
      {"--scenario", "inspection pre-upgrade post-upgrade"},
  };
  return v;
}

// The part both shells share: which command the words so far name. Option
// values are skipped (any option of the command that takes one).
const char* kWalkWords = R"(  local cmdpath="" w i skip=0
  for ((i = FIRST; i < LAST; i++)); do
    w="${WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --*=*) continue ;;
      -*) [[ " $(_kinspect_value_options "$cmdpath") " == *" $w "* ]] && skip=1; continue ;;
    esac
    [[ " $(_kinspect_next_words "$cmdpath") " == *" $w "* ]] || break
    cmdpath="${cmdpath:+$cmdpath }$w"
  done
)";

std::string walk_words(const std::string& words, const std::string& first, const std::string& last) {
  std::string s = kWalkWords;
  const std::vector<std::pair<std::string, std::string>> names = {{"WORDS", words}, {"FIRST", first}, {"LAST", last}};
  for (const auto& [from, to] : names)
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// Shell functions both scripts define: next words, options, value options.
void shared_functions(std::ostream& s, const std::vector<CommandDoc>& docs) {
  s << "_kinspect_next_words() {\n  case \"$1\" in\n";
  for (const auto& g : groups()) s << "    " << sh_quote(g) << ") echo " << sh_quote(join(next_words(g))) << " ;;\n";
  s << "    completion) echo 'bash zsh' ;;\n  esac\n}\n\n";
  for (bool values_only : {false, true}) {
    s << (values_only ? "_kinspect_value_options" : "_kinspect_options") << "() {\n  case \"$1\" in\n";
    for (const auto& d : docs) s << "    " << sh_quote(d.command->name) << ") echo " << sh_quote(join(option_words(d, values_only))) << " ;;\n";
    s << "    *) echo " << sh_quote(values_only ? "--color" : "--help -h --verbose -v --quiet -q --color --version -V") << " ;;\n";
    s << "  esac\n}\n\n";
  }
  s << "_kinspect_choices() {\n  case \"$1\" in\n";
  for (const auto& [opt, words] : value_choices()) s << "    " << opt << ") echo " << sh_quote(words) << " ;;\n";
  s << "  esac\n}\n\n";
}

}  // namespace

std::string man_page() {
  std::ostringstream m;
  m << ".\\\" Generated by `kinspect " << kManCommand << "` from kinspect's help texts; do not edit.\n"
    << ".TH KINSPECT 1 \"\" \"kinspect " KINSPECT_VERSION "\" \"User Commands\"\n"
    << ".SH NAME\nkinspect \\- find what is wrong with a Kubernetes cluster before its operators do\n"
    << ".SH SYNOPSIS\n.B kinspect\n.I command\n[\\fIoptions\\fR]\n.br\n.B kubectl kinspect\n.I command\n"
    << "[\\fIoptions\\fR]\n.br\n.B kinspect \\-\\-version\n.SH DESCRIPTION\n";
  std::string overview = help_overview();
  roff_paragraphs(m, overview.substr(0, overview.find("Usage:")));
  m << ".SH COMMANDS\n";
  for (const auto& d : all_commands()) roff_command(m, d);
  m << ".SH GLOBAL OPTIONS\n";
  roff_paragraphs(m, help_global_options());
  m << ".SH EXIT STATUS\n";
  roff_paragraphs(m, help_exit_codes());
  m << ".SH ENVIRONMENT\n"
    << ".TP\n.B KINSPECT_PLUGIN_PATH\nColon-separated folders to load plugins from, before the ones beside the program.\n"
    << ".TP\n.B KINSPECT_CHECKS_PATH\nColon-separated check files or folders instead of the bundled catalog.\n"
    << ".TP\n.B KINSPECT_PROFILES_PATH\nColon-separated profile files or folders instead of the bundled profiles.\n"
    << ".TP\n.B KINSPECT_KUBERNETES_SCHEMA\nThe Kubernetes object fields that checks' paths are checked against, "
       "instead of the bundled \\fIschemas/kubernetes.json\\fR.\n"
    << ".TP\n.B XDG_CONFIG_HOME\nWhere the configuration file is looked for (default \\fI~/.config\\fR).\n"
    << ".SH FILES\n"
    << ".TP\n.I $XDG_CONFIG_HOME/kinspect/config.yaml\nDefaults for \\fBkinspect run\\fR: profile, waivers, format, "
       "output, fail\\-on. Flags win over them; \\fB\\-\\-config\\fR names another file, \\fB\\-\\-no\\-config\\fR ignores it.\n"
    << ".TP\n.I PREFIX/lib/kinspect/plugins\nThe bundled plugins, found beside the program's own prefix.\n"
    << ".TP\n.I PREFIX/share/kinspect/checks, PREFIX/share/kinspect/profiles\nThe bundled checks and profiles.\n"
    << ".TP\n.I PREFIX/share/kinspect/schemas/kubernetes.json\nThe fields of the Kubernetes objects, against which "
       "\\fBkinspect checks lint\\fR checks the paths into well\\-known tables (see its SOURCES.md).\n"
    << ".SH SEE ALSO\n.BR kubectl (1)\n";
  return m.str();
}

std::string bash_completion() {
  const auto docs = all_commands();
  std::ostringstream s;
  s << "# bash completion for kinspect; generated by `kinspect completion bash` from its help texts.\n\n";
  shared_functions(s, docs);
  s << "_kinspect() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    << walk_words("COMP_WORDS", "1", "COMP_CWORD")
    << "  COMPREPLY=()\n"
    << "  local choices\n  choices=$(_kinspect_choices \"$prev\")\n"
    << "  if [[ -n $choices ]]; then COMPREPLY=($(compgen -W \"$choices\" -- \"$cur\")); return; fi\n"
    << "  if [[ \" $(_kinspect_value_options \"$cmdpath\") \" == *\" $prev \"* ]]; then\n"
    << "    COMPREPLY=($(compgen -f -- \"$cur\")); return\n  fi\n"
    << "  if [[ $cur == -* ]]; then\n"
    << "    COMPREPLY=($(compgen -W \"$(_kinspect_options \"$cmdpath\")\" -- \"$cur\")); return\n  fi\n"
    << "  COMPREPLY=($(compgen -W \"$(_kinspect_next_words \"$cmdpath\")\" -- \"$cur\"))\n}\n\n"
    << "complete -o default -F _kinspect kinspect kubectl-kinspect\n";
  return s.str();
}

std::string zsh_completion() {
  const auto docs = all_commands();
  std::ostringstream s;
  s << "#compdef kinspect kubectl-kinspect\n"
    << "# zsh completion for kinspect; generated by `kinspect completion zsh` from its help texts.\n\n";
  shared_functions(s, docs);
  s << "_kinspect_summaries() {\n  case \"$1\" in\n";
  for (const auto& g : groups()) {
    s << "    " << sh_quote(g) << ") reply=(";
    for (const auto& w : next_words(g)) {
      std::string full = g.empty() ? w : g + " " + w;
      std::string summary = "commands under '" + full + "'";
      for (const auto& c : commands())
        if (c.name == full) summary = c.summary;
      s << ' ' << sh_quote(w + ":" + summary);
    }
    s << " ) ;;\n";
  }
  s << "    completion) reply=('bash:the bash script' 'zsh:the zsh script') ;;\n    *) reply=() ;;\n  esac\n}\n\n";
  s << "_kinspect() {\n  local cur=\"${words[CURRENT]}\" prev=\"${words[CURRENT-1]}\"\n"
    << walk_words("words", "2", "CURRENT")
    << "  local choices\n  choices=$(_kinspect_choices \"$prev\")\n"
    << "  if [[ -n $choices ]]; then compadd -- ${=choices}; return; fi\n"
    << "  if [[ \" $(_kinspect_value_options \"$cmdpath\") \" == *\" $prev \"* ]]; then _files; return; fi\n"
    << "  if [[ $cur == -* ]]; then compadd -- ${=$(_kinspect_options \"$cmdpath\")}; return; fi\n"
    << "  local -a reply\n  _kinspect_summaries \"$cmdpath\"\n"
    << "  if (( ${#reply} )); then _describe -t commands 'kinspect command' reply; else _files; fi\n}\n\n"
    << "_kinspect \"$@\"\n";
  return s.str();
}

std::vector<Command> completion_commands() {
  Command c;
  c.name = "completion";
  c.summary = "Print a shell completion script (bash or zsh)";
  c.details =
      "The script completes commands, options and some option values. Packages install it already\n"
      "(bash: /usr/share/bash-completion/completions/kinspect, zsh: /usr/share/zsh/vendor-completions/_kinspect).\n"
      "For a kinspect built from source, load the bash one with `source kinspect.bash` (or\n"
      "`source <(kinspect completion bash)` in ~/.bashrc), and put the zsh one, _kinspect, in a folder on $fpath.";
  c.examples =
      "  kinspect completion bash > kinspect.bash\n"
      "  kinspect completion zsh > _kinspect";
  c.options = [](po::options_description& d, po::positional_options_description& pos) {
    d.add_options()("shell", po::value<std::string>(), "bash or zsh");
    pos.add("shell", 1);
  };
  c.run = [](const po::variables_map& vm) {
    const std::string shell = vm.count("shell") ? vm["shell"].as<std::string>() : "";
    if (shell == "bash") std::cout << bash_completion();
    else if (shell == "zsh") std::cout << zsh_completion();
    else throw UsageError("completion takes the shell: bash or zsh" + (shell.empty() ? std::string() : ", not '" + shell + "'"));
    return kExitOk;
  };
  return {c};
}

}  // namespace kinspect::cli
