// kinspect run, kinspect diff
#include <chrono>
#include <ctime>
#include <boost/json/parse.hpp>
#include <boost/program_options.hpp>

#include <unistd.h>

#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>

#include "core/cli/cli.h"
#include "core/cli/cluster_identity.h"
#include "core/cli/fleet.h"
#include "core/profile/profile.h"
#include "core/report/baseline.h"
#include "core/report/render.h"
#include "core/run/prepare.h"
#include "core/run/runner.h"
#include "core/snapshot/manifest.h"
#include "core/util/log.h"
#include "core/util/input_file.h"
#include "core/util/terminal.h"

#ifndef KINSPECT_VERSION
#define KINSPECT_VERSION "0.0.0"
#endif

namespace kinspect::cli {

namespace json = boost::json;

namespace {

enum class Format { Terminal, Json, Html, Junit, Prometheus, Sarif };

bool parse_format(std::string_view s, Format& f) {
  if (s == "terminal" || s == "text") f = Format::Terminal;
  else if (s == "json") f = Format::Json;
  else if (s == "html") f = Format::Html;
  else if (s == "junit") f = Format::Junit;
  else if (s == "prometheus") f = Format::Prometheus;
  else if (s == "sarif") f = Format::Sarif;
  else return false;
  return true;
}

// The format a file's name asks for.
bool format_for_file(const std::string& path, Format& f) {
  auto ends = [&](std::string_view s) { return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0; };
  if (ends(".sarif") || ends(".sarif.json")) f = Format::Sarif;
  else if (ends(".json")) f = Format::Json;
  else if (ends(".html") || ends(".htm")) f = Format::Html;
  else if (ends(".xml")) f = Format::Junit;
  else if (ends(".prom")) f = Format::Prometheus;
  else if (ends(".txt") || ends(".log")) f = Format::Terminal;
  else return false;
  return true;
}

std::string render(const report::Report& r, Format f, const report::TerminalOptions& topts) {
  switch (f) {
    case Format::Terminal: return report::render_terminal(r, topts);
    case Format::Json: return report::render_json(r);
    case Format::Html: return report::render_html(r);
    case Format::Junit: return report::render_junit(r);
    case Format::Prometheus: return report::render_prometheus(r);
    case Format::Sarif: return report::render_sarif(r);
  }
  return {};
}

// JSON is written as it is made (a report of every container of a large
// cluster is 100 MB); the other formats are rendered whole.
void write_rendered(std::ostream& out, const report::Report& r, Format f, const report::TerminalOptions& topts) {
  if (f == Format::Json)
    report::write_json(r, [&](std::string_view piece) { out.write(piece.data(), std::streamsize(piece.size())); });
  else
    out << render(r, f, topts);
}

Expected<std::string> read_file(const std::string& path) { return read_input_file(path); }

// Progress on stderr, one line redrawn in place; only on a terminal.
class Progress {
 public:
  explicit Progress(bool on) : on_(on) {}
  ~Progress() { clear(); }
  void update(const RunProgress& p) {
    if (!on_) return;
    std::string line = "\r\033[K" + std::string(p.phase == "tables" ? "fetching tables " : "running checks ") +
                       std::to_string(p.done) + "/" + std::to_string(p.total) + "  " + p.current;
    std::cerr << line << std::flush;
    shown_ = true;
  }
  void clear() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  bool on_;
  bool shown_ = false;
};

// An upgrade scenario is about a target: without a valid one its checks
// would compare against nothing and pass.
Status check_target_version(const std::string& scenario, const std::string& target) {
  const bool upgrade = scenario == "pre-upgrade" || scenario == "post-upgrade";
  if (target.empty())
    return upgrade ? Status(Error("--scenario " + scenario + " needs --target-version, the version the upgrade goes "
                                  "to (e.g. --target-version 1.31): its checks compare the cluster against it"))
                   : Status::Ok();
  auto v = KubeVersion::parse(target);
  if (!v || v->major != 1)
    return Error("--target-version takes a Kubernetes version such as 1.31 or v1.31.2, not '" + target + "'");
  return Status::Ok();
}

// One line per cause on stderr, so a CI log says why a run is incomplete
// without opening the report.
void print_not_checked(const report::Summary& s) {
  for (const auto& k : s.causes)
    std::cerr << "kinspect run: " << k.cause << ": " << k.checks << (k.checks == 1 ? " check" : " checks")
              << ", e.g. " << k.example << '\n';
}

// 3 when a selected check could not run (unless --allow-incomplete) and
// always when nothing at all was checked; else 1 for findings at or above
// --fail-on (with --fail-on-new: only findings the baseline does not have);
// else 0. With what it means, for the report and for stderr.
struct ExitVerdict {
  int code = kExitOk;
  std::string meaning;
};

// --fail-on-new: findings the baseline has never fail the run; new ones at
// or above min_sev do (info unless --fail-on is given: every new finding).
ExitVerdict new_findings_verdict(const report::Report& rep, std::optional<report::Severity> min_sev) {
  if (!min_sev) return {kExitOk, "--fail-on none"};
  uint64_t fresh = 0;
  for (const auto& c : rep.checks)
    for (const auto& f : c.findings)
      if (f.change == report::Change::New && report::rank(f.severity) >= report::rank(*min_sev)) ++fresh;
  const std::string at =
      *min_sev == report::Severity::Info ? "" : " at or above --fail-on " + std::string(report::to_string(*min_sev));
  if (fresh)
    return {kExitFindings, std::to_string(fresh) + (fresh == 1 ? " new finding" : " new findings") + at +
                               " (--fail-on-new, baseline " + rep.baseline + ")"};
  return {kExitOk, "no new findings" + at + " (--fail-on-new, baseline " + rep.baseline + ")"};
}

ExitVerdict exit_verdict(const report::Report& rep, std::optional<report::Severity> fail_sev, bool allow_incomplete,
                         bool only_new) {
  report::Summary s = rep.summary();
  if (s.passed + s.failed == 0)
    return {kExitIncomplete, "nothing was checked: none of the " + std::to_string(s.checks) + " selected checks could run"};
  if (s.not_checked && !allow_incomplete)
    return {kExitIncomplete, "incomplete: " + std::to_string(s.not_checked) +
                                 " checks could not run (--allow-incomplete accepts that)"};
  if (only_new) return new_findings_verdict(rep, fail_sev);
  for (const auto& c : rep.checks)
    for (const auto& f : c.findings)
      if (fail_sev && report::rank(f.severity) >= report::rank(*fail_sev))
        return {kExitFindings, std::string("findings at or above --fail-on ") + std::string(report::to_string(*fail_sev))};
  return {kExitOk, fail_sev ? "no findings at or above --fail-on " + std::string(report::to_string(*fail_sev))
                            : std::string("--fail-on none")};
}

// What the options say about the report: where it goes, in which formats,
// what fails the run, and the baseline it is compared with.
struct ReportOptions {
  Format stdout_format = Format::Terminal;
  std::vector<std::pair<std::string, Format>> outputs;
  std::optional<report::Severity> fail_sev;  // nullopt: --fail-on none
  std::optional<report::Report> baseline;
  bool fail_on_new = false;  // only findings new relative to the baseline fail the run
};

// Validated before any work is done; a mistake is a UsageError.
ReportOptions report_options(const po::variables_map& vm) {
  ReportOptions ro;
  if (!parse_format(vm["format"].as<std::string>(), ro.stdout_format))
    throw UsageError("--format takes terminal, json, html, junit, prometheus or sarif, not '" +
                     vm["format"].as<std::string>() + "'");
  if (vm.count("output"))
    for (const auto& o : vm["output"].as<std::vector<std::string>>()) {
      Format f;
      if (!format_for_file(o, f))
        throw UsageError("cannot tell the format of --output " + o +
                         " (name it .json, .html, .xml for JUnit, .prom for Prometheus, .sarif, or .txt)");
      ro.outputs.emplace_back(o, f);
    }
  const std::string fail_on = vm["fail-on"].as<std::string>();
  report::Severity sev = report::Severity::Critical;
  if (fail_on != "none" && !report::parse_severity(fail_on, sev))
    throw UsageError("--fail-on takes critical, warning, info or none, not '" + fail_on + "'");
  if (fail_on != "none") ro.fail_sev = sev;
  if (vm.count("fail-on-new")) {
    if (!vm.count("baseline"))
      throw UsageError("--fail-on-new needs --baseline FILE, the earlier JSON report whose findings are not new");
    ro.fail_on_new = true;
    // Every new finding counts, unless --fail-on is given to narrow them.
    if (vm["fail-on"].defaulted()) ro.fail_sev = report::Severity::Info;
  }
  if (vm.count("baseline")) {
    const std::string path = vm["baseline"].as<std::string>();
    auto text = read_file(path);
    if (!text) throw UsageError("--baseline " + text.error().message());
    auto b = report::parse_report_json(*text, path);
    if (!b) throw UsageError(b.error().format());
    ro.baseline = std::move(b.value());
  }
  return ro;
}

// The moment ages are judged against: the clock for a live cluster, the
// capture time for a snapshot (so the report of a snapshot is the same
// whenever it is inspected), or --now.
void set_as_of(const po::variables_map& vm, RunConfig& cfg) {
  std::string as_of;
  if (vm.count("now")) {
    as_of = vm["now"].as<std::string>();
    cfg.now_source = "--now";
  } else if (vm.count("snapshot")) {
    if (auto created = snapshot_created(vm["snapshot"].as<std::string>())) as_of = *created;
    cfg.now_source = "when the snapshot was taken";
  }
  if (as_of.empty()) return;
  auto t = parse_rfc3339(as_of);
  if (!t) throw UsageError("--now takes an RFC 3339 time such as 2026-01-02T03:04:05Z, not '" + as_of + "'");
  cfg.now = *t;
}

// A number as the user wrote it ("0.5", not "0.500000").
std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// Limits on time and output, from the options.
void set_limits(const po::variables_map& vm, std::chrono::steady_clock::time_point started, RunConfig& cfg) {
  cfg.parallelism = vm["parallel"].as<unsigned>();
  cfg.check_timeout_seconds = vm["check-timeout"].as<double>();
  cfg.driver_timeout_seconds = vm["driver-timeout"].as<double>();
  const double mib = vm["max-check-output"].as<double>();
  if (mib <= 0) throw UsageError("--max-check-output takes MiB above 0, not " + number_text(mib));
  cfg.check_output_budget = static_cast<uint64_t>(mib * (1 << 20));
  const double t = vm["timeout"].as<double>();
  if (t < 0) throw UsageError("--timeout takes seconds (0: no limit), not " + number_text(t));
  if (t > 0) {
    cfg.timeout_seconds = t;
    cfg.deadline = started + std::chrono::milliseconds(static_cast<int64_t>(t * 1000));
  }
}

RunConfig run_config(const po::variables_map& vm, std::chrono::steady_clock::time_point started) {
  RunConfig cfg;
  cfg.kinspect_version = KINSPECT_VERSION;
  cfg.check_paths = check_paths(vm);
  cfg.bundled_checks = bundled_checks(vm);
  cfg.profile_paths = vm.count("profiles") ? vm["profiles"].as<std::vector<std::string>>() : default_profile_paths();
  if (vm.count("profile")) cfg.profile = vm["profile"].as<std::string>();
  cfg.scenario = vm["scenario"].as<std::string>();
  if (vm.count("target-version")) cfg.target_version = vm["target-version"].as<std::string>();
  if (Status st = check_target_version(cfg.scenario, cfg.target_version); !st.ok())
    throw UsageError(st.error().message());
  if (vm.count("cluster-type")) cfg.cluster_types = vm["cluster-type"].as<std::vector<std::string>>();
  if (vm.count("check")) cfg.checks = vm["check"].as<std::vector<std::string>>();
  cfg.params = parse_assignments(vm, "param");
  cfg.inputs = with_tools(vm);
  set_limits(vm, started, cfg);
  const ClusterIdentity id = cluster_identity(vm);
  cfg.cluster_name = id.name;
  cfg.cluster_name_why = id.why();
  set_as_of(vm, cfg);
  return cfg;
}

// The report on stdout and in each --output file. False when a file could
// not be written.
bool write_report(const report::Report& rep, const ReportOptions& ro, const report::TerminalOptions& topts) {
  write_rendered(std::cout, rep, ro.stdout_format, topts);
  std::cout.flush();
  for (const auto& [path, f] : ro.outputs) {
    report::TerminalOptions plain = topts;
    plain.colour = false;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    write_rendered(out, rep, f, plain);
    if (!out) {
      std::cerr << "kinspect run: cannot write " << path << '\n';
      return false;
    }
    log::info("run", "wrote " + path);
  }
  return true;
}

// One cluster inspected with the loaded checks and profiles: its report
// and the exit code it earns. A run that cannot start throws UsageError.
ClusterRun inspect(const po::variables_map& vm, const CheckCatalog& catalog, const ReportOptions& ro,
                   std::chrono::steady_clock::time_point started, Progress* progress) {
  RunConfig cfg = run_config(vm, started);
  if (progress) cfg.progress = [progress](const RunProgress& p) { progress->update(p); };
  const std::vector<std::string> waiver_paths = waiver_files(vm);
  const std::vector<waiver::Waiver> waivers = read_waivers(waiver_paths);  // a bad file stops the run before it starts
  // A profile that names its plugins (the node profile: just `node`) loads
  // only those, so a host run starts no kube-apiserver worker.
  std::vector<std::string> only;
  if (!cfg.profile.empty())
    if (const Profile* p = catalog.profiles.find(cfg.profile)) only = p->plugins;
  auto reg = load_plugins(vm, false, nullptr, !vm.count("no-isolation"), only);
  // The waivers learn the objects of the findings from the run's own read.
  waiver::RunObjects run_objects(*reg, waiver::labels_wanted(waivers));
  cfg.object_paths = run_objects.paths();
  cfg.on_object_table = run_objects.taker();
  auto outcome = run_inspection(*reg, catalog, cfg);
  if (progress) progress->clear();
  if (!outcome) throw UsageError(outcome.error().format());
  report::Report& rep = outcome->report;
  // The report says what it looked at: the run's scope, else the one the
  // snapshot was captured with.
  rep.scope = scope_of(vm);
  if (rep.scope.whole_cluster() && vm.count("snapshot")) rep.scope = snapshot_scope(vm["snapshot"].as<std::string>());
  if (ro.baseline) {
    rep.baseline = vm["baseline"].as<std::string>();
    report::apply_baseline(rep, *ro.baseline);
  }
  // After the baseline: a waived finding is still new or unchanged, not resolved.
  apply_waivers(waiver_paths, waivers, *reg, rep, cfg.now ? cfg.now : static_cast<double>(std::time(nullptr)),
                !vm.count("snapshot"), run_objects);
  const ExitVerdict verdict = exit_verdict(rep, ro.fail_sev, vm.count("allow-incomplete") > 0, ro.fail_on_new);
  return {std::move(rep), verdict.code, verdict.meaning};
}

// The run's report, held until the process ends and never freed. At
// 150,000 pods it is hundreds of thousands of small allocations, and freeing
// them one by one (then giving the heap back to the kernel) just before the
// process exits took 140 ms, some 4% of such a run's wall time. It stays
// reachable, so leak checkers do not count it; a later run in the same
// process (tests) frees the one before.
const ClusterRun& kept_until_exit(ClusterRun run) {
  static auto* kept = new std::unique_ptr<ClusterRun>;
  *kept = std::make_unique<ClusterRun>(std::move(run));
  return **kept;
}

int run(const po::variables_map& vm) {
  const auto started = std::chrono::steady_clock::now();  // --timeout counts from here
  const ReportOptions ro = report_options(vm);
  const std::vector<std::string> fleet = fleet_contexts(vm);
  if (fleet.empty()) run_config(vm, started);  // its usage errors before any work (a fleet checks per cluster)
  auto catalog = load_catalog(check_paths(vm), vm.count("profiles") ? vm["profiles"].as<std::vector<std::string>>()
                                                                     : default_profile_paths());
  if (!catalog) throw UsageError(catalog.error().format());
  if (!fleet.empty())
    return run_fleet(vm, fleet, [&](const po::variables_map& one) { return inspect(one, *catalog, ro, started, nullptr); });

  Progress progress(!vm.count("quiet") && term::stderr_is_tty());
  const ClusterRun& one = kept_until_exit(inspect(vm, *catalog, ro, started, &progress));
  const report::Report& rep = one.report;
  report::TerminalOptions topts;
  topts.exit_code = one.exit_code;
  topts.exit_meaning = one.verdict;
  topts.colour = term::stdout_colour();
  topts.verbose = vm.count("verbose") > 0;
  topts.show_passed = vm.count("show-passed") > 0;
  topts.max_findings = vm["max-findings"].as<size_t>();
  if (!write_report(rep, ro, topts)) return kExitIncomplete;
  if (one.exit_code == kExitIncomplete) {
    std::cerr << "kinspect run: " << one.verdict << '\n';
    print_not_checked(rep.summary());
  }
  return one.exit_code;
}

int diff(const po::variables_map& vm) {
  if (!vm.count("reports") || vm["reports"].as<std::vector<std::string>>().size() != 2) {
    std::cerr << "kinspect diff: give two reports: kinspect diff BEFORE.json AFTER.json\n";
    return kExitUsage;
  }
  const auto& files = vm["reports"].as<std::vector<std::string>>();
  std::vector<report::Report> reps;
  for (const auto& f : files) {
    auto text = read_file(f);
    if (!text) {
      std::cerr << "kinspect diff: " << text.error().message() << '\n';
      return kExitUsage;
    }
    auto r = report::parse_report_json(*text, f);
    if (!r) {
      std::cerr << "kinspect diff: " << r.error().format() << '\n';
      return kExitUsage;
    }
    reps.push_back(std::move(r.value()));
  }
  auto d = report::diff_reports(reps[0], reps[1]);
  std::cout << report::render_diff(d, term::stdout_colour());
  return vm.count("fail-on-new") && d.added > 0 ? kExitFindings : kExitOk;
}

}  // namespace

std::vector<Command> run_commands() {
  Command r;
  r.name = "run";
  r.summary = "Inspect a cluster: choose a profile, run its checks, write the report";
  r.details =
      "Detects the cluster's version and type, picks the profile that matches them and the\n"
      "scenario (or the one given with --profile), fetches every table its checks read once,\n"
      "runs the checks in parallel with time limits, and prints the report. A table that\n"
      "cannot be read marks only the checks that need it as errors.\n\n"
      "The cluster is a live API server (--kubeconfig, $KUBECONFIG, ~/.kube/config or the\n"
      "in-cluster service account) or a snapshot (--snapshot). Reports go to stdout in\n"
      "--format, and to each --output FILE in the format its name says (.json .html .xml .prom\n"
      ".sarif .txt).\n\n"
      "A check that could not run is never a pass: it is 'not checked' with its cause (the\n"
      "resource is not served, forbidden, not in the snapshot, no plugin provides it) or an\n"
      "error, and the run exits 3 unless the profile marks it optional or --allow-incomplete\n"
      "is given. A run that checked nothing always exits 3.\n\n"
      "With --fail-on-new and --baseline FILE only findings FILE does not have fail the run:\n"
      "of any severity, or at or above --fail-on when it is given; an incomplete run still\n"
      "exits 3.\n\n"
      "The report names the cluster: --cluster-name, else the kubeconfig context in use (its\n"
      "current-context when --context is not given), 'in-cluster' for the service account, or\n"
      "the name a snapshot recorded (else its file name).\n\n"
      "Several clusters: give --context more than once, or --all-contexts for every context of\n"
      "the kubeconfig. Each is inspected on its own (--parallel-clusters at a time); one that\n"
      "fails (unreachable, TLS, 5xx) gets a report saying so while the others complete. Output:\n"
      "each report, then a fleet table (terminal); a kinspect.fleet/v1 document (json); one page\n"
      "(html); --output-dir DIR writes DIR/<cluster>.json and .html and DIR/fleet.json and .html.\n"
      "The exit code is the worst cluster's: 3 over 1 over 0 (docs/fleet.md).\n\n"
      "Scope: -n/--namespace, --exclude-namespace and -l/--selector narrow the namespaced\n"
      "tables (pods, deployments, services, ... every table of a namespaced resource) before\n"
      "any check runs; live, they are sent to the API server (one LIST per namespace,\n"
      "labelSelector=, fieldSelector metadata.namespace!=NAME). Cluster-scoped tables (nodes,\n"
      "namespaces, CRDs, cluster roles, storage classes, ...) are always read whole. The report\n"
      "says the scope. -A/--all-namespaces is the default.\n\n"
      "Waivers (docs/waivers.md): findings accepted for now, from --waivers FILE (default\n"
      "$XDG_CONFIG_HOME/kinspect/waivers.yaml) or an object's kinspect.io/waive annotation,\n"
      "are listed as waived in every format and do not fail the run; an expired waiver no\n"
      "longer applies and is reported, as is a waiver that matched nothing.\n\n"
      "Exit codes: 0 no findings at or above --fail-on; 1 there are; 2 usage or configuration\n"
      "error (bad option, unknown --set, a plugin that cannot start, a missing --snapshot, an\n"
      "upgrade scenario without a valid --target-version, or a pre-upgrade target older than\n"
      "the cluster); 3 incomplete: some selected check\n"
      "could not run (stderr says why, one line per cause).";
  r.examples =
      "  kinspect run --snapshot examples/cluster\n"
      "  kinspect run --kubeconfig ~/.kube/config --output report.html --output report.json\n"
      "  kinspect run --scenario pre-upgrade --target-version 1.31 --fail-on warning\n"
      "  kinspect run --scenario post-upgrade --target-version 1.31 --baseline pre-upgrade.json\n"
      "  kinspect run --profile self-hosted-inspection --check 'pod-*' --param pod-high-restarts.max_restarts=10\n"
      "  kinspect run --format junit > kinspect.xml       # for CI test reports\n"
      "  kinspect run --output kinspect.sarif             # for code-scanning dashboards\n"
      "  kinspect run --baseline yesterday.json --fail-on-new   # fail only on what is new\n"
      "  kinspect run -n shop -n web -l 'app.kubernetes.io/part-of=shop'\n"
      "  kinspect run --snapshot examples/cluster --waivers examples/waivers.yaml\n"
      "  kinspect run --context prod --cluster-name prod-eu --output prod-eu.json\n"
      "  kinspect run --context prod-eu --context prod-us  # two clusters, then a fleet table\n"
      "  kinspect run --all-contexts --output-dir reports/ --format json > fleet.json";
  r.options = [](po::options_description& d, po::positional_options_description&) {
    add_source_options(d);
    add_check_options(d);
    add_scope_options(d);
    add_fleet_options(d);
    d.add_options()
        ("cluster-name", po::value<std::string>(),
         "name the cluster in the report (default: the kubeconfig context; 'in-cluster' for the service account; "
         "a snapshot's recorded name or file name)")
        ("profile,p", po::value<std::string>(), "use this profile instead of matching one")
        ("scenario,s", po::value<std::string>()->default_value("inspection"),
         "inspection, pre-upgrade, post-upgrade, or one your profiles define")
        ("target-version", po::value<std::string>(), "the version an upgrade goes to, e.g. 1.31")
        ("cluster-type", po::value<std::vector<std::string>>()->composing(),
         "override detection: managed, self-hosted, serverless, edge, gpu (repeatable)")
        ("check,c", po::value<std::vector<std::string>>()->composing(),
         "run only these of the profile's checks: id, glob, tag:NAME or category:NAME (repeatable)")
        ("param", po::value<std::vector<std::string>>()->composing(),
         "override a check parameter: CHECK.NAME=VALUE or NAME=VALUE (repeatable)")
        ("profiles", po::value<std::vector<std::string>>()->composing(), "profile files or folders (default: the bundled profiles)")
        ("format,o", po::value<std::string>()->default_value("terminal"), "stdout: terminal, json, html, junit, prometheus, sarif")
        ("output", po::value<std::vector<std::string>>()->composing(), "also write the report to FILE (repeatable)")
        ("fail-on", po::value<std::string>()->default_value("critical"), "exit 1 on findings this severe: critical, warning, info, none")
        ("baseline", po::value<std::string>(), "a previous JSON report: mark findings new, unchanged or resolved")
        ("fail-on-new", "exit 1 only for findings the --baseline report does not have (any severity, or at or "
         "above --fail-on when given)")
        ("waivers", po::value<std::vector<std::string>>()->composing(),
         "a YAML file of waivers: findings accepted for now, with a reason, an owner and an expiry date "
         "(repeatable; default: $XDG_CONFIG_HOME/kinspect/waivers.yaml or ~/.config/kinspect/waivers.yaml if it "
         "exists). Objects annotated kinspect.io/waive: \"CHECK[,CHECK]\" waive their own findings. Waived "
         "findings are listed apart and do not fail the run; expired and unmatched waivers are reported "
         "(docs/waivers.md)")
        ("max-findings", po::value<size_t>()->default_value(20), "findings shown per check on the terminal (0: all)")
        ("show-passed", "list the checks that passed on the terminal, under their category (default: a count)")
        ("now", po::value<std::string>(), "judge ages as of this RFC 3339 time (default: the clock, or a snapshot's capture time)")
        ("parallel,j", po::value<unsigned>()->default_value(0), "threads for fetching and checking (0: one per core)")
        ("check-timeout", po::value<double>()->default_value(0), "seconds per check (0: the profile's, default 30)")
        ("driver-timeout", po::value<double>()->default_value(0), "seconds per table fetch (0: the profile's, default 120)")
        ("max-check-output", po::value<double>()->default_value(64),
         "MiB of findings (as JSON) one check may produce; past it the check is an error naming the bound")
        ("timeout", po::value<double>()->default_value(0),
         "seconds for the whole run (0: no limit); what is not done by then is reported not checked "
         "(cause 'run timeout') and the run exits 3")
        ("allow-incomplete", "exit 0 or 1 even if some checks could not run (not served, forbidden, not captured); "
         "the report still lists them as not checked. A run that checked nothing still exits 3")
        ("no-isolation", "load plugins into this process instead of worker processes (faster start, no crash containment)");
  };
  r.run = run;

  Command d;
  d.name = "diff";
  d.summary = "Compare two JSON reports: new, resolved and unchanged findings per check";
  d.details = "For the upgrade loop: compare the pre-upgrade report with the post-upgrade one.";
  d.examples = "  kinspect diff pre-upgrade.json post-upgrade.json\n  kinspect diff yesterday.json today.json --fail-on-new";
  d.options = [](po::options_description& o, po::positional_options_description& pos) {
    o.add_options()("reports", po::value<std::vector<std::string>>()->composing(), "BEFORE.json AFTER.json")(
        "fail-on-new", "exit 1 if AFTER has findings BEFORE did not");
    pos.add("reports", 2);
  };
  d.run = diff;
  return {r, d};
}

}  // namespace kinspect::cli
