/* `bulkhead audit` for a person at a terminal: concise and aligned. */
#include "util.h"

#include "bulkhead/compliance.h"
#include "bulkhead/error.h"

namespace bulkhead::report {

namespace {

using namespace detail;

constexpr size_t kTop = 15;

struct Paint
{
	bool on;
	[[nodiscard]] std::string operator()(std::string_view s, const char *code) const
	{
		return on ? std::string("\033[") + code + "m" + std::string(s) + "\033[0m"
		          : std::string(s);
	}
	[[nodiscard]] std::string verdict(std::string_view v) const
	{
		const char *code = v.starts_with("deny")     ? "1;31"
		                   : v.starts_with("mutate") ? "33"
		                   : v.starts_with("allow")  ? "32"
		                                             : "35";
		return (*this)(v, code);
	}
};

std::string pad(std::string s, size_t width)
{
	if (s.size() < width)
		s.append(width - s.size(), ' ');
	return s;
}

std::string rpad(const std::string &s, size_t width)
{
	return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

std::string n(uint64_t v)
{
	return std::to_string(v);
}

/* "allow 8  mutate 3  deny 1" with the zeros left out */
std::string breakdown(const Counts &c, const Paint &p)
{
	std::string s;
	auto part = [&](const char *name, uint64_t v) {
		if (v)
			s += (s.empty() ? "" : "  ") + p.verdict(name) + " " + n(v);
	};
	part("allow", c.allow);
	part("mutate", c.mutate);
	part("deny", c.deny);
	part("error", c.error);
	if (c.wouldDeny)
		s += (s.empty() ? "" : "  ") + std::string("(audit mode: ") + n(c.wouldDeny) +
		     " would be denied)";
	return s;
}

void table(Output &out, const Paint &p, const char *title, const std::map<std::string, Counts> &m)
{
	if (m.empty())
		return;
	out << "\n" << p(title, "1") << strprintf(" (%zu)\n", m.size());
	auto rows = rankedCounts(m);
	size_t width = 0;
	for (size_t i = 0; i < rows.size() && i < kTop; i++)
		width = std::max(width, rows[i]->first.size());
	width = std::min<size_t>(width, 60);
	for (size_t i = 0; i < rows.size() && i < kTop; i++)
		out << "  " << pad(rows[i]->first, width) << "  "
		    << rpad(n(rows[i]->second.total()), 7) << "  " << breakdown(rows[i]->second, p)
		    << "\n";
	if (rows.size() > kTop)
		out << strprintf("  ... %zu more (--format json lists them all)\n",
		                 rows.size() - kTop);
}

} // namespace

void writeText(const Aggregate &a, const Options &o, Output &out, bool colour)
{
	const Paint p{colour};
	out << p("bulkhead audit", "1") << ": " << n(a.records) << " decision"
	    << (a.records == 1 ? "" : "s");
	if (a.records)
		out << " from " << formatTime(a.firstMs) << " to " << formatTime(a.lastMs);
	out << strprintf(" (%zu log file%s", a.files.size(), a.files.size() == 1 ? "" : "s");
	if (a.outside)
		out << ", " << n(a.outside) << " outside the window";
	if (a.badLines)
		out << ", "
		    << p(n(a.badLines) + " bad line" + (a.badLines == 1 ? "" : "s"), "1;31");
	out << ")\n";
	if (a.records)
		out << "  " << breakdown(a.verdicts, p) << "\n";
	for (const auto &[key, c] : a.policies)
		out << "  policy " << key << ": " << n(c.total()) << "\n";

	int64_t width = 0;
	const auto bs = buckets(a, &width);
	if (!bs.empty()) {
		out << "\n" << p("Decisions per " + std::string(bucketName(width)), "1") << "\n";
		uint64_t max = 1;
		for (const auto &b : bs)
			max = std::max(max, b.counts.total());
		const size_t from = bs.size() > 48 ? bs.size() - 48 : 0;
		if (from)
			out << strprintf("  (the last 48 of %zu)\n", bs.size());
		for (size_t i = from; i < bs.size(); i++) {
			const Counts &c = bs[i].counts;
			std::string label = formatTime(bs[i].startMs);
			label = width >= 24 * 3600 * 1000LL ? label.substr(0, 10)
			                                    : label.substr(0, 16);
			auto bar = [&](uint64_t v, char ch, const char *code) {
				auto len = static_cast<size_t>((v * 30 + max - 1) / max);
				return len ? p(std::string(len, ch), code) : std::string();
			};
			out << "  " << pad(label, 16) << " " << rpad(n(c.total()), 6) << " "
			    << bar(c.allow, '=', "32") << bar(c.mutate, '~', "33")
			    << bar(c.deny, '#', "1;31") << bar(c.error, '!', "35") << "\n";
		}
		out << "  (= allow, ~ mutate, # deny, ! error)\n";
	}

	if (!a.rules.empty()) {
		out << "\n" << p("Findings by rule", "1") << "\n";
		auto rows = ranked(a.rules, [](const RuleCounts &r) { return r.total(); });
		size_t w = 4;
		for (const auto *r : rows)
			w = std::max(w, r->first.size());
		out << "  " << pad("RULE", w) << "    DENY  MUTATE   AUDIT  BENCHMARK\n";
		for (const auto *r : rows)
			out << "  " << pad(r->first, w) << rpad(n(r->second.deny), 8)
			    << rpad(n(r->second.mutate), 8) << rpad(n(r->second.audit), 8) << "  "
			    << compliance::describe(r->first) << "\n";
	}
	table(out, p, "Engines", a.engines);
	table(out, p, "Kubernetes namespaces", a.namespaces);
	table(out, p, "Pods", a.pods);
	table(out, p, "Images", a.images);
	table(out, p, "Containers", a.containers);

	const auto groups = groupsOf(a);
	if (!groups.empty()) {
		out << "\n" << p("What was found (by rule and message)", "1") << "\n";
		size_t shown = 0;
		for (const auto *g : groups) {
			if (shown++ == 25) {
				out << strprintf("  ... %zu more\n", groups.size() - 25);
				break;
			}
			out << "  "
			    << p(pad(g->action, 6), g->action == "deny"     ? "1;31"
			                            : g->action == "mutate" ? "33"
			                                                    : "36")
			    << " " << rpad(n(g->count), 6) << "x  " << g->rule << " "
			    << (g->pointer.empty() ? "/" : g->pointer) << ": "
			    << singleLine(g->message) << "\n";
			out << "                  last " << formatTime(g->lastMs) << ", "
			    << g->example << "\n";
			if (!g->remedy.empty())
				out << "                  fix: " << singleLine(g->remedy) << "\n";
		}
	}
	if (!a.requests.empty()) {
		out << "\n"
		    << p("Latest denied and mutated requests", "1")
		    << strprintf(" (%zu)\n", a.requests.size());
		for (auto it = a.requests.rbegin(); it != a.requests.rend(); ++it) {
			std::string who = it->containerId;
			if (!it->who.k8sPod.empty())
				who += " (" + it->who.k8sNamespace + "/" + it->who.k8sPod + ")";
			out << "  " << formatTime(it->ms) << "  " << p.verdict(pad(it->verdict, 6))
			    << "  " << it->command << " " << who << "\n";
			for (const auto &f : it->findings)
				out << "      " << pad(f.action, 6) << " " << f.rule << ": "
				    << singleLine(f.message) << "\n";
		}
	}
	if (!a.uses.empty()) {
		out << "\n" << p("Exemptions and overrides used", "1") << "\n";
		for (const auto *u : usesOf(a.uses))
			out << "  " << pad(u->kind, 9) << " " << u->name << " (" << joined(u->rules)
			    << "): " << n(u->count) << "x, last " << formatTime(u->lastMs) << ", "
			    << (u->expires ? "until " + *u->expires : std::string("no expiry"))
			    << (u->reason.empty() ? "" : "; " + singleLine(u->reason)) << "\n";
	}
	if (!a.expired.empty()) {
		out << "\n" << p("Expired, no longer applied", "1;31") << "\n";
		for (const auto *u : usesOf(a.expired))
			out << "  " << pad(u->kind, 9) << " " << u->name << " (" << joined(u->rules)
			    << "): expired " << u->expires.value_or("?") << ", matched "
			    << n(u->count) << "x, last " << formatTime(u->lastMs) << "\n";
	}
	bool header = false;
	for (const auto *u : usesOf(a.uses)) {
		int64_t left = 0;
		if (!expiringSoon(*u, o, &left))
			continue;
		if (!header)
			out << "\n"
			    << p(strprintf("Expiring within %lld days",
			                   static_cast<long long>(o.soonDays)),
			         "1;33")
			    << "\n";
		header = true;
		out << "  " << pad(u->kind, 9) << " " << u->name << " until " << *u->expires
		    << strprintf(" (%lld day%s left)\n", static_cast<long long>(left),
		                 left == 1 ? "" : "s");
	}
	if (a.badLines) {
		out << "\n" << p("Bad lines", "1;31") << " (" << n(a.badLines) << ")\n";
		for (const auto &b : a.bad)
			out << "  " << b.file << ":" << n(b.line) << ": " << b.why << "\n";
		if (a.badLines > a.bad.size())
			out << "  ... " << n(a.badLines - a.bad.size()) << " more\n";
	}
}

} // namespace bulkhead::report
