#include "paths_util.h"

#include <algorithm>
#include <optional>

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

void checkRootfs(RuleRun &run)
{
	const std::vector<std::string> dirs = run.paramList("tmpfs", {"/tmp", "/run", "/var/tmp"});
	const std::string size = run.paramString("tmpfsSize", "64m");
	if (!validSize(size))
		throw Error(ErrorKind::Policy,
		            "rule P2.readonly-rootfs: parameter \"tmpfsSize\" must be a size "
		            "like \"64m\", got \"" +
		                    size + "\"");
	std::vector<std::string> want;
	for (const auto &d : dirs) {
		std::string c = util::cleanPath(d);
		if (c.empty() || c.front() != '/' || c == "/" || d.find('\0') != std::string::npos)
			throw Error(ErrorKind::Policy,
			            "rule P2.readonly-rootfs: parameter \"tmpfs\" "
			            "needs absolute directories other than /, got \"" +
			                    d + "\"");
		want.push_back(c);
	}

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

	if (!ro || !ro->asBool()) {
		util::fix(run, rp / "readonly", "root filesystem is writable", "made read-only",
		          kRemedy, [&] {
			          util::child(&run.doc, "root")
			                  ->set("readonly", json::Value::boolean(true));
		          });
	}

	const auto uid = processId(run.doc, "uid");
	const auto gid = processId(run.doc, "gid");
	for (const auto &dir : want) {
		/* Something mounted there, or on a parent of it (other than /), wins. */
		bool covered = false;
		for (const auto &d : dests)
			if (d != "/" && util::isUnder(dir, d))
				covered = true;
		if (covered)
			continue;
		util::fix(run, mp, "no writable tmpfs on " + dir + " with a read-only rootfs",
		          "added (" + size + ", nosuid, nodev)", kRemedy, [&] {
			          json::Value m = json::Value::object();
			          m.set("destination", json::Value::string(dir));
			          m.set("type", json::Value::string("tmpfs"));
			          m.set("source", json::Value::string("tmpfs"));
			          json::Value opts = json::Value::array();
			          for (const char *o : {"nosuid", "nodev", "mode=1777"})
				          opts.push(json::Value::string(o));
			          opts.push(json::Value::string("size=" + size));
			          /* runc keeps the mode of the image's directory (/run is
			           * usually 0755): owning the tmpfs is what lets a non-root
			           * process write there. */
			          if (uid)
				          opts.push(json::Value::string("uid=" +
				                                        std::to_string(*uid)));
			          if (gid)
				          opts.push(json::Value::string("gid=" +
				                                        std::to_string(*gid)));
			          m.set("options", std::move(opts));
			          json::Value *ms = util::child(&run.doc, "mounts");
			          if (!ms)
				          ms = &run.doc.set("mounts", json::Value::array());
			          /* Before any mount below it, so the tmpfs never hides one. */
			          auto &items = ms->items();
			          size_t pos = items.size();
			          for (size_t i = 0; i < items.size(); ++i) {
				          const json::Value *d =
				                  util::child(&items[i], "destination");
				          if (d && d->isString() &&
				              util::isUnder(util::cleanPath(d->asString()), dir)) {
					          pos = i;
					          break;
				          }
			          }
			          items.insert(items.begin() + static_cast<std::ptrdiff_t>(pos),
			                       std::move(m));
		          });
		dests.push_back(dir);
	}
}

/* ---- P10.rootfs ---- */

const char *const kRootfsRemedy =
        "give the container a root filesystem of its own (an image, or a directory made "
        "for it), never a host system tree";

/* Where engines keep their containers' root filesystems inside a protected tree.
 * A component "*" stands for one plain ID, "{remap}" for Docker's UID.GID root. */
const std::vector<std::string> kEngineRootfs = {
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
	auto templates = run.paramList("engineRootfs", kEngineRootfs);
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
	           "directories given a tmpfs when nothing is mounted there ([/tmp, /run, "
	           "/var/tmp])"},
	          {"tmpfsSize", ParamKind::String, "size of each added tmpfs (\"64m\")"}},
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
