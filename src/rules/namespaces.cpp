/* P8: pid, ipc, uts, mount and network namespaces private. A namespace `path`
 * is compared by device+inode with the host's (/proc/1/ns/TYPE and
 * /proc/self/ns/TYPE); when the host's cannot be read, a path is refused. */
#include "paths_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

const std::vector<std::string> &requiredList()
{
	static const std::vector<std::string> v = {"pid", "ipc", "uts", "mount", "network"};
	return v;
}

/* Spec namespace type -> /proc/PID/ns name. */
const char *nsName(std::string_view type) noexcept
{
	if (type == "pid")
		return "pid";
	if (type == "network")
		return "net";
	if (type == "mount")
		return "mnt";
	if (type == "ipc")
		return "ipc";
	if (type == "uts")
		return "uts";
	if (type == "user")
		return "user";
	if (type == "cgroup")
		return "cgroup";
	if (type == "time")
		return "time";
	return nullptr;
}

std::string remedyFor(std::string_view type)
{
	if (type == "network")
		return "do not share the host network (docker run --net=host, k8s hostNetwork: "
		       "true)";
	if (type == "pid")
		return "do not share the host PID namespace (docker run --pid=host, k8s hostPID: "
		       "true)";
	if (type == "ipc")
		return "do not share the host IPC namespace (docker run --ipc=host, k8s hostIPC: "
		       "true)";
	if (type == "uts")
		return "do not share the host UTS namespace (docker run --uts=host, k8s "
		       "hostNetwork: true)";
	if (type == "user")
		return "do not share the host user namespace (docker run --userns=host)";
	return "do not share host namespaces (docker run --" + std::string(type) +
	       "=host, k8s host* settings)";
}

void namespacesRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto required = rr.paramList("required", requiredList());
		bool pid1Optional = rr.paramBool("pid1Optional", false);
		Value *linux = paths::member(rr.doc, "linux", Type::Object, Pointer());
		Pointer nsAt = Pointer() / "linux" / "namespaces";
		Value *list = linux ? paths::member(*linux, "namespaces", Type::Array,
		                                    Pointer() / "linux")
		                    : nullptr;
		std::vector<std::string> present;
		if (list) {
			for (size_t i = 0; i < list->items().size(); i++) {
				Pointer at = nsAt / i;
				const Value &ns = list->items()[i];
				if (!ns.isObject())
					throw paths::Malformed{at, "namespace is not an object"};
				auto type = paths::stringMember(ns, "type", at);
				if (!type)
					throw paths::Malformed{at, "namespace without a type"};
				const char *name = nsName(*type);
				if (!name)
					throw paths::Malformed{at / "type",
					                       "unknown namespace type \"" + *type +
					                               "\""};
				if (std::find(present.begin(), present.end(), *type) !=
				    present.end())
					throw paths::Malformed{at, "namespace " + *type +
					                                   " listed twice"};
				present.push_back(*type);
				auto path = paths::stringMember(ns, "path", at);
				if (!path || path->empty())
					continue;
				auto pid1 = rr.host.pid1Namespace(name);
				auto self = rr.host.selfNamespace(name);
				auto st = rr.host.stat(*path);
				if (!st) {
					rr.deny(at / "path",
					        "joins " + *type + " namespace " + *path +
					                ", which cannot be read",
					        remedyFor(*type));
					continue;
				}
				bool host = (pid1 && st->id == *pid1) || (self && st->id == *self);
				/* A path of another type naming a host namespace is no better. */
				for (const char *other : {"net", "pid", "ipc", "uts", "mnt", "user",
				                          "cgroup", "time"}) {
					auto p1 = rr.host.pid1Namespace(other);
					auto s1 = rr.host.selfNamespace(other);
					host = host || (p1 && st->id == *p1) ||
					       (s1 && st->id == *s1);
				}
				if (!host && !pid1 && !(pid1Optional && self)) {
					rr.deny(at / "path",
					        "joins " + *type + " namespace " + *path +
					                " but the host's (/proc/1/ns/" + name +
					                ") cannot be read to prove it is not the "
					                "host's",
					        remedyFor(*type));
					continue;
				}
				if (host)
					rr.deny(at / "path",
					        "namespace path " + *path + " is the host's " +
					                *type + " namespace (same device+inode)",
					        remedyFor(*type));
			}
		}
		for (const auto &r : required) {
			if (std::find(present.begin(), present.end(), r) != present.end())
				continue;
			rr.deny(list ? nsAt : Pointer() / "linux",
			        "no private " + r + " namespace: the container shares the host's",
			        remedyFor(r));
		}
	});
}

} // namespace

std::vector<RuleDef> namespacesRules()
{
	return {
	        {"P8.namespaces",
	         "pid, ipc, uts, mount and network namespaces private: present, and no path that "
	         "is the host's by device+inode (unreadable host namespaces: path refused)",
	         {Scope::Spec},
	         {{"required", ParamKind::StringList,
	           "namespace types that must be private (pid, ipc, uts, mount, network, ...)",
	           Widens::Less},
	          {"pid1Optional", ParamKind::Bool,
	           "when /proc/1/ns cannot be read, compare with /proc/self/ns alone (only when "
	           "bulkhead runs in the host's namespaces)"}},
	         &namespacesRule},
	};
}

} // namespace bulkhead::policy
