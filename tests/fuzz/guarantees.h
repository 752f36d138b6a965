/* An independent checker of restricted's guarantees (DESIGN.md §3, P1-P12) on
 * a document bulkhead let through, for the fuzz targets over the spec, the
 * process and the resources. It is written for the test from the contract,
 * shares no code with the rules (only the JSON tree and the host's facts as
 * data) and is deliberately plain: exact field names (the reader has refused
 * every other spelling runc would match), null as absent, paths compared by
 * what they resolve to on the fake host. Its constants are restricted.json's
 * and the standard sets of tests/oracle/params.go. */
#pragma once

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include "bulkhead/host.h"
#include "bulkhead/json.h"

namespace bulkhead::test::guarantees {

using json::Value;

constexpr int64_t kMemMax = 4294967296;
constexpr int64_t kPidsMax = 4096;

inline const std::vector<std::string> &dangerous()
{
	static const std::vector<std::string> v = {"mount",
	                                           "umount2",
	                                           "ptrace",
	                                           "kexec_load",
	                                           "kexec_file_load",
	                                           "init_module",
	                                           "finit_module",
	                                           "delete_module",
	                                           "bpf",
	                                           "keyctl",
	                                           "add_key",
	                                           "request_key",
	                                           "open_by_handle_at",
	                                           "userfaultfd",
	                                           "perf_event_open",
	                                           "pivot_root",
	                                           "swapon",
	                                           "swapoff",
	                                           "reboot",
	                                           "setns",
	                                           "unshare",
	                                           "fsopen",
	                                           "fsconfig",
	                                           "fsmount",
	                                           "fspick",
	                                           "move_mount",
	                                           "open_tree",
	                                           "mount_setattr"};
	return v;
}

inline bool in(const std::vector<std::string> &list, std::string_view s)
{
	for (const auto &x : list)
		if (x == s)
			return true;
	return false;
}

/* A field: nullptr when absent or null (Go leaves the zero value). */
inline const Value *field(const Value *obj, std::string_view key)
{
	if (obj == nullptr || !obj->isObject())
		return nullptr;
	const Value *v = obj->find(key);
	return v == nullptr || v->isNull() ? nullptr : v;
}

inline std::string text(const Value *v)
{
	return v != nullptr && v->isString() ? v->asString() : std::string();
}

inline std::optional<int64_t> integer(const Value *v)
{
	if (v == nullptr || !v->isNumber())
		return std::nullopt;
	return v->asInt64();
}

/* "/a//b/./c/../d" -> "/a/b/d" (lexically, as Go's filepath.Clean) */
inline std::string clean(std::string_view p)
{
	std::vector<std::string> parts;
	size_t i = 0;
	while (i <= p.size()) {
		size_t j = p.find('/', i);
		if (j == std::string_view::npos)
			j = p.size();
		std::string seg(p.substr(i, j - i));
		if (seg == "..") {
			if (!parts.empty())
				parts.pop_back();
		} else if (!seg.empty() && seg != ".") {
			parts.push_back(seg);
		}
		i = j + 1;
	}
	std::string out;
	for (const auto &s : parts)
		out += "/" + s;
	return out.empty() ? "/" : out;
}

inline bool under(const std::string &p, const std::string &dir) /* strictly below */
{
	if (dir == "/")
		return p != "/";
	return p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/';
}

class Checker
{
public:
	Checker(const HostFacts &host, std::string bundle, std::string id)
	    : host_(host), bundle_(std::move(bundle)), id_(std::move(id))
	{
	}

	std::vector<std::string> spec(const Value &doc)
	{
		process(field(&doc, "process"));
		const Value *root = field(&doc, "root");
		if (root == nullptr || !field(root, "readonly") ||
		    !field(root, "readonly")->isBool() || !field(root, "readonly")->asBool())
			bad("P2", "root filesystem is not read-only");
		const Value *linux = field(&doc, "linux");
		userns(linux);
		const Value *res = field(linux, "resources");
		if (res == nullptr)
			bad("P6", "no linux.resources");
		else
			resources(*res, false);
		seccomp(field(linux, "seccomp"));
		namespaces(linux);
		paths(field(linux, "maskedPaths"),
		      {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		       "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		       "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
		       "/sys/devices/virtual/powercap"},
		      "maskedPaths");
		paths(field(linux, "readonlyPaths"),
		      {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		      "readonlyPaths");
		const std::string rp = text(field(linux, "rootfsPropagation"));
		if (rp == "shared" || rp == "rshared")
			bad("P10", "rootfsPropagation " + rp);
		if (const Value *mounts = field(&doc, "mounts"); mounts && mounts->isArray())
			for (const auto &m : mounts->items())
				mount(m);
		if (res != nullptr)
			deviceRules(field(res, "devices"));
		deviceNodes(field(linux, "devices"));
		hooks(field(&doc, "hooks"));
		return out_;
	}

	std::vector<std::string> processDoc(const Value &doc)
	{
		process(field(&doc, "process"));
		return out_;
	}

	std::vector<std::string> resourcesDoc(const Value &doc)
	{
		const Value *res = field(field(&doc, "linux"), "resources");
		if (res != nullptr)
			resources(*res, true);
		return out_;
	}

private:
	const HostFacts &host_;
	std::string bundle_;
	std::string id_;
	std::vector<std::string> out_;

	void bad(const std::string &rule, const std::string &what)
	{
		out_.push_back(rule + ": " + what);
	}

	/* P1, P3, P4, AppArmor */
	void process(const Value *p)
	{
		if (p == nullptr) {
			bad("P1", "no process");
			return;
		}
		const Value *user = field(p, "user");
		if (integer(field(user, "uid")).value_or(0) == 0)
			bad("P1", "uid 0");
		if (integer(field(user, "gid")).value_or(0) == 0)
			bad("P1", "gid 0");
		if (const Value *g = field(user, "additionalGids"); g && g->isArray())
			for (const auto &x : g->items())
				if (integer(&x).value_or(0) == 0)
					bad("P1", "additional gid 0");
		const Value *caps = field(p, "capabilities");
		if (caps == nullptr) {
			bad("P3", "no capabilities object: every capability");
		} else {
			for (const char *set :
			     {"bounding", "effective", "inheritable", "permitted", "ambient"})
				if (const Value *l = field(caps, set); l && l->isArray())
					for (const auto &c : l->items())
						if (text(&c) != "CAP_NET_BIND_SERVICE")
							bad("P3",
							    std::string(set) + " has " + text(&c));
		}
		const Value *nnp = field(p, "noNewPrivileges");
		if (nnp == nullptr || !nnp->isBool() || !nnp->asBool())
			bad("P4", "noNewPrivileges is not true");
		if (text(field(p, "apparmorProfile")) == "unconfined")
			bad("process.apparmor", "unconfined");
	}

	/* is PATH (a namespace path) the host's namespace of TYPE? unknown: true */
	bool hostNamespace(const std::string &path, const std::string &procType)
	{
		auto st = host_.stat(path);
		if (!st)
			return true;
		auto self = host_.selfNamespace(procType);
		auto pid1 = host_.pid1Namespace(procType);
		if (!self && !pid1)
			return true;
		return (self && *self == st->id) || (pid1 && *pid1 == st->id);
	}

	static std::string procName(const std::string &type)
	{
		if (type == "network")
			return "net";
		if (type == "mount")
			return "mnt";
		return type;
	}

	/* P5 */
	void userns(const Value *linux)
	{
		const Value *ns = field(linux, "namespaces");
		const Value *user = nullptr;
		if (ns && ns->isArray())
			for (const auto &n : ns->items())
				if (text(field(&n, "type")) == "user")
					user = &n;
		if (user == nullptr)
			bad("P5", "no user namespace");
		else if (const std::string p = text(field(user, "path"));
		         !p.empty() && hostNamespace(p, "user"))
			bad("P5", "user namespace path " + p + " is (or may be) the host's");
		for (const char *key : {"uidMappings", "gidMappings"}) {
			const Value *maps = field(linux, key);
			if (!maps || !maps->isArray())
				continue;
			for (const auto &m : maps->items()) {
				const Value *h = field(&m, "hostID");
				const Value *n = field(&m, "size");
				const uint64_t host =
				        h && h->isNumber() ? h->asUint64().value_or(0) : 0;
				const uint64_t size =
				        n && n->isNumber() ? n->asUint64().value_or(0) : 0;
				if (size > 0 && host == 0)
					bad("P5", std::string(key) + " maps host ID 0");
				if (host + size > (uint64_t{1} << 32))
					bad("P5", std::string(key) + " wraps");
			}
		}
	}

	/* a cgroup v2 value as the kernel reads it; nullopt: refused */
	static std::optional<std::pair<uint64_t, bool>> cgroupValue(std::string s, bool suffixes)
	{
		while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t'))
			s.pop_back();
		while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t'))
			s.erase(0, 1);
		if (s == "max")
			return std::make_pair(uint64_t{0}, true);
		uint64_t mult = 1;
		if (suffixes && !s.empty()) {
			const std::string units = "KMGTPE";
			const char last = static_cast<char>(
			        std::toupper(static_cast<unsigned char>(s.back())));
			if (auto k = units.find(last); k != std::string::npos) {
				mult = uint64_t{1} << (10 * (k + 1));
				s.pop_back();
			}
		}
		if (s.empty() || s[0] == '-' || s[0] == '+')
			return std::nullopt;
		errno = 0;
		char *end = nullptr;
		const unsigned long long n = std::strtoull(s.c_str(), &end, 0);
		if (errno != 0 || end == nullptr || *end != '\0')
			return std::nullopt;
		if (mult > 1 && n > UINT64_MAX / mult)
			return std::make_pair(UINT64_MAX, false);
		return std::make_pair(static_cast<uint64_t>(n) * mult, false);
	}

	/* P6: in a spec, unset or 0 is no limit; in an update, unset or 0 keeps the limit */
	void resources(const Value &r, bool update)
	{
		const Value *mem = field(&r, "memory");
		const Value *limitV = field(mem, "limit");
		const std::optional<int64_t> limit = integer(limitV);
		if (!limitV) {
			if (!update)
				bad("P6", "no memory limit");
		} else if (!limit) {
			bad("P6", "memory limit not an int64");
		} else if (*limit == 0 && !update) {
			bad("P6", "memory limit 0");
		} else if (*limit < 0) {
			bad("P6", "memory unlimited");
		} else if (*limit > kMemMax) {
			bad("P6", "memory limit above max");
		}
		if (const Value *swapV = field(mem, "swap")) {
			auto swap = integer(swapV);
			if (!swap || *swap < 0 || *swap > kMemMax)
				bad("P6", "swap unlimited or above max");
		}
		const Value *pids = field(&r, "pids");
		if (pids == nullptr) {
			if (!update)
				bad("P6", "no pids limit");
		} else {
			const std::optional<int64_t> l = integer(field(pids, "limit"));
			const int64_t v = l.value_or(0);
			if (!(update && v == 0) && (v <= 0 || v > kPidsMax))
				bad("P6", "pids limit " + std::to_string(v));
		}
		if (const Value *u = field(&r, "unified"); u && u->isObject())
			for (const auto &[key, val] : u->members()) {
				const bool memKey = key == "memory.max" || key == "memory.swap.max";
				if (!memKey && key != "pids.max")
					continue;
				auto v = cgroupValue(text(&val), memKey);
				if (!v || v->second ||
				    v->first > static_cast<uint64_t>(memKey ? kMemMax : kPidsMax))
					bad("P6", "unified " + key + " = " + text(&val));
			}
	}

	/* P7 */
	void seccomp(const Value *s)
	{
		if (s == nullptr) {
			bad("P7", "no seccomp");
			return;
		}
		const std::string def = text(field(s, "defaultAction"));
		if (def != "SCMP_ACT_KILL" && def != "SCMP_ACT_KILL_PROCESS" &&
		    def != "SCMP_ACT_KILL_THREAD" && def != "SCMP_ACT_TRAP" &&
		    def != "SCMP_ACT_ERRNO")
			bad("P7", "defaultAction " + def);
		const Value *rules = field(s, "syscalls");
		if (!rules || !rules->isArray())
			return;
		for (const auto &r : rules->items()) {
			const std::string a = text(field(&r, "action"));
			if (a != "SCMP_ACT_ALLOW" && a != "SCMP_ACT_LOG" &&
			    a != "SCMP_ACT_NOTIFY" && a != "SCMP_ACT_TRACE")
				continue;
			if (const Value *names = field(&r, "names"); names && names->isArray())
				for (const auto &n : names->items())
					if (in(dangerous(), text(&n)))
						bad("P7", a + " lets " + text(&n) + " through");
		}
	}

	/* P8 */
	void namespaces(const Value *linux)
	{
		const Value *ns = field(linux, "namespaces");
		for (const char *t : {"pid", "ipc", "uts", "mount", "network"}) {
			bool found = false;
			if (ns && ns->isArray())
				for (const auto &n : ns->items()) {
					if (text(field(&n, "type")) != t)
						continue;
					found = true;
					const std::string p = text(field(&n, "path"));
					if (!p.empty() && hostNamespace(p, procName(t)))
						bad("P8", std::string(t) + " namespace path " + p +
						                  " is (or may be) the host's");
				}
			if (!found)
				bad("P8", std::string("no ") + t + " namespace");
		}
	}

	/* P9 */
	void paths(const Value *have, const std::vector<std::string> &want, const char *key)
	{
		std::vector<std::string> set;
		if (have && have->isArray())
			for (const auto &p : have->items())
				set.push_back(clean(text(&p)));
		for (const auto &w : want)
			if (!in(set, w))
				bad("P9", std::string(key) + " lacks " + w);
	}

	/* P10 */
	std::string resolved(const std::string &p)
	{
		const std::string abs = clean(p.empty() || p[0] != '/' ? bundle_ + "/" + p : p);
		auto r = host_.realpath(abs);
		return r ? clean(*r) : abs;
	}

	bool excepted(const std::string &p)
	{
		std::vector<std::string> ex = {"/var/lib/docker/volumes",
		                               "/var/lib/containers/storage/volumes"};
		if (!id_.empty()) {
			ex.push_back("/var/lib/docker/containers/" + id_);
			ex.push_back("/run/containers/storage/overlay-containers/" + id_ +
			             "/userdata");
			ex.push_back("/var/run/containers/storage/overlay-containers/" + id_ +
			             "/userdata");
			ex.push_back("/var/lib/containers/storage/overlay-containers/" + id_ +
			             "/userdata");
			ex.push_back("/var/lib/containerd/io.containerd.grpc.v1.cri/containers/" +
			             id_);
		}
		for (const auto &e : ex)
			if (under(p, e))
				return true;
		return false;
	}

	void mount(const Value &m)
	{
		bool bind = text(field(&m, "type")) == "bind";
		bool nosuid = false, nodev = false, ro = false;
		bool rnosuid = false, rnodev = false, rro = false;
		bool rsuid = false, rdev = false, rrw = false;
		if (const Value *opts = field(&m, "options"); opts && opts->isArray())
			for (const auto &ov : opts->items()) {
				const std::string o = text(&ov);
				if (o == "bind" || o == "rbind")
					bind = true;
				else if (o == "nosuid")
					nosuid = true;
				else if (o == "suid")
					nosuid = false;
				else if (o == "nodev")
					nodev = true;
				else if (o == "dev")
					nodev = false;
				else if (o == "ro")
					ro = true;
				else if (o == "rw")
					ro = false;
				else if (o == "rnosuid")
					rnosuid = true;
				else if (o == "rnodev")
					rnodev = true;
				else if (o == "rro")
					rro = true;
				else if (o == "rsuid")
					rsuid = true;
				else if (o == "rdev")
					rdev = true;
				else if (o == "rrw")
					rrw = true;
				else if (o == "shared" || o == "rshared")
					bad("P10",
					    "mount " + text(field(&m, "destination")) + " is " + o);
			}
		nosuid = !rsuid && (nosuid || rnosuid);
		nodev = !rdev && (nodev || rnodev);
		ro = !rrw && (ro || rro);
		if (!bind)
			return;
		const std::string dest = text(field(&m, "destination"));
		if (!nosuid || !nodev)
			bad("P10", "bind mount " + dest + " lacks nosuid or nodev");
		const std::string src = text(field(&m, "source"));
		if (src.find('\0') != std::string::npos)
			return;
		const std::string r = resolved(src);
		static const std::vector<std::string> sockets = {
		        "/var/run/docker.sock",
		        "/run/docker.sock",
		        "/run/containerd/containerd.sock",
		        "/run/containerd/containerd.sock.ttrpc",
		        "/run/docker/containerd/containerd.sock",
		        "/run/crio/crio.sock",
		        "/run/podman/podman.sock"};
		static const std::vector<std::string> sensitive = {"/",
		                                                   "/etc",
		                                                   "/proc",
		                                                   "/sys",
		                                                   "/dev",
		                                                   "/boot",
		                                                   "/root",
		                                                   "/lib",
		                                                   "/lib32",
		                                                   "/lib64",
		                                                   "/bin",
		                                                   "/sbin",
		                                                   "/usr",
		                                                   "/run",
		                                                   "/var/run",
		                                                   "/var/lib/docker",
		                                                   "/var/lib/containerd",
		                                                   "/var/lib/kubelet",
		                                                   "/var/lib/containers"};
		static const std::vector<std::string> roFiles = {"/usr/bin/docker-init",
		                                                 "/usr/libexec/docker/docker-init",
		                                                 "/usr/libexec/podman/catatonit"};
		for (const auto &s : sockets)
			if (r == s || under(s, r))
				bad("P10", "bind mount " + dest + " exposes engine socket " + s);
		if (auto st = host_.stat(r); st && (st->mode & S_IFMT) == S_IFSOCK)
			bad("P10", "bind mount " + dest + " source " + r + " is a socket");
		if (ro && in(roFiles, r))
			return;
		for (const auto &s : sensitive) {
			if (r == s || under(s, r))
				bad("P10",
				    "bind mount " + dest + " source " + r + " is or holds " + s);
			else if (s != "/" && under(r, s) && !excepted(r))
				bad("P10",
				    "bind mount " + dest + " source " + r + " is inside " + s);
		}
	}

	/* P11 */
	void deviceRules(const Value *rules)
	{
		if (!rules || !rules->isArray())
			return;
		for (const auto &r : rules->items()) {
			const Value *allow = field(&r, "allow");
			if (!allow || !allow->isBool() || !allow->asBool())
				continue;
			std::string access = text(field(&r, "access"));
			if (access.empty())
				access = "rwm";
			if (access.find_first_of("rw") == std::string::npos)
				continue;
			const std::string type = text(field(&r, "type"));
			const Value *major = field(&r, "major");
			if (type.empty() || type == "a" || major == nullptr ||
			    integer(major).value_or(-1) == -1)
				bad("P11", "a device rule allows every device");
		}
	}

	void deviceNodes(const Value *devs)
	{
		if (!devs || !devs->isArray())
			return;
		for (const auto &d : devs->items()) {
			std::string type = text(field(&d, "type"));
			if (type == "u")
				type = "c";
			if (type == "p")
				continue;
			const int64_t major = integer(field(&d, "major")).value_or(0);
			const int64_t minor = integer(field(&d, "minor")).value_or(0);
			const bool standard =
			        type == "c" &&
			        ((major == 1 && (minor == 3 || minor == 5 || minor == 7 ||
			                         minor == 8 || minor == 9)) ||
			         (major == 5 && minor >= 0 && minor <= 2) || major == 136);
			if (!standard)
				bad("P11",
				    "device " + text(field(&d, "path")) + " is not standard");
		}
	}

	/* P12 */
	void hooks(const Value *h)
	{
		if (!h || !h->isObject())
			return;
		for (const auto &[stage, list] : h->members()) {
			if (list.isNull() || !list.isArray())
				continue;
			for (const auto &hk : list.items()) {
				const std::string path = text(field(&hk, "path"));
				auto real = host_.realpath(path);
				const Value *args = field(&hk, "args");
				const std::string arg0 =
				        args && args->isArray() && !args->items().empty()
				                ? text(&args->items()[0])
				                : std::string();
				std::vector<std::string> env;
				if (const Value *e = field(&hk, "env"); e && e->isArray())
					for (const auto &x : e->items())
						env.push_back(text(&x));
				const bool ok =
				        real &&
				        (*real == "/usr/sbin/dockerd" ||
				         *real == "/usr/bin/dockerd") &&
				        arg0 == "libnetwork-setkey" &&
				        (stage == "prestart" || stage == "createRuntime") &&
				        env == std::vector<std::string>{"PATH=/usr/local/sbin:/usr/"
				                                        "local/bin:/usr/sbin:/usr/"
				                                        "bin:/sbin:/bin"};
				if (!ok)
					bad("P12", "hook " + path + " in " + stage +
					                   " is not allowlisted");
			}
		}
	}
};

} // namespace bulkhead::test::guarantees
