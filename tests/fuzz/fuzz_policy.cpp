/* Fuzz target: policy load, then evaluate + fix.
 * Input: a policy file. When it loads, it is evaluated on fixed specs; when the
 * verdict is not deny (enforce mode), the result must be a fixed point: evaluating
 * it again changes nothing and finds nothing to fix or refuse. */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"

#include "../unit/fake_host.h"
#include "bulkhead_build.h"

using namespace bulkhead;

namespace {

const char *const kSpecs[] = {
	/* runc spec's shape, root and privileged-ish */
	R"({"ociVersion": "1.0.2", "process": {"terminal": true, "user": {"uid": 0, "gid": 0},
	"args": ["sh"], "env": ["PATH=/usr/bin:/bin", "TERM=xterm"], "cwd": "/",
	"capabilities": {"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
	"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
	"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
	"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]},
	"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}], "noNewPrivileges": true},
	"root": {"path": "rootfs", "readonly": true}, "hostname": "runc",
	"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
	{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
	{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
	{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
	{"destination": "/data", "type": "bind", "source": "data", "options": ["rbind", "nosuid", "suid"]}],
	"linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}]},
	"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
	"maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]},
	"x-vendor": {"n": 18446744073709551615}})",
	/* an exec process */
	R"({"process": {"user": {"uid": 0, "gid": 0, "additionalGids": [0]}, "args": ["id"], "cwd": "/",
	"capabilities": {}, "noNewPrivileges": false}, "annotations": {"io.kubernetes.pod.namespace": "kube-system"}})",
	/* update resources */
	R"({"linux": {"resources": {"memory": {"limit": -1, "swap": 0}, "pids": {"limit": 5000},
	"unified": {"memory.max": "max"}}}})",
};

const policy::Scope kScopes[] = {policy::Scope::Spec, policy::Scope::Process,
				 policy::Scope::Resources};

bool fixable(const policy::Decision &d)
{
	for (const auto &f : d.findings)
		if (f.action == policy::Action::Mutate || f.action == policy::Action::Deny)
			return true;
	return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const std::vector<json::Value> specs = [] {
		std::vector<json::Value> v;
		for (const char *s : kSpecs)
			v.push_back(json::parse(s, "spec"));
		return v;
	}();
	static const test::FakeHost host = test::typicalHost();

	std::string_view text(reinterpret_cast<const char *>(data), size);
	std::optional<policy::Policy> p;
	try {
		/* named as if next to the shipped policies: "seccomp-default.json" resolves */
		p = policy::Policy::fromText(text, BULKHEAD_SOURCE_ROOT "/policies/fuzz.json");
	} catch (const Error &e) {
		if (e.kind() != ErrorKind::Policy) {
			std::fprintf(stderr, "policy load threw a non-policy error: %s\n", e.what());
			std::abort();
		}
		return 0;
	}
	const policy::CallContext call{"ctr1", "/bundles/ctr1", "create"};
	for (size_t i = 0; i < specs.size(); i++) {
		policy::Decision d = p->evaluate(specs[i], kScopes[i], call, host);
		(void)policy::toJson(d);
		if (p->mode() == policy::Mode::Audit) {
			if (!(d.result == specs[i]) || d.verdict != policy::Verdict::Allow) {
				std::fprintf(stderr, "audit mode changed or refused a document\n");
				std::abort();
			}
			continue;
		}
		if (d.verdict == policy::Verdict::Deny)
			continue;
		policy::Decision again = p->evaluate(d.result, kScopes[i], call, host);
		if (again.verdict != policy::Verdict::Allow || fixable(again) ||
		    json::write(again.result) != json::write(d.result)) {
			std::fprintf(stderr, "not a fixed point (spec %zu):\n%s\n", i,
				     json::write(policy::toJson(again), true).c_str());
			std::abort();
		}
	}
	return 0;
}
