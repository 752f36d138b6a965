#include "paths_util.h"

#include <algorithm>

namespace bulkhead::policy::paths {

const char *const kUsernsRemedy =
        "dockerd --userns-remap=default; podman --userns=auto (or --uidmap); ctr run --uidmap "
        "0:100000:65536 --gidmap 0:100000:65536; Kubernetes pod spec hostUsers: false";

std::string normalize(std::string_view path)
{
	bool absolute = !path.empty() && path.front() == '/';
	std::vector<std::string_view> parts;
	size_t i = 0;
	while (i <= path.size()) {
		size_t j = path.find('/', i);
		if (j == std::string_view::npos)
			j = path.size();
		std::string_view part = path.substr(i, j - i);
		if (part.empty() || part == ".") {
			/* skip */
		} else if (part == "..") {
			if (!parts.empty() && parts.back() != "..")
				parts.pop_back();
			else if (!absolute)
				parts.push_back(part);
		} else {
			parts.push_back(part);
		}
		i = j + 1;
	}
	std::string out = absolute ? "/" : "";
	for (size_t k = 0; k < parts.size(); k++) {
		if (k > 0)
			out += '/';
		out += parts[k];
	}
	if (out.empty())
		out = ".";
	return out;
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
	MountOptions m;
	for (const auto &o : options) {
		if (o == "nosuid" || o == "rnosuid")
			m.nosuid = true;
		else if (o == "suid" || o == "rsuid")
			m.nosuid = false;
		else if (o == "nodev" || o == "rnodev")
			m.nodev = true;
		else if (o == "dev" || o == "rdev")
			m.nodev = false;
		else if (o == "defaults") {
			/* mount(8) reads it as rw,suid,dev,exec: assume the worst. */
			m.nosuid = false;
			m.nodev = false;
		} else if (o == "bind" || o == "rbind")
			m.bind = true;
		else if (o == "shared" || o == "rshared" || o == "slave" || o == "rslave" ||
		         o == "private" || o == "rprivate" || o == "unbindable" ||
		         o == "runbindable")
			m.propagation.push_back(o);
	}
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
	return out;
}

bool isBind(const json::Value &mount, const std::vector<std::string> &options)
{
	const json::Value *t = mount.isObject() ? mount.find("type") : nullptr;
	if (t && t->isString() && t->asString() == "bind")
		return true;
	return std::any_of(options.begin(), options.end(),
	                   [](const std::string &o) { return o == "bind" || o == "rbind"; });
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
	const engine::Facts f = engine::derive(
	        spec, engine::Call{call.engine, call.containerId, call.bundle, call.runtimeRoot},
	        host);
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

bool matchesTemplate(std::string_view path, std::string_view tmpl, const EngineIds &ids)
{
	auto p = components(path);
	auto t = components(tmpl);
	if (path.empty() || path.front() != '/' || p.size() <= t.size())
		return false;
	std::string seenId;
	for (size_t i = 0; i < t.size(); i++) {
		const std::string &c = p[i];
		if (t[i] == "{id}") {
			if (!ids.containerId.empty()) {
				if (c != ids.containerId)
					return false;
			} else {
				if (!isSafeId(c) || (!ids.offlineId.empty() && c != ids.offlineId))
					return false;
				seenId = c;
			}
		} else if (t[i] == "{podUid}") {
			if (ids.podUid.empty() || c != ids.podUid)
				return false;
		} else if (t[i] == "{sandboxId}") {
			if (ids.sandboxId.empty() || c != ids.sandboxId)
				return false;
		} else if (t[i] == "{remap}") {
			if (!isRemap(c))
				return false;
		} else if (t[i] != c) {
			return false;
		}
	}
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

} // namespace bulkhead::policy::paths
