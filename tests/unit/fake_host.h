#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

#include "bulkhead/host.h"

/* A host that tests describe: namespaces, files and link targets. */
namespace bulkhead::test {

class FakeHost final : public HostFacts
{
public:
	std::map<std::string, FileId> pid1Ns; /* "net" -> id; absent = unreadable */
	std::map<std::string, FileId> selfNs;
	std::map<std::string, FileStat> files;                /* path (after links) -> stat */
	std::map<std::string, std::string> links;             /* path -> what it resolves to */
	std::map<std::pair<pid_t, bool>, std::string> idMaps; /* (pid, gid?) -> map text */

	[[nodiscard]] std::optional<FileId> pid1Namespace(std::string_view type) const override
	{
		auto it = pid1Ns.find(std::string(type));
		return it == pid1Ns.end() ? std::nullopt : std::optional<FileId>(it->second);
	}
	[[nodiscard]] std::optional<FileId> selfNamespace(std::string_view type) const override
	{
		auto it = selfNs.find(std::string(type));
		return it == selfNs.end() ? std::nullopt : std::optional<FileId>(it->second);
	}
	[[nodiscard]] std::optional<FileStat> stat(const std::string &path) const override
	{
		auto it = files.find(resolve(path));
		return it == files.end() ? std::nullopt : std::optional<FileStat>(it->second);
	}
	[[nodiscard]] std::optional<FileStat> lstat(const std::string &path) const override
	{
		auto it = files.find(path);
		return it == files.end() ? std::nullopt : std::optional<FileStat>(it->second);
	}
	[[nodiscard]] std::optional<std::string> realpath(const std::string &path) const override
	{
		std::string r = resolve(path);
		if (files.count(r) == 0 && links.count(path) == 0)
			return std::nullopt;
		return r;
	}

	[[nodiscard]] std::optional<std::string> idMap(pid_t pid, bool gid) const override
	{
		auto it = idMaps.find({pid, gid});
		return it == idMaps.end() ? std::nullopt : std::optional<std::string>(it->second);
	}

	/* Convenience: add a file (mode includes the type bits, e.g. S_IFSOCK | 0660). */
	FakeHost &file(const std::string &path, dev_t dev, ino_t ino, mode_t mode, uid_t uid = 0,
	               gid_t gid = 0)
	{
		files[path] = FileStat{FileId{dev, ino}, mode, uid, gid, 1};
		return *this;
	}
	FakeHost &link(const std::string &from, const std::string &to)
	{
		links[from] = to;
		return *this;
	}

private:
	[[nodiscard]] std::string resolve(const std::string &path) const
	{
		auto it = links.find(path);
		return it == links.end() ? path : it->second;
	}

public:
	/* Mount point -> mount; a path lives on the longest prefix of what it
	 * resolves to. Every fake host has an ext4 root. */
	std::map<std::string, HostMount> mounts = {
	        {"/", HostMount{"/", "ext4", "/dev/vda1", "shared", ""}}};

	[[nodiscard]] std::optional<HostMount> mountOf(const std::string &path) const override
	{
		auto real = realpath(path);
		if (!real)
			return std::nullopt;
		const HostMount *best = nullptr;
		for (const auto &[target, m] : mounts)
			if (*real == target || target == "/" ||
			    real->compare(0, target.size() + 1, target + "/") == 0)
				if (!best || target.size() > best->target.size())
					best = &m;
		return best ? std::optional<HostMount>(*best) : std::nullopt;
	}
	/* Convenience: a mount of TYPE at TARGET (statfs names kernel filesystems). */
	FakeHost &mount(const std::string &target, const std::string &type, bool kernel = true)
	{
		mounts[target] = HostMount{target, type, type, "private", kernel ? type : ""};
		return *this;
	}
	/* Convenience: a device node (S_IFCHR or S_IFBLK in mode). */
	FakeHost &device(const std::string &path, mode_t mode, unsigned major, unsigned minor)
	{
		files[path] = FileStat{FileId{5, 1000 + files.size()}, mode, 0, 0, 1, major, minor};
		return *this;
	}
	std::map<std::string, std::string> rootFiles; /* path (after links) -> text */
	std::map<pid_t, uint64_t> startTimes;         /* live processes */

	[[nodiscard]] std::optional<std::string> rootFile(const std::string &path,
	                                                  size_t maxBytes) const override
	{
		auto it = rootFiles.find(resolve(path));
		if (it == rootFiles.end() || it->second.size() > maxBytes)
			return std::nullopt;
		return it->second;
	}
	/* The direct children of PATH among the files and links described; nullopt
	 * when PATH is not a described directory. */
	[[nodiscard]] std::optional<std::vector<std::string>>
	listDir(const std::string &path, size_t maxEntries) const override
	{
		auto it = files.find(path);
		if (it == files.end() || !S_ISDIR(it->second.mode))
			return std::nullopt;
		const std::string prefix = path == "/" ? "/" : path + "/";
		std::vector<std::string> out;
		auto add = [&](const std::string &p) {
			if (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
			    p.find('/', prefix.size()) == std::string::npos)
				out.push_back(p.substr(prefix.size()));
		};
		for (const auto &f : files)
			add(f.first);
		for (const auto &l : links)
			if (!files.count(l.first))
				add(l.first);
		if (out.size() > maxEntries)
			return std::nullopt;
		return out;
	}
	[[nodiscard]] std::optional<uint64_t> processStartTime(pid_t pid) const override
	{
		auto it = startTimes.find(pid);
		return it == startTimes.end() ? std::nullopt : std::optional<uint64_t>(it->second);
	}
	/* Convenience: a root-owned file with this text (stat and lstat see it too). */
	FakeHost &rootText(const std::string &path, std::string text)
	{
		rootFiles[path] = std::move(text);
		files[path] = FileStat{FileId{8, 7000 + files.size()}, S_IFREG | 0644, 0, 0, 1};
		return *this;
	}
	/* cgroup hierarchies (default: none mounted) and the cgroup directories
	 * that exist (absent from the map: Absent). */
	std::optional<std::vector<CgroupMount>> cgroupHierarchies = std::vector<CgroupMount>{};
	std::map<std::string, CgroupUse> cgroupDirs;

	[[nodiscard]] std::optional<std::vector<CgroupMount>> cgroupMounts() const override
	{
		return cgroupHierarchies;
	}
	[[nodiscard]] CgroupUse cgroupUse(const std::string &dir) const override
	{
		auto it = cgroupDirs.find(dir);
		return it == cgroupDirs.end() ? CgroupUse::Absent : it->second;
	}
};

/* Every directory above PATH root-owned and 0755 (as a distribution installs
 * them), with inode numbers counted from INO. */
inline void rootDirs(FakeHost &h, const std::string &path, ino_t &ino)
{
	h.file("/", 8, 2, S_IFDIR | 0755);
	size_t i = 1;
	while ((i = path.find('/', i)) != std::string::npos) {
		const std::string p = path.substr(0, i);
		if (!h.files.count(p))
			h.file(p, 8, ino++, S_IFDIR | 0755);
		i++;
	}
}

/* dockerd as pid 2879 (the pid in the tests/data Docker specs), installed at
 * EXE, with /proc/2879 a root-owned directory as the kernel shows it: what
 * Docker 20.10's libnetwork-setkey prestart hook needs to pass P12.hooks. */
inline FakeHost &withDockerd(FakeHost &h, const std::string &exe = "/usr/bin/dockerd")
{
	ino_t ino = 600;
	rootDirs(h, exe, ino);
	rootDirs(h, "/proc/2879/exe", ino);
	h.file("/proc/2879", 3, 2879, S_IFDIR | 0555);
	h.file(exe, 8, 700, S_IFREG | 0755);
	h.file("/proc/2879/exe", 3, 2880, S_IFLNK | 0777);
	h.link("/proc/2879/exe", exe);
	return h;
}

/* Private namespaces everywhere, readable from /proc/self only (like this machine). */
inline FakeHost typicalHost()
{
	FakeHost h;
	const char *types[] = {"net", "pid", "ipc", "uts", "mnt", "user", "cgroup"};
	ino_t ino = 4026531830;
	for (const char *t : types)
		h.selfNs[t] = FileId{4, ino++};
	return h;
}

} // namespace bulkhead::test
