/* P10's rules on how each mount is made: propagation, the options of bind
 * mounts, proc and sysfs only where they belong, ID-mapped mounts. What a
 * mount's source may be is src/rules/mounts.cpp. */
#include "mounts_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/mount.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using namespace mounts;

/* ---- P10.propagation ---- */

const char *const kPropagationRemedy =
        "use private propagation (docker run -v SRC:DST:rprivate, not :shared/:rshared; k8s "
        "mountPropagation: None or HostToContainer)";

void propagation(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		Value *linux = paths::member(rr.doc, "linux", Type::Object, Pointer());
		if (linux) {
			Pointer at = Pointer() / "linux" / "rootfsPropagation";
			auto p = paths::stringMember(*linux, "rootfsPropagation",
			                             Pointer() / "linux");
			if (p && (*p == "shared" || *p == "rshared"))
				rr.fixable(
				        at,
				        "rootfs propagation " + *p +
				                " lets mounts made in the container reach the host",
				        kPropagationRemedy, [linux] {
					        linux->set("rootfsPropagation",
					                   Value::string("rprivate"));
				        });
		}
		eachMount(rr.doc, [&](Value &m, const Pointer &at) {
			auto opts = paths::mountOptions(m, at);
			for (size_t i = 0; i < opts.size(); i++) {
				if (opts[i] != "shared" && opts[i] != "rshared")
					continue;
				Value *o = m.find("options");
				rr.fixable(
				        at / "options" / i,
				        "mount propagation " + opts[i] +
				                " lets mounts made in the container reach the host",
				        kPropagationRemedy, [o, i] {
					        Value &v = o->items()[i];
					        v = Value::string(v.asString() == "shared"
					                                  ? "private"
					                                  : "rprivate");
				        });
			}
		});
	});
}

/* ---- P10.bind-options ---- */

void bindOptions(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		eachMount(rr.doc, [&](Value &m, const Pointer &at) {
			auto opts = paths::mountOptions(m, at);
			if (!paths::isBind(m, opts))
				return;
			auto eff = paths::parseOptions(opts);
			if (eff.nosuid && eff.nodev)
				return;
			std::string missing = !eff.nosuid && !eff.nodev ? "nosuid,nodev"
			                      : !eff.nosuid             ? "nosuid"
			                                                : "nodev";
			rr.fixable(at / "options", "bind mount without " + missing + " in effect",
			           "mount host paths with nosuid,nodev (podman -v "
			           "SRC:DST:nosuid,nodev)",
			           [&m] {
				           Value *o = m.find("options");
				           if (!o || !o->isArray())
					           o = &m.set("options", Value::array());
				           auto &items = o->items();
				           items.erase(std::remove_if(items.begin(), items.end(),
				                                      [](const Value &v) {
					                                      const auto &s =
					                                              v.asString();
					                                      return s == "suid" ||
					                                             s == "rsuid" ||
					                                             s == "dev" ||
					                                             s == "rdev";
				                                      }),
				                       items.end());
				           std::vector<std::string> now;
				           for (const auto &v : items)
					           now.push_back(v.asString());
				           auto e = paths::parseOptions(now);
				           if (!e.nosuid)
					           o->push(Value::string("nosuid"));
				           if (!e.nodev)
					           o->push(Value::string("nodev"));
			           });
		});
	});
}

/* ---- P10.proc-sys-mounts ---- */

const std::vector<std::string> &standardProcSys()
{
	static const std::vector<std::string> v = {
	        "proc:/proc",
	        "sysfs:/sys",
	        "cgroup:/sys/fs/cgroup",
	        "cgroup2:/sys/fs/cgroup",
	};
	return v;
}

/* Kernel filesystems a spec may mount only at an allowed TYPE:DESTINATION: a
 * second proc or sysfs elsewhere carries none of the masks runc applies under
 * /proc and /sys. */
const std::vector<std::string> &kernelFilesystemsList()
{
	static const std::vector<std::string> v = {
	        "proc",      "sysfs",   "devtmpfs", "debugfs",     "tracefs", "securityfs",
	        "selinuxfs", "smackfs", "bpf",      "cgroup",      "cgroup2", "configfs",
	        "efivarfs",  "fusectl", "pstore",   "binfmt_misc",
	};
	return v;
}

void procSysMounts(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto allowed = rr.paramList("allowed", standardProcSys());
		auto kernelFs = rr.paramList("kernelFilesystems", kernelFilesystemsList());
		eachMount(rr.doc, [&](Value &m, const Pointer &at) {
			auto dest = paths::stringMember(m, "destination", at);
			if (!dest)
				throw paths::Malformed{at, "mount without a destination"};
			std::string d = paths::normalize("/" + *dest);
			auto opts = paths::mountOptions(m, at);
			bool bind = paths::isBind(m, opts);
			std::string type = bind ? "bind" : mountType(m, at);
			bool inProcSys =
			        paths::isSameOrUnder(d, "/proc") || paths::isSameOrUnder(d, "/sys");
			bool kernel = !bind && std::find(kernelFs.begin(), kernelFs.end(), type) !=
			                               kernelFs.end();
			if (!inProcSys && !kernel)
				return;
			std::string key = type + ":" + d;
			if (std::find(allowed.begin(), allowed.end(), key) != allowed.end())
				return;
			if (!inProcSys) {
				rr.deny(at / "destination",
				        "mount " + key + ": a " + type +
				                " filesystem is mounted only at its standard "
				                "place; "
				                "elsewhere it carries none of the masks of /proc "
				                "and "
				                "/sys",
				        "drop the mount; the container gets /proc and /sys from "
				        "the "
				        "runtime");
				return;
			}
			rr.deny(at / "destination",
			        "mount " + key +
			                " over /proc or /sys is not one of the standard mounts",
			        "drop the mount (docker run -v/--mount, k8s hostPath or "
			        "volumeMounts "
			        "under /proc or /sys)");
		});
	});
}

/* ---- P10.idmapped-mounts ---- */

const char *const kIdmapRemedy =
        "drop the ID mapping of the mount (podman -v SRC:DST:idmap, mounts[].uidMappings); "
        "give the volume to the container's mapped IDs instead (chown it to the "
        "container's host range)";

/* One mapping list of an ID-mapped mount: through it, on-disk ID containerID
 * appears as (and is written by) host ID hostID. */
void judgeIdmap(RuleRun &rr, const Value &list, const Pointer &at, const std::string &what,
                const std::optional<Pointer> &report = std::nullopt)
{
	auto maps = paths::idMappings(list, at);
	for (size_t i = 0; i < maps.size(); i++) {
		const auto &m = maps[i];
		if (paths::inRange(0, m.hostId, m.size))
			rr.deny(report.value_or(at / i),
			        what + " shows on-disk ID " + std::to_string(m.containerId) +
			                " as host ID 0 (host root)",
			        kIdmapRemedy);
		else if (paths::inRange(0, m.containerId, m.size))
			rr.deny(report.value_or(at / i),
			        what + " maps on-disk ID 0 (host root's files) to host ID " +
			                std::to_string(m.hostId) +
			                ": the container would own host root's files there and "
			                "create files owned by host root (set-user-ID programs)",
			        kIdmapRemedy);
	}
}

void idmappedMounts(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		eachMount(rr.doc, [&](Value &m, const Pointer &at) {
			auto opts = paths::mountOptions(m, at);
			const Value *uid = paths::member(m, "uidMappings", Type::Array, at);
			const Value *gid = paths::member(m, "gidMappings", Type::Array, at);
			std::optional<size_t> idmap;
			for (size_t i = 0; i < opts.size(); i++) {
				std::string_view o = opts[i];
				if (o == "idmap" || o == "ridmap" || o.substr(0, 6) == "idmap=" ||
				    o.substr(0, 7) == "ridmap=")
					idmap = idmap.value_or(i);
			}
			if (!uid && !gid && !idmap)
				return;
			if (idmap && opts[*idmap].find('=') != std::string::npos) {
				rr.deny(at / "options" / *idmap,
				        "mount option \"" + opts[*idmap] +
				                "\" carries its own ID mappings, which bulkhead "
				                "does "
				                "not read",
				        kIdmapRemedy);
				return;
			}
			if (uid)
				judgeIdmap(rr, *uid, at / "uidMappings", "the mount's uidMappings");
			if (gid)
				judgeIdmap(rr, *gid, at / "gidMappings", "the mount's gidMappings");
			if (uid || gid)
				return;
			/* runc >= 1.2 and crun map an idmap mount without mappings of its own
			 * with the container's user namespace mappings. */
			Value *linux = paths::member(rr.doc, "linux", Type::Object, Pointer());
			const Value *cu = linux ? paths::member(*linux, "uidMappings", Type::Array,
			                                        Pointer() / "linux")
			                        : nullptr;
			const Value *cg = linux ? paths::member(*linux, "gidMappings", Type::Array,
			                                        Pointer() / "linux")
			                        : nullptr;
			if (!cu || !cg || cu->items().empty() || cg->items().empty()) {
				rr.deny(at / "options" / *idmap,
				        "mount option " + opts[*idmap] +
				                " maps with the container's user namespace "
				                "mappings, "
				                "which the spec does not give",
				        kIdmapRemedy);
				return;
			}
			std::string what = "mount option " + opts[*idmap] +
			                   " (the container's own mappings, linux.";
			judgeIdmap(rr, *cu, Pointer() / "linux" / "uidMappings",
			           what + "uidMappings)", at / "options" / *idmap);
			judgeIdmap(rr, *cg, Pointer() / "linux" / "gidMappings",
			           what + "gidMappings)", at / "options" / *idmap);
		});
	});
}

} // namespace

std::vector<RuleDef> mountOptionsRules()
{
	return {
	        {"P10.propagation",
	         "no shared or rshared mount propagation (rootfsPropagation and mount options)",
	         {Scope::Spec},
	         {},
	         &propagation},
	        {"P10.bind-options",
	         "nosuid,nodev in effect on every bind mount (a later suid/dev cancels them)",
	         {Scope::Spec},
	         {},
	         &bindOptions},
	        {"P10.proc-sys-mounts",
	         "no mounts over /proc or /sys other than the standard ones, and no kernel "
	         "filesystem (a second proc or sysfs) anywhere else",
	         {Scope::Spec},
	         {{"allowed", ParamKind::StringList, "allowed TYPE:DESTINATION pairs",
	           Widens::More},
	          {"kernelFilesystems", ParamKind::StringList,
	           "filesystem types mounted only at an allowed TYPE:DESTINATION", Widens::Less}},
	         &procSysMounts},
	        {"P10.idmapped-mounts",
	         "no ID-mapped mount (mounts[].uidMappings/gidMappings, idmap, ridmap) whose "
	         "mappings cover host ID 0 or hand on-disk ID 0 to the container",
	         {Scope::Spec},
	         {},
	         &idmappedMounts},
	};
}

} // namespace bulkhead::policy
