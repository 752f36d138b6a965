/* P10: mounts. Engine sockets and sensitive host trees judged by device+inode
 * after following links, per-container engine files only for this container,
 * bind sources and overlay layers on no kernel filesystem, no shared
 * propagation, nosuid,nodev on every bind mount, nothing over /proc or /sys but
 * the standard mounts and no kernel filesystem anywhere else, no ID-mapped
 * mount that hands host root's files to the container. Options are read as the
 * kernel receives them after runc joins them (paths::mountOptions). */
#include "paths_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/mount.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

/* A mount's host path to judge: a bind source, an absolute device source, or an
 * overlay layer directory. */
struct Source
{
	Pointer at;
	std::string what; /* "mount source", "overlay lowerdir", ... */
	std::string raw;
	std::string path; /* as the kernel will resolve it: absolute */
	bool readOnly = false;
};

/* Filesystems whose mount source the kernel ignores. */
bool pseudoFs(std::string_view type)
{
	for (const char *t :
	     {"proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "ramfs",
	      "securityfs", "debugfs", "tracefs", "bpf", "hugetlbfs", "configfs", "pstore",
	      "efivarfs", "binfmt_misc", "devtmpfs", "fusectl"})
		if (type == t)
			return true;
	return false;
}

/* Call fn(mount, pointer) for each mount; malformed entries throw. */
template <typename F> void eachMount(Value &doc, F &&fn)
{
	Value *mounts = paths::member(doc, "mounts", Type::Array, Pointer());
	if (!mounts)
		return;
	Pointer base = Pointer() / "mounts";
	for (size_t i = 0; i < mounts->items().size(); i++) {
		Value &m = mounts->items()[i];
		if (!m.isObject())
			throw paths::Malformed{base / i, "mount is not an object"};
		fn(m, base / i);
	}
}

std::string mountType(const Value &m, const Pointer &at)
{
	auto t = paths::stringMember(m, "type", at);
	return t ? *t : std::string();
}

/* The rootfs directory as runc 1.1.5 computes it (root.path joined to the
 * bundle and cleaned). runc init works there while it mounts, so the kernel
 * resolves a relative overlay layer against it. */
std::optional<std::string> rootfsDir(const Value &doc, const CallContext &call)
{
	const Value *root = paths::member(doc, "root", Type::Object, Pointer());
	auto p = root ? paths::stringMember(*root, "path", Pointer() / "root") : std::nullopt;
	auto abs = paths::resolveAgainst(p.value_or(""), call.bundle);
	if (!abs)
		return std::nullopt;
	return paths::normalize(*abs);
}

/* Host paths a mount exposes. Relative paths that cannot be placed throw. */
std::vector<Source> hostSources(const Value &doc, const Value &m, const Pointer &at,
                                const CallContext &call)
{
	std::vector<Source> out;
	auto opts = paths::mountOptions(m, at);
	auto eff = paths::parseOptions(opts);
	std::string type = mountType(m, at);
	auto src = paths::stringMember(m, "source", at);
	if (paths::isBind(m, opts)) {
		if (!src || src->empty())
			throw paths::Malformed{at, "bind mount without a source"};
		/* runc joins a relative source to the bundle and cleans it. */
		auto r = paths::resolveAgainst(*src, call.bundle);
		if (!r)
			throw paths::Malformed{at / "source", "relative mount source \"" + *src +
			                                              "\" with an unknown bundle "
			                                              "directory"};
		out.push_back(Source{at / "source", "mount source", *src,
		                     src->front() == '/' ? *r : paths::normalize(*r),
		                     eff.readOnly});
	} else if (src && !src->empty() && src->front() == '/' && !pseudoFs(type)) {
		/* a block device or a host path */
		out.push_back(Source{at / "source", "mount source", *src, *src, eff.readOnly});
	}
	if (eff.bind || type != "overlay")
		return out;
	std::vector<std::string> data;
	for (size_t k : eff.data)
		data.push_back(opts[k]);
	auto ov = mount::overlay(data);
	if (!ov.unknown.empty())
		throw paths::Malformed{at / "options" / eff.data[ov.unknown.front()],
		                       "overlay option \"" + data[ov.unknown.front()] +
		                               "\" is unknown to bulkhead (overlayfs refuses "
		                               "unknown options)"};
	std::optional<std::string> rootfs;
	for (const auto &layer : ov.layers) {
		Pointer p = at / "options" / eff.data[layer.option];
		for (const auto &path : layer.paths) {
			if (path.empty())
				continue; /* the kernel refuses it ("empty lowerdir") */
			std::string abs = path;
			if (path.front() != '/') {
				if (!rootfs)
					rootfs = rootfsDir(doc, call);
				if (!rootfs)
					throw paths::Malformed{
					        p, "relative overlay " + layer.key + " \"" + path +
					                   "\" with an unknown rootfs"};
				abs = *rootfs + "/" + path; /* the kernel resolves it as written */
			}
			out.push_back(Source{p, "overlay " + layer.key, path, abs, false});
		}
	}
	return out;
}

/* Every host path the spec's mounts expose. */
std::vector<Source> allSources(Value &doc, const CallContext &call)
{
	std::vector<Source> out;
	eachMount(doc, [&](Value &m, const Pointer &at) {
		auto part = hostSources(doc, m, at, call);
		out.insert(out.end(), part.begin(), part.end());
	});
	return out;
}

using paths::forms;
using paths::Target;
using paths::targets;

/* ---- P10.engine-socket ---- */

const char *const kSocketRemedy =
        "do not mount the engine socket (docker run -v /var/run/docker.sock, k8s hostPath); "
        "use a socket proxy that allowlists API calls";

void engineSocket(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto sources = allSources(rr.doc, rr.call);
		if (sources.empty())
			return;
		auto sockets =
		        targets(rr.host, rr.paramList("sockets", paths::defaultEngineSockets()));
		for (const auto &src : sources) {
			auto hp = paths::inspect(rr.host, src.path);
			for (const auto &s : sockets) {
				std::string why;
				for (const auto &f : forms(hp)) {
					if (f == s.lexical || (s.real && f == *s.real))
						why = "is";
					else if (paths::isStrictlyUnder(s.lexical, f) ||
					         (s.real && paths::isStrictlyUnder(*s.real, f)))
						why = "contains";
					if (!why.empty())
						break;
				}
				if (why.empty() && hp.st && s.id && hp.st->id == *s.id)
					why = "is the same file (device+inode) as";
				if (why.empty() && hp.st &&
				    std::find(s.ancestorIds.begin(), s.ancestorIds.end(),
				              hp.st->id) != s.ancestorIds.end())
					why = "is the same directory (device+inode) as a "
					      "parent of";
				if (why.empty())
					continue;
				rr.deny(src.at,
				        src.what + " " + src.raw + " " + why + " engine socket " +
				                s.lexical,
				        kSocketRemedy);
				break;
			}
		}
	});
}

/* ---- P10.sensitive-mount ---- */

const char *const kSensitiveRemedy =
        "mount a dedicated directory or a named volume instead of a host system path "
        "(docker run -v VOLUME:/path; k8s emptyDir or a PersistentVolumeClaim instead of "
        "hostPath)";

bool excepted(const std::string &path, const std::vector<std::string> &allow,
              const std::vector<std::string> &containerPaths, const paths::EngineIds &ids)
{
	for (const auto &t : allow)
		if (paths::matchesTemplate(path, t, ids))
			return true;
	for (const auto &t : containerPaths)
		if (paths::matchesTemplate(path, t, ids))
			return true;
	return false;
}

/* The path lies below the fixed part of a {podUid} or {sandboxId} template
 * (/var/lib/kubelet/pods/...): a refusal there may be for want of a proof. */
bool underPodTemplate(const std::string &path, const std::vector<std::string> &containerPaths)
{
	for (const auto &t : containerPaths) {
		size_t at = std::min(t.find("{podUid}"), t.find("{sandboxId}"));
		if (at != std::string::npos && at > 1 &&
		    paths::isStrictlyUnder(path, paths::normalize(t.substr(0, at))))
			return true;
	}
	return false;
}

/* Host files engines mount read-only on purpose: docker run --init, podman --init. */
const std::vector<std::string> kReadOnlyFiles = {
        "/usr/bin/docker-init",
        "/usr/libexec/docker/docker-init",
        "/usr/libexec/podman/catatonit",
};

/* The source is exactly one of the listed files, as written and as resolved. */
bool isListedFile(const paths::HostPath &hp, const std::vector<std::string> &files)
{
	auto listed = [&](const std::string &p) {
		return std::find(files.begin(), files.end(), p) != files.end();
	};
	return listed(hp.lexical) && (!hp.real || listed(*hp.real));
}

/* Why a lexical form is sensitive, "" when it is not. */
std::string sensitiveWhy(const std::string &f, const Target &t)
{
	for (const std::string *tp : {&t.lexical, t.real ? &*t.real : nullptr}) {
		if (!tp)
			continue;
		if (f == *tp)
			return "is sensitive host path " + t.lexical;
		if (paths::isStrictlyUnder(*tp, f))
			return "is a parent of sensitive host path " + t.lexical;
		if (*tp != "/" && paths::isStrictlyUnder(f, *tp))
			return "is inside sensitive host path " + t.lexical;
	}
	return {};
}

/* Host filesystems no bind source or overlay layer may lie on: kernel
 * interfaces (proc, sysfs, debugfs, ...), the host's own device, terminal,
 * message-queue and namespace filesystems, and the cgroup hierarchies.
 * hugetlbfs and tmpfs hold files like a disk (Kubernetes' hugepages emptyDir is
 * a hugetlbfs bound into the container): their paths are judged instead. */
const std::vector<std::string> kSourceFilesystems = {
        "proc",      "sysfs",   "devtmpfs",    "devpts", "debugfs", "tracefs",  "securityfs",
        "selinuxfs", "smackfs", "bpf",         "cgroup", "cgroup2", "configfs", "efivarfs",
        "fusectl",   "pstore",  "binfmt_misc", "nsfs",   "mqueue",
};

/* Why the host path lies on a refused filesystem, "" when it does not. */
std::string kernelFsWhy(const HostFacts &host, const std::string &path,
                        const std::vector<std::string> &refused)
{
	auto m = host.mountOf(path);
	if (!m)
		return "lies on a filesystem bulkhead cannot identify (the host mount table "
		       "cannot be read)";
	for (const std::string *t : {&m->kernelType, &m->fstype})
		if (!t->empty() && std::find(refused.begin(), refused.end(), *t) != refused.end())
			return "lies on the host's " + *t + " filesystem (mounted at " + m->target +
			       ", " + m->propagation + ")";
	return {};
}

void sensitiveMount(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto sources = allSources(rr.doc, rr.call);
		if (sources.empty())
			return;
		auto sensitive = targets(
		        rr.host, rr.paramList("sensitivePaths", paths::defaultSensitivePaths()));
		auto roFiles = rr.paramList("readOnlyFiles", kReadOnlyFiles);
		auto allow = rr.paramList("allowPrefixes", paths::defaultAllowPrefixes());
		auto containerPaths =
		        rr.paramList("containerPaths", paths::defaultContainerPaths());
		auto kernelFs = rr.paramList("sourceFilesystems", kSourceFilesystems);
		auto ids = paths::engineIds(rr.doc, rr.call, rr.host);
		/* Templates with {id} matched against any ID: tells "another container's
		 * files" apart in the message. */
		paths::EngineIds anyId;
		for (const auto &src : sources) {
			auto hp = paths::inspect(rr.host, src.path);
			if (src.readOnly && isListedFile(hp, roFiles))
				continue;
			std::string why;
			bool allExcepted = true;
			for (const auto &f : forms(hp)) {
				if (excepted(f, allow, containerPaths, ids))
					continue;
				allExcepted = false;
				for (const auto &t : sensitive) {
					why = sensitiveWhy(f, t);
					if (!why.empty()) {
						if (f != hp.lexical)
							why = "resolves to " + f + ", which " + why;
						break;
					}
				}
				if (!why.empty())
					break;
			}
			if (why.empty() && !allExcepted && hp.st) {
				for (const auto &t : sensitive) {
					if ((t.id && hp.st->id == *t.id) ||
					    std::find(t.ancestorIds.begin(), t.ancestorIds.end(),
					              hp.st->id) != t.ancestorIds.end()) {
						why = "is the same directory "
						      "(device+inode) as " +
						      t.lexical + " or one of its parents";
						break;
					}
				}
				for (const auto &a :
				     paths::ancestors(hp.real ? *hp.real : hp.lexical)) {
					if (!why.empty())
						break;
					if (a == "/")
						continue;
					auto st = rr.host.stat(a);
					for (const auto &t : sensitive) {
						if (st && t.id && t.lexical != "/" &&
						    st->id == *t.id) {
							why = "lies in " + a +
							      ", the same directory "
							      "(device+inode) "
							      "as sensitive host path " +
							      t.lexical;
							break;
						}
					}
				}
			}
			for (const auto &tmpl : containerPaths) {
				paths::EngineIds probe = anyId;
				if (why.empty())
					break;
				if (tmpl.find("{id}") != std::string::npos &&
				    paths::matchesTemplate(hp.lexical, tmpl, probe)) {
					why += " (engine files of another container, not "
					       "of " +
					       (rr.call.containerId.empty()
					                ? std::string("this one")
					                : rr.call.containerId) +
					       ")";
					break;
				}
			}
			/* Whatever its path: the filesystem it lives on. */
			if (why.empty() && hp.st)
				why = kernelFsWhy(rr.host, src.path, kernelFs);
			if (why.empty())
				continue;
			if (!ids.unproven.empty() && underPodTemplate(hp.lexical, containerPaths))
				why += " (the pod is not proven: " + ids.unproven + ")";
			rr.deny(src.at, src.what + " " + src.raw + " " + why, kSensitiveRemedy);
		}
	});
}

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

const std::vector<std::string> kStandardProcSys = {
        "proc:/proc",
        "sysfs:/sys",
        "cgroup:/sys/fs/cgroup",
        "cgroup2:/sys/fs/cgroup",
};

/* Kernel filesystems a spec may mount only at an allowed TYPE:DESTINATION: a
 * second proc or sysfs elsewhere carries none of the masks runc applies under
 * /proc and /sys. */
const std::vector<std::string> kKernelFilesystems = {
        "proc",      "sysfs",   "devtmpfs", "debugfs",     "tracefs", "securityfs",
        "selinuxfs", "smackfs", "bpf",      "cgroup",      "cgroup2", "configfs",
        "efivarfs",  "fusectl", "pstore",   "binfmt_misc",
};

void procSysMounts(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto allowed = rr.paramList("allowed", kStandardProcSys);
		auto kernelFs = rr.paramList("kernelFilesystems", kKernelFilesystems);
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

std::vector<RuleDef> mountsRules()
{
	return {
	        {"P10.engine-socket",
	         "no mount of an engine socket (Docker, containerd, CRI-O, Podman), judged by "
	         "device+inode after following links, nor of a directory that holds one",
	         {Scope::Spec},
	         {{"sockets", ParamKind::StringList, "engine socket paths"}},
	         &engineSocket},
	        {"P10.sensitive-mount",
	         "no mount of a sensitive host tree, an ancestor of one or anything inside one, "
	         "except this container's own engine files and named volumes; no bind source or "
	         "overlay layer on a kernel filesystem",
	         {Scope::Spec},
	         {{"sensitivePaths", ParamKind::StringList, "protected host trees"},
	          {"allowPrefixes", ParamKind::StringList,
	           "directories below which mounts are allowed (named volumes)"},
	          {"readOnlyFiles", ParamKind::StringList,
	           "host files allowed when mounted read-only (docker-init, catatonit)"},
	          {"containerPaths", ParamKind::StringList,
	           "per-container engine directories: templates with {id}, {podUid}, {sandboxId}, "
	           "{remap}"},
	          {"sourceFilesystems", ParamKind::StringList,
	           "host filesystem types no bind source or overlay layer may lie on"}},
	         &sensitiveMount},
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
