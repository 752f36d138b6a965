/* engine::derive: each engine's facts come only from its own keys, on a call
 * whose bundle is where that engine puts it, and a pod is proven only against
 * the engine's root-owned record of its sandbox. Every way a spec or a record
 * can claim what it is not proves nothing. */
#include "../../src/rules/paths_util.h"
#include "fake_host.h"
#include "fixtures.h"

#include <algorithm>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/engine.h"
#include "bulkhead/json.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using engine::Kind;
using json::Value;
using test::FakeHost;

namespace {

const std::string kCid = "c0ffee0000000000000000000000000000000000000000000000000000000001";
const std::string kSid = "5a4d000000000000000000000000000000000000000000000000000000000002";
const std::string kUid = "1b2c3d4e-aaaa-bbbb-cccc-0123456789ab";
const std::string kOther = "ffffffff-aaaa-bbbb-cccc-0123456789ab";
const std::string kCriRoot = "/run/containerd/runc/k8s.io";
const std::string kTask = "/run/containerd/io.containerd.runtime.v2.task/";

Value J(std::string_view text)
{
	return json::parse(text, "test");
}

Value withAnnotations(const std::vector<std::pair<std::string, std::string>> &kv)
{
	Value spec = J(R"({"ociVersion":"1.0.2","process":{"args":["sh"]}})");
	Value a = Value::object();
	for (const auto &[k, v] : kv)
		a.set(k, Value::string(v));
	spec.set("annotations", std::move(a));
	return spec;
}

/* What containerd's CRI writes for a container of pod default/web. */
Value criContainer(const std::string &uid = kUid, const std::string &sid = kSid)
{
	return withAnnotations({{"io.kubernetes.cri.container-type", "container"},
	                        {"io.kubernetes.cri.sandbox-id", sid},
	                        {"io.kubernetes.cri.sandbox-namespace", "default"},
	                        {"io.kubernetes.cri.sandbox-uid", uid},
	                        {"io.kubernetes.cri.sandbox-name", "web"},
	                        {"io.kubernetes.cri.container-name", "app"},
	                        {"io.kubernetes.cri.image-name", "docker.io/library/nginx:1.25"}});
}

/* runc's state.json of a running sandbox, its annotations recorded as labels. */
std::string runcState(const std::string &sid, const std::string &uid, int pid, uint64_t start,
                      const std::string &bundle, const std::string &extraLabel = "")
{
	std::string labels = "\"io.kubernetes.cri.container-type=sandbox\","
	                     "\"io.kubernetes.cri.sandbox-id=" +
	                     sid +
	                     "\","
	                     "\"io.kubernetes.cri.sandbox-namespace=default\","
	                     "\"io.kubernetes.cri.sandbox-uid=" +
	                     uid +
	                     "\","
	                     "\"io.kubernetes.cri.sandbox-name=web\"," +
	                     extraLabel + "\"bundle=" + bundle + "\"";
	return "{\"id\":\"" + sid + "\",\"init_process_pid\":" + std::to_string(pid) +
	       ",\"init_process_start\":" + std::to_string(start) +
	       ",\"created\":\"2026-01-01T00:00:00Z\",\"config\":{\"labels\":[" + labels +
	       "]},\"rootless\":false}";
}

FakeHost criHost(const std::string &uid = kUid)
{
	FakeHost h = test::typicalHost();
	h.rootText(kCriRoot + "/" + kSid + "/state.json",
	           runcState(kSid, uid, 4242, 987654, kTask + "k8s.io/" + kSid));
	h.startTimes[4242] = 987654;
	return h;
}

engine::Call criCall(const std::string &id = kCid)
{
	return engine::Call{Kind::ContainerdCri, id, kTask + "k8s.io/" + id, kCriRoot};
}

/* What CRI-O writes for a container, and its sandbox's kept spec. */
Value crioSpec(const std::string &type, const std::string &cid, const std::string &sid,
               const std::string &uid = kUid)
{
	return withAnnotations({{"io.kubernetes.cri-o.ContainerID", cid},
	                        {"io.kubernetes.cri-o.ContainerType", type},
	                        {"io.kubernetes.cri-o.SandboxID", sid},
	                        {"io.kubernetes.cri-o.ImageName", "quay.io/app:1"},
	                        {"io.kubernetes.pod.uid", uid},
	                        {"io.kubernetes.pod.namespace", "default"},
	                        {"io.kubernetes.pod.name", "web"},
	                        {"io.kubernetes.container.name", "app"}});
}

const std::string kCrioRun = "/run/containers/storage/overlay-containers/";

FakeHost crioHost(const std::string &uid = kUid)
{
	FakeHost h = test::typicalHost();
	h.rootText(kCrioRun + kSid + "/userdata/config.json",
	           json::write(crioSpec("sandbox", kSid, kSid, uid)));
	return h;
}

engine::Call crioCall(const std::string &id = kCid, const std::string &root = kCrioRun)
{
	return engine::Call{Kind::Crio, id, root + id + "/userdata", "/run/runc"};
}

} // namespace

TEST_CASE("engine names: the five engines and nothing else", "[engine]")
{
	for (Kind k :
	     {Kind::Docker, Kind::Containerd, Kind::ContainerdCri, Kind::Crio, Kind::Podman}) {
		INFO(engine::kindName(k));
		CHECK(engine::kindFromName(engine::kindName(k)) == k);
	}
	for (const char *bad : {"", "Docker", "cri-o", "containerd_cri", "docker ", "unknown"})
		CHECK_FALSE(engine::kindFromName(bad));
	CHECK(std::string(engine::kindName(Kind::Unknown)).empty());
	CHECK(std::string(engine::subordinateUser(Kind::Docker)) == "dockremap");
	CHECK(std::string(engine::subordinateUser(Kind::Podman)) == "containers");
	CHECK(std::string(engine::subordinateUser(Kind::ContainerdCri)) == "kubelet");
	CHECK(engine::subordinateUser(Kind::Containerd) == nullptr);
	CHECK(engine::subordinateUser(Kind::Unknown) == nullptr);
}

TEST_CASE("an unknown engine proves no pod, whatever the spec says", "[engine]")
{
	FakeHost h = criHost();
	auto f = engine::derive(
	        criContainer(),
	        engine::Call{Kind::Unknown, kCid, kTask + "k8s.io/" + kCid, kCriRoot}, h);
	CHECK(f.engine == Kind::Unknown);
	CHECK(f.containerId == kCid);
	CHECK(f.podUid.empty());
	CHECK(f.sandboxId.empty());
	CHECK(f.k8sNamespace.empty());
	CHECK(f.image.empty());
	CHECK_THAT(f.unproven, Catch::Contains("engine is unknown"));
	/* The command line's ID is kept only when it is one path component. */
	for (const char *bad : {"x/../..", "..", "a/b", "-x", ""})
		CHECK(engine::derive(criContainer(), engine::Call{Kind::Unknown, bad, "", ""}, h)
		              .containerId.empty());
	/* No pod claimed, nothing to explain. */
	CHECK(engine::derive(J("{}"), engine::Call{Kind::Unknown, kCid, "", ""}, h)
	              .unproven.empty());
}

TEST_CASE("containerd CRI: a container's pod is proven by its running sandbox", "[engine]")
{
	FakeHost h = criHost();
	auto f = engine::derive(criContainer(), criCall(), h);
	INFO(f.unproven);
	CHECK(f.engine == Kind::ContainerdCri);
	CHECK(f.containerId == kCid);
	CHECK_FALSE(f.sandbox);
	CHECK(f.sandboxId == kSid);
	CHECK(f.podUid == kUid);
	CHECK(f.k8sNamespace == "default");
	CHECK(f.k8sPod == "web");
	CHECK(f.k8sContainer == "app");
	CHECK(f.image == "docker.io/library/nginx:1.25");
	CHECK(f.unproven.empty());
	/* /var/run is /run. */
	engine::Call vr = criCall();
	vr.bundle = "/var/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + kCid;
	CHECK(engine::derive(criContainer(), vr, h).podUid == kUid);
}

TEST_CASE("containerd CRI: every claim the sandbox does not back proves nothing", "[engine]")
{
	auto unproven = [](const Value &spec, const FakeHost &h, const engine::Call &c) {
		auto f = engine::derive(spec, c, h);
		CHECK(f.podUid.empty());
		CHECK(f.sandboxId.empty());
		CHECK(f.k8sNamespace.empty());
		CHECK(f.image.empty());
		CHECK_FALSE(f.unproven.empty());
		return f.unproven;
	};
	SECTION("another pod's UID")
	{
		CHECK_THAT(unproven(criContainer(kOther), criHost(), criCall()),
		           Catch::Contains("sandbox-uid=" + kOther));
	}
	SECTION("another namespace or pod name than the sandbox's")
	{
		Value s = criContainer();
		s.find("annotations")
		        ->set("io.kubernetes.cri.sandbox-namespace", Value::string("kube-system"));
		unproven(s, criHost(), criCall());
		s = criContainer();
		s.find("annotations")->set("io.kubernetes.cri.sandbox-name", Value::string("x"));
		unproven(s, criHost(), criCall());
	}
	SECTION("a sandbox that is not running")
	{
		FakeHost h = criHost();
		h.startTimes[4242] = 111; /* the PID was reused */
		CHECK_THAT(unproven(criContainer(), h, criCall()), Catch::Contains("not running"));
		h.startTimes.clear();
		unproven(criContainer(), h, criCall());
	}
	SECTION("no sandbox record, or one bulkhead cannot trust")
	{
		FakeHost none = test::typicalHost();
		CHECK_THAT(unproven(criContainer(), none, criCall()),
		           Catch::Contains("there is no"));
		FakeHost untrusted = criHost();
		untrusted.rootFiles.clear(); /* exists, but not root-owned */
		CHECK_THAT(unproven(criContainer(), untrusted, criCall()),
		           Catch::Contains("not a root-owned file"));
		FakeHost garbage = criHost();
		garbage.rootFiles.begin()->second = "{not json";
		unproven(criContainer(), garbage, criCall());
		FakeHost other = criHost();
		other.rootFiles.begin()->second =
		        runcState("someone-else", kUid, 4242, 987654, kTask + "k8s.io/" + kSid);
		unproven(criContainer(), other, criCall());
	}
	SECTION("a record whose labels are ambiguous or not containerd CRI's")
	{
		FakeHost dup = criHost();
		dup.rootFiles.begin()->second =
		        runcState(kSid, kUid, 4242, 987654, kTask + "k8s.io/" + kSid,
		                  "\"io.kubernetes.cri.sandbox-uid=" + kOther + "\",");
		unproven(criContainer(), dup, criCall());
		FakeHost moby = criHost();
		moby.rootFiles.begin()->second =
		        runcState(kSid, kUid, 4242, 987654, kTask + "moby/" + kSid);
		CHECK_THAT(unproven(criContainer(), moby, criCall()),
		           Catch::Contains("not started by containerd's CRI"));
	}
	SECTION("the state under another runtime root")
	{
		engine::Call c = criCall();
		c.runtimeRoot = "";
		unproven(criContainer(), criHost(), c);
		c.runtimeRoot = "relative/root";
		unproven(criContainer(), criHost(), c);
	}
	SECTION("keys containerd does not write")
	{
		/* io.kubernetes.pod.uid reaches a containerd spec only through pod
		 * annotations the runtime handler passes through. */
		Value s = withAnnotations({{"io.kubernetes.pod.uid", kUid},
		                           {"io.kubernetes.cri-o.SandboxID", kSid},
		                           {"io.kubernetes.cri-o.Labels",
		                            "{\"io.kubernetes.pod.uid\":\"" + kUid + "\"}"}});
		unproven(s, criHost(), criCall());
		Value noType = criContainer();
		noType.find("annotations")->erase("io.kubernetes.cri.container-type");
		unproven(noType, criHost(), criCall());
	}
	SECTION("a bundle that is not containerd CRI's")
	{
		engine::Call c = criCall();
		c.bundle = kTask + "default/" + kCid;
		CHECK(engine::derive(criContainer(), c, criHost()).engine == Kind::Unknown);
		unproven(criContainer(), criHost(), c);
		c.bundle = kTask + "k8s.io/" + kSid; /* the ID is not this container's */
		unproven(criContainer(), criHost(), c);
		c.bundle = "/tmp/b";
		unproven(criContainer(), criHost(), c);
		c = criCall();
		c.bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/../k8s.io/x/../" +
		           kCid;
		CHECK(engine::derive(criContainer(), c, criHost()).podUid == kUid);
	}
	SECTION("a container that names itself as its sandbox")
	{
		unproven(criContainer(kUid, kCid), criHost(), criCall());
	}
}

TEST_CASE("containerd CRI: a sandbox is its own, its pod UID unproven", "[engine]")
{
	Value s = withAnnotations({{"io.kubernetes.cri.container-type", "sandbox"},
	                           {"io.kubernetes.cri.sandbox-id", kSid},
	                           {"io.kubernetes.cri.sandbox-namespace", "default"},
	                           {"io.kubernetes.cri.sandbox-uid", kUid},
	                           {"io.kubernetes.cri.sandbox-name", "web"}});
	auto f = engine::derive(s, criCall(kSid), test::typicalHost());
	CHECK(f.sandbox);
	CHECK(f.sandboxId == kSid);
	CHECK(f.podUid.empty());
	CHECK(f.k8sNamespace == "default");
	CHECK(f.k8sPod == "web");
	CHECK_FALSE(f.unproven.empty());
	/* A sandbox naming another sandbox ID is no sandbox. */
	auto g = engine::derive(s, criCall(kCid), test::typicalHost());
	CHECK_FALSE(g.sandbox);
	CHECK(g.sandboxId.empty());
}

TEST_CASE("CRI-O: a container's pod is proven by its sandbox's kept spec", "[engine]")
{
	auto f = engine::derive(crioSpec("container", kCid, kSid), crioCall(), crioHost());
	INFO(f.unproven);
	CHECK(f.engine == Kind::Crio);
	CHECK(f.sandboxId == kSid);
	CHECK(f.podUid == kUid);
	CHECK(f.k8sNamespace == "default");
	CHECK(f.k8sPod == "web");
	CHECK(f.k8sContainer == "app");
	CHECK(f.image == "quay.io/app:1");
	/* The run root as /var/run: the record is looked up there. */
	FakeHost vr = test::typicalHost();
	vr.rootText("/var/run/containers/storage/overlay-containers/" + kSid +
	                    "/userdata/config.json",
	            json::write(crioSpec("sandbox", kSid, kSid)));
	CHECK(engine::derive(crioSpec("container", kCid, kSid),
	                     crioCall(kCid, "/var/run/containers/storage/overlay-containers/"), vr)
	              .podUid == kUid);

	SECTION("another pod's UID, a missing record, a record of another pod")
	{
		CHECK(engine::derive(crioSpec("container", kCid, kSid, kOther), crioCall(),
		                     crioHost())
		              .podUid.empty());
		CHECK(engine::derive(crioSpec("container", kCid, kSid), crioCall(),
		                     test::typicalHost())
		              .podUid.empty());
		CHECK(engine::derive(crioSpec("container", kCid, kSid), crioCall(),
		                     crioHost(kOther))
		              .podUid.empty());
		FakeHost notSandbox = test::typicalHost();
		notSandbox.rootText(kCrioRun + kSid + "/userdata/config.json",
		                    json::write(crioSpec("container", kSid, kSid)));
		CHECK(engine::derive(crioSpec("container", kCid, kSid), crioCall(), notSandbox)
		              .podUid.empty());
	}
	SECTION("a spec whose ContainerID is not this container's")
	{
		auto g = engine::derive(crioSpec("container", kSid, kSid), crioCall(), crioHost());
		CHECK(g.podUid.empty());
		CHECK_THAT(g.unproven, Catch::Contains("ContainerID"));
	}
	SECTION("containerd's keys on CRI-O, where a pod's annotations reach the spec")
	{
		auto g = engine::derive(criContainer(), crioCall(), criHost());
		CHECK(g.podUid.empty());
		CHECK(g.sandboxId.empty());
	}
	SECTION("an infra container: itself, no proven pod UID")
	{
		auto g =
		        engine::derive(crioSpec("sandbox", kSid, kSid), crioCall(kSid), crioHost());
		CHECK(g.sandbox);
		CHECK(g.sandboxId == kSid);
		CHECK(g.podUid.empty());
		/* CRI-O 1.26 lets a pod's annotations rewrite an infra spec's
		 * keys: one claiming to be a container of another pod must show
		 * that pod's UID, which the kubelet's label (added last) is not. */
		Value infra = crioSpec("container", kCid, kSid, kOther);
		CHECK(engine::derive(infra, crioCall(), crioHost()).podUid.empty());
	}
	SECTION("a bundle outside CRI-O's layout")
	{
		for (const char *b : {"/run/containers/storage/overlay-containers/x/userdata",
		                      "/srv/storage/overlay-containers/ID/userdata",
		                      "/run/containers/storage/overlay-containers/ID",
		                      "/run/containers/storage/x/overlay-containers/ID/userdata"}) {
			std::string bundle = b;
			if (auto at = bundle.find("ID"); at != std::string::npos)
				bundle.replace(at, 2, kCid);
			INFO(bundle);
			auto g = engine::derive(crioSpec("container", kCid, kSid),
			                        engine::Call{Kind::Crio, kCid, bundle, ""},
			                        crioHost());
			CHECK(g.engine == Kind::Unknown);
			CHECK(g.podUid.empty());
		}
	}
}

TEST_CASE("Docker, containerd and Podman: the container ID, no pod", "[engine]")
{
	Value pod = criContainer();
	const std::string id = kCid;
	struct Case
	{
		Kind kind;
		std::string bundle;
		bool layout;
	} cases[] = {
	        {Kind::Docker, kTask + "moby/" + id, true},
	        {Kind::Docker,
	         "/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" + id,
	         true},
	        {Kind::Docker, "/run/containerd/io.containerd.runtime.v1.linux/moby/" + id, true},
	        {Kind::Docker, kTask + "k8s.io/" + id, false},
	        {Kind::Docker, "/var/lib/docker/containers/" + id, false},
	        {Kind::Containerd, kTask + "default/" + id, true},
	        {Kind::Containerd, kTask + "default/other", false},
	        {Kind::Podman, "/var/lib/containers/storage/overlay-containers/" + id + "/userdata",
	         true},
	        {Kind::Podman, "/tmp/storage/overlay-containers/" + id + "/userdata", false},
	};
	for (const auto &c : cases) {
		INFO(engine::kindName(c.kind) << " " << c.bundle);
		auto f = engine::derive(pod, engine::Call{c.kind, id, c.bundle, kCriRoot},
		                        criHost());
		CHECK((f.engine == c.kind) == c.layout);
		CHECK(f.containerId == id);
		CHECK(f.podUid.empty());
		CHECK(f.sandboxId.empty());
		CHECK(f.k8sNamespace.empty());
		CHECK_FALSE(f.unproven.empty());
	}
}

TEST_CASE("Docker: the image from dockerd's record of this container", "[engine]")
{
	const std::string data = "/srv/docker/100000.100000/containers/" + kCid;
	Value spec = J(R"({"ociVersion":"1.0.2","mounts":[{"destination":"/proc","type":"proc",
		"source":"proc"}]})");
	auto bind = [](const std::string &dest, const std::string &src) {
		Value m = Value::object();
		m.set("destination", Value::string(dest));
		m.set("type", Value::string("bind"));
		m.set("source", Value::string(src));
		return m;
	};
	spec.find("mounts")->push(bind("/etc/hostname", data + "/hostname"));
	const std::string record =
	        R"({"ID":")" + kCid + R"(","Image":"sha256:27df","Config":{"Image":"nginx:1.25"}})";
	FakeHost h;
	h.rootText(data + "/config.v2.json", record);
	/* Any data root and exec root: the record proves it. */
	const std::string bundle =
	        "/tmp/exec/containerd/daemon/io.containerd.runtime.v2.task/ns/" + kCid;
	auto f = engine::derive(spec, engine::Call{Kind::Docker, kCid, bundle, ""}, h);
	CHECK(f.image == "nginx:1.25");
	CHECK(f.engine == Kind::Unknown); /* the layout proves nothing else here */

	/* Another engine, another container's record, a record that is not
	 * root's, a source that is not dockerd's file: no image. */
	CHECK(engine::derive(spec, engine::Call{Kind::Containerd, kCid, bundle, ""}, h)
	              .image.empty());
	CHECK(engine::derive(spec, engine::Call{Kind::Docker, kSid, bundle, ""}, h).image.empty());
	FakeHost other;
	other.rootText(data + "/config.v2.json",
	               R"({"ID":")" + kSid + R"(","Config":{"Image":"nginx:1.25"}})");
	CHECK(engine::derive(spec, engine::Call{Kind::Docker, kCid, bundle, ""}, other)
	              .image.empty());
	FakeHost untrusted;
	untrusted.file(data + "/config.v2.json", 8, 9, S_IFREG | 0644, 1000);
	CHECK(engine::derive(spec, engine::Call{Kind::Docker, kCid, bundle, ""}, untrusted)
	              .image.empty());
	Value moved = spec;
	moved.find("mounts")->items().back() = bind("/etc/hostname", data + "/hosts");
	CHECK(engine::derive(moved, engine::Call{Kind::Docker, kCid, bundle, ""}, h).image.empty());
}

TEST_CASE("engine::derive never throws for a bad spec", "[engine]")
{
	for (const char *s : {"null", "[]", "{\"annotations\":[]}",
	                      "{\"annotations\":{\"io.kubernetes.cri.container-type\":5}}",
	                      "{\"annotations\":{\"io.kubernetes.cri.container-type\":"
	                      "\"container\",\"io.kubernetes.cri.sandbox-id\":\"../x\"}}"}) {
		INFO(s);
		engine::Facts f;
		REQUIRE_NOTHROW(f = engine::derive(J(s), criCall(), criHost()));
		CHECK(f.podUid.empty());
	}
}

TEST_CASE("RealHost reads only root-owned files and live processes", "[engine][host]")
{
	RealHost host;
	auto passwd = host.rootFile("/etc/passwd", 1 << 20);
	REQUIRE(passwd);
	CHECK(passwd->find("root:") != std::string::npos);
	CHECK_FALSE(host.rootFile("/etc/passwd", 3));    /* larger than the bound */
	CHECK_FALSE(host.rootFile("/nonexistent", 100)); /* absent */
	CHECK_FALSE(host.rootFile("relative", 100));
	CHECK_FALSE(host.rootFile("/etc", 100)); /* not a regular file */
	if (::geteuid() == 0) {
		test::TempDir dir;
		const std::string f = dir.write("f", "x\n");
		CHECK(host.rootFile(f, 100) == std::string("x\n"));
		REQUIRE(::chmod(f.c_str(), 0664) == 0); /* group-writable */
		CHECK_FALSE(host.rootFile(f, 100));
		REQUIRE(::chmod(f.c_str(), 0644) == 0);
		REQUIRE(::chown(f.c_str(), 1, 1) == 0); /* not root's */
		CHECK_FALSE(host.rootFile(f, 100));
		const std::string fifo = dir.path + "/fifo";
		REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
		CHECK_FALSE(host.rootFile(fifo, 100)); /* and it does not block */
	}
	{
		/* listDir: sorted names, no . and .., bounded, no link followed;
		 * 600 names take several getdents64 calls into its 8 KB buffer */
		test::TempDir dir;
		for (int i = 599; i >= 0; i--)
			dir.write("entry-with-a-longer-name-" + std::to_string(1000 + i), "");
		auto names = host.listDir(dir.path, 1000);
		REQUIRE(names);
		REQUIRE(names->size() == 600);
		CHECK(names->front() == "entry-with-a-longer-name-1000");
		CHECK(names->back() == "entry-with-a-longer-name-1599");
		CHECK(std::is_sorted(names->begin(), names->end()));
		CHECK_FALSE(host.listDir(dir.path, 599)); /* over the bound */
		REQUIRE(::symlink(dir.path.c_str(), (dir.path + "/link").c_str()) == 0);
		CHECK_FALSE(host.listDir(dir.path + "/link", 1000)); /* a link is not followed */
		CHECK_FALSE(
		        host.listDir(dir.path + "/entry-with-a-longer-name-1000", 10)); /* a file */
		CHECK_FALSE(host.listDir(dir.path + "/absent", 10));
		CHECK(host.listDir(dir.path + "/", 1000)->size() == 601);
	}
	auto self = host.processStartTime(::getpid());
	REQUIRE(self);
	std::string stat = test::slurp("/proc/self/stat");
	CHECK(stat.find(" " + std::to_string(*self) + " ") != std::string::npos);
	CHECK_FALSE(host.processStartTime(0));
	CHECK_FALSE(host.processStartTime(-1));
	CHECK_FALSE(host.processStartTime(0x7ffffff0));
}

TEST_CASE("MemoHost reads each fact once and keeps at most kMaxFacts", "[engine][host]")
{
	FakeHost fake;
	fake.file("/etc", 1, 2, S_IFDIR | 0755)
	        .link("/lib", "/usr/lib")
	        .file("/usr/lib", 1, 3, S_IFDIR | 0755);
	MemoHost host(fake);
	/* the same answers as the host it reads */
	CHECK(host.stat("/etc")->id == FileId{1, 2});
	CHECK(host.realpath("/lib") == std::string("/usr/lib"));
	CHECK_FALSE(host.lstat("/lib")); /* lstat and stat are different facts */
	CHECK(host.stat("/lib")->id == FileId{1, 3});
	CHECK_FALSE(host.stat("/nonexistent"));
	CHECK(host.misses() == 5);
	CHECK(host.hits() == 0);
	/* asked again: from memory, even after the host changed (one view per call) */
	fake.files.erase("/etc");
	CHECK(host.stat("/etc")->id == FileId{1, 2});
	CHECK_FALSE(host.stat("/nonexistent"));
	CHECK(host.realpath("/lib") == std::string("/usr/lib"));
	CHECK(host.misses() == 5);
	CHECK(host.hits() == 3);
	/* a bound: past kMaxFacts the view starts again, and reads the host anew */
	for (size_t i = 0; i < MemoHost::kMaxFacts; i++)
		(void)host.lstat("/p" + std::to_string(i));
	CHECK_FALSE(host.stat("/etc"));
	CHECK(host.misses() == 5 + MemoHost::kMaxFacts + 1);
}

TEST_CASE("targets are inspected once per stable view of the host", "[engine][host]")
{
	using policy::paths::targets;
	FakeHost fake;
	fake.file("/run", 1, 2, S_IFDIR | 0755).file("/run/docker.sock", 1, 3, S_IFSOCK | 0660);
	const std::vector<std::string> list = {"/run/docker.sock", "/var/run/docker.sock"};
	/* the fake itself may change: nothing is kept */
	CHECK(fake.stableView() == 0);
	CHECK(targets(fake, list)[0].id == FileId{1, 3});
	fake.file("/run/docker.sock", 1, 4, S_IFSOCK | 0660);
	CHECK(targets(fake, list)[0].id == FileId{1, 4});

	MemoHost memo(fake);
	REQUIRE(memo.stableView() != 0);
	auto t = targets(memo, list);
	REQUIRE(t.size() == 2);
	CHECK(t[0].id == FileId{1, 4});
	CHECK(t[0].ancestorIds.size() == 1); /* /run ("/" is not in the fake) */
	const size_t misses = memo.misses();
	/* asked again under the same view: not inspected again */
	CHECK(targets(memo, list)[1].lexical == "/var/run/docker.sock");
	CHECK(memo.misses() == misses);
	/* another list is inspected on its own */
	CHECK(targets(memo, {"/run"})[0].id == FileId{1, 2});
	CHECK(memo.misses() > misses);

	/* another view of a changed host: its own answers, not the memo's */
	fake.file("/run/docker.sock", 1, 5, S_IFSOCK | 0660);
	MemoHost other(fake);
	CHECK(other.stableView() != memo.stableView());
	CHECK(targets(other, list)[0].id == FileId{1, 5});
	/* and a view that starts again empty is a new view */
	const uint64_t before = other.stableView();
	for (size_t i = 0; i <= MemoHost::kMaxFacts; i++)
		(void)other.lstat("/p" + std::to_string(i));
	CHECK(other.stableView() != before);
	fake.file("/run/docker.sock", 1, 6, S_IFSOCK | 0660);
	CHECK(targets(other, list)[0].id == FileId{1, 6});
}

TEST_CASE("matchesTemplate: a path strictly below an engine's template", "[engine][paths]")
{
	using policy::paths::EngineIds;
	using policy::paths::matchesTemplate;
	const std::string t = "/var/lib/docker/containers/{id}/";
	const std::string id(64, 'a');
	EngineIds online;
	online.containerId = id;
	CHECK(matchesTemplate("/var/lib/docker/containers/" + id + "/hosts", t, online));
	CHECK(matchesTemplate("//var/lib//docker/containers/" + id + "/x/y", t, online));
	CHECK_FALSE(matchesTemplate("/var/lib/docker/containers/" + id, t, online));
	CHECK_FALSE(matchesTemplate("/var/lib/docker/containers/" + id + "/", t, online));
	CHECK_FALSE(matchesTemplate("/var/lib/docker/containers/" + std::string(64, 'b') + "/hosts",
	                            t, online));
	CHECK_FALSE(matchesTemplate("var/lib/docker/containers/" + id + "/hosts", t, online));
	CHECK_FALSE(matchesTemplate("/var/lib/docker/volumes/" + id + "/hosts", t, online));
	CHECK_FALSE(matchesTemplate("/var/lib", t, online));
	CHECK_FALSE(matchesTemplate("", t, online));
	/* offline, the first ID seen is the container's; another is not */
	EngineIds offline;
	CHECK(matchesTemplate("/var/lib/docker/containers/" + id + "/hosts", t, offline));
	CHECK(offline.offlineId == id);
	CHECK_FALSE(matchesTemplate("/var/lib/docker/containers/" + std::string(64, 'c') + "/hosts",
	                            t, offline));
	CHECK_FALSE(matchesTemplate("/var/lib/docker/containers/../hosts", t, EngineIds{}));
	/* a remapped root: /var/lib/docker/UID.GID/ */
	const std::string remap = "/var/lib/docker/{remap}/containers/{id}/";
	CHECK(matchesTemplate("/var/lib/docker/100000.100000/containers/" + id + "/hostname", remap,
	                      online));
	CHECK_FALSE(matchesTemplate("/var/lib/docker/containers/containers/" + id + "/hostname",
	                            remap, online));
	/* pod and sandbox parts match only the IDs the engine proved */
	const std::string pod = "/var/lib/kubelet/pods/{podUid}/volumes/";
	EngineIds k8s;
	CHECK_FALSE(matchesTemplate("/var/lib/kubelet/pods/u1/volumes/v", pod, k8s));
	k8s.podUid = "u1";
	CHECK(matchesTemplate("/var/lib/kubelet/pods/u1/volumes/v", pod, k8s));
	CHECK_FALSE(matchesTemplate("/var/lib/kubelet/pods/u2/volumes/v", pod, k8s));
}
