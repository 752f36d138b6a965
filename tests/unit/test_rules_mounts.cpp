/* Mounts, devices and the rootfs judged as runc 1.1.5 and the kernel act on
 * them (P10.sensitive-mount and P10.engine-socket on overlay layers and
 * filesystems, P10.proc-sys-mounts, P10.idmapped-mounts, P10.bind-options,
 * P10.rootfs, P11.devices): every attack of issue 9 is refused, and the real
 * engine specs keep their verdicts on a host where their files exist. */
#include "fake_host.h"
#include "rule_harness.h"

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/rule.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using bulkhead::policy::Action;
using bulkhead::test::dump;
using bulkhead::test::FakeHost;
using bulkhead::test::mentions;
using bulkhead::test::RuleResult;
using json::Value;

namespace {

Value fixture(const std::string &name)
{
	const char *dir = std::getenv("BULKHEAD_TEST_DATA");
	return json::parseFile(std::string(dir ? dir : "tests/data") + "/" + name);
}

Value J(std::string_view text)
{
	return json::parse(text, "test");
}

policy::CallContext call(const std::string &id, const std::string &bundle = "/bundles/b")
{
	return policy::CallContext{id, bundle, "create"};
}

RuleResult run(std::string_view rule, const Value &doc, const FakeHost &host,
               const policy::CallContext &c = call("c"), const Value &params = Value::object(),
               Action action = Action::Mutate)
{
	return test::runRule(rule, doc, params, action, policy::Scope::Spec, host, c);
}

size_t count(const RuleResult &r, Action a)
{
	size_t n = 0;
	for (const auto &f : r.findings)
		n += f.action == a ? 1 : 0;
	return n;
}

Value spec(const std::string &mounts, const std::string &root = R"({"path":"/srv/rootfs"})")
{
	return J(R"({"ociVersion":"1.0.2","root":)" + root + R"(,"mounts":)" + mounts +
	         R"(,"linux":{"namespaces":[{"type":"pid"},{"type":"mount"}],)"
	         R"("uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],)"
	         R"("gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}})");
}

Value overlayWith(const std::string &options)
{
	return spec(R"([{"destination":"/mnt","type":"overlay","source":"overlay","options":)" +
	            options + "}]");
}

Value bindOf(const std::string &source)
{
	return spec(R"([{"destination":"/data","type":"bind","source":")" + source +
	            R"(","options":["rbind","nosuid","nodev"]}])");
}

/* A host on which the engines' files exist: what a real node looks like. */
FakeHost engineHost()
{
	FakeHost h = test::typicalHost();
	ino_t ino = 100;
	auto dir = [&](const std::string &p) { h.file(p, 8, ino++, S_IFDIR | 0755); };
	auto file = [&](const std::string &p) { h.file(p, 8, ino++, S_IFREG | 0644); };
	for (const char *d : {"/",
	                      "/etc",
	                      "/usr",
	                      "/proc",
	                      "/sys",
	                      "/dev",
	                      "/boot",
	                      "/root",
	                      "/lib",
	                      "/bin",
	                      "/sbin",
	                      "/run",
	                      "/var",
	                      "/var/lib",
	                      "/var/lib/docker",
	                      "/var/lib/containerd",
	                      "/var/lib/kubelet",
	                      "/var/lib/containers",
	                      "/srv",
	                      "/srv/rootfs",
	                      "/srv/data",
	                      "/dev/shm"})
		dir(d);
	h.link("/var/run", "/run");
	h.file("/etc/shadow", 8, ino++, S_IFREG | 0640);
	h.device("/dev/null", S_IFCHR | 0666, 1, 3);
	h.device("/dev/zero", S_IFCHR | 0666, 1, 5);
	h.device("/dev/sda", S_IFBLK | 0660, 8, 0);
	h.file("/dev/shm/leak", 20, 7, S_IFREG | 0644);
	h.mount("/proc", "proc");
	h.mount("/sys", "sysfs");
	h.mount("/dev", "devtmpfs", false);
	h.mount("/dev/shm", "tmpfs", false);
	h.mount("/run", "tmpfs", false);
	for (const char *f : {
	             "/var/lib/docker/overlay2/"
	             "54149c42df0f572766fc36bfdfd2ab37b61aed5666bc796a431b9c"
	             "56e8a0ea3e/merged",
	             "/var/lib/docker/100000.100000/overlay2/"
	             "1ac95922b2ba20a5a338edd1a64cdce4caa88f9a"
	             "1068192c58159a7a4d694f4a/merged",
	             "/var/lib/containers/storage/overlay/"
	             "8b72b99bed0fa1b17ec3ecad9a1efebea37f8a018f"
	             "804b753630da66392b17b3/merged",
	             "/var/lib/containers/storage/overlay/"
	             "7b3c63c614240a801af907dd3fa8c5d249212855fd"
	             "fbe832bf0535fbc0d68d3d/merged",
	             "/run/containerd/io.containerd.runtime.v2.task/default/ctr1/rootfs",
	     })
		dir(f);
	const std::string docker =
	        "/var/lib/docker/containers/"
	        "d4576fcf2e8a8f52dedb1610bfcb3a74d194cfc484b137381a2a378d07f88760/";
	const std::string remap =
	        "/var/lib/docker/100000.100000/containers/"
	        "457d698cbd9771a883fa7ad66d02f3221d7a09703ea9e2ab18a6bdde5d8d9e32/";
	for (const auto &base : {docker, remap})
		for (const char *f : {"resolv.conf", "hostname", "hosts"})
			file(base + f);
	for (const char *id :
	     {"d4c271bba487dd1e829cd0a2da92f0dd0963b153431ca2dde78748652d484814",
	      "85dbcc60dfa52f876d50201e260625051789e36cb79400b5db13b8ef3d131be7"}) {
		std::string run = std::string("/run/containers/storage/overlay-containers/") + id +
		                  "/userdata/";
		for (const char *f : {".containerenv", "hostname", "hosts"})
			file(run + f);
		std::string shm = std::string("/var/lib/containers/storage/overlay-containers/") +
		                  id + "/userdata/shm";
		dir(shm);
		h.mount(shm, "tmpfs", false);
	}
	return h;
}

struct EngineSpec
{
	const char *file;
	const char *id;
};

const EngineSpec kEngines[] = {
        {"docker-20.10-default.json",
         "d4576fcf2e8a8f52dedb1610bfcb3a74d194cfc484b137381a2a378d07f88760"},
        {"docker-20.10-userns-remap.json",
         "457d698cbd9771a883fa7ad66d02f3221d7a09703ea9e2ab18a6bdde5d8d9e32"},
        {"containerd-1.6-ctr-default.json", "ctr1"},
        {"podman-4.3-default.json",
         "d4c271bba487dd1e829cd0a2da92f0dd0963b153431ca2dde78748652d484814"},
        {"podman-4.3-uidmap.json",
         "85dbcc60dfa52f876d50201e260625051789e36cb79400b5db13b8ef3d131be7"},
        {"runc-spec-default.json", "r1"},
};

const char *const kRules[] = {"P10.engine-socket", "P10.sensitive-mount", "P10.propagation",
                              "P10.bind-options",  "P10.proc-sys-mounts", "P10.idmapped-mounts",
                              "P10.rootfs",        "P11.devices"};

} // namespace

TEST_CASE("the engines' real specs keep their verdicts", "[rules][mounts]")
{
	FakeHost h = engineHost();
	h.file("/bundles/r1", 8, 900, S_IFDIR | 0755);
	h.file("/bundles/r1/rootfs", 8, 901, S_IFDIR | 0755);
	for (const auto &e : kEngines) {
		std::string bundle = std::string(e.id) == "r1" ? "/bundles/r1" : "/bundles/b";
		for (const char *rule : kRules) {
			INFO(e.file << " " << rule);
			auto r = run(rule, fixture(e.file), h, call(e.id, bundle));
			INFO(dump(r));
			CHECK(count(r, Action::Deny) == 0);
		}
	}
	/* containerd with an image: rootfs "rootfs" in the task's bundle. */
	auto ctr = fixture("containerd-1.6-ctr-default.json");
	ctr.find("root")->set("path", Value::string("rootfs"));
	auto r = run("P10.rootfs", ctr, h,
	             call("ctr1", "/run/containerd/io.containerd.runtime.v2.task/default/ctr1"));
	INFO(dump(r));
	CHECK(r.findings.empty());
	/* The same seen through /var/run, a link to /run. */
	r = run("P10.rootfs", ctr, h,
	        call("ctr1", "/var/run/containerd/io.containerd.runtime.v2.task/default/ctr1"));
	INFO(dump(r));
	CHECK(count(r, Action::Deny) == 0);
	/* Docker's privileged spec is refused for its devices, not their paths. */
	auto priv = run("P11.devices", fixture("docker-20.10-privileged.json"), h, call("c"));
	CHECK_FALSE(mentions(priv, "device path"));
}

TEST_CASE("overlay layers are judged as the kernel reads the options", "[rules][mounts]")
{
	FakeHost h = engineHost();
	h.file("/srv/rootfs/evil", 8, 990, S_IFDIR | 0755);
	h.link("/srv/rootfs/evil", "/etc"); /* a link in the image, followed on the host */
	h.file("/srv/a", 8, 991, S_IFDIR | 0755);
	h.file("/srv/a:b", 8, 992, S_IFDIR | 0755);
	for (const char *opts : {
	             R"(["lowerdir=/srv/a,lowerdir=/etc:/srv/a"])", /* one option, two */
	             R"(["lowerdir=/srv/a","lowerdir+=/etc"])",     /* Linux 6.5+ */
	             R"(["lowerdir=/srv/a","datadir+=/etc"])",      /* Linux 6.8+ */
	             R"(["lowerdir=/srv/a::/etc"])",                /* a data-only layer */
	             R"(["lowerdir=/srv/a:/e\\tc"])",               /* an escape */
	             R"(["lowerdir=/srv/a","upperdir=/srv/u","workdir=/etc/w"])",
	             R"(["upperdir=/srv/a\\","=/../../etc"])", /* the backslash eats the comma */
	             R"(["lowerdir=evil"])",                   /* relative: in the rootfs */
	             R"(["lowerdir=/srv/a","lowerdir_fd=3"])", /* unknown to bulkhead */
	             R"(["lowerdir=/srv/a",""])",
	             R"(["lowerdir=/proc/1/root/etc"])",
	     }) {
		INFO(opts);
		auto r = run("P10.sensitive-mount", overlayWith(opts), h);
		INFO(dump(r));
		CHECK(count(r, Action::Deny) >= 1);
	}
	for (const char *opts :
	     {R"(["lowerdir=/srv/a:/srv/a\\:b","upperdir=/srv/u","workdir=/srv/w"])",
	      R"(["lowerdir=/srv/a","index=off","redirect_dir=on","ro"])",
	      R"(["lowerdir+=","upperdir=","workdir=","lowerdir=/srv/a"])"}) {
		INFO(opts);
		auto r = run("P10.sensitive-mount", overlayWith(opts), h);
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
	/* The same layers reach the engine-socket rule. */
	h.file("/run/docker.sock", 25, 1000, S_IFSOCK | 0660);
	auto sock =
	        run("P10.engine-socket", overlayWith(R"(["lowerdir=/srv/a","lowerdir+=/run"])"), h);
	CHECK(count(sock, Action::Deny) == 1);
	/* A relative layer needs the rootfs to be placed. */
	auto noRoot = run("P10.sensitive-mount",
	                  spec(R"([{"destination":"/mnt","type":"overlay","source":"overlay",)"
	                       R"("options":["lowerdir=x"]}])",
	                       R"({"path":"rootfs"})"),
	                  h, call("c", ""));
	CHECK(count(noRoot, Action::Deny) == 1);
	/* A bind mount ignores the overlay type: its data names no layer. */
	auto bind = spec(R"([{"destination":"/mnt","type":"overlay","source":"/srv/data",)"
	                 R"("options":["rbind","lowerdir=/etc"]}])");
	CHECK(run("P10.sensitive-mount", bind, h).findings.empty());
}

TEST_CASE("bind sources and layers on kernel filesystems, whatever their path", "[rules][mounts]")
{
	FakeHost h = engineHost();
	h.file("/srv/p", 8, 700, S_IFDIR | 0555);
	h.mount("/srv/p", "proc");
	h.file("/srv/s", 8, 701, S_IFDIR | 0555);
	h.mount("/srv/s", "sysfs");
	h.file("/srv/hide", 8, 702, S_IFDIR | 0755);
	h.mounts["/srv/hide"] = HostMount{"/srv/hide", "ext4", "/dev/vdb", "private", "debugfs"};
	h.file("/srv/huge", 8, 703, S_IFDIR | 0755);
	h.mount("/srv/huge", "hugetlbfs");
	h.file("/srv/link", 8, 704, S_IFDIR | 0755);
	h.link("/srv/link", "/srv/p");
	for (const char *src : {"/srv/p", "/srv/s", "/srv/hide", "/srv/link"}) {
		INFO(src);
		auto r = run("P10.sensitive-mount", bindOf(src), h);
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(mentions(r, "filesystem"));
	}
	auto layer = run("P10.sensitive-mount", overlayWith(R"(["lowerdir=/srv/data:/srv/s"])"), h);
	CHECK(count(layer, Action::Deny) == 1);
	/* hugetlbfs holds files like a disk (Kubernetes' hugepages emptyDir). */
	CHECK(run("P10.sensitive-mount", bindOf("/srv/huge"), h).findings.empty());
	CHECK(run("P10.sensitive-mount", bindOf("/srv/data"), h).findings.empty());
	/* The list is a parameter. */
	CHECK(run("P10.sensitive-mount", bindOf("/srv/huge"), h, call("c"),
	          J(R"({"sourceFilesystems":["hugetlbfs"]})"))
	              .findings.size() == 1);
	/* A mount table that cannot be read refuses what exists. */
	FakeHost blind = engineHost();
	blind.mounts.clear();
	auto r = run("P10.sensitive-mount", bindOf("/srv/data"), blind);
	CHECK(count(r, Action::Deny) == 1);
	CHECK(mentions(r, "cannot identify"));
}

TEST_CASE("proc and sysfs only at /proc and /sys, kernel filesystems nowhere else",
          "[rules][mounts]")
{
	FakeHost h = engineHost();
	for (const char *m : {
	             R"({"destination":"/mnt/proc","type":"proc","source":"proc"})",
	             R"({"destination":"/host-sys","type":"sysfs","source":"sysfs"})",
	             R"({"destination":"proc2","type":"proc","source":"proc"})",
	             R"({"destination":"/srv/rootfs/proc","type":"proc","source":"proc"})",
	             R"({"destination":"/mnt/debug","type":"debugfs","source":"debugfs"})",
	             R"({"destination":"/dev","type":"devtmpfs","source":"devtmpfs"})",
	             R"({"destination":"/mnt/cg","type":"cgroup2","source":"cgroup"})",
	     }) {
		INFO(m);
		auto r = run("P10.proc-sys-mounts", spec(std::string("[") + m + "]"), h);
		CHECK(count(r, Action::Deny) == 1);
	}
	for (const char *m : {
	             R"({"destination":"/proc","type":"proc","source":"proc"})",
	             R"({"destination":"/proc/","type":"proc","source":"proc"})",
	             R"({"destination":"/sys","type":"sysfs","source":"sysfs"})",
	             R"({"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup"})",
	             R"({"destination":"/dev/pts","type":"devpts","source":"devpts"})",
	             R"({"destination":"/mnt","type":"proc","source":"/srv/data","options":["rbind"]})",
	     }) {
		INFO(m);
		CHECK(run("P10.proc-sys-mounts", spec(std::string("[") + m + "]"), h)
		              .findings.empty());
	}
}

TEST_CASE("ID-mapped mounts never hand host root's IDs to the container", "[rules][mounts]")
{
	FakeHost h = engineHost();
	auto mapped = [](const std::string &extra) {
		return spec(R"([{"destination":"/data","type":"bind","source":"/srv/data",)"
		            R"("options":["rbind","nosuid","nodev")" +
		            extra + "}]");
	};
	for (const char *m : {
	             R"(],"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}])",
	             R"(],"gidMappings":[{"containerID":5,"hostID":0,"size":1}])",
	             R"(],"uidMappings":[{"containerID":1000,"hostID":101000,"size":10},)"
	             R"({"containerID":0,"hostID":200000,"size":1}])",
	             R"(,"idmap"])",
	             R"(,"ridmap"])",
	             R"(,"idmap=uids=0-100000-65536;gids=0-100000-65536"])",
	     }) {
		INFO(m);
		auto r = run("P10.idmapped-mounts", mapped(m), h);
		INFO(dump(r));
		CHECK(count(r, Action::Deny) >= 1);
	}
	auto fine = mapped(R"(],"uidMappings":[{"containerID":1000,"hostID":101000,"size":1000}],)"
	                   R"("gidMappings":[{"containerID":1000,"hostID":101000,"size":1000}])");
	CHECK(run("P10.idmapped-mounts", fine, h).findings.empty());
	/* idmap without mappings of its own and without the container's. */
	auto none = J(R"({"mounts":[{"destination":"/d","type":"bind","source":"/srv/data",)"
	              R"("options":["rbind","idmap"]}]})");
	CHECK(count(run("P10.idmapped-mounts", none, h), Action::Deny) == 1);
	/* Malformed mappings are refused, not skipped. */
	auto bad = mapped(R"(],"uidMappings":[{"containerID":0,"hostID":"0","size":1}])");
	CHECK(count(run("P10.idmapped-mounts", bad, h), Action::Deny) == 1);
}

TEST_CASE("bind-options follows runc's recursive attributes", "[rules][mounts]")
{
	FakeHost h = engineHost();
	auto doc = spec(R"([{"destination":"/data","type":"bind","source":"/srv/data",)"
	                R"("options":["rbind","rsuid","nosuid","nodev","rdev"]}])");
	auto r = run("P10.bind-options", doc, h);
	INFO(dump(r));
	REQUIRE(count(r, Action::Mutate) == 1);
	CHECK(json::write(*json::get(r.doc, json::Pointer::parse("/mounts/0/options"))) ==
	      R"(["rbind","nosuid","nodev"])");
	auto again = run("P10.bind-options", r.doc, h);
	CHECK(again.findings.empty());
	/* rnosuid and rnodev alone are enough. */
	auto rec = spec(R"([{"destination":"/data","type":"bind","source":"/srv/data",)"
	                R"("options":["rbind","rnosuid","rnodev"]}])");
	CHECK(run("P10.bind-options", rec, h).findings.empty());
}

TEST_CASE("the rootfs is no host system tree", "[rules][rootfs]")
{
	FakeHost h = engineHost();
	h.file("/srv/etc-alias", 8, h.files.at("/etc").id.ino, S_IFDIR | 0755); /* bind of /etc */
	h.file("/srv/hostroot", 8, h.files.at("/").id.ino, S_IFDIR | 0755);     /* bind of / */
	h.link("/srv/slash", "/");
	h.link("/srv/rootfs-link", "/usr");
	for (const char *p :
	     {"/", "../../..", "/etc", "/usr/lib", "/var/lib", "/var", "/run", "/var/lib/docker",
	      "/var/lib/docker/volumes/v/_data", "/var/lib/docker/overlay2/x/diff",
	      "/var/lib/docker/overlay2/../..", "/proc/1/root", "/srv/etc-alias", "/srv/hostroot",
	      "/srv/slash", "/srv/rootfs-link", "/run/containerd/io.containerd.runtime.v2.task",
	      "/var/lib/containers/storage/overlay-containers/x/userdata"}) {
		INFO(p);
		auto r = run("P10.rootfs", spec("[]", std::string(R"({"path":")") + p + "\"}"), h,
		             call("c", "/bundles/b"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
	}
	for (const char *p :
	     {"/srv/rootfs", "rootfs", "/home/u/rootfs", "/var/lib/docker/overlay2/abc/merged",
	      "/var/lib/docker/1000.1000/overlay2/abc/merged",
	      "/var/lib/containers/storage/overlay/abc/merged",
	      "/run/containerd/io.containerd.runtime.v1.linux/k8s.io/abc/rootfs"}) {
		INFO(p);
		auto r = run("P10.rootfs", spec("[]", std::string(R"({"path":")") + p + "\"}"), h,
		             call("c", "/bundles/b"));
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
	/* A relative root.path with no bundle cannot be placed. */
	CHECK(count(run("P10.rootfs", spec("[]", R"({"path":"rootfs"})"), h, call("c", "")),
	            Action::Deny) == 1);
}

TEST_CASE("runc is given the rootfs path that was judged", "[rules][rootfs]")
{
	FakeHost h = engineHost();
	h.file("/srv/real", 8, 800, S_IFDIR | 0755);
	h.link("/srv/link", "/srv/real");
	auto doc = spec("[]", R"({"path":"/srv/link","readonly":true})");
	auto r = run("P10.rootfs", doc, h);
	INFO(dump(r));
	REQUIRE(count(r, Action::Mutate) == 1);
	CHECK(r.doc.find("root")->find("path")->asString() == "/srv/real");
	CHECK(r.doc.find("root")->find("readonly")->asBool());
	CHECK(run("P10.rootfs", r.doc, h).findings.empty());
	/* Under deny the spec is refused and left as it was. */
	auto d = run("P10.rootfs", doc, h, call("c"), Value::object(), Action::Deny);
	CHECK(count(d, Action::Deny) == 1);
	CHECK(d.doc == doc);
	/* Docker with its data-root behind a link: rewritten, still allowed. */
	FakeHost moved = engineHost();
	moved.file("/data/docker/overlay2/abc/merged", 9, 5, S_IFDIR | 0755);
	moved.link("/var/lib/docker/overlay2/abc/merged", "/data/docker/overlay2/abc/merged");
	moved.link("/var/lib/docker", "/data/docker");
	moved.file("/data/docker", 9, 4, S_IFDIR | 0710);
	auto m = run("P10.rootfs", spec("[]", R"({"path":"/var/lib/docker/overlay2/abc/merged"})"),
	             moved);
	INFO(dump(m));
	CHECK(count(m, Action::Deny) == 0);
	CHECK(count(m, Action::Mutate) == 1);
}

TEST_CASE("a device path names a device node under /dev, the one declared", "[rules][P11]")
{
	FakeHost h = engineHost();
	h.link("/dev/shadow-link", "/etc/shadow");
	h.file("/dev/shadow-link", 8, 12, S_IFREG | 0640);
	h.link("/dev/stdin", "/proc/self/fd/0");
	h.file("/dev/stdin", 5, 78, S_IFLNK | 0777);
	h.file("/proc/self/fd/0", 30, 3, S_IFCHR | 0620);
	h.file("/dev/myfifo", 5, 77, S_IFIFO | 0600);
	auto dev = [](const std::string &path, const std::string &type = "c", int major = 1,
	              int minor = 3) {
		return J(R"({"linux":{"devices":[{"path":")" + path + R"(","type":")" + type +
		         R"(","major":)" + std::to_string(major) + R"(,"minor":)" +
		         std::to_string(minor) + "}]}}");
	};
	for (const auto &d :
	     {dev("/etc/shadow"), dev("/dev/../etc/shadow"), dev("/dev//null"), dev("dev/null"),
	      dev("/dev/shm/leak"), dev("/dev/pts/0"), dev("/dev/mqueue/q"), dev("/dev"),
	      dev("/dev/null/"), dev("/dev/shadow-link"), dev("/dev/stdin"),
	      dev("/dev/null", "c", 1, 5), dev("/dev/null", "b", 1, 3), dev("/dev/sda", "c", 8, 0),
	      dev("/etc/shadow", "p", 0, 0), dev("/dev/myfifo", "p", 0, 0)}) {
		INFO(json::write(d));
		auto r = run("P11.devices", d, h);
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(mentions(r, "device path"));
	}
	for (const auto &d : {dev("/dev/null"), dev("/dev/zero", "c", 1, 5), dev("/dev/newnode"),
	                      dev("/dev/null", "u", 1, 3), dev("/dev/newfifo", "p", 0, 0)}) {
		INFO(json::write(d));
		CHECK(run("P11.devices", d, h).findings.empty());
	}
	/* A matching host node is still only the standard set. */
	auto sda = run("P11.devices", dev("/dev/sda", "b", 8, 0), h);
	CHECK(count(sda, Action::Deny) == 1);
	CHECK(mentions(sda, "beyond the standard set"));
}
