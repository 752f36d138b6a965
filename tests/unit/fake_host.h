#pragma once

#include <map>
#include <string>
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
