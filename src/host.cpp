#include "bulkhead/host.h"

#include <climits>
#include <cstdlib>
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

} // namespace bulkhead
