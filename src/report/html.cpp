/* `bulkhead audit --format html`: one self-contained page an auditor can hand
 * on. No network: the CSS is inline and the charts are inline SVG whose bars
 * carry their counts in data attributes (data-count). */
#include "bulkhead_build.h"
#include "util.h"

#include "bulkhead/compliance.h"
#include "bulkhead/error.h"

namespace bulkhead::report {

namespace {

using namespace detail;

constexpr size_t kRows = 50;

std::string esc(std::string_view s)
{
	std::string out;
	out.reserve(s.size());
	for (char c : s) {
		switch (c) {
		case '&':
			out += "&amp;";
			break;
		case '<':
			out += "&lt;";
			break;
		case '>':
			out += "&gt;";
			break;
		case '"':
			out += "&quot;";
			break;
		case '\'':
			out += "&#39;";
			break;
		default:
			out.push_back(c);
		}
	}
	return out;
}

std::string n(uint64_t v)
{
	return std::to_string(v);
}

std::string px(double v)
{
	return strprintf("%.2f", v);
}

constexpr const char *kStyle = R"(
:root{--allow:#2e7d32;--mutate:#e0a100;--deny:#c62828;--error:#6a1b9a;--audit:#0277bd;--ink:#1d2330;--mute:#5f6b7a;--line:#d9dee5}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--mute);margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:24px}.card.allow b{color:var(--allow)}.card.mutate b{color:var(--mutate)}.card.deny b{color:var(--deny)}.card.error b{color:var(--error)}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:#f4f6f9}td.n{text-align:right;font-variant-numeric:tabular-nums}td:first-child{white-space:nowrap}td{overflow-wrap:anywhere}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f4f6f9;padding:1px 4px;border-radius:3px}
.allow{color:var(--allow)}.mutate{color:var(--mutate)}.deny{color:var(--deny)}.error{color:var(--error)}.audit{color:var(--audit)}
svg text{font:11px system-ui,sans-serif;fill:var(--mute)}
rect.allow{fill:var(--allow)}rect.mutate{fill:var(--mutate)}rect.deny{fill:var(--deny)}rect.error{fill:var(--error)}rect.audit{fill:var(--audit)}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
.fix{color:var(--mute)}.warn{color:var(--deny);font-weight:600}
@media print{body{padding:0}h2{break-after:avoid}table,svg{break-inside:avoid}}
)";

void legend(Output &out, std::initializer_list<const char *> names)
{
	out << "<p class=\"legend\">";
	for (const char *name : names)
		out << "<span><i style=\"background:var(--" << name << ")\"></i>" << name
		    << "</span>";
	out << "</p>\n";
}

/* Stacked bars of decisions per bucket: one rect per verdict per bucket. */
void timeChart(Output &out, const Aggregate &a)
{
	int64_t width = 0;
	const auto bs = buckets(a, &width);
	out << "<h2>Decisions per " << bucketName(width) << "</h2>\n";
	if (bs.empty()) {
		out << "<p>No decisions in this window.</p>\n";
		return;
	}
	uint64_t max = 1;
	for (const auto &b : bs)
		max = std::max(max, b.counts.total());
	const double W = 1000, H = 260, left = 48, bottom = 40, top = 10;
	const double plotH = H - bottom - top;
	const double step = (W - left - 10) / static_cast<double>(bs.size());
	const double barW = std::max(1.0, std::min(48.0, step * 0.8));
	out << "<svg id=\"chart-time\" viewBox=\"0 0 " << px(W) << " " << px(H)
	    << "\" width=\"100%\" role=\"img\" aria-label=\"decisions per " << bucketName(width)
	    << "\" data-bucket-size=\"" << bucketName(width) << "\" data-max=\"" << n(max)
	    << "\" data-scale=\"" << strprintf("%.6f", plotH / static_cast<double>(max)) << "\">\n";
	out << "<line x1=\"" << px(left) << "\" y1=\"" << px(top + plotH) << "\" x2=\"" << px(W - 5)
	    << "\" y2=\"" << px(top + plotH) << "\" stroke=\"#999\"/>\n";
	out << "<text x=\"" << px(left - 6) << "\" y=\"" << px(top + 10)
	    << "\" text-anchor=\"end\">" << n(max) << "</text><text x=\"" << px(left - 6)
	    << "\" y=\"" << px(top + plotH) << "\" text-anchor=\"end\">0</text>\n";
	const size_t labelEvery = std::max<size_t>(1, bs.size() / 8);
	for (size_t i = 0; i < bs.size(); i++) {
		const Counts &c = bs[i].counts;
		const double x = left + step * static_cast<double>(i) + (step - barW) / 2;
		std::string label = formatTime(bs[i].startMs);
		label = width >= 24 * 3600 * 1000LL ? label.substr(0, 10) : label.substr(0, 16);
		out << "<g class=\"bucket\" data-bucket=\"" << esc(label) << "\" data-total=\""
		    << n(c.total()) << "\">";
		double y = top + plotH;
		const std::pair<const char *, uint64_t> parts[] = {{"allow", c.allow},
		                                                   {"mutate", c.mutate},
		                                                   {"deny", c.deny},
		                                                   {"error", c.error}};
		for (const auto &[verdict, count] : parts) {
			const double h =
			        plotH * static_cast<double>(count) / static_cast<double>(max);
			y -= h;
			out << "<rect class=\"" << verdict << "\" data-bucket=\"" << esc(label)
			    << "\" data-verdict=\"" << verdict << "\" data-count=\"" << n(count)
			    << "\" x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(barW)
			    << "\" height=\"" << px(h) << "\"><title>" << esc(label) << ": "
			    << n(count) << " " << verdict << "</title></rect>";
		}
		out << "</g>\n";
		if (i % labelEvery == 0)
			out << "<text x=\"" << px(x + barW / 2) << "\" y=\"" << px(H - bottom + 16)
			    << "\" text-anchor=\"middle\">"
			    << esc(label.substr(label.size() > 10 ? 5 : 0)) << "</text>\n";
	}
	out << "</svg>\n";
	legend(out, {"allow", "mutate", "deny", "error"});
}

/* Horizontal stacked bars of findings per rule: deny, mutate, audit. */
void ruleChart(Output &out, const Aggregate &a)
{
	out << "<h2>Findings by rule</h2>\n";
	auto rows = ranked(a.rules, [](const RuleCounts &r) { return r.total(); });
	if (rows.empty()) {
		out << "<p>No findings: every decision in this window was clean.</p>\n";
		return;
	}
	uint64_t max = 1;
	for (const auto *r : rows)
		max = std::max(max, r->second.total());
	const double W = 1000, left = 200, rowH = 22, plotW = W - left - 60;
	const double H = rowH * static_cast<double>(rows.size()) + 8;
	out << "<svg id=\"chart-rules\" viewBox=\"0 0 " << px(W) << " " << px(H)
	    << "\" width=\"100%\" role=\"img\" aria-label=\"findings by rule\" data-max=\""
	    << n(max) << "\" data-scale=\"" << strprintf("%.6f", plotW / static_cast<double>(max))
	    << "\">\n";
	for (size_t i = 0; i < rows.size(); i++) {
		const auto &[rule, c] = *rows[i];
		const double y = 4 + rowH * static_cast<double>(i);
		out << "<g class=\"rule\" data-rule=\"" << esc(rule) << "\" data-total=\""
		    << n(c.total()) << "\"><text x=\"" << px(left - 8) << "\" y=\"" << px(y + 14)
		    << "\" text-anchor=\"end\">" << esc(rule) << "</text>";
		double x = left;
		const std::pair<const char *, uint64_t> parts[] = {
		        {"deny", c.deny}, {"mutate", c.mutate}, {"audit", c.audit}};
		for (const auto &[action, count] : parts) {
			const double w =
			        plotW * static_cast<double>(count) / static_cast<double>(max);
			out << "<rect class=\"" << action << "\" data-rule=\"" << esc(rule)
			    << "\" data-action=\"" << action << "\" data-count=\"" << n(count)
			    << "\" x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(w)
			    << "\" height=\"" << px(rowH - 6) << "\"><title>" << esc(rule) << ": "
			    << n(count) << " " << action << "</title></rect>";
			x += w;
		}
		out << "<text x=\"" << px(x + 6) << "\" y=\"" << px(y + 14) << "\">" << n(c.total())
		    << "</text></g>\n";
	}
	out << "</svg>\n";
	legend(out, {"deny", "mutate", "audit"});
}

void countsTable(Output &out, const char *title, const char *what,
                 const std::map<std::string, Counts> &m)
{
	if (m.empty())
		return;
	out << "<h2>" << title << "</h2>\n<table><tr><th>" << what
	    << "</th><th>decisions</th><th>allow</th><th>mutate</th><th>deny</th><th>error</th></"
	       "tr>\n";
	auto rows = rankedCounts(m);
	for (size_t i = 0; i < rows.size() && i < kRows; i++) {
		const Counts &c = rows[i]->second;
		out << "<tr><td><code>" << esc(rows[i]->first) << "</code></td><td class=\"n\">"
		    << n(c.total()) << "</td><td class=\"n allow\">" << n(c.allow)
		    << "</td><td class=\"n mutate\">" << n(c.mutate) << "</td><td class=\"n deny\">"
		    << n(c.deny) << "</td><td class=\"n error\">" << n(c.error) << "</td></tr>\n";
	}
	out << "</table>\n";
	if (rows.size() > kRows)
		out << "<p class=\"meta\">" << n(rows.size() - kRows)
		    << " more; <code>--format json</code> lists them all.</p>\n";
}

void usesTable(Output &out, const Options &o, const std::vector<const Use *> &uses, bool expired)
{
	out << "<table><tr><th>kind</th><th>name</th><th>rules</th><th>"
	    << (expired ? "matched" : "used") << "</th><th>last</th><th>"
	    << (expired ? "expired" : "expires") << "</th><th>reason</th></tr>\n";
	for (const auto *u : uses) {
		int64_t left = 0;
		const bool soon = !expired && expiringSoon(*u, o, &left);
		out << "<tr><td>" << esc(u->kind) << "</td><td><code>" << esc(u->name)
		    << "</code></td><td>" << esc(joined(u->rules)) << "</td><td class=\"n\">"
		    << n(u->count) << "</td><td>" << formatTime(u->lastMs) << "</td><td"
		    << (soon || expired ? " class=\"warn\"" : "") << ">"
		    << (u->expires ? esc(*u->expires) : std::string("never"))
		    << (soon ? strprintf(" (%lld days left)", static_cast<long long>(left)) : "")
		    << "</td><td>" << esc(u->reason) << "</td></tr>\n";
	}
	out << "</table>\n";
}

} // namespace

void writeHtml(const Aggregate &a, const Options &o, Output &out)
{
	out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    << "<meta name=\"generator\" content=\"bulkhead " BULKHEAD_VERSION "\">\n"
	    << "<title>bulkhead audit report</title>\n<style>" << kStyle
	    << "</style>\n</head>\n<body>\n<h1>bulkhead audit report</h1>\n<p class=\"meta\">"
	    << n(a.records) << " decisions";
	if (a.records)
		out << " from " << formatTime(a.firstMs) << " to " << formatTime(a.lastMs);
	if (o.sinceMs || o.untilMs)
		out << " (window " << (o.sinceMs ? formatTime(*o.sinceMs) : "start") << " to "
		    << (o.untilMs ? formatTime(*o.untilMs) : "now") << ")";
	out << "; read from ";
	for (size_t i = 0; i < a.files.size(); i++)
		out << (i ? ", " : "") << "<code>" << esc(a.files[i]) << "</code>";
	out << "; generated " << formatTime(o.nowMs) << " by bulkhead " BULKHEAD_VERSION "</p>\n";
	out << "<div class=\"cards\" id=\"totals\" data-records=\"" << n(a.records)
	    << "\" data-bad-lines=\"" << n(a.badLines) << "\">";
	const std::pair<const char *, uint64_t> cards[] = {{"allow", a.verdicts.allow},
	                                                   {"mutate", a.verdicts.mutate},
	                                                   {"deny", a.verdicts.deny},
	                                                   {"error", a.verdicts.error}};
	for (const auto &[name, count] : cards)
		out << "<div class=\"card " << name << "\" data-verdict=\"" << name
		    << "\" data-count=\"" << n(count) << "\"><b>" << n(count) << "</b>" << name
		    << "</div>";
	out << "<div class=\"card\" data-verdict=\"bad\" data-count=\"" << n(a.badLines) << "\"><b>"
	    << n(a.badLines) << "</b>bad lines</div></div>\n";
	if (a.verdicts.wouldDeny)
		out << "<p class=\"warn\">Audit mode: " << n(a.verdicts.wouldDeny)
		    << " allowed decisions would have been denied in enforce mode.</p>\n";
	if (!a.policies.empty()) {
		out << "<p>Policies in force: ";
		bool first = true;
		for (const auto &[key, c] : a.policies) {
			out << (first ? "" : ", ") << "<code>" << esc(key) << "</code> ("
			    << n(c.total()) << ")";
			first = false;
		}
		out << "</p>\n";
	}

	timeChart(out, a);
	ruleChart(out, a);

	const auto groups = groupsOf(a);
	if (!groups.empty()) {
		out << "<h2>What was found and how to avoid it</h2>\n<table><tr><th>action</th>"
		       "<th>rule</th><th>count</th><th>finding</th><th>benchmark</th><th>last</"
		       "th></tr>\n";
		for (size_t i = 0; i < groups.size() && i < kRows * 2; i++) {
			const FindingGroup &g = *groups[i];
			out << "<tr><td class=\"" << esc(g.action) << "\">" << esc(g.action)
			    << "</td><td><code>" << esc(g.rule) << "</code></td><td class=\"n\">"
			    << n(g.count) << "</td><td><code>"
			    << esc(g.pointer.empty() ? "/" : g.pointer) << "</code> "
			    << esc(g.message);
			if (!g.remedy.empty())
				out << "<br><span class=\"fix\">fix: " << esc(g.remedy)
				    << "</span>";
			out << "</td><td>" << esc(compliance::describe(g.rule)) << "</td><td>"
			    << formatTime(g.lastMs) << "<br><span class=\"fix\">" << esc(g.example)
			    << "</span></td></tr>\n";
		}
		out << "</table>\n";
	}
	if (!a.requests.empty()) {
		out << "<h2>Latest denied and mutated requests</h2>\n<table><tr><th>time</th>"
		       "<th>verdict</th><th>request</th><th>findings</th></tr>\n";
		for (auto it = a.requests.rbegin(); it != a.requests.rend(); ++it) {
			out << "<tr><td>" << formatTime(it->ms) << "</td><td class=\""
			    << esc(it->verdict.substr(0, it->verdict.find(' '))) << "\">"
			    << esc(it->verdict) << "</td><td>" << esc(it->command) << " <code>"
			    << esc(it->containerId) << "</code>";
			if (!it->who.k8sPod.empty())
				out << "<br>pod <code>" << esc(it->who.k8sNamespace) << "/"
				    << esc(it->who.k8sPod) << "</code>";
			if (!it->who.image.empty())
				out << "<br>image <code>" << esc(it->who.image) << "</code>";
			out << "</td><td>";
			for (const auto &f : it->findings)
				out << "<span class=\"" << esc(f.action) << "\">" << esc(f.action)
				    << "</span> <code>" << esc(f.rule) << "</code> "
				    << esc(f.message) << "<br>";
			out << "</td></tr>\n";
		}
		out << "</table>\n";
	}
	countsTable(out, "Engines", "engine", a.engines);
	countsTable(out, "Kubernetes namespaces", "namespace", a.namespaces);
	countsTable(out, "Pods", "namespace/pod", a.pods);
	countsTable(out, "Images", "image", a.images);
	countsTable(out, "Containers", "container", a.containers);

	std::vector<const Use *> soon;
	for (const auto *u : usesOf(a.uses))
		if (expiringSoon(*u, o, nullptr))
			soon.push_back(u);
	out << "<h2>Exemptions and overrides used</h2>\n";
	if (a.uses.empty())
		out << "<p>None.</p>\n";
	else
		usesTable(out, o, usesOf(a.uses), false);
	if (!soon.empty()) {
		out << "<h2 class=\"warn\">Expiring within " << n(static_cast<uint64_t>(o.soonDays))
		    << " days</h2>\n";
		usesTable(out, o, soon, false);
	}
	if (!a.expired.empty()) {
		out << "<h2 class=\"warn\">Expired, no longer applied</h2>\n";
		usesTable(out, o, usesOf(a.expired), true);
	}
	if (a.badLines) {
		out << "<h2 class=\"warn\">Bad lines (" << n(a.badLines) << ")</h2>\n<table>"
		    << "<tr><th>file</th><th>line</th><th>why</th></tr>\n";
		for (const auto &b : a.bad)
			out << "<tr><td><code>" << esc(b.file) << "</code></td><td class=\"n\">"
			    << n(b.line) << "</td><td>" << esc(b.why) << "</td></tr>\n";
		out << "</table>\n";
	}
	out << "</body>\n</html>\n";
}

} // namespace bulkhead::report
