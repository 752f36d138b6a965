#include "paths_util.h"
#include "userns_util.h"

#include <algorithm>

namespace bulkhead::policy::userns {

using json::Type;

/* The engine setting that gives this container a user namespace: the engine is
 * told apart by its annotations, its storage and Docker's hook. */
std::string usernsRemedy(const Value &doc)
{
	auto has = [&](std::string_view prefix) {
		const Value *a = doc.isObject() ? doc.find("annotations") : nullptr;
		if (!a || !a->isObject())
			return false;
		return std::any_of(a->members().begin(), a->members().end(),
		                   [&](const Value::Member &m) {
			                   return m.first.compare(0, prefix.size(), prefix) == 0;
		                   });
	};
	const Value *root = doc.isObject() ? doc.find("root") : nullptr;
	const Value *rp = root && root->isObject() ? root->find("path") : nullptr;
	std::string rootPath = rp && rp->isString() ? paths::normalize(rp->asString()) : "";
	/* Podman sets io.kubernetes.cri-o.* annotations too: test it first. */
	if (paths::annotation(doc, "io.container.manager") == "libpod")
		return "podman run --userns=auto (or --uidmap)";
	if (has("io.kubernetes.pod.") || has("io.kubernetes.cri.") ||
	    has("io.kubernetes.cri-o.SandboxID") || has("io.kubernetes.container."))
		return "Kubernetes pod spec hostUsers: false (honoured from Kubernetes 1.30 with "
		       "containerd 1.7/2.0 or CRI-O 1.25; containerd 1.6 ignores it: on such nodes "
		       "a site policy extending restricted can audit P5.userns for CRI pods)";
	if (paths::isStrictlyUnder(rootPath, "/var/lib/containers/storage"))
		return "podman run --userns=auto (or --uidmap)";
	/* Docker's own prestart hook names it, whatever its data-root. */
	bool dockerHook = false;
	const Value *hooks = doc.isObject() ? doc.find("hooks") : nullptr;
	if (hooks && hooks->isObject())
		for (const auto &stage : hooks->members())
			if (stage.second.isArray())
				for (const auto &h : stage.second.items()) {
					const Value *args = h.isObject() ? h.find("args") : nullptr;
					if (args && args->isArray() && !args->items().empty() &&
					    args->items()[0].isString() &&
					    args->items()[0].asString() == "libnetwork-setkey")
						dockerHook = true;
				}
	if (dockerHook || paths::isStrictlyUnder(rootPath, "/var/lib/docker"))
		return "dockerd --userns-remap=default (daemon.json \"userns-remap\": \"default\")";
	return paths::kUsernsRemedy;
}

/* Why an engine's own storage is out of reach, when the path is in it. */
std::string engineHint(const std::string &path)
{
	if (paths::isStrictlyUnder(path, "/var/lib/docker"))
		return " (Docker keeps /var/lib/docker 0710 root:root: its containers need "
		       "dockerd --userns-remap)";
	if (paths::isStrictlyUnder(path, "/var/lib/containers/storage"))
		return " (Podman keeps /var/lib/containers/storage 0700 root:root: use podman "
		       "--userns=auto)";
	return {};
}

/* Every directory from / down to (and including) `dir` must be searchable. */
void checkTraversal(const HostFacts &host, const std::string &path, bool includeSelf, uint64_t root,
                    const Pointer &at, const std::string &what, std::vector<Reason> &out)
{
	auto dirs = paths::ancestors(path);
	if (includeSelf)
		dirs.push_back(path);
	for (const auto &d : dirs) {
		auto st = host.stat(d);
		if (!st) {
			out.push_back(
			        {at, what + ": " + d + " cannot be inspected" + engineHint(path)});
			return;
		}
		if (!traversable(*st, root)) {
			std::string why = what + ": " + d + " is " + octal(st->mode) + " " +
			                  std::to_string(st->uid) + ":" + std::to_string(st->gid) +
			                  ", the mapped root (host uid " + std::to_string(root) +
			                  ") cannot traverse it";
			out.push_back({at, why + engineHint(path)});
			return;
		}
	}
}

/* runc creates missing mount points as the mapped root, which cannot write to
 * a rootfs owned by host root ("mkdir ...: permission denied"). Each mount
 * point must exist, unless it lies inside an earlier mount (a tmpfs on /dev
 * holds /dev/pts). */
void checkMountPoints(const HostFacts &host, const Value &doc, const std::string &rootfs,
                      std::vector<Reason> &out)
{
	const Value *mounts = doc.isObject() ? doc.find("mounts") : nullptr;
	if (!mounts || !mounts->isArray())
		return;
	std::vector<std::string> earlier;
	for (size_t i = 0; i < mounts->items().size(); i++) {
		const Value &m = mounts->items()[i];
		const Value *d = m.isObject() ? m.find("destination") : nullptr;
		if (!d || !d->isString() || paths::hasNul(d->asString()))
			continue;
		std::string dest = paths::normalize("/" + d->asString());
		bool inside =
		        std::any_of(earlier.begin(), earlier.end(), [&](const std::string &e) {
			        return paths::isStrictlyUnder(dest, e);
		        });
		earlier.push_back(dest);
		if (inside || dest == "/")
			continue;
		if (!host.lstat(rootfs + dest))
			out.push_back({Pointer() / "mounts" / i / "destination",
			               "mount point " + dest +
			                       " does not exist in the rootfs and the mapped root "
			                       "cannot create it there",
			               "create " + dest +
			                       " in the image (RUN mkdir -p in its Dockerfile), or "
			                       "mount nothing there"});
	}
}

/* ---- what any new user namespace needs, bulkhead's or the engine's ---- */

using HasNs = std::vector<std::string>;

/* proc, sysfs and mqueue mount only in namespaces the user namespace owns. */
void namespaceNeeds(const Value *mounts, const HasNs &present, std::vector<Reason> &out)
{
	auto has = [&](const char *t) {
		return std::find(present.begin(), present.end(), t) != present.end();
	};
	for (size_t i = 0; mounts && i < mounts->items().size(); i++) {
		const Value &m = mounts->items()[i];
		Pointer at = Pointer() / "mounts" / i;
		if (!m.isObject())
			throw paths::Malformed{at, "mount is not an object"};
		auto type = paths::stringMember(m, "type", at).value_or("");
		if (type == "proc" && !has("pid"))
			out.push_back({at, "proc cannot be mounted in a new user namespace "
			                   "without a private pid namespace"});
		if (type == "sysfs" && !has("network"))
			out.push_back({at, "sysfs cannot be mounted in a new user namespace "
			                   "without a private network namespace"});
		if (type == "mqueue" && !has("ipc"))
			out.push_back({at, "mqueue cannot be mounted in a new user namespace "
			                   "without a private ipc namespace"});
	}
}

/* The last of ro/rw (and their recursive forms) wins, as runc applies them. */
bool mountedReadOnly(const std::vector<std::string> &opts)
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

/* A bind-mounted host path shows its owner only when the mapping maps it;
 * otherwise it is nobody:nogroup inside. bulkhead's own namespace must not
 * turn what the spec binds so, except this container's own engine files, which
 * the mapped root must be able to read. An engine's namespace does so by the
 * engine's choice (Docker's remapped hosts and resolv.conf stay root's): there
 * an unmapped bind source must be readable by the mapped root, and a
 * directory bound read-write that the container could not write is refused. */
void bindSources(RuleRun &rr, const Value *mounts, const IdMapping &map, bool engineMapped,
                 std::vector<Reason> &out)
{
	auto ids = paths::engineIds(rr.doc, rr.call, rr.host);
	const auto rootUid = toHost(map.uid, 0);
	const auto rootGid = toHost(map.gid, 0);
	for (size_t i = 0; mounts && i < mounts->items().size(); i++) {
		const Value &m = mounts->items()[i];
		Pointer at = Pointer() / "mounts" / i;
		if (!m.isObject())
			throw paths::Malformed{at, "mount is not an object"};
		auto opts = paths::mountOptions(m, at);
		if (!paths::isBind(m, opts))
			continue;
		auto src = paths::stringMember(m, "source", at);
		auto resolved = src ? paths::resolveAgainst(*src, rr.call.bundle) : std::nullopt;
		if (!resolved) {
			out.push_back({at / "source", "bind mount source cannot be resolved"});
			continue;
		}
		auto hp = paths::inspect(rr.host, *resolved);
		bool engineFile = false;
		for (const auto &t : paths::defaultContainerPaths())
			if (paths::matchesTemplate(hp.lexical, t, ids) &&
			    (!hp.real || paths::matchesTemplate(*hp.real, t, ids)))
				engineFile = true;
		if (!hp.st || !hp.real) {
			out.push_back({at / "source",
			               "bind mount source " + *src + " cannot be inspected"});
			continue;
		}
		if (hostMapped(map.uid, hp.st->uid))
			continue;
		const std::string owner =
		        std::to_string(hp.st->uid) + ":" + std::to_string(hp.st->gid);
		const bool dir = S_ISDIR(hp.st->mode);
		if (!engineFile && (!engineMapped || (dir && !mountedReadOnly(opts) &&
		                                      !writable(*hp.st, rootUid, rootGid)))) {
			out.push_back({at / "source",
			               "bind mount of host path " + *src + " (owner " + owner +
			                       ") would appear as nobody:nogroup in "
			                       "a user namespace" +
			                       (engineMapped ? ", and the container "
			                                       "could not write to it"
			                                     : "")});
			continue;
		}
		if (!readable(*hp.st, rootUid, rootGid) ||
		    (dir && !traversable(*hp.st, rootUid.value_or(UINT64_MAX))))
			out.push_back({at / "source",
			               std::string(engineFile ? "engine file " : "host path ") +
			                       *src + " (mode " + octal(hp.st->mode) + ", owner " +
			                       owner + ") is not readable by the mapped root"});
		/* runc >= 1.1 opens bind sources before it enters the user
		 * namespace: the directories above them need not be searchable
		 * by the mapped root (checked with runc 1.1.5), the rootfs's do. */
	}
}

/* The process runs as IDs the mapping maps. */
void processUser(RuleRun &rr, const IdMapping &map, std::vector<Reason> &out)
{
	const Value *proc = paths::member(rr.doc, "process", Type::Object, Pointer());
	const Value *user =
	        proc ? paths::member(*proc, "user", Type::Object, Pointer() / "process") : nullptr;
	if (!user)
		return;
	Pointer uat = Pointer() / "process" / "user";
	for (const char *k : {"uid", "gid"}) {
		const Value *n = paths::member(*user, k, Type::Number, uat);
		auto v = n ? n->asUint64() : std::optional<uint64_t>(0);
		if (!v || !toHost(k[0] == 'u' ? map.uid : map.gid, *v))
			out.push_back({uat / k, std::string(k) + " " + (n ? n->numberText() : "0") +
			                                " is outside the mapped range"});
	}
	if (const Value *g = paths::member(*user, "additionalGids", Type::Array, uat))
		for (size_t i = 0; i < g->items().size(); i++) {
			auto v = g->items()[i].isNumber() ? g->items()[i].asUint64() : std::nullopt;
			if (!v || !toHost(map.gid, *v))
				out.push_back({uat / "additionalGids" / i,
				               "additional gid outside the mapped range"});
		}
}

/* "START:COUNT" ranges from the policy, for uids and gids alike. */
} // namespace bulkhead::policy::userns
