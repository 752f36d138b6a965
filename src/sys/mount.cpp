#include "bulkhead/mount.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <linux/magic.h>
#include <memory>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace bulkhead::mount {

namespace {

/* ---- runc 1.1.5's option tables (libcontainer/specconv), by effect ---- */

enum class Kind { Flag, Propagation, RecursiveAttr, Extension };

struct Known
{
	std::string_view name;
	Kind kind;
};

/* Every option runc does not pass as data. The flag table's "defaults" maps
 * to no flag, so runc passes it on as data. */
constexpr Known kKnown[] = {
        {"acl", Kind::Flag},
        {"async", Kind::Flag},
        {"atime", Kind::Flag},
        {"bind", Kind::Flag},
        {"dev", Kind::Flag},
        {"diratime", Kind::Flag},
        {"dirsync", Kind::Flag},
        {"exec", Kind::Flag},
        {"iversion", Kind::Flag},
        {"lazytime", Kind::Flag},
        {"loud", Kind::Flag},
        {"mand", Kind::Flag},
        {"noacl", Kind::Flag},
        {"noatime", Kind::Flag},
        {"nodev", Kind::Flag},
        {"nodiratime", Kind::Flag},
        {"noexec", Kind::Flag},
        {"noiversion", Kind::Flag},
        {"nolazytime", Kind::Flag},
        {"nomand", Kind::Flag},
        {"norelatime", Kind::Flag},
        {"nostrictatime", Kind::Flag},
        {"nosuid", Kind::Flag},
        {"nosymfollow", Kind::Flag},
        {"rbind", Kind::Flag},
        {"relatime", Kind::Flag},
        {"remount", Kind::Flag},
        {"ro", Kind::Flag},
        {"rw", Kind::Flag},
        {"silent", Kind::Flag},
        {"strictatime", Kind::Flag},
        {"suid", Kind::Flag},
        {"sync", Kind::Flag},
        {"symfollow", Kind::Flag},
        {"private", Kind::Propagation},
        {"rprivate", Kind::Propagation},
        {"slave", Kind::Propagation},
        {"rslave", Kind::Propagation},
        {"shared", Kind::Propagation},
        {"rshared", Kind::Propagation},
        {"unbindable", Kind::Propagation},
        {"runbindable", Kind::Propagation},
        {"rro", Kind::RecursiveAttr},
        {"rrw", Kind::RecursiveAttr},
        {"rnosuid", Kind::RecursiveAttr},
        {"rsuid", Kind::RecursiveAttr},
        {"rnodev", Kind::RecursiveAttr},
        {"rdev", Kind::RecursiveAttr},
        {"rnoexec", Kind::RecursiveAttr},
        {"rexec", Kind::RecursiveAttr},
        {"rnodiratime", Kind::RecursiveAttr},
        {"rdiratime", Kind::RecursiveAttr},
        {"rrelatime", Kind::RecursiveAttr},
        {"rnorelatime", Kind::RecursiveAttr},
        {"rnoatime", Kind::RecursiveAttr},
        {"ratime", Kind::RecursiveAttr},
        {"rstrictatime", Kind::RecursiveAttr},
        {"rnostrictatime", Kind::RecursiveAttr},
        {"rnosymfollow", Kind::RecursiveAttr},
        {"rsymfollow", Kind::RecursiveAttr},
        {"tmpcopyup", Kind::Extension},
};

const Known *known(std::string_view o) noexcept
{
	for (const auto &k : kKnown)
		if (o == k.name) /* Go map lookup: exact, case-sensitive */
			return &k;
	return nullptr;
}

/* A tri-state of a recursive attribute: runc ORs every rX into attr_set and
 * every clearing one into attr_clr; the kernel clears, then sets. */
struct Rec
{
	bool set = false;
	bool clear = false;
	[[nodiscard]] bool apply(bool flag) const noexcept { return set || (flag && !clear); }
};

/* ---- how the kernel splits the data string ---- */

/* The SELinux security options the LSM takes out of the data string before
 * the filesystem sees it, honouring double quotes ("s0:c1,c2"). */
constexpr std::string_view kContextKeys[] = {
        "context=", "fscontext=", "defcontext=", "rootcontext="};

size_t contextKeyAt(std::string_view s, size_t i) noexcept
{
	for (auto k : kContextKeys)
		if (s.compare(i, k.size(), k) == 0 && i + k.size() < s.size() &&
		    s[i + k.size()] == '"')
			return k.size();
	return 0;
}

/* An SELinux label in quotes: the only option allowed a comma, since its
 * pieces (if a kernel without SELinux split it) can name no path. */
bool quotedContext(std::string_view o) noexcept
{
	size_t k = contextKeyAt(o, 0);
	if (k == 0 || o.size() < k + 2 || o.back() != '"')
		return false;
	for (char c : o.substr(k + 1, o.size() - k - 2))
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':' || c == '.' || c == ',' || c == '-'))
			return false;
	return true;
}

/* The data string split as the kernel does: SELinux context options whole
 * (quote-aware), then commas; overlayfs skips the character after a
 * backslash (its ovl_next_opt), every other filesystem splits at each comma. */
std::vector<std::string> kernelSplit(std::string_view type, std::string_view s)
{
	std::vector<std::string> out;
	if (s.empty())
		return out;
	const bool overlay = type == "overlay";
	size_t i = 0;
	for (;;) {
		size_t start = i;
		if (size_t k = contextKeyAt(s, i)) {
			size_t close = s.find('"', i + k + 1);
			i = close == std::string_view::npos ? s.size() : close + 1;
		}
		while (i < s.size() && s[i] != ',') {
			if (overlay && s[i] == '\\')
				i++;
			i++;
		}
		if (i > s.size())
			i = s.size();
		out.emplace_back(s.substr(start, i - start));
		if (i >= s.size())
			break;
		i++;
	}
	return out;
}

std::string quoted(const std::vector<std::string> &items)
{
	std::string out;
	for (const auto &s : items) {
		if (!out.empty())
			out += ' ';
		out += '"' + (s.size() > 80 ? s.substr(0, 80) + "..." : s) + '"';
	}
	return out;
}

/* ---- overlayfs ---- */

/* The kernel's ovl_unescape: a backslash escapes the next character. */
std::string unescape(std::string_view s)
{
	std::string out;
	for (size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\') {
			if (++i >= s.size())
				break;
		}
		out += s[i];
	}
	return out;
}

/* lowerdir's list: unescaped ':' separate layers ("::" the data-only ones);
 * an escaped character stays escaped until each element is unescaped. */
std::vector<std::string> lowerList(std::string_view v)
{
	std::vector<std::string> out;
	std::string cur;
	for (size_t i = 0; i < v.size(); i++) {
		if (v[i] == '\\') {
			cur += v[i];
			if (i + 1 < v.size())
				cur += v[++i];
		} else if (v[i] == ':') {
			if (!cur.empty())
				out.push_back(unescape(cur));
			cur.clear();
		} else {
			cur += v[i];
		}
	}
	if (!cur.empty())
		out.push_back(unescape(cur));
	return out;
}

/* Options overlayfs (Linux 6.18) accepts that name no directory, and the
 * superblock flags the VFS takes from any data string. */
constexpr std::string_view kOverlayOther[] = {
        "default_permissions",
        "redirect_dir",
        "index",
        "uuid",
        "nfs_export",
        "userxattr",
        "xino",
        "metacopy",
        "verity",
        "volatile",
        "override_creds",
        "ro",
        "rw",
        "sync",
        "async",
        "dirsync",
        "lazytime",
        "nolazytime",
        "mand",
        "nomand",
        "silent",
        "posixacl",
        "context",
        "fscontext",
        "defcontext",
        "rootcontext",
};

} // namespace

/* The data string as libmount 2.38 reads it (mnt_optstr_next_option: double
 * quotes group, no escapes, empty options skipped, the string ends at a NUL);
 * nullopt when it would refuse it. Written here so that bulkhead links no libmount (a
 * static binary); tests/unit/test_mount.cpp compares it with the installed
 * libmount on every string it tries. */
std::optional<std::vector<std::string>> libmountSplit(const std::string &whole)
{
	const std::string_view s(whole.c_str()); /* up to a NUL, as C reads it */
	std::vector<std::string> out;
	size_t i = 0;
	for (;;) {
		/* leading commas are skipped: ",a,,b" is "a" and "b" */
		while (i < s.size() && s[i] == ',')
			i++;
		size_t start = std::string_view::npos;
		size_t stop = std::string_view::npos;
		bool quoted = false;
		for (size_t p = i; p < s.size(); p++) {
			if (start == std::string_view::npos)
				start = p;
			if (s[p] == '"')
				quoted = !quoted;
			if (quoted)
				continue;
			if (s[p] == ',')
				stop = p;
			else if (p + 1 == s.size())
				stop = p + 1;
			if (stop == std::string_view::npos)
				continue;
			if (stop <= start)
				return std::nullopt;
			break;
		}
		if (stop == std::string_view::npos)
			return out;
		out.emplace_back(s.substr(start, stop - start));
		i = stop < s.size() ? stop + 1 : stop;
	}
}

Effect effect(const std::vector<std::string> &options)
{
	Effect e;
	bool ro = false;
	bool nosuid = false;
	bool nodev = false;
	Rec rro;
	Rec rnosuid;
	Rec rnodev;
	for (size_t i = 0; i < options.size(); i++) {
		const std::string &o = options[i];
		const Known *k = known(o);
		if (!k) {
			if (o == "defaults")
				ro = nosuid = nodev = false;
			e.data.push_back(i);
			continue;
		}
		switch (k->kind) {
		case Kind::Flag:
			if (o == "bind" || o == "rbind") {
				e.bind = true;
				e.recursive = e.recursive || o == "rbind";
			} else if (o == "ro") {
				ro = true;
			} else if (o == "rw") {
				ro = false;
			} else if (o == "nosuid") {
				nosuid = true;
			} else if (o == "suid") {
				nosuid = false;
			} else if (o == "nodev") {
				nodev = true;
			} else if (o == "dev") {
				nodev = false;
			}
			break;
		case Kind::Propagation:
			e.propagation.push_back(o);
			break;
		case Kind::RecursiveAttr:
			if (o == "rro")
				rro.set = true;
			else if (o == "rrw")
				rro.clear = true;
			else if (o == "rnosuid")
				rnosuid.set = true;
			else if (o == "rsuid")
				rnosuid.clear = true;
			else if (o == "rnodev")
				rnodev.set = true;
			else if (o == "rdev")
				rnodev.clear = true;
			break;
		case Kind::Extension:
			break;
		}
	}
	/* runc 1.1.5 applies the recursive attributes to bind mounts only. */
	if (e.bind) {
		e.readOnly = rro.apply(ro);
		e.nosuid = rnosuid.apply(nosuid);
		e.nodev = rnodev.apply(nodev);
	} else {
		e.readOnly = ro;
		e.nosuid = nosuid;
		e.nodev = nodev;
	}
	return e;
}

std::string splitProblem(std::string_view type, const std::vector<std::string> &data)
{
	if (data.empty())
		return {};
	std::string joined;
	for (size_t i = 0; i < data.size(); i++) {
		const std::string &o = data[i];
		if (o.find(',') != std::string::npos && !quotedContext(o))
			return "mount option \"" + o +
			       "\" contains a comma: runc joins the options with commas, so the "
			       "kernel reads it as several options";
		if (i > 0)
			joined += ',';
		joined += o;
	}
	auto k = kernelSplit(type, joined);
	if (k != data)
		return "mount options " + quoted(data) + " reach the " +
		       (type.empty() ? std::string("kernel") : std::string(type)) + " as " +
		       quoted(k) + " once runc joins them with commas";
	auto l = libmountSplit(joined);
	if (!l)
		return "libmount refuses the mount options " + quoted(data) + " (an empty option)";
	if (*l != data)
		return "mount options " + quoted(data) + " read as " + quoted(*l) +
		       " by libmount (quotes): the kernel and mount tools would disagree";
	return {};
}

Overlay overlay(const std::vector<std::string> &data)
{
	Overlay ov;
	for (size_t i = 0; i < data.size(); i++) {
		std::string_view o = data[i];
		size_t eq = o.find('=');
		std::string_view key = o.substr(0, eq);
		std::string_view value =
		        eq == std::string_view::npos ? std::string_view() : o.substr(eq + 1);
		if (key.empty())
			continue; /* the VFS skips "" and "=value" */
		if (key == "lowerdir") {
			auto list = lowerList(value);
			if (!list.empty())
				ov.layers.push_back(Layer{i, std::string(key), std::move(list)});
		} else if (key == "upperdir" || key == "workdir") {
			ov.layers.push_back(Layer{i, std::string(key), {unescape(value)}});
		} else if (key == "lowerdir+" || key == "datadir+") {
			Layer l{i, std::string(key), {std::string(value)}};
			std::string u = unescape(value);
			if (u != value)
				l.paths.push_back(u);
			ov.layers.push_back(std::move(l));
		} else {
			bool ok = false;
			for (auto k : kOverlayOther)
				ok = ok || key == k;
			if (!ok)
				ov.unknown.push_back(i);
		}
	}
	return ov;
}

} // namespace bulkhead::mount
