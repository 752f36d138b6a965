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

struct FreeDeleter
{
	void operator()(char *p) const noexcept { std::free(p); }
};

/* ---- runc 1.1.5's option tables (libcontainer/specconv), by effect ---- */

enum class Kind { Flag, Propagation, RecursiveAttr, Extension };

struct Known
{
	const char *name;
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

/* ---- the host's mounts ---- */

/* Kernel filesystems by statfs(2) f_type. devtmpfs reports tmpfs's magic:
 * the mount table names it. */
struct Magic
{
	unsigned long magic;
	const char *name;
};
constexpr Magic kMagics[] = {
        {PROC_SUPER_MAGIC, "proc"},
        {SYSFS_MAGIC, "sysfs"},
        {DEBUGFS_MAGIC, "debugfs"},
        {TRACEFS_MAGIC, "tracefs"},
        {SECURITYFS_MAGIC, "securityfs"},
        {SELINUX_MAGIC, "selinuxfs"},
        {SMACK_MAGIC, "smackfs"},
        {BPF_FS_MAGIC, "bpf"},
        {CGROUP_SUPER_MAGIC, "cgroup"},
        {CGROUP2_SUPER_MAGIC, "cgroup2"},
        {0x62656570UL, "configfs"}, /* CONFIGFS_MAGIC */
        {EFIVARFS_MAGIC, "efivarfs"},
        {0x65735543UL, "fusectl"}, /* FUSECTL_SUPER_MAGIC */
        {PSTOREFS_MAGIC, "pstore"},
        {BINFMTFS_MAGIC, "binfmt_misc"},
        {NSFS_MAGIC, "nsfs"},
        {DEVPTS_SUPER_MAGIC, "devpts"},
        {0x19800202UL, "mqueue"}, /* MQUEUE_MAGIC */
        {HUGETLBFS_MAGIC, "hugetlbfs"},
};

std::string magicName(unsigned long magic)
{
	for (const auto &m : kMagics)
		if (m.magic == magic)
			return m.name;
	return {};
}

/* mountinfo's octal escapes (\040 for a space, \011, \012, \134) undone */
std::string unmangle(std::string_view f)
{
	std::string out;
	for (size_t i = 0; i < f.size(); i++) {
		auto octal = [&f](size_t k) { return f[k] >= '0' && f[k] <= '7'; };
		if (f[i] == '\\' && i + 3 < f.size() && octal(i + 1) && octal(i + 2) &&
		    octal(i + 3)) {
			out += static_cast<char>(((f[i + 1] - '0') << 6) | ((f[i + 2] - '0') << 3) |
			                         (f[i + 3] - '0'));
			i += 3;
		} else {
			out += f[i];
		}
	}
	return out;
}

/* One line of /proc/self/mountinfo (proc(5)): "ID PARENT MAJ:MIN ROOT TARGET
 * OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS". */
struct MountLine
{
	std::string target;
	std::string fstype;
	std::string source;
	std::string propagation; /* "shared", "slave", "shared,slave", "private", + ",unbindable" */
};

std::optional<MountLine> parseLine(std::string_view line)
{
	std::vector<std::string_view> f;
	size_t i = 0;
	while (i < line.size()) {
		while (i < line.size() && line[i] == ' ')
			i++;
		size_t j = line.find(' ', i);
		if (j == std::string_view::npos)
			j = line.size();
		if (j > i)
			f.push_back(line.substr(i, j - i));
		i = j;
	}
	size_t dash = 6;
	while (dash < f.size() && f[dash] != "-")
		dash++;
	if (f.size() < 7 || dash + 2 >= f.size())
		return std::nullopt;
	MountLine m;
	m.target = unmangle(f[4]);
	m.fstype = unmangle(f[dash + 1]);
	m.source = unmangle(f[dash + 2]);
	bool shared = false, slave = false, unbindable = false;
	for (size_t k = 6; k < dash; k++) {
		shared = shared || f[k].rfind("shared:", 0) == 0;
		slave = slave || f[k].rfind("master:", 0) == 0;
		unbindable = unbindable || f[k] == "unbindable";
	}
	m.propagation = shared ? "shared" : "";
	if (slave)
		m.propagation += m.propagation.empty() ? "slave" : ",slave";
	if (m.propagation.empty())
		m.propagation = "private";
	if (unbindable)
		m.propagation += ",unbindable";
	return m;
}

/* The mount table, read once per process: bulkhead judges one spec per run,
 * and a node with thousands of mounts costs about 2 ms a read. */
const std::vector<MountLine> *mountTable()
{
	static const std::optional<std::vector<MountLine>> table =
	        []() -> std::optional<std::vector<MountLine>> {
		const int fd = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return std::nullopt;
		std::string text;
		char buf[16384];
		for (;;) {
			const ssize_t n = ::read(fd, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				::close(fd);
				return std::nullopt;
			}
			if (n == 0)
				break;
			text.append(buf, static_cast<size_t>(n));
		}
		::close(fd);
		std::vector<MountLine> out;
		size_t i = 0;
		while (i < text.size()) {
			size_t j = text.find('\n', i);
			if (j == std::string::npos)
				j = text.size();
			if (auto m = parseLine(std::string_view(text).substr(i, j - i)))
				out.push_back(std::move(*m));
			i = j + 1;
		}
		return out;
	}();
	return table ? &*table : nullptr;
}

/* mnt_table_find_mountpoint(MNT_ITER_BACKWARD): PATH or its nearest parent
 * that is a mount target, the mount on top (the last listed). */
const MountLine *findMountpoint(const std::vector<MountLine> &tb, std::string path)
{
	for (;;) {
		for (auto it = tb.rbegin(); it != tb.rend(); ++it)
			if (it->target == path)
				return &*it;
		if (path == "/" || path.empty())
			return nullptr;
		const size_t slash = path.find_last_of('/');
		path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
	}
}

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

std::optional<HostMount> hostMount(const std::string &path)
{
	std::unique_ptr<char, FreeDeleter> real(::realpath(path.c_str(), nullptr));
	if (!real)
		return std::nullopt;
	struct statfs sfs
	{
	};
	if (::statfs(real.get(), &sfs) != 0)
		return std::nullopt;
	const std::vector<MountLine> *tb = mountTable();
	if (tb == nullptr)
		return std::nullopt;
	const MountLine *fs = findMountpoint(*tb, real.get());
	if (fs == nullptr)
		return std::nullopt;
	HostMount m;
	m.target = fs->target;
	m.fstype = fs->fstype;
	m.source = fs->source;
	m.propagation = fs->propagation;
	m.kernelType = magicName(static_cast<unsigned long>(sfs.f_type));
	return m;
}

} // namespace bulkhead::mount
