#include "fixtures.h"

#include <string>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/spec.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using policy::Scope;

namespace {

/* The Error{Json} message spec::read gives, or "" when the document reads. */
std::string refusal(const std::string &text, Scope scope = Scope::Spec)
{
	try {
		(void)spec::read(text, "doc.json", scope);
		return "";
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Json);
		return e.what();
	}
}

const std::string kBase = R"("ociVersion": "1.0.2", "root": {"path": "rootfs"})";

std::string specWith(const std::string &members)
{
	return "{" + kBase + ", " + members + "}";
}

} // namespace

TEST_CASE("Go's key folding: ASCII case and the two runes that fold into ASCII", "[spec][fold]")
{
	CHECK(spec::goFoldEquals("Process", "process"));
	CHECK(spec::goFoldEquals("PROCESS", "process"));
	CHECK(spec::goFoldEquals("hoo\xe2\x84\xaa\xc5\xbf", "hooks")); /* U+212A, U+017F */
	CHECK(spec::goFoldEquals("\xc5\xbf"
	                         "eccomp",
	                         "seccomp"));
	CHECK(spec::goFoldEquals("process", "process"));
	CHECK_FALSE(spec::goFoldEquals("proces", "process"));
	CHECK_FALSE(spec::goFoldEquals("processs", "process"));
	CHECK_FALSE(spec::goFoldEquals("\xe2\x84\xaa", "s")); /* Kelvin is k only */
	CHECK_FALSE(spec::goFoldEquals("\xc5\xbf", "k"));     /* long s is s only */
	CHECK_FALSE(spec::goFoldEquals("\xc4\xb0"
	                               "d",
	                               "id")); /* U+0130 does not fold to i */
	CHECK_FALSE(spec::goFoldEquals("\xc4\xb1"
	                               "d",
	                               "id")); /* nor U+0131 */
	CHECK_FALSE(spec::goFoldEquals("user_", "user"));
	CHECK_FALSE(spec::goFoldEquals("us-er", "us_er"));
}

TEST_CASE("a key that folds to a field is refused at any depth, naming the place", "[spec][fold]")
{
	struct Case
	{
		std::string doc;
		std::string pointer;
	};
	const std::vector<Case> cases = {
	        {specWith(R"("process": {"args": ["sh"], "cwd": "/"}, "Process": {})"), "/Process"},
	        {specWith(R"("HOOKS": {})"), "/HOOKS"},
	        {specWith("\"hoo\\u212a\\u017f\": {}"), "/hoo\xe2\x84\xaa\xc5\xbf"},
	        {specWith(R"("process": {"User": {"uid": 0}})"), "/process/User"},
	        {specWith(R"("process": {"user": {"UID": 0}})"), "/process/user/UID"},
	        {specWith(
	                 R"("linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}, "Seccomp": null})"),
	         "/linux/Seccomp"},
	        {specWith(R"("linux": {"resources": {"memory": {"Limit": -1}}})"),
	         "/linux/resources/memory/Limit"},
	        {specWith(R"("mounts": [{"destination": "/x"}, {"Source": "/"}])"),
	         "/mounts/1/Source"},
	        {specWith(R"("hooks": {"prestart": [{"Path": "/bin/sh"}]})"),
	         "/hooks/prestart/0/Path"},
	        {R"({"ociVersion": "1.0.2", "root": {"path": "rootfs", "readOnly": false}})",
	         "/root/readOnly"},
	        {specWith(R"("linux": {"namespaces": [{"Type": "user"}]})"),
	         "/linux/namespaces/0/Type"},
	        {specWith(
	                 R"("linux": {"uidMappings": [{"hostid": 0, "containerID": 0, "size": 1}]})"),
	         "/linux/uidMappings/0/hostid"},
	        {specWith(R"("process": {"capabilities": {"Bounding": ["CAP_SYS_ADMIN"]}})"),
	         "/process/capabilities/Bounding"},
	        {specWith(
	                 R"("linux": {"seccomp": {"syscalls": [{"names": ["mount"], "Action": "SCMP_ACT_ALLOW"}]}})"),
	         "/linux/seccomp/syscalls/0/Action"},
	        {specWith(R"("linux": {"resources": {"pids": {"LIMIT": -1}}})"),
	         "/linux/resources/pids/LIMIT"},
	        {specWith(R"("linux": {"cgroupspath": "/"})"), "/linux/cgroupspath"},
	        {specWith(R"("Annotations": {})"), "/Annotations"},
	};
	for (const auto &c : cases) {
		INFO(c.doc);
		const std::string msg = refusal(c.doc);
		REQUIRE(!msg.empty());
		CHECK(msg.find(json::Pointer().str()) != std::string::npos);
		CHECK(msg.find("doc.json:1:") == 0);
		CHECK(msg.find("is read by runc as") != std::string::npos);
	}
	/* the message escapes the look-alike runes */
	CHECK(refusal(specWith("\"hoo\\u212a\\u017f\": {}")).find("hoo\\u212a\\u017f") !=
	      std::string::npos);
	/* the same keys in the process and resources documents */
	CHECK(!refusal(R"({"args": ["sh"], "cwd": "/", "USER": {"uid": 0}})", Scope::Process)
	               .empty());
	CHECK(!refusal(R"({"memory": {"limit": 1}, "Pids": {"limit": -1}})", Scope::Resources)
	               .empty());
	CHECK(refusal(R"({"args": ["sh"], "user": {"Uid": 0}})", Scope::Process)
	              .find("/user/Uid") != std::string::npos);
}

TEST_CASE("keys that are data, and keys runc ignores, are kept", "[spec][fold]")
{
	/* map keys are data: any spelling */
	CHECK(refusal(specWith(R"("annotations": {"Process": "x", "HOOKS": "y"},
		"linux": {"sysctl": {"Net.IPv4.ip_forward": "0"}, "resources": {"unified": {"Memory.Max": "1"},
		"rdma": {"MLX": {"hcaHandles": 1}}}})"))
	              .empty());
	/* unknown keys fold to no field: runc ignores them, so do the rules */
	json::Value v = spec::read(
	        specWith(
	                R"("vendorExtension": {"Process": 1}, "process": {"args": ["sh"], "x-user": 0})"),
	        "doc.json", Scope::Spec);
	CHECK(v.find("vendorExtension"));
	/* but a struct inside a map is still a struct */
	CHECK(!refusal(specWith(R"("linux": {"resources": {"rdma": {"mlx": {"HcaHandles": 1}}}})"))
	               .empty());
}

TEST_CASE("Go's types: ranges, integer syntax, arrays, objects", "[spec][types]")
{
	const std::vector<std::string> bad = {
	        R"("process": {"user": {"uid": "0"}})",
	        R"("process": {"user": {"uid": -1}})",
	        R"("process": {"user": {"uid": 4294967296}})",
	        R"("process": {"user": {"uid": 1.0}})",
	        R"("process": {"user": {"uid": 1e3}})",
	        R"("process": {"user": {"uid": -0}})",
	        R"("process": {"user": {"additionalGids": [0, "1"]}})",
	        R"("process": {"terminal": "true"})",
	        R"("process": {"noNewPrivileges": 1})",
	        R"("process": {"args": "sh"})",
	        R"("process": {"oomScoreAdj": 9223372036854775808})",
	        R"("process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551616}]})",
	        R"("process": [])",
	        R"("mounts": {})",
	        R"("mounts": [{"destination": 5}])",
	        R"("hooks": [])",
	        R"("hooks": {"prestart": [{"path": "/x", "timeout": 1.5}]})",
	        R"("annotations": {"a": 1})",
	        R"("annotations": [])",
	        R"("linux": {"resources": {"blockIO": {"weight": 65536}}})",
	        R"("linux": {"resources": {"cpu": {"shares": -1}}})",
	        R"("linux": {"resources": {"pids": {"limit": "max"}}})",
	        R"("linux": {"resources": {"unified": {"memory.max": 1}}})",
	        R"("linux": {"namespaces": {"type": "pid"}})",
	        R"("linux": {"seccomp": {"syscalls": [{"names": ["mount"], "args": [{"index": -1}]}]}})",
	        R"("linux": "x")",
	};
	for (const auto &b : bad) {
		INFO(b);
		const std::string msg = refusal(specWith(b));
		CHECK(msg.find("expected, got") != std::string::npos);
	}
	CHECK(refusal(R"({"root": {"path": "rootfs", "readonly": "false"}})")
	              .find("/root/readonly: bool expected, got string") != std::string::npos);
	const std::vector<std::string> good = {
	        R"("process": {"user": {"uid": 4294967295, "gid": 0}, "oomScoreAdj": -1000})",
	        R"("process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 0}]})",
	        R"("linux": {"resources": {"memory": {"limit": -1, "swap": 9223372036854775807}, "pids": {"limit": -9223372036854775808}}})",
	        R"("linux": {"resources": {"blockIO": {"weight": 65535, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}]}}})",
	        R"("windows": {"anything": [1, "x", null]}, "solaris": 5)",
	};
	for (const auto &g : good) {
		INFO(g);
		CHECK(refusal(specWith(g)).empty());
	}
}

TEST_CASE("null means absent for a field, and is refused where Go stores a zero", "[spec][null]")
{
	CHECK(refusal(specWith(R"("process": null, "hooks": null, "linux": {"seccomp": null})"))
	              .empty());
	CHECK(refusal(specWith(R"("process": {"user": {"uid": null}})")).empty());
	for (const char *b :
	     {R"("process": {"user": {"additionalGids": [null]}})",
	      R"("process": {"args": [null]})", R"("mounts": [null])",
	      R"("annotations": {"a": null})", R"("linux": {"sysctl": {"kernel.x": null}})",
	      R"("process": {"capabilities": {"bounding": [null]}})"}) {
		INFO(b);
		CHECK(refusal(specWith(b)).find("null in") != std::string::npos);
	}
}

TEST_CASE("the parser refuses what Go would read differently", "[spec][parse]")
{
	/* duplicates: Go keeps the last */
	CHECK(!refusal(specWith(R"("process": {"user": {"uid": 1000, "uid": 0}})")).empty());
	/* a lone surrogate: Go reads U+FFFD */
	CHECK(!refusal(specWith(R"("hostname": "\ud800")")).empty());
	/* invalid UTF-8 */
	CHECK(!refusal(specWith("\"hostname\": \"\xff\"")).empty());
	/* comments: Go reads none */
	CHECK(!refusal("{" + kBase + " /* c */}").empty());
	/* trailing data: Go's decoder would take the first document only */
	CHECK(!refusal("{" + kBase + "} {}").empty());
	/* not an object */
	for (const char *d : {"[]", "null", "5", "\"x\""})
		CHECK(refusal(d).find("expected, got") != std::string::npos);
	CHECK(refusal("[]", Scope::Process).find("a process object expected") != std::string::npos);
	CHECK(refusal("null", Scope::Resources).find("a resources object expected") !=
	      std::string::npos);
}

TEST_CASE("read wraps process and resources documents the way the rules see them", "[spec]")
{
	json::Value p = spec::read(R"({"args": ["sh"], "cwd": "/"})", "p", Scope::Process);
	REQUIRE(p.find("process"));
	CHECK(p.find("process")->find("cwd")->asString() == "/");
	json::Value r = spec::read(R"({"pids": {"limit": 5}})", "r", Scope::Resources);
	REQUIRE(json::get(r, json::Pointer::parse("/linux/resources/pids/limit")));
	/* check() on the wrapped form, with the container's annotations beside */
	p.set("annotations", json::Value::object());
	CHECK_NOTHROW(spec::check(p, Scope::Process));
	p.find("annotations")->set("k", json::Value::number(int64_t{1}));
	CHECK_THROWS_AS(spec::check(p, Scope::Process), Error);
}

TEST_CASE("every real engine document reads", "[spec][engines]")
{
	for (const char *f : {"runc-spec-default.json", "runc-spec-rootless.json",
	                      "docker-20.10-default.json", "docker-20.10-hardened.json",
	                      "docker-20.10-privileged.json", "docker-20.10-hostns-socket.json",
	                      "docker-20.10-userns-remap.json", "containerd-1.6-ctr-default.json",
	                      "podman-4.3-default.json", "podman-4.3-uidmap.json"}) {
		INFO(f);
		CHECK_NOTHROW(spec::read(test::slurp(test::env("BULKHEAD_TEST_DATA") + "/" + f), f,
		                         Scope::Spec));
	}
	for (const char *f : {"docker-20.10-exec-process.json", "docker-20.10-exec-u0-process.json",
	                      "docker-20.10-exec-u0-privileged-process.json"}) {
		INFO(f);
		CHECK_NOTHROW(spec::read(test::slurp(test::env("BULKHEAD_TEST_DATA") + "/" + f), f,
		                         Scope::Process));
	}
	CHECK_NOTHROW(spec::read(test::slurp(test::env("BULKHEAD_TEST_DATA") + "/" +
	                                     "docker-20.10-update-resources-stdin.json"),
	                         "u", Scope::Resources));
}

TEST_CASE("describe() lists every field with its Go type", "[spec]")
{
	const std::string d = spec::describe();
	for (const char *line :
	     {"/process/user/uid uint32\n", "/process/user/additionalGids/[] uint32\n",
	      "/mounts/[]/options []string\n", "/process/user struct\n", "/windows any\n",
	      "/annotations/{} string\n", "/linux/resources/unified/{} string\n",
	      "/linux/seccomp/syscalls/[]/args/[]/index uint\n", "/hooks/poststop/[]/timeout int\n",
	      "/linux/resources/blockIO/weightDevice/[]/major int64\n"})
		CHECK(d.find(line) != std::string::npos);
}
