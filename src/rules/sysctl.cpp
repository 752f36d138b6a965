#include "spec_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* sysctl.safe: only sysctls from the allowlist (by default Kubernetes' safe,
 * namespaced set), each applied to a namespace of the container's own, with a
 * plain value. Also gives a private network namespace
 * net.ipv4.ip_unprivileged_port_start=0, so that a non-root server can bind
 * port 80 without any capability. */
namespace bulkhead::policy {

namespace {

const char *const kRemedy = "drop the --sysctl (docker) / securityContext.sysctls entry (k8s), "
                            "or allow it in the policy";
const char *const kPortKey = "net.ipv4.ip_unprivileged_port_start";

const std::vector<std::string> kSafe = {
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

void checkSysctl(RuleRun &run)
{
	const auto allowed = run.paramList("allowed", kSafe);
	const bool ports = run.paramBool("unprivilegedPorts", true);

	const json::Pointer sp = json::Pointer() / "linux" / "sysctl";
	json::Value *linux = util::object(&run.doc, "linux", json::Pointer() / "linux");
	json::Value *sysctl = util::object(linux, "sysctl", sp);
	const Ns net = namespaceOf(run, "network", "net");
	const Ns ipc = namespaceOf(run, "ipc", "ipc");
	bool hasPortKey = false;
	bool denied = false;

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
			}
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
