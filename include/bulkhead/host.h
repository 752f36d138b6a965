#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

/* Facts about the host that rules need, gathered behind an interface so that
 * rules stay pure functions of (spec, policy, host facts) and tests can fake it. */
namespace bulkhead {

struct FileId
{
	dev_t dev = 0;
	ino_t ino = 0;
	friend bool operator==(const FileId &, const FileId &) = default;
};

struct FileStat
{
	FileId id;
	mode_t mode = 0; /* st_mode: type and permission bits */
	uid_t uid = 0;
	gid_t gid = 0;
	nlink_t nlink = 0;
	unsigned rdevMajor = 0; /* of a device node (st_rdev) */
	unsigned rdevMinor = 0;
};

/* The host mount a path lives on (HostFacts::mountOf). */
struct HostMount
{
	std::string target;      /* its mount point, "/proc" */
	std::string fstype;      /* as /proc/self/mountinfo names it: "proc", "ext4" */
	std::string source;      /* "proc", "/dev/sda1" */
	std::string propagation; /* "shared", "slave", "shared,slave", "private"; ",unbindable" */
	/* The kernel filesystem statfs(2) names for the path itself ("proc",
	 * "sysfs", "debugfs", ...), "" for an ordinary one: an overmount or a
	 * misleading mount table cannot hide it. */
	std::string kernelType;
};

class HostFacts
{
public:
	virtual ~HostFacts() = default;

	/* Identity of a namespace: "net", "pid", "ipc", "uts", "mnt", "user", "cgroup".
	 * nullopt when it cannot be read (on this machine even root is refused
	 * /proc/1/ns/TYPE). */
	[[nodiscard]] virtual std::optional<FileId> pid1Namespace(std::string_view type) const = 0;
	[[nodiscard]] virtual std::optional<FileId> selfNamespace(std::string_view type) const = 0;

	/* stat(2), following links; nullopt when the path does not exist or cannot be
	 * reached. */
	[[nodiscard]] virtual std::optional<FileStat> stat(const std::string &path) const = 0;
	/* lstat(2). */
	[[nodiscard]] virtual std::optional<FileStat> lstat(const std::string &path) const = 0;
	/* realpath(3); nullopt on failure. Resolves /proc/PID/exe to the executable. */
	[[nodiscard]] virtual std::optional<std::string>
	realpath(const std::string &path) const = 0;
	/* The text of /proc/PID/uid_map (gid: /proc/PID/gid_map), bounded; nullopt
	 * when it cannot be read. Checks the mappings of a user namespace that a
	 * spec joins by path (/proc/PID/ns/user). The default knows nothing. */
	[[nodiscard]] virtual std::optional<std::string> idMap(pid_t /*pid*/, bool /*gid*/) const
	{
		return std::nullopt;
	}
	/* The host mount PATH lives on, after following links; nullopt when the
	 * path does not exist or the mount table cannot be read. The default
	 * knows nothing. */
	[[nodiscard]] virtual std::optional<HostMount> mountOf(const std::string & /*path*/) const
	{
		return std::nullopt;
	}
	/* The text of a small file only root can change: after following links, a
	 * regular file owned by root, not writable by its group or others, at most
	 * maxBytes. nullopt when it is absent, untrusted, larger or unreadable (lstat
	 * tells absent from refused). Reads /etc/subuid, /etc/subgid, /etc/passwd,
	 * /etc/group, /etc/login.defs and engine records (runc's ROOT/ID/state.json,
	 * CRI-O's sandbox config.json). The default knows nothing. */
	[[nodiscard]] virtual std::optional<std::string> rootFile(const std::string & /*path*/,
	                                                          size_t /*maxBytes*/) const
	{
		return std::nullopt;
	}
	/* The names in a directory (not "." and ".."), sorted, without following a
	 * final symbolic link; at most maxEntries (nullopt past that, as when the
	 * directory cannot be read). Tells what an image holds below a directory
	 * a rule would cover. The default knows nothing. */
	[[nodiscard]] virtual std::optional<std::vector<std::string>>
	listDir(const std::string & /*path*/, size_t /*maxEntries*/) const
	{
		return std::nullopt;
	}
	/* The start time (field 22 of /proc/PID/stat, clock ticks since boot) of a
	 * live process; nullopt when there is none, it is a zombie or it cannot be
	 * read. Tells a running container's init from a reused PID, as runc does. */
	[[nodiscard]] virtual std::optional<uint64_t> processStartTime(pid_t /*pid*/) const
	{
		return std::nullopt;
	}

	/* A mounted cgroup hierarchy as runc finds it: its mount point, this
	 * process's own cgroup in it (relative to the mount's root, "" when it
	 * cannot be told), pid 1's likewise, and whether it is cgroup v2. */
	struct CgroupMount
	{
		std::string dir;  /* "/sys/fs/cgroup/memory", "/sys/fs/cgroup" (v2) */
		std::string own;  /* "/user.slice/session-1.scope" */
		std::string init; /* pid 1's, "" when unreadable */
		bool unified = false;
	};
	/* Every cgroup hierarchy mounted (v1 controllers, name=systemd, the v2
	 * one; /proc/self/mountinfo and /proc/self/cgroup). nullopt when they
	 * cannot be read. The default knows nothing. */
	[[nodiscard]] virtual std::optional<std::vector<CgroupMount>> cgroupMounts() const
	{
		return std::nullopt;
	}
	/* What a cgroup directory holds: Absent (runc would create it), Empty (no
	 * process, no child cgroup), Processes (cgroup.procs is not empty),
	 * Children (a cgroup below it), Unknown (cannot be read). */
	enum class CgroupUse { Absent, Empty, Processes, Children, Unknown };
	[[nodiscard]] virtual CgroupUse cgroupUse(const std::string & /*dir*/) const
	{
		return CgroupUse::Unknown;
	}

	/* Non-zero while this object gives the same answer to every question
	 * asked again, and different in each such period of each object of the
	 * process: what is derived from its answers alone may be kept under it.
	 * 0 (the default): answers may change, keep nothing. */
	[[nodiscard]] virtual uint64_t stableView() const noexcept { return 0; }
};

/* The real machine. */
class RealHost final : public HostFacts
{
public:
	[[nodiscard]] std::optional<FileId> pid1Namespace(std::string_view type) const override;
	[[nodiscard]] std::optional<FileId> selfNamespace(std::string_view type) const override;
	[[nodiscard]] std::optional<FileStat> stat(const std::string &path) const override;
	[[nodiscard]] std::optional<FileStat> lstat(const std::string &path) const override;
	[[nodiscard]] std::optional<std::string> realpath(const std::string &path) const override;
	[[nodiscard]] std::optional<std::string> idMap(pid_t pid, bool gid) const override;
	[[nodiscard]] std::optional<HostMount> mountOf(const std::string &path) const override;
	[[nodiscard]] std::optional<std::string> rootFile(const std::string &path,
	                                                  size_t maxBytes) const override;
	[[nodiscard]] std::optional<std::vector<std::string>>
	listDir(const std::string &path, size_t maxEntries) const override;
	[[nodiscard]] std::optional<uint64_t> processStartTime(pid_t pid) const override;
	[[nodiscard]] std::optional<std::vector<CgroupMount>> cgroupMounts() const override;
	[[nodiscard]] CgroupUse cgroupUse(const std::string &dir) const override;
};

/* One view of the host for a call, or for one `policy check` run: each fact
 * is read from INNER once and then reused, so rules that ask about the same
 * path agree with each other and a call makes each system call once (the
 * rootfs and mount rules resolve some twenty sensitive paths, with their
 * parents, for every form of every path they judge). Rules never change the
 * host, so a remembered fact is what a second look would find but for a
 * race, and a race is judged at runc's time anyway: paths given to runc are
 * the resolved ones. At most kMaxFacts are kept; past that the view starts
 * again empty, so memory does not grow with the number of specs checked. */
class MemoHost final : public HostFacts
{
public:
	static constexpr size_t kMaxFacts = 4096;
	explicit MemoHost(const HostFacts &inner) : inner_(inner) {}

	[[nodiscard]] std::optional<FileId> pid1Namespace(std::string_view type) const override;
	[[nodiscard]] std::optional<FileId> selfNamespace(std::string_view type) const override;
	[[nodiscard]] std::optional<FileStat> stat(const std::string &path) const override;
	[[nodiscard]] std::optional<FileStat> lstat(const std::string &path) const override;
	[[nodiscard]] std::optional<std::string> realpath(const std::string &path) const override;
	[[nodiscard]] std::optional<std::string> idMap(pid_t pid, bool gid) const override;
	[[nodiscard]] std::optional<HostMount> mountOf(const std::string &path) const override;
	[[nodiscard]] std::optional<std::string> rootFile(const std::string &path,
	                                                  size_t maxBytes) const override;
	[[nodiscard]] std::optional<std::vector<std::string>>
	listDir(const std::string &path, size_t maxEntries) const override;
	[[nodiscard]] std::optional<uint64_t> processStartTime(pid_t pid) const override;
	[[nodiscard]] std::optional<std::vector<CgroupMount>> cgroupMounts() const override;
	[[nodiscard]] CgroupUse cgroupUse(const std::string &dir) const override;

	/* A new number each time the view starts again empty */
	[[nodiscard]] uint64_t stableView() const noexcept override { return view_; }

	/* How many facts were read from INNER, and how many answered from memory. */
	[[nodiscard]] size_t misses() const noexcept { return misses_; }
	[[nodiscard]] size_t hits() const noexcept { return hits_; }

private:
	template <class T, class Read>
	T remember(std::map<std::string, T, std::less<>> &memo, std::string key, Read &&read) const;

	const HostFacts &inner_;
	mutable std::map<std::string, std::optional<FileId>, std::less<>> ns_;
	mutable std::map<std::string, std::optional<FileStat>, std::less<>> stat_;
	mutable std::map<std::string, std::optional<std::string>, std::less<>> text_;
	mutable std::map<std::string, std::optional<HostMount>, std::less<>> mount_;
	mutable std::map<std::string, std::optional<std::vector<std::string>>, std::less<>> dir_;
	mutable std::map<std::string, std::optional<uint64_t>, std::less<>> start_;
	mutable std::map<std::string, std::optional<std::vector<CgroupMount>>, std::less<>>
	        cgroups_;
	mutable std::map<std::string, CgroupUse, std::less<>> use_;
	mutable size_t misses_ = 0, hits_ = 0;
	mutable uint64_t view_ = nextView();
	static uint64_t nextView() noexcept;
};

} // namespace bulkhead
