// kube-bench adapter: kube-bench's results (CIS Kubernetes Benchmark) as
// tables. --with kube-bench=PATH takes one output (JSON from `kube-bench
// --json`, or its console text) or a folder of per-node outputs named after
// their node (worker-1.json, ...). See docs/adapters.md.
#include "adapter.h"

#include <filesystem>

#include "parse.h"

namespace kinspect::adapters::kubebench {

namespace {

using T = ks::Type;

const char* const kInputDoc =
    "the output of kube-bench --json or its console text, Starboard's CISKubeBenchReports (kubectl get -o json), or a "
    "folder of such files named after their node";

ks::TableSpec controls_table() {
  return {"kubebench.controls",
          "One row per kube-bench control (node type: master, etcd, controlplane, node, policies) per input file.",
          {{"file", T::Text, "The kube-bench output this row comes from"},
           {"node", T::Text, "The node (a CISKubeBenchReport's name, else the file's name inside a folder of per-node outputs; NULL for a single file)"},
           {"format", T::Text, "json-wrapped, json-array, text or starboard (a CISKubeBenchReport)"},
           {"id", T::Text, "Control id (\"1\")"},
           {"benchmark_version", T::Text, "CIS benchmark version kube-bench applied (\"1.6\"); NULL in console output"},
           {"text", T::Text, "Control title"},
           {"node_type", T::Text, "master, etcd, controlplane, node, policies, ..."},
           {"pass", T::Integer, "Results PASS, counted from the results listed"},
           {"fail", T::Integer, "Results FAIL, counted"},
           {"warn", T::Integer, "Results WARN, counted"},
           {"info", T::Integer, "Results INFO, counted"},
           {"total_pass", T::Integer, "total_pass as the file states it (NULL when absent)"},
           {"total_fail", T::Integer, "total_fail as stated"},
           {"total_warn", T::Integer, "total_warn as stated"},
           {"total_info", T::Integer, "total_info as stated"}},
          {},
          {"SELECT node, node_type, fail, warn FROM kubebench.controls"}};
}

ks::TableSpec sections_table() {
  return {"kubebench.sections",
          "One row per section of a control (\"1.2 API Server\"), with its counts.",
          {{"file", T::Text, "The kube-bench output"},
           {"node", T::Text, "The node, as in kubebench.controls"},
           {"node_type", T::Text, "The control's node type"},
           {"control_id", T::Text, "Control id"},
           {"section", T::Text, "Section id (\"1.2\")"},
           {"desc", T::Text, "Section title"},
           {"pass", T::Integer, "Results PASS, counted"},
           {"fail", T::Integer, "Results FAIL, counted"},
           {"warn", T::Integer, "Results WARN, counted"},
           {"info", T::Integer, "Results INFO, counted"}},
          {},
          {"SELECT section, desc, fail FROM kubebench.sections WHERE fail > 0"}};
}

ks::TableSpec results_table() {
  return {"kubebench.results",
          "One row per CIS recommendation kube-bench tested.",
          {{"file", T::Text, "The kube-bench output"},
           {"node", T::Text, "The node, as in kubebench.controls"},
           {"node_type", T::Text, "master, etcd, controlplane, node, policies, ..."},
           {"benchmark_version", T::Text, "CIS benchmark version (NULL in console output)"},
           {"control_id", T::Text, "Control id (\"1\")"},
           {"control_text", T::Text, "Control title"},
           {"section", T::Text, "Section id (\"1.2\")"},
           {"section_desc", T::Text, "Section title"},
           {"id", T::Text, "CIS recommendation id (\"1.2.5\")"},
           {"text", T::Text, "Recommendation title, with kube-bench's (Automated)/(Manual) or (Scored)/(Not Scored)"},
           {"argument", T::Text,
            "The command-line argument the title names, without dashes (\"anonymous-auth\"); NULL when none. It "
            "stays when the id moves between benchmarks (4.2.1 in CIS, 3.2.1 in EKS)"},
           {"status", T::Text, "PASS, FAIL, WARN or INFO"},
           {"scored", T::Boolean, "Scored (Automated) recommendation; from the field, else from the title"},
           {"remediation", T::Text, "What kube-bench says to do"},
           {"audit", T::Text, "The command kube-bench ran (NULL in console output)"},
           {"audit_config", T::Text, "The config file audit command, if any"},
           {"expected", T::Text, "expected_result"},
           {"actual", T::Text, "actual_value"},
           {"reason", T::Text, "Why, where kube-bench says"},
           {"type", T::Text, "manual, skip, or empty"}},
          {},
          {"SELECT id, node_type, text FROM kubebench.results WHERE status = 'FAIL'"}};
}

class KubeBench final : public AdapterPlugin {
 public:
  // kube-bench runs as a Job and prints its results; its job*.yaml manifests
  // label the pods app=kube-bench. On a node, --with kube-bench=run runs it
  // there: with no target named it detects the node's components itself.
  KubeBench(const ks::Host&, std::string_view config)
      : AdapterPlugin("kube-bench", config, kInputDoc, {}, LiveSource{false, "app=kube-bench", "", {"kube-bench", "--json"}}) {}
  std::vector<ks::TableSpec> tables() const override { return {controls_table(), sections_table(), results_table()}; }

 protected:
  Rows rows(std::string_view table) override {
    const std::string& input = config().input;
    const bool folder = std::filesystem::is_directory(input);
    Rows out;
    for (const auto& file : input_files(input)) {
      std::string node = folder ? std::filesystem::path(file).stem().string() : std::string();
      Output o = parse(read_file(file, config().max_input_bytes), file, node);
      if (table == "kubebench.controls") add_controls(o, out);
      else if (table == "kubebench.sections") add_sections(o, out);
      else add_results(o, out);
    }
    return out;
  }

 private:
  static void counts(ks::JsonWriter& w, const Counts& c, const char* prefix) {
    std::string p = prefix;
    w.field(p + "pass", c.pass).field(p + "fail", c.fail).field(p + "warn", c.warn).field(p + "info", c.info);
  }
  static void add_controls(const Output& o, Rows& out) {
    for (const auto& c : o.controls)
      out.push_back(row([&](ks::JsonWriter& w) {
        w.field("file", o.file);
        text_or_null(w, "node", c.node);
        w.field("format", o.format).field("id", c.id);
        text_or_null(w, "benchmark_version", c.version);
        w.field("text", c.text);
        text_or_null(w, "node_type", c.node_type);
        counts(w, c.counted, "");
        if (c.stated) counts(w, *c.stated, "total_");
        else w.null("total_pass").null("total_fail").null("total_warn").null("total_info");
      }));
  }
  static void add_sections(const Output& o, Rows& out) {
    for (const auto& s : o.sections)
      out.push_back(row([&](ks::JsonWriter& w) {
        const Control& c = o.controls[s.control];
        w.field("file", o.file);
        text_or_null(w, "node", c.node);
        text_or_null(w, "node_type", c.node_type);
        w.field("control_id", c.id).field("section", s.id).field("desc", s.desc);
        counts(w, s.counted, "");
      }));
  }
  static void add_results(const Output& o, Rows& out) {
    for (const auto& r : o.results)
      out.push_back(row([&](ks::JsonWriter& w) {
        const Control& c = o.controls[r.control];
        w.field("file", o.file);
        text_or_null(w, "node", c.node);
        text_or_null(w, "node_type", c.node_type);
        text_or_null(w, "benchmark_version", c.version);
        w.field("control_id", c.id).field("control_text", c.text);
        text_or_null(w, "section", r.section);
        text_or_null(w, "section_desc", r.section_desc);
        w.field("id", r.id).field("text", r.text);
        text_or_null(w, "argument", argument_named(r.text));
        w.field("status", r.status);
        if (r.scored) w.field("scored", *r.scored);
        else w.null("scored");
        for (auto [k, v] : {std::pair{"remediation", &r.remediation}, {"audit", &r.audit}, {"audit_config", &r.audit_config},
                            {"expected", &r.expected}, {"actual", &r.actual}, {"reason", &r.reason}, {"type", &r.type}})
          text_or_null(w, k, *v);
      }));
  }
};

}  // namespace

}  // namespace kinspect::adapters::kubebench

KINSPECT_PLUGIN(kinspect::adapters::kubebench::KubeBench, "kube-bench", "1.0.0",
                "kube-bench's CIS benchmark results (--with kube-bench=PATH) as kubebench.* tables", KI_KIND_DRIVER)
