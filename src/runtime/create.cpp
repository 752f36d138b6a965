/* create / run / restore: harden BUNDLE/config.json and replace it atomically. */
#include "../sys/fd.h"
#include "../sys/io.h"
#include "../test_hooks.h"
#include "call.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sched.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/sha256.h"
#include "bulkhead/spec.h"

namespace bulkhead::runtime {

namespace {

using json::Value;
using policy::Decision;
using policy::Verdict;
using sys::Fd;

/* A temporary file in a directory, unlinked unless committed. */
class TempFile
{
public:
	TempFile(int dirFd, std::string name) noexcept : dirFd_(dirFd), name_(std::move(name)) {}
	TempFile(const TempFile &) = delete;
	TempFile &operator=(const TempFile &) = delete;
	~TempFile()
	{
		if (armed_)
			::unlinkat(dirFd_, name_.c_str(), 0);
	}
	[[nodiscard]] const std::string &name() const noexcept { return name_; }
	void commit() noexcept { armed_ = false; }

private:
	int dirFd_;
	std::string name_;
	bool armed_ = true;
};

/* Naming the unnamed hardened copy and renaming it over config.json are two
 * steps: a bulkhead killed between them would leave the named copy in the
 * bundle. They run in a child that shares our memory and waits for nothing
 * (clone, CLONE_VM | CLONE_VFORK): a SIGKILL to bulkhead does not stop the
 * child, which does both or, when one fails, removes what it named. */
struct Publish
{
	int tmpFd;
	int dirFd;
	const char *name;
	char self[64] = {}; /* /proc/self/fd/TMPFD: the child's table is a copy */
	bool linked = false;
	int err = 0;
};

int publishChild(void *arg) noexcept
{
	auto *p = static_cast<Publish *>(arg);
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd does not. */
	if (::linkat(p->tmpFd, "", p->dirFd, p->name, AT_EMPTY_PATH) != 0) {
		if (::linkat(AT_FDCWD, p->self, p->dirFd, p->name, AT_SYMLINK_FOLLOW) != 0) {
			p->err = errno;
			return 0;
		}
	}
	p->linked = true;
	if (::renameat(p->dirFd, p->name, p->dirFd, "config.json") != 0) {
		p->err = errno;
		::unlinkat(p->dirFd, p->name, 0);
	}
	return 0;
}

Publish publish(int tmpFd, int dirFd, const char *name)
{
	Publish p{tmpFd, dirFd, name};
	std::snprintf(p.self, sizeof p.self, "/proc/self/fd/%d", tmpFd);
	constexpr size_t kStack = 64 * 1024;
	auto stack = std::make_unique<char[]>(kStack);
	const pid_t pid =
	        ::clone(publishChild, stack.get() + kStack, CLONE_VM | CLONE_VFORK | SIGCHLD, &p);
	if (pid < 0)
		throwErrno("clone");
	/* CLONE_VFORK: the child is done when clone() returns; reap it (an
	 * inherited SIGCHLD SIG_IGN reaps it for us: ECHILD) */
	int status = 0;
	pid_t r;
	while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
	}
	if (r < 0 && errno != ECHILD)
		throwErrno("waitpid");
	if (r == pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		throw Error(ErrorKind::Internal, "the rename of config.json did not finish");
	return p;
}

std::string currentDir()
{
	char buf[PATH_MAX];
	if (::getcwd(buf, sizeof buf) == nullptr)
		throwErrno("getcwd");
	return buf;
}

} // namespace

std::vector<std::string> hardenBundle(Call &c)
{
	if (const cli::FlagUse *f = c.inv.flag("config"))
		throw Error(
		        ErrorKind::Usage,
		        c.inv.commandName + ": --config/-f " + f->value.value_or("") +
		                ": a spec outside the bundle is not supported by bulkhead; keep it "
		                "at BUNDLE/config.json");
	std::string bundle = c.inv.bundle();
	if (bundle.empty())
		bundle = currentDir();
	else if (bundle[0] != '/')
		bundle = currentDir() + "/" + bundle;
	while (bundle.size() > 1 && bundle.back() == '/')
		bundle.pop_back();
	const std::string path = bundle + "/config.json";
	c.rec.bundle = bundle;
	c.rec.subject = path;

	Fd dir(::open(bundle.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (dir.get() < 0)
		throwErrno("bundle " + bundle);
	Fd file(::openat(dir.get(), "config.json",
	                 O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
	if (file.get() < 0) {
		if (errno == ELOOP)
			throw Error(ErrorKind::Io, path + ": is a symbolic link (refused)");
		throwErrno(path);
	}
	struct stat st
	{
	};
	if (::fstat(file.get(), &st) != 0)
		throwErrno(path);
	if (!S_ISREG(st.st_mode))
		throw Error(ErrorKind::Io, path + ": not a regular file (refused)");
	const std::string text = json::readFd(file.get(), path, kSpecMax);
	c.rec.inputSha256 = sha256Hex(text);
	const Value spec = spec::read(text, path, policy::Scope::Spec);
	c.rec.engine = audit::engineHints(spec);

	Decision d = c.pol.evaluate(spec, policy::Scope::Spec, callContext(c, bundle), c.host);
	if (d.verdict == Verdict::Deny)
		refuse(c, d, text);
	if (d.verdict == Verdict::Allow) {
		record(c, d, false);
		return c.inv.argv;
	}

	/* Mutate: write the hardened copy completely beside the original as an
	 * unnamed file (O_TMPFILE), record the decision, then name it and rename it
	 * over config.json. Killed before the naming, bulkhead leaves nothing in
	 * the bundle; a file system without O_TMPFILE gets a named temporary file. */
	const std::string out = json::write(d.result, true);
	unsigned char rnd[6] = {};
	if (::getrandom(rnd, sizeof rnd, 0) != static_cast<ssize_t>(sizeof rnd))
		throwErrno("getrandom");
	std::string tmpName = ".config.json.bulkhead-";
	for (unsigned char b : rnd)
		tmpName += strprintf("%02x", b);
	const std::string tmpPath = bundle + "/" + tmpName;
	Fd tmp(::openat(dir.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
	const bool unnamed = tmp.get() >= 0;
	if (!unnamed) {
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			throwErrno(path + ": cannot create the hardened copy in " + bundle);
		tmp = Fd(::openat(dir.get(), tmpName.c_str(),
		                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		                  0600));
		if (tmp.get() < 0)
			throwErrno(path + ": cannot create the hardened copy in " + bundle);
	}
	std::optional<TempFile> guard;
	if (!unnamed)
		guard.emplace(dir.get(), tmpName);
	if ((st.st_uid != ::geteuid() || st.st_gid != ::getegid()) &&
	    ::fchown(tmp.get(), st.st_uid, st.st_gid) != 0)
		throwErrno(tmpPath + ": chown");
	if (::fchmod(tmp.get(), st.st_mode & 07777) != 0)
		throwErrno(tmpPath + ": chmod");
	sys::writeAll(tmp.get(), out, tmpPath + ": write");
	if (::fsync(tmp.get()) != 0)
		throwErrno(tmpPath + ": fsync");

	record(c, d, false);

	testhooks::at("create-before-rename");
	/* the file we read must still be the one in place */
	struct stat now
	{
	};
	if (::fstatat(dir.get(), "config.json", &now, AT_SYMLINK_NOFOLLOW) != 0)
		throwErrno(path);
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		throw Error(ErrorKind::Io,
		            path + ": replaced while bulkhead was reading it (refused)");
	if (unnamed) {
		const Publish p = publish(tmp.get(), dir.get(), tmpName.c_str());
		if (p.err != 0) {
			errno = p.err;
			throwErrno(p.linked ? path + ": rename" : tmpPath + ": link");
		}
	} else {
		if (::renameat(dir.get(), tmpName.c_str(), dir.get(), "config.json") != 0)
			throwErrno(path + ": rename");
		guard->commit();
	}
	if (::close(tmp.release()) != 0)
		throwErrno(tmpPath + ": close");
	if (::fsync(dir.get()) != 0)
		throwErrno(bundle + ": fsync");
	return c.inv.argv;
}

} // namespace bulkhead::runtime
