#include "paths_util.h"

#include <algorithm>
#include <optional>
#include <sys/stat.h>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P2.readonly-rootfs: the root filesystem is read-only; bounded tmpfs where
 * applications expect to write, unless the spec already mounts something there.
 * P10.rootfs: the rootfs is no sensitive host tree, contains none and lies in
 * one only where an engine keeps its containers' root filesystems; judged after
 * resolving links, and runc is given the path judged. */
namespace bulkhead::policy {

namespace {

const char *const kRemedy = "docker run --read-only --tmpfs /tmp; k8s "
                            "securityContext.readOnlyRootFilesystem: true with emptyDir volumes";

bool validSize(const std::string &s)
{
	if (s.empty())
		return false;
	size_t digits = 0;
	while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
		++digits;
	if (digits == 0 || digits > 15)
		return false;
	if (digits == s.size())
		return true;
	if (digits + 1 != s.size())
		return false;
	char u = s.back();
	return u == 'k' || u == 'm' || u == 'g' || u == 'K' || u == 'M' || u == 'G';
}

/* The process's uid or gid when it is a plain non-root id (P1 runs first). */
std::optional<int64_t> processId(const json::Value &doc, std::string_view key)
{
	const json::Value *p = doc.find("process");
	const json::Value *u = p && p->isObject() ? p->find("user") : nullptr;
	const json::Value *v = u && u->isObject() ? u->find(key) : nullptr;
	auto n = v && v->isNumber() ? v->asInt64() : std::nullopt;
	if (n && *n > 0 && *n <= 4294967294)
		return n;
	return std::nullopt;
}

/* A directory parameter: absolute, not /, no NUL; "DIR/ *" (each subdirectory
 * of DIR) only where allowed. Returns the cleaned path. */
std::string dirParam(const std::string &d, const char *name, bool glob)
{
	std::string c = util::cleanPath(d);
	bool bad = c.empty() || c.front() != '/' || c == "/" || d.find('\0') != std::string::npos;
	size_t star = c.find('*');
	if (star != std::string::npos &&
	    (!glob || star + 1 != c.size() || c.size() < 3 || c[star - 1] != '/'))
		bad = true;
	if (bad || c == "/*")
		throw Error(ErrorKind::Policy,
		            std::string("rule P2.readonly-rootfs: parameter \"") + name +
		                    "\" needs absolute directories other than /" +
		                    (glob ? " (DIR/* for each subdirectory of DIR)" : "") +
		                    ", got \"" + d + "\"");
	return c;
}

enum class InImage { Dir, Absent, Link, Other };

/* What the image holds at DIR (clean, absolute), component by component and
 * without following links: runc would follow a link inside the rootfs, and a
 * tmpfs there would land somewhere else than the policy names. */
InImage inImage(const HostFacts &host, const std::string &rootfs, const std::string &dir)
{
	std::string p = rootfs;
	for (const auto &c : paths::components(dir)) {
		p += "/" + c;
		auto st = host.lstat(p);
		if (!st)
			return InImage::Absent;
		if (S_ISLNK(st->mode))
			return InImage::Link;
		if (!S_ISDIR(st->mode))
			return InImage::Other;
	}
	return InImage::Dir;
}

/* The rootfs directory on the host, when it can be inspected (the engine has
 * mounted the image there before it calls the runtime). */
std::optional<std::string> imageRoot(RuleRun &run)
{
	const json::Value *p = util::child(util::child(&run.doc, "root"), "path");
	if (!p || !p->isString() || paths::hasNul(p->asString()))
		return std::nullopt;
	auto abs = paths::resolveAgainst(p->asString(), run.call.bundle);
	if (!abs)
		return std::nullopt;
	auto real = run.host.realpath(*abs);
	if (!real)
		return std::nullopt;
	std::string r = paths::normalize(*real);
	auto st = run.host.stat(r);
	if (!st || !S_ISDIR(st->mode))
		return std::nullopt;
	return r == "/" ? std::string() : r;
}

constexpr size_t kListMax = 4096;

std::string listed(const std::vector<std::string> &names, size_t shown)
{
	std::string out;
	for (size_t i = 0; i < names.size() && i < shown; i++)
		out += (i ? ", " : "") + names[i];
	if (names.size() > shown)
		out += ", ...";
	return out;
}

/* One tmpfs bulkhead adds: copied up from the image or fresh. */
struct Planned
{
	std::string dir;
	bool state = false; /* a state directory: fresh, not copied up */
};

void addTmpfs(RuleRun &run, const Planned &p, const std::string &size, bool copyUp,
              std::optional<int64_t> uid, std::optional<int64_t> gid)
{
	json::Value m = json::Value::object();
	m.set("destination", json::Value::string(p.dir));
	m.set("type", json::Value::string("tmpfs"));
	m.set("source", json::Value::string("tmpfs"));
	json::Value opts = json::Value::array();
	for (const char *o : {"nosuid", "nodev", p.state ? "mode=755" : "mode=1777"})
		opts.push(json::Value::string(o));
	opts.push(json::Value::string("size=" + size));
	/* runc gives the tmpfs the mode of the image's directory (/run is
	 * usually 0755, owned by root): owning it is what lets a non-root
	 * process write there. In a user namespace the kernel reads uid= and
	 * gid= as IDs of the container (runc mounts from inside it). */
	if (uid)
		opts.push(json::Value::string("uid=" + std::to_string(*uid)));
	if (gid)
		opts.push(json::Value::string("gid=" + std::to_string(*gid)));
	/* runc's extension: the image's files there are copied into the tmpfs
	 * (with their owners), so covering the directory hides nothing. */
	if (copyUp && !p.state)
		opts.push(json::Value::string("tmpcopyup"));
	m.set("options", std::move(opts));
	json::Value *ms = util::child(&run.doc, "mounts");
	if (!ms)
		ms = &run.doc.set("mounts", json::Value::array());
	/* Before any mount below it, so the tmpfs never hides one. */
	auto &items = ms->items();
	size_t pos = items.size();
	for (size_t i = 0; i < items.size(); ++i) {
		const json::Value *d = util::child(&items[i], "destination");
		if (d && d->isString() && util::isUnder(util::cleanPath(d->asString()), p.dir) &&
		    util::cleanPath(d->asString()) != p.dir) {
			pos = i;
			break;
		}
	}
	items.insert(items.begin() + static_cast<std::ptrdiff_t>(pos), std::move(m));
}

void checkRootfs(RuleRun &run)
{
	const std::vector<std::string> dirs = run.paramList("tmpfs", {"/tmp", "/run", "/var/tmp"});
	const std::vector<std::string> stateParam = run.paramList("stateDirs", {});
	const std::string size = run.paramString("tmpfsSize", "64m");
	const bool copyUp = run.paramBool("tmpcopyup", true);
	if (!validSize(size))
		throw Error(ErrorKind::Policy,
		            "rule P2.readonly-rootfs: parameter \"tmpfsSize\" must be a size "
		            "like \"64m\", got \"" +
		                    size + "\"");
	std::vector<std::string> want;
	for (const auto &d : dirs)
		want.push_back(dirParam(d, "tmpfs", false));
	std::vector<std::string> stateWant;
	for (const auto &d : stateParam)
		stateWant.push_back(dirParam(d, "stateDirs", true));

	const json::Pointer rp = json::Pointer() / "root";
	json::Value *root = util::object(&run.doc, "root", rp);
	if (!root) {
		run.deny(rp, "spec has no root", util::kFixWriter);
		return;
	}
	json::Value *ro = util::child(root, "readonly");
	if (ro && !ro->isBool())
		util::malformed(rp / "readonly", "boolean expected at /root/readonly");

	/* Destinations already mounted, cleaned. */
	const json::Pointer mp = json::Pointer() / "mounts";
	json::Value *mounts = util::array(&run.doc, "mounts", mp);
	std::vector<std::string> dests;
	if (mounts) {
		for (size_t i = 0; i < mounts->items().size(); ++i) {
			json::Value &m = mounts->items()[i];
			if (!m.isObject())
				util::malformed(mp / i, "object expected at " + (mp / i).str());
			json::Value *d = util::child(&m, "destination");
			if (!d)
				util::malformed(mp / i / "destination",
				                "mount without destination at " + (mp / i).str());
			dests.push_back(util::cleanPath(util::text(*d, mp / i / "destination")));
		}
	}
	/* Something the spec mounts there, or on a parent of it (other than /), wins. */
	auto covered = [&](const std::string &dir) {
		return std::any_of(dests.begin(), dests.end(), [&](const std::string &d) {
			return d != "/" && util::isUnder(dir, d);
		});
	};

	/* What the image holds decides where a tmpfs can go: bulkhead creates no
	 * directory in it (in a user namespace the mapped root could not). When
	 * the rootfs cannot be inspected (offline), the tmpfs list is added as
	 * written and the state directories are left out. */
	const auto image = imageRoot(run);
	std::vector<Planned> plan;
	std::vector<std::string> skipped;
	auto plannedAt = [&](const std::string &dir) {
		return std::any_of(plan.begin(), plan.end(),
		                   [&](const Planned &p) { return p.dir == dir; });
	};
	auto why = [](InImage k) {
		return k == InImage::Absent ? "the image has no such directory"
		       : k == InImage::Link ? "it is a symbolic link in the image"
		                            : "it is not a directory in the image";
	};
	for (const auto &dir : want) {
		if (covered(dir) || plannedAt(dir))
			continue;
		if (image) {
			InImage k = inImage(run.host, *image, dir);
			if (k != InImage::Dir) {
				skipped.push_back(dir);
				run.note(mp,
				         "no tmpfs on " + dir + ": " + why(k) +
				                 " (bulkhead creates none there); writes below " +
				                 dir + " fail",
				         "create " + dir +
				                 " in the image, or mount a tmpfs there "
				                 "(docker run --tmpfs " +
				                 dir + "; k8s emptyDir)");
				continue;
			}
		}
		plan.push_back({dir, false});
	}
	if (!stateWant.empty() && !image)
		run.note(mp, "state directories not judged: the rootfs cannot be inspected here",
		         "run the check where the engine has mounted the image");
	for (const auto &entry : stateWant) {
		if (!image)
			break;
		std::vector<std::string> found;
		if (entry.size() > 2 && entry.compare(entry.size() - 2, 2, "/*") == 0) {
			const std::string base = entry.substr(0, entry.size() - 2);
			if (inImage(run.host, *image, base) != InImage::Dir)
				continue;
			auto names = run.host.listDir(*image + base, kListMax);
			if (!names) {
				run.note(mp,
				         "state directories " + entry + " not judged: " + base +
				                 " in the image cannot be listed",
				         "name the directories one by one in stateDirs");
				continue;
			}
			for (const auto &n : *names)
				if (inImage(run.host, *image, base + "/" + n) == InImage::Dir)
					found.push_back(base + "/" + n);
		} else if (inImage(run.host, *image, entry) == InImage::Dir) {
			found.push_back(entry);
		}
		for (const auto &dir : found)
			if (!covered(dir) && !plannedAt(dir))
				plan.push_back({dir, true});
	}
	/* A parent before its children, so that each is mounted on the one above. */
	std::stable_sort(plan.begin(), plan.end(), [](const Planned &a, const Planned &b) {
		return paths::components(a.dir).size() < paths::components(b.dir).size();
	});

	if (!ro || !ro->asBool()) {
		std::string writable;
		for (const auto &p : plan)
			writable += (writable.empty() ? "" : ", ") + p.dir;
		util::fix(run, rp / "readonly", "root filesystem is writable",
		          "made read-only: writes outside the spec's mounts" +
		                  (writable.empty() ? std::string()
		                                    : " and the tmpfs on " + writable) +
		                  " now fail with EROFS",
		          kRemedy, [&] {
			          util::child(&run.doc, "root")
			                  ->set("readonly", json::Value::boolean(true));
		          });
	}

	const auto uid = processId(run.doc, "uid");
	const auto gid = processId(run.doc, "gid");
	const std::string owner =
	        uid ? ", owned by uid " + std::to_string(*uid) +
	                        (gid ? " gid " + std::to_string(*gid) : std::string())
	            : std::string();
	for (const auto &p : plan) {
		std::string done = "added (" + size + ", nosuid, nodev" + owner;
		if (!p.state && copyUp)
			done += ", the image's files copied in";
		done += ")";
		util::fix(run, mp,
		          p.state ? "state directory " + p.dir +
		                            " of the image is not writable with a read-only rootfs"
		                  : "no writable tmpfs on " + p.dir + " with a read-only rootfs",
		          done, kRemedy, [&] { addTmpfs(run, p, size, copyUp, uid, gid); });
		/* A fresh tmpfs hides what the image keeps there. */
		if (p.state && image && run.action() == Action::Mutate) {
			auto names = run.host.listDir(*image + p.dir, kListMax);
			if (names && !names->empty())
				run.note(mp,
				         "the tmpfs on " + p.dir + " hides the image's " +
				                 std::to_string(names->size()) +
				                 " entries there (" + listed(*names, 4) + ")",
				         "if the program needs them, copy them at start or drop " +
				                 p.dir + " from P2.readonly-rootfs stateDirs");
		}
	}
}

/* ---- P10.rootfs ---- */

const char *const kRootfsRemedy =
        "give the container a root filesystem of its own (an image, or a directory made "
        "for it), never a host system tree";

/* Where engines keep their containers' root filesystems inside a protected tree.
 * A component "*" stands for one plain ID, "{remap}" for Docker's UID.GID root. */
const std::vector<std::string> &engineRootfsList()
{
	static const std::vector<std::string> v = {
	        "/var/lib/docker/overlay2/*/merged",
	        "/var/lib/docker/{remap}/overlay2/*/merged",
	        "/var/lib/docker/fuse-overlayfs/*/merged",
	        "/var/lib/docker/{remap}/fuse-overlayfs/*/merged",
	        "/var/lib/docker/aufs/mnt/*",
	        "/var/lib/docker/{remap}/aufs/mnt/*",
	        "/var/lib/docker/btrfs/subvolumes/*",
	        "/var/lib/docker/{remap}/btrfs/subvolumes/*",
	        "/var/lib/docker/zfs/graph/*",
	        "/var/lib/docker/{remap}/zfs/graph/*",
	        "/var/lib/docker/vfs/dir/*",
	        "/var/lib/docker/{remap}/vfs/dir/*",
	        "/var/lib/containers/storage/overlay/*/merged",
	        "/var/lib/containers/storage/vfs/dir/*",
	        "/var/lib/containers/storage/btrfs/subvolumes/*",
	        "/run/containerd/io.containerd.runtime.v2.task/*/*/rootfs",
	        "/run/containerd/io.containerd.runtime.v1.linux/*/*/rootfs",
	};
	return v;
}

bool allDigits(std::string_view s)
{
	return !s.empty() &&
	       std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/* The whole path is one of the templates (same number of components). */
bool engineRootfs(const std::string &path, const std::vector<std::string> &templates)
{
	auto p = paths::components(path);
	for (const auto &tmpl : templates) {
		auto t = paths::components(tmpl);
		if (t.size() != p.size())
			continue;
		bool ok = true;
		for (size_t i = 0; ok && i < t.size(); i++) {
			if (t[i] == "*") {
				ok = paths::isSafeId(p[i]);
			} else if (t[i] == "{remap}") {
				size_t dot = p[i].find('.');
				ok = dot != std::string::npos && allDigits(p[i].substr(0, dot)) &&
				     allDigits(p[i].substr(dot + 1));
			} else {
				ok = t[i] == p[i];
			}
		}
		if (ok)
			return true;
	}
	return false;
}

/* How a form of the rootfs relates to a protected tree, "" when it may be used. */
std::string rootfsWhy(const HostFacts &host, const std::string &f, const paths::Target &t,
                      const std::vector<std::string> &templates)
{
	std::vector<std::string> names{t.lexical};
	if (t.real && *t.real != t.lexical)
		names.push_back(*t.real);
	for (const auto &n : names) {
		if (f == n)
			return "is sensitive host path " + t.lexical;
		if (paths::isStrictlyUnder(n, f))
			return "contains sensitive host path " + t.lexical;
	}
	auto st = host.stat(f);
	if (st && t.id && st->id == *t.id)
		return "is the same directory (device+inode) as sensitive host path " + t.lexical;
	if (st &&
	    std::find(t.ancestorIds.begin(), t.ancestorIds.end(), st->id) != t.ancestorIds.end())
		return "is the same directory (device+inode) as a parent of sensitive host path " +
		       t.lexical;
	if (t.lexical == "/")
		return {};
	/* Inside the tree: only at an engine's place for root filesystems, read
	 * relative to the tree's own name. */
	std::optional<std::string> suffix;
	std::string in;
	for (const auto &n : names)
		if (!suffix && paths::isStrictlyUnder(f, n)) {
			suffix = f.substr(n.size());
			in = n;
		}
	if (!suffix && t.id) {
		auto anc = paths::ancestors(f);
		for (auto it = anc.rbegin(); !suffix && it != anc.rend(); ++it) {
			if (*it == "/")
				continue;
			auto ast = host.stat(*it);
			if (ast && ast->id == *t.id) {
				suffix = f.substr(it->size());
				in = *it + " (the same directory as " + t.lexical + ")";
			}
		}
	}
	if (!suffix)
		return {};
	for (const auto &n : names)
		if (engineRootfs(n + *suffix, templates))
			return {};
	return "lies in sensitive host path " + in +
	       ", not where an engine keeps a root filesystem";
}

void checkRootfsPath(RuleRun &run)
{
	const json::Pointer rp = json::Pointer() / "root";
	json::Value *root = util::object(&run.doc, "root", rp);
	if (!root)
		return; /* P2.readonly-rootfs refuses a spec without one; runc too */
	json::Value *pathV = util::string(root, "path", rp / "path");
	/* runc joins root.path to the bundle and cleans it: "" is the bundle. */
	std::string raw = pathV ? util::text(*pathV, rp / "path") : std::string();
	auto abs = paths::resolveAgainst(raw, run.call.bundle);
	if (!abs) {
		run.deny(rp / "path",
		         "relative root.path " + util::show(raw) +
		                 " with an unknown bundle directory cannot be judged",
		         util::kFixWriter);
		return;
	}
	const std::string lexical = paths::normalize(*abs);
	/* What runc checks the rootfs against (EvalSymlinks of the cleaned path),
	 * and what the kernel makes of the path as written. */
	auto canonical = run.host.realpath(lexical);
	if (canonical)
		*canonical = paths::normalize(*canonical);
	auto asWritten = run.host.realpath(*abs);
	if (asWritten)
		*asWritten = paths::normalize(*asWritten);

	std::vector<std::string> forms{lexical};
	for (const auto *f : {&canonical, &asWritten})
		if (*f && std::find(forms.begin(), forms.end(), **f) == forms.end())
			forms.push_back(**f);
	std::string stripped = paths::stripProcRoot(lexical);
	if (std::find(forms.begin(), forms.end(), stripped) == forms.end())
		forms.push_back(stripped);

	auto sensitive = paths::targets(
	        run.host, run.paramList("sensitivePaths", paths::defaultSensitivePaths()));
	auto templates = run.paramList("engineRootfs", engineRootfsList());
	for (const auto &f : forms) {
		for (const auto &t : sensitive) {
			std::string why = rootfsWhy(run.host, f, t, templates);
			if (why.empty())
				continue;
			if (f != lexical)
				why = "resolves to " + f + ", which " + why;
			run.deny(rp / "path", "rootfs " + util::show(raw) + " " + why,
			         kRootfsRemedy);
			return;
		}
	}

	/* runc must be given the path judged: the resolved one. */
	if (canonical && (*canonical != lexical || (asWritten && *asWritten != *canonical))) {
		std::string to = *canonical;
		util::fix(run, rp / "path",
		          "root.path " + util::show(raw) + " resolves to " + to +
		                  " through symbolic links",
		          "set to " + to, kRootfsRemedy,
		          [root, to] { root->set("path", json::Value::string(to)); });
	} else if (!canonical && asWritten) {
		run.deny(rp / "path",
		         "root.path " + util::show(raw) + " names " + lexical +
		                 " to runc but resolves to " + *asWritten + " for the kernel",
		         kRootfsRemedy);
	}
}

} // namespace

std::vector<RuleDef> rootfsRules()
{
	return {
	        {"P2.readonly-rootfs",
	         "read-only root filesystem, with nosuid,nodev tmpfs on /tmp, /run, /var/tmp "
	         "unless "
	         "the spec mounts something there",
	         {Scope::Spec},
	         {{"tmpfs", ParamKind::StringList,
	           "directories given a tmpfs, with the image's files copied in, when the "
	           "image has them and nothing is mounted there ([/tmp, /run, /var/tmp])",
	           Widens::More},
	          {"tmpfsSize", ParamKind::String, "size of each added tmpfs (\"64m\")",
	           Widens::More},
	          {"tmpcopyup", ParamKind::Bool,
	           "copy the image's files into the tmpfs list's tmpfs (runc's tmpcopyup; true)"},
	          {"stateDirs", ParamKind::StringList,
	           "state directories given a fresh tmpfs owned by the process user when the "
	           "image has them; DIR/* is each subdirectory of DIR in the image ([])",
	           Widens::More}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkRootfs(run); }); }},
	        {"P10.rootfs",
	         "the rootfs is no sensitive host tree, contains none, and lies in one only "
	         "where an engine keeps root filesystems; judged after resolving links, and "
	         "root.path rewritten to the path judged",
	         {Scope::Spec},
	         {{"sensitivePaths", ParamKind::StringList, "protected host trees"},
	          {"engineRootfs", ParamKind::StringList,
	           "engine root filesystem locations inside protected trees: templates where "
	           "* is one ID and {remap} Docker's UID.GID root"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkRootfsPath(run); }); }},
	};
}

} // namespace bulkhead::policy
