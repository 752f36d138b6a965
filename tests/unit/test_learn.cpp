/* bulkhead learn's reading of strace(1) output: the lines strace 6.1 prints
 * with -f -ff -y -s 4096, the container's processes told from the runtime's,
 * and what each refusal teaches. */
#include <string>

#include "bulkhead/learn.h"

#include <catch2/catch.hpp>

using namespace bulkhead::learn;

TEST_CASE("learn: strace lines, padded results, -y fd paths, escapes", "[learn]")
{
	auto c = parseLine(
	        R"(mkdir("/var/lib/nginx/body", 0700)      = -1 EROFS (Read-only file system))",
	        "/");
	REQUIRE(c);
	CHECK(c->name == "mkdir");
	CHECK(c->paths == std::vector<std::string>{"/var/lib/nginx/body"});
	CHECK(c->write);
	CHECK(c->ret == -1);
	CHECK(c->error == "EROFS");

	c = parseLine(
	        R"(openat(AT_FDCWD</>, "/etc/redis/redis.conf", O_RDONLY) = -1 EACCES (Permission denied))",
	        "/");
	REQUIRE(c);
	CHECK_FALSE(c->write);
	CHECK(c->paths == std::vector<std::string>{"/etc/redis/redis.conf"});

	/* relative to a directory fd, to the cwd; O_CREAT writes; \" in a name */
	c = parseLine(
	        R"(openat(5</var/lib>, "x/a\"b", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</var/lib/x/a"b>)",
	        "/");
	REQUIRE(c);
	CHECK(c->paths == std::vector<std::string>{"/var/lib/x/a\"b"});
	CHECK(c->write);
	CHECK(c->error.empty());
	c = parseLine(R"(rename("temp-7.rdb", "dump.rdb") = -1 EROFS (Read-only file system))",
	              "/");
	REQUIRE(c);
	CHECK(c->paths == std::vector<std::string>{"/temp-7.rdb", "/dump.rdb"});

	/* a unix socket's path; an inet address is no path */
	c = parseLine(
	        R"(bind(3<socket:[77]>, {sa_family=AF_UNIX, sun_path="/run/postgresql/.s.PGSQL.5432"}, 110) = 0)",
	        "/");
	REQUIRE(c);
	CHECK(c->paths == std::vector<std::string>{"/run/postgresql/.s.PGSQL.5432"});
	c = parseLine(
	        R"(bind(6<socket:[1]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("0.0.0.0")}, 16) = 0)",
	        "/");
	REQUIRE(c);
	CHECK(c->paths.empty());

	/* execve: the program, not its argv */
	c = parseLine(
	        R"(execve("/usr/sbin/nginx", ["nginx", "-g", "/x"], 0x7ffd /* 3 vars */) = 0)",
	        "/");
	REQUIRE(c);
	CHECK(c->paths == std::vector<std::string>{"/usr/sbin/nginx"});

	CHECK_FALSE(parseLine("+++ exited with 1 +++", "/"));
	CHECK_FALSE(parseLine("--- SIGCHLD {si_signo=SIGCHLD} ---", "/"));
	CHECK_FALSE(parseLine("<... read resumed>\"\", 4) = 0", "/"));
	CHECK_FALSE(parseLine("exit_group(0)                           = ?", "/"));
}

TEST_CASE("learn: only the program's processes count", "[learn]")
{
	const std::string runc = R"(execve("/usr/sbin/runc", ["runc", "run"], 0x1 /* 1 vars */) = 0
mkdir("/run/runc/x", 0711) = -1 EEXIST (File exists)
clone(child_stack=NULL, flags=CLONE_VM) = 41
)";
	Process p = readProcess(runc, false, "/", "/usr/sbin/runc");
	CHECK_FALSE(p.container);
	CHECK(p.calls.empty());

	const std::string init = R"(execve("/proc/self/exe", ["runc", "init"], 0x1 /* 1 vars */) = 0
mkdir("/sys/fs/cgroup/x", 0755) = -1 EROFS (Read-only file system)
execve("/usr/sbin/nginx", ["nginx"], 0x1 /* 1 vars */) = 0
chdir("/srv")                           = 0
mkdir("cache", 0700)                    = -1 EROFS (Read-only file system)
clone(child_stack=NULL, flags=CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 43
)";
	p = readProcess(init, false, "/", "/usr/sbin/runc");
	CHECK(p.container);
	REQUIRE(p.calls.size() == 4);
	CHECK(p.calls[2].paths == std::vector<std::string>{"/srv/cache"});
	CHECK(p.children == std::vector<long long>{43});
	/* a child of the program counts from its first line */
	p = readProcess("unlink(\"/run/nginx.pid\") = -1 EROFS (Read-only file system)\n", true,
	                "/", "/usr/sbin/runc");
	CHECK(p.calls.size() == 1);
}

TEST_CASE("learn: what refusals teach", "[learn]")
{
	std::vector<Call> calls;
	for (const char *l :
	     {R"(mkdir("/var/lib/nginx/body", 0700) = -1 EROFS (Read-only file system))",
	      R"(openat(AT_FDCWD</>, "/var/log/nginx/error.log", O_WRONLY|O_CREAT|O_APPEND, 0644) = -1 EACCES (Permission denied))",
	      R"(openat(AT_FDCWD</>, "/etc/redis/redis.conf", O_RDONLY) = -1 EACCES (Permission denied))",
	      R"(openat(AT_FDCWD</>, "/usr/lib/x86_64-linux-gnu/libfoo.so", O_RDONLY) = -1 ENOENT (No such file or directory))",
	      R"(mkdir("/nope/dir", 0700) = -1 ENOENT (No such file or directory))",
	      R"(chown("/tmp/x", 33, 33) = -1 EPERM (Operation not permitted))",
	      R"(openat(AT_FDCWD</>, "/proc/sys/kernel/x", O_WRONLY) = -1 EROFS (Read-only file system))",
	      R"(openat(AT_FDCWD</>, "/run/nginx.pid", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4</run/nginx.pid>)"}) {
		auto c = parseLine(l, "/");
		REQUIRE(c);
		calls.push_back(*c);
	}
	Lessons l;
	learnFrom(calls, l);
	CHECK(l.writePaths ==
	      std::vector<std::pair<std::string, std::string>>{
	              {"/var/lib/nginx/body", "EROFS"}, {"/var/log/nginx/error.log", "EACCES"}});
	CHECK(l.readPaths == std::vector<std::string>{"/etc/redis/redis.conf"});
	CHECK(l.missing == std::set<std::string>{"mkdir /nope/dir"});
	CHECK(l.syscalls.at("chown: EPERM") == 1);
	CHECK(l.capabilities.count("CAP_CHOWN (chown)") == 1);
	CHECK(l.written.count("/run/nginx.pid") == 1);
	CHECK(capabilityFor("bind", "EACCES") == "CAP_NET_BIND_SERVICE");
	CHECK(capabilityFor("epoll_ctl", "EPERM").empty());
}
