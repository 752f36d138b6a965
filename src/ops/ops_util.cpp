#include "ops_util.h"

#include "../sys/fd.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/error.h"

extern char **environ;

namespace bulkhead::ops {

namespace {

constexpr size_t kMaxRead = 4u << 20;
constexpr size_t kMaxOutput = 1u << 20;

int64_t nowMs() noexcept
{
	struct timespec ts
	{
	};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

template <typename Ehdr, typename Phdr> bool hasInterp(int fd, const Ehdr &eh) noexcept
{
	if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum == 0 || eh.e_phnum > 256)
		return true; /* not an executable we understand: say "not static" */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Phdr ph{};
		const auto off = static_cast<off_t>(eh.e_phoff + i * sizeof(Phdr));
		if (pread(fd, &ph, sizeof ph, off) != static_cast<ssize_t>(sizeof ph))
			return true;
		if (ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

} // namespace

const char *statusName(Status s) noexcept
{
	switch (s) {
	case Status::Ok:
		return "ok";
	case Status::Warn:
		return "warn";
	case Status::Fail:
		return "fail";
	case Status::Skip:
		return "skip";
	}
	return "?";
}

std::string optionValue(const std::vector<std::string> &args, size_t &i, const char *name,
                        const char *verb)
{
	const std::string &a = args[i];
	const std::string prefix = std::string(name) + "=";
	if (a.rfind(prefix, 0) == 0)
		return a.substr(prefix.size());
	if (i + 1 >= args.size() || args[i + 1].empty())
		throw Error(ErrorKind::Usage, std::string(verb) + ": " + name + " needs a value");
	return args[++i];
}

bool isOption(const std::string &a, const char *name) noexcept
{
	const size_t n = std::strlen(name);
	return a.compare(0, n, name) == 0 && (a.size() == n || a[n] == '=');
}

bool isLive(const std::string &root) noexcept
{
	return root.empty() || root == "/";
}

std::string under(const std::string &root, const std::string &path)
{
	if (isLive(root))
		return path;
	std::string r = root;
	while (r.size() > 1 && r.back() == '/')
		r.pop_back();
	return r + (path.empty() || path[0] != '/' ? "/" : "") + path;
}

std::optional<std::string> readText(const std::string &path)
{
	sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
	if (fd.get() < 0) {
		if (errno == ENOENT)
			return std::nullopt;
		throwErrno(path);
	}
	struct stat st
	{
	};
	if (fstat(fd.get(), &st) != 0)
		throwErrno(path);
	if (!S_ISREG(st.st_mode))
		throw Error(ErrorKind::Io, path + ": not a regular file");
	if (static_cast<size_t>(st.st_size) > kMaxRead)
		throw Error(ErrorKind::Io, path + ": larger than 4 MiB");
	std::string text;
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd.get(), buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throwErrno(path);
		if (n == 0)
			break;
		text.append(buf, static_cast<size_t>(n));
		if (text.size() > kMaxRead)
			throw Error(ErrorKind::Io, path + ": larger than 4 MiB");
	}
	return text;
}

bool exists(const std::string &path) noexcept
{
	struct stat st
	{
	};
	return ::stat(path.c_str(), &st) == 0;
}

bool isDir(const std::string &path) noexcept
{
	struct stat st
	{
	};
	return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool sameFile(const std::string &a, const std::string &b) noexcept
{
	struct stat sa
	{
	}, sb{};
	return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

std::vector<std::string> listDir(const std::string &dir)
{
	std::vector<std::string> names;
	DIR *d = ::opendir(dir.c_str());
	if (d == nullptr)
		return names;
	while (const struct dirent *e = ::readdir(d)) {
		std::string n = e->d_name;
		if (n != "." && n != "..")
			names.push_back(std::move(n));
	}
	::closedir(d);
	std::sort(names.begin(), names.end());
	return names;
}

std::string baseName(const std::string &path)
{
	const size_t slash = path.find_last_of('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirName(const std::string &path)
{
	const size_t slash = path.find_last_of('/');
	if (slash == std::string::npos)
		return ".";
	return slash == 0 ? "/" : path.substr(0, slash);
}

std::string trustProblem(const std::string &path, bool executable)
{
	struct stat st
	{
	};
	if (::stat(path.c_str(), &st) != 0)
		return std::strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != 0)
		return strprintf("owned by uid %u, not root", static_cast<unsigned>(st.st_uid));
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return strprintf("writable by %s (mode %04o)",
		                 (st.st_mode & S_IWOTH) != 0 ? "everyone" : "its group",
		                 static_cast<unsigned>(st.st_mode & 07777));
	if (executable && (st.st_mode & S_IXUSR) == 0)
		return strprintf("not executable (mode %04o)",
		                 static_cast<unsigned>(st.st_mode & 07777));
	return "";
}

std::string trustFix(const std::string &path, const std::string &problem)
{
	if (problem.rfind("owned by", 0) == 0 || problem.rfind("writable by", 0) == 0)
		return "chown root:root " + path + " && chmod go-w " + path;
	if (problem.rfind("not executable", 0) == 0)
		return "chmod 0755 " + path;
	return "";
}

bool isStaticElf(const std::string &path) noexcept
{
	sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
	if (fd.get() < 0)
		return false;
	unsigned char ident[EI_NIDENT];
	if (pread(fd.get(), ident, sizeof ident, 0) != EI_NIDENT ||
	    std::memcmp(ident, ELFMAG, SELFMAG) != 0)
		return false;
	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh{};
		if (pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh))
			return false;
		return eh.e_type == ET_EXEC || eh.e_type == ET_DYN
		               ? !hasInterp<Elf64_Ehdr, Elf64_Phdr>(fd.get(), eh)
		               : false;
	}
	if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh{};
		if (pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh))
			return false;
		return eh.e_type == ET_EXEC || eh.e_type == ET_DYN
		               ? !hasInterp<Elf32_Ehdr, Elf32_Phdr>(fd.get(), eh)
		               : false;
	}
	return false;
}

RunResult run(const std::vector<std::string> &argv, const std::vector<std::string> &env,
              int timeoutMs)
{
	RunResult r;
	if (argv.empty())
		return r;
	/* Everything the child needs, built before fork(). */
	std::vector<std::string> envStrings;
	for (char **e = environ; e != nullptr && *e != nullptr; e++) {
		std::string s = *e;
		const std::string name = s.substr(0, s.find('='));
		bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string &x) {
			return x.substr(0, x.find('=')) == name;
		});
		if (!replaced)
			envStrings.push_back(std::move(s));
	}
	envStrings.insert(envStrings.end(), env.begin(), env.end());
	std::vector<char *> envp, args;
	for (auto &s : envStrings)
		envp.push_back(s.data());
	envp.push_back(nullptr);
	std::vector<std::string> argCopy = argv;
	for (auto &s : argCopy)
		args.push_back(s.data());
	args.push_back(nullptr);

	int fds[2], errPipe[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		throwErrno("pipe");
	if (pipe2(errPipe, O_CLOEXEC) != 0) {
		::close(fds[0]);
		::close(fds[1]);
		throwErrno("pipe");
	}
	const pid_t pid = fork();
	if (pid < 0) {
		for (int fd : {fds[0], fds[1], errPipe[0], errPipe[1]})
			::close(fd);
		throwErrno("fork");
	}
	if (pid == 0) {
		setpgid(0, 0);
		int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0)
			_exit(127);
		::execve(args[0], args.data(), envp.data());
		int e = errno;
		ssize_t n = ::write(errPipe[1], &e, sizeof e);
		(void)n;
		_exit(127);
	}
	::close(fds[1]);
	::close(errPipe[1]);
	sys::Fd out(fds[0]), execErr(errPipe[0]);
	int childErrno = 0;
	r.started = ::read(execErr.get(), &childErrno, sizeof childErrno) != sizeof childErrno;
	if (!r.started)
		r.out = std::strerror(childErrno);

	const int64_t deadline = nowMs() + timeoutMs;
	char buf[8192];
	for (;;) {
		const int64_t left = deadline - nowMs();
		if (left <= 0) {
			r.timedOut = true;
			::kill(-pid, SIGKILL);
			::kill(pid, SIGKILL);
			break;
		}
		struct pollfd p
		{
			out.get(), POLLIN, 0
		};
		int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		ssize_t got = ::read(out.get(), buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (r.out.size() < kMaxOutput)
			r.out.append(buf, static_cast<size_t>(got));
	}
	int status = 0;
	for (;;) {
		pid_t w = waitpid(pid, &status, r.timedOut ? 0 : WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w == 0 && nowMs() >= deadline) {
			r.timedOut = true;
			::kill(-pid, SIGKILL);
			::kill(pid, SIGKILL);
		} else if (w == 0) {
			struct timespec ts
			{
				0, 10 * 1000 * 1000
			};
			nanosleep(&ts, nullptr);
		}
	}
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

std::string firstLine(const std::string &text, size_t max)
{
	std::string line = text.substr(0, text.find('\n'));
	if (line.size() > max)
		line = line.substr(0, max) + "...";
	return line;
}

} // namespace bulkhead::ops
