#include "spec_util.h"
#include "sysctl_util.h"

#include <algorithm>
#include <charconv>
#include <climits>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* sysctl.safe: only sysctls from the allowlist (by default Kubernetes' safe,
 * namespaced set), each applied to a namespace of the container's own, with a
 * plain value. Also gives a private network namespace
 * net.ipv4.ip_unprivileged_port_start=0, so that a non-root server can bind
 * port 80 without any capability. In a user namespace the spec already has,
 * net.ipv4.ping_group_range is clamped to the groups it maps (sysctl_util.h). */
namespace bulkhead::policy {

namespace sysctl {

namespace {

const char *const kPingKey = "net.ipv4.ping_group_range";

/* Two decimal integers within [0, INT_MAX] separated by whitespace, as the
 * kernel's proc_dointvec reads the range. */
std::optional<std::pair<uint64_t, uint64_t>> parseRange(std::string_view v)
{
	uint64_t n[2] = {};
	size_t k = 0;
	size_t i = 0;
	auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
	while (true) {
		while (i < v.size() && space(v[i]))
			i++;
		if (i == v.size())
			break;
		if (k == 2)
			return std::nullopt;
		auto r = std::from_chars(v.data() + i, v.data() + v.size(), n[k]);
		if (r.ec != std::errc() || n[k] > INT_MAX)
			return std::nullopt;
		i = static_cast<size_t>(r.ptr - v.data());
		if (i < v.size() && !space(v[i]))
			return std::nullopt;
		k++;
	}
	if (k != 2)
		return std::nullopt;
	return std::make_pair(n[0], n[1]);
}

bool mapped(uint64_t g, const std::vector<IdMapping> &gids)
{
	return std::any_of(gids.begin(), gids.end(), [&](const IdMapping &m) {
		return g >= m.containerId && g - m.containerId < m.size;
	});
}

} // namespace

PingFit fitPingGroupRange(std::string_view value, const std::vector<IdMapping> &gids)
{
	auto r = parseRange(value);
	if (!r)
		return {PingFit::Kind::Unreadable, {}};
	auto [lo, hi] = *r;
	if (mapped(lo, gids) && mapped(hi, gids)) {
		/* Both ends mapped: the kernel takes it (an empty range stays empty). */
		if (lo > hi)
			return {};
		/* Every group between mapped by one extent: nothing to narrow. */
		for (const auto &m : gids)
			if (lo >= m.containerId && hi - m.containerId < m.size)
				return {};
	}
	if (lo > hi)
		return {PingFit::Kind::Drop, {}};
	/* The extent that keeps the most of the range. */
	uint64_t bestLo = 0, bestHi = 0, best = 0;
	for (const auto &m : gids) {
		if (m.size == 0)
			continue;
		uint64_t a = std::max(lo, m.containerId);
		uint64_t b = std::min(hi, m.containerId + m.size - 1);
		if (a <= b && b - a + 1 > best) {
			best = b - a + 1;
			bestLo = a;
			bestHi = b;
		}
	}
	if (best == 0)
		return {PingFit::Kind::Drop, {}};
	return {PingFit::Kind::Set, std::to_string(bestLo) + " " + std::to_string(bestHi)};
}

std::vector<std::string> pingGroupRangeKeys(const json::Value &doc)
{
	std::vector<std::string> out;
	const json::Value *linux = doc.isObject() ? doc.find("linux") : nullptr;
	const json::Value *sc = linux && linux->isObject() ? linux->find("sysctl") : nullptr;
	if (!sc || !sc->isObject())
		return out;
	for (const auto &[k, v] : sc->members()) {
		std::string n = k;
		std::replace(n.begin(), n.end(), '/', '.');
		if (n == kPingKey && v.isString())
			out.push_back(k);
	}
	return out;
}

std::string pingGroupRangeChange(const json::Value &doc, const std::vector<IdMapping> &gids)
{
	std::string done;
	for (const auto &key : pingGroupRangeKeys(doc)) {
		PingFit fit = fitPingGroupRange(
		        doc.find("linux")->find("sysctl")->find(key)->asString(), gids);
		if (fit.kind == PingFit::Kind::Set)
			done = std::string(kPingKey) + " clamped to \"" + fit.value + "\"";
		else if (fit.kind == PingFit::Kind::Drop)
			done = std::string(kPingKey) + " removed";
	}
	return done;
}

void applyPingGroupRange(json::Value &doc, const std::vector<IdMapping> &gids)
{
	for (const auto &key : pingGroupRangeKeys(doc)) {
		json::Value &sc = *doc.find("linux")->find("sysctl");
		PingFit fit = fitPingGroupRange(sc.find(key)->asString(), gids);
		if (fit.kind == PingFit::Kind::Set)
			sc.set(key, json::Value::string(fit.value));
		else if (fit.kind == PingFit::Kind::Drop)
			sc.erase(key);
	}
}

} // namespace sysctl

namespace {

const char *const kRemedy = "drop the --sysctl (docker) / securityContext.sysctls entry (k8s), "
                            "or allow it in the policy";
const char *const kPortKey = "net.ipv4.ip_unprivileged_port_start";

const std::vector<std::string> &safeList()
{
	static const std::vector<std::string> v = {
	        "kernel.shm_rmid_forced",
	        "net.ipv4.ip_local_port_range",
	        "net.ipv4.ip_local_reserved_ports",
	        "net.ipv4.ip_unprivileged_port_start",
	        "net.ipv4.ping_group_range",
	        "net.ipv4.tcp_syncookies",
	        "net.ipv4.tcp_keepalive_time",
	        "net.ipv4.tcp_fin_timeout",
	        "net.ipv4.tcp_keepalive_intvl",
	        "net.ipv4.tcp_keepalive_probes",
	        "net.ipv4.tcp_rmem",
	        "net.ipv4.tcp_wmem",
	};
	return v;
}

enum class Ns { Host, Private, Joined, Unknown };

/* Whose namespace of this type the container gets. */
Ns namespaceOf(RuleRun &run, std::string_view ociType, std::string_view procType)
{
	const json::Pointer np = json::Pointer() / "linux" / "namespaces";
	json::Value *list = util::array(util::child(&run.doc, "linux"), "namespaces", np);
	if (!list)
		return Ns::Host;
	for (size_t i = 0; i < list->items().size(); ++i) {
		json::Value &n = list->items()[i];
		util::expect(&n, json::Type::Object, np / i);
		json::Value *t = util::child(&n, "type");
		if (!t || util::text(*t, np / i / "type") != ociType)
			continue;
		json::Value *p = util::child(&n, "path");
		if (!p)
			return Ns::Private;
		const std::string &path = util::text(*p, np / i / "path");
		if (path.empty())
			return Ns::Private;
		auto st = run.host.stat(path);
		if (!st)
			return Ns::Unknown;
		auto pid1 = run.host.pid1Namespace(procType);
		auto self = run.host.selfNamespace(procType);
		if (!pid1 && !self)
			return Ns::Unknown;
		if ((pid1 && *pid1 == st->id) || (self && *self == st->id))
			return Ns::Host;
		return Ns::Joined;
	}
	return Ns::Host;
}

std::string normalise(const std::string &key)
{
	std::string k = key;
	std::replace(k.begin(), k.end(), '/', '.');
	return k;
}

bool allowedKey(const std::vector<std::string> &allowed, const std::string &key)
{
	for (const auto &a : allowed) {
		if (!a.empty() && a.back() == '*') {
			if (key.compare(0, a.size() - 1, a, 0, a.size() - 1) == 0)
				return true;
		} else if (a == key) {
			return true;
		}
	}
	return false;
}

bool startsWith(const std::string &s, std::string_view p)
{
	return s.compare(0, p.size(), p) == 0;
}

bool ipcKey(const std::string &k)
{
	return startsWith(k, "kernel.shm") || startsWith(k, "kernel.msg") || k == "kernel.sem" ||
	       startsWith(k, "fs.mqueue.");
}

/* The gid mappings of the user namespace the spec creates; nullopt when it
 * creates none or joins one by path (whose mappings the spec does not say). */
std::optional<std::vector<sysctl::IdMapping>> specGidMappings(RuleRun &run)
{
	const json::Pointer lp = json::Pointer() / "linux";
	json::Value *linux = util::object(&run.doc, "linux", lp);
	json::Value *list = util::array(linux, "namespaces", lp / "namespaces");
	bool user = false;
	for (size_t i = 0; list && i < list->items().size(); ++i) {
		json::Value &n = list->items()[i];
		util::expect(&n, json::Type::Object, lp / "namespaces" / i);
		json::Value *t = util::child(&n, "type");
		if (!t || util::text(*t, lp / "namespaces" / i / "type") != "user")
			continue;
		json::Value *p = util::child(&n, "path");
		if (p && !util::text(*p, lp / "namespaces" / i / "path").empty())
			return std::nullopt;
		user = true;
	}
	if (!user)
		return std::nullopt;
	std::vector<sysctl::IdMapping> out;
	json::Value *maps = util::array(linux, "gidMappings", lp / "gidMappings");
	for (size_t i = 0; maps && i < maps->items().size(); ++i) {
		const json::Pointer at = lp / "gidMappings" / i;
		json::Value *m = util::expect(&maps->items()[i], json::Type::Object, at);
		auto field = [&](const char *k) -> uint64_t {
			json::Value *v = util::child(m, k);
			int64_t n = v ? util::integer(*v, at / k) : 0;
			if (n < 0)
				util::malformed(at / k, "negative ID at " + (at / k).str());
			return static_cast<uint64_t>(n);
		};
		out.push_back({field("containerID"), field("hostID"), field("size")});
	}
	return out;
}

void checkSysctl(RuleRun &run)
{
	const auto allowed = run.paramList("allowed", safeList());
	const bool ports = run.paramBool("unprivilegedPorts", true);

	const json::Pointer sp = json::Pointer() / "linux" / "sysctl";
	json::Value *linux = util::object(&run.doc, "linux", json::Pointer() / "linux");
	json::Value *sysctl = util::object(linux, "sysctl", sp);
	const Ns net = namespaceOf(run, "network", "net");
	const Ns ipc = namespaceOf(run, "ipc", "ipc");
	const auto gids = specGidMappings(run);
	bool hasPortKey = false;
	bool denied = false;
	std::vector<std::string> pingKeys;

	if (sysctl) {
		for (const auto &[key, value] : sysctl->members()) {
			const json::Pointer at = sp / key;
			if (key.find('\0') != std::string::npos)
				util::malformed(at, "NUL byte in sysctl name at " + at.str());
			const std::string k = normalise(key);
			const std::string &v = util::text(value, at);
			if (k == kPortKey)
				hasPortKey = true;
			if (!allowedKey(allowed, k)) {
				run.deny(at, "sysctl " + key + " is not in the policy's safe list",
				         kRemedy);
				denied = true;
				continue;
			}
			if (std::any_of(v.begin(), v.end(), [](char c) {
				    return c == '=' || c == '+' ||
				           static_cast<unsigned char>(c) < 0x20;
			    })) {
				run.deny(at,
				         "sysctl " + util::show(key) + " value " + util::show(v) +
				                 " contains '=', '+' or a control character",
				         kRemedy);
				denied = true;
				continue;
			}
			const bool isNet = startsWith(k, "net.");
			const Ns ns = isNet ? net : ipcKey(k) ? ipc : Ns::Private;
			if (ns == Ns::Host || ns == Ns::Unknown) {
				denied = true;
				const char *type = isNet ? "network" : "IPC";
				run.deny(at,
				         "sysctl " + util::show(key) + " would apply to the " +
				                 (ns == Ns::Host
				                          ? std::string("host's ") + type +
				                                    " namespace"
				                          : std::string(type) +
				                                    " namespace at a path that "
				                                    "cannot be "
				                                    "told apart from the host's"),
				         "use a private network/IPC namespace (no "
				         "--net=host/--ipc=host; "
				         "k8s hostNetwork/hostIPC: false)");
				continue;
			}
			if (k == sysctl::kPingKey && gids)
				pingKeys.push_back(key);
		}
	}

	/* runc writes it from inside the user namespace: only mapped groups. */
	for (const auto &key : pingKeys) {
		const json::Pointer at = sp / key;
		const std::string v = sysctl->find(key)->asString();
		auto fit = sysctl::fitPingGroupRange(v, *gids);
		const std::string what = "sysctl " + key + " " + util::show(v);
		const char *remedy = "docker run --sysctl net.ipv4.ping_group_range=\"0 65535\" "
		                     "(groups the user namespace maps)";
		switch (fit.kind) {
		case sysctl::PingFit::Kind::Keep:
			break;
		case sysctl::PingFit::Kind::Unreadable:
			denied = true;
			run.deny(at, what + " is not two group IDs", remedy);
			break;
		case sysctl::PingFit::Kind::Set:
		case sysctl::PingFit::Kind::Drop:
			util::fix(
			        run, at,
			        what + " names groups the user namespace does not map (the "
			               "kernel refuses it: runc fails with \"invalid argument\")",
			        fit.kind == sysctl::PingFit::Kind::Set
			                ? "clamped to \"" + fit.value + "\""
			                : std::string("removed (no mapped group is in the range)"),
			        remedy, [&run, key, fit] {
				        json::Value *sc = util::child(
				                util::child(&run.doc, "linux"), "sysctl");
				        if (fit.kind == sysctl::PingFit::Kind::Set)
					        sc->set(key, json::Value::string(fit.value));
				        else
					        sc->erase(key);
			        });
			break;
		}
	}

	/* A convenience, not a violation: only when the rule may mutate, and
	 * never in a spec that is refused anyway. */
	if (ports && run.action() == Action::Mutate && !denied && !hasPortKey &&
	    net == Ns::Private && allowedKey(allowed, kPortKey)) {
		run.fixable(sp / kPortKey,
		            "a non-root process cannot bind ports below 1024; set "
		            "net.ipv4.ip_unprivileged_port_start=0 in the container's network "
		            "namespace",
		            "docker run --sysctl net.ipv4.ip_unprivileged_port_start=0; k8s "
		            "securityContext.sysctls",
		            [&] {
			            util::ensureObject(util::ensureObject(run.doc, "linux"),
			                               "sysctl")
			                    .set(kPortKey, json::Value::string("0"));
		            });
	}
}

} // namespace

std::vector<RuleDef> sysctlRules()
{
	return {
	        {"sysctl.safe",
	         "sysctls only from the safe, namespaced list, in a namespace of the container's "
	         "own, with plain values",
	         {Scope::Spec},
	         {{"allowed", ParamKind::StringList,
	           "sysctls allowed (Kubernetes' safe set); a trailing * matches a prefix",
	           Widens::More},
	          {"unprivilegedPorts", ParamKind::Bool,
	           "set net.ipv4.ip_unprivileged_port_start=0 in a new private network namespace "
	           "(true)"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkSysctl(run); }); }},
	};
}

} // namespace bulkhead::policy
