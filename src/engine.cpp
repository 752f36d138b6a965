/* Engine identity. What each engine writes, and in which order, was read in
 * their sources (containerd v1.6 pkg/cri/server/{sandbox_run,container_create}
 * _linux.go; CRI-O v1.26 server/sandbox_run_linux.go and internal/factory/
 * container/container.go, and its main branch) and checked against the specs
 * in tests/data:
 *
 * - containerd CRI adds the pod annotations its runtime handler passes through
 *   (pod_annotations, container_annotations) first and its own
 *   io.kubernetes.cri.* keys last, so those are its own. It never writes
 *   io.kubernetes.pod.uid: on containerd that key is whatever a pod says.
 * - CRI-O copies every pod annotation into a container's spec first, then its
 *   own io.kubernetes.cri-o.* keys, then the kubelet's container annotations
 *   and labels (io.kubernetes.pod.uid/.name/.namespace, io.kubernetes.container
 *   .name) last. In a sandbox's spec CRI-O 1.26 adds the pod's annotations and
 *   labels after its own keys (so a pod can rewrite them there); only the
 *   kubelet's labels, added last, hold.
 * - Docker, plain containerd clients and Podman write no pod identity; their
 *   users set any annotation (docker/podman --annotation).
 *
 * A pod UID is proven when the sandbox the spec names has a root-owned record
 * on this host that carries the same pod UID: runc's state of the running
 * sandbox for containerd CRI, the sandbox spec CRI-O keeps in its run
 * directory for CRI-O (kept even when CRI-O drops the infra container). */
#include "bulkhead/engine.h"

#include <algorithm>
#include <vector>

#include "bulkhead/error.h"

namespace bulkhead::engine {

namespace {

constexpr size_t kRecordMax = 8u << 20; /* runc state.json, a sandbox's config.json */
constexpr size_t kValueMax = 4096;      /* an identity annotation */
constexpr const char *kRuncRoot = "/run/runc";

using Parts = std::vector<std::string>;

/* Lexical components of an absolute path ("." dropped, ".." pops); nullopt for
 * a relative path or one holding NUL. */
std::optional<Parts> split(std::string_view path)
{
	if (path.empty() || path.front() != '/' || path.find('\0') != std::string_view::npos)
		return std::nullopt;
	Parts out;
	size_t i = 0;
	while (i < path.size()) {
		size_t j = path.find('/', i);
		if (j == std::string_view::npos)
			j = path.size();
		std::string_view c = path.substr(i, j - i);
		if (c == "..") {
			if (!out.empty())
				out.pop_back();
		} else if (!c.empty() && c != ".") {
			out.emplace_back(c);
		}
		i = j + 1;
	}
	return out;
}

std::string join(const Parts &p, size_t from, size_t to)
{
	std::string s;
	for (size_t i = from; i < to && i < p.size(); i++)
		s += "/" + p[i];
	return s.empty() ? "/" : s;
}

/* /var/run is /run on every distribution these engines run on. */
Parts canonicalRun(Parts p)
{
	if (p.size() >= 2 && p[0] == "var" && p[1] == "run")
		p.erase(p.begin());
	return p;
}

bool eq(const Parts &p, size_t at, std::initializer_list<std::string_view> want)
{
	if (p.size() < at + want.size())
		return false;
	size_t i = at;
	for (std::string_view w : want)
		if (p[i++] != w)
			return false;
	return true;
}

bool isTaskDir(const std::string &c)
{
	return c == "io.containerd.runtime.v2.task" || c == "io.containerd.runtime.v1.linux";
}

/* containerd's task bundle STATE/io.containerd.runtime.v{2.task,1.linux}/NS/ID,
 * STATE being /run/containerd or dockerd's own /run/docker/containerd/daemon.
 * Returns NS; "" when the bundle is not one. */
std::string containerdNamespace(const Parts &p, const std::string &id, bool dockerState)
{
	size_t at = 0;
	if (eq(p, 0, {"run", "containerd"}))
		at = 2;
	else if (dockerState && eq(p, 0, {"run", "docker", "containerd", "daemon"}))
		at = 4;
	else
		return {};
	if (p.size() != at + 3 || !isTaskDir(p[at]) || p[at + 2] != id || !isSafeId(p[at + 1]))
		return {};
	return p[at + 1];
}

/* The containers/storage directory holding this bundle, for
 * STORAGE/overlay-containers/ID/userdata (CRI-O's run root, Podman's graph
 * root); "" when the bundle is not one. */
std::string storageRoot(const Parts &written, const std::string &id)
{
	Parts p = canonicalRun(written);
	bool known = eq(p, 0, {"run", "containers", "storage"}) ||
	             eq(p, 0, {"var", "lib", "containers", "storage"});
	if (!known || p.size() < 3 || p[p.size() - 3] != "overlay-containers" ||
	    p[p.size() - 2] != id || p.back() != "userdata" ||
	    p.size() != (p[0] == "run" ? 6u : 7u))
		return {};
	return join(written, 0, written.size() - 3);
}

/* An annotation's value: "" when absent, not a string, too long or holding NUL. */
std::string annotation(const json::Value &spec, std::string_view key)
{
	const json::Value *a = spec.isObject() ? spec.find("annotations") : nullptr;
	const json::Value *v = a && a->isObject() ? a->find(key) : nullptr;
	if (!v || !v->isString())
		return {};
	const std::string &s = v->asString();
	if (s.size() > kValueMax || s.find('\0') != std::string::npos)
		return {};
	return s;
}

bool claimsPod(const json::Value &spec)
{
	const json::Value *a = spec.isObject() ? spec.find("annotations") : nullptr;
	if (!a || !a->isObject())
		return false;
	return std::any_of(a->members().begin(), a->members().end(), [](const auto &m) {
		return m.first.compare(0, 14, "io.kubernetes.") == 0;
	});
}

json::Value parseRecord(const std::string &text, const std::string &path)
{
	json::ParseOptions opts;
	opts.allowComments = false;
	opts.maxBytes = kRecordMax;
	return json::parse(text, path, opts);
}

/* A root-owned record, parsed; "" in why, or why not. */
std::optional<json::Value> readRecord(const HostFacts &host, const std::string &path,
                                      std::string &why)
{
	auto text = host.rootFile(path, kRecordMax);
	if (!text) {
		why = host.lstat(path) ? path + " is not a root-owned file bulkhead can trust"
		                       : "there is no " + path;
		return std::nullopt;
	}
	try {
		return parseRecord(*text, path);
	} catch (const Error &e) {
		why = std::string("cannot read it: ") + e.what();
		return std::nullopt;
	}
}

struct Want
{
	std::string key;
	std::string value;
};

/* The one runc label "KEY=VALUE" (runc stores the spec's annotations so) for
 * KEY; nullopt when there is none or more than one. */
std::optional<std::string> label(const json::Value &labels, std::string_view key)
{
	std::optional<std::string> found;
	for (const auto &l : labels.items()) {
		if (!l.isString())
			return std::nullopt;
		const std::string &s = l.asString();
		if (s.size() > key.size() && s.compare(0, key.size(), key) == 0 &&
		    s[key.size()] == '=') {
			if (found)
				return std::nullopt;
			found = s.substr(key.size() + 1);
		}
	}
	return found;
}

/* containerd CRI: the sandbox runs under runc with the state runc keeps in
 * ROOT/SID/state.json (root-owned, ROOT 0700): its init process is alive with
 * the recorded start time, and the annotations runc recorded as labels name
 * the same sandbox and pod. "" when proven, else why not. */
std::string proveByRuncState(const HostFacts &host, const std::string &runtimeRoot,
                             const std::string &sid, const std::vector<Want> &want)
{
	std::string root = runtimeRoot.empty() ? kRuncRoot : runtimeRoot;
	auto rp = split(root);
	if (!rp)
		return "the runtime's --root " + root + " is not an absolute path";
	const std::string path = join(*rp, 0, rp->size()) + "/" + sid + "/state.json";
	std::string why;
	auto st = readRecord(host, path, why);
	if (!st)
		return "sandbox " + sid + " is not running under this runtime root: " + why;
	const json::Value *id = st->find("id");
	const json::Value *pid = st->find("init_process_pid");
	const json::Value *start = st->find("init_process_start");
	const json::Value *cfg = st->find("config");
	const json::Value *labels = cfg && cfg->isObject() ? cfg->find("labels") : nullptr;
	if (!id || !id->isString() || id->asString() != sid || !pid || !pid->isNumber() || !start ||
	    !start->isNumber() || !labels || !labels->isArray())
		return path + " is not the runc state of sandbox " + sid;
	auto p = pid->asInt64();
	auto s = start->asUint64();
	if (!p || *p <= 0 || *p > 0x7fffffff || !s)
		return path + " is not the runc state of sandbox " + sid;
	auto now = host.processStartTime(static_cast<pid_t>(*p));
	if (!now || *now != *s)
		return "sandbox " + sid + " is not running (its init process " +
		       std::to_string(*p) + " is gone)";
	for (const auto &w : want) {
		auto v = label(*labels, w.key);
		if (!v || *v != w.value)
			return "sandbox " + sid + " was not started with " + w.key + "=" + w.value;
	}
	auto bundle = label(*labels, "bundle");
	auto bp = bundle ? split(*bundle) : std::nullopt;
	if (!bp || containerdNamespace(canonicalRun(*bp), sid, false) != "k8s.io")
		return "sandbox " + sid + " was not started by containerd's CRI";
	return {};
}

/* CRI-O: the spec of the sandbox CRI-O keeps in STORAGE/overlay-containers/
 * SID/userdata/config.json, whether or not it runs an infra container. */
std::string proveByCrioSandbox(const HostFacts &host, const std::string &storage,
                               const std::string &sid, const std::vector<Want> &want)
{
	const std::string path = storage + "/overlay-containers/" + sid + "/userdata/config.json";
	std::string why;
	auto spec = readRecord(host, path, why);
	if (!spec)
		return "no record of sandbox " + sid + ": " + why;
	for (const auto &w : want)
		if (annotation(*spec, w.key) != w.value)
			return "the spec of sandbox " + sid + " (" + path + ") does not say " +
			       w.key + "=" + w.value;
	return {};
}

void containerdCri(const json::Value &spec, const Call &call, Facts &f, const HostFacts &host)
{
	const std::string type = annotation(spec, "io.kubernetes.cri.container-type");
	const std::string sid = annotation(spec, "io.kubernetes.cri.sandbox-id");
	const std::string ns = annotation(spec, "io.kubernetes.cri.sandbox-namespace");
	const std::string pod = annotation(spec, "io.kubernetes.cri.sandbox-name");
	if (type == "sandbox") {
		if (sid != f.containerId) {
			f.unproven = "io.kubernetes.cri.sandbox-id of a sandbox is not its own ID";
			return;
		}
		f.sandbox = true;
		f.sandboxId = sid;
		f.k8sNamespace = ns;
		f.k8sPod = pod;
		f.unproven = "a sandbox's own pod UID has no record to be proven against";
		return;
	}
	if (type != "container") {
		if (claimsPod(spec))
			f.unproven = "no io.kubernetes.cri.container-type written by containerd";
		return;
	}
	const std::string uid = annotation(spec, "io.kubernetes.cri.sandbox-uid");
	if (!isSafeId(sid) || sid == f.containerId || !isSafeId(uid) || ns.empty() || pod.empty()) {
		f.unproven = "the spec lacks containerd's sandbox-id, sandbox-uid, "
		             "sandbox-namespace or sandbox-name";
		return;
	}
	f.unproven = call.offline
	                     ? std::string()
	                     : proveByRuncState(host, call.runtimeRoot, sid,
	                                        {{"io.kubernetes.cri.container-type", "sandbox"},
	                                         {"io.kubernetes.cri.sandbox-id", sid},
	                                         {"io.kubernetes.cri.sandbox-uid", uid},
	                                         {"io.kubernetes.cri.sandbox-namespace", ns},
	                                         {"io.kubernetes.cri.sandbox-name", pod}});
	if (!f.unproven.empty())
		return;
	f.sandboxId = sid;
	f.podUid = uid;
	f.k8sNamespace = ns;
	f.k8sPod = pod;
	f.k8sContainer = annotation(spec, "io.kubernetes.cri.container-name");
	f.image = annotation(spec, "io.kubernetes.cri.image-name");
}

void crio(const json::Value &spec, const std::string &storage, Facts &f, const HostFacts &host,
          bool offline)
{
	const std::string cid = annotation(spec, "io.kubernetes.cri-o.ContainerID");
	const std::string type = annotation(spec, "io.kubernetes.cri-o.ContainerType");
	const std::string sid = annotation(spec, "io.kubernetes.cri-o.SandboxID");
	const std::string uid = annotation(spec, "io.kubernetes.pod.uid");
	const std::string ns = annotation(spec, "io.kubernetes.pod.namespace");
	const std::string pod = annotation(spec, "io.kubernetes.pod.name");
	if (cid != f.containerId) {
		if (claimsPod(spec))
			f.unproven = "io.kubernetes.cri-o.ContainerID does not name this container";
		return;
	}
	if (type == "sandbox") {
		if (sid != f.containerId) {
			f.unproven = "io.kubernetes.cri-o.SandboxID of a sandbox is not its own ID";
			return;
		}
		f.sandbox = true;
		f.sandboxId = sid;
		f.k8sNamespace = ns;
		f.k8sPod = pod;
		f.unproven = "a sandbox's own pod UID has no record to be proven against";
		return;
	}
	if (type != "container" || !isSafeId(sid) || sid == f.containerId || !isSafeId(uid) ||
	    ns.empty() || pod.empty()) {
		f.unproven = "the spec lacks CRI-O's ContainerType, SandboxID or the kubelet's "
		             "io.kubernetes.pod.uid, .namespace or .name";
		return;
	}
	f.unproven = offline ? std::string()
	                     : proveByCrioSandbox(host, storage, sid,
	                                          {{"io.kubernetes.cri-o.ContainerType", "sandbox"},
	                                           {"io.kubernetes.cri-o.SandboxID", sid},
	                                           {"io.kubernetes.pod.uid", uid},
	                                           {"io.kubernetes.pod.namespace", ns},
	                                           {"io.kubernetes.pod.name", pod}});
	if (!f.unproven.empty())
		return;
	f.sandboxId = sid;
	f.podUid = uid;
	f.k8sNamespace = ns;
	f.k8sPod = pod;
	f.k8sContainer = annotation(spec, "io.kubernetes.container.name");
	f.image = annotation(spec, "io.kubernetes.cri-o.ImageName");
}

/* The image dockerd created this container from, as the user named it
 * (Config.Image of DATA-ROOT/containers/ID/config.v2.json: "nginx",
 * "registry/app:1.2"). dockerd writes that record, root-owned and 0600,
 * before it starts the container, and binds DATA-ROOT/containers/ID/hostname
 * (hosts, resolv.conf) into it: those sources lead to the record, whatever the
 * data root (a remapped root adds UID.GID). It counts only when the record is
 * root's and names this container's ID, which dockerd draws at random when the
 * container is created, after every -v was fixed. "" when unproven. */
std::string dockerImage(const json::Value &spec, const std::string &id, const HostFacts &host)
{
	const json::Value *mounts = spec.isObject() ? spec.find("mounts") : nullptr;
	if (id.empty() || !mounts || !mounts->isArray())
		return {};
	for (const auto &m : mounts->items()) {
		const json::Value *d = m.isObject() ? m.find("destination") : nullptr;
		const json::Value *src = m.isObject() ? m.find("source") : nullptr;
		if (!d || !d->isString() || !src || !src->isString())
			continue;
		const std::string &dest = d->asString();
		if (dest != "/etc/hostname" && dest != "/etc/hosts" && dest != "/etc/resolv.conf")
			continue;
		auto p = split(src->asString());
		const size_t n = p ? p->size() : 0;
		if (n < 3 || (*p)[n - 2] != id || (*p)[n - 3] != "containers" ||
		    "/" + (*p)[n - 1] != dest.substr(4))
			continue;
		std::string why;
		auto rec = readRecord(host, join(*p, 0, n - 1) + "/config.v2.json", why);
		const json::Value *rid = rec && rec->isObject() ? rec->find("ID") : nullptr;
		const json::Value *cfg = rec && rec->isObject() ? rec->find("Config") : nullptr;
		const json::Value *img = cfg && cfg->isObject() ? cfg->find("Image") : nullptr;
		if (!rid || !rid->isString() || rid->asString() != id || !img || !img->isString())
			return {};
		const std::string &v = img->asString();
		if (v.empty() || v.size() > kValueMax || v.find('\0') != std::string::npos)
			return {};
		return v;
	}
	return {};
}

} // namespace

const char *kindName(Kind k) noexcept
{
	switch (k) {
	case Kind::Docker:
		return "docker";
	case Kind::Containerd:
		return "containerd";
	case Kind::ContainerdCri:
		return "containerd-cri";
	case Kind::Crio:
		return "crio";
	case Kind::Podman:
		return "podman";
	case Kind::Unknown:
		break;
	}
	return "";
}

std::optional<Kind> kindFromName(std::string_view name) noexcept
{
	for (Kind k :
	     {Kind::Docker, Kind::Containerd, Kind::ContainerdCri, Kind::Crio, Kind::Podman})
		if (name == kindName(k))
			return k;
	return std::nullopt;
}

const char *kindNames() noexcept
{
	return "docker, containerd-cri, containerd, crio, podman";
}

const char *subordinateUser(Kind k) noexcept
{
	switch (k) {
	case Kind::Docker:
		return "dockremap";
	case Kind::Podman:
		return "containers";
	case Kind::ContainerdCri:
	case Kind::Crio:
		return "kubelet";
	case Kind::Containerd:
	case Kind::Unknown:
		break;
	}
	return nullptr;
}

bool isSafeId(std::string_view id) noexcept
{
	if (id.empty() || id.size() > 256 || id.find("..") != std::string_view::npos)
		return false;
	auto ok = [](char c, bool first) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       (!first && (c == '_' || c == '.' || c == '-'));
	};
	for (size_t i = 0; i < id.size(); i++)
		if (!ok(id[i], i == 0))
			return false;
	return true;
}

Facts derive(const json::Value &spec, const Call &call, const HostFacts &host)
{
	Facts f;
	if (isSafeId(call.containerId))
		f.containerId = call.containerId;
	const bool pod = claimsPod(spec);
	/* Proven by dockerd's own record of the container, wherever its roots are. */
	if (call.engine == Kind::Docker)
		f.image = dockerImage(spec, f.containerId, host);
	if (call.engine == Kind::Unknown) {
		if (pod)
			f.unproven = "the engine is unknown (set \"engine\" in bulkhead-config(5))";
		return f;
	}
	const std::string name = kindName(call.engine);
	auto written = split(call.bundle);
	if (f.containerId.empty() || !written) {
		if (pod)
			f.unproven = "no container ID or bundle to tell a call of " + name;
		return f;
	}
	const Parts p = canonicalRun(*written);
	const std::string &id = f.containerId;
	std::string storage;
	bool layout = call.offline; /* offline there is no bundle to place */
	switch (call.offline ? Kind::Unknown : call.engine) {
	case Kind::Docker:
		layout = containerdNamespace(p, id, true) == "moby";
		break;
	case Kind::Containerd:
		layout = !containerdNamespace(p, id, false).empty();
		break;
	case Kind::ContainerdCri:
		layout = containerdNamespace(p, id, false) == "k8s.io" &&
		         p[2] == "io.containerd.runtime.v2.task";
		break;
	case Kind::Crio:
	case Kind::Podman:
		storage = storageRoot(*written, id);
		layout = !storage.empty();
		break;
	case Kind::Unknown:
		break;
	}
	if (!layout) {
		if (pod)
			f.unproven = "bundle " + call.bundle + " is not where " + name +
			             " keeps the bundle of container " + id;
		return f;
	}
	f.engine = call.engine;
	switch (call.engine) {
	case Kind::ContainerdCri:
		containerdCri(spec, call, f, host);
		break;
	case Kind::Crio:
		crio(spec, storage, f, host, call.offline);
		break;
	default:
		if (pod)
			f.unproven =
			        name + " writes no pod identity (its users set any annotation)";
		break;
	}
	return f;
}

} // namespace bulkhead::engine
