/* The host mount a path lives on: /proc/self/mountinfo read as libmount 2.38
 * reads it, and the filesystem statfs(2) reports (mount::hostMount). */
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <linux/magic.h>
#include <memory>
#include <sys/statfs.h>
#include <unistd.h>

#include "bulkhead/mount.h"

namespace bulkhead::mount {

namespace {

struct FreeDeleter
{
	void operator()(char *p) const noexcept { std::free(p); }
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
