#include "bulkhead/offline.h"

#include "offline_internal.h"
#include "policy_compiled.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <optional>
#include <unistd.h>

#include "bulkhead/engine.h"
#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/output.h"
#include "bulkhead/policy.h"
#include "bulkhead/policy_report.h"
#include "bulkhead/spec.h"

namespace bulkhead::offline {

using namespace detail;

namespace {

constexpr size_t kMaxSpecBytes = 64u << 20;
constexpr size_t kMaxJobs = 64;

constexpr const char *kUsage =
        "usage: bulkhead policy harden --policy FILE [--kind KIND] [--id ID] [--at DATE]\n"
        "                              [--engine NAME] [CONFIG|-]\n"
        "       bulkhead policy check --policy FILE [--format text|json|sarif] [--kind KIND]\n"
        "                             [--id ID] [--at DATE] [--engine NAME] [--jobs N]\n"
        "                             CONFIG...\n"
        "       bulkhead policy validate [--strict] FILE...\n"
        "       bulkhead policy show [--effective] FILE\n"
        "       bulkhead policy diff A B\n"
        "\n"
        "  harden    print the hardened spec (exit 0), or the reasons it is refused (exit 3)\n"
        "  check     per file: the verdict (allow, mutate, deny), the findings and the patch\n"
        "  validate  check that a policy is well formed and names only known rules,\n"
        "            capabilities and syscalls; warn about every rule that is off or\n"
        "            weaker than restricted, every exemption and override, and what\n"
        "            expires within 30 days; an expired exemption or override is an error\n"
        "  show      the policy with what it extends merged in (--effective: every rule,\n"
        "            its action and where it was set)\n"
        "  diff      what policy B lets through that policy A refuses, rule by rule\n"
        "            (exit 0: nothing, 1: something)\n"
        "\n"
        "  --policy FILE   the policy file (see bulkhead-policy(5))\n"
        "  --format FMT    text (default), json, or sarif (SARIF 2.1.0 for CI systems);\n"
        "                  each file's result is written as soon as it is judged\n"
        "  --kind KIND     what CONFIG is: spec (config.json, the default), process (an\n"
        "                  exec --process file) or resources (an update -r document);\n"
        "                  harden prints the hardened document of that kind\n"
        "  --id ID         judge the spec as container ID (per-container engine files,\n"
        "                  exemptions matched on containerId)\n"
        "  --at DATE       judge expiry dates as of DATE (YYYY-MM-DD) instead of today\n"
        "  --engine NAME   judge as a call of that engine (docker, containerd-cri,\n"
        "                  containerd, crio, podman): its own annotation keys give the\n"
        "                  Kubernetes namespace, pod, container and image that\n"
        "                  exemptions and overrides match, read as written (the runtime\n"
        "                  proves them; offline nothing can)\n"
        "  --jobs N        check: judge N files at a time (default: one per CPU, at most\n"
        "                  8); the results are written in the order of the files\n"
        "  --strict        validate: warnings are errors\n"
        "\n"
        "Relative mount sources resolve against the directory holding CONFIG (the\n"
        "current directory for -, standard input).\n"
        "Documents are read as runc reads them (Go's encoding/json): a key that Go would\n"
        "match to a field without regard to case (\"Process\", \"hoo\\u212aS\") and a value\n"
        "of the wrong type are refused as bad input, naming the place.\n"
        "Exit status: 0 allowed (maybe mutated), 3 denied, 2 bad input or bad policy.\n";

[[noreturn]] void usageError(const std::string &msg)
{
	throw Error(ErrorKind::Usage, msg + " (see bulkhead policy --help)");
}

Options parseArgs(const std::vector<std::string> &args)
{
	Options o;
	if (args.empty())
		usageError("policy: missing verb: harden, check, validate, show or diff");
	size_t i = 0;
	if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
		o.help = true;
		return o;
	}
	o.verb = args[i++];
	if (o.verb != "harden" && o.verb != "check" && o.verb != "validate" && o.verb != "show" &&
	    o.verb != "diff")
		usageError("policy: unknown verb \"" + o.verb +
		           "\": harden, check, validate, show or diff");
	const bool judges = o.verb == "harden" || o.verb == "check";
	bool optionsDone = false;
	bool seenPolicy = false, seenFormat = false, seenId = false, seenKind = false,
	     seenAt = false, seenEngine = false, seenJobs = false;
	for (; i < args.size(); i++) {
		const std::string &a = args[i];
		if (optionsDone || a == "-" || a.empty() || a[0] != '-') {
			o.operands.push_back(a);
			continue;
		}
		if (a == "--") {
			optionsDone = true;
			continue;
		}
		if (a == "--help" || a == "-h") {
			o.help = true;
			return o;
		}
		std::string name = a, value;
		bool inlineValue = false;
		if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
			name = a.substr(0, eq);
			value = a.substr(eq + 1);
			inlineValue = true;
		}
		auto takeValue = [&](bool &seen) {
			if (seen)
				usageError("policy " + o.verb + ": " + name + " given twice");
			seen = true;
			if (!inlineValue) {
				if (i + 1 >= args.size())
					usageError("policy " + o.verb + ": " + name +
					           " needs a value");
				value = args[++i];
			}
			if (value.empty())
				usageError("policy " + o.verb + ": " + name + " needs a value");
			return value;
		};
		auto flagOnly = [&] {
			if (inlineValue)
				usageError("policy " + o.verb + ": " + name + " takes no value");
		};
		if (name == "--policy" && judges)
			o.policy = takeValue(seenPolicy);
		else if (name == "--format" && o.verb == "check")
			o.format = takeValue(seenFormat);
		else if (name == "--id" && judges)
			o.id = takeValue(seenId);
		else if (name == "--at" && judges) {
			o.at = takeValue(seenAt);
			if (!policy::validDate(o.at))
				usageError("policy " + o.verb +
				           ": --at must be a date, YYYY-MM-DD, not \"" + o.at +
				           "\"");
		} else if (name == "--engine" && judges) {
			const std::string e = takeValue(seenEngine);
			auto k = engine::kindFromName(e);
			if (!k)
				usageError("policy " + o.verb + ": --engine must be one of " +
				           engine::kindNames() + ", not \"" + e + "\"");
			o.engine = *k;
		} else if (name == "--jobs" && o.verb == "check") {
			const std::string n = takeValue(seenJobs);
			const bool digits =
			        n.size() <= 3 && std::all_of(n.begin(), n.end(), [](char ch) {
				        return ch >= '0' && ch <= '9';
			        });
			o.jobs = digits ? std::strtoul(n.c_str(), nullptr, 10) : 0;
			if (o.jobs < 1 || o.jobs > kMaxJobs)
				usageError("policy check: --jobs must be a number from 1 to " +
				           std::to_string(kMaxJobs) + ", not \"" + n + "\"");
		} else if (name == "--strict" && o.verb == "validate") {
			flagOnly();
			o.strict = true;
		} else if (name == "--effective" && o.verb == "show") {
			flagOnly();
			o.effective = true;
		} else if (name == "--kind" && judges) {
			const std::string k = takeValue(seenKind);
			if (k == "spec")
				o.kind = policy::Scope::Spec;
			else if (k == "process")
				o.kind = policy::Scope::Process;
			else if (k == "resources")
				o.kind = policy::Scope::Resources;
			else
				usageError("policy " + o.verb +
				           ": --kind must be spec, process or resources, not \"" +
				           k + "\"");
		} else
			usageError("policy " + o.verb + ": unknown option " + name);
	}
	if (o.verb == "validate") {
		if (o.operands.empty())
			usageError("policy validate: which policy file?");
		return o;
	}
	if (o.verb == "show") {
		if (o.operands.size() != 1)
			usageError("policy show: one policy file");
		return o;
	}
	if (o.verb == "diff") {
		if (o.operands.size() != 2)
			usageError("policy diff: two policy files, A and B");
		return o;
	}
	if (o.policy.empty())
		usageError("policy " + o.verb + ": --policy FILE is required");
	if (o.format != "text" && o.format != "json" && o.format != "sarif")
		usageError("policy check: --format must be text, json or sarif, not \"" + o.format +
		           "\"");
	if (o.verb == "harden" && o.operands.size() > 1)
		usageError("policy harden: one CONFIG at a time (or - for standard input)");
	if (o.verb == "harden" && o.operands.empty())
		o.operands.emplace_back("-");
	if (o.verb == "check" && o.operands.empty())
		usageError("policy check: which CONFIG files?");
	if (o.verb == "check") {
		size_t stdinCount = 0;
		for (const auto &op : o.operands)
			stdinCount += op == "-" ? 1 : 0;
		if (stdinCount > 1)
			usageError("policy check: standard input (-) can be read only once");
	}
	return o;
}

} // namespace

policy::CallContext detail::callOf(const Options &o, const std::string &bundle)
{
	policy::CallContext call{o.id, bundle, "policy", o.at};
	call.engine = o.engine;
	call.offline = true;
	return call;
}

Input detail::readInput(const std::string &operand, policy::Scope kind)
{
	Input in;
	std::string text;
	namespace fs = std::filesystem;
	if (operand == "-") {
		in.name = "<stdin>";
		text = json::readFd(STDIN_FILENO, in.name, kMaxSpecBytes);
		in.bundle = fs::current_path().string();
	} else {
		in.name = operand;
		text = json::readFile(operand, kMaxSpecBytes);
		in.bundle =
		        fs::absolute(fs::path(operand)).lexically_normal().parent_path().string();
	}
	in.doc = spec::read(text, in.name, kind);
	in.text = std::move(text);
	return in;
}

namespace {

int harden(const Options &o, Output &out, Output &err)
{
	policy::Policy p = policy::Policy::load(o.policy, false);
	Input in = readInput(o.operands[0], o.kind);
	const RealHost real;
	const MemoHost host(real);
	policy::Decision d = p.evaluate(in.doc, o.kind, callOf(o, in.bundle), host);
	if (d.verdict == policy::Verdict::Deny) {
		for (const auto &f : d.findings) {
			if (f.action != policy::Action::Deny)
				continue;
			err << "bulkhead: " + in.name + ": denied by " + f.rule + " at " +
			                (f.pointer.empty() ? std::string("/") : f.pointer) + ": " +
			                singleLine(f.message);
			if (!f.remedy.empty())
				err << "; fix: " + singleLine(f.remedy);
			err << "\n";
		}
		return kExitDenied;
	}
	/* the document of the kind that was read, as runc will read it */
	const json::Value *result = &d.result;
	if (o.kind == policy::Scope::Process)
		result = json::get(d.result, json::Pointer() / "process");
	else if (o.kind == policy::Scope::Resources)
		result = json::get(d.result, json::Pointer() / "linux" / "resources");
	if (result == nullptr)
		throw Error(ErrorKind::Internal,
		            "policy harden: the hardened document lost its " +
		                    std::string(o.kind == policy::Scope::Process ? "process"
		                                                                 : "resources"));
	out << json::write(*result, true);
	return kExitOk;
}

/* The shipped restricted to compare FILE's policy with, when it can be found. */
std::optional<policy::Policy> reference(const std::string &file, bool asRoot)
{
	auto path = policy::findShipped("restricted", file);
	if (!path && std::filesystem::path(file).filename() == "restricted.json")
		path = file; /* restricted itself: nothing to report but what it turns off */
	if (!path)
		return std::nullopt;
	try {
		return policy::Policy::load(*path, asRoot);
	} catch (const Error &) {
		return std::nullopt;
	}
}

int validate(const Options &o, Output &out, Output &err)
{
	int rc = kExitOk;
	const bool asRoot = ::geteuid() == 0;
	const std::string today = policy::today();
	for (const auto &file : o.operands) {
		try {
			policy::Policy p = policy::Policy::load(file, asRoot);
			auto ref = reference(file, asRoot);
			auto notices = policy::review(p, ref ? &*ref : nullptr, today);
			size_t errors = 0, warnings = 0;
			for (const auto &n : notices) {
				const bool fatal =
				        n.level == policy::Notice::Level::Error ||
				        (o.strict && n.level == policy::Notice::Level::Warning);
				const char *label = fatal ? "error"
				                    : n.level == policy::Notice::Level::Warning
				                            ? "warning"
				                            : "note";
				err << file + ": " + label + ": " + singleLine(n.text) + "\n";
				errors += fatal ? 1 : 0;
				warnings += n.level == policy::Notice::Level::Warning ? 1 : 0;
			}
			if (errors > 0) {
				rc = kExitBad;
				continue;
			}
			std::string chain;
			for (size_t k = 1; k < p.compiled().files.size(); k++)
				chain += ", extends " + p.compiled().files[k];
			out << file + ": ok: policy " + p.name() + " version " + p.version() +
			                ", mode " +
			                (p.mode() == policy::Mode::Audit ? "audit" : "enforce") +
			                chain + ", sha256:" + p.sha256() +
			                (warnings ? strprintf(", %zu warning%s", warnings,
			                                      warnings == 1 ? "" : "s")
			                          : std::string()) +
			                "\n";
		} catch (const Error &e) {
			err << singleLine(e.what()) + "\n";
			rc = kExitBad;
		}
	}
	return rc;
}

int show(const Options &o, Output &out)
{
	policy::Policy p = policy::Policy::load(o.operands[0], ::geteuid() == 0);
	out << json::write(o.effective ? policy::effective(p) : policy::flatten(p), true);
	return kExitOk;
}

/* Exit 0 when B lets through nothing A refuses, 1 when it does (diff(1)'s
 * convention), 2 on trouble. */
int diff(const Options &o, Output &out)
{
	const bool asRoot = ::geteuid() == 0;
	policy::Policy a = policy::Policy::load(o.operands[0], asRoot);
	policy::Policy b = policy::Policy::load(o.operands[1], asRoot);
	std::vector<std::string> different;
	const auto weaker = policy::weakenings(a, b, different);
	out << "A: " + o.operands[0] + " (policy " + a.name() + " version " + a.version() +
	                ", sha256:" + a.sha256() + ")\n";
	out << "B: " + o.operands[1] + " (policy " + b.name() + " version " + b.version() +
	                ", sha256:" + b.sha256() + ")\n";
	if (weaker.empty()) {
		out << "B lets through nothing that A refuses.\n";
	} else {
		out << strprintf("B lets through what A refuses, in %zu place%s:\n", weaker.size(),
		                 weaker.size() == 1 ? "" : "s");
		for (const auto &w : weaker)
			out << "  - " + singleLine(w) + "\n";
	}
	if (!different.empty()) {
		out << "Other differences (B is not weaker there):\n";
		for (const auto &d : different)
			out << "  - " + singleLine(d) + "\n";
	}
	return weaker.empty() ? kExitOk : 1;
}

int policyMainTo(const std::vector<std::string> &args, Output &out, Output &err, bool colour)
{
	try {
		Options o = parseArgs(args);
		if (o.help) {
			out << kUsage;
			return kExitOk;
		}
		if (o.verb == "harden")
			return harden(o, out, err);
		if (o.verb == "check")
			return check(o, out, err, colour);
		if (o.verb == "show")
			return show(o, out);
		if (o.verb == "diff")
			return diff(o, out);
		return validate(o, out, err);
	} catch (const std::bad_alloc &) {
		err << "bulkhead: out of memory\n";
	} catch (const std::exception &e) {
		err << "bulkhead: " << singleLine(e.what()) << "\n";
	}
	return kExitBad;
}

} // namespace

int policyMain(const std::vector<std::string> &args, std::string &out, std::string &err,
               bool colour)
{
	Output o(out), e(err);
	return policyMainTo(args, o, e, colour);
}

int policyMain(const std::vector<std::string> &args)
{
	const char *noColour = std::getenv("NO_COLOR");
	bool colour = ::isatty(STDOUT_FILENO) == 1 && (!noColour || !*noColour);
	Output out(STDOUT_FILENO), err(STDERR_FILENO);
	int rc = policyMainTo(args, out, err, colour);
	try {
		out.flush();
	} catch (const Error &e) {
		err << "bulkhead: " << singleLine(e.what()) << "\n";
		rc = kExitBad;
	}
	return rc;
}

} // namespace bulkhead::offline
