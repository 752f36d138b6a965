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
#include "host_ids.h"
#include "paths_util.h"
#include "sysctl_util.h"
#include "userns_util.h"

#include <algorithm>
#include <charconv>
#include <sys/stat.h>
#include <utility>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using hostids::decimal;
using hostids::eachLine;
using hostids::fields;
using hostids::HostIds;
using hostids::hostRangeProblem;
using hostids::readHostIds;
using namespace userns;

using json::Pointer;
using json::Type;
using json::Value;

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
