/* src/sys/mount.cpp: mount options as runc 1.1.5 sorts them and the kernel
 * splits them, overlayfs layers as Linux reads them, and the host mount a path
 * lives on, read from this machine's /proc/self/mountinfo with libmount. */
#include <string>
#include <vector>

#include "bulkhead/mount.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using Strings = std::vector<std::string>;

TEST_CASE("effect: runc's flags in order, then the recursive attributes of a bind", "[mount]")
{
	auto e = mount::effect({"rbind", "nosuid", "nodev", "ro", "rprivate", "mode=755"});
	CHECK(e.bind);
	CHECK(e.recursive);
	CHECK(e.nosuid);
	CHECK(e.nodev);
	CHECK(e.readOnly);
	CHECK(e.propagation == Strings{"rprivate"});
	CHECK(e.data == std::vector<size_t>{5});

	/* A later flag cancels an earlier one. */
	CHECK_FALSE(mount::effect({"bind", "nosuid", "suid"}).nosuid);
	CHECK(mount::effect({"bind", "suid", "nosuid"}).nosuid);
	/* runc clears recursively after the flags, wherever rsuid stands. */
	CHECK_FALSE(mount::effect({"bind", "rsuid", "nosuid", "nodev"}).nosuid);
	CHECK_FALSE(mount::effect({"bind", "nodev", "rdev"}).nodev);
	CHECK_FALSE(mount::effect({"bind", "ro", "rrw"}).readOnly);
	/* A recursive set wins over a clear (the kernel clears, then sets). */
	CHECK(mount::effect({"bind", "rsuid", "rnosuid"}).nosuid);
	CHECK(mount::effect({"bind", "rnodev"}).nodev);
	/* runc 1.1.5 applies recursive attributes to bind mounts only. */
	CHECK(mount::effect({"nosuid", "rsuid"}).nosuid);
	CHECK_FALSE(mount::effect({"rnosuid"}).nosuid);
	/* "defaults" is data to runc, read as rw,suid,dev (the worst case). */
	auto d = mount::effect({"bind", "nosuid", "ro", "defaults"});
	CHECK_FALSE(d.nosuid);
	CHECK_FALSE(d.readOnly);
	CHECK(d.data == std::vector<size_t>{3});
	/* Go map lookups are exact: an upper-case flag is data, not a flag. */
	auto u = mount::effect({"RBIND", "NOSUID", "tmpcopyup", "rro", "idmap"});
	CHECK_FALSE(u.bind);
	CHECK_FALSE(u.nosuid);
	CHECK(u.data == std::vector<size_t>{0, 1, 4});
}

TEST_CASE("splitProblem: each data option reaches the kernel whole and alone", "[mount]")
{
	/* What the engines send. */
	CHECK(mount::splitProblem("tmpfs", {"mode=755", "size=65536k"}).empty());
	CHECK(mount::splitProblem("devpts", {"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"})
	              .empty());
	CHECK(mount::splitProblem("overlay", {"lowerdir=/l1:/l2", "upperdir=/u", "workdir=/w"})
	              .empty());
	CHECK(mount::splitProblem("overlay", {}).empty());
	/* An escaped colon is a path character, not a separator of options. */
	CHECK(mount::splitProblem("overlay", {"lowerdir=/a\\:b:/c"}).empty());
	/* A quoted SELinux label may hold commas (MCS categories). */
	CHECK(mount::splitProblem(
	              "tmpfs",
	              {"context=\"system_u:object_r:container_file_t:s0:c1,c2\"", "mode=755"})
	              .empty());

	/* One option for runc, two for the kernel. */
	auto comma = mount::splitProblem("overlay", {"lowerdir=/tmp/a,lowerdir=/etc:/tmp/b"});
	CHECK(comma.find("contains a comma") != std::string::npos);
	CHECK_FALSE(mount::splitProblem("tmpfs", {"size=1m,mode=777"}).empty());
	CHECK_FALSE(mount::splitProblem("tmpfs", {"context=\"x,lowerdir=/etc\""}).empty());
	CHECK_FALSE(mount::splitProblem("tmpfs", {"context=x,y"}).empty());
	/* Two options for runc, one for overlayfs: the backslash escapes the comma. */
	auto esc = mount::splitProblem("overlay", {"upperdir=/tmp/a\\", "=/../../etc"});
	CHECK(esc.find("reach the overlay as") != std::string::npos);
	/* Other filesystems split at every comma: the same options are whole there. */
	CHECK(mount::splitProblem("tmpfs", {"a\\", "b"}).empty());
	/* An empty option: the kernel skips it, libmount refuses the string. */
	CHECK_FALSE(mount::splitProblem("tmpfs", {"mode=755", ""}).empty());
	CHECK_FALSE(mount::splitProblem("tmpfs", {"", "mode=755"}).empty());
	/* Unbalanced quotes: libmount would read one option where the kernel reads two. */
	auto quote = mount::splitProblem("tmpfs", {"x=\"a", "b\""});
	CHECK(quote.find("libmount") != std::string::npos);
}

TEST_CASE("overlay: every layer as Linux reads it", "[mount]")
{
	auto ov = mount::overlay({"lowerdir=/l1:/l\\:2::/data1::/data2", "upperdir=/u\\\\p",
	                          "workdir=/w", "lowerdir+=/more\\x", "datadir+=/d", "index=off",
	                          "redirect_dir=on", "userxattr", "ro"});
	REQUIRE(ov.layers.size() == 5);
	CHECK(ov.unknown.empty());
	CHECK(ov.layers[0].key == "lowerdir");
	CHECK(ov.layers[0].option == 0);
	CHECK(ov.layers[0].paths == Strings{"/l1", "/l:2", "/data1", "/data2"});
	CHECK(ov.layers[1].paths == Strings{"/u\\p"});
	CHECK(ov.layers[2].paths == Strings{"/w"});
	/* lowerdir+ keeps its escapes on some kernels: both forms are judged. */
	CHECK(ov.layers[3].key == "lowerdir+");
	CHECK(ov.layers[3].paths == Strings{"/more\\x", "/morex"});
	CHECK(ov.layers[4].paths == Strings{"/d"});
	/* An empty lowerdir resets the list; an unknown option is reported. */
	auto other = mount::overlay({"lowerdir=", "lowerdir_fd=3", "=x", "volatile"});
	CHECK(other.layers.empty());
	CHECK(other.unknown == std::vector<size_t>{1});
	/* The escape hides nothing: "/e\tc" is /etc to the kernel. */
	CHECK(mount::overlay({"lowerdir=/tmp:/e\\tc"}).layers[0].paths == Strings{"/tmp", "/etc"});
}

TEST_CASE("hostMount reads this machine's mount table", "[mount][host]")
{
	auto proc = mount::hostMount("/proc/self/status");
	REQUIRE(proc);
	CHECK(proc->kernelType == "proc");
	CHECK(proc->fstype == "proc");
	CHECK(proc->target == "/proc");
	CHECK_FALSE(proc->propagation.empty());
	auto sys = mount::hostMount("/sys/kernel");
	REQUIRE(sys);
	CHECK(sys->kernelType == "sysfs");
	/* Through a link: /proc/self/cwd is wherever the test runs, not procfs. */
	auto cwd = mount::hostMount("/proc/self/cwd");
	REQUIRE(cwd);
	CHECK(cwd->kernelType != "proc");
	auto root = mount::hostMount("/");
	REQUIRE(root);
	CHECK(root->target == "/");
	CHECK_FALSE(mount::hostMount("/no/such/path/here"));
}
