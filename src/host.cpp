#include "bulkhead/host.h"

#include "sys/fd.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bulkhead/json.h"
#include "bulkhead/mount.h"

namespace bulkhead {

namespace {

struct FreeDeleter
{
	void operator()(char *p) const noexcept { std::free(p); }
};

bool knownNamespaceType(std::string_view type) noexcept
{
	for (std::string_view t : {"net", "pid", "ipc", "uts", "mnt", "user", "cgroup", "time"})
		if (type == t)
			return true;
	return false;
}

FileStat fromStat(const struct stat &st) noexcept
{
	return FileStat{FileId{st.st_dev, st.st_ino},
	                st.st_mode,
	                st.st_uid,
	                st.st_gid,
	                st.st_nlink,
	                major(st.st_rdev),
	                minor(st.st_rdev)};
}

std::optional<FileId> namespaceOf(const char *proc, std::string_view type)
{
	if (!knownNamespaceType(type))
		return std::nullopt;
	std::string path = std::string(proc) + "/ns/" + std::string(type);
	struct stat st
	{
	};
	if (::stat(path.c_str(), &st) != 0)
		return std::nullopt;
	return FileId{st.st_dev, st.st_ino};
}

bool hasNul(const std::string &s) noexcept
{
	return s.find('\0') != std::string::npos;
}

} // namespace

std::optional<FileId> RealHost::pid1Namespace(std::string_view type) const
{
	return namespaceOf("/proc/1", type);
}

std::optional<FileId> RealHost::selfNamespace(std::string_view type) const
{
	return namespaceOf("/proc/self", type);
}

std::optional<FileStat> RealHost::stat(const std::string &path) const
{
	struct stat st
	{
	};
	if (path.empty() || hasNul(path) || ::stat(path.c_str(), &st) != 0)
		return std::nullopt;
	return fromStat(st);
}

std::optional<FileStat> RealHost::lstat(const std::string &path) const
{
	struct stat st
	{
	};
	if (path.empty() || hasNul(path) || ::lstat(path.c_str(), &st) != 0)
		return std::nullopt;
	return fromStat(st);
}

std::optional<std::string> RealHost::realpath(const std::string &path) const
{
	if (path.empty() || hasNul(path))
		return std::nullopt;
	std::unique_ptr<char, FreeDeleter> r(::realpath(path.c_str(), nullptr));
	if (!r)
		return std::nullopt;
	return std::string(r.get());
}

std::optional<std::string> RealHost::idMap(pid_t pid, bool gid) const
{
	if (pid <= 0)
		return std::nullopt;
	std::string path = "/proc/" + std::to_string(pid) + (gid ? "/gid_map" : "/uid_map");
	try {
		/* procfs reports size 0 for these files, so this reads through the
		 * fd with a bound rather than trusting st_size. */
		int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return std::nullopt;
		std::string text;
		try {
			text = json::readFd(fd, path, 64 * 1024);
		} catch (...) {
			::close(fd);
			return std::nullopt;
		}
		::close(fd);
		return text;
	} catch (...) {
		return std::nullopt;
	}
}

std::optional<HostMount> RealHost::mountOf(const std::string &path) const
{
	if (path.empty() || hasNul(path))
		return std::nullopt;
	return mount::hostMount(path);
}

std::optional<std::string> RealHost::rootFile(const std::string &path, size_t maxBytes) const
{
	if (path.empty() || path[0] != '/' || hasNul(path))
		return std::nullopt;
	/* O_NONBLOCK: a FIFO put in its place cannot hang the call before fstat
	 * refuses it. */
	sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
	if (fd.get() < 0)
		return std::nullopt;
	struct stat st
	{
	};
	if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || static_cast<uint64_t>(st.st_size) > maxBytes)
		return std::nullopt;
	try {
		return json::readFd(fd.get(), path, maxBytes);
	} catch (...) {
		return std::nullopt;
	}
}

std::optional<uint64_t> RealHost::processStartTime(pid_t pid) const
{
	if (pid <= 0)
		return std::nullopt;
	const std::string path = "/proc/" + std::to_string(pid) + "/stat";
	std::string text;
	try {
		sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
		if (fd.get() < 0)
			return std::nullopt;
		text = json::readFd(fd.get(), path, 4096);
	} catch (...) {
		return std::nullopt;
	}
	/* "PID (comm) S f4 ... f22 ...": comm may hold spaces and parentheses, so
	 * the fields start after the last ')'. */
	const size_t close = text.rfind(')');
	if (close == std::string::npos || close + 2 >= text.size())
		return std::nullopt;
	std::string_view rest = std::string_view(text).substr(close + 2);
	if (rest.empty() || rest[0] == 'Z' || rest[0] == 'X' || rest[0] == 'x')
		return std::nullopt;
	/* rest begins at field 3; field 22 is 19 spaces further. */
	size_t pos = 0;
	for (int skip = 19; skip > 0; skip--) {
		pos = rest.find(' ', pos);
		if (pos == std::string_view::npos)
			return std::nullopt;
		pos++;
	}
	uint64_t start = 0;
	auto r = std::from_chars(rest.data() + pos, rest.data() + rest.size(), start);
	if (r.ec != std::errc() || (r.ptr != rest.data() + rest.size() && *r.ptr != ' '))
		return std::nullopt;
	return start;
}

namespace {

/* A /proc file read through a bounded fd; nullopt when it cannot be read. */
std::optional<std::string> readProc(const char *path, size_t max)
{
	int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return std::nullopt;
	std::optional<std::string> text;
	try {
		text = json::readFd(fd, path, max);
	} catch (...) {
		text = std::nullopt;
	}
	::close(fd);
	return text;
}

std::vector<std::string_view> split(std::string_view s, char sep)
{
	std::vector<std::string_view> out;
	size_t i = 0;
	while (true) {
		size_t j = s.find(sep, i);
		out.push_back(
		        s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
		if (j == std::string_view::npos)
			return out;
		i = j + 1;
	}
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
std::string unescape(std::string_view s)
{
	std::string out;
	for (size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
			                         (s[i + 3] - '0'));
			i += 3;
		} else {
			out += s[i];
		}
	}
	return out;
}

struct ProcCgroup
{
	std::vector<std::string> controllers; /* empty: the v2 line "0::" */
	std::string path;
};

std::vector<ProcCgroup> parseProcCgroup(const std::string &text)
{
	std::vector<ProcCgroup> out;
	for (auto line : split(text, '\n')) {
		if (line.empty())
			continue;
		size_t a = line.find(':');
		size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
		if (b == std::string_view::npos)
			continue;
		ProcCgroup c;
		for (auto ctl : split(line.substr(a + 1, b - a - 1), ','))
			if (!ctl.empty())
				c.controllers.emplace_back(ctl);
		c.path = std::string(line.substr(b + 1));
		out.push_back(std::move(c));
	}
	return out;
}

/* The cgroup of `procs` in the hierarchy mounted with these super options,
 * relative to the mount's root; "" when it cannot be told. */
std::string cgroupIn(const std::vector<ProcCgroup> &procs, bool unified,
                     const std::vector<std::string_view> &superOpts, const std::string &root)
{
	for (const auto &c : procs) {
		bool match =
		        unified ? c.controllers.empty()
		                : !c.controllers.empty() &&
		                          std::all_of(c.controllers.begin(), c.controllers.end(),
		                                      [&](const std::string &ctl) {
			                                      return std::find(superOpts.begin(),
			                                                       superOpts.end(),
			                                                       ctl) !=
			                                             superOpts.end();
		                                      });
		if (!match)
			continue;
		if (root == "/")
			return c.path;
		if (c.path == root)
			return "/";
		if (c.path.size() > root.size() && c.path.compare(0, root.size(), root) == 0 &&
		    c.path[root.size()] == '/')
			return c.path.substr(root.size());
		return {};
	}
	return {};
}

} // namespace

std::optional<std::vector<HostFacts::CgroupMount>> RealHost::cgroupMounts() const
{
	auto mountinfo = readProc("/proc/self/mountinfo", 16 << 20);
	auto self = readProc("/proc/self/cgroup", 1 << 20);
	if (!mountinfo || !self)
		return std::nullopt;
	auto own = parseProcCgroup(*self);
	auto initText = readProc("/proc/1/cgroup", 1 << 20);
	auto init = initText ? parseProcCgroup(*initText) : std::vector<ProcCgroup>{};
	std::vector<CgroupMount> out;
	for (auto line : split(*mountinfo, '\n')) {
		/* Only cgroup hierarchies are split into fields: the type follows
		 * " - " (which no escaped field can hold), and a node's other
		 * mounts (hundreds, with containers) are skipped there. */
		const size_t sep = line.find(" - ");
		if (sep == std::string_view::npos)
			continue;
		const std::string_view rest = line.substr(sep + 3);
		if (!rest.starts_with("cgroup ") && !rest.starts_with("cgroup2 "))
			continue;
		auto f = split(line, ' ');
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER */
		size_t dash = 6;
		while (dash < f.size() && f[dash] != "-")
			dash++;
		if (dash + 3 >= f.size())
			continue;
		std::string_view type = f[dash + 1];
		if (type != "cgroup" && type != "cgroup2")
			continue;
		bool unified = type == "cgroup2";
		std::string root = unescape(f[3]);
		auto superOpts = split(f[dash + 3], ',');
		CgroupMount m;
		m.dir = unescape(f[4]);
		m.unified = unified;
		m.own = cgroupIn(own, unified, superOpts, root);
		m.init = cgroupIn(init, unified, superOpts, root);
		out.push_back(std::move(m));
	}
	return out;
}

HostFacts::CgroupUse RealHost::cgroupUse(const std::string &dir) const
{
	struct stat st
	{
	};
	if (dir.empty() || hasNul(dir))
		return CgroupUse::Unknown;
	if (::lstat(dir.c_str(), &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? CgroupUse::Absent : CgroupUse::Unknown;
	if (!S_ISDIR(st.st_mode))
		return CgroupUse::Unknown;
	int fd = ::open((dir + "/cgroup.procs").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return CgroupUse::Unknown;
	char buf[64];
	ssize_t n = ::read(fd, buf, sizeof buf);
	::close(fd);
	if (n < 0)
		return CgroupUse::Unknown;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] >= '0' && buf[i] <= '9')
			return CgroupUse::Processes;
	std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.c_str()), &::closedir);
	if (!d)
		return CgroupUse::Unknown;
	while (const struct dirent *e = ::readdir(d.get())) {
		std::string_view name = e->d_name;
		if (name == "." || name == "..")
			continue;
		bool isDir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			struct stat cs
			{
			};
			isDir = ::fstatat(::dirfd(d.get()), e->d_name, &cs, AT_SYMLINK_NOFOLLOW) ==
			                0 &&
			        S_ISDIR(cs.st_mode);
		}
		if (isDir)
			return CgroupUse::Children;
	}
	return CgroupUse::Empty;
}

namespace {

/* The directory entries of the 64-bit call, under each C library's name:
 * glibc's getdents64 and struct dirent64; musl's getdents and struct dirent
 * are the 64-bit ones. */
#if defined(__GLIBC__)
using Entry = struct dirent64;
ssize_t readEntries(int fd, char *buf, size_t len)
{
	return ::getdents64(fd, buf, len);
}
#else
using Entry = struct dirent;
ssize_t readEntries(int fd, char *buf, size_t len)
{
	return ::getdents(fd, reinterpret_cast<struct dirent *>(buf), len);
}
#endif

} // namespace

std::optional<std::vector<std::string>> RealHost::listDir(const std::string &path,
                                                          size_t maxEntries) const
{
	if (path.empty() || hasNul(path))
		return std::nullopt;
	const sys::Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
	if (fd.get() < 0)
		return std::nullopt;
	/* getdents64 into the stack: opendir's 32 KB buffer on the heap cost a
	 * heap extension and its page faults on every create (the rootfs rule
	 * lists the image's state directories) */
	alignas(8) char buf[8192];
	std::vector<std::string> out;
	for (;;) {
		const ssize_t n = readEntries(fd.get(), buf, sizeof buf);
		if (n < 0)
			return std::nullopt;
		if (n == 0)
			break;
		for (size_t off = 0; off < static_cast<size_t>(n);) {
			const auto *e = reinterpret_cast<const Entry *>(buf + off);
			off += e->d_reclen;
			const std::string_view name = e->d_name;
			if (name == "." || name == "..")
				continue;
			if (out.size() >= maxEntries)
				return std::nullopt;
			out.emplace_back(name);
		}
	}
	std::sort(out.begin(), out.end());
	return out;
}

} // namespace bulkhead
