/* src/sys/mount.cpp: mount options as runc 1.1.5 sorts them and the kernel
 * splits them, overlayfs layers as Linux reads them, and the host mount a path
 * lives on, read from this machine's /proc/self/mountinfo; both beside
 * libmount, which only this test links. */
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <vector>

#include <libmount/libmount.h>

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

/* bulkhead links no libmount (its binary is static): its reading of option
 * strings and of the mount table must stay libmount's, as installed here. */
namespace {

std::optional<std::vector<std::string>> byLibmount(const std::string &s)
{
	std::vector<std::string> out;
	std::string buf = s;
	char *p = buf.data();
	for (;;) {
		char *name = nullptr;
		char *value = nullptr;
		size_t namesz = 0;
		size_t valuesz = 0;
		const int rc = mnt_optstr_next_option(&p, &name, &namesz, &value, &valuesz);
		if (rc == 1)
			return out;
		if (rc != 0 || name == nullptr)
			return std::nullopt;
		const char *end = value ? value + valuesz : name + namesz;
		out.emplace_back(name, static_cast<size_t>(end - name));
	}
}

} // namespace

TEST_CASE("libmountSplit reads option strings as the installed libmount", "[mount]")
{
	std::vector<std::string> cases = {"",
	                                  "a",
	                                  "a,b",
	                                  "a,,b",
	                                  ",a",
	                                  "a,",
	                                  ",",
	                                  ",,",
	                                  "=",
	                                  "=a,b",
	                                  "a=1,b=2=3",
	                                  "context=\"a,b\",c",
	                                  "x=\"unterminated,y",
	                                  "\"\"",
	                                  "\",\"",
	                                  "a\"b\"c,d",
	                                  "lowerdir=/a\\,b:/c,upperdir=/u",
	                                  "mode=755,size=65536k",
	                                  std::string("a\0b,c", 5),
	                                  "a, b",
	                                  " ,a"};
	/* and every string of up to 4 characters over a small alphabet */
	const char alphabet[] = {'a', ',', '"', '='};
	for (size_t len = 1; len <= 4; len++) {
		size_t total = 1;
		for (size_t k = 0; k < len; k++)
			total *= sizeof alphabet;
		for (size_t n = 0; n < total; n++) {
			std::string s;
			for (size_t k = 0, v = n; k < len; k++, v /= sizeof alphabet)
				s += alphabet[v % sizeof alphabet];
			cases.push_back(s);
		}
	}
	size_t differ = 0;
	for (const auto &c : cases) {
		auto ours = mount::libmountSplit(c);
		auto theirs = byLibmount(c);
		if (ours != theirs) {
			differ++;
			INFO("data string \"" << c << "\"");
			CHECK((ours == theirs));
		}
	}
	CHECK(differ == 0);
}

TEST_CASE("hostMount finds the mount libmount finds, for every mount point here", "[mount]")
{
	struct TableFree
	{
		void operator()(libmnt_table *t) const noexcept { mnt_unref_table(t); }
	};
	std::unique_ptr<libmnt_table, TableFree> tb(
	        mnt_new_table_from_file("/proc/self/mountinfo"));
	REQUIRE(tb);
	libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	REQUIRE(it != nullptr);
	libmnt_fs *fs = nullptr;
	size_t compared = 0;
	std::vector<std::string> targets;
	while (mnt_table_next_fs(tb.get(), it, &fs) == 0)
		targets.emplace_back(mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "");
	mnt_free_iter(it);
	targets.push_back("/proc/self/status");
	targets.push_back("/etc/hostname");
	for (const auto &t : targets) {
		std::unique_ptr<char, decltype(&std::free)> real(::realpath(t.c_str(), nullptr),
		                                                 &std::free);
		if (!real)
			continue;
		struct stat st
		{
		};
		if (::stat(real.get(), &st) != 0)
			continue;
		libmnt_fs *want =
		        mnt_table_find_mountpoint(tb.get(), real.get(), MNT_ITER_BACKWARD);
		auto got = mount::hostMount(t);
		INFO("path " << t);
		REQUIRE(want != nullptr);
		REQUIRE(got.has_value());
		CHECK(got->target == std::string(mnt_fs_get_target(want)));
		CHECK(got->fstype ==
		      std::string(mnt_fs_get_fstype(want) ? mnt_fs_get_fstype(want) : ""));
		CHECK(got->source ==
		      std::string(mnt_fs_get_source(want) ? mnt_fs_get_source(want) : ""));
		unsigned long flags = 0;
		REQUIRE(mnt_fs_get_propagation(want, &flags) == 0);
		CHECK((got->propagation.find("shared") != std::string::npos) ==
		      ((flags & MS_SHARED) != 0));
		CHECK((got->propagation.find("slave") != std::string::npos) ==
		      ((flags & MS_SLAVE) != 0));
		CHECK((got->propagation.find("unbindable") != std::string::npos) ==
		      ((flags & MS_UNBINDABLE) != 0));
		compared++;
	}
	CHECK(compared >= 3);
}
