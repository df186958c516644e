// The HTML page: self-contained, escaped, and really working in a browser
// (headless Chromium runs its script; the test reads the counts it computes).
#include <gtest/gtest.h>

#include <regex>

#include "core/report/baseline.h"
#include "core/report/render.h"
#include "tests/report/sample_report.h"
#include "tests/report/test_util.h"

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

const char* kChromium = "/usr/bin/chromium";

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

std::string chromium(const std::string& args) {
  // A fresh profile each time; no network services, no first-run work.
  return std::string("profile=$(mktemp -d /tmp/kinspect-chromium-XXXXXX); timeout 120 ") + kChromium +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars"
         " --user-data-dir=\"$profile\" " +
         args + "; rc=$?; rm -rf \"$profile\"; exit $rc";
}

Report baseline_sample() {
  Report before = sample_report();
  before.checks[3].findings.pop_back();
  before.checks[0].findings.push_back({"node/worker-5", "node is NotReady", Severity::Critical, nullptr, Change::None});
  Report now = sample_report();
  now.baseline = "reports/yesterday.json";
  apply_baseline(now, before);
  return now;
}

TEST(ReportHtml, SelfContainedAndEscaped) {
  std::string h = render_html(sample_report());
  EXPECT_EQ(h.rfind("<!DOCTYPE html>\n", 0), 0u);
  // The only script is ours; the pod named <script> is text.
  EXPECT_EQ(count(h, "<script"), 1u);
  EXPECT_EQ(h.find("<script>alert(1)</script>"), std::string::npos);
  EXPECT_NE(h.find("pod/default/&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(h.find("container &quot;app&quot; &amp; &#39;sidecar&#39; restarted 12 times &lt;b&gt;"),
            std::string::npos);
  EXPECT_EQ(h.find("<b>\n"), std::string::npos);
  // No resource loads: every http(s) URL is a link's target.
  std::regex url("https?://");
  for (auto it = std::sregex_iterator(h.begin(), h.end(), url); it != std::sregex_iterator(); ++it) {
    size_t at = static_cast<size_t>(it->position());
    std::string before = h.substr(at >= 9 ? at - 9 : 0, std::min<size_t>(at, 9));
    EXPECT_EQ(before, "<a href=\"") << "a URL that is not a link: " << h.substr(at >= 40 ? at - 40 : 0, 100);
  }
  for (const char* banned : {"<link", "<img", "<iframe", "@import", "url(", "src="})
    EXPECT_EQ(h.find(banned), std::string::npos) << banned;
  EXPECT_NE(h.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
}

TEST(ReportHtml, StaticCountsAndStructure) {
  std::string h = render_html(sample_report());
  EXPECT_NE(h.find("<b id=\"count-failed\" data-count=\"6\">6</b>"), std::string::npos);
  EXPECT_NE(h.find("id=\"count-checks\" data-count=\"13\">13<"), std::string::npos);
  EXPECT_NE(h.find("id=\"count-findings\" data-count=\"" + std::to_string(kFindings) + "\""), std::string::npos);
  EXPECT_NE(h.find("<b id=\"count-critical\" data-count=\"3\">3</b>"), std::string::npos);
  EXPECT_EQ(count(h, "<article class=\"check"), static_cast<size_t>(kChecks));
  EXPECT_EQ(count(h, "<tr class=\"finding\""), static_cast<size_t>(kFindings)) << "every finding, no limit";
  EXPECT_EQ(count(h, "<div class=\"remedy\">"), static_cast<size_t>(kFailed)) << "remedy once per failed check";
  EXPECT_NE(h.find("<a href=\"https://kubernetes.io/docs/concepts/architecture/nodes/#condition\""),
            std::string::npos);
  // Failures first: the node-ready card before the etcd error before a pass.
  EXPECT_LT(h.find("id=\"check-node-ready\""), h.find("id=\"check-etcd-health\""));
  EXPECT_LT(h.find("id=\"check-kube-proxy-healthy\""), h.find("id=\"check-etcd-health\""));
  EXPECT_LT(h.find("id=\"check-etcd-health\""), h.find("id=\"check-apiserver-cert-expiry\""));
  EXPECT_NE(h.find(">kube-proxy <span class=\"badge sev-critical\">abnormal (1)</span>"), std::string::npos);
  // Without a baseline there are no change marks.
  EXPECT_EQ(h.find("class=\"chg chg-new\""), std::string::npos);
}

TEST(ReportHtml, BaselineMarks) {
  std::string h = render_html(baseline_sample());
  EXPECT_EQ(count(h, "<span class=\"chg chg-new\">new</span>"), 1u);
  EXPECT_EQ(count(h, "<span class=\"chg chg-resolved\">resolved</span>"), 1u);
  EXPECT_NE(h.find("<tr class=\"finding resolved\" data-severity=\"critical\" data-change=\"resolved\">"),
            std::string::npos);
  EXPECT_NE(h.find("id=\"count-new\" data-count=\"1\""), std::string::npos);
  EXPECT_NE(h.find("id=\"count-resolved\" data-count=\"1\""), std::string::npos);
}

class ReportHtmlChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!command_works(std::string("test -x ") + kChromium))
      GTEST_SKIP() << kChromium << " is missing (apt-get install chromium); the browser tests need it";
  }
};

TEST_F(ReportHtmlChromium, ScriptRunsAndComputesCounts) {
  std::string file = out_dir() + "/report.html";
  write_file(file, render_html(baseline_sample()));
  auto r = run_command(chromium("--dump-dom " + sh_quote("file://" + file)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& dom = r.out;
  ASSERT_NE(dom.find("</html>"), std::string::npos) << r.out << r.err;
  // Only the script writes these: proof that it ran without errors.
  EXPECT_NE(dom.find("data-js=\"ready\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("id=\"visible-checks\">13<"), std::string::npos);
  EXPECT_NE(dom.find("id=\"visible-findings\">" + std::to_string(kFindings) + "<"), std::string::npos);
  EXPECT_NE(dom.find("<html lang=\"en\" class=\"js\">"), std::string::npos);
  // The server-side summary survives.
  EXPECT_NE(dom.find("<b id=\"count-failed\" data-count=\"6\">6</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-errors\" data-count=\"1\">1</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-skipped\" data-count=\"1\">1</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-passed\" data-count=\"5\">5</b>"), std::string::npos);
  // The injected markup is still text in the live DOM.
  EXPECT_EQ(count(dom, "<script"), 1u);
  EXPECT_NE(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // The toolbar is shown, nothing is filtered out yet.
  EXPECT_EQ(dom.find("id=\"toolbar\" hidden"), std::string::npos);
  EXPECT_NE(dom.find("<section class=\"category sources\" id=\"tables\"><h2>"), std::string::npos)
      << "the data sources stay visible";
  // The 25 CrashLoopBackOff rows are folded after 20, behind a button.
  EXPECT_NE(dom.find("<table class=\"findings folded\">"), std::string::npos);
  EXPECT_NE(dom.find(">Show all " + std::to_string(kCrashLoopFindings) + " rows</button>"), std::string::npos);
}

// Filters preset from the URL fragment: the script's filtering, end to end.
TEST_F(ReportHtmlChromium, FiltersAndSearch) {
  std::string file = out_dir() + "/report-filters.html";
  write_file(file, render_html(sample_report()));
  struct Case {
    std::string fragment;
    int checks, findings;
  } cases[] = {
      {"hide=pass,skipped,error&q=kube-proxy", 1, 2},  // the check by its id, all its findings
      {"hide=critical,warning", kChecks - 5, 1},        // info failures and the rest
      {"q=cart-1003", 1, 1},                            // one row of a long check
      {"q=" + std::string("%3Cscript%3E"), 1, 1},       // search finds the markup as text
      {"hide=pass,fail,error,skipped", 0, 0},
  };
  for (const auto& c : cases) {
    auto r = run_command(chromium("--dump-dom " + sh_quote("file://" + file + "#" + c.fragment)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("id=\"visible-checks\">" + std::to_string(c.checks) + "<"), std::string::npos)
        << c.fragment;
    EXPECT_NE(r.out.find("id=\"visible-findings\">" + std::to_string(c.findings) + "<"), std::string::npos)
        << c.fragment;
  }
}

// Headless Chromium cannot dump the DOM with scripts disabled (--dump-dom
// itself evaluates script), so the page is loaded with its script removed:
// what a reader without JavaScript gets.
TEST_F(ReportHtmlChromium, WorksWithoutJavaScript) {
  std::string html = render_html(sample_report());
  size_t from = html.find("<script>"), to = html.find("</script>");
  ASSERT_NE(from, std::string::npos);
  html.erase(from, to + 9 - from);
  std::string file = out_dir() + "/report-nojs.html";
  write_file(file, html);
  auto r = run_command(chromium("--dump-dom " + sh_quote("file://" + file)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("data-js=\"off\""), std::string::npos) << r.out.substr(0, 500) << r.err;
  EXPECT_NE(r.out.find("class=\"no-js\""), std::string::npos);
  // Every check and finding is in the page and none is hidden.
  EXPECT_EQ(count(r.out, "<article class=\"check"), static_cast<size_t>(kChecks));
  EXPECT_EQ(count(r.out, "<tr class=\"finding\""), static_cast<size_t>(kFindings));
  EXPECT_EQ(count(r.out, " hidden"), 1u) << "only the toolbar is hidden";
  EXPECT_NE(r.out.find("id=\"toolbar\" hidden"), std::string::npos);
  EXPECT_NE(r.out.find("id=\"visible-findings\">\xE2\x80\x93<"), std::string::npos) << "no script, no live counts";
}

TEST_F(ReportHtmlChromium, Screenshot) {
  std::string file = out_dir() + "/report.html";
  std::string png = out_dir() + "/report.png";
  write_file(file, render_html(baseline_sample()));
  std::remove(png.c_str());
  auto r = run_command(chromium("--screenshot=" + sh_quote(png) + " --window-size=1280,2000 " +
                                sh_quote("file://" + file)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string bytes = read_file(png);
  ASSERT_GT(bytes.size(), 30000u) << "a blank page compresses to a few KB: " << png;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::cout << "screenshot: " << png << "\n";
}

}  // namespace
}  // namespace kinspect::report
