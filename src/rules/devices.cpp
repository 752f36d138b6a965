/* P11: no cgroup device rule that allows every device, and no device node or
 * device access beyond the standard set. A device's path names a host object:
 * in a user namespace runc 1.1.5 does not mknod, it bind-mounts the host file at
 * that path and ignores type and numbers; so the path is a clean one under /dev
 * and the host node there, if any, is the device the entry describes. */
#include "paths_util.h"

#include <charconv>
#include <sys/stat.h>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

const std::vector<std::string> &standardList()
{
	static const std::vector<std::string> v = {
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
	return v;
}

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

/* Directories under /dev that hold files, not devices: a "device" there is a
 * host file bind-mounted into the container. */
const std::vector<std::string> &excludedDevPaths()
{
	static const std::vector<std::string> v = {"/dev/shm", "/dev/mqueue", "/dev/pts"};
	return v;
}

const char *const kDevicePathRemedy =
        "name the device by its clean /dev path (docker run --device /dev/NAME; k8s device "
        "plugins); a device entry never names a host file";

bool excludedDevPath(const std::string &p, const std::vector<std::string> &excluded)
{
	if (!paths::isStrictlyUnder(p, "/dev"))
		return true;
	for (const auto &e : excluded)
		if (paths::isSameOrUnder(p, paths::normalize(e)))
			return true;
	return false;
}

/* Why a device entry's path is refused, "" when runc may use it: a clean
 * absolute path under /dev, outside the excluded directories, as written and as
 * resolved; where a host node exists there it is the device the entry
 * describes (type and numbers), and a FIFO entry names no host file at all. */
std::string devicePathWhy(const HostFacts &host, const std::string &path,
                          const std::optional<Dev> &d, const std::vector<std::string> &excluded)
{
	if (path.front() != '/' || paths::normalize(path) != path)
		return "is not a clean absolute path (runc bind-mounts the host file it names, "
		       "resolved as written)";
	if (excludedDevPath(path, excluded))
		return "is not a device path under /dev (outside /dev/shm, /dev/mqueue, /dev/pts)";
	auto lst = host.lstat(path);
	if (!lst)
		return {}; /* nothing on the host: runc's bind fails, mknod creates it */
	if (!d)
		return "names an existing host file, which runc would bind-mount as the FIFO";
	auto st = host.stat(path);
	auto real = host.realpath(path);
	if (!st || !real)
		return "is a dangling link on the host";
	std::string r = paths::normalize(*real);
	if (r != path && excludedDevPath(r, excluded))
		return "resolves to " + r + ", not a device path under /dev";
	const bool chr = S_ISCHR(st->mode);
	const bool blk = S_ISBLK(st->mode);
	if (!chr && !blk)
		return std::string("is a host ") +
		       (S_ISREG(st->mode)    ? "regular file"
		        : S_ISDIR(st->mode)  ? "directory"
		        : S_ISSOCK(st->mode) ? "socket"
		        : S_ISFIFO(st->mode) ? "FIFO"
		                             : "file") +
		       ", not a device node: runc would bind-mount it into the container";
	Dev host_{chr ? 'c' : 'b', st->rdevMajor, st->rdevMinor};
	if (host_.type != d->type || host_.major != d->major || host_.minor != d->minor)
		return "is host device " + show(host_) + " on the host, not the " + show(*d) +
		       " the entry declares: runc would bind-mount the host's";
	return {};
}

void devicesRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		std::vector<Dev> allowed;
		for (const auto &e : rr.paramList("allowedDevices", standardList()))
			if (auto d = parseEntry(e))
				allowed.push_back(*d);
		auto isAllowed = [&](const Dev &d) {
			for (const auto &a : allowed)
				if (covers(a, d))
					return true;
			return false;
		};
		auto excluded = rr.paramList("excludedPaths", excludedDevPaths());
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
			if (*t != "c" && *t != "u" && *t != "b" && *t != "p")
				throw paths::Malformed{at / "type", "device type \"" + *t + "\""};
			std::optional<Dev> d;
			if (*t != "p") {
				auto ma = numMember(n, "major", at);
				auto mi = numMember(n, "minor", at);
				if (!ma || !mi || *ma < 0 || *mi < 0)
					throw paths::Malformed{
					        at, "device without major/minor numbers"};
				d = Dev{*t == "b" ? 'b' : 'c', *ma, *mi};
			}
			/* runc skips an entry without a path (a cgroup rule only). */
			if (!path.empty()) {
				std::string why = devicePathWhy(rr.host, path, d, excluded);
				if (!why.empty()) {
					rr.deny(at / "path",
					        "device path " + util::show(path) + " " + why,
					        kDevicePathRemedy);
					continue;
				}
			}
			if (!d || isAllowed(*d))
				continue;
			rr.deny(at,
			        "host device " + path + " (" + show(*d) +
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
	         "from the standard set; a device path is a clean /dev path whose host node, if "
	         "any, is that device",
	         {Scope::Spec},
	         {{"allowedDevices", ParamKind::StringList,
	           "devices that may be allowed or created, \"TYPE MAJOR:MINOR\" with * "
	           "wildcards"},
	          {"excludedPaths", ParamKind::StringList,
	           "directories under /dev where no device entry may point"}},
	         &devicesRule},
	};
}

} // namespace bulkhead::policy
