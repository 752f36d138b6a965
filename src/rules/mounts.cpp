/* P10: mounts. Engine sockets and sensitive host trees judged by device+inode
 * after following links, per-container engine files only for this container,
 * bind sources and overlay layers on no kernel filesystem, no shared
 * propagation, nosuid,nodev on every bind mount, nothing over /proc or /sys but
 * the standard mounts and no kernel filesystem anywhere else, no ID-mapped
 * mount that hands host root's files to the container. Options are read as the
 * kernel receives them after runc joins them (paths::mountOptions). */
#include "mounts_util.h"
#include "paths_util.h"

#include <algorithm>
#include <iterator>

#include "bulkhead/error.h"
#include "bulkhead/mount.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using namespace mounts;

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
		out.insert(out.end(), std::make_move_iterator(part.begin()),
		           std::make_move_iterator(part.end()));
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
			const auto hp = paths::inspect(rr.host, src.path);
			const auto fs = forms(hp);
			for (const auto &s : sockets) {
				std::string why;
				for (const auto &f : fs) {
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
const std::vector<std::string> &readOnlyFilesList()
{
	static const std::vector<std::string> v = {
	        "/usr/bin/docker-init",
	        "/usr/libexec/docker/docker-init",
	        "/usr/libexec/podman/catatonit",
	};
	return v;
}

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
const std::vector<std::string> &sourceFilesystemsList()
{
	static const std::vector<std::string> v = {
	        "proc",    "sysfs",       "devtmpfs",  "devpts",   "debugfs",
	        "tracefs", "securityfs",  "selinuxfs", "smackfs",  "bpf",
	        "cgroup",  "cgroup2",     "configfs",  "efivarfs", "fusectl",
	        "pstore",  "binfmt_misc", "nsfs",      "mqueue",
	};
	return v;
}

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
		auto roFiles = rr.paramList("readOnlyFiles", readOnlyFilesList());
		auto allow = rr.paramList("allowPrefixes", paths::defaultAllowPrefixes());
		auto containerPaths =
		        rr.paramList("containerPaths", paths::defaultContainerPaths());
		auto kernelFs = rr.paramList("sourceFilesystems", sourceFilesystemsList());
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
	};
}

} // namespace bulkhead::policy
