#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

/* bulkhead learn: run a bundle once (through the real runtime, with the policy's
 * hardening applied and strace(1) attached), see what the program was refused,
 * widen what a per-image override may widen, run again, until it runs or
 * nothing more can be learned; then print the override. src/learn.cpp runs
 * it, src/learn_trace.cpp reads strace's output. */
namespace bulkhead::learn {

/* One system call of the container's processes as strace -f -ff -y -s 4096
 * printed it. */
struct Call
{
	std::string name;               /* "openat" */
	std::vector<std::string> paths; /* the path arguments, resolved against -y's fd paths */
	bool write = false;             /* it creates, changes or removes what it names */
	long long ret = 0;              /* -1 on failure */
	std::string error;              /* "EROFS", "" on success */
};

/* A syscall line of strace's per-process output, nullopt for anything else
 * (signals, exits, "resumed" lines). cwd resolves relative paths. */
std::optional<Call> parseLine(std::string_view line, const std::string &cwd);

/* The lines of one process's trace file that belong to the container: every
 * line after its first successful execve of something other than the runtime
 * (RUNTIME, or "/proc/self/exe" as runc re-executes itself), or every line when
 * the process was forked by one of the container's. children: pids it forked
 * after that point. */
struct Process
{
	bool container = false;
	std::vector<Call> calls;
	std::vector<long long> children;
};
Process readProcess(std::string_view text, bool forkedByContainer, const std::string &cwd,
                    const std::string &runtime);

/* What a round taught. */
struct Lessons
{
	std::set<std::string> writeRefused;  /* "mkdir /var/lib/nginx/body: EROFS" */
	std::set<std::string> written;       /* paths created or written successfully */
	std::set<std::string> readRefused;   /* "/etc/redis/redis.conf: EACCES" */
	std::set<std::string> missing;       /* ENOENT where the program wanted to create */
	std::map<std::string, int> syscalls; /* "chown: EPERM" -> count */
	std::set<std::string> capabilities;  /* "CAP_CHOWN (chown)" */
	std::vector<std::pair<std::string, std::string>>
	        writePaths;                 /* (path, errno) to make writable */
	std::vector<std::string> readPaths; /* refused reads */
};
void learnFrom(const std::vector<Call> &calls, Lessons &out);

/* The capability that usually lets SYSCALL past ERRNO, "" when none is known. */
std::string capabilityFor(std::string_view syscall, std::string_view error);

/* bulkhead learn [options] BUNDLE; args after the verb. Exit 0 learned (the
 * override printed), 1 still failing, 3 refused by the policy, 2 bad input. */
int main(const std::vector<std::string> &args);

} // namespace bulkhead::learn
