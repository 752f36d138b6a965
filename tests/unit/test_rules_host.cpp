/* The host-facing rules (P5, P8, P10, P11, P12, annotations, k8s sandbox) with a
 * fake host: each passes, mutates or denies, and each bypass of DESIGN section 4
 * is caught. */
#include "fake_host.h"
#include "rule_harness.h"

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "bulkhead/engine.h"
#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/rule.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using bulkhead::policy::Action;
using bulkhead::test::dump;
using bulkhead::test::FakeHost;
using bulkhead::test::RuleResult;
using bulkhead::test::runRule;
using json::Value;

namespace {

const char *const kDockerId = "d4576fcf2e8a8f52dedb1610bfcb3a74d194cfc484b137381a2a378d07f88760";
const char *const kPodmanId = "d4c271bba487dd1e829cd0a2da92f0dd0963b153431ca2dde78748652d484814";

Value fixture(const std::string &name)
{
	const char *dir = std::getenv("BULKHEAD_TEST_DATA");
	std::string base = dir ? dir : "tests/data";
	return json::parseFile(base + "/" + name);
}

Value J(std::string_view text)
{
	return json::parse(text, "test");
}

policy::CallContext call(const std::string &id, const std::string &bundle = "/bundles/b")
{
	return policy::CallContext{id, bundle, "create"};
}

size_t count(const RuleResult &r, Action a)
{
	size_t n = 0;
	for (const auto &f : r.findings)
		if (f.action == a)
			n++;
	return n;
}

/* a finding's message or its remedy */
bool mentionsOrRemedy(const RuleResult &r, std::string_view needle)
{
	for (const auto &f : r.findings)
		if (f.message.find(needle) != std::string::npos ||
		    f.remedy.find(needle) != std::string::npos)
			return true;
	return false;
}

RuleResult run(std::string_view rule, const Value &doc, const FakeHost &host,
               const policy::CallContext &c, const Value &params = Value::object(),
               Action action = Action::Mutate)
{
	return runRule(rule, doc, params, action, policy::Scope::Spec, host, c);
}

/* Mutating twice is mutating once: the second run finds nothing to fix and
 * leaves the document byte for byte. */
void checkConverges(std::string_view rule, const RuleResult &first, const FakeHost &host,
                    const policy::CallContext &c, const Value &params = Value::object())
{
	auto second = run(rule, first.doc, host, c, params);
	INFO(dump(second));
	CHECK(count(second, Action::Mutate) == 0);
	CHECK(json::write(second.doc) == json::write(first.doc));
}

Value mountSpec(const std::string &mountsJson)
{
	return J(R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"mounts":)" + mountsJson +
	         R"(,"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},)"
	         R"({"type":"mount"},{"type":"network"}]}})");
}

Value bindOf(const std::string &source, const std::string &opts = R"(["rbind","rprivate"])")
{
	return mountSpec(R"([{"destination":"/data","type":"bind","source":")" + source +
	                 R"(","options":)" + opts + "}]");
}

FakeHost hostWithPid1()
{
	FakeHost h = test::typicalHost();
	ino_t ino = 4026531900;
	for (const char *t : {"net", "pid", "ipc", "uts", "mnt", "user", "cgroup"})
		h.pid1Ns[t] = FileId{4, ino++};
	return h;
}

} // namespace

/* ------------------------------------------------------------------ P8 */

TEST_CASE("P8.namespaces passes Docker's default spec", "[rules][P8]")
{
	auto r = run("P8.namespaces", fixture("docker-20.10-default.json"), hostWithPid1(),
	             call(kDockerId));
	INFO(dump(r));
	CHECK(r.findings.empty());
}

TEST_CASE("P8.namespaces denies --net=host as a netns path and --pid=host by omission",
          "[rules][P8]")
{
	FakeHost h = hostWithPid1();
	h.file("/var/run/docker/netns/default", h.pid1Ns["net"].dev, h.pid1Ns["net"].ino,
	       S_IFREG | 0444);
	auto r = run("P8.namespaces", fixture("docker-20.10-hostns-socket.json"), h,
	             call("70ae483fefbc147ddedbe27019f2a6375a355c13720254a14aa58cf418ff993f"));
	INFO(dump(r));
	CHECK(count(r, Action::Deny) == 2);
	CHECK(mentionsOrRemedy(r, "host's network namespace"));
	CHECK(mentionsOrRemedy(r, "no private pid namespace"));
	CHECK(mentionsOrRemedy(r, "--net=host"));
	CHECK(mentionsOrRemedy(r, "--pid=host"));
}

TEST_CASE("P8.namespaces catches host namespaces behind other names", "[rules][P8]")
{
	FakeHost h = hostWithPid1();
	auto spec = [](const std::string &path) {
		return J(R"({"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},)"
		         R"({"type":"mount"},{"type":"network","path":")" +
		         path + R"("}]}})");
	};
	SECTION("/proc/self/ns/net: same inode as our own")
	{
		h.file("/proc/self/ns/net", h.selfNs["net"].dev, h.selfNs["net"].ino,
		       S_IFREG | 0444);
		auto r = run("P8.namespaces", spec("/proc/self/ns/net"), h, call("c"));
		CHECK(count(r, Action::Deny) == 1);
	}
	SECTION("/proc/1/task/1/ns/net and a symlink to pid 1's netns")
	{
		h.file("/proc/1/ns/net", h.pid1Ns["net"].dev, h.pid1Ns["net"].ino, S_IFREG | 0444);
		h.link("/proc/1/task/1/ns/net", "/proc/1/ns/net");
		h.link("/run/netns/innocent", "/proc/1/ns/net");
		CHECK(count(run("P8.namespaces", spec("/proc/1/task/1/ns/net"), h, call("c")),
		            Action::Deny) == 1);
		CHECK(count(run("P8.namespaces", spec("/run/netns/innocent"), h, call("c")),
		            Action::Deny) == 1);
	}
	SECTION("a path of one type naming the host's namespace of another")
	{
		h.file("/run/netns/x", h.pid1Ns["pid"].dev, h.pid1Ns["pid"].ino, S_IFREG | 0444);
		CHECK(count(run("P8.namespaces", spec("/run/netns/x"), h, call("c")),
		            Action::Deny) == 1);
	}
	SECTION("a private namespace (a pod's pause container) is fine")
	{
		h.file("/proc/4242/ns/net", 4, 4026532999, S_IFREG | 0444);
		auto r = run("P8.namespaces", spec("/proc/4242/ns/net"), h, call("c"));
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
	SECTION("a namespace path that does not exist is refused")
	{
		CHECK(count(run("P8.namespaces", spec("/proc/99999/ns/net"), h, call("c")),
		            Action::Deny) == 1);
	}
}

TEST_CASE("P8.namespaces refuses a namespace path when pid 1's namespaces are unreadable",
          "[rules][P8]")
{
	FakeHost h = test::typicalHost(); /* like this machine: /proc/1/ns unreadable */
	h.file("/proc/4242/ns/net", 4, 4026532999, S_IFREG | 0444);
	auto doc = J(R"({"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},)"
	             R"({"type":"mount"},{"type":"network","path":"/proc/4242/ns/net"}]}})");
	auto r = run("P8.namespaces", doc, h, call("c"));
	CHECK(count(r, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(r, "cannot be read"));
	/* Our own netns is recognised as the host's even so (--net=host). */
	h.file("/run/docker/netns/default", h.selfNs["net"].dev, h.selfNs["net"].ino,
	       S_IFREG | 0444);
	auto own = run(
	        "P8.namespaces",
	        J(R"({"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},)"
	          R"({"type":"mount"},{"type":"network","path":"/run/docker/netns/default"}]}})"),
	        h, call("c"), J(R"({"pid1Optional":true})"));
	CHECK(count(own, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(own, "is the host's network namespace"));
	/* Without any path, nothing needs pid 1. */
	CHECK(run("P8.namespaces", fixture("runc-spec-default.json"), h, call("c"))
	              .findings.empty());
	/* The explicit knob compares with /proc/self/ns alone. */
	auto ok = run("P8.namespaces", doc, h, call("c"), J(R"({"pid1Optional":true})"));
	CHECK(ok.findings.empty());
}

TEST_CASE("P8.namespaces: required list, malformed entries, audit", "[rules][P8]")
{
	FakeHost h = hostWithPid1();
	auto doc = J(R"({"linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}})");
	auto r = run("P8.namespaces", doc, h, call("c"), J(R"({"required":["pid","mount"]})"));
	CHECK(r.findings.empty());
	auto a = run("P8.namespaces", doc, h, call("c"), Value::object(), Action::Audit);
	CHECK(count(a, Action::Audit) == 3);
	CHECK(a.doc == doc);
	for (const char *bad : {R"({"linux":{"namespaces":{}}})", R"({"linux":[]})",
	                        R"({"linux":{"namespaces":[{"type":"bogus"}]}})",
	                        R"({"linux":{"namespaces":[{"type":"pid","path":7}]}})",
	                        R"({"linux":{"namespaces":[{"type":"pid"},{"type":"pid"}]}})"}) {
		INFO(bad);
		RuleResult m;
		REQUIRE_NOTHROW(m = run("P8.namespaces", J(bad), h, call("c")));
		CHECK(count(m, Action::Deny) >= 1);
	}
}

/* ------------------------------------------------------------------ P10 sockets */

namespace {

FakeHost socketHost()
{
	FakeHost h = test::typicalHost();
	h.file("/run/docker.sock", 25, 1000, S_IFSOCK | 0660, 0, 999);
	h.link("/var/run/docker.sock", "/run/docker.sock");
	h.file("/run", 25, 1, S_IFDIR | 0755);
	h.link("/var/run", "/run");
	h.file("/", 8, 2, S_IFDIR | 0755);
	h.file("/var", 8, 3, S_IFDIR | 0755);
	h.file("/home/u/data", 8, 500, S_IFDIR | 0755, 1000, 1000);
	return h;
}

} // namespace

TEST_CASE("P10.engine-socket denies docker.sock from Docker's -v", "[rules][P10]")
{
	auto r = run("P10.engine-socket", fixture("docker-20.10-hostns-socket.json"), socketHost(),
	             call("70ae483fefbc147ddedbe27019f2a6375a355c13720254a14aa58cf418ff993f"));
	INFO(dump(r));
	CHECK(count(r, Action::Deny) == 1);
	CHECK(r.findings.at(0).pointer == "/mounts/10/source");
	CHECK(mentionsOrRemedy(r, "engine socket"));
}

TEST_CASE("P10.engine-socket catches the socket under other names", "[rules][P10]")
{
	FakeHost h = socketHost();
	h.link("/home/u/sock", "/run/docker.sock");                     /* symlink */
	h.file("/tmp/innocent", 25, 1000, S_IFSOCK | 0660);             /* hard link */
	h.link("/proc/1/root/var/run/docker.sock", "/run/docker.sock"); /* via pid 1's root */
	h.file("/mnt/runcopy", 25, 1, S_IFDIR | 0755);                  /* bind of /run */
	for (const char *src :
	     {"/var/run/docker.sock", "/run/docker.sock", "/home/u/sock", "/tmp/innocent",
	      "/proc/1/root/var/run/docker.sock", "/proc/self/root/run/docker.sock", "/var/run",
	      "/run", "/var/run/", "/run//docker.sock", "/var/lib/../run/./docker.sock", "/",
	      "/mnt/runcopy", "../../../run/docker.sock", "/run/containerd/containerd.sock",
	      "/run/containerd"}) {
		INFO(src);
		auto r = run("P10.engine-socket", bindOf(src), h, call("c", "/bundles/b"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
	}
	auto fine = run("P10.engine-socket", bindOf("/home/u/data"), h, call("c"));
	CHECK(fine.findings.empty());
	/* A relative source with no bundle to resolve it against cannot be judged. */
	auto rel = run("P10.engine-socket", bindOf("data"), h, call("c", ""));
	CHECK(count(rel, Action::Deny) == 1);
	/* A custom socket list replaces the default. */
	auto custom = run("P10.engine-socket", bindOf("/srv/my.sock"), h, call("c"),
	                  J(R"({"sockets":["/srv/my.sock"]})"));
	CHECK(count(custom, Action::Deny) == 1);
}

/* ------------------------------------------------------------------ P10 sensitive */

TEST_CASE("P10.sensitive-mount lets Docker's own per-container files through", "[rules][P10]")
{
	auto doc = fixture("docker-20.10-default.json");
	auto r = run("P10.sensitive-mount", doc, socketHost(), call(kDockerId));
	INFO(dump(r));
	CHECK(r.findings.empty());
	auto remap =
	        run("P10.sensitive-mount", fixture("docker-20.10-userns-remap.json"), socketHost(),
	            call("457d698cbd9771a883fa7ad66d02f3221d7a09703ea9e2ab18a6bdde5d8d9e32"));
	INFO(dump(remap));
	CHECK(remap.findings.empty());
	auto pod = run("P10.sensitive-mount", fixture("podman-4.3-default.json"), socketHost(),
	               call(kPodmanId));
	INFO(dump(pod));
	CHECK(pod.findings.empty());
}

TEST_CASE("P10.sensitive-mount: engine files of another container are denied", "[rules][P10]")
{
	auto doc = fixture("docker-20.10-default.json");
	auto r = run("P10.sensitive-mount", doc, socketHost(),
	             call("0000000000000000000000000000000000000000000000000000000000000000"));
	INFO(dump(r));
	CHECK(count(r, Action::Deny) == 3);
	CHECK(mentionsOrRemedy(r, "another container"));
	/* Offline (no container ID): one consistent ID is accepted, a second is not. */
	auto offline = run("P10.sensitive-mount", doc, socketHost(), call("", "/bundles/b"));
	CHECK(offline.findings.empty());
	auto mixed = mountSpec(
	        R"([{"destination":"/etc/hosts","type":"bind","source":"/var/lib/docker/containers/aaa/hosts","options":["rbind"]},)"
	        R"({"destination":"/etc/hostname","type":"bind","source":"/var/lib/docker/containers/bbb/hostname","options":["rbind"]}])");
	CHECK(count(run("P10.sensitive-mount", mixed, socketHost(), call("")), Action::Deny) == 1);
	/* An ID that is not a plain path component matches nothing. */
	auto evil = bindOf("/var/lib/docker/containers/x/hosts");
	CHECK(count(run("P10.sensitive-mount", evil, socketHost(), call("x/../..")),
	            Action::Deny) == 1);
}

namespace {

const char *const kPodUid = "1b2c3d4e-aaaa-bbbb-cccc-0123456789ab";
const char *const kSandbox = "5a4d000000000000000000000000000000000000000000000000000000000002";
const char *const kCriCtr = "c0ffee0000000000000000000000000000000000000000000000000000000001";

/* A container of pod default/web as containerd's CRI writes it, binding SOURCE. */
Value criBind(const std::string &source, const std::string &uid = kPodUid)
{
	Value d = bindOf(source);
	d.set("annotations",
	      J(R"({"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":")" +
	        std::string(kSandbox) +
	        R"(","io.kubernetes.cri.sandbox-namespace":"default","io.kubernetes.cri.sandbox-uid":")" +
	        uid + R"(","io.kubernetes.cri.sandbox-name":"web"})"));
	return d;
}

/* The pod's sandbox runs: runc's state of it, under containerd's runc root. */
FakeHost criPodHost()
{
	FakeHost h = socketHost();
	const std::string s = kSandbox;
	h.rootText("/run/containerd/runc/k8s.io/" + s + "/state.json",
	           R"({"id":")" + s +
	                   R"(","init_process_pid":4242,"init_process_start":987654,)"
	                   R"("config":{"labels":["io.kubernetes.cri.container-type=sandbox",)"
	                   R"("io.kubernetes.cri.sandbox-id=)" +
	                   s + R"(","io.kubernetes.cri.sandbox-uid=)" + kPodUid +
	                   R"(","io.kubernetes.cri.sandbox-namespace=default",)"
	                   R"("io.kubernetes.cri.sandbox-name=web",)"
	                   R"("bundle=/run/containerd/io.containerd.runtime.v2.task/k8s.io/)" +
	                   s + R"("]}})");
	h.startTimes[4242] = 987654;
	return h;
}

policy::CallContext criCall(engine::Kind kind = engine::Kind::ContainerdCri)
{
	return policy::CallContext{
	        kCriCtr,
	        std::string("/run/containerd/io.containerd.runtime.v2.task/k8s.io/") + kCriCtr,
	        "create", kind, "/run/containerd/runc/k8s.io"};
}

} // namespace

TEST_CASE("P10.sensitive-mount: kubelet pod directories only for this pod's proven UID",
          "[rules][P10]")
{
	const std::string own = std::string("/var/lib/kubelet/pods/") + kPodUid;
	const std::string vol = own + "/volumes/kubernetes.io~empty-dir/cache";
	FakeHost h = criPodHost();
	/* containerd's CRI, its sandbox running with this pod's UID: the pod's own
	 * volumes, hosts file and the sandbox's files are this container's. */
	for (const std::string &src :
	     {vol, own + "/etc-hosts", own + "/containers/app/0c1d",
	      std::string("/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/") + kSandbox +
	              "/resolv.conf"}) {
		INFO(src);
		auto r = run("P10.sensitive-mount", criBind(src), h, criCall());
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
	/* Another pod's directory: the spec may name that pod's UID, the
	 * sandbox's record does not back it. */
	const std::string other = "/var/lib/kubelet/pods/ffffffff-aaaa-bbbb-cccc-0123456789ab/"
	                          "volumes/kubernetes.io~projected/kube-api-access-x";
	auto claim = run("P10.sensitive-mount",
	                 criBind(other, "ffffffff-aaaa-bbbb-cccc-0123456789ab"), h, criCall());
	INFO(dump(claim));
	CHECK(count(claim, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(claim, "the pod is not proven"));
	CHECK(count(run("P10.sensitive-mount", criBind(other), h, criCall()), Action::Deny) == 1);
	/* The engine unknown, or another engine: nothing per pod matches. */
	auto unknown = run("P10.sensitive-mount", criBind(vol), h, criCall(engine::Kind::Unknown));
	CHECK(count(unknown, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(unknown, "engine is unknown"));
	CHECK(count(run("P10.sensitive-mount", criBind(vol), h, criCall(engine::Kind::Docker)),
	            Action::Deny) == 1);
	CHECK(count(run("P10.sensitive-mount", criBind(vol), h, call("c")), Action::Deny) == 1);
	/* The sandbox gone: nothing proven. */
	FakeHost gone = criPodHost();
	gone.startTimes.clear();
	CHECK(count(run("P10.sensitive-mount", criBind(vol), gone, criCall()), Action::Deny) == 1);
	/* Raw annotations a pod can set prove nothing, on any engine. */
	for (const char *ann :
	     {R"({"io.kubernetes.pod.uid":"1b2c3d4e-aaaa-bbbb-cccc-0123456789ab"})",
	      R"({"io.kubernetes.cri-o.Labels":"{\"io.kubernetes.pod.uid\":\"1b2c3d4e-aaaa-bbbb-cccc-0123456789ab\"}"})",
	      R"({"io.kubernetes.cri.sandbox-uid":"1b2c3d4e-aaaa-bbbb-cccc-0123456789ab"})",
	      R"({"io.kubernetes.pod.uid":"../.."})"}) {
		INFO(ann);
		Value d = bindOf(vol);
		d.set("annotations", J(ann));
		CHECK(count(run("P10.sensitive-mount", d, h, criCall()), Action::Deny) == 1);
		CHECK(count(run("P10.sensitive-mount", d, h, call("c")), Action::Deny) == 1);
	}
}

TEST_CASE("P10.sensitive-mount denies sensitive trees, parents, children and aliases",
          "[rules][P10]")
{
	FakeHost h = socketHost();
	h.file("/etc", 8, 10, S_IFDIR | 0755);
	h.file("/mnt/etc-alias", 8, 10, S_IFDIR | 0755); /* bind mount of /etc */
	h.file("/mnt/etc-alias/passwd", 8, 11, S_IFREG | 0644);
	h.file("/etc/shadow", 8, 12, S_IFREG | 0640);
	h.link("/var/lib/docker/volumes/evil/_data", "/etc");
	h.link("/home/u/link", "/etc/shadow");
	h.link("/home/u/l/../shadow", "/etc/shadow"); /* l -> /etc/ssl: ".." is /etc */
	for (const char *src : {"/",
	                        "/etc",
	                        "/etc/shadow",
	                        "/proc",
	                        "/proc/1/root",
	                        "/proc/1/root/etc",
	                        "/sys",
	                        "/dev",
	                        "/dev/sda1",
	                        "/boot",
	                        "/root/.ssh",
	                        "/lib",
	                        "/lib/modules",
	                        "/usr",
	                        "/usr/bin",
	                        "/run",
	                        "/var/run",
	                        "/var/run/docker/netns",
	                        "/var/lib",
	                        "/var/lib/docker",
	                        "/var/lib/docker/overlay2",
	                        "/var/lib/containerd",
	                        "/var/lib/kubelet",
	                        "/var/lib/kubelet/pods",
	                        "/run/containerd",
	                        "/var",
	                        "/mnt/etc-alias",
	                        "/mnt/etc-alias/passwd",
	                        "/var/lib/docker/volumes/evil/_data",
	                        "/home/u/link",
	                        "/var/lib/docker/volumes",
	                        "/var/lib/docker/volumes/../image",
	                        "/etc/",
	                        "//etc",
	                        "/home/u/l/../shadow"}) {
		INFO(src);
		auto r = run("P10.sensitive-mount", bindOf(src), h, call("c"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
	}
	for (const char *src :
	     {"/home/u/data", "/var/lib/docker/volumes/myvol/_data",
	      "/var/lib/docker/100000.100000/volumes/v/_data",
	      "/var/lib/containers/storage/volumes/v/_data", "/srv/www", "/tmp/x"}) {
		INFO(src);
		auto r = run("P10.sensitive-mount", bindOf(src), h, call("c"));
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
}

TEST_CASE("P10.sensitive-mount judges rbind of type none, overlay layers and devices",
          "[rules][P10]")
{
	auto rootless = run("P10.sensitive-mount", fixture("runc-spec-rootless.json"), socketHost(),
	                    call("c"));
	INFO(dump(rootless));
	CHECK(count(rootless, Action::Deny) == 1); /* the rbind of /sys */
	auto overlay = mountSpec(
	        R"([{"destination":"/x","type":"overlay","source":"overlay","options":["lowerdir=/srv/a:/etc","upperdir=/srv/u","workdir=/srv/w"]}])");
	CHECK(count(run("P10.sensitive-mount", overlay, socketHost(), call("c")), Action::Deny) ==
	      1);
	auto dev = mountSpec(R"([{"destination":"/disk","type":"ext4","source":"/dev/sda1"}])");
	CHECK(count(run("P10.sensitive-mount", dev, socketHost(), call("c")), Action::Deny) == 1);
	/* A relative source resolves against the bundle. */
	auto rel = bindOf("../../etc");
	CHECK(count(run("P10.sensitive-mount", rel, socketHost(), call("c", "/bundles/b")),
	            Action::Deny) == 1);
	auto relOk = bindOf("data");
	CHECK(run("P10.sensitive-mount", relOk, socketHost(), call("c", "/srv/bundle"))
	              .findings.empty());
	/* Policy parameters replace the defaults. */
	CHECK(run("P10.sensitive-mount", bindOf("/etc/ssl"), socketHost(), call("c"),
	          J(R"({"sensitivePaths":["/var/lib/docker"]})"))
	              .findings.empty());
	CHECK(run("P10.sensitive-mount", bindOf("/var/lib/docker/x"), socketHost(), call("c"),
	          J(R"({"allowPrefixes":["/var/lib/docker/x/"]})"))
	              .findings.size() == 1); /* strictly below a prefix only */
}

TEST_CASE("P10.sensitive-mount: init binaries read-only, pseudo filesystems' sources ignored",
          "[rules][P10]")
{
	auto init = [](const char *opts) {
		return mountSpec(
		        std::string(
		                R"([{"destination":"/sbin/docker-init","type":"bind","source":"/usr/bin/docker-init","options":)") +
		        opts + "}]");
	};
	CHECK(run("P10.sensitive-mount", init(R"(["bind","ro"])"), socketHost(), call("c"))
	              .findings.empty());
	CHECK(count(run("P10.sensitive-mount", init(R"(["bind","ro","rw"])"), socketHost(),
	                call("c")),
	            Action::Deny) == 1);
	FakeHost h = socketHost();
	h.file("/etc/passwd", 8, 13, S_IFREG | 0644);
	h.link("/usr/bin/docker-init", "/etc/passwd");
	CHECK(count(run("P10.sensitive-mount", init(R"(["bind","ro"])"), h, call("c")),
	            Action::Deny) == 1);
	auto pseudo = mountSpec(
	        R"([{"destination":"/proc","type":"proc","source":"/proc"},{"destination":"/dev","type":"tmpfs","source":"/dev"}])");
	CHECK(run("P10.sensitive-mount", pseudo, socketHost(), call("c")).findings.empty());
}

/* ------------------------------------------------------------------ P10 propagation */

TEST_CASE("P10.propagation turns shared into private, and converges", "[rules][P10]")
{
	auto doc = bindOf("/home/u/data", R"(["rbind","rshared"])");
	doc.find("linux")->set("rootfsPropagation", Value::string("shared"));
	doc.find("mounts")->items().push_back(
	        J(R"({"destination":"/y","type":"tmpfs","source":"tmpfs","options":["shared"]})"));
	auto r = run("P10.propagation", doc, socketHost(), call("c"));
	INFO(dump(r));
	CHECK(count(r, Action::Mutate) == 3);
	CHECK(json::write(*json::get(r.doc, json::Pointer::parse("/mounts/0/options"))) ==
	      R"(["rbind","rprivate"])");
	CHECK(r.doc.find("mounts")->items()[1].find("options")->items()[0].asString() == "private");
	CHECK(r.doc.find("linux")->find("rootfsPropagation")->asString() == "rprivate");
	checkConverges("P10.propagation", r, socketHost(), call("c"));
	CHECK(run("P10.propagation", fixture("docker-20.10-default.json"), socketHost(),
	          call(kDockerId))
	              .findings.empty());
	auto denied =
	        run("P10.propagation", doc, socketHost(), call("c"), Value::object(), Action::Deny);
	CHECK(count(denied, Action::Deny) == 3);
	CHECK(denied.doc == doc);
}

/* ------------------------------------------------------------------ P10 bind options */

TEST_CASE("P10.bind-options adds nosuid,nodev to Docker's binds, once", "[rules][P10]")
{
	auto doc = fixture("docker-20.10-default.json");
	auto r = run("P10.bind-options", doc, socketHost(), call(kDockerId));
	INFO(dump(r));
	CHECK(count(r, Action::Mutate) == 3);
	CHECK(json::write(*json::get(r.doc, json::Pointer::parse("/mounts/9/options"))) ==
	      R"(["rbind","rprivate","nosuid","nodev"])");
	/* Nothing else changed. */
	auto patch = json::diff(doc, r.doc);
	CHECK(patch.items().size() == 6);
	checkConverges("P10.bind-options", r, socketHost(), call(kDockerId));
}

TEST_CASE("P10.bind-options respects option order", "[rules][P10]")
{
	struct Case
	{
		const char *in;
		const char *out;
	};
	for (auto c :
	     {Case{R"(["rbind","nosuid","nodev","suid"])", R"(["rbind","nosuid","nodev"])"},
	      Case{R"(["bind","nosuid","nodev","dev"])", R"(["bind","nosuid","nodev"])"},
	      Case{R"(["rbind","nosuid","nodev","defaults"])",
	           R"(["rbind","nosuid","nodev","defaults","nosuid","nodev"])"},
	      Case{R"(["rbind","rsuid","nosuid"])", R"(["rbind","nosuid","nodev"])"},
	      Case{R"(["nodev","nosuid","rbind"])", nullptr}}) {
		INFO(c.in);
		auto doc = mountSpec(
		        R"([{"destination":"/d","type":"none","source":"/srv/d","options":)" +
		        std::string(c.in) + "}]");
		auto r = run("P10.bind-options", doc, socketHost(), call("c"));
		INFO(dump(r));
		if (!c.out) {
			CHECK(r.findings.empty());
			continue;
		}
		CHECK(count(r, Action::Mutate) == 1);
		CHECK(json::write(*json::get(r.doc, json::Pointer::parse("/mounts/0/options"))) ==
		      c.out);
		checkConverges("P10.bind-options", r, socketHost(), call("c"));
	}
	/* A bind without options gets them; a tmpfs is not a bind. */
	auto bare = mountSpec(
	        R"([{"destination":"/d","type":"bind","source":"/srv/d"},{"destination":"/t","type":"tmpfs","source":"tmpfs"}])");
	auto r = run("P10.bind-options", bare, socketHost(), call("c"));
	CHECK(count(r, Action::Mutate) == 1);
	CHECK(json::write(*r.doc.find("mounts")) ==
	      R"([{"destination":"/d","type":"bind","source":"/srv/d","options":["nosuid","nodev"]},{"destination":"/t","type":"tmpfs","source":"tmpfs"}])");
}

/* ------------------------------------------------------------------ P10 /proc /sys */

TEST_CASE("P10.proc-sys-mounts allows only the standard mounts", "[rules][P10]")
{
	for (const char *f : {"docker-20.10-default.json", "containerd-1.6-ctr-default.json",
	                      "podman-4.3-default.json", "runc-spec-default.json"}) {
		INFO(f);
		auto r = run("P10.proc-sys-mounts", fixture(f), socketHost(), call("c"));
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
	for (const char *m :
	     {R"({"destination":"/proc/sys","type":"bind","source":"/proc/sys"})",
	      R"({"destination":"/proc/../proc/sys","type":"proc","source":"proc"})",
	      R"({"destination":"/sys/kernel/security","type":"securityfs","source":"securityfs"})",
	      R"({"destination":"/sys","type":"none","source":"/sys","options":["rbind"]})",
	      R"({"destination":"proc/sysrq-trigger","type":"bind","source":"/dev/null"})"}) {
		INFO(m);
		auto r = run("P10.proc-sys-mounts", mountSpec(std::string("[") + m + "]"),
		             socketHost(), call("c"));
		CHECK(count(r, Action::Deny) == 1);
	}
}

/* ------------------------------------------------------------------ P11 */

namespace {

Value devRules(const std::string &rules, const std::string &devices = "[]")
{
	return J(R"({"linux":{"resources":{"devices":)" + rules + R"(},"devices":)" + devices +
	         "}}");
}

} // namespace

TEST_CASE("P11.devices passes the engines' defaults", "[rules][P11]")
{
	for (const char *f :
	     {"docker-20.10-default.json", "containerd-1.6-ctr-default.json",
	      "podman-4.3-default.json", "runc-spec-default.json", "runc-spec-rootless.json"}) {
		INFO(f);
		auto r = run("P11.devices", fixture(f), socketHost(), call("c"));
		INFO(dump(r));
		CHECK(r.findings.empty());
	}
}

TEST_CASE("P11.devices denies wildcards and host devices", "[rules][P11]")
{
	auto priv = run("P11.devices", fixture("docker-20.10-privileged.json"), socketHost(),
	                call("c"));
	CHECK(count(priv, Action::Deny) > 1);
	CHECK(mentionsOrRemedy(priv, "every device"));
	for (const char *rule :
	     {R"({"allow":true})", R"({"allow":true,"access":"rwm"})",
	      R"({"allow":true,"type":"a","access":"rw"})",
	      R"({"allow":true,"type":"c","access":"r"})",
	      R"({"allow":true,"type":"b","major":8,"minor":0,"access":"rw"})",
	      R"({"allow":true,"type":"c","major":1,"access":"rw"})",
	      R"({"allow":true,"type":"c","major":-1,"minor":-1,"access":"w"})",
	      R"({"allow":true,"type":"c","major":10,"minor":229,"access":""})"}) {
		INFO(rule);
		auto r = run("P11.devices", devRules(std::string("[") + rule + "]"), socketHost(),
		             call("c"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
	}
	/* mknod alone, deny rules and standard devices are fine. */
	auto ok = devRules(
	        R"([{"allow":false,"access":"rwm"},{"allow":true,"type":"c","access":"m"},{"allow":true,"type":"b","major":-1,"minor":-1,"access":"m"},{"allow":true,"type":"c","major":136,"minor":4,"access":"rwm"}])",
	        R"([{"path":"/dev/null","type":"c","major":1,"minor":3},{"path":"/dev/fifo","type":"p"}])");
	CHECK(run("P11.devices", ok, socketHost(), call("c")).findings.empty());
	auto node = devRules("[]", R"([{"path":"/dev/sda","type":"b","major":8,"minor":0},)"
	                           R"({"path":"/dev/kmsg","type":"c","major":1,"minor":11}])");
	CHECK(count(run("P11.devices", node, socketHost(), call("c")), Action::Deny) == 2);
	/* An allowlist parameter opens a device. */
	CHECK(run("P11.devices", node, socketHost(), call("c"),
	          J(R"({"allowedDevices":["b 8:*","c 1:11"]})"))
	              .findings.empty());
	for (const char *bad : {R"([{"type":"c"}])", R"([{"allow":"yes"}])",
	                        R"([{"allow":true,"access":"rwx"}])", R"({})"}) {
		INFO(bad);
		RuleResult m;
		REQUIRE_NOTHROW(m = run("P11.devices", devRules(bad), socketHost(), call("c")));
		CHECK(count(m, Action::Deny) == 1);
	}
}

/* ------------------------------------------------------------------ P12 */

namespace {

/* Root-owned 0755 directories from / down to (not including) path. */
/* dockerd as pid 2879, installed at exe (fake_host.h's withDockerd). */
FakeHost dockerdHost(const std::string &exe = "/usr/bin/dockerd")
{
	FakeHost h = socketHost();
	return withDockerd(h, exe);
}

Value hookSpec(const std::string &hook, const std::string &stage = "prestart")
{
	return J(R"({"hooks":{")" + stage + R"(":[)" + hook + "]}}");
}

std::string setkey(const std::string &path, const std::string &id,
                   const std::string &execRoot = "/var/run/docker",
                   const std::string &ctrl = "5a5cdf00fa5e")
{
	return R"({"path":")" + path + R"(","args":["libnetwork-setkey","-exec-root=)" + execRoot +
	       R"(",")" + id + R"(",")" + ctrl + R"("]})";
}

std::string at(const RuleResult &r, const char *pointer)
{
	const Value *v = json::get(r.doc, json::Pointer::parse(pointer));
	return v ? json::write(*v) : "(absent)";
}

} // namespace

TEST_CASE("P12.hooks keeps Docker's libnetwork hook: resolved path, pinned environment",
          "[rules][P12]")
{
	auto doc = fixture("docker-20.10-default.json");
	auto r = run("P12.hooks", doc, dockerdHost(), call(kDockerId));
	INFO(dump(r));
	REQUIRE(count(r, Action::Mutate) == 2);
	CHECK(count(r, Action::Deny) == 0);
	CHECK(r.findings.at(0).pointer == "/hooks/prestart/0/path");
	CHECK(at(r, "/hooks/prestart/0/path") == R"("/usr/bin/dockerd")");
	/* argv is untouched: args[0] "libnetwork-setkey" selects dockerd's re-exec. */
	CHECK(at(r, "/hooks/prestart/0/args") ==
	      std::string(R"(["libnetwork-setkey","-exec-root=/var/run/docker",")") + kDockerId +
	              R"(","5a5cdf00fa5e"])");
	CHECK(at(r, "/hooks/prestart/0/env") ==
	      R"(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])");
	checkConverges("P12.hooks", r, dockerdHost(), call(kDockerId));
	/* dockerd installed as /usr/sbin/dockerd is on the default list too. */
	auto s = run("P12.hooks", doc, dockerdHost("/usr/sbin/dockerd"), call(kDockerId));
	CHECK(count(s, Action::Deny) == 0);
	CHECK(at(s, "/hooks/prestart/0/path") == R"("/usr/sbin/dockerd")");
	/* Offline (no container ID) any ID fits {id}; the hardened and privileged
	 * specs carry the same hook. */
	for (const char *f : {"docker-20.10-default.json", "docker-20.10-hardened.json",
	                      "docker-20.10-privileged.json"}) {
		INFO(f);
		CHECK(count(run("P12.hooks", fixture(f), dockerdHost(), call("")), Action::Deny) ==
		      0);
	}
	/* The shipped policies' allowlist, not only the built-in default. */
	auto params =
	        J(R"({"allowedHooks":[{"path":"/usr/sbin/dockerd","args":["libnetwork-setkey",)"
	          R"("-exec-root=/var/run/docker","{id}","{hex:12}"],"stages":["prestart"]}]})");
	CHECK(count(run("P12.hooks", doc, dockerdHost("/usr/sbin/dockerd"), call(kDockerId),
	                params),
	            Action::Deny) == 0);
}

TEST_CASE("P12.hooks pins the whole argv of an allowlisted hook", "[rules][P12]")
{
	FakeHost h = dockerdHost();
	const std::string id = kDockerId;
	/* The real shape passes. */
	CHECK(count(run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id)), h, call(id)),
	            Action::Deny) == 0);
	for (const std::string &hook : {
	             setkey("/proc/2879/exe", id, "/tmp/evil"),   /* another exec-root */
	             setkey("/proc/2879/exe", "other-container"), /* not this container */
	             setkey("/proc/2879/exe", id, "/var/run/docker", "5a5cdf00fa5"), /* 11 hex */
	             setkey("/proc/2879/exe", id, "/var/run/docker", "5A5CDF00FA5E"),
	             setkey("/proc/2879/exe", id, "/var/run/docker", "5a5cdf00fa5e0"),
	             std::string(R"({"path":"/proc/2879/exe","args":["libnetwork-setkey",)"
	                         R"("-exec-root=/tmp/evil","-exec-root=/var/run/docker",")") +
	                     id + R"(","5a5cdf00fa5e"]})", /* an extra flag anywhere */
	             std::string(R"({"path":"/proc/2879/exe","args":["libnetwork-setkey",)"
	                         R"("-exec-root=/var/run/docker",")") +
	                     id + R"(","5a5cdf00fa5e","x"]})", /* a trailing argument */
	             std::string(R"({"path":"/proc/2879/exe","args":["libnetwork-setkey"]})"),
	             std::string(R"({"path":"/proc/2879/exe","args":["sh","-c","id"]})"),
	             std::string(R"({"path":"/proc/2879/exe"})"),
	     }) {
		INFO(hook);
		auto r = run("P12.hooks", hookSpec(hook), h, call(id));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(count(r, Action::Mutate) == 0);
	}
	/* Offline, {id} is any ID but still one path-safe component. */
	CHECK(count(run("P12.hooks", hookSpec(setkey("/proc/2879/exe", "abc")), h, call("")),
	            Action::Deny) == 0);
	CHECK(count(run("P12.hooks", hookSpec(setkey("/proc/2879/exe", "../x")), h, call("")),
	            Action::Deny) == 1);
	/* A pattern language without wildcards: {{ is a brace, unknown placeholders and
	 * the old args0 key are policy errors. */
	auto with = [&](const std::string &entry) {
		return run("P12.hooks", hookSpec(R"({"path":"/usr/bin/dockerd","args":["a{b"]})"),
		           h, call(id), J(R"({"allowedHooks":[)" + entry + "]}"));
	};
	CHECK(count(with(R"({"path":"/usr/bin/dockerd","args":["a{{b"]})"), Action::Deny) == 0);
	for (const char *bad :
	     {R"({"path":"/usr/bin/dockerd","args":["{*}"]})",
	      R"({"path":"/usr/bin/dockerd","args":["{hex:0}"]})",
	      R"({"path":"/usr/bin/dockerd","args":["{id"]})",
	      R"({"path":"/usr/bin/dockerd","args0":"x","args":[]})",
	      R"({"path":"/usr/bin/dockerd"})",
	      R"({"path":"/usr/bin/dockerd","args":[],"stages":["startContainer"]})",
	      R"({"path":"/usr/bin/dockerd","args":[],"stages":["preStart"]})"}) {
		INFO(bad);
		CHECK_THROWS_AS(with(bad), Error);
	}
}

TEST_CASE("P12.hooks denies unknown hooks and lookalikes", "[rules][P12]")
{
	FakeHost h = dockerdHost();
	ino_t ino = 900;
	rootDirs(h, "/usr/local/bin/evil", ino);
	h.file("/usr/local/bin/evil", 8, 800, S_IFREG | 0755);
	h.link("/proc/31337/exe", "/usr/local/bin/evil");
	h.file("/tmp/dockerd", 8, 801, S_IFREG | 0755);
	const std::string id = kDockerId;
	for (const std::string &hook :
	     {setkey("/usr/local/bin/evil", id), setkey("/proc/31337/exe", id),
	      setkey("/proc/4040/exe", id), setkey("/tmp/dockerd", id)}) {
		INFO(hook);
		auto r = run("P12.hooks", hookSpec(hook), h, call(id));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(count(r, Action::Mutate) == 0);
	}
	/* The allowlisted hook in a stage it is not allowed in. */
	CHECK(count(run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id), "poststart"), h,
	                call(id)),
	            Action::Deny) == 1);
	/* A hard link of dockerd in a root-only directory is dockerd (same device+inode),
	 * and runc gets it as judged. */
	rootDirs(h, "/opt/dockerd-copy", ino);
	h.file("/opt/dockerd-copy", 8, 700, S_IFREG | 0755);
	auto r = run("P12.hooks", hookSpec(setkey("/opt/dockerd-copy", id)), h, call(id));
	CHECK(count(r, Action::Deny) == 0);
	CHECK(at(r, "/hooks/prestart/0/path") == R"("/opt/dockerd-copy")");
	CHECK(count(run("P12.hooks", J(R"({"hooks":{"preStart":[{"path":"/bin/true"}]}})"), h,
	                call(id)),
	            Action::Deny) == 1);
	/* dockerd replaced on disk while running: /proc/PID/exe names a deleted file. */
	FakeHost up = dockerdHost();
	up.link("/proc/2879/exe", "/usr/bin/dockerd (deleted)");
	up.files["/usr/bin/dockerd (deleted)"] = up.files["/usr/bin/dockerd"];
	up.files["/usr/bin/dockerd"].id.ino = 701;
	auto d = run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id)), up, call(id));
	INFO(dump(d));
	CHECK(count(d, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(d, "replaced since it started"));
}

TEST_CASE("P12.hooks refuses a hook anyone but root could redirect", "[rules][P12]")
{
	const std::string id = kDockerId;
	SECTION("a link in a world-writable directory, pointing at dockerd")
	{
		FakeHost h = dockerdHost();
		h.file("/tmp", 8, 50, S_IFDIR | 01777);
		h.file("/tmp/hook", 8, 51, S_IFLNK | 0777);
		h.link("/tmp/hook", "/usr/bin/dockerd");
		auto r = run("P12.hooks", hookSpec(setkey("/tmp/hook", id)), h, call(id));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(r.findings.at(0).pointer == "/hooks/prestart/0/path");
		CHECK(mentionsOrRemedy(r, "/tmp is writable by group or others (mode 1777)"));
		CHECK(at(r, "/hooks/prestart/0/path") == R"("/tmp/hook")");
	}
	SECTION("a link owned by a user, in a root-only directory")
	{
		FakeHost h = dockerdHost();
		h.file("/srv", 8, 50, S_IFDIR | 0755);
		h.file("/srv/hook", 8, 51, S_IFLNK | 0777, 1000, 1000);
		h.link("/srv/hook", "/usr/bin/dockerd");
		CHECK(mentionsOrRemedy(
		        run("P12.hooks", hookSpec(setkey("/srv/hook", id)), h, call(id)),
		        "/srv/hook is owned by uid 1000"));
	}
	SECTION("the target in a group-writable directory")
	{
		FakeHost h = dockerdHost();
		h.files["/usr/bin"].mode = S_IFDIR | 0775;
		auto r = run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id)), h, call(id));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(mentionsOrRemedy(r, "/usr/bin is writable by group or others (mode 0775)"));
	}
	SECTION("the target itself writable, or owned by a user")
	{
		FakeHost h = dockerdHost();
		h.files["/usr/bin/dockerd"].mode = S_IFREG | 0757;
		CHECK(count(run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id)), h, call(id)),
		            Action::Deny) == 1);
		h.files["/usr/bin/dockerd"].mode = S_IFREG | 0755;
		h.files["/usr/bin/dockerd"].uid = 1000;
		CHECK(count(run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id)), h, call(id)),
		            Action::Deny) == 1);
	}
	SECTION("/proc/PID of a process that is not root's")
	{
		FakeHost h = dockerdHost();
		h.files["/proc/2879"].uid = 1000;
		CHECK(count(run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id)), h, call(id)),
		            Action::Deny) == 1);
	}
	SECTION("a directory that cannot be inspected")
	{
		FakeHost h = dockerdHost();
		h.files.erase("/usr");
		CHECK(mentionsOrRemedy(
		        run("P12.hooks", hookSpec(setkey("/proc/2879/exe", id)), h, call(id)),
		        "/usr cannot be inspected"));
	}
}

TEST_CASE("P12.hooks replaces an inherited or injected environment", "[rules][P12]")
{
	auto params = J(
	        R"({"allowedHooks":[{"path":"/usr/bin/nvidia-container-runtime-hook",)"
	        R"("args":["nvidia-container-runtime-hook","prestart"],"env":["PATH=/usr/bin"]}]})");
	FakeHost h = dockerdHost();
	h.file("/usr/bin/nvidia-container-runtime-hook", 8, 900, S_IFREG | 0755);
	auto doc = hookSpec(
	        R"({"path":"/usr/bin/nvidia-container-runtime-hook","args":["nvidia-container-runtime-hook","prestart"],"env":["LD_PRELOAD=/tmp/x.so","PATH=/usr/bin"]})",
	        "createContainer");
	auto r = run("P12.hooks", doc, h, call("c"), params);
	INFO(dump(r));
	CHECK(count(r, Action::Mutate) == 1);
	CHECK(at(r, "/hooks/createContainer/0/env") == R"(["PATH=/usr/bin"])");
	checkConverges("P12.hooks", r, h, call("c"), params);
	/* A hook without args runs with argv {path}: the rewrite keeps that argv[0]. */
	FakeHost l = h;
	l.file("/usr/lib", 8, 903, S_IFDIR | 0755);
	l.file("/usr/lib/nvidia", 8, 901, S_IFDIR | 0755);
	l.file("/usr/lib/nvidia/hook", 8, 902, S_IFLNK | 0777);
	l.link("/usr/lib/nvidia/hook", "/usr/bin/nvidia-container-runtime-hook");
	auto p2 = J(R"({"allowedHooks":[{"path":"/usr/bin/nvidia-container-runtime-hook",)"
	            R"("args":["/usr/lib/nvidia/hook"]}]})");
	auto n = run("P12.hooks", hookSpec(R"({"path":"/usr/lib/nvidia/hook"})"), l, call("c"), p2);
	INFO(dump(n));
	CHECK(count(n, Action::Deny) == 0);
	CHECK(at(n, "/hooks/prestart/0/path") == R"("/usr/bin/nvidia-container-runtime-hook")");
	CHECK(at(n, "/hooks/prestart/0/args") == R"(["/usr/lib/nvidia/hook"])");
	checkConverges("P12.hooks", n, l, call("c"), p2);
	/* The default allowlist no longer applies when a policy names its own. */
	CHECK(count(run("P12.hooks", fixture("docker-20.10-default.json"), dockerdHost(),
	                call(kDockerId), params),
	            Action::Deny) == 1);
	/* A bad parameter is a policy error, not a finding. */
	CHECK_THROWS_AS(run("P12.hooks", doc, h, call("c"),
	                    J(R"({"allowedHooks":[{"path":"relative","args":[]}]})")),
	                Error);
}

/* ------------------------------------------------------------------ annotations */

TEST_CASE("annotations.runtime removes annotations the runtime acts on", "[rules]")
{
	auto doc = J(
	        R"({"annotations":{"run.oci.seccomp_bpf_data":"AAAA","io.kubernetes.pod.name":"web",)"
	        R"("run.oci.hooks.stdout":"/etc/shadow","dev.gvisor.flag.network":"host",)"
	        R"("io.katacontainers.config.hypervisor.kernel_params":"init=/bin/sh",)"
	        R"("org.criu.config":"/tmp/criu.conf","org.systemd.property.Delegate":"true"}})");
	auto r = run("annotations.runtime", doc, socketHost(), call("c"));
	INFO(dump(r));
	CHECK(count(r, Action::Mutate) == 6);
	CHECK(json::write(*r.doc.find("annotations")) == R"({"io.kubernetes.pod.name":"web"})");
	checkConverges("annotations.runtime", r, socketHost(), call("c"));
	auto denied = run("annotations.runtime", doc, socketHost(), call("c"), Value::object(),
	                  Action::Deny);
	CHECK(count(denied, Action::Deny) == 6);
	CHECK(denied.doc == doc);
	auto allowed = run("annotations.runtime", doc, socketHost(), call("c"),
	                   J(R"({"allowKeys":["org.systemd.property.Delegate"]})"));
	CHECK(count(allowed, Action::Mutate) == 5);
	CHECK(run("annotations.runtime", fixture("podman-4.3-default.json"), socketHost(),
	          call(kPodmanId))
	              .findings.empty());
	RuleResult bad;
	REQUIRE_NOTHROW(bad = run("annotations.runtime", J(R"({"annotations":{"a":1}})"),
	                          socketHost(), call("c")));
	CHECK(count(bad, Action::Deny) == 1);
}

/* ------------------------------------------------------------------ k8s.sandbox */

TEST_CASE("k8s.sandbox names pause containers explicitly", "[rules]")
{
	auto sandbox = J(
	        R"({"process":{"args":["/pause"]},"linux":{"resources":{}},)"
	        R"("annotations":{"io.kubernetes.cri.container-type":"sandbox",)"
	        R"("io.kubernetes.cri.sandbox-namespace":"kube-system","io.kubernetes.cri.sandbox-name":"dns",)"
	        R"("io.kubernetes.cri.sandbox-id":"c"}})");
	auto r = run("k8s.sandbox", sandbox, socketHost(), call("c"));
	INFO(dump(r));
	CHECK(count(r, Action::Mutate) == 1);
	CHECK(json::write(*json::get(r.doc, json::Pointer::parse("/linux/resources/memory"))) ==
	      R"({"limit":33554432})");
	checkConverges("k8s.sandbox", r, socketHost(), call("c"));
	auto audit = run("k8s.sandbox", sandbox, socketHost(), call("c"), Value::object(),
	                 Action::Audit);
	CHECK(count(audit, Action::Audit) == 2);
	/* the engine unknown: the pod the annotations name is not taken at its word */
	CHECK(mentionsOrRemedy(audit, "pod not proven"));
	CHECK(!mentionsOrRemedy(audit, "kube-system/dns"));
	/* containerd's CRI (offline: its keys as written) names it */
	policy::CallContext cri = call("c");
	cri.engine = engine::Kind::ContainerdCri;
	cri.offline = true;
	audit = run("k8s.sandbox", sandbox, socketHost(), cri, Value::object(), Action::Audit);
	CHECK(mentionsOrRemedy(audit, "kube-system/dns"));
	CHECK(audit.doc == sandbox);
	auto shell = sandbox;
	json::set(shell, json::Pointer::parse("/process/args/0"), Value::string("/bin/sh"));
	CHECK(count(run("k8s.sandbox", shell, socketHost(), call("c")), Action::Deny) == 1);
	CHECK(run("k8s.sandbox", fixture("docker-20.10-default.json"), socketHost(), call("c"))
	              .findings.empty());
}

/* ------------------------------------------------------------------ P5 */

namespace {

/* A host where the bundle's rootfs is reachable by anyone. */
FakeHost bundleHost()
{
	FakeHost h = socketHost();
	h.file("/bundles", 8, 40, S_IFDIR | 0755);
	h.file("/bundles/b", 8, 41, S_IFDIR | 0711);
	h.file("/bundles/b/rootfs", 8, 42, S_IFDIR | 0755);
	for (const char *d : {"/proc", "/dev", "/sys"})
		h.file(std::string("/bundles/b/rootfs") + d, 8, 43, S_IFDIR | 0755);
	return h;
}

FakeHost dockerHost()
{
	FakeHost h = socketHost();
	const std::string layer =
	        "/var/lib/docker/overlay2/"
	        "54149c42df0f572766fc36bfdfd2ab37b61aed5666bc796a431b9c56e8a0ea3e";
	h.file("/var/lib", 8, 50, S_IFDIR | 0755);
	h.file("/var/lib/docker", 8, 51, S_IFDIR | 0710);
	h.file("/var/lib/docker/overlay2", 8, 52, S_IFDIR | 0710);
	h.file(layer, 8, 53, S_IFDIR | 0710);
	h.file(layer + "/merged", 8, 54, S_IFDIR | 0755);
	h.file("/var/lib/docker/containers", 8, 55, S_IFDIR | 0710);
	const std::string dir = std::string("/var/lib/docker/containers/") + kDockerId;
	h.file(dir, 8, 56, S_IFDIR | 0710);
	for (const char *f : {"/hosts", "/hostname", "/resolv.conf"})
		h.file(dir + f, 8, 57, S_IFREG | 0644);
	return h;
}

} // namespace

TEST_CASE("P5.userns refuses Docker's default spec with the remedy", "[rules][P5]")
{
	auto doc = fixture("docker-20.10-default.json");
	auto r = run("P5.userns", doc, dockerHost(), call(kDockerId));
	INFO(dump(r));
	CHECK(count(r, Action::Deny) >= 1);
	CHECK(count(r, Action::Mutate) == 0);
	CHECK(mentionsOrRemedy(r, "0710"));
	CHECK(mentionsOrRemedy(r, "dockerd --userns-remap=default"));
	CHECK(!mentionsOrRemedy(r, "hostUsers: false")); /* the remedy names this engine's knob */
	CHECK(r.doc == doc);
	/* Podman's and Kubernetes' specs get theirs. */
	auto pod =
	        run("P5.userns", fixture("podman-4.3-default.json"), socketHost(), call(kPodmanId));
	CHECK(mentionsOrRemedy(pod, "podman run --userns=auto"));
	CHECK(!mentionsOrRemedy(pod, "dockerd"));
	Value k8s = fixture("runc-spec-default.json");
	k8s.set("annotations", J(R"({"io.kubernetes.cri.container-type":"container"})"));
	auto kr = run("P5.userns", k8s, socketHost(), call("c"));
	CHECK(mentionsOrRemedy(kr, "hostUsers: false"));
	/* Where the host cannot be inspected, it fails closed too. */
	CHECK(count(run("P5.userns", doc, socketHost(), call(kDockerId)), Action::Deny) >= 1);
}

namespace {

/* A host with accounts, login.defs and the engines' subordinate ranges, and
 * the per-container files of the shipped remap and uidmap specs. */
FakeHost accountsHost()
{
	FakeHost h = socketHost();
	h.rootText("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
	                          "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	                          "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
	                          "dockremap:x:999:995::/home/dockremap:/bin/false\n"
	                          "svc:x:250000:250000::/srv:/bin/false\n");
	h.rootText("/etc/group", "root:x:0:\nalice:x:1000:\ndockremap:x:995:\nsvc:x:250000:\n"
	                         "ops:x:400123:alice\n");
	h.rootText("/etc/login.defs", "# shadow\nUID_MIN 1000\nSUB_UID_MIN\t\t100000\n"
	                              "SUB_GID_MIN 100000\n");
	h.rootText("/etc/subuid", "dockremap:100000:65536\ncontainers:300000:65536\n"
	                          "alice:165536:65536\n");
	h.rootText("/etc/subgid", "dockremap:100000:65536\ncontainers:300000:65536\n"
	                          "alice:165536:65536\n");
	const std::string remap =
	        "/var/lib/docker/100000.100000/containers/"
	        "457d698cbd9771a883fa7ad66d02f3221d7a09703ea9e2ab18a6bdde5d8d9e32/";
	for (const char *f : {"hosts", "hostname", "resolv.conf"})
		h.file(remap + f, 8, 600, S_IFREG | 0644, 100000, 100000);
	const std::string id = "85dbcc60dfa52f876d50201e260625051789e36cb79400b5db13b8ef3d131be7";
	for (const char *f : {"hosts", ".containerenv", "hostname"})
		h.file("/run/containers/storage/overlay-containers/" + id + "/userdata/" + f, 8,
		       601, S_IFREG | 0644, 300000, 300000);
	h.file("/var/lib/containers/storage/overlay-containers/" + id + "/userdata/shm", 8, 602,
	       S_IFDIR | 01777, 300000, 300000);
	return h;
}

policy::CallContext engineCall(engine::Kind kind, const std::string &id = "c")
{
	return policy::CallContext{id, "/bundles/b", "create", kind};
}

/* An engine's user namespace mapping container 0-N onto HOST. */
Value mapped(uint64_t host, uint64_t size, const std::string &extra = "")
{
	std::string m = R"([{"containerID":0,"hostID":)" + std::to_string(host) + R"(,"size":)" +
	                std::to_string(size) + "}]";
	return J(R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0}},)" + extra +
	         R"("linux":{"namespaces":[{"type":"user"},{"type":"mount"}],"uidMappings":)" + m +
	         R"(,"gidMappings":)" + m + "}}");
}

} // namespace

TEST_CASE("P5.userns checks, never rewrites, an engine's mappings", "[rules][P5]")
{
	/* The shipped remap and uidmap specs pass where /etc/subuid holds their
	 * ranges for the engine's user. */
	struct
	{
		const char *file;
		engine::Kind kind;
		const char *id;
	} shipped[] = {
	        {"docker-20.10-userns-remap.json", engine::Kind::Docker,
	         "457d698cbd9771a883fa7ad66d02f3221d7a09703ea9e2ab18a6bdde5d8d9e32"},
	        {"podman-4.3-uidmap.json", engine::Kind::Podman,
	         "85dbcc60dfa52f876d50201e260625051789e36cb79400b5db13b8ef3d131be7"},
	};
	for (const auto &f : shipped) {
		INFO(f.file);
		auto doc = fixture(f.file);
		auto r = run("P5.userns", doc, accountsHost(), engineCall(f.kind, f.id));
		INFO(dump(r));
		CHECK(r.findings.empty());
		CHECK(r.doc == doc);
	}
	/* Podman's 300000 is no range of dockremap's, nor of an unknown engine's. */
	auto wrongUser =
	        run("P5.userns", fixture("podman-4.3-uidmap.json"), accountsHost(),
	            engineCall(engine::Kind::Docker,
	                       "85dbcc60dfa52f876d50201e260625051789e36cb79400b5db13b8ef3d131be7"));
	CHECK(count(wrongUser, Action::Deny) == 2);
	CHECK(mentionsOrRemedy(wrongUser, "subordinate ranges of dockremap"));
	auto unknown =
	        run("P5.userns", fixture("podman-4.3-uidmap.json"), accountsHost(),
	            call("85dbcc60dfa52f876d50201e260625051789e36cb79400b5db13b8ef3d131be7"));
	CHECK(count(unknown, Action::Deny) == 2);
	CHECK(mentionsOrRemedy(unknown, "no engine user is known"));
	/* ... unless the policy names the user or the range. */
	CHECK(run("P5.userns", mapped(300000, 65536), accountsHost(), call("c"),
	          J(R"({"subordinateUsers":["containers"]})"))
	              .findings.empty());
	CHECK(run("P5.userns", mapped(300000, 65536), accountsHost(), call("c"),
	          J(R"({"hostRanges":["300000:65536"]})"))
	              .findings.empty());
	CHECK(count(run("P5.userns", mapped(300000, 65537), accountsHost(), call("c"),
	                J(R"({"hostRanges":["300000:65536"]})")),
	            Action::Deny) == 2);
	CHECK_THROWS_AS(run("P5.userns", mapped(300000, 1), accountsHost(), call("c"),
	                    J(R"({"hostRanges":["300000-365535"]})")),
	                Error);

	auto rootless =
	        run("P5.userns", fixture("runc-spec-rootless.json"), socketHost(), call("c"));
	INFO(dump(rootless));
	CHECK(count(rootless, Action::Deny) >= 2); /* uid and gid map host 0 */
	CHECK(mentionsOrRemedy(rootless, "host ID 0"));
	auto wide = J(
	        R"({"linux":{"namespaces":[{"type":"user"}],)"
	        R"("uidMappings":[{"containerID":0,"hostID":100000,"size":65536},{"containerID":65536,"hostID":0,"size":1}],)"
	        R"("gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}})");
	CHECK(count(run("P5.userns", wide, socketHost(), call("c")), Action::Deny) == 1);
	auto none = J(R"({"linux":{"namespaces":[{"type":"user"}]}})");
	CHECK(count(run("P5.userns", none, socketHost(), call("c")), Action::Deny) == 2);
	auto bad = J(
	        R"({"linux":{"namespaces":[{"type":"user"}],"uidMappings":[{"containerID":0,"hostID":-1,"size":1}],"gidMappings":[]}})");
	RuleResult m;
	REQUIRE_NOTHROW(m = run("P5.userns", bad, socketHost(), call("c")));
	CHECK(count(m, Action::Deny) >= 1);
	auto joined = J(R"({"linux":{"namespaces":[{"type":"user","path":"/proc/77/ns/user"}]}})");
	CHECK(count(run("P5.userns", joined, socketHost(), call("c")), Action::Deny) == 1);
	/* With the joined namespace's own maps readable, they are what counts. */
	FakeHost h = socketHost();
	h.idMaps[{77, false}] = "         0     100000      65536\n";
	h.idMaps[{77, true}] = "         0     100000      65536\n";
	auto good = run("P5.userns", joined, h, call("c"));
	INFO(dump(good));
	CHECK(good.findings.empty());
	h.idMaps[{77, false}] = "         0          0 4294967295\n"; /* the host's own */
	CHECK(count(run("P5.userns", joined, h, call("c")), Action::Deny) == 1);
	h.idMaps[{77, true}] = "";
	CHECK(count(run("P5.userns", joined, h, call("c")), Action::Deny) == 2);
	h.idMaps[{77, true}] = "garbage\n";
	CHECK(count(run("P5.userns", joined, h, call("c")), Action::Deny) == 2);
	/* Joined maps unreadable and only the uid map in the spec: the gid map
	 * is unknown. */
	auto half = J(R"({"linux":{"namespaces":[{"type":"user","path":"/proc/78/ns/user"}],)"
	              R"("uidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}})");
	auto hr = run("P5.userns", half, h, call("c"));
	CHECK(count(hr, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(hr, "cannot check"));
}

TEST_CASE("P5.userns refuses an engine mapping onto host accounts", "[rules][P5]")
{
	FakeHost h = accountsHost();
	const auto docker = engineCall(engine::Kind::Docker);
	/* Container users made the host's real accounts: alice's uid 1000. */
	auto alice = run("P5.userns", mapped(1000, 1), h, docker);
	INFO(dump(alice));
	CHECK(count(alice, Action::Deny) == 2);
	CHECK(mentionsOrRemedy(alice, "host uid 1000 is account alice (/etc/passwd)"));
	CHECK(mentionsOrRemedy(alice, "host gid 1000 is group alice (/etc/group)"));
	CHECK(mentionsOrRemedy(alice, "below SUB_UID_MIN 100000"));
	CHECK(mentionsOrRemedy(alice, "outside the subordinate ranges of dockremap"));
	CHECK(alice.findings.at(0).pointer == "/linux/uidMappings/0/hostID");
	/* Anything from 1 up to 65535, one ID or the whole block. */
	for (uint64_t host : {1ull, 999ull, 65534ull})
		CHECK(count(run("P5.userns", mapped(host, 1), h, docker), Action::Deny) == 2);
	CHECK(count(run("P5.userns", mapped(1, 65535), h, docker), Action::Deny) == 2);
	/* An account above SUB_UID_MIN inside a range, even a subordinate one. */
	FakeHost svc = h;
	svc.rootText("/etc/subuid", "dockremap:100000:200000\n");
	svc.rootText("/etc/subgid", "dockremap:100000:400000\n");
	auto inside = run("P5.userns", mapped(200000, 65536), svc, docker);
	INFO(dump(inside));
	CHECK(count(inside, Action::Deny) == 2);
	CHECK(mentionsOrRemedy(inside, "host uid 250000 is account svc"));
	CHECK(mentionsOrRemedy(inside, "host gid 250000 is the primary group of svc"));
	/* Another user's subordinate range is not the engine's. */
	auto others = run("P5.userns", mapped(165536, 65536), h, docker);
	CHECK(count(others, Action::Deny) == 2);
	/* A lower SUB_UID_MIN counts; a garbled one fails closed. */
	FakeHost low = h;
	low.rootText("/etc/login.defs", "SUB_UID_MIN 50000\nSUB_GID_MIN 50000\n");
	low.rootText("/etc/subuid", "dockremap:50000:10000\n");
	low.rootText("/etc/subgid", "dockremap:50000:10000\n");
	CHECK(run("P5.userns", mapped(50000, 10000), low, docker).findings.empty());
	low.rootText("/etc/login.defs", "SUB_UID_MIN 0x10\n");
	CHECK(count(run("P5.userns", mapped(50000, 10000), low, docker), Action::Deny) == 2);
	/* Account files that exist but cannot be trusted fail closed. */
	for (const char *f : {"/etc/passwd", "/etc/group", "/etc/subuid", "/etc/login.defs"}) {
		INFO(f);
		FakeHost bad = h;
		bad.rootFiles.erase(f); /* still there, no longer root's */
		auto r = run("P5.userns", fixture("docker-20.10-userns-remap.json"), bad,
		             engineCall(engine::Kind::Docker, "457d698cbd9771a883fa7ad66d02f3221d7a"
		                                              "09703ea9e2ab18a6bdde5d8d9e32"));
		CHECK(count(r, Action::Deny) == 2);
		CHECK(mentionsOrRemedy(r, std::string(f) + " exists but"));
	}
	FakeHost nis = h;
	nis.rootText("/etc/passwd", "root:x:0:0::/root:/bin/sh\n+::::::\n");
	CHECK(count(run("P5.userns", mapped(100000, 65536), nis, docker), Action::Deny) == 2);
	/* The joined namespace's own map is judged the same way. */
	auto joined = J(R"({"linux":{"namespaces":[{"type":"user","path":"/proc/77/ns/user"}]}})");
	h.idMaps[{77, false}] = "0 1000 1\n";
	h.idMaps[{77, true}] = "0 300000 65536\n";
	auto j = run("P5.userns", joined, h, docker);
	INFO(dump(j));
	CHECK(count(j, Action::Deny) == 2);
	CHECK(mentionsOrRemedy(j, "the uid_map of /proc/77/ns/user"));
	CHECK(mentionsOrRemedy(j, "account alice"));
}

TEST_CASE("P5.userns: the feasibility checks run for an engine's mapping", "[rules][P5]")
{
	FakeHost h = accountsHost();
	h.file("/home/alice", 8, 700, S_IFDIR | 0755, 1000, 1000);
	h.file("/srv/ctr", 8, 701, S_IFDIR | 0755, 100000, 100000);
	const auto docker = engineCall(engine::Kind::Docker);
	auto bind = [](const char *src) {
		return std::string(R"("mounts":[{"destination":"/data","type":"bind","source":")") +
		       src + R"(","options":["rbind"]}],)";
	};
	/* A host directory the mapping does not own. */
	auto home = run("P5.userns", mapped(100000, 65536, bind("/home/alice")), h, docker);
	INFO(dump(home));
	CHECK(count(home, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(home, "the engine's user namespace"));
	CHECK(mentionsOrRemedy(home, "nobody:nogroup"));
	CHECK(home.findings.at(0).pointer == "/mounts/0/source");
	/* One the mapped range owns. */
	CHECK(run("P5.userns", mapped(100000, 65536, bind("/srv/ctr")), h, docker)
	              .findings.empty());
	/* Unmapped, but the engine's choice: readable files (Docker's remapped
	 * hosts and resolv.conf below a moved data-root stay root's) and
	 * directories bound read-only pass; what the mapped root cannot read
	 * does not. */
	h.file("/data/docker/containers/x/hosts", 8, 703, S_IFREG | 0644);
	h.file("/data/docker/containers/x/secret", 8, 704, S_IFREG | 0600);
	h.file("/srv/ro", 8, 705, S_IFDIR | 0755);
	h.file("/srv/closed", 8, 706, S_IFDIR | 0700);
	CHECK(run("P5.userns", mapped(100000, 65536, bind("/data/docker/containers/x/hosts")), h,
	          docker)
	              .findings.empty());
	CHECK(count(run("P5.userns",
	                mapped(100000, 65536, bind("/data/docker/containers/x/secret")), h, docker),
	            Action::Deny) == 1);
	auto roBind = [](const char *src) {
		return std::string(R"("mounts":[{"destination":"/data","type":"bind","source":")") +
		       src + R"(","options":["rbind","rw","ro"]}],)";
	};
	CHECK(run("P5.userns", mapped(100000, 65536, roBind("/srv/ro")), h, docker)
	              .findings.empty());
	auto closed = run("P5.userns", mapped(100000, 65536, roBind("/srv/closed")), h, docker);
	CHECK(count(closed, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(closed, "not readable by the mapped root"));
	h.file("/srv/shared", 8, 707, S_IFDIR | 01777); /* world-writable: writable inside */
	CHECK(run("P5.userns", mapped(100000, 65536, bind("/srv/shared")), h, docker)
	              .findings.empty());
	/* A process user the mapping does not map. */
	Value user = mapped(100000, 10);
	json::set(user, json::Pointer::parse("/process/user/uid"), Value::number(uint64_t{1000}));
	auto u = run("P5.userns", user, h, docker);
	CHECK(count(u, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(u, "uid 1000 is outside the mapped range"));
	/* proc without a pid namespace of its own. */
	auto proc =
	        run("P5.userns",
	            mapped(100000, 65536,
	                   R"("mounts":[{"destination":"/proc","type":"proc","source":"proc"}],)"),
	            h, docker);
	CHECK(count(proc, Action::Deny) == 1);
	CHECK(mentionsOrRemedy(proc, "private pid namespace"));
}

TEST_CASE("P5.userns adds a user namespace where it is feasible", "[rules][P5]")
{
	auto doc = fixture("runc-spec-default.json");
	auto r = run("P5.userns", doc, bundleHost(), call("c", "/bundles/b"));
	INFO(dump(r));
	REQUIRE(count(r, Action::Mutate) == 1);
	CHECK(r.findings.size() == 1);
	const Value &linux = *r.doc.find("linux");
	CHECK(json::write(linux.find("namespaces")->items().back()) == R"({"type":"user"})");
	CHECK(json::write(*linux.find("uidMappings")) ==
	      R"([{"containerID":0,"hostID":100000,"size":65536}])");
	CHECK(*linux.find("gidMappings") == *linux.find("uidMappings"));
	/* devpts gid=5 is mapped and stays. */
	CHECK(json::write(*json::get(r.doc, json::Pointer::parse("/mounts/2/options/5"))) ==
	      R"("gid=5")");
	/* Everything else is untouched. */
	CHECK(json::diff(doc, r.doc).items().size() == 3);
	checkConverges("P5.userns", r, bundleHost(), call("c", "/bundles/b"));

	/* Parameters: another range; a range too small for gid 5 drops the option. */
	auto small = run("P5.userns", doc, bundleHost(), call("c", "/bundles/b"),
	                 J(R"({"hostIdStart":200000,"size":4})"));
	INFO(dump(small));
	REQUIRE(count(small, Action::Mutate) == 1);
	CHECK(json::write(*json::get(small.doc, json::Pointer::parse("/mounts/2/options"))) ==
	      R"(["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"])");
	checkConverges("P5.userns", small, bundleHost(), call("c", "/bundles/b"),
	               J(R"({"hostIdStart":200000,"size":4})"));
	/* Docker's net.ipv4.ping_group_range "0 2147483647" cannot be written in the
	 * namespace (runc: "invalid argument"): clamped to the mapped groups, whichever
	 * of P5.userns and sysctl.safe runs first. */
	Value ping = doc;
	ping.find("linux")->set("sysctl", J(R"({"net.ipv4.ping_group_range":"0 2147483647"})"));
	auto p = run("P5.userns", ping, bundleHost(), call("c", "/bundles/b"));
	INFO(dump(p));
	REQUIRE(count(p, Action::Mutate) == 1);
	CHECK(mentionsOrRemedy(p, "net.ipv4.ping_group_range clamped to \"0 65535\""));
	CHECK(json::write(*json::get(p.doc, json::Pointer::parse("/linux/sysctl"))) ==
	      R"({"net.ipv4.ping_group_range":"0 65535"})");
	checkConverges("P5.userns", p, bundleHost(), call("c", "/bundles/b"));
	CHECK(run("sysctl.safe", p.doc, bundleHost(), call("c", "/bundles/b"),
	          J(R"({"unprivilegedPorts":false})"))
	              .findings.empty());
	auto first = run("sysctl.safe", ping, bundleHost(), call("c", "/bundles/b"),
	                 J(R"({"unprivilegedPorts":false})"));
	CHECK(first.findings.empty()); /* no user namespace yet: the host's range is fine */
	CHECK(json::write(run("P5.userns", first.doc, bundleHost(), call("c", "/bundles/b")).doc) ==
	      json::write(p.doc));
	auto tiny = run("P5.userns", ping, bundleHost(), call("c", "/bundles/b"),
	                J(R"({"hostIdStart":200000,"size":4})"));
	CHECK(json::write(*json::get(tiny.doc, json::Pointer::parse("/linux/sysctl"))) ==
	      R"({"net.ipv4.ping_group_range":"0 3"})");
	/* add: false refuses instead. */
	CHECK(count(run("P5.userns", doc, bundleHost(), call("c", "/bundles/b"),
	                J(R"({"add":false})")),
	            Action::Deny) == 1);
	/* Under deny and audit nothing changes. */
	auto audit = run("P5.userns", doc, bundleHost(), call("c", "/bundles/b"), Value::object(),
	                 Action::Audit);
	CHECK(count(audit, Action::Audit) == 1);
	CHECK(audit.doc == doc);
}

TEST_CASE("P5.userns refuses where a user namespace would break the container", "[rules][P5]")
{
	FakeHost h = bundleHost();
	SECTION("host namespace joins")
	{
		auto r = run("P5.userns", fixture("docker-20.10-hostns-socket.json"), dockerHost(),
		             call("x"));
		INFO(dump(r));
		CHECK(mentionsOrRemedy(r, "/var/run/docker/netns/default"));
		CHECK(count(r, Action::Mutate) == 0);
	}
	SECTION("a bind-mounted host directory would turn nobody:nogroup")
	{
		Value doc = fixture("runc-spec-default.json");
		doc.find("mounts")->items().push_back(J(
		        R"({"destination":"/data","type":"bind","source":"/home/u/data","options":["rbind"]})"));
		h.file("/bundles/b/rootfs/data", 8, 45, S_IFDIR | 0755);
		auto r = run("P5.userns", doc, h, call("c", "/bundles/b"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(mentionsOrRemedy(r, "nobody:nogroup"));
		/* A directory owned by the mapped range is fine. */
		h.file("/home", 8, 499, S_IFDIR | 0755);
		h.file("/home/u", 8, 498, S_IFDIR | 0755, 1000, 1000);
		h.file("/home/u/data", 8, 500, S_IFDIR | 0755, 100000, 100000);
		auto ok = run("P5.userns", doc, h, call("c", "/bundles/b"));
		INFO(dump(ok));
		CHECK(count(ok, Action::Mutate) == 1);
	}
	SECTION("a rootfs below a directory the mapped root cannot traverse")
	{
		h.file("/bundles/b", 8, 41, S_IFDIR | 0700);
		auto r = run("P5.userns", fixture("runc-spec-default.json"), h,
		             call("c", "/bundles/b"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(mentionsOrRemedy(r, "/bundles/b is 0700"));
		/* ... unless the mapped root owns it. */
		h.file("/bundles/b", 8, 41, S_IFDIR | 0700, 100000, 0);
		CHECK(count(run("P5.userns", fixture("runc-spec-default.json"), h,
		                call("c", "/bundles/b")),
		            Action::Mutate) == 1);
	}
	SECTION("a mount point missing from the rootfs")
	{
		Value doc = fixture("runc-spec-default.json");
		doc.find("mounts")->items().push_back(
		        J(R"({"destination":"/run","type":"tmpfs","source":"tmpfs"})"));
		doc.find("mounts")->items().push_back(
		        J(R"({"destination":"/run/lock","type":"tmpfs","source":"tmpfs"})"));
		auto r = run("P5.userns", doc, h, call("c", "/bundles/b"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 1);
		CHECK(r.findings.at(0).pointer == "/mounts/7/destination");
		/* The remedy is the directory, not an engine's user namespace. */
		CHECK(r.findings.at(0).remedy.find("create /run in the image") == 0);
		CHECK(r.findings.at(0).remedy.find("userns") == std::string::npos);
		h.file("/bundles/b/rootfs/run", 8, 44, S_IFDIR | 0755);
		CHECK(count(run("P5.userns", doc, h, call("c", "/bundles/b")), Action::Mutate) ==
		      1);
	}
	SECTION("a process user outside the mapping")
	{
		Value doc = fixture("runc-spec-default.json");
		json::set(doc, json::Pointer::parse("/process/user/uid"),
		          Value::number(int64_t{70000}));
		auto r = run("P5.userns", doc, h, call("c", "/bundles/b"));
		CHECK(count(r, Action::Deny) == 1);
	}
	SECTION("proc without a pid namespace, sysfs without a network namespace")
	{
		Value doc = fixture("runc-spec-default.json");
		auto &ns = doc.find("linux")->find("namespaces")->items();
		ns.erase(ns.begin(), ns.begin() + 2); /* pid, network */
		auto r = run("P5.userns", doc, h, call("c", "/bundles/b"));
		INFO(dump(r));
		CHECK(count(r, Action::Deny) == 2);
	}
}

/* ------------------------------------------------------------------ all rules */

TEST_CASE("host rules never throw on malformed specs and converge on real specs", "[rules]")
{
	const char *rules[] = {"P8.namespaces",   "P10.engine-socket", "P10.sensitive-mount",
	                       "P10.propagation", "P10.bind-options",  "P10.proc-sys-mounts",
	                       "P11.devices",     "P12.hooks",         "annotations.runtime",
	                       "k8s.sandbox",     "P5.userns"};
	const char *bad[] = {
	        "[]",
	        "5",
	        R"({"mounts":5,"linux":[],"hooks":[],"annotations":[]})",
	        R"({"mounts":[5,{"source":1,"destination":[]},{"type":"bind"}]})",
	        R"({"mounts":[{"destination":"/x","type":"bind","source":"/a\u0000b"}]})",
	        R"({"linux":{"namespaces":[5],"resources":{"devices":[1]},"devices":{}}})",
	        R"({"hooks":{"prestart":[{"path":5}],"poststop":{}}})",
	        R"({"root":{"path":3},"process":{"user":{"uid":"0"}},"linux":{}})",
	        R"({"linux":{"uidMappings":{},"namespaces":[{"type":"user"}]}})",
	        R"({"annotations":{"io.kubernetes.cri.container-type":"sandbox"},"process":[]})",
	};
	for (const char *rule : rules)
		for (const char *b : bad) {
			INFO(rule << " on " << b);
			RuleResult r;
			REQUIRE_NOTHROW(r = run(rule, J(b), dockerdHost(), call("c")));
		}
	const char *specs[] = {"docker-20.10-default.json",       "docker-20.10-hardened.json",
	                       "docker-20.10-hostns-socket.json", "docker-20.10-privileged.json",
	                       "docker-20.10-userns-remap.json",  "containerd-1.6-ctr-default.json",
	                       "podman-4.3-default.json",         "podman-4.3-uidmap.json",
	                       "runc-spec-default.json",          "runc-spec-rootless.json"};
	for (const char *rule : rules)
		for (const char *s : specs) {
			INFO(rule << " on " << s);
			auto r = run(rule, fixture(s), dockerdHost(), call(""));
			checkConverges(rule, r, dockerdHost(), call(""));
		}
}
