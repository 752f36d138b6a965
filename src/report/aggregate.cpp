/* The audit log folded into counts, one record at a time. */
#include <ctime>

#include "bulkhead/error.h"
#include "bulkhead/report.h"

namespace bulkhead::report {

namespace {

constexpr int64_t kHour = 3600LL * 1000;
constexpr int64_t kDay = 24 * kHour;
constexpr size_t kMaxLine = 1u << 20;
const std::string kOther = "(other)";

bool digits(std::string_view s, size_t at, size_t n, int &out) noexcept
{
	if (at + n > s.size())
		return false;
	int v = 0;
	for (size_t i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	out = v;
	return true;
}

std::optional<int64_t> dateMs(std::string_view s) noexcept
{
	int y = 0, mo = 0, d = 0;
	if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) ||
	    s[7] != '-' || !digits(s, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return std::nullopt;
	struct tm tm
	{
	};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	return static_cast<int64_t>(::timegm(&tm)) * 1000;
}

std::string str(const json::Value *v)
{
	return v != nullptr && v->isString() ? v->asString() : "";
}

/* MAP[KEY], or MAP["(other)"] once MAP holds MAX distinct keys. */
template <typename M> typename M::mapped_type &slot(M &map, const std::string &key, size_t max)
{
	auto it = map.find(key);
	if (it != map.end())
		return it->second;
	if (map.size() >= max)
		return map[kOther];
	return map[key];
}

bool isAuditWouldBe(const json::Value &rec, const char *verdict)
{
	const json::Value *m = rec.find("mode");
	const json::Value *w = rec.find("wouldBe");
	return m && m->isString() && m->asString() == "audit" && w && w->isString() &&
	       w->asString() == verdict;
}

} // namespace

std::optional<int64_t> parseRfc3339(std::string_view s) noexcept
{
	auto day = dateMs(s);
	int h = 0, mi = 0, sec = 0;
	if (!day || s.size() < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
	    !digits(s, 17, 2, sec) || h > 23 || mi > 59 || sec > 60)
		return std::nullopt;
	size_t i = 19;
	int64_t frac = 0;
	if (i < s.size() && s[i] == '.') {
		size_t n = 0;
		for (i++; i < s.size() && s[i] >= '0' && s[i] <= '9'; i++, n++)
			if (n < 3)
				frac = frac * 10 + (s[i] - '0');
		if (n == 0)
			return std::nullopt;
		for (; n < 3; n++)
			frac *= 10;
	}
	int64_t offset = 0;
	if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
		int oh = 0, om = 0;
		if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
		    !digits(s, i + 4, 2, om))
			return std::nullopt;
		offset = (oh * 60LL + om) * 60 * 1000 * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return std::nullopt;
	}
	if (i != s.size())
		return std::nullopt;
	return *day + ((h * 60LL + mi) * 60 + sec) * 1000 + frac - offset;
}

std::optional<int64_t> parseWhen(std::string_view s, int64_t nowMs) noexcept
{
	if (auto t = parseRfc3339(s))
		return t;
	if (s.size() == 10)
		return dateMs(s);
	if (s.size() < 2)
		return std::nullopt;
	int64_t unit = 0;
	switch (s.back()) {
	case 'm':
		unit = 60 * 1000;
		break;
	case 'h':
		unit = kHour;
		break;
	case 'd':
		unit = kDay;
		break;
	case 'w':
		unit = 7 * kDay;
		break;
	default:
		return std::nullopt;
	}
	int64_t n = 0;
	for (size_t i = 0; i + 1 < s.size(); i++) {
		if (s[i] < '0' || s[i] > '9' || n > 1000000)
			return std::nullopt;
		n = n * 10 + (s[i] - '0');
	}
	return nowMs - n * unit;
}

std::string formatTime(int64_t ms)
{
	time_t t = static_cast<time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
	struct tm tm
	{
	};
	::gmtime_r(&t, &tm);
	char buf[40];
	size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return std::string(buf, n);
}

void Counts::add(std::string_view verdict) noexcept
{
	if (verdict == "allow")
		allow++;
	else if (verdict == "mutate")
		mutate++;
	else if (verdict == "deny")
		deny++;
	else
		error++;
}

void Aggregator::bad(std::string_view file, uint64_t lineNo, std::string why)
{
	agg_.badLines++;
	if (agg_.bad.size() < opts_.maxBadShown)
		agg_.bad.push_back({std::string(file), lineNo, singleLine(std::move(why))});
}

void Aggregator::line(std::string_view text, std::string_view file, uint64_t lineNo)
{
	if (text.find_first_not_of(" \t\r") == std::string_view::npos)
		return; /* a blank line says nothing */
	if (text.size() > kMaxLine) {
		bad(file, lineNo, strprintf("longer than %zu bytes", kMaxLine));
		return;
	}
	json::Value rec;
	try {
		json::ParseOptions po;
		po.allowComments = false;
		po.maxBytes = kMaxLine;
		rec = json::parse(text, "line", po);
	} catch (const Error &e) {
		/* "line:1:COL: message" -> "column COL: message" */
		std::string msg = e.what();
		if (msg.starts_with("line:1:"))
			msg = "column " + msg.substr(7);
		bad(file, lineNo, "not JSON (torn or corrupt): " + msg.substr(0, 200));
		return;
	}
	std::string why;
	if (!add(rec, &why))
		bad(file, lineNo, why);
}

bool Aggregator::add(const json::Value &rec, std::string *why)
{
	const json::Value *time = rec.isObject() ? rec.find("time") : nullptr;
	const json::Value *verdictV = rec.isObject() ? rec.find("verdict") : nullptr;
	std::optional<int64_t> ms;
	if (time && time->isString())
		ms = parseRfc3339(time->asString());
	if (!ms || !verdictV || !verdictV->isString()) {
		if (why)
			*why = "not an audit record (no RFC 3339 \"time\" or no \"verdict\")";
		return false;
	}
	if ((opts_.sinceMs && *ms < *opts_.sinceMs) || (opts_.untilMs && *ms >= *opts_.untilMs)) {
		agg_.outside++;
		return true;
	}
	const size_t max = opts_.maxKeys;
	const std::string verdict = verdictV->asString();
	const bool wouldDeny = isAuditWouldBe(rec, "deny");
	auto count = [&](Counts &c) {
		c.add(verdict);
		c.wouldDeny += wouldDeny ? 1 : 0;
	};
	agg_.firstMs = agg_.records == 0 ? *ms : std::min(agg_.firstMs, *ms);
	agg_.lastMs = agg_.records == 0 ? *ms : std::max(agg_.lastMs, *ms);
	agg_.records++;
	count(agg_.verdicts);
	count(agg_.hours[*ms - ((*ms % kHour) + kHour) % kHour]);
	count(slot(agg_.commands, str(rec.find("command")), max));
	if (const json::Value *p = rec.find("policy"); p && p->isObject()) {
		std::string key = str(p->find("name"));
		if (std::string v = str(p->find("version")); !v.empty())
			key += " " + v;
		if (std::string h = str(p->find("sha256")); !h.empty())
			key += " sha256:" + h.substr(0, 12);
		count(slot(agg_.policies, key, max));
	}

	const Subject who = subjectOf(rec);
	count(slot(agg_.engines, who.engine.empty() ? "unknown" : who.engine, max));
	if (!who.k8sNamespace.empty()) {
		count(slot(agg_.namespaces, who.k8sNamespace, max));
		if (!who.k8sPod.empty())
			count(slot(agg_.pods, who.k8sNamespace + "/" + who.k8sPod, max));
	}
	if (!who.image.empty())
		count(slot(agg_.images, who.image, max));
	const std::string id = str(rec.find("containerId"));
	std::string container = !who.k8sContainer.empty() ? who.k8sNamespace + "/" + who.k8sPod +
	                                                            "/" + who.k8sContainer
	                                                  : id;
	if (!container.empty())
		count(slot(agg_.containers, container, max));
	std::string example = id.empty() ? str(rec.find("subject")) : id;
	if (!who.k8sPod.empty())
		example += " (" + who.k8sNamespace + "/" + who.k8sPod + ")";

	PodStats *pod = nullptr;
	if (!who.k8sNamespace.empty()) {
		auto &pods = agg_.k8s.size() >= max && !agg_.k8s.contains(who.k8sNamespace)
		                     ? agg_.k8s[kOther]
		                     : agg_.k8s[who.k8sNamespace];
		pod = &slot(pods, who.k8sPod.empty() ? id : who.k8sPod, max);
		count(pod->verdicts);
		pod->lastMs = std::max(pod->lastMs, *ms);
	}

	const bool detailed = verdict == "deny" || verdict == "mutate" || wouldDeny ||
	                      isAuditWouldBe(rec, "mutate");
	Request req;
	if (detailed) {
		req.ms = *ms;
		req.verdict = wouldDeny ? "deny (audit)" : verdict;
		if (!wouldDeny && verdict == "allow")
			req.verdict = "mutate (audit)";
		req.command = str(rec.find("command"));
		req.containerId = id;
		req.subject = str(rec.find("subject"));
		req.who = who;
	}
	if (const json::Value *fs = rec.find("findings"); fs && fs->isArray()) {
		for (const auto &f : fs->items()) {
			if (!f.isObject())
				continue;
			const std::string rule = str(f.find("rule")),
			                  action = str(f.find("action"));
			const std::string message = str(f.find("message"));
			const std::string remedy = str(f.find("remedy"));
			RuleCounts &rc = slot(agg_.rules, rule, max);
			(action == "deny" ? rc.deny : action == "mutate" ? rc.mutate : rc.audit)++;
			FindingGroup &g =
			        slot(agg_.groups, rule + '\n' + action + '\n' + message, max);
			if (g.count++ == 0) {
				g.rule = rule;
				g.action = action;
				g.wouldBe = str(f.find("wouldBe"));
				if (g.wouldBe.empty())
					g.wouldBe = action;
				g.message = message;
				g.remedy = remedy;
				g.pointer = str(f.find("pointer"));
				g.firstMs = *ms;
			}
			g.firstMs = std::min(g.firstMs, *ms);
			if (*ms >= g.lastMs) {
				g.lastMs = *ms;
				g.example = example;
				g.exampleSubject = str(rec.find("subject"));
			}
			if (pod) {
				pod->findings[{rule, action}]++;
				pod->lastMessage = message;
			}
			if (detailed)
				req.findings.push_back({rule, action, message, remedy});
		}
	}
	if (detailed) {
		agg_.requests.push_back(std::move(req));
		while (agg_.requests.size() > opts_.limit)
			agg_.requests.pop_front();
	}

	auto uses = [&](const char *member, const char *kind, std::map<std::string, Use> &into) {
		const json::Value *list = rec.find(member);
		if (!list || !list->isArray())
			return;
		for (const auto &e : list->items()) {
			if (!e.isObject())
				continue;
			const std::string k = e.find("kind") ? str(e.find("kind")) : kind;
			Use &u = slot(into, k + '\n' + str(e.find("name")), max);
			if (u.count++ == 0) {
				u.kind = k;
				u.name = str(e.find("name"));
				if (const json::Value *r = e.find("rules"); r && r->isArray())
					for (const auto &x : r->items())
						if (x.isString())
							u.rules.push_back(x.asString());
			}
			if (*ms >= u.lastMs) {
				u.lastMs = *ms;
				u.reason = str(e.find("reason"));
				const std::string exp = str(e.find("expires"));
				u.expires = exp.empty() ? std::nullopt : std::optional(exp);
			}
		}
	};
	uses("exemptions", "exemption", agg_.uses);
	uses("overrides", "override", agg_.uses);
	uses("expired", "exemption", agg_.expired);
	return true;
}

std::vector<Bucket> buckets(const Aggregate &a, int64_t *widthMs)
{
	std::vector<Bucket> out;
	const int64_t span = a.lastMs - a.firstMs;
	const int64_t width = span <= 48 * kHour ? kHour : span <= 90 * kDay ? kDay : 7 * kDay;
	if (widthMs)
		*widthMs = width;
	if (a.records == 0)
		return out;
	auto floorTo = [](int64_t v, int64_t w) { return v - ((v % w) + w) % w; };
	const int64_t first = floorTo(a.firstMs, width), last = floorTo(a.lastMs, width);
	for (int64_t t = first; t <= last; t += width)
		out.push_back({t, {}});
	for (const auto &[hour, c] : a.hours) {
		auto i = static_cast<size_t>((floorTo(hour, width) - first) / width);
		if (i >= out.size())
			continue;
		Counts &b = out[i].counts;
		b.allow += c.allow;
		b.mutate += c.mutate;
		b.deny += c.deny;
		b.error += c.error;
		b.wouldDeny += c.wouldDeny;
	}
	return out;
}

const char *bucketName(int64_t widthMs) noexcept
{
	return widthMs <= kHour ? "hour" : widthMs <= kDay ? "day" : "week";
}

bool expiringSoon(const Use &u, const Options &o, int64_t *daysLeft) noexcept
{
	if (!u.expires)
		return false;
	auto exp = dateMs(*u.expires);
	if (!exp)
		return false;
	const int64_t today = o.nowMs - ((o.nowMs % kDay) + kDay) % kDay;
	const int64_t left = (*exp - today) / kDay;
	if (daysLeft)
		*daysLeft = left;
	return left >= 0 && left <= o.soonDays;
}

} // namespace bulkhead::report
