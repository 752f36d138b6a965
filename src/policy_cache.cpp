/* What a load remembers between calls (see policy_cache.h). */
#include "policy_cache.h"

#include "bulkhead_build.h"
#include "sys/fd.h"

#include <algorithm>
#include <cstdint>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/sha256.h"

namespace bulkhead::policy::cache {

namespace {

/* Probed policies: running every rule once on the probe documents (to turn a
 * bad parameter into a load error) judges the whole seccomp profile and is
 * most of a load. When bulkhead runs as root on a policy it trusts, it
 * remembers that a policy file probed clean, by the sha256 of everything the
 * probes read (the file, the policy it extends, the files its parameters
 * name) and of this binary's identity, in a root-owned directory only root
 * can write (kProbedDir, 0700). A marker is used only when that directory and
 * the marker itself pass the trust checks a policy file passes; anything else
 * (missing, foreign-owned, writable by others, a different key) means a full
 * load. A marker can skip nothing but the probes of exactly those bytes, and
 * a rule a bad parameter upsets at evaluation is a denial (policy.cpp): it
 * can never let through what the policy refuses. */
constexpr const char *kProbedDir = "/run/bulkhead/probed";

bool trustedStat(const struct stat &st, mode_t type) noexcept
{
	return (st.st_mode & S_IFMT) == type && st.st_uid == 0 && (st.st_mode & 022) == 0;
}

} // namespace

std::string selfIdentity()
{
	struct stat st
	{
	};
	if (::stat("/proc/self/exe", &st) != 0)
		return {};
	return strprintf("%s %lu:%lu %lld %lld.%09ld", BULKHEAD_VERSION,
	                 static_cast<unsigned long>(st.st_dev),
	                 static_cast<unsigned long>(st.st_ino), static_cast<long long>(st.st_size),
	                 static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
}

namespace {

/* A file NAME in the root-only directory DIR, when both pass the trust checks
 * (root's, writable by no one else, the directory 0700), up to MAX bytes. */
std::optional<std::string> readCache(const char *dir, const std::string &name, size_t max)
{
	struct stat d
	{
	}, f{};
	if (::lstat(dir, &d) != 0 || !trustedStat(d, S_IFDIR) || (d.st_mode & 077) != 0)
		return std::nullopt;
	const std::string path = std::string(dir) + "/" + name;
	sys::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
	if (fd.get() < 0 || ::fstat(fd.get(), &f) != 0 || !trustedStat(f, S_IFREG) ||
	    static_cast<uint64_t>(f.st_size) > max)
		return std::nullopt;
	try {
		return json::readFd(fd.get(), path, max);
	} catch (const Error &) {
		return std::nullopt;
	}
}

/* The caches gain an entry per file and binary: each new binary (an upgrade,
 * a build) and each policy text adds its own, none is ever read again once
 * stale, and /run is memory. Past kMaxEntries in DIR, the oldest (by the time
 * written) go, down to half that, KEEP (the entry just written) never: an
 * entry still in use is written again at its next miss. Runs after a miss
 * only, which a node's calls almost never have. */
constexpr size_t kMaxEntries = 256;

void prune(const char *dir, const std::string &keep) noexcept
{
	try {
		std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir), ::closedir);
		if (!d)
			return;
		std::vector<std::pair<struct timespec, std::string>> entries;
		while (const struct dirent *e = ::readdir(d.get())) {
			struct stat st
			{
			};
			if (e->d_name[0] == '.' || keep == e->d_name ||
			    ::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			entries.emplace_back(st.st_mtim, e->d_name);
		}
		if (entries.size() < kMaxEntries)
			return;
		const size_t drop = entries.size() + 1 - kMaxEntries / 2;
		std::partial_sort(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(drop),
		                  entries.end(), [](const auto &a, const auto &b) {
			                  return a.first.tv_sec != b.first.tv_sec
			                                 ? a.first.tv_sec < b.first.tv_sec
			                                 : a.first.tv_nsec < b.first.tv_nsec;
		                  });
		for (size_t i = 0; i < drop; i++)
			(void)::unlinkat(::dirfd(d.get()), entries[i].second.c_str(), 0);
	} catch (const std::bad_alloc &) {
		/* a cache left as it is */
	}
}

/* Write NAME in DIR (made root's and 0700 when missing) whole or not at all. */
void writeCache(const char *dir, const std::string &name, std::string_view content) noexcept
{
	(void)::mkdir("/run/bulkhead", 0755);
	(void)::mkdir(dir, 0700);
	struct stat d
	{
	};
	if (::lstat(dir, &d) != 0 || !trustedStat(d, S_IFDIR) || (d.st_mode & 077) != 0)
		return;
	const std::string path = std::string(dir) + "/" + name;
	const std::string tmp = path + strprintf(".%d", static_cast<int>(::getpid()));
	sys::Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (fd.get() < 0)
		return;
	const bool ok = ::write(fd.get(), content.data(), content.size()) ==
	                static_cast<ssize_t>(content.size());
	if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
		(void)::unlink(tmp.c_str());
		return;
	}
	prune(dir, name);
}

} // namespace

bool probedBefore(const std::string &key)
{
	auto text = readCache(kProbedDir, key, 64);
	return text && *text == key;
}

void rememberProbed(const std::string &key) noexcept
{
	writeCache(kProbedDir, key, key);
}

/* Parsed files: the tree json::parse builds from a trusted file, kept in the
 * same trusted way under the sha256 of the binary's identity and of the
 * text, in json::detail::encode's form. Reading it back skips the JSON
 * parse of the policy and of the seccomp profile, most of what is left of a
 * load once the probes are remembered. It is trusted as the policy is: only
 * root can write it, and a file that does not decode whole, as the parser
 * would have read it (no duplicate key, UTF-8, numbers as JSON writes them),
 * means a full parse. */
constexpr const char *kParsedDir = "/run/bulkhead/parsed";

json::Value parseTrusted(std::string_view text, const std::string &name, const std::string &sha)
{
	static const std::string self = selfIdentity();
	if (self.empty())
		return json::parse(text, name);
	const std::string key = sha256Hex(self + "\nparsed\n" + sha);
	if (auto bytes = readCache(kParsedDir, key, kMaxPolicyBytes * 4))
		if (auto v = json::detail::decode(*bytes))
			return std::move(*v);
	json::Value v = json::parse(text, name);
	writeCache(kParsedDir, key, json::detail::encode(v));
	return v;
}

} // namespace bulkhead::policy::cache
