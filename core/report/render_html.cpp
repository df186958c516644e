// The HTML report: one self-contained page (inline CSS and JS; a
// Content-Security-Policy forbids every network request). The server-side
// markup shows everything; the script only adds filters, a search and live
// counts, so the page works with JavaScript disabled.
#include <cctype>

#include "core/report/detail.h"
#include "core/report/render.h"
#include "core/report/score.h"

namespace kinspect::report {
namespace {

using detail::plural;

using detail::esc;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An id attribute from a check id: letters, digits, '-', '_' and '.'.
std::string anchor(std::string_view id) {
  std::string out = "check-";
  for (char c : id) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
  return out;
}

bool web_link(std::string_view s) { return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0; }

std::string_view icon(Status s) {
  switch (s) {
    case Status::Pass: return "&#x2713;";   // ✓
    case Status::Fail: return "&#x2717;";   // ✗
    case Status::Error: return "!";
    case Status::Skipped: return "&#x2013;";  // –
  }
  return "?";
}

const char* kStyle = R"CSS(
:root{--bg:#f4f6f8;--panel:#fff;--text:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;
--crit:#cf222e;--crit-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--info:#0969da;--info-bg:#ddf4ff;
--pass:#1a7f37;--pass-bg:#dafbe1;--err:#8250df;--err-bg:#fbefff;--skip:#6e7781;--skip-bg:#eaeef2;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--panel:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#30363d;
--soft:#1c2128;--crit:#ff7b72;--crit-bg:#3a1d1f;--warn:#d29922;--warn-bg:#3a2e12;--info:#58a6ff;--info-bg:#132b47;
--pass:#3fb950;--pass-bg:#12301c;--err:#bc8cff;--err-bg:#2c1f45;--skip:#9198a1;--skip-bg:#262c34;--accent:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
a{color:var(--accent)}
.wrap{max-width:1200px;margin:0 auto;padding:0 24px}
.top{background:var(--panel);border-bottom:1px solid var(--line);padding:20px 0 18px}
.top .wrap{display:flex;align-items:center;gap:20px;flex-wrap:wrap}
.brand{font-weight:700;letter-spacing:.04em;color:var(--muted);font-size:12px;text-transform:uppercase}
.top h1{margin:2px 0 4px;font-size:24px;line-height:1.2}
.meta{color:var(--muted);font-size:13px}
.verdict{margin-left:auto;padding:10px 16px;border-radius:10px;font-weight:600;font-size:15px}
.v-crit{background:var(--crit-bg);color:var(--crit)}.v-warn{background:var(--warn-bg);color:var(--warn)}
.v-info{background:var(--info-bg);color:var(--info)}.v-pass{background:var(--pass-bg);color:var(--pass)}.v-err{background:var(--err-bg);color:var(--err)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:14px;margin:20px auto}
.card{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.card h2{margin:0 0 8px;font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:3px 12px;margin:0}
.card dt{color:var(--muted)}.card dd{margin:0;font-weight:500;overflow-wrap:anywhere}
.card ul.detected{margin:8px 0 0;padding:0;list-style:none;color:var(--muted);font-size:12px}
.card ul.detected li::before{content:"\2192  "}
.big{font-size:30px;font-weight:700;line-height:1.1;margin-bottom:8px}
.big small{font-size:13px;font-weight:500;color:var(--muted)}.big small b{color:var(--text)}
.tally.changes{margin-top:8px}
.tally{display:flex;flex-wrap:wrap;gap:6px}
.pill{display:inline-flex;align-items:center;gap:5px;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;white-space:nowrap}
.pill b{font-weight:700}
.s-pass{--c:var(--pass);--cb:var(--pass-bg)}.s-fail,.sev-critical{--c:var(--crit);--cb:var(--crit-bg)}
.sev-warning{--c:var(--warn);--cb:var(--warn-bg)}.sev-info{--c:var(--info);--cb:var(--info-bg)}
.s-error{--c:var(--err);--cb:var(--err-bg)}.s-skipped{--c:var(--skip);--cb:var(--skip-bg)}
.pill,.badge{color:var(--c,var(--muted));background:var(--cb,var(--soft))}
.bar{display:flex;height:8px;border-radius:4px;overflow:hidden;background:var(--soft);margin:10px 0 2px}
.bar span{display:block;background:var(--c)}
.toolbar{position:sticky;top:0;z-index:5;background:var(--bg);padding:10px 0;border-bottom:1px solid var(--line);margin-bottom:6px}
.toolbar .wrap{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center}
.fgroup{display:flex;gap:6px;align-items:center}.fgroup>span{color:var(--muted);font-size:12px;margin-right:2px}
.chip{font:inherit;font-size:12px;font-weight:600;border:1px solid var(--line);background:var(--panel);color:var(--muted);border-radius:999px;padding:3px 10px;cursor:pointer}
.chip[aria-pressed=true]{color:var(--c);background:var(--cb);border-color:var(--c)}
.chip:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
#search{font:inherit;padding:5px 10px;border:1px solid var(--line);border-radius:8px;flex:1 1 200px;max-width:340px;min-width:160px;background:var(--panel);color:var(--text)}
.visible{margin-left:auto;color:var(--muted);font-size:13px;white-space:nowrap}.visible b{color:var(--text)}
.category{margin:18px 0 26px}
.category>h2{display:flex;align-items:center;gap:10px;font-size:18px;margin:0 0 10px}
.counts{color:var(--muted);font-size:13px;font-weight:400}
.badge{border-radius:6px;padding:1px 8px;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.component{background:var(--panel);border:1px solid var(--line);border-radius:12px;margin:0 0 12px;overflow:hidden}
.component>h3{display:flex;align-items:center;gap:10px;margin:0;padding:10px 16px;font-size:15px;background:var(--soft);border-bottom:1px solid var(--line)}
.check{padding:12px 16px 12px 20px;border-bottom:1px solid var(--line);position:relative}
.check:last-child{border-bottom:0}
.check::before{content:"";position:absolute;left:0;top:0;bottom:0;width:4px;background:var(--c)}
.check.s-fail.sev-warning::before{background:var(--warn)}.check.s-fail.sev-info::before{background:var(--info)}
.chead{display:flex;align-items:baseline;gap:8px;flex-wrap:wrap}
.icon{display:inline-flex;width:20px;height:20px;border-radius:50%;align-items:center;justify-content:center;font-weight:700;font-size:12px;color:#fff;background:var(--c);flex:none;align-self:center}
.check.s-fail.sev-warning .icon{background:var(--warn)}.check.s-fail.sev-info .icon{background:var(--info)}
.chead h4{margin:0;font-size:14.5px}
.chead code{color:var(--muted)}
.nf{margin-left:auto;color:var(--muted);font-size:12px}
.reason{margin:8px 0 0 28px;padding:8px 10px;border-radius:8px;background:var(--cb);color:var(--text);font-size:13px}
.reason b{color:var(--c)}
table.findings{border-collapse:collapse;margin:10px 0 4px 28px;width:calc(100% - 28px);font-size:13px}
table.findings th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;padding:4px 8px;border-bottom:1px solid var(--line)}
table.findings td{padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
table.findings tr:last-child td{border-bottom:0}
table.findings td.obj{width:34%}
table.findings div.also{color:var(--muted);margin-top:3px}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:var(--c);margin-right:6px;vertical-align:1px}
.chg{margin-left:6px;font-size:10.5px;font-weight:700;text-transform:uppercase;border-radius:4px;padding:0 5px}
.chg-new{color:var(--crit);background:var(--crit-bg)}.chg-resolved{color:var(--pass);background:var(--pass-bg)}
tr.resolved td{color:var(--muted)}tr.resolved td.msg{text-decoration:line-through}
.remedy{margin:8px 0 0 28px;padding:8px 12px;border-left:3px solid var(--accent);background:var(--soft);border-radius:0 8px 8px 0;font-size:13px}
.remedy b{display:block;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.links{margin:6px 0 0 28px;font-size:12px;color:var(--muted)}
table.folded tbody tr:nth-child(n+21){display:none}.searching table.folded tbody tr:nth-child(n+21){display:table-row}
.unfold{font:inherit;font-size:12.5px;margin:2px 0 4px 36px;padding:2px 10px;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--accent);cursor:pointer}
.searching .unfold{display:none}
.passed .check{padding:7px 16px 7px 20px}
.passed .chead h4{font-weight:500}
.empty{display:none;text-align:center;color:var(--muted);padding:40px}
table.tables{border-collapse:collapse;width:100%;font-size:13px;background:var(--panel);border:1px solid var(--line);border-radius:12px}
table.tables th,table.tables td{text-align:left;padding:6px 12px;border-bottom:1px solid var(--line)}
table.tables td.n{text-align:right}
footer{color:var(--muted);font-size:12px;padding:24px 0 40px}
.no-js .toolbar{display:none}
[hidden]{display:none!important}
@media print{.toolbar{display:none}.check{break-inside:avoid}}
)CSS";

const char* kScript = R"JS(
(function () {
  var d = document, root = d.documentElement;
  root.classList.remove('no-js');
  root.classList.add('js');
  var bar = d.getElementById('toolbar');
  if (bar) bar.hidden = false;
  var on = {};
  var chips = [].slice.call(d.querySelectorAll('.chip'));
  chips.forEach(function (c) { on[c.getAttribute('data-value')] = true; });
  var checks = [].slice.call(d.querySelectorAll('article.check'));
  var search = d.getElementById('search');
  function set(id, n) { var e = d.getElementById(id); if (e) e.textContent = String(n); }
  var FOLD = 20;
  function update() {
    var q = (search && search.value || '').trim().toLowerCase();
    root.classList.toggle('searching', q !== '');
    var shownChecks = 0, shownFindings = 0;
    checks.forEach(function (c) {
      var st = c.getAttribute('data-status'), sev = c.getAttribute('data-severity');
      var show = on[st] !== false && (st !== 'fail' || on[sev] !== false);
      var whole = !q || (c.getAttribute('data-search') || '').indexOf(q) >= 0;
      var anyRow = false, rowsShown = 0;
      [].forEach.call(c.querySelectorAll('tr.finding'), function (r) {
        var ok = on[r.getAttribute('data-severity')] !== false &&
                 (whole || r.textContent.toLowerCase().indexOf(q) >= 0);
        r.hidden = !ok;
        if (ok) { anyRow = true; if (!r.classList.contains('resolved')) rowsShown++; }
      });
      if (!whole && !anyRow) show = false;
      c.hidden = !show;
      if (show) { shownChecks++; shownFindings += rowsShown; }
    });
    [].forEach.call(d.querySelectorAll('.component, .passed, .category:not(.sources)'), function (g) {
      g.hidden = !g.querySelector('article.check:not([hidden])');
    });
    set('visible-checks', shownChecks);
    set('visible-findings', shownFindings);
    var empty = d.getElementById('empty');
    if (empty) empty.style.display = shownChecks ? 'none' : 'block';
  }
  // Filters live in the URL's fragment, so a filtered view can be shared:
  // #hide=pass,info&q=kube-proxy. Plain anchors (#check-node-ready) still work.
  function readHash() {
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i < 0) return;
      var k = decodeURIComponent(kv.slice(0, i)), v = decodeURIComponent(kv.slice(i + 1));
      if (k === 'q' && search) search.value = v;
      if (k === 'hide') v.split(',').forEach(function (x) { if (x in on) on[x] = false; });
    });
    chips.forEach(function (c) { c.setAttribute('aria-pressed', on[c.getAttribute('data-value')] ? 'true' : 'false'); });
  }
  function writeHash() {
    var hide = Object.keys(on).filter(function (k) { return !on[k]; }), parts = [];
    if (hide.length) parts.push('hide=' + hide.join(','));
    var q = search && search.value.trim();
    if (q) parts.push('q=' + encodeURIComponent(q));
    try { history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname + location.search); }
    catch (e) {}
  }
  chips.forEach(function (c) {
    c.addEventListener('click', function () {
      var v = c.getAttribute('data-value');
      on[v] = !on[v];
      c.setAttribute('aria-pressed', on[v] ? 'true' : 'false');
      update();
      writeHash();
    });
  });
  if (search) search.addEventListener('input', function () { update(); writeHash(); });
  // Long tables show their first rows until asked (a search shows all).
  [].forEach.call(d.querySelectorAll('table.findings'), function (t) {
    var n = t.querySelectorAll('tr.finding').length;
    if (n <= FOLD) return;
    t.classList.add('folded');
    var b = d.createElement('button');
    b.type = 'button';
    b.className = 'unfold';
    b.textContent = 'Show all ' + n + ' rows';
    b.addEventListener('click', function () { t.classList.remove('folded'); b.parentNode.removeChild(b); });
    t.parentNode.insertBefore(b, t.nextSibling);
  });
  readHash();
  update();
  d.body.setAttribute('data-js', 'ready');
})();
)JS";

class HtmlPage {
 public:
  explicit HtmlPage(const Report& r) : r_(r), s_(r.summary()) {}

  std::string render() {
    head();
    header();
    cards();
    toolbar();
    out_ += "<main class=\"wrap\" id=\"results\">\n";
    for (const auto& cat : detail::group_checks(r_)) category(cat);
    out_ += "<p class=\"empty\" id=\"empty\">No checks match the filters.</p>\n";
    waiver_notes();
    tables();
    out_ += "</main>\n";
    footer();
    out_ += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  void head() {
    std::string title = "kinspect report";
    if (!r_.cluster.name.empty()) title += " \xE2\x80\x94 " + r_.cluster.name;
    out_ +=
        "<!DOCTYPE html>\n<html lang=\"en\" class=\"no-js\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n"
        "<meta name=\"generator\" content=\"kinspect " + esc(r_.kinspect_version) + "\">\n"
        "<title>" + esc(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n"
        "<body data-js=\"off\" data-schema=\"" + esc(r_.schema) + "\">\n";
  }

  void header() {
    std::string verdict, cls;
    if (s_.critical) {
      verdict = plural(s_.critical, "critical problem");
      cls = "v-crit";
    } else if (s_.warning) {
      verdict = plural(s_.warning, "warning");
      cls = "v-warn";
    } else if (s_.failed) {
      verdict = plural(s_.failed, "notice");
      cls = "v-info";
    } else if (s_.errors) {
      verdict = "Incomplete: " + plural(s_.errors, "check") + " could not run";
      cls = "v-err";
    } else {
      verdict = "Healthy";
      cls = "v-pass";
    }
    std::string meta;
    auto add = [&](const std::string& s) {
      if (s.empty()) return;
      if (!meta.empty()) meta += " &middot; ";
      meta += s;
    };
    if (!r_.scope.whole_cluster()) add("scope: " + esc(describe(r_.scope)));  // never read as the whole cluster
    add(esc(r_.generated_at));
    if (r_.duration_ms > 0) add("took " + esc(detail::format_duration(r_.duration_ms)));
    if (!r_.kinspect_version.empty()) add("kinspect " + esc(r_.kinspect_version));
    out_ += "<header class=\"top\"><div class=\"wrap\"><div><div class=\"brand\">kinspect report</div>\n<h1 id=\"cluster-name\">" +
            esc(r_.cluster.name.empty() ? "(unnamed cluster)" : r_.cluster.name) + "</h1>\n<div class=\"meta\">" + meta +
            "</div></div>\n<div class=\"verdict " + cls + "\" id=\"verdict\">" + esc(verdict) + "</div></div></header>\n";
  }

  static void dl_row(std::string& out, std::string_view label, const std::string& value, std::string_view id = {}) {
    if (value.empty()) return;
    out += "<dt>" + std::string(label) + "</dt><dd";
    if (!id.empty()) out += " id=\"" + std::string(id) + "\"";
    out += ">" + esc(value) + "</dd>";
  }

  std::string pill(std::string_view cls, std::string_view id, uint64_t n, std::string_view what) {
    return "<span class=\"pill " + std::string(cls) + "\"><b id=\"" + std::string(id) + "\" data-count=\"" +
           std::to_string(n) + "\">" + std::to_string(n) + "</b> " + std::string(what) + "</span>";
  }

  void cards() {
    out_ += "<section class=\"wrap cards\" id=\"summary\">\n";
    // Cluster.
    out_ += "<div class=\"card\"><h2>Cluster</h2><dl>";
    dl_row(out_, "Version", r_.cluster.version, "cluster-version");
    dl_row(out_, "Type", r_.cluster.type, "cluster-type");
    if (r_.cluster.nodes || r_.cluster.pods)
      dl_row(out_, "Size", plural(r_.cluster.nodes, "node") + ", " + plural(r_.cluster.pods, "pod"));
    out_ += "</dl>";
    if (!r_.cluster.detected.empty()) {
      out_ += "<ul class=\"detected\">";
      for (const auto& d : r_.cluster.detected) out_ += "<li>" + esc(d) + "</li>";
      out_ += "</ul>";
    }
    out_ += "</div>\n";
    // Profile.
    out_ += "<div class=\"card\"><h2>Profile</h2><dl>";
    dl_row(out_, "Profile", r_.profile, "profile");
    dl_row(out_, "Scenario", r_.scenario, "scenario");
    dl_row(out_, "Target", r_.target_version);
    dl_row(out_, "Baseline", r_.baseline);
    dl_row(out_, "Scope", describe(r_.scope), "scope");
    if (s_.waived || !r_.waiver_files.empty())
      dl_row(out_, "Waived", plural(s_.waived, "finding"), "count-waived");
    dl_row(out_, "Tables", std::to_string(r_.tables.size()));
    out_ += "</dl></div>\n";
    // Checks by status.
    auto share = [&](uint64_t n, std::string_view cls) {
      if (!n || !s_.checks) return std::string();
      return "<span class=\"" + std::string(cls) + "\" style=\"width:" + detail::format_number(100.0 * n / s_.checks) +
             "%\"></span>";
    };
    out_ += "<div class=\"card\"><h2>Checks</h2><div class=\"big\"><span id=\"count-checks\" data-count=\"" +
            std::to_string(s_.checks) + "\">" + std::to_string(s_.checks) + "</span> <small>checks in the profile</small></div>";
    out_ += "<div class=\"tally\">" + pill("s-fail", "count-failed", s_.failed, "failed") +
            pill("s-error", "count-errors", s_.errors, s_.errors == 1 ? "error" : "errors") +
            pill("s-skipped", "count-skipped", s_.skipped, "skipped or not checked") + pill("s-pass", "count-passed", s_.passed, "passed") +
            "</div>";
    out_ += "<div class=\"bar\">" + share(s_.critical, "sev-critical") + share(s_.warning, "sev-warning") +
            share(s_.info, "sev-info") + share(s_.errors, "s-error") + share(s_.skipped, "s-skipped") +
            share(s_.passed, "s-pass") + "</div></div>\n";
    score_card();
    not_checked_card();
    // Failed checks by severity, and their findings.
    out_ += "<div class=\"card\"><h2>Problems</h2><div class=\"big\"><span id=\"count-failed-checks\" data-count=\"" +
            std::to_string(s_.failed) + "\">" + std::to_string(s_.failed) + "</span> <small>failed " +
            (s_.failed == 1 ? "check" : "checks") + " with <b id=\"count-findings\" data-count=\"" +
            std::to_string(s_.findings) + "\">" + std::to_string(s_.findings) + "</b> " +
            (s_.findings == 1 ? "finding" : "findings") + "</small></div>";
    out_ += "<div class=\"tally\">" + pill("sev-critical", "count-critical", s_.critical, "critical") +
            pill("sev-warning", "count-warning", s_.warning, "warning") + pill("sev-info", "count-info", s_.info, "info");
    if (!r_.baseline.empty() || s_.new_findings || s_.resolved_findings)
      out_ += "</div><div class=\"tally changes\">" + pill("s-fail", "count-new", s_.new_findings, s_.new_findings == 1 ? "new finding" : "new findings") +
              pill("s-pass", "count-resolved", s_.resolved_findings, "resolved");
    out_ += "</div></div>\n</section>\n";
  }

  // The cluster's score and each category's (docs/reports.md, "Score").
  void score_card() {
    const Scores sc = compute_scores(r_);
    const std::string big = sc.cluster.value ? std::to_string(*sc.cluster.value) : "n/a";
    out_ += "<div class=\"card\"><h2>Score</h2><div class=\"big\"><span id=\"score\" data-score=\"" + big + "\">" +
            big + "</span> <small>" +
            (sc.cluster.value ? std::string("of 100") : std::string("nothing was checked")) +
            (sc.cluster.incomplete() ? ", incomplete: " + std::to_string(sc.cluster.not_checked) + " not checked" : "") +
            "</small></div><dl>";
    for (const auto& k : sc.categories)
      dl_row(out_, detail::category_title(k.category.empty() ? "other" : k.category), score_text(k.score));
    out_ += "</dl></div>\n";
  }

  // What this report does not vouch for, by cause, above the fold.
  void not_checked_card() {
    if (!s_.not_checked) return;
    out_ += "<div class=\"card not-checked\"><h2>Not checked</h2><div class=\"big\"><span id=\"count-not-checked\" "
            "data-count=\"" + std::to_string(s_.not_checked) + "\">" + std::to_string(s_.not_checked) +
            "</span> <small>of " + std::to_string(s_.checks) + " checks could not run: the run is incomplete</small></div><ul>";
    for (const auto& k : s_.causes)
      out_ += "<li><b>" + esc(k.cause) + "</b>: " + std::to_string(k.checks) + (k.checks == 1 ? " check" : " checks") +
              ", e.g. " + esc(k.example) + "</li>";
    out_ += "</ul></div>\n";
  }

  void chip(std::string_view cls, std::string_view value, std::string_view label, uint64_t n) {
    out_ += "<button type=\"button\" class=\"chip " + std::string(cls) + "\" data-value=\"" + std::string(value) +
            "\" aria-pressed=\"true\">" + std::string(label) + " " + std::to_string(n) + "</button>";
  }

  void toolbar() {
    // Hidden until the script runs: without it there is nothing to filter with.
    out_ += "<nav class=\"toolbar\" id=\"toolbar\" hidden><div class=\"wrap\">\n<div class=\"fgroup\"><span>Status</span>";
    chip("s-fail", "fail", "Failed", s_.failed);
    chip("s-error", "error", "Error", s_.errors);
    chip("s-skipped", "skipped", "Skipped", s_.skipped);
    chip("s-pass", "pass", "Passed", s_.passed);
    out_ += "</div>\n<div class=\"fgroup\"><span>Severity</span>";
    chip("sev-critical", "critical", "Critical", s_.critical);
    chip("sev-warning", "warning", "Warning", s_.warning);
    chip("sev-info", "info", "Info", s_.info);
    out_ += "</div>\n<input type=\"search\" id=\"search\" placeholder=\"Search checks, objects, messages\" "
            "aria-label=\"Search\">\n<div class=\"visible\">Showing <b id=\"visible-checks\">&#x2013;</b> checks, "
            "<b id=\"visible-findings\">&#x2013;</b> findings</div>\n</div></nav>\n";
  }

  static std::string status_class(const detail::Counts& c) {
    if (c.failed) return c.critical ? "sev-critical" : c.warning ? "sev-warning" : "sev-info";
    if (c.errors || c.not_checked) return "s-error";  // not checked must never look like passed
    if (c.skipped) return "s-skipped";
    return "s-pass";
  }

  static std::string counts_text(const detail::Counts& c) {
    std::string t;
    auto add = [&](uint64_t n, std::string_view w) {
      if (!n) return;
      if (!t.empty()) t += " &middot; ";
      t += std::to_string(n) + " " + std::string(w);
    };
    add(c.failed, "failed");
    add(c.errors, c.errors == 1 ? "error" : "errors");
    add(c.unchecked_skips, "not checked");
    add(c.other_skips, "not applicable");
    add(c.passed, "passed");
    return t;
  }

  void category(const detail::CategoryGroup& g) {
    std::string state(detail::group_state(g.counts));
    out_ += "<section class=\"category\" data-category=\"" + esc(g.name) + "\">\n<h2>" +
            esc(detail::category_title(g.name)) + " <span class=\"badge " + status_class(g.counts) + "\">" + state +
            "</span> <span class=\"counts\">" + counts_text(g.counts) + "</span></h2>\n";
    for (const auto& comp : g.components) component(comp);
    out_ += "</section>\n";
  }

  void component(const detail::ComponentGroup& g) {
    std::string state(detail::group_state(g.counts));
    uint64_t bad = g.counts.failed + g.counts.errors;
    if (bad) state += " (" + std::to_string(bad) + ")";
    else if (!g.counts.skipped) state += " (" + std::to_string(g.counts.passed) + ")";
    out_ += "<div class=\"component\" data-component=\"" + esc(g.name) + "\">\n<h3>" + esc(g.name) +
            " <span class=\"badge " + status_class(g.counts) + "\">" + esc(state) + "</span> <span class=\"counts\">" +
            counts_text(g.counts) + "</span></h3>\n";
    bool in_passed = false;
    for (const CheckResult* c : g.checks) {
      if (c->status == Status::Pass && !in_passed) {
        out_ += "<div class=\"passed\">\n";
        in_passed = true;
      }
      check(*c);
    }
    if (in_passed) out_ += "</div>\n";
    out_ += "</div>\n";
  }

  void finding_row(const Finding& f, bool resolved) {
    std::string sev(to_string(f.severity));
    out_ += "<tr class=\"finding" + std::string(resolved ? " resolved" : "") + "\" data-severity=\"" + sev +
            "\" data-change=\"" + std::string(to_string(f.change)) + "\"><td class=\"obj\"><span class=\"dot sev-" +
            sev + "\" title=\"" + sev + "\"></span><code>" + esc(f.object) + "</code>";
    if (f.change == Change::New) out_ += "<span class=\"chg chg-new\">new</span>";
    if (f.change == Change::Resolved) out_ += "<span class=\"chg chg-resolved\">resolved</span>";
    out_ += "</td><td class=\"msg\">" + esc(f.message);
    for (const auto& a : f.also)
      out_ += "<div class=\"also\">also <code>" + esc(a.check_id) + "</code> (<code>" + esc(a.tool_id) + "</code>): " +
              esc(a.message) + "</div>";
    out_ += "</td></tr>\n";
  }

  void check(const CheckResult& c) {
    std::string st(to_string(c.status)), sev(to_string(c.severity));
    std::string search = lower(c.id + " " + c.title + " " + c.category + " " + c.component + " " + c.reason);
    for (const auto& id : c.same_as) search += " " + lower(id);  // a search for a tool's id finds its equivalent
    // Only a failure takes its severity's colour; other states their own.
    std::string cls = "check s-" + st + (c.status == Status::Fail ? " sev-" + sev : "");
    out_ += "<article class=\"" + cls + "\" id=\"" + anchor(c.id) + "\" data-check=\"" +
            esc(c.id) + "\" data-status=\"" + st + "\" data-severity=\"" + sev + "\" data-findings=\"" +
            std::to_string(c.findings.size()) + "\" data-search=\"" + esc(search) + "\">\n";
    out_ += "<div class=\"chead\"><span class=\"icon\" title=\"" + st + "\">" + std::string(icon(c.status)) + "</span>";
    if (c.status == Status::Fail) out_ += "<span class=\"badge sev-" + sev + "\">" + sev + "</span>";
    else if (c.status != Status::Pass) out_ += "<span class=\"badge s-" + st + "\">" + st + "</span>";
    out_ += "<h4>" + esc(c.title.empty() ? c.id : c.title) + "</h4><code>" + esc(c.id) + "</code>";
    if (c.status == Status::Fail)
      out_ += "<span class=\"nf\">" + plural(c.findings.size(), "finding") +
              (c.merged ? ", " + std::to_string(c.merged) + " more shown with the equivalent checks' findings" : "") + "</span>";
    out_ += "</div>\n";
    if (c.status == Status::Error || c.status == Status::Skipped)
      out_ += "<div class=\"reason\"><b>" + std::string(c.status == Status::Error ? "Error" : "Skipped") + ":</b> " +
              esc(c.reason.empty() ? "no reason given" : c.reason) + "</div>\n";
    auto res = r_.resolved.find(c.id);
    bool has_resolved = res != r_.resolved.end() && !res->second.empty();
    if (!c.findings.empty() || has_resolved) {
      out_ += "<table class=\"findings\"><thead><tr><th>Object</th><th>Message</th></tr></thead><tbody>\n";
      for (const auto& f : c.findings) finding_row(f, false);
      if (has_resolved)
        for (const auto& f : res->second) finding_row(f, true);
      out_ += "</tbody></table>\n";
    }
    waived_rows(c);
    if (c.status == Status::Fail && !c.remedy.empty())
      out_ += "<div class=\"remedy\"><b>Remedy</b>" + esc(c.remedy) + "</div>\n";
    if (c.status != Status::Pass) {
      std::string links;
      if (!c.doc.empty())
        links += web_link(c.doc) ? "<a href=\"" + esc(c.doc) + "\" rel=\"noopener noreferrer\">Documentation</a>"
                                 : "Docs: " + esc(c.doc);
      if (!c.source.empty()) links += std::string(links.empty() ? "" : " &middot; ") + "Source <code>" + esc(c.source) + "</code>";
      if (c.duration_ms > 0)
        links += std::string(links.empty() ? "" : " &middot; ") + esc(detail::format_duration(c.duration_ms));
      if (!links.empty()) out_ += "<div class=\"links\">" + links + "</div>\n";
    }
    out_ += "</article>\n";
  }

  static std::string waiver_text(const WaiverRef& w) {
    std::string t = w.reason;
    if (!w.owner.empty()) t += "; owner " + w.owner;
    if (!w.expires.empty()) t += "; until " + w.expires;
    return t + "; " + w.origin;
  }

  // Waived findings stay visible, under their check, with the waiver.
  void waived_rows(const CheckResult& c) {
    if (c.waived.empty()) return;
    out_ += "<table class=\"findings waived\"><thead><tr><th>Waived (" + std::to_string(c.waived.size()) +
            ")</th><th>Message</th><th>Waiver</th></tr></thead><tbody>\n";
    for (const auto& w : c.waived)
      out_ += "<tr class=\"waived\"><td class=\"obj\"><code>" + esc(w.finding.object) + "</code></td><td class=\"msg\">" +
              esc(w.finding.message) + "</td><td>" + esc(waiver_text(w.waiver)) + "</td></tr>\n";
    out_ += "</tbody></table>\n";
  }

  // Waivers that did not apply: expired ones (their findings fail again) and
  // ones that matched nothing.
  void waiver_notes() {
    if (r_.expired_waivers.empty() && r_.unmatched_waivers.empty()) return;
    out_ += "<section class=\"category\" id=\"waivers\"><h2>Waivers that did not apply</h2>\n<table class=\"tables\">"
            "<thead><tr><th>State</th><th>Check</th><th>Object</th><th>Waiver</th></tr></thead><tbody>\n";
    auto rows = [&](const std::vector<WaiverNote>& notes, std::string_view state, std::string_view cls) {
      for (const auto& n : notes)
        out_ += "<tr><td><span class=\"pill " + std::string(cls) + "\">" + std::string(state) + "</span></td><td><code>" +
                esc(n.check) + "</code></td><td><code>" + esc(n.object) + "</code></td><td>" + esc(waiver_text(n.waiver)) +
                "</td></tr>\n";
    };
    rows(r_.expired_waivers, "expired", "s-error");
    rows(r_.unmatched_waivers, "matched nothing", "s-skipped");
    out_ += "</tbody></table></section>\n";
  }

  void tables() {
    if (r_.tables.empty()) return;
    out_ += "<section class=\"category sources\" id=\"tables\"><h2>Data sources <span class=\"counts\">" +
            plural(r_.tables.size(), "table") + " fetched</span></h2>\n<table class=\"tables\"><thead><tr><th>Table</th>"
            "<th>Plugin</th><th>Rows</th><th>Time</th><th>Result</th></tr></thead><tbody>\n";
    for (const auto& t : r_.tables) {
      out_ += "<tr><td><code>" + esc(t.name) + "</code></td><td>" + esc(t.plugin) + "</td><td class=\"n\">" +
              std::to_string(t.rows) + "</td><td class=\"n\">" + esc(detail::format_duration(t.duration_ms)) + "</td><td>" +
              (t.error.empty() ? std::string("<span class=\"pill s-pass\">ok</span>")
                               : "<span class=\"pill s-error\">error</span> " + esc(t.error)) +
              "</td></tr>\n";
    }
    out_ += "</tbody></table></section>\n";
  }

  void footer() {
    out_ += "<footer class=\"wrap\">Generated by kinspect " + esc(r_.kinspect_version) + " &middot; schema <code>" +
            esc(r_.schema) + "</code></footer>\n";
  }

  const Report& r_;
  Summary s_;
  std::string out_;
};

}  // namespace

std::string render_html(const Report& r) { return HtmlPage(r).render(); }

}  // namespace kinspect::report
