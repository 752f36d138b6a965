/* P5: a user namespace whose mappings never cover host ID 0 nor any host
 * account. Runs last, on the spec the other rules left. A spec whose engine
 * already maps a user namespace is checked, not rewritten: every host range
 * must lie in the subordinate ranges (/etc/subuid, /etc/subgid) of the
 * engine's user or in a range the policy names, at or above SUB_UID_MIN /
 * SUB_GID_MIN of /etc/login.defs, clear of every account in /etc/passwd and
 * /etc/group; and the checks that hold for any new user namespace (bind
 * sources usable by the mapped IDs, the process user mapped, proc/sysfs/mqueue
 * with their namespaces) run on it too. Otherwise one is added where it can work: no
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
#include <utility>

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
	std::string remedy = {}; /* "" for the engine setting that gives a user namespace */
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

/* Can host uid `uid` (primary group `gid`) write into this directory? */
bool writable(const FileStat &st, std::optional<uint64_t> uid, std::optional<uint64_t> gid)
{
	const mode_t wx = S_IWUSR | S_IXUSR;
	if (uid && st.uid == *uid)
		return (st.mode & wx) == wx;
	if (gid && st.gid == *gid)
		return (st.mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
	return (st.mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* Can host uid `uid` (primary group `gid`) read this file? */
bool readable(const FileStat &st, std::optional<uint64_t> uid, std::optional<uint64_t> gid)
{
	if (uid && st.uid == *uid)
		return (st.mode & S_IRUSR) != 0;
	if (gid && st.gid == *gid)
		return (st.mode & S_IRGRP) != 0;
	return (st.mode & S_IROTH) != 0;
}

bool inRange(uint64_t id, uint64_t start, uint64_t size)
{
	return id >= start && id - start < size;
}

/* One line of a uid or gid mapping: container IDs [container, container+size)
 * are host IDs [host, host+size). `at` points at it for findings. */
struct Range
{
	uint64_t container = 0;
	uint64_t host = 0;
	uint64_t size = 0;
	Pointer at;
};

struct IdMapping
{
	std::vector<Range> uid;
	std::vector<Range> gid;
};

std::optional<uint64_t> toHost(const std::vector<Range> &m, uint64_t id)
{
	for (const auto &r : m)
		if (inRange(id, r.container, r.size))
			return r.host + (id - r.container);
	return std::nullopt;
}

bool hostMapped(const std::vector<Range> &m, uint64_t id)
{
	return std::any_of(m.begin(), m.end(),
	                   [id](const Range &r) { return inRange(id, r.host, r.size); });
}

std::string idSpan(uint64_t start, uint64_t size)
{
	if (size == 1)
		return std::to_string(start);
	return std::to_string(start) + "-" + std::to_string(start + size - 1);
}

/* ---- the host's accounts and subordinate ranges ---- */

constexpr size_t kAccountFileMax = 32u << 20;
constexpr uint64_t kDefaultSubMin = 100000; /* shadow's default SUB_UID_MIN */

struct Account
{
	uint64_t id;
	std::string what; /* "account alice (/etc/passwd)" */
};

/* What the mapping checks need to know about the host, per kind (0 uid, 1 gid).
 * problem: a file exists but cannot be trusted or read; nothing can be judged. */
struct HostIds
{
	std::string problem;
	uint64_t subMin[2] = {kDefaultSubMin, kDefaultSubMin};
	std::vector<Account> accounts[2];
	std::vector<std::pair<uint64_t, uint64_t>> allowed[2]; /* merged [start, end) */
	std::string allowedFrom;
};

/* A host file's text; "" when it does not exist; problem set when it exists
 * but is not a root-owned file bulkhead can read. */
std::string accountFile(const HostFacts &host, const char *path, std::string &problem)
{
	if (auto t = host.rootFile(path, kAccountFileMax))
		return *t;
	if (host.lstat(path) && problem.empty())
		problem = std::string(path) +
		          " exists but is not a root-owned file bulkhead can read";
	return {};
}

std::vector<std::string_view> fields(std::string_view line, char sep)
{
	std::vector<std::string_view> out;
	size_t i = 0;
	for (;;) {
		size_t j = line.find(sep, i);
		out.push_back(line.substr(i, j == std::string_view::npos ? j : j - i));
		if (j == std::string_view::npos)
			return out;
		i = j + 1;
	}
}

/* Each non-empty, non-comment line. */
template <typename F> void eachLine(std::string_view text, F &&fn)
{
	while (!text.empty()) {
		size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
		if (!line.empty() && line.back() == '\r')
			line.remove_suffix(1);
		if (!line.empty() && line.front() != '#')
			fn(line);
	}
}

std::optional<uint64_t> decimal(std::string_view s)
{
	uint64_t v = 0;
	auto r = std::from_chars(s.data(), s.data() + s.size(), v);
	if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v > 0xffffffffu)
		return std::nullopt;
	return v;
}

/* users: whose subordinate ranges an engine may map onto; extra: the ranges
 * the policy names ([start, end), for uids and gids alike). */
HostIds readHostIds(const HostFacts &host, const std::vector<std::string> &users,
                    const std::vector<std::pair<uint64_t, uint64_t>> &extra)
{
	HostIds h;
	std::string &problem = h.problem;
	/* Accounts. NIS compat lines (+/-) stand for accounts bulkhead cannot see. */
	std::vector<std::pair<std::string, uint64_t>> uidOf;
	eachLine(accountFile(host, "/etc/passwd", problem), [&](std::string_view line) {
		if (line.front() == '+' || line.front() == '-') {
			problem = "/etc/passwd names NIS accounts bulkhead cannot list";
			return;
		}
		auto f = fields(line, ':');
		if (f.size() < 4)
			return; /* the C library skips such lines too */
		auto uid = decimal(f[2]);
		auto gid = decimal(f[3]);
		if (uid) {
			h.accounts[0].push_back(
			        {*uid, "account " + std::string(f[0]) + " (/etc/passwd)"});
			uidOf.emplace_back(std::string(f[0]), *uid);
		}
		if (gid)
			h.accounts[1].push_back({*gid, "the primary group of " + std::string(f[0]) +
			                                       " (/etc/passwd)"});
	});
	eachLine(accountFile(host, "/etc/group", problem), [&](std::string_view line) {
		if (line.front() == '+' || line.front() == '-') {
			problem = "/etc/group names NIS groups bulkhead cannot list";
			return;
		}
		auto f = fields(line, ':');
		if (f.size() < 3)
			return;
		if (auto gid = decimal(f[2]))
			h.accounts[1].push_back(
			        {*gid, "group " + std::string(f[0]) + " (/etc/group)"});
	});
	eachLine(accountFile(host, "/etc/login.defs", problem), [&](std::string_view line) {
		size_t k = line.find_first_not_of(" \t");
		if (k == std::string_view::npos)
			return;
		line = line.substr(k);
		size_t e = line.find_first_of(" \t");
		if (e == std::string_view::npos)
			return;
		std::string_view key = line.substr(0, e);
		int which = key == "SUB_UID_MIN" ? 0 : key == "SUB_GID_MIN" ? 1 : -1;
		if (which < 0)
			return;
		std::string_view value = line.substr(e);
		value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
		value = value.substr(0, value.find_first_of(" \t"));
		if (auto v = decimal(value))
			h.subMin[which] = *v;
		else
			problem =
			        "/etc/login.defs: " + std::string(key) + " is not a decimal number";
	});
	/* Subordinate ranges: "NAME:START:COUNT", NAME a user name or uid. */
	auto allowedUser = [&](std::string_view name) {
		for (const auto &u : users) {
			if (name == u)
				return true;
			for (const auto &[n, uid] : uidOf)
				if (n == u && name == std::to_string(uid))
					return true;
		}
		return false;
	};
	const char *subFiles[2] = {"/etc/subuid", "/etc/subgid"};
	for (int k = 0; k < 2; k++) {
		auto &ranges = h.allowed[k];
		eachLine(accountFile(host, subFiles[k], problem), [&](std::string_view line) {
			auto f = fields(line, ':');
			if (f.size() != 3 || !allowedUser(f[0]))
				return;
			auto start = decimal(f[1]);
			auto count = decimal(f[2]);
			if (start && count && *count > 0)
				ranges.emplace_back(*start, *start + *count);
		});
		ranges.insert(ranges.end(), extra.begin(), extra.end());
		std::sort(ranges.begin(), ranges.end());
		std::vector<std::pair<uint64_t, uint64_t>> merged;
		for (const auto &r : ranges) {
			if (!merged.empty() && r.first <= merged.back().second)
				merged.back().second = std::max(merged.back().second, r.second);
			else
				merged.push_back(r);
		}
		ranges = std::move(merged);
	}
	std::string who;
	for (size_t i = 0; i < users.size(); i++)
		who += (i ? (i + 1 == users.size() ? " or " : ", ") : "") + users[i];
	if (!who.empty())
		h.allowedFrom = "the subordinate ranges of " + who + " (/etc/subuid, /etc/subgid)";
	if (!extra.empty())
		h.allowedFrom +=
		        (who.empty() ? "" : " and ") +
		        std::string("the policy's ranges (hostIdStart and size, hostRanges)");
	if (who.empty())
		h.allowedFrom +=
		        " (no engine user is known: set \"engine\" in "
		        "bulkhead-config(5), or name the user in P5.userns subordinateUsers)";
	return h;
}

/* Why a host range must not be mapped ("" when it may be). kind: 0 uid, 1 gid;
 * subordinateOnly: false for bulkhead's own range, which the policy names. */
std::string hostRangeProblem(const HostIds &h, int kind, uint64_t start, uint64_t size,
                             bool subordinateOnly)
{
	const char *id = kind == 0 ? "uid" : "gid";
	std::vector<std::string> why;
	if (!h.problem.empty())
		return "cannot check it against the host's accounts: " + h.problem;
	if (start < h.subMin[kind])
		why.push_back("it starts below " +
		              std::string(kind == 0 ? "SUB_UID_MIN" : "SUB_GID_MIN") + " " +
		              std::to_string(h.subMin[kind]) +
		              " (/etc/login.defs), among the host's own accounts");
	size_t named = 0;
	for (const auto &a : h.accounts[kind]) {
		if (!inRange(a.id, start, size))
			continue;
		if (named++ < 3)
			why.push_back("host " + std::string(id) + " " + std::to_string(a.id) +
			              " is " + a.what);
	}
	if (named > 3)
		why.push_back(std::to_string(named - 3) + " more accounts");
	if (subordinateOnly) {
		const uint64_t end = start + size;
		bool inside = std::any_of(
		        h.allowed[kind].begin(), h.allowed[kind].end(),
		        [&](const auto &r) { return start >= r.first && end <= r.second; });
		if (!inside)
			why.push_back("it lies outside " + h.allowedFrom);
	}
	std::string out;
	for (const auto &w : why)
		out += (out.empty() ? "" : "; ") + w;
	return out;
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

const char *const kMapRemedy =
        "map into the engine user's subordinate range (dockerd --userns-remap=default: "
        "dockremap; podman --userns=auto: containers; Kubernetes hostUsers: false: kubelet), or "
        "name the range in the policy (P5.userns hostRanges)";

const char *const kEngineNsRemedy =
        "give the container what its user namespace maps: host paths owned by the mapped IDs "
        "(chown them into the engine's range) or named volumes, a process user inside the "
        "mapping";

/* An engine-provided mapping list: integers, size >= 1. A missing or empty
 * list is denied when required. */
std::vector<Range> readMappings(RuleRun &rr, const Value *list, const char *key, bool required)
{
	Pointer at = Pointer() / "linux" / key;
	std::vector<Range> out;
	if (!list || list->items().empty()) {
		if (required)
			rr.deny(at, std::string("user namespace without ") + key,
			        usernsRemedy(rr.doc));
		return out;
	}
	const auto maps = paths::idMappings(*list, at);
	for (size_t i = 0; i < maps.size(); i++)
		out.push_back(
		        {maps[i].containerId, maps[i].hostId, maps[i].size, at / i / "hostID"});
	return out;
}

/* Every host range of an engine's mapping: never host ID 0, never an account,
 * never below SUB_UID_MIN/SUB_GID_MIN, only inside the allowed subordinate
 * ranges. kind: 0 uid, 1 gid. */
void checkHostRanges(RuleRun &rr, const std::vector<Range> &ranges, int kind,
                     const std::string &what, const HostIds &h)
{
	for (const auto &r : ranges) {
		if (inRange(0, r.host, r.size)) {
			rr.deny(r.at,
			        what + " maps container ID " + std::to_string(r.container) +
			                " to host ID 0 (host root)",
			        "map to an unprivileged range (dockerd --userns-remap=default; "
			        "podman --userns=auto; k8s hostUsers: false)");
			continue;
		}
		std::string why = hostRangeProblem(h, kind, r.host, r.size, true);
		if (!why.empty())
			rr.deny(r.at,
			        what + " maps container " + (r.size == 1 ? "ID " : "IDs ") +
			                idSpan(r.container, r.size) + " onto host " +
			                (kind == 0 ? "uid" : "gid") + (r.size == 1 ? " " : "s ") +
			                idSpan(r.host, r.size) + ": " + why,
			        kMapRemedy);
	}
}

/* A joined user namespace /proc/PID/ns/user: its own mappings, read from
 * /proc/PID/{uid,gid}_map. nullopt when they cannot be read (another path
 * form, or the host fact is unavailable); a map that cannot be parsed or is
 * empty is denied here and comes back empty. */
std::optional<IdMapping> joinedMapping(RuleRun &rr, const std::string &nsPath)
{
	auto parts = paths::components(paths::normalize(nsPath));
	if (parts.size() != 4 || parts[0] != "proc" || parts[2] != "ns" || parts[3] != "user")
		return std::nullopt;
	pid_t pid = 0;
	auto r = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), pid);
	if (r.ec != std::errc() || r.ptr != parts[1].data() + parts[1].size() || pid <= 0)
		return std::nullopt;
	Pointer at = Pointer() / "linux" / "namespaces";
	IdMapping out;
	for (bool gid : {false, true}) {
		auto text = rr.host.idMap(pid, gid);
		if (!text)
			return std::nullopt;
		const char *name = gid ? "gid_map" : "uid_map";
		std::vector<Range> &ranges = gid ? out.gid : out.uid;
		bool bad = false;
		eachLine(*text, [&](std::string_view line) {
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
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (k == 0 && p == end)
				return;
			if (k != 3 || p != end || v[2] == 0)
				bad = true;
			else
				ranges.push_back({v[0], v[1], v[2], at});
		});
		if (bad || ranges.empty()) {
			rr.deny(at,
			        "joined user namespace " + nsPath + " " +
			                (bad ? "has a " + std::string(name) +
			                                 " bulkhead cannot parse"
			                     : "has no " + std::string(name)),
			        usernsRemedy(rr.doc));
			ranges.clear();
		}
	}
	return out;
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
std::vector<std::pair<uint64_t, uint64_t>> policyRanges(const std::vector<std::string> &list)
{
	std::vector<std::pair<uint64_t, uint64_t>> out;
	for (const auto &e : list) {
		auto f = fields(e, ':');
		auto start = f.size() == 2 ? decimal(f[0]) : std::nullopt;
		auto count = f.size() == 2 ? decimal(f[1]) : std::nullopt;
		if (!start || !count || *count == 0 || *start + *count > 0x100000000ULL)
			throw Error(ErrorKind::Policy,
			            "rule P5.userns: hostRanges entry \"" + e +
			                    "\" is not START:COUNT within 32 bits");
		out.emplace_back(*start, *start + *count);
	}
	return out;
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
		std::vector<Reason> joinReasons; /* namespaces a new one would not own */
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
				joinReasons.push_back(
				        {at / "path", "the container joins " + *type +
				                              " namespace " + *path +
				                              ", which a new user namespace "
				                              "would not own"});
		}
		const Value *uidM =
		        linux ? paths::member(*linux, "uidMappings", Type::Array, lat) : nullptr;
		const Value *gidM =
		        linux ? paths::member(*linux, "gidMappings", Type::Array, lat) : nullptr;

		std::optional<HostIds> hostIdsCache;
		auto hostIds = [&]() -> const HostIds & {
			if (!hostIdsCache) {
				auto users = rr.paramList("subordinateUsers", {});
				if (const char *u = engine::subordinateUser(rr.call.engine);
				    u && std::find(users.begin(), users.end(), u) == users.end())
					users.insert(users.begin(), u);
				/* The policy's own range counts as named: a spec bulkhead
				 * mapped must pass again unchanged. */
				auto ranges = policyRanges(rr.paramList("hostRanges", {}));
				ranges.emplace_back(start, start + size);
				hostIdsCache = readHostIds(rr.host, users, ranges);
			}
			return *hostIdsCache;
		};
		Value *mounts = paths::member(rr.doc, "mounts", Type::Array, Pointer());

		if (userNs) {
			/* The engine maps it: check, never rewrite. */
			auto path = paths::stringMember(*userNs, "path", lat / "namespaces");
			bool joins = path && !path->empty();
			std::optional<IdMapping> joined;
			if (joins)
				joined = joinedMapping(rr, *path);
			IdMapping map;
			if (joined) {
				checkHostRanges(rr, joined->uid, 0, "the uid_map of " + *path,
				                hostIds());
				checkHostRanges(rr, joined->gid, 1, "the gid_map of " + *path,
				                hostIds());
				map = *joined;
			}
			auto su = readMappings(rr, uidM, "uidMappings", !joins);
			auto sg = readMappings(rr, gidM, "gidMappings", !joins);
			if (joins && !joined && (su.empty() || sg.empty())) {
				/* Neither the joined maps nor both of the spec's. */
				rr.deny(lat / "namespaces",
				        "joins user namespace " + *path +
				                " whose mappings bulkhead cannot check",
				        usernsRemedy(rr.doc));
				return;
			}
			checkHostRanges(rr, su, 0, "uidMappings", hostIds());
			checkHostRanges(rr, sg, 1, "gidMappings", hostIds());
			if (!joined) {
				map.uid = su;
				map.gid = sg;
			}
			if (map.uid.empty() || map.gid.empty())
				return; /* denied above: nothing to judge the rest against */
			/* What holds for any new user namespace. The rootfs and its
			 * mount points are the engine's: it prepares its layers for
			 * the mapping it chose (Docker's remapped root, Podman's
			 * chown), so they are not judged here. */
			namespaceNeeds(mounts, present, reasons);
			bindSources(rr, mounts, map, true, reasons);
			processUser(rr, map, reasons);
			for (const auto &r : reasons)
				rr.deny(r.at, "the engine's user namespace: " + r.why,
				        kEngineNsRemedy);
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
		reasons = joinReasons;
		if (std::find(present.begin(), present.end(), "mount") == present.end())
			reasons.push_back({lat / "namespaces", "no private mount namespace"});
		IdMapping map;
		map.uid.push_back({0, start, size, lat});
		map.gid.push_back({0, start, size, lat});
		for (int kind : {0, 1}) {
			std::string why = hostRangeProblem(hostIds(), kind, start, size, false);
			if (!why.empty())
				reasons.push_back(
				        {lat / "namespaces",
				         "the policy's range, host " +
				                 std::string(kind == 0 ? "uids " : "gids ") +
				                 idSpan(start, size) + ": " + why});
		}
		namespaceNeeds(mounts, present, reasons);
		bindSources(rr, mounts, map, false, reasons);
		processUser(rr, map, reasons);
		const uint64_t root = start; /* host uid and gid of container root */

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
				        r.remedy.empty() ? usernsRemedy(rr.doc) : r.remedy);
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
	         "a user namespace whose mappings never cover host ID 0 nor a host account; added "
	         "where feasible, refused with the engine setting otherwise; engine mappings "
	         "checked, not rewritten: only subordinate ranges of the engine's user or the "
	         "policy's ranges",
	         {Scope::Spec},
	         {{"hostIdStart", ParamKind::Int, "first host ID of an added mapping"},
	          {"size", ParamKind::Int, "number of IDs of an added mapping"},
	          {"add", ParamKind::Bool,
	           "add a user namespace where feasible (false: refuse specs without one)"},
	          {"subordinateUsers", ParamKind::StringList,
	           "users whose /etc/subuid and /etc/subgid ranges engine mappings may use, "
	           "besides the configured engine's own (dockremap, containers, kubelet)"},
	          {"hostRanges", ParamKind::StringList,
	           "further host ID ranges START:COUNT engine mappings may use"}},
	         &usernsRule},
	};
}

} // namespace bulkhead::policy
