/* P11: no cgroup device rule that allows every device, and no device node or
 * device access beyond the standard set. */
#include "paths_util.h"

#include <charconv>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

const std::vector<std::string> kStandard = {
        "c 1:3",   /* null */
        "c 1:5",   /* zero */
        "c 1:7",   /* full */
        "c 1:8",   /* random */
        "c 1:9",   /* urandom */
        "c 5:0",   /* tty */
        "c 5:1",   /* console */
        "c 5:2",   /* ptmx */
        "c 136:*", /* pts */
};

constexpr int64_t kAny = -1;

struct Dev
{
	char type = 'a';
	int64_t major = kAny;
	int64_t minor = kAny;
};

std::optional<int64_t> parseNum(std::string_view s)
{
	if (s == "*")
		return kAny;
	int64_t v = 0;
	auto r = std::from_chars(s.data(), s.data() + s.size(), v);
	if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < 0)
		return std::nullopt;
	return v;
}

/* "c 1:3", "c 136:*", "a *:*". Unparsable entries match nothing. */
std::optional<Dev> parseEntry(std::string_view e)
{
	if (e.size() < 5 || e[1] != ' ' || (e[0] != 'a' && e[0] != 'b' && e[0] != 'c'))
		return std::nullopt;
	auto rest = e.substr(2);
	size_t colon = rest.find(':');
	if (colon == std::string_view::npos)
		return std::nullopt;
	auto ma = parseNum(rest.substr(0, colon));
	auto mi = parseNum(rest.substr(colon + 1));
	if (!ma || !mi)
		return std::nullopt;
	return Dev{e[0], *ma, *mi};
}

std::string show(const Dev &d)
{
	auto num = [](int64_t n) { return n == kAny ? std::string("*") : std::to_string(n); };
	return std::string(1, d.type) + " " + num(d.major) + ":" + num(d.minor);
}

/* The entry covers every device the rule names. */
bool covers(const Dev &entry, const Dev &d)
{
	return (entry.type == 'a' || entry.type == d.type) &&
	       (entry.major == kAny || entry.major == d.major) &&
	       (entry.minor == kAny || entry.minor == d.minor);
}

std::optional<int64_t> numMember(const Value &obj, std::string_view key, const Pointer &at)
{
	const Value *v = paths::member(obj, key, Type::Number, at);
	if (!v)
		return std::nullopt;
	auto n = v->asInt64();
	if (!n || *n < -1)
		throw paths::Malformed{at / key, "device number out of range"};
	return *n;
}

void devicesRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		std::vector<Dev> allowed;
		for (const auto &e : rr.paramList("allowedDevices", kStandard))
			if (auto d = parseEntry(e))
				allowed.push_back(*d);
		auto isAllowed = [&](const Dev &d) {
			for (const auto &a : allowed)
				if (covers(a, d))
					return true;
			return false;
		};
		Value *linux = paths::member(rr.doc, "linux", Type::Object, Pointer());
		if (!linux)
			return;
		Pointer lat = Pointer() / "linux";

		/* cgroup device rules */
		Value *res = paths::member(*linux, "resources", Type::Object, lat);
		Value *rules = res ? paths::member(*res, "devices", Type::Array, lat / "resources")
		                   : nullptr;
		for (size_t i = 0; rules && i < rules->items().size(); i++) {
			Pointer at = lat / "resources" / "devices" / i;
			const Value &r = rules->items()[i];
			if (!r.isObject())
				throw paths::Malformed{at, "device rule is not an object"};
			const Value *allow = paths::member(r, "allow", Type::Bool, at);
			if (!allow)
				throw paths::Malformed{at, "device rule without \"allow\""};
			if (!allow->asBool())
				continue;
			Dev d;
			if (auto t = paths::stringMember(r, "type", at)) {
				if (*t != "a" && *t != "b" && *t != "c")
					throw paths::Malformed{at / "type",
					                       "device type \"" + *t + "\""};
				d.type = (*t)[0];
			}
			d.major = numMember(r, "major", at).value_or(kAny);
			d.minor = numMember(r, "minor", at).value_or(kAny);
			std::string access = paths::stringMember(r, "access", at).value_or("rwm");
			if (access.empty())
				access = "rwm";
			if (access.find_first_not_of("rwm") != std::string::npos)
				throw paths::Malformed{at / "access",
				                       "device access \"" + access + "\""};
			/* mknod alone opens nothing: "c *:* m" is Docker's own default */
			if (access.find_first_of("rw") == std::string::npos)
				continue;
			if (isAllowed(d))
				continue;
			bool wild = d.type == 'a' || d.major == kAny;
			if (wild)
				rr.deny(at,
				        "device rule allows " + access + " on every device (" +
				                show(d) + ")",
				        "do not run privileged or with a wildcard device rule "
				        "(docker run "
				        "--privileged, --device-cgroup-rule='a *:* rwm'; k8s "
				        "privileged: true)");
			else
				rr.deny(at,
				        "device rule allows " + access + " on " + show(d) +
				                ", beyond the standard set",
				        "drop the device (docker run "
				        "--device/--device-cgroup-rule; k8s "
				        "device plugins)");
		}

		/* device nodes */
		Value *devs = paths::member(*linux, "devices", Type::Array, lat);
		for (size_t i = 0; devs && i < devs->items().size(); i++) {
			Pointer at = lat / "devices" / i;
			const Value &n = devs->items()[i];
			if (!n.isObject())
				throw paths::Malformed{at, "device is not an object"};
			auto path = paths::stringMember(n, "path", at).value_or("");
			auto t = paths::stringMember(n, "type", at);
			if (!t)
				throw paths::Malformed{at, "device without a type"};
			if (*t == "p")
				continue; /* a FIFO */
			if (*t != "c" && *t != "u" && *t != "b")
				throw paths::Malformed{at / "type", "device type \"" + *t + "\""};
			auto ma = numMember(n, "major", at);
			auto mi = numMember(n, "minor", at);
			if (!ma || !mi || *ma < 0 || *mi < 0)
				throw paths::Malformed{at, "device without major/minor numbers"};
			Dev d{*t == "b" ? 'b' : 'c', *ma, *mi};
			if (isAllowed(d))
				continue;
			rr.deny(at,
			        "host device " + path + " (" + show(d) +
			                ") beyond the standard set",
			        "drop the device (docker run --device, --privileged; k8s device "
			        "plugins)");
		}
	});
}

} // namespace

std::vector<RuleDef> devicesRules()
{
	return {
	        {"P11.devices",
	         "no device rule that allows every device; device rules and device nodes only "
	         "from the standard set",
	         {Scope::Spec},
	         {{"allowedDevices", ParamKind::StringList,
	           "devices that may be allowed or created, \"TYPE MAJOR:MINOR\" with * "
	           "wildcards"}},
	         &devicesRule},
	};
}

} // namespace bulkhead::policy
