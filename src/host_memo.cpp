/* MemoHost: one call's view of the host, each fact read once. */
#include <atomic>
#include <string>

#include "bulkhead/host.h"

namespace bulkhead {

template <class T, class Read>
T MemoHost::remember(std::map<std::string, T, std::less<>> &memo, std::string key,
                     Read &&read) const
{
	if (auto it = memo.find(key); it != memo.end()) {
		hits_++;
		return it->second;
	}
	const size_t facts = ns_.size() + stat_.size() + text_.size() + mount_.size() +
	                     dir_.size() + start_.size() + cgroups_.size() + use_.size();
	if (facts >= kMaxFacts) {
		ns_.clear();
		stat_.clear();
		text_.clear();
		mount_.clear();
		dir_.clear();
		start_.clear();
		cgroups_.clear();
		use_.clear();
		view_ = nextView();
	}
	misses_++;
	T value = read();
	memo.emplace(std::move(key), value);
	return value;
}

uint64_t MemoHost::nextView() noexcept
{
	static std::atomic<uint64_t> last{0};
	return ++last;
}

/* Keys carry the kind of fact first, so one map serves several of them. */
std::optional<FileId> MemoHost::pid1Namespace(std::string_view type) const
{
	return remember(ns_, "1:" + std::string(type), [&] { return inner_.pid1Namespace(type); });
}

std::optional<FileId> MemoHost::selfNamespace(std::string_view type) const
{
	return remember(ns_, "self:" + std::string(type),
	                [&] { return inner_.selfNamespace(type); });
}

std::optional<FileStat> MemoHost::stat(const std::string &path) const
{
	return remember(stat_, "s:" + path, [&] { return inner_.stat(path); });
}

std::optional<FileStat> MemoHost::lstat(const std::string &path) const
{
	return remember(stat_, "l:" + path, [&] { return inner_.lstat(path); });
}

std::optional<std::string> MemoHost::realpath(const std::string &path) const
{
	return remember(text_, "real:" + path, [&] { return inner_.realpath(path); });
}

std::optional<std::string> MemoHost::idMap(pid_t pid, bool gid) const
{
	return remember(text_, (gid ? "gid_map:" : "uid_map:") + std::to_string(pid),
	                [&] { return inner_.idMap(pid, gid); });
}

std::optional<HostMount> MemoHost::mountOf(const std::string &path) const
{
	return remember(mount_, path, [&] { return inner_.mountOf(path); });
}

std::optional<std::string> MemoHost::rootFile(const std::string &path, size_t maxBytes) const
{
	return remember(text_, "root:" + std::to_string(maxBytes) + ":" + path,
	                [&] { return inner_.rootFile(path, maxBytes); });
}

std::optional<std::vector<std::string>> MemoHost::listDir(const std::string &path,
                                                          size_t maxEntries) const
{
	return remember(dir_, std::to_string(maxEntries) + ":" + path,
	                [&] { return inner_.listDir(path, maxEntries); });
}

std::optional<uint64_t> MemoHost::processStartTime(pid_t pid) const
{
	return remember(start_, std::to_string(pid), [&] { return inner_.processStartTime(pid); });
}

std::optional<std::vector<HostFacts::CgroupMount>> MemoHost::cgroupMounts() const
{
	return remember(cgroups_, "", [&] { return inner_.cgroupMounts(); });
}

HostFacts::CgroupUse MemoHost::cgroupUse(const std::string &dir) const
{
	return remember(use_, dir, [&] { return inner_.cgroupUse(dir); });
}

} // namespace bulkhead
