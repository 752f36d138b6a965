/* P6.cgroups-path and P6.unified with a fake host: the engines' real specs
 * pass; a cgroupsPath that escapes the engines' parents or names a cgroup that
 * already holds processes or cgroups, in any reading runc may give it, is
 * refused; unified keys outside the controller limit files are refused in
 * create and in update. */
#include "fake_host.h"
#include "rule_harness.h"

#include <string>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/rule.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using bulkhead::policy::Action;
using bulkhead::policy::Scope;
using bulkhead::test::dump;
using bulkhead::test::FakeHost;
using bulkhead::test::mentions;
using bulkhead::test::RuleResult;
using bulkhead::test::runRule;
using json::Value;
using Use = HostFacts::CgroupUse;

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

size_t denied(const RuleResult &r)
{
	size_t n = 0;
	for (const auto &f : r.findings)
		if (f.action == Action::Deny)
			n++;
	return n;
}

/* This machine's shape: cgroup v1 controllers, name=systemd and a hybrid v2
 * hierarchy; the caller sits in /user.slice/session-1.scope. */
FakeHost v1Host()
{
	FakeHost h = test::typicalHost();
	std::vector<HostFacts::CgroupMount> m;
	for (const char *c : {"memory", "pids", "devices", "freezer", "cpu,cpuacct", "systemd"})
		m.push_back({std::string("/sys/fs/cgroup/") + c, "/user.slice/session-1.scope",
		             "/init.scope", false});
	m.push_back({"/sys/fs/cgroup/unified", "/user.slice/session-1.scope", "/init.scope", true});
	h.cgroupHierarchies = m;
	return h;
}

/* A cgroup v2 host where the caller is containerd's shim, in
 * /system.slice/containerd.service. */
FakeHost v2Host()
{
	FakeHost h = test::typicalHost();
	h.cgroupHierarchies = std::vector<HostFacts::CgroupMount>{
	        {"/sys/fs/cgroup", "/system.slice/containerd.service", "/init.scope", true}};
	return h;
}

Value withPath(const std::string &p)
{
	return J(R"({"linux":{"cgroupsPath":")" + p + R"("}})");
}

RuleResult run(const Value &doc, const FakeHost &h, const std::string &id = "c1",
               const Value &params = Value::object())
{
	return runRule("P6.cgroups-path", doc, params, Action::Mutate, Scope::Spec, h,
	               policy::CallContext{id, "/bundles/" + id, "create"});
}

} // namespace

TEST_CASE("P6.cgroups-path accepts the engines' real specs", "[rules][P6][cgroups]")
{
	for (const char *f :
	     {"docker-20.10-default.json", "docker-20.10-hardened.json",
	      "docker-20.10-userns-remap.json", "docker-20.10-hostns-socket.json",
	      "containerd-1.6-ctr-default.json", "podman-4.3-default.json",
	      "podman-4.3-uidmap.json", "runc-spec-default.json", "runc-spec-rootless.json"}) {
		for (const FakeHost &h : {v1Host(), v2Host()}) {
			INFO(f);
			auto r = run(fixture(f), h);
			INFO(dump(r));
			CHECK(r.findings.empty());
			CHECK(json::write(r.doc) == json::write(fixture(f)));
		}
	}
	/* systemd drivers: Docker, Kubernetes (containerd, CRI-O), Podman. */
	for (const char *p : {"system.slice:docker:d4576fcf2e8a",
	                      "kubepods-burstable-pod0a1b.slice:cri-containerd:abc123",
	                      "kubepods-pod0a1b.slice:crio:abc123", "machine.slice:libpod:abc",
	                      "machine-libpod_pod_99.slice:libpod:abc"}) {
		INFO(p);
		auto r = run(withPath(p), v2Host());
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
	/* Kubernetes' cgroupfs form: the pod's cgroup exists (with its other
	 * containers below it), the container's own does not yet. */
	FakeHost h = v1Host();
	h.cgroupDirs["/sys/fs/cgroup/memory/kubepods/burstable/pod1"] = Use::Children;
	CHECK(run(withPath("/kubepods/burstable/pod1/abc"), h).findings.empty());
	/* A leftover empty leaf (a crash between create and delete) is fine. */
	h.cgroupDirs["/sys/fs/cgroup/memory/docker/abc"] = Use::Empty;
	CHECK(run(withPath("/docker/abc"), h).findings.empty());
}

TEST_CASE("P6.cgroups-path refuses paths outside the engines' parents", "[rules][P6][cgroups]")
{
	for (const char *p : {"/",
	                      "/docker",
	                      "/docker/",
	                      "/docker/../system.slice/x",
	                      "/docker/x/../../init.scope",
	                      "/system.slice/sshd.service",
	                      "/dockerx/abc",
	                      "//docker/../x",
	                      "relative",
	                      "user.slice/x",
	                      "../x",
	                      "a:b",
	                      "a:b:c:d",
	                      "system.slice:docker:../x",
	                      "system.slice:docker:user.slice",
	                      "system.slice:docker:",
	                      "system.slice::abc",
	                      "user.slice:docker:abc",
	                      "system.slice:sshd:abc",
	                      "system-.slice:docker:abc",
	                      "system.slice/x:docker:abc",
	                      "-.slice:docker:abc"}) {
		INFO(p);
		auto r = run(withPath(p), v1Host());
		INFO(dump(r));
		CHECK(denied(r) == 1);
		CHECK(r.findings.at(0).pointer == "/linux/cgroupsPath");
	}
	CHECK(denied(run(J(R"({"linux":{"cgroupsPath":5}})"), v1Host())) == 1);
	CHECK(denied(run(J(R"({"linux":{"cgroupsPath":"/docker/a\u0000b"}})"), v1Host())) == 1);
	/* runc's default is a parameter. */
	auto off = J(R"({"runcDefault":false})");
	CHECK(denied(run(fixture("runc-spec-default.json"), v1Host(), "c1", off)) == 1);
	CHECK(denied(run(withPath(""), v1Host(), "c1", off)) == 1);
	/* Other parents: a site's own. */
	auto site = J(R"({"parents":["/site/containers","*.slice:site:ctr-*"]})");
	CHECK(run(withPath("/site/containers/a"), v1Host(), "c1", site).findings.empty());
	CHECK(run(withPath("app.slice:site:ctr-1"), v2Host(), "c1", site).findings.empty());
	CHECK(denied(run(withPath("/docker/a"), v1Host(), "c1", site)) == 1);
	CHECK(denied(run(withPath("app.slice:site:x"), v2Host(), "c1", site)) == 1);
	for (const char *bad :
	     {R"({"parents":["relative"]})", R"({"parents":["/a/../b"]})", R"({"parents":["/"]})",
	      R"({"parents":["a:b"]})", R"({"parents":["a/b.slice:x:*"]})"}) {
		INFO(bad);
		CHECK_THROWS_AS(run(withPath("/docker/a"), v1Host(), "c1", J(bad)), Error);
	}
}

TEST_CASE("P6.cgroups-path refuses a cgroup that already holds processes or cgroups",
          "[rules][P6][cgroups]")
{
	SECTION("cgroupfs, v1: any hierarchy counts")
	{
		for (const char *dir :
		     {"/sys/fs/cgroup/memory/docker/abc", "/sys/fs/cgroup/freezer/docker/abc",
		      "/sys/fs/cgroup/systemd/docker/abc", "/sys/fs/cgroup/unified/docker/abc"}) {
			INFO(dir);
			FakeHost h = v1Host();
			h.cgroupDirs[dir] = Use::Processes;
			auto r = run(withPath("/docker/abc"), h);
			INFO(dump(r));
			CHECK(denied(r) == 1);
			CHECK(mentions(r, std::string("names cgroup ") + dir));
			CHECK(mentions(r, "already holds processes"));
		}
		FakeHost h = v1Host();
		h.cgroupDirs["/sys/fs/cgroup/pids/docker/abc"] = Use::Children;
		CHECK(mentions(run(withPath("/docker/abc"), h), "already holds other cgroups"));
		h.cgroupDirs["/sys/fs/cgroup/pids/docker/abc"] = Use::Unknown;
		CHECK(mentions(run(withPath("/docker/abc"), h), "cannot be inspected"));
		/* The pod's own cgroup, named as a container's. */
		h.cgroupDirs["/sys/fs/cgroup/memory/kubepods/burstable/pod1"] = Use::Children;
		CHECK(denied(run(withPath("/kubepods/burstable/pod1"), h)) == 1);
	}
	SECTION("systemd: a unit that exists is joined")
	{
		FakeHost h = v2Host();
		h.cgroupDirs["/sys/fs/cgroup/system.slice/docker-abc.scope"] = Use::Processes;
		auto r = run(withPath("system.slice:docker:abc"), h);
		INFO(dump(r));
		CHECK(denied(r) == 1);
		CHECK(mentions(r, "systemd driver"));
		/* a-b.slice expands to /a.slice/a-b.slice */
		h.cgroupDirs["/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/"
		             "kubepods-burstable-pod1.slice/cri-containerd-abc.scope"] =
		        Use::Processes;
		CHECK(denied(run(withPath("kubepods-burstable-pod1.slice:cri-containerd:abc"),
		                 h)) == 1);
		/* systemd v1: below pid 1's cgroup without init.scope. */
		FakeHost v1 = v1Host();
		for (auto &m : *v1.cgroupHierarchies)
			m.init = "/machine/init.scope";
		v1.cgroupDirs["/sys/fs/cgroup/memory/machine/system.slice/docker-abc.scope"] =
		        Use::Processes;
		CHECK(denied(run(withPath("system.slice:docker:abc"), v1)) == 1);
	}
	SECTION("a systemd triple read by the cgroupfs driver is relative to runc's cgroup")
	{
		FakeHost h = v1Host();
		h.cgroupDirs["/sys/fs/cgroup/memory/user.slice/session-1.scope/"
		             "system.slice:docker:abc"] = Use::Processes;
		auto r = run(withPath("system.slice:docker:abc"), h);
		INFO(dump(r));
		CHECK(denied(r) == 1);
		CHECK(mentions(r, "cgroupfs driver"));
	}
	SECTION("runc's default: cgroup v2 puts it beside the caller's cgroup")
	{
		/* With an empty cgroupsPath runc 1.1.5 on cgroup v2 uses the parent of
		 * its own cgroup: container ID "docker.service" is dockerd's cgroup. */
		FakeHost h = v2Host();
		h.cgroupDirs["/sys/fs/cgroup/system.slice/docker.service"] = Use::Processes;
		auto r = run(fixture("runc-spec-default.json"), h, "docker.service");
		INFO(dump(r));
		CHECK(denied(r) == 1);
		CHECK(mentions(r, "runc's default cgroup names cgroup "
		                  "/sys/fs/cgroup/system.slice/docker.service"));
		CHECK(run(fixture("runc-spec-default.json"), h, "web1").findings.empty());
		/* and the systemd driver's default, system.slice:runc:ID */
		h.cgroupDirs["/sys/fs/cgroup/system.slice/runc-web2.scope"] = Use::Processes;
		CHECK(denied(run(fixture("runc-spec-default.json"), h, "web2")) == 1);
		/* Offline, without an ID, only the rest is judged. */
		CHECK(run(fixture("runc-spec-default.json"), h, "").findings.empty());
	}
	SECTION("hierarchies that cannot be read, or a caller's cgroup that cannot be told")
	{
		FakeHost h = v1Host();
		h.cgroupHierarchies = std::nullopt;
		CHECK(mentions(run(withPath("/docker/abc"), h), "cannot read the host's cgroup"));
		CHECK(denied(run(fixture("runc-spec-default.json"), h)) == 1);
		FakeHost u = v1Host();
		(*u.cgroupHierarchies)[0].own = "";
		CHECK(mentions(run(fixture("runc-spec-default.json"), u), "cannot be told"));
		CHECK(run(withPath("/docker/abc"), u).findings.empty());
	}
}

TEST_CASE("P6.unified: controller limit files only, in create and in update",
          "[rules][P6][cgroups]")
{
	auto unified = [](const std::string &obj) {
		return J(R"({"linux":{"resources":{"unified":)" + obj + "}}}");
	};
	auto runU = [](const Value &doc, Scope scope, const Value &params = Value::object()) {
		return runRule("P6.unified", doc, params, Action::Mutate, scope);
	};
	for (Scope scope : {Scope::Spec, Scope::Resources}) {
		for (const char *bad :
		     {R"({"cgroup.freeze":"1"})", R"({"cgroup.procs":"1"})",
		      R"({"cgroup.kill":"1"})", R"({"cgroup.subtree_control":"+memory"})",
		      R"({"cgroup.type":"threaded"})", R"({"cgroup.max.descendants":"5"})",
		      R"({"Memory.max":"1"})", R"({"../cgroup.procs":"1"})",
		      R"({"memory.max/..":"1"})", R"({"":"1"})", R"({"io.latency":"8:0 target=1"})",
		      R"({"cpu.uclamp.min":"max"})", R"({"cpuset.cpus.partition":"root"})",
		      R"({"memory.reclaim":"1G"})", R"({"cpu.weight":"100\n"})",
		      R"({"cpu.weight":5})"}) {
			INFO(bad);
			auto r = runU(unified(bad), scope);
			INFO(dump(r));
			CHECK(denied(r) == 1);
			CHECK(r.findings.at(0).pointer.rfind("/linux/resources/unified", 0) == 0);
		}
		auto ok = unified(
		        R"({"cpu.weight":"100","cpu.max":"50000 100000","memory.high":"1G","memory.max":"max",)"
		        R"("pids.max":"max","hugetlb.2MB.max":"0","hugetlb.1GB.rsvd.max":"0",)"
		        R"("io.max":"8:0 rbps=1048576","cpuset.cpus":"0-1","memory.oom.group":"1"})");
		CHECK(runU(ok, scope).findings.empty());
	}
	/* The real update from docker has no unified, and a site may allow more. */
	Value update = J(R"({"linux":{}})");
	update.find("linux")->set("resources", fixture("docker-20.10-update-resources-stdin.json"));
	CHECK(runU(update, Scope::Resources).findings.empty());
	CHECK(runU(unified(R"({"io.latency":"8:0 target=1"})"), Scope::Spec,
	           J(R"({"allowed":["io.*"]})"))
	              .findings.empty());
	/* cgroup.* stays refused whatever the allowlist says. */
	CHECK(denied(runU(unified(R"({"cgroup.freeze":"1"})"), Scope::Spec,
	                  J(R"({"allowed":["*"]})"))) == 1);
	for (const char *f : {"docker-20.10-default.json", "containerd-1.6-ctr-default.json",
	                      "podman-4.3-default.json", "runc-spec-default.json"})
		CHECK(runU(fixture(f), Scope::Spec).findings.empty());
}

TEST_CASE("P6.cgroups-path and P6.unified never throw on malformed specs", "[rules][P6][cgroups]")
{
	for (const char *rule : {"P6.cgroups-path", "P6.unified"})
		for (const char *bad :
		     {"[]", "5", R"({"linux":[]})", R"({"linux":{"cgroupsPath":[]}})",
		      R"({"linux":{"resources":[]}})", R"({"linux":{"resources":{"unified":[]}}})",
		      R"({"linux":{"resources":{"unified":{"cpu.weight":1}}}})"}) {
			INFO(rule << " on " << bad);
			RuleResult r;
			REQUIRE_NOTHROW(r = runRule(rule, J(bad), Value::object(), Action::Mutate,
			                            Scope::Spec, v1Host()));
			CHECK(denied(r) <= 1);
			CHECK(r.findings.size() == denied(r));
		}
	CHECK(denied(runRule("P6.unified", J("[]"))) == 1);
	CHECK(denied(runRule("P6.cgroups-path", J(R"({"linux":{"cgroupsPath":[]}})"))) == 1);
}
