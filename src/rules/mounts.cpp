/* P10: mounts. Engine sockets and sensitive host trees judged by device+inode
 * after following links, per-container engine files only for this container,
 * no shared propagation, nosuid,nodev on every bind mount, nothing over /proc
 * or /sys but the standard mounts. */
#include "paths_util.h"

#include <algorithm>

#include "bulkhead/error.h"
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
	std::string raw;
	std::string path; /* resolved against the bundle, normalised */
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

bool readOnly(const std::vector<std::string> &opts)
{
	bool ro = false;
	for (const auto &o : opts) {
		if (o == "ro" || o == "rro")
			ro = true;
		else if (o == "rw" || o == "rrw" || o == "defaults")
			ro = false;
	}
	return ro;
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

std::vector<std::string> splitLowerdir(std::string_view v)
{
	std::vector<std::string> out;
	std::string cur;
	for (size_t i = 0; i < v.size(); i++) {
		if (v[i] == '\\' && i + 1 < v.size()) {
			cur += v[++i];
		} else if (v[i] == ':') {
			out.push_back(cur);
			cur.clear();
		} else {
			cur += v[i];
		}
	}
	out.push_back(cur);
	return out;
}

/* Host paths a mount exposes. Relative paths with an unknown bundle throw. */
std::vector<Source> hostSources(const Value &m, const Pointer &at, const CallContext &call)
{
	std::vector<Source> out;
	auto opts = paths::mountOptions(m, at);
	auto add = [&](const Pointer &p, const std::string &raw) {
		if (raw.empty())
			throw paths::Malformed{p, "empty mount source"};
		auto r = paths::resolveAgainst(raw, call.bundle);
		if (!r)
			throw paths::Malformed{p, "relative mount source \"" + raw +
			                                  "\" with an unknown bundle directory"};
		out.push_back(Source{p, raw, *r, readOnly(opts)});
	};
	std::string type = mountType(m, at);
	auto src = paths::stringMember(m, "source", at);
	if (paths::isBind(m, opts)) {
		if (!src)
			throw paths::Malformed{at, "bind mount without a source"};
		add(at / "source", *src);
	} else if (src && !src->empty() && src->front() == '/' && !pseudoFs(type)) {
		add(at / "source", *src); /* a block device or a host path */
	}
	if (type == "overlay") {
		for (size_t i = 0; i < opts.size(); i++) {
			for (const char *key : {"lowerdir=", "upperdir=", "workdir="}) {
				std::string_view o = opts[i];
				std::string_view k = key;
				if (o.substr(0, k.size()) != k)
					continue;
				for (auto &d : splitLowerdir(o.substr(k.size())))
					add(at / "options" / i, d);
			}
		}
	}
	return out;
}

/* Every host path the spec's mounts expose. */
std::vector<Source> allSources(Value &doc, const CallContext &call)
{
	std::vector<Source> out;
	eachMount(doc, [&](Value &m, const Pointer &at) {
		auto part = hostSources(m, at, call);
		out.insert(out.end(), part.begin(), part.end());
	});
	return out;
}

/* A path on the host the policy protects: its forms and identities. */
struct Target
{
	std::string lexical;
	std::optional<std::string> real;
	std::optional<FileId> id;
	std::vector<FileId> ancestorIds; /* of real (or lexical) path's ancestors */
};

std::vector<Target> targets(const HostFacts &host, const std::vector<std::string> &list)
{
	std::vector<Target> out;
	for (const auto &p : list) {
		if (p.empty() || p.front() != '/' || paths::hasNul(p))
			continue; /* policy validate refuses these; never match on them */
		Target t;
		t.lexical = paths::normalize(p);
		t.real = host.realpath(t.lexical);
		if (t.real)
			*t.real = paths::normalize(*t.real);
		if (auto st = host.stat(t.lexical))
			t.id = st->id;
		for (const auto &a : paths::ancestors(t.real ? *t.real : t.lexical))
			if (auto st = host.stat(a))
				t.ancestorIds.push_back(st->id);
		out.push_back(std::move(t));
	}
	return out;
}

/* The lexical forms of a source: as written (normalised), with /proc/PID/root
 * stripped, and what it resolves to. */
std::vector<std::string> forms(const paths::HostPath &hp)
{
	std::vector<std::string> f{hp.lexical};
	std::string stripped = paths::stripProcRoot(hp.lexical);
	if (stripped != hp.lexical)
		f.push_back(stripped);
	if (hp.real && *hp.real != hp.lexical)
		f.push_back(*hp.real);
	return f;
}

/* ---- P10.engine-socket ---- */

const std::vector<std::string> kDefaultSockets = {
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/run/containerd/containerd.sock",
        "/var/run/containerd/containerd.sock",
        "/run/containerd/containerd.sock.ttrpc",
        "/run/docker/containerd/containerd.sock",
        "/var/run/docker/containerd/containerd.sock",
        "/run/crio/crio.sock",
        "/var/run/crio/crio.sock",
        "/run/podman/podman.sock",
        "/var/run/podman/podman.sock",
        "/run/buildkit/buildkitd.sock",
        "/run/dockershim.sock",
        "/var/run/dockershim.sock",
        "/run/cri-dockerd.sock",
        "/var/run/cri-dockerd.sock",
};

const char *const kSocketRemedy =
        "do not mount the engine socket (docker run -v /var/run/docker.sock, k8s hostPath); "
        "use a socket proxy that allowlists API calls";

void engineSocket(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto sources = allSources(rr.doc, rr.call);
		if (sources.empty())
			return;
		auto sockets = targets(rr.host, rr.paramList("sockets", kDefaultSockets));
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
				        "mount source " + src.raw + " " + why + " engine socket " +
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
			if (why.empty())
				continue;
			for (const auto &tmpl : containerPaths) {
				paths::EngineIds probe = anyId;
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
			if (!ids.unproven.empty() && underPodTemplate(hp.lexical, containerPaths))
				why += " (the pod is not proven: " + ids.unproven + ")";
			rr.deny(src.at, "mount source " + src.raw + " " + why, kSensitiveRemedy);
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

void procSysMounts(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto allowed = rr.paramList("allowed", kStandardProcSys);
		eachMount(rr.doc, [&](Value &m, const Pointer &at) {
			auto dest = paths::stringMember(m, "destination", at);
			if (!dest)
				throw paths::Malformed{at, "mount without a destination"};
			std::string d = paths::normalize("/" + *dest);
			if (!paths::isSameOrUnder(d, "/proc") && !paths::isSameOrUnder(d, "/sys"))
				return;
			auto opts = paths::mountOptions(m, at);
			std::string type = paths::isBind(m, opts) ? "bind" : mountType(m, at);
			std::string key = type + ":" + d;
			if (std::find(allowed.begin(), allowed.end(), key) != allowed.end())
				return;
			rr.deny(at / "destination",
			        "mount " + key +
			                " over /proc or /sys is not one of the standard mounts",
			        "drop the mount (docker run -v/--mount, k8s hostPath or "
			        "volumeMounts "
			        "under /proc or /sys)");
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
	         "except this container's own engine files and named volumes",
	         {Scope::Spec},
	         {{"sensitivePaths", ParamKind::StringList, "protected host trees"},
	          {"allowPrefixes", ParamKind::StringList,
	           "directories below which mounts are allowed (named volumes)"},
	          {"readOnlyFiles", ParamKind::StringList,
	           "host files allowed when mounted read-only (docker-init, catatonit)"},
	          {"containerPaths", ParamKind::StringList,
	           "per-container engine directories: templates with {id}, {podUid}, {sandboxId}, "
	           "{remap}"}},
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
	         "no mounts over /proc or /sys other than the standard ones",
	         {Scope::Spec},
	         {{"allowed", ParamKind::StringList, "allowed TYPE:DESTINATION pairs"}},
	         &procSysMounts},
	};
}

} // namespace bulkhead::policy
