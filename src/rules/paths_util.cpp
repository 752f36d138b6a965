#include "paths_util.h"

#include <algorithm>
#include <map>

#include "bulkhead/mount.h"

namespace bulkhead::policy::paths {

const char *const kUsernsRemedy =
        "dockerd --userns-remap=default; podman --userns=auto (or --uidmap); ctr run --uidmap "
        "0:100000:65536 --gidmap 0:100000:65536; Kubernetes pod spec hostUsers: false "
        "(containerd 1.7 and later, CRI-O)";

std::string normalize(std::string_view path)
{
	return util::cleanPath(path);
}

std::optional<std::string> resolveAgainst(std::string_view path, std::string_view bundle)
{
	if (!path.empty() && path.front() == '/')
		return std::string(path);
	if (bundle.empty() || bundle.front() != '/')
		return std::nullopt;
	std::string joined(bundle);
	joined += '/';
	joined += path;
	return joined;
}

bool isStrictlyUnder(std::string_view path, std::string_view dir) noexcept
{
	if (dir == "/")
		return path.size() > 1 && path.front() == '/';
	return path.size() > dir.size() && path.substr(0, dir.size()) == dir &&
	       path[dir.size()] == '/';
}

bool isSameOrUnder(std::string_view path, std::string_view dir) noexcept
{
	return path == dir || isStrictlyUnder(path, dir);
}

std::vector<std::string> components(std::string_view path)
{
	std::vector<std::string> out;
	size_t i = 0;
	while (i < path.size()) {
		size_t j = path.find('/', i);
		if (j == std::string_view::npos)
			j = path.size();
		if (j > i)
			out.emplace_back(path.substr(i, j - i));
		i = j + 1;
	}
	return out;
}

std::vector<std::string> ancestors(std::string_view path)
{
	std::vector<std::string> out;
	if (path.empty() || path.front() != '/' || path == "/")
		return out;
	out.emplace_back("/");
	auto parts = components(path);
	std::string cur;
	for (size_t k = 0; k + 1 < parts.size(); k++) {
		cur += '/';
		cur += parts[k];
		out.push_back(cur);
	}
	return out;
}

bool hasNul(std::string_view s) noexcept
{
	return s.find('\0') != std::string_view::npos;
}

static bool allDigits(std::string_view s) noexcept
{
	return !s.empty() &&
	       std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string stripProcRoot(std::string_view path)
{
	std::string cur = normalize(path);
	if (!cur.starts_with("/proc/"))
		return cur;
	/* Repeat: /proc/1/root/proc/self/root/etc is still /etc. */
	for (int guard = 0; guard < 64; guard++) {
		auto parts = components(cur);
		if (parts.size() < 3 || parts[0] != "proc")
			break;
		size_t rootAt = 0;
		if ((allDigits(parts[1]) || parts[1] == "self" || parts[1] == "thread-self") &&
		    (parts[2] == "root" || parts[2] == "cwd"))
			rootAt = 2;
		else if (parts.size() >= 5 && (allDigits(parts[1]) || parts[1] == "self") &&
		         parts[2] == "task" && (allDigits(parts[3]) || parts[3] == "self") &&
		         (parts[4] == "root" || parts[4] == "cwd"))
			rootAt = 4;
		if (rootAt == 0)
			break;
		std::string next = "/";
		for (size_t k = rootAt + 1; k < parts.size(); k++) {
			if (next.size() > 1)
				next += '/';
			next += parts[k];
		}
		cur = next;
	}
	return cur;
}

HostPath inspect(const HostFacts &host, const std::string &path)
{
	HostPath hp;
	hp.lexical = normalize(path);
	/* The kernel resolves ".." after following links: ask the host about the
	 * path as written, judge the lexical form separately. */
	hp.real = host.realpath(path);
	if (hp.real)
		*hp.real = normalize(*hp.real);
	hp.st = host.stat(path);
	return hp;
}

MountOptions parseOptions(const std::vector<std::string> &options)
{
	mount::Effect e = mount::effect(options);
	MountOptions m;
	m.nosuid = e.nosuid;
	m.nodev = e.nodev;
	m.bind = e.bind;
	m.readOnly = e.readOnly;
	m.propagation = std::move(e.propagation);
	m.data = std::move(e.data);
	return m;
}

std::vector<std::string> mountOptions(const json::Value &mount, const json::Pointer &at)
{
	std::vector<std::string> out;
	const json::Value *opts = member(mount, "options", json::Type::Array, at);
	if (!opts)
		return out;
	size_t i = 0;
	for (const auto &o : opts->items()) {
		if (!o.isString())
			throw Malformed{at / "options" / i, "mount option is not a string"};
		if (hasNul(o.asString()))
			throw Malformed{at / "options" / i, "mount option contains NUL"};
		out.push_back(o.asString());
		i++;
	}
	const json::Value *t = mount.find("type");
	/* Several rules ask about the same mounts: the verdict on a (type,
	 * options) pair, a pure function of them, is worked out once (per
	 * thread: `policy check` judges on several). The options lend
	 * themselves to the key and come back out of it. */
	static thread_local std::map<std::pair<std::string, std::vector<std::string>>, std::string>
	        seen;
	auto key =
	        std::make_pair(t && t->isString() ? t->asString() : std::string(), std::move(out));
	auto it = seen.find(key);
	if (it == seen.end()) {
		if (seen.size() >= 1024) /* one spec has a few dozen; a fuzzer, millions */
			seen.clear();
		/* What the filesystem receives: the data options, joined by runc. */
		const auto &[rawType, options] = key;
		auto e = mount::effect(options);
		std::vector<std::string> data;
		for (size_t k : e.data)
			data.push_back(options[k]);
		const std::string type = e.bind ? std::string() : rawType;
		it = seen.emplace(key, mount::splitProblem(type, data)).first;
	}
	if (!it->second.empty())
		throw Malformed{at / "options", it->second};
	return std::move(key.second);
}

bool isBind(const json::Value &mount, const std::vector<std::string> &options)
{
	const json::Value *t = mount.isObject() ? mount.find("type") : nullptr;
	if (t && t->isString() && t->asString() == "bind")
		return true;
	return std::any_of(options.begin(), options.end(),
	                   [](const std::string &o) { return o == "bind" || o == "rbind"; });
}

static std::vector<Target> inspectTargets(const HostFacts &host,
                                          const std::vector<std::string> &list)
{
	std::vector<Target> out;
	for (const auto &p : list) {
		if (p.empty() || p.front() != '/' || hasNul(p))
			continue; /* policy validate refuses these; never match on them */
		Target t;
		t.lexical = normalize(p);
		t.real = host.realpath(t.lexical);
		if (t.real)
			*t.real = normalize(*t.real);
		if (auto st = host.stat(t.lexical))
			t.id = st->id;
		for (const auto &a : ancestors(t.real ? *t.real : t.lexical))
			if (auto st = host.stat(a))
				t.ancestorIds.push_back(st->id);
		out.push_back(std::move(t));
	}
	return out;
}

/* Three rules inspect their lists (some twenty paths and their parents) for
 * every spec: under a stable view of the host (`policy check`'s) the lists
 * seen in it are inspected once (per thread: each has its view). */
std::vector<Target> targets(const HostFacts &host, const std::vector<std::string> &list)
{
	const uint64_t view = host.stableView();
	if (view == 0)
		return inspectTargets(host, list);
	static thread_local uint64_t memoView = 0;
	static thread_local std::map<std::vector<std::string>, std::vector<Target>> memo;
	if (memoView != view || memo.size() >= 16) {
		memo.clear();
		memoView = view;
	}
	auto it = memo.find(list);
	if (it == memo.end())
		it = memo.emplace(list, inspectTargets(host, list)).first;
	return it->second;
}

std::vector<std::string> forms(const HostPath &hp)
{
	std::vector<std::string> f{hp.lexical};
	std::string stripped = stripProcRoot(hp.lexical);
	if (stripped != hp.lexical)
		f.push_back(stripped);
	if (hp.real && *hp.real != hp.lexical)
		f.push_back(*hp.real);
	return f;
}

bool inRange(uint64_t id, uint64_t start, uint64_t size) noexcept
{
	return id >= start && id - start < size;
}

std::vector<IdMapping> idMappings(const json::Value &list, const json::Pointer &at)
{
	if (!list.isArray())
		throw Malformed{at, "mapping list is not an array"};
	std::vector<IdMapping> out;
	for (size_t i = 0; i < list.items().size(); i++) {
		const json::Value &m = list.items()[i];
		json::Pointer mat = at / i;
		if (!m.isObject())
			throw Malformed{mat, "mapping is not an object"};
		uint64_t v[3] = {};
		const char *names[3] = {"containerID", "hostID", "size"};
		for (int k = 0; k < 3; k++) {
			const json::Value *n = member(m, names[k], json::Type::Number, mat);
			auto u = n ? n->asUint64() : std::nullopt;
			if (!u || *u > 0xffffffffu)
				throw Malformed{mat / names[k], "mapping field missing or not "
				                                "a 32-bit unsigned integer"};
			v[k] = *u;
		}
		if (v[2] == 0)
			throw Malformed{mat / "size", "mapping of size 0"};
		out.push_back(IdMapping{v[0], v[1], v[2]});
	}
	return out;
}

const json::Value *member(const json::Value &obj, std::string_view key, json::Type want,
                          const json::Pointer &at)
{
	if (!obj.isObject())
		throw Malformed{at, "expected an object"};
	const json::Value *v = obj.find(key);
	if (!v || v->isNull())
		return nullptr;
	if (v->type() != want)
		throw Malformed{at / key, std::string("expected ") + json::typeName(want) +
		                                  ", found " + json::typeName(v->type())};
	return v;
}

json::Value *member(json::Value &obj, std::string_view key, json::Type want,
                    const json::Pointer &at)
{
	return const_cast<json::Value *>(
	        member(static_cast<const json::Value &>(obj), key, want, at));
}

std::optional<std::string> stringMember(const json::Value &obj, std::string_view key,
                                        const json::Pointer &at)
{
	const json::Value *v = member(obj, key, json::Type::String, at);
	if (!v)
		return std::nullopt;
	if (hasNul(v->asString()))
		throw Malformed{at / key, "string contains NUL"};
	return v->asString();
}

std::string annotation(const json::Value &spec, std::string_view key)
{
	const json::Value *a = spec.isObject() ? spec.find("annotations") : nullptr;
	const json::Value *v = a && a->isObject() ? a->find(key) : nullptr;
	return v && v->isString() && !hasNul(v->asString()) ? v->asString() : std::string();
}

bool isSafeId(std::string_view id) noexcept
{
	return engine::isSafeId(id);
}

EngineIds engineIds(const json::Value &spec, const CallContext &call, const HostFacts &host)
{
	EngineIds ids;
	ids.containerId = isSafeId(call.containerId) ? call.containerId : std::string();
	if (!call.containerId.empty() && ids.containerId.empty())
		ids.containerId = "\x01invalid"; /* matches no path component */
	const engine::Facts f = engineFacts(spec, call, host);
	ids.podUid = f.podUid;
	ids.sandboxId = f.sandboxId;
	ids.unproven = f.unproven;
	return ids;
}

static bool isRemap(std::string_view c) noexcept
{
	size_t dot = c.find('.');
	return dot != std::string_view::npos && allDigits(c.substr(0, dot)) &&
	       allDigits(c.substr(dot + 1));
}

/* The component of PATH that starts at or after AT ("" past the last one);
 * AT moves past it. */
static std::string_view nextComponent(std::string_view path, size_t &at) noexcept
{
	while (at < path.size() && path[at] == '/')
		at++;
	const size_t end = std::min(path.find('/', at), path.size());
	const std::string_view c = path.substr(at, end - at);
	at = end;
	return c;
}

bool matchesTemplate(std::string_view path, std::string_view tmpl, const EngineIds &ids)
{
	if (path.empty() || path.front() != '/')
		return false;
	std::string_view seenId;
	size_t pi = 0, ti = 0;
	for (std::string_view t = nextComponent(tmpl, ti); !t.empty();
	     t = nextComponent(tmpl, ti)) {
		const std::string_view c = nextComponent(path, pi);
		if (c.empty())
			return false;
		if (t == "{id}") {
			if (!ids.containerId.empty()) {
				if (c != ids.containerId)
					return false;
			} else {
				if (!isSafeId(c) || (!ids.offlineId.empty() && c != ids.offlineId))
					return false;
				seenId = c;
			}
		} else if (t == "{podUid}") {
			if (ids.podUid.empty() || c != ids.podUid)
				return false;
		} else if (t == "{sandboxId}") {
			if (ids.sandboxId.empty() || c != ids.sandboxId)
				return false;
		} else if (t == "{remap}") {
			if (!isRemap(c))
				return false;
		} else if (t != c) {
			return false;
		}
	}
	/* a path below the template's, never the template's directory itself */
	if (nextComponent(path, pi).empty())
		return false;
	if (!seenId.empty())
		ids.offlineId = seenId;
	return true;
}

const std::vector<std::string> &defaultContainerPaths()
{
	static const std::vector<std::string> v = {
	        "/var/lib/docker/containers/{id}/",
	        "/var/lib/docker/{remap}/containers/{id}/",
	        "/run/containers/storage/overlay-containers/{id}/userdata/",
	        "/var/run/containers/storage/overlay-containers/{id}/userdata/",
	        "/var/lib/containers/storage/overlay-containers/{id}/userdata/",
	        "/run/containers/storage/overlay-containers/{sandboxId}/userdata/",
	        "/var/run/containers/storage/overlay-containers/{sandboxId}/userdata/",
	        "/var/lib/containers/storage/overlay-containers/{sandboxId}/userdata/",
	        "/var/lib/kubelet/pods/{podUid}/",
	        "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/{sandboxId}/",
	        "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/{sandboxId}/",
	        "/var/lib/containerd/io.containerd.grpc.v1.cri/containers/{id}/",
	};
	return v;
}

const std::vector<std::string> &defaultAllowPrefixes()
{
	static const std::vector<std::string> v = {
	        "/var/lib/docker/volumes/",
	        "/var/lib/docker/{remap}/volumes/",
	        "/var/lib/containers/storage/volumes/",
	};
	return v;
}

const std::vector<std::string> &defaultSensitivePaths()
{
	static const std::vector<std::string> v = {
	        "/",
	        "/etc",
	        "/proc",
	        "/sys",
	        "/dev",
	        "/boot",
	        "/root",
	        "/lib",
	        "/lib32",
	        "/lib64",
	        "/libx32",
	        "/usr",
	        "/bin",
	        "/sbin",
	        "/run",
	        "/var/run",
	        "/var/lib/docker",
	        "/var/lib/containerd",
	        "/var/lib/kubelet",
	        "/var/lib/containers",
	};
	return v;
}

const std::vector<std::string> &defaultEngineSockets()
{
	static const std::vector<std::string> v = {
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
	return v;
}

std::string sameFileAs(const HostFacts &host, const std::string &path,
                       const std::vector<std::string> &files)
{
	const HostPath hp = inspect(host, path);
	const auto fs = forms(hp);
	for (const auto &file : files) {
		if (file.empty() || file.front() != '/' || hasNul(file))
			continue; /* policy validation refuses these; never match on them */
		const HostPath target = inspect(host, file);
		for (const auto &f : fs)
			if (f == target.lexical || (target.real && f == *target.real))
				return "is " + target.lexical;
		if (hp.st && target.st && hp.st->id == target.st->id)
			return "is the same file (device+inode) as " + target.lexical;
	}
	return {};
}

std::string insideTree(const HostFacts &host, const std::string &path,
                       const std::vector<std::string> &trees)
{
	const HostPath hp = inspect(host, path);
	const auto fs = forms(hp);
	struct Tree
	{
		HostPath at;
		bool root;
	};
	std::vector<Tree> ts;
	for (const auto &t : trees)
		if (!t.empty() && t.front() == '/' && !hasNul(t))
			ts.push_back({inspect(host, t), normalize(t) == "/"});
	for (const auto &t : ts) {
		for (const auto &f : fs) {
			for (const std::string *tp :
			     {&t.at.lexical, t.at.real ? &*t.at.real : nullptr}) {
				if (!tp || (t.root && f != "/"))
					continue;
				if (isSameOrUnder(f, *tp))
					return (f == hp.lexical ? "lies in "
					                        : "resolves to " + f + ", in ") +
					       std::string("sensitive host tree ") + t.at.lexical;
			}
		}
	}
	/* A directory on the way that is a sensitive tree under another name (a
	 * bind mount of /run, a hard-linked or renamed path). */
	for (const auto &a : ancestors(hp.real ? *hp.real : hp.lexical)) {
		if (a == "/")
			continue;
		auto st = host.stat(a);
		if (!st)
			continue;
		for (const auto &t : ts)
			if (!t.root && t.at.st && st->id == t.at.st->id)
				return "lies in " + a +
				       ", the same directory (device+inode) as sensitive host "
				       "tree " +
				       t.at.lexical;
	}
	return {};
}

} // namespace bulkhead::policy::paths
