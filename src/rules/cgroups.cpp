/* P6.cgroups-path and P6.unified: the container's cgroup is a new one below
 * an engine's parent, and what runc writes into it is a controller limit.
 *
 * runc 1.1.5 reads linux.cgroupsPath two ways. With the cgroupfs driver it is
 * a path: absolute below each hierarchy's mount point, relative below runc's
 * own cgroup (cgroup v2: below its parent); empty means "<container ID>",
 * relative. With --systemd-cgroup it is "slice:prefix:name": the scope
 * prefix-name.scope in the slice's expanded path (a-b.slice is
 * /a.slice/a-b.slice), and an empty one is system.slice:runc:<ID>. runc
 * creates the cgroup if it is missing and joins it if it exists (a systemd
 * unit that exists is joined too): then the container's limits, device rules,
 * `pause` and `kill --all` act on whatever else lives there. bulkhead does not
 * know which driver runc will use, so a path is judged in every reading it has.
 *
 * runc writes each linux.resources.unified key as a file name into the
 * container's cgroup (cgroup v2), whatever the key: cgroup.procs moves
 * processes, cgroup.freeze freezes, cgroup.kill kills. Only controller limit
 * files from the allowlist pass. */
#include "spec_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Value;
using CgroupUse = HostFacts::CgroupUse;

const Pointer kPathAt = Pointer() / "linux" / "cgroupsPath";
const char *const kPathRemedy =
        "let the engine place the container in a new cgroup below its own parent "
        "(docker --cgroup-parent, podman --cgroup-parent, the kubelet's cgroup root), or add "
        "that parent to P6.cgroups-path parents";

const std::vector<std::string> &defaultParents()
{
	static const std::vector<std::string> v = {
	        "/docker",
	        "/default",
	        "/k8s.io",
	        "/kubepods",
	        "/libpod_parent",
	        "system.slice:docker:*",
	        "kubepods*.slice:cri-containerd:*",
	        "kubepods*.slice:crio:*",
	        "machine.slice:libpod:*",
	        "machine-libpod_pod_*.slice:libpod:*",
	};
	return v;
}

/* '*' matches any run of characters; everything else itself. */
bool glob(std::string_view pat, std::string_view s)
{
	size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
	while (i < s.size()) {
		if (p < pat.size() && pat[p] == '*') {
			star = p++;
			mark = i;
		} else if (p < pat.size() && pat[p] == s[i]) {
			p++;
			i++;
		} else if (star != std::string_view::npos) {
			p = star + 1;
			i = ++mark;
		} else {
			return false;
		}
	}
	while (p < pat.size() && pat[p] == '*')
		p++;
	return p == pat.size();
}

std::vector<std::string> split(std::string_view s, char sep)
{
	std::vector<std::string> out;
	size_t i = 0;
	while (true) {
		size_t j = s.find(sep, i);
		out.emplace_back(s.substr(i, j == std::string_view::npos ? s.npos : j - i));
		if (j == std::string_view::npos)
			return out;
		i = j + 1;
	}
}

bool hasDotDot(std::string_view p)
{
	auto parts = split(p, '/');
	return std::find(parts.begin(), parts.end(), "..") != parts.end();
}

struct Parents
{
	std::vector<std::string> fs;                   /* "/docker" */
	std::vector<std::vector<std::string>> systemd; /* {"system.slice", "docker", "*"} */
};

Parents parents(const RuleRun &run)
{
	Parents p;
	for (const auto &e : run.paramList("parents", defaultParents())) {
		if (!e.empty() && e.front() == '/') {
			if (hasDotDot(e) || e.find('\0') != std::string::npos ||
			    util::cleanPath(e) == "/")
				throw Error(
				        ErrorKind::Policy,
				        "rule P6.cgroups-path: parameter \"parents\": \"" + e +
				                "\" must be a cgroup below the root, without ..");
			p.fs.push_back(util::cleanPath(e));
			continue;
		}
		auto parts = split(e, ':');
		if (parts.size() != 3 || e.find('/') != std::string::npos)
			throw Error(ErrorKind::Policy,
			            "rule P6.cgroups-path: parameter \"parents\": \"" + e +
			                    "\" is neither an absolute cgroupfs path nor "
			                    "SLICE:PREFIX:NAME (systemd; * matches any text)");
		p.systemd.push_back(parts);
	}
	return p;
}

/* systemd's slice naming (a-b.slice is /a.slice/a-b.slice), as runc expands
 * it; nullopt where runc refuses the name. */
std::optional<std::string> expandSlice(const std::string &slice)
{
	const std::string suffix = ".slice";
	if (slice.size() < suffix.size() ||
	    slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0 ||
	    slice.find('/') != std::string::npos)
		return std::nullopt;
	std::string name = slice.substr(0, slice.size() - suffix.size());
	if (name == "-")
		return std::string("/");
	std::string path, prefix;
	for (const auto &c : split(name, '-')) {
		if (c.empty())
			return std::nullopt;
		path += "/" + prefix + c + suffix;
		prefix += c + "-";
	}
	return path;
}

/* A name runc accepts as a container ID and that stays one path component. */
bool plainName(std::string_view s)
{
	if (s.empty() || s == "." || s == ".." || s.size() > 1024)
		return false;
	return std::all_of(s.begin(), s.end(), [](char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       c == '_' || c == '+' || c == '-' || c == '.';
	});
}

struct Candidate
{
	std::string dir;
	std::string reading; /* "cgroupfs" or "systemd" */
};

std::string join(const std::string &a, const std::string &b)
{
	return util::cleanPath(a + "/" + b);
}

std::string parentOf(const std::string &p)
{
	std::string c = util::cleanPath(p);
	size_t s = c.rfind('/');
	return s == 0 || s == std::string::npos ? std::string("/") : c.substr(0, s);
}

void cgroupfsAbsolute(const std::vector<HostFacts::CgroupMount> &mounts, const std::string &inner,
                      std::vector<Candidate> &out)
{
	for (const auto &m : mounts)
		out.push_back({join(m.dir, inner), "cgroupfs"});
}

/* Relative: below runc's own cgroup (v1, and the v2 hierarchy of a hybrid
 * host), below its parent (v2). Both are checked for a v2 hierarchy. */
bool cgroupfsRelative(const std::vector<HostFacts::CgroupMount> &mounts, const std::string &inner,
                      std::vector<Candidate> &out, std::string &unknown)
{
	for (const auto &m : mounts) {
		if (m.own.empty() || m.own.front() != '/') {
			unknown = m.dir;
			return false;
		}
		out.push_back({join(m.dir, m.own + "/" + inner), "cgroupfs"});
		if (m.unified)
			out.push_back({join(m.dir, parentOf(m.own) + "/" + inner), "cgroupfs"});
	}
	return true;
}

/* The systemd driver: the mount point (v1: plus pid 1's cgroup without
 * init.scope), the expanded slice, the unit. */
void systemdPaths(const std::vector<HostFacts::CgroupMount> &mounts, const std::string &slicePath,
                  const std::string &unit, std::vector<Candidate> &out)
{
	for (const auto &m : mounts) {
		out.push_back({join(m.dir, slicePath + "/" + unit), "systemd"});
		std::string init = m.init.empty() ? "/" : util::cleanPath(m.init);
		const std::string tail = "init.scope";
		if (init.size() >= tail.size() &&
		    init.compare(init.size() - tail.size(), tail.size(), tail) == 0)
			init = init.substr(0, init.size() - tail.size());
		if (util::cleanPath(init) != "/")
			out.push_back(
			        {join(m.dir, init + "/" + slicePath + "/" + unit), "systemd"});
	}
}

const char *useWhy(CgroupUse u)
{
	switch (u) {
	case CgroupUse::Processes:
		return "already holds processes: the container's limits, device rules, pause and "
		       "kill --all would act on them";
	case CgroupUse::Children:
		return "already holds other cgroups: the container's limits, pause and kill --all "
		       "would act on everything below it";
	case CgroupUse::Unknown:
		return "cannot be inspected";
	case CgroupUse::Absent:
	case CgroupUse::Empty:
		break;
	}
	return "";
}

void checkCgroupsPath(RuleRun &run)
{
	const Parents allowed = parents(run);
	const bool runcDefault = run.paramBool("runcDefault", true);
	Value *linux = util::object(&run.doc, "linux", Pointer() / "linux");
	Value *v = util::child(linux, "cgroupsPath");
	const std::string path = v ? util::text(*v, kPathAt) : std::string();

	std::vector<Candidate> where;
	std::string unknownOwn;
	auto mounts = run.host.cgroupMounts();
	auto needMounts = [&]() -> bool {
		if (mounts)
			return true;
		run.deny(kPathAt,
		         "cannot read the host's cgroup hierarchies (/proc/self/mountinfo, "
		         "/proc/self/cgroup) to see which cgroup the container would join",
		         kPathRemedy);
		return false;
	};

	if (path.empty()) {
		if (!runcDefault) {
			run.deny(
			        kPathAt,
			        "no cgroupsPath: runc would place the container below its caller's "
			        "own cgroup",
			        kPathRemedy);
			return;
		}
		const std::string &id = run.call.containerId;
		if (id.empty())
			return; /* offline: the ID, and so the cgroup, is not known */
		if (!plainName(id)) {
			run.deny(kPathAt,
			         "container ID " + util::show(id) + " cannot name a cgroup",
			         kPathRemedy);
			return;
		}
		if (!needMounts())
			return;
		if (!cgroupfsRelative(*mounts, id, where, unknownOwn)) {
			run.deny(kPathAt,
			         "runc's own cgroup in " + unknownOwn +
			                 " cannot be told, so neither can the container's",
			         kPathRemedy);
			return;
		}
		systemdPaths(*mounts, "/system.slice", "runc-" + id + ".scope", where);
	} else if (path.front() == '/') {
		if (hasDotDot(path)) {
			run.deny(kPathAt, "cgroupsPath " + util::show(path) + " contains ..",
			         kPathRemedy);
			return;
		}
		const std::string inner = util::cleanPath(path);
		bool under = std::any_of(allowed.fs.begin(), allowed.fs.end(),
		                         [&](const std::string &p) {
			                         return inner != p && util::isUnder(inner, p);
		                         });
		if (!under) {
			run.deny(kPathAt,
			         "cgroupsPath " + util::show(path) +
			                 " is not below an allowed parent (" +
			                 util::join(allowed.fs) + ")",
			         kPathRemedy);
			return;
		}
		if (!needMounts())
			return;
		/* systemd cannot read an absolute path (runc fails): cgroupfs only. */
		cgroupfsAbsolute(*mounts, inner, where);
	} else {
		auto parts = split(path, ':');
		if (parts.size() != 3 || path.find('/') != std::string::npos) {
			run.deny(kPathAt,
			         "cgroupsPath " + util::show(path) +
			                 " is relative: runc would place it below its caller's own "
			                 "cgroup",
			         kPathRemedy);
			return;
		}
		const std::string &slice = parts[0], &prefix = parts[1], &name = parts[2];
		auto slicePath = expandSlice(slice);
		const std::string sfx = ".slice";
		if (!slicePath || !plainName(prefix) || !plainName(name) ||
		    (name.size() >= sfx.size() &&
		     name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0)) {
			run.deny(kPathAt,
			         "cgroupsPath " + util::show(path) +
			                 " is not SLICE:PREFIX:NAME with a valid slice and a plain "
			                 "prefix and name (a NAME ending in .slice would make runc "
			                 "join that slice)",
			         kPathRemedy);
			return;
		}
		bool ok = std::any_of(allowed.systemd.begin(), allowed.systemd.end(),
		                      [&](const std::vector<std::string> &p) {
			                      return glob(p[0], slice) && glob(p[1], prefix) &&
			                             glob(p[2], name);
		                      });
		if (!ok) {
			std::vector<std::string> shown;
			for (const auto &p : allowed.systemd)
				shown.push_back(p[0] + ":" + p[1] + ":" + p[2]);
			run.deny(kPathAt,
			         "cgroupsPath " + util::show(path) +
			                 " is not below an allowed parent (" + util::join(shown) +
			                 ")",
			         kPathRemedy);
			return;
		}
		if (!needMounts())
			return;
		systemdPaths(*mounts, *slicePath, prefix + "-" + name + ".scope", where);
		/* Without --systemd-cgroup runc reads it as one relative name. */
		if (!cgroupfsRelative(*mounts, path, where, unknownOwn)) {
			run.deny(kPathAt,
			         "runc's own cgroup in " + unknownOwn +
			                 " cannot be told, so neither can the container's",
			         kPathRemedy);
			return;
		}
	}

	std::vector<std::string> seen;
	for (const auto &c : where) {
		if (std::find(seen.begin(), seen.end(), c.dir) != seen.end())
			continue;
		seen.push_back(c.dir);
		CgroupUse u = run.host.cgroupUse(c.dir);
		if (u == CgroupUse::Absent || u == CgroupUse::Empty)
			continue;
		run.deny(kPathAt,
		         (path.empty() ? std::string("runc's default cgroup")
		                       : "cgroupsPath " + util::show(path)) +
		                 " names cgroup " + c.dir + " (" + c.reading + " driver), which " +
		                 useWhy(u),
		         kPathRemedy);
		return;
	}
}

const std::vector<std::string> &unifiedAllowed()
{
	static const std::vector<std::string> v = {
	        "cpu.weight",         "cpu.weight.nice",  "cpu.max",          "cpu.max.burst",
	        "cpu.idle",           "cpuset.cpus",      "cpuset.mems",      "io.weight",
	        "io.bfq.weight",      "io.max",           "memory.min",       "memory.low",
	        "memory.high",        "memory.max",       "memory.swap.high", "memory.swap.max",
	        "memory.zswap.max",   "memory.oom.group", "pids.max",         "hugetlb.*.max",
	        "hugetlb.*.rsvd.max", "rdma.max",         "misc.max",
	};
	return v;
}

void checkUnified(RuleRun &run)
{
	const auto allowed = run.paramList("allowed", unifiedAllowed());
	const Pointer at = Pointer() / "linux" / "resources" / "unified";
	Value *linux = util::object(&run.doc, "linux", Pointer() / "linux");
	Value *res = util::object(linux, "resources", Pointer() / "linux" / "resources");
	Value *unified = util::object(res, "unified", at);
	if (!unified)
		return;
	for (const auto &[key, value] : unified->members()) {
		const Pointer kat = at / key;
		const std::string &v = util::text(value, kat);
		/* cgroup.* are the core interface files, never a limit: not even a
		 * policy may allow them. */
		const bool core = key.rfind("cgroup.", 0) == 0;
		bool ok = !core && !key.empty() && key.find('/') == std::string::npos &&
		          key.find('\0') == std::string::npos &&
		          std::any_of(allowed.begin(), allowed.end(),
		                      /* clang 14 captures no structured binding */
		                      [&k = key](const std::string &p) { return glob(p, k); });
		if (!ok) {
			run.deny(kat,
			         "unified key " + util::show(key) +
			                 " is not a controller limit bulkhead allows: runc writes "
			                 "it as a file into the container's cgroup" +
			                 (core ? " (cgroup.* files move, freeze or kill "
			                         "processes)"
			                       : ""),
			         "drop it from the engine's unified resources (k8s: "
			         "the pod's unified settings), or allow it in P6.unified");
			continue;
		}
		if (std::any_of(v.begin(), v.end(), [](char c) {
			    return static_cast<unsigned char>(c) < 0x20 && c != ' ' && c != '\t';
		    }))
			run.deny(kat,
			         "unified " + util::show(key) + " value " + util::show(v) +
			                 " contains a control character",
			         "one value per key, on one line");
	}
}

} // namespace

std::vector<RuleDef> cgroupsRules()
{
	return {
	        {"P6.cgroups-path",
	         "the container's cgroup is a new one below an engine's parent: no .., nothing "
	         "relative, no existing cgroup with processes or cgroups in it",
	         {Scope::Spec},
	         {{"parents", ParamKind::StringList,
	           "allowed parents: cgroupfs paths (/docker) and systemd SLICE:PREFIX:NAME "
	           "globs (system.slice:docker:*)"},
	          {"runcDefault", ParamKind::Bool,
	           "accept an empty cgroupsPath (runc's own default place) (true)"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkCgroupsPath(run); }); }},
	        {"P6.unified",
	         "cgroup v2 unified keys only from the allowlist of controller limit files; "
	         "never cgroup.*",
	         {Scope::Spec, Scope::Resources},
	         {{"allowed", ParamKind::StringList,
	           "allowed unified keys; * matches any text (hugetlb.*.max)"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkUnified(run); }); }},
	};
}

} // namespace bulkhead::policy
