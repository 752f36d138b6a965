/* P5: a user namespace whose mappings never cover host ID 0. Runs last, on the
 * spec the other rules left. A spec whose engine already maps a user namespace
 * is checked, not rewritten. Otherwise one is added where it can work: no
 * joined namespaces, no bind-mounted host paths that would turn nobody:nogroup,
 * devpts gid mapped, and every directory down to the rootfs traversable by the
 * mapped root (Docker keeps /var/lib/docker 0710 root:root, so Docker needs
 * --userns-remap). Where it cannot work the spec is refused with the reason and
 * the engine setting that fixes it, instead of runc failing later. */
#include "paths_util.h"
#include "sysctl_util.h"

#include <algorithm>
#include <charconv>
#include <sys/stat.h>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

struct Reason
{
	Pointer at;
	std::string why;
};

std::string octal(mode_t m)
{
	return strprintf("%04o", static_cast<unsigned>(m & 07777));
}

/* Can host uid `root` (group `root`) search this directory? Owner bits, else
 * group bits, else other bits, as the kernel checks them for an ID without
 * capabilities over the inode. */
bool traversable(const FileStat &st, uint64_t root)
{
	if (st.uid == root)
		return (st.mode & S_IXUSR) != 0;
	if (st.gid == root)
		return (st.mode & S_IXGRP) != 0;
	return (st.mode & S_IXOTH) != 0;
}

bool readable(const FileStat &st, uint64_t root)
{
	if (st.uid == root)
		return (st.mode & S_IRUSR) != 0;
	if (st.gid == root)
		return (st.mode & S_IRGRP) != 0;
	return (st.mode & S_IROTH) != 0;
}

bool inRange(uint64_t id, uint64_t start, uint64_t size)
{
	return id >= start && id - start < size;
}

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
		return "Kubernetes pod spec hostUsers: false";
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
			                       "cannot create it there (create it in the image)"});
	}
}

/* Checks an engine-provided mapping list: integers, size >= 1, never host ID 0. */
void checkMappings(RuleRun &rr, const Value *list, const char *key, bool required)
{
	Pointer at = Pointer() / "linux" / key;
	if (!list || list->items().empty()) {
		if (required)
			rr.deny(at, std::string("user namespace without ") + key,
			        usernsRemedy(rr.doc));
		return;
	}
	for (size_t i = 0; i < list->items().size(); i++) {
		const Value &m = list->items()[i];
		Pointer mat = at / i;
		if (!m.isObject())
			throw paths::Malformed{mat, "mapping is not an object"};
		uint64_t v[3] = {};
		const char *names[3] = {"containerID", "hostID", "size"};
		for (int k = 0; k < 3; k++) {
			const Value *n = paths::member(m, names[k], Type::Number, mat);
			auto u = n ? n->asUint64() : std::nullopt;
			if (!u || *u > 0xffffffffu)
				throw paths::Malformed{mat / names[k],
				                       "mapping field missing or not "
				                       "a 32-bit unsigned integer"};
			v[k] = *u;
		}
		if (v[2] == 0)
			throw paths::Malformed{mat / "size", "mapping of size 0"};
		if (inRange(0, v[1], v[2]))
			rr.deny(mat / "hostID",
			        std::string(key) + " maps container ID " + std::to_string(v[0]) +
			                " to host ID 0 (host root)",
			        "map to an unprivileged range (dockerd --userns-remap=default; "
			        "podman "
			        "--userns=auto; k8s hostUsers: false)");
	}
}

/* A joined user namespace /proc/PID/ns/user: its own mappings, read from
 * /proc/PID/{uid,gid}_map, must not cover host ID 0. false when they cannot be
 * read (another path form, or the host fact is unavailable). */
bool checkJoined(RuleRun &rr, const std::string &nsPath)
{
	auto parts = paths::components(paths::normalize(nsPath));
	if (parts.size() != 4 || parts[0] != "proc" || parts[2] != "ns" || parts[3] != "user")
		return false;
	pid_t pid = 0;
	auto r = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), pid);
	if (r.ec != std::errc() || r.ptr != parts[1].data() + parts[1].size() || pid <= 0)
		return false;
	Pointer at = Pointer() / "linux" / "namespaces";
	for (bool gid : {false, true}) {
		auto text = rr.host.idMap(pid, gid);
		if (!text)
			return false;
		const char *name = gid ? "gid_map" : "uid_map";
		size_t lines = 0;
		bool root = false;
		std::string_view t = *text;
		while (!t.empty()) {
			size_t nl = t.find('\n');
			std::string_view line = t.substr(0, nl);
			t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
			uint64_t v[3] = {};
			size_t k = 0;
			const char *p = line.data();
			const char *end = line.data() + line.size();
			while (k < 3) {
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
				auto res = std::from_chars(p, end, v[k]);
				if (res.ec != std::errc())
					break;
				p = res.ptr;
				k++;
			}
			if (k == 0)
				continue;
			if (k != 3 || v[2] == 0) {
				rr.deny(at,
				        "cannot parse " + std::string(name) +
				                " of joined user namespace " + nsPath,
				        usernsRemedy(rr.doc));
				return true;
			}
			lines++;
			root = root || inRange(0, v[1], v[2]);
		}
		if (lines == 0 || root)
			rr.deny(at,
			        "joined user namespace " + nsPath + " " +
			                (lines == 0 ? std::string("has no ") + name
			                            : std::string(name) +
			                                      " covers host ID 0 (host root)"),
			        usernsRemedy(rr.doc));
	}
	return true;
}

/* "gid=N" option of the devpts mounts, with its position. */
struct DevptsGid
{
	Value *options;
	size_t index;
	uint64_t gid;
};

std::vector<DevptsGid> devptsGids(Value &doc)
{
	std::vector<DevptsGid> out;
	Value *mounts = paths::member(doc, "mounts", Type::Array, Pointer());
	for (size_t i = 0; mounts && i < mounts->items().size(); i++) {
		Value &m = mounts->items()[i];
		Pointer at = Pointer() / "mounts" / i;
		if (!m.isObject())
			throw paths::Malformed{at, "mount is not an object"};
		auto type = paths::stringMember(m, "type", at);
		if (!type || *type != "devpts")
			continue;
		auto opts = paths::mountOptions(m, at);
		for (size_t k = 0; k < opts.size(); k++) {
			if (opts[k].compare(0, 4, "gid=") != 0)
				continue;
			uint64_t n = 0;
			std::string_view t = std::string_view(opts[k]).substr(4);
			auto r = std::from_chars(t.data(), t.data() + t.size(), n);
			if (r.ec != std::errc() || r.ptr != t.data() + t.size())
				n = UINT64_MAX;
			out.push_back({m.find("options"), k, n});
		}
	}
	return out;
}

void usernsRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		int64_t startP = rr.paramInt("hostIdStart", 100000);
		int64_t sizeP = rr.paramInt("size", 65536);
		bool add = rr.paramBool("add", true);
		if (startP < 1 || sizeP < 1 || startP > 0xffffffffLL ||
		    startP + sizeP > 0x100000000LL)
			throw Error(ErrorKind::Policy,
			            "rule P5.userns: hostIdStart must be >= 1 and hostIdStart+size "
			            "within 32 bits");
		auto start = static_cast<uint64_t>(startP);
		auto size = static_cast<uint64_t>(sizeP);

		Value *linux = paths::member(rr.doc, "linux", Type::Object, Pointer());
		Pointer lat = Pointer() / "linux";
		Value *nsList =
		        linux ? paths::member(*linux, "namespaces", Type::Array, lat) : nullptr;
		const Value *userNs = nullptr;
		std::vector<std::string> present;
		std::vector<Reason> reasons;
		for (size_t i = 0; nsList && i < nsList->items().size(); i++) {
			const Value &ns = nsList->items()[i];
			Pointer at = lat / "namespaces" / i;
			if (!ns.isObject())
				throw paths::Malformed{at, "namespace is not an object"};
			auto type = paths::stringMember(ns, "type", at);
			if (!type)
				throw paths::Malformed{at, "namespace without a type"};
			present.push_back(*type);
			if (*type == "user")
				userNs = &ns;
			auto path = paths::stringMember(ns, "path", at);
			if (path && !path->empty())
				reasons.push_back(
				        {at / "path", "the container joins " + *type +
				                              " namespace " + *path +
				                              ", which a new user namespace "
				                              "would not own"});
		}
		const Value *uidM =
		        linux ? paths::member(*linux, "uidMappings", Type::Array, lat) : nullptr;
		const Value *gidM =
		        linux ? paths::member(*linux, "gidMappings", Type::Array, lat) : nullptr;

		if (userNs) {
			/* The engine maps it: check, never rewrite. */
			auto path = paths::stringMember(*userNs, "path", lat / "namespaces");
			bool joins = path && !path->empty();
			bool checkedJoined = false;
			if (joins)
				checkedJoined = checkJoined(rr, *path);
			if (joins && !checkedJoined && !uidM && !gidM) {
				rr.deny(lat / "namespaces",
				        "joins user namespace " + *path +
				                " whose mappings bulkhead cannot check",
				        usernsRemedy(rr.doc));
				return;
			}
			checkMappings(rr, uidM, "uidMappings", !joins);
			checkMappings(rr, gidM, "gidMappings", !joins);
			return;
		}
		if ((uidM && !uidM->items().empty()) || (gidM && !gidM->items().empty())) {
			rr.deny(lat / (uidM ? "uidMappings" : "gidMappings"),
			        "ID mappings without a user namespace", usernsRemedy(rr.doc));
			return;
		}
		if (!add) {
			rr.deny(lat / "namespaces",
			        "no user namespace: container root is host root",
			        usernsRemedy(rr.doc));
			return;
		}

		/* Feasibility of adding one. */
		auto has = [&](const char *t) {
			return std::find(present.begin(), present.end(), t) != present.end();
		};
		if (!has("mount"))
			reasons.push_back({lat / "namespaces", "no private mount namespace"});
		auto ids = paths::engineIds(rr.doc, rr.call);
		uint64_t root = start; /* host uid and gid of container root */
		Value *mounts = paths::member(rr.doc, "mounts", Type::Array, Pointer());
		for (size_t i = 0; mounts && i < mounts->items().size(); i++) {
			const Value &m = mounts->items()[i];
			Pointer at = Pointer() / "mounts" / i;
			if (!m.isObject())
				throw paths::Malformed{at, "mount is not an object"};
			auto type = paths::stringMember(m, "type", at).value_or("");
			auto opts = paths::mountOptions(m, at);
			if (type == "proc" && !has("pid"))
				reasons.push_back({at,
				                   "proc cannot be mounted in a new user namespace "
				                   "without a private pid namespace"});
			if (type == "sysfs" && !has("network"))
				reasons.push_back(
				        {at, "sysfs cannot be mounted in a new user namespace "
				             "without a private network namespace"});
			if (type == "mqueue" && !has("ipc"))
				reasons.push_back(
				        {at, "mqueue cannot be mounted in a new user namespace "
				             "without a private ipc namespace"});
			if (!paths::isBind(m, opts))
				continue;
			auto src = paths::stringMember(m, "source", at);
			auto resolved =
			        src ? paths::resolveAgainst(*src, rr.call.bundle) : std::nullopt;
			if (!resolved) {
				reasons.push_back(
				        {at / "source", "bind mount source cannot be resolved"});
				continue;
			}
			auto hp = paths::inspect(rr.host, *resolved);
			bool engineFile = false;
			for (const auto &t : paths::defaultContainerPaths())
				if (paths::matchesTemplate(hp.lexical, t, ids) &&
				    (!hp.real || paths::matchesTemplate(*hp.real, t, ids)))
					engineFile = true;
			if (!hp.st || !hp.real) {
				reasons.push_back({at / "source", "bind mount source " + *src +
				                                          " cannot be inspected"});
				continue;
			}
			bool owned = inRange(hp.st->uid, start, size);
			if (!engineFile && !owned) {
				reasons.push_back({at / "source",
				                   "bind mount of host path " + *src + " (owner " +
				                           std::to_string(hp.st->uid) + ":" +
				                           std::to_string(hp.st->gid) +
				                           ") would appear as nobody:nogroup in a "
				                           "user namespace"});
				continue;
			}
			if (!owned && !readable(*hp.st, root))
				reasons.push_back(
				        {at / "source", "engine file " + *src + " (mode " +
				                                octal(hp.st->mode) +
				                                ") is not readable by the "
				                                "mapped root"});
			/* runc >= 1.1 opens bind sources before it enters the user
			 * namespace: the directories above them need not be searchable
			 * by the mapped root (checked with runc 1.1.5), the rootfs's do. */
		}

		/* The process must run as a mapped ID. */
		const Value *proc = paths::member(rr.doc, "process", Type::Object, Pointer());
		const Value *user =
		        proc ? paths::member(*proc, "user", Type::Object, Pointer() / "process")
		             : nullptr;
		if (user) {
			Pointer uat = Pointer() / "process" / "user";
			for (const char *k : {"uid", "gid"}) {
				const Value *n = paths::member(*user, k, Type::Number, uat);
				auto v = n ? n->asUint64() : std::optional<uint64_t>(0);
				if (!v || *v >= size)
					reasons.push_back(
					        {uat / k, std::string(k) + " " +
					                          (n ? n->numberText() : "") +
					                          " is outside the mapped range"});
			}
			if (const Value *g =
			            paths::member(*user, "additionalGids", Type::Array, uat))
				for (size_t i = 0; i < g->items().size(); i++) {
					auto v = g->items()[i].isNumber() ? g->items()[i].asUint64()
					                                  : std::nullopt;
					if (!v || *v >= size)
						reasons.push_back(
						        {uat / "additionalGids" / i,
						         "additional gid outside the mapped "
						         "range"});
				}
		}

		/* The rootfs and every directory above it. */
		const Value *rootV = paths::member(rr.doc, "root", Type::Object, Pointer());
		auto rootPath = rootV ? paths::stringMember(*rootV, "path", Pointer() / "root")
		                      : std::nullopt;
		Pointer rat = Pointer() / "root" / "path";
		auto rootAbs =
		        rootPath ? paths::resolveAgainst(*rootPath, rr.call.bundle) : std::nullopt;
		if (!rootAbs) {
			reasons.push_back({rat, "the rootfs location is unknown"});
		} else {
			auto real = rr.host.realpath(*rootAbs);
			if (!real)
				reasons.push_back(
				        {rat, "rootfs " + *rootAbs + " cannot be inspected" +
				                      engineHint(paths::normalize(*rootAbs))});
			else {
				checkTraversal(rr.host, paths::normalize(*real), true, root, rat,
				               "rootfs " + *rootAbs, reasons);
				checkMountPoints(rr.host, rr.doc, paths::normalize(*real), reasons);
			}
		}

		if (!reasons.empty()) {
			for (const auto &r : reasons)
				rr.deny(r.at, "cannot add a user namespace: " + r.why,
				        usernsRemedy(rr.doc));
			return;
		}

		/* Docker's ping_group_range "0 2147483647" cannot be written in it. */
		const std::vector<sysctl::IdMapping> added = {{0, start, size}};
		const std::string ping = sysctl::pingGroupRangeChange(rr.doc, added);
		rr.fixable(lat / "namespaces",
		           "no user namespace: container root would be host root; adding one "
		           "mapping 0-" +
		                   std::to_string(size - 1) + " to host " + std::to_string(start) +
		                   "-" + std::to_string(start + size - 1) +
		                   (ping.empty() ? "" : " (" + ping + ")"),
		           usernsRemedy(rr.doc), [&rr, start, size, added] {
			           auto mapping = [&] {
				           Value a = Value::array();
				           Value m = Value::object();
				           m.set("containerID", Value::number(uint64_t{0}));
				           m.set("hostID", Value::number(start));
				           m.set("size", Value::number(size));
				           a.push(std::move(m));
				           return a;
			           };
			           Value ns = Value::object();
			           ns.set("type", Value::string("user"));
			           if (!rr.doc.find("linux") || rr.doc.find("linux")->isNull())
				           rr.doc.set("linux", Value::object());
			           Value *l = rr.doc.find("linux");
			           Value *list = l->find("namespaces");
			           if (!list || !list->isArray())
				           list = &l->set("namespaces", Value::array());
			           list->push(std::move(ns));
			           l->set("uidMappings", mapping());
			           l->set("gidMappings", mapping());
			           /* devpts gid=N must name a mapped group; drop it otherwise. */
			           auto devpts = devptsGids(rr.doc);
			           for (auto it = devpts.rbegin(); it != devpts.rend(); ++it)
				           if (it->gid >= size)
					           it->options->items().erase(
					                   it->options->items().begin() +
					                   static_cast<std::ptrdiff_t>(it->index));
			           sysctl::applyPingGroupRange(rr.doc, added);
		           });
	});
}

} // namespace

std::vector<RuleDef> usernsRules()
{
	return {
	        {"P5.userns",
	         "a user namespace whose mappings never cover host ID 0; added where feasible, "
	         "refused with the engine setting otherwise; engine mappings checked, not "
	         "rewritten",
	         {Scope::Spec},
	         {{"hostIdStart", ParamKind::Int, "first host ID of an added mapping"},
	          {"size", ParamKind::Int, "number of IDs of an added mapping"},
	          {"add", ParamKind::Bool,
	           "add a user namespace where feasible (false: refuse specs without one)"}},
	         &usernsRule},
	};
}

} // namespace bulkhead::policy
