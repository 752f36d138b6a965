#include "bulkhead/offline.h"

#include "policy_compiled.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <optional>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/output.h"
#include "bulkhead/policy.h"
#include "bulkhead/policy_report.h"
#include "bulkhead/sarif.h"
#include "bulkhead/spec.h"

namespace bulkhead::offline {

namespace {

constexpr size_t kMaxSpecBytes = 64u << 20;

constexpr const char *kUsage =
        "usage: bulkhead policy harden --policy FILE [--kind KIND] [--id ID] [--at DATE]\n"
        "                              [CONFIG|-]\n"
        "       bulkhead policy check --policy FILE [--format text|json|sarif] [--kind KIND]\n"
        "                             [--id ID] [--at DATE] CONFIG...\n"
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
        "  --strict        validate: warnings are errors\n"
        "\n"
        "Relative mount sources resolve against the directory holding CONFIG (the\n"
        "current directory for -, standard input).\n"
        "Documents are read as runc reads them (Go's encoding/json): a key that Go would\n"
        "match to a field without regard to case (\"Process\", \"hoo\\u212aS\") and a value\n"
        "of the wrong type are refused as bad input, naming the place.\n"
        "Exit status: 0 allowed (maybe mutated), 3 denied, 2 bad input or bad policy.\n";

enum : int { kExitOk = 0, kExitBad = 2, kExitDenied = 3 };

struct Options
{
	std::string verb;
	std::string policy;
	std::string format = "text";
	std::string id;
	policy::Scope kind = policy::Scope::Spec;
	std::string at;         /* --at DATE */
	bool strict = false;    /* validate --strict */
	bool effective = false; /* show --effective */
	bool help = false;
	std::vector<std::string> operands;
};

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
	     seenAt = false;
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

struct Input
{
	std::string name; /* as shown to the user */
	json::Value doc;
	std::string bundle;
	std::string text; /* as read: findings' places are offsets into it */
};

Input readInput(const std::string &operand, policy::Scope kind)
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

struct Colour
{
	bool on;
	[[nodiscard]] std::string wrap(std::string_view text, const char *code) const
	{
		if (!on)
			return std::string(text);
		return std::string("\033[") + code + "m" + std::string(text) + "\033[0m";
	}
	[[nodiscard]] std::string verdict(policy::Verdict v) const
	{
		const char *code = v == policy::Verdict::Allow    ? "32"
		                   : v == policy::Verdict::Mutate ? "33"
		                                                  : "1;31";
		return wrap(policy::verdictName(v), code);
	}
	[[nodiscard]] std::string action(policy::Action a, size_t width) const
	{
		std::string name = policy::actionName(a);
		std::string pad(width > name.size() ? width - name.size() : 0, ' ');
		const char *code = a == policy::Action::Mutate  ? "33"
		                   : a == policy::Action::Deny  ? "1;31"
		                   : a == policy::Action::Audit ? "36"
		                                                : "0";
		return wrap(name, code) + pad;
	}
};

/* A patch operation on one line, values elided past a readable length. */
std::string patchLine(const json::Value &op)
{
	const json::Value *kind = op.find("op");
	const json::Value *path = op.find("path");
	std::string line = (kind && kind->isString() ? kind->asString() : "?") + " " +
	                   (path && path->isString() ? path->asString() : "?");
	if (const json::Value *v = op.find("value")) {
		std::string text = json::write(*v, false);
		if (text.size() > 60)
			text = v->isObject()  ? "{...}"
			       : v->isArray() ? "[...]"
			                      : text.substr(0, 57) + "...";
		line += " " + text;
	}
	return line;
}

std::string checkText(const Input &in, const policy::Decision &d, const Colour &c)
{
	std::string out = in.name + ": " + c.verdict(d.verdict);
	if (d.mode == policy::Mode::Audit)
		out += " (audit mode: enforcing would " +
		       std::string(policy::verdictName(d.wouldBe)) + ")";
	out += strprintf(", %zu finding%s\n", d.findings.size(), d.findings.size() == 1 ? "" : "s");
	for (const auto &f : d.findings) {
		out += "  " + c.action(f.action, 6) + " " + f.rule + " " +
		       (f.pointer.empty() ? std::string("/") : f.pointer) + ": " +
		       singleLine(f.message);
		if (!f.remedy.empty())
			out += "; fix: " + singleLine(f.remedy);
		out += "\n";
	}
	for (const auto &e : d.exemptions) {
		out += "  exempt " + e.name + " (";
		for (size_t i = 0; i < e.rules.size(); i++)
			out += (i ? ", " : "") + e.rules[i];
		out += "): " + singleLine(e.reason);
		if (!e.expires.empty())
			out += ", until " + e.expires;
		out += "\n";
	}
	for (const auto &o : d.overrides) {
		out += "  override " + o.name + " (";
		for (size_t i = 0; i < o.rules.size(); i++)
			out += (i ? ", " : "") + o.rules[i];
		out += ")";
		if (!o.reason.empty())
			out += ": " + singleLine(o.reason);
		out += "\n";
	}
	if (d.patch.isArray() && !d.patch.items().empty()) {
		out += strprintf("  patch (%zu operation%s):\n", d.patch.items().size(),
		                 d.patch.items().size() == 1 ? "" : "s");
		for (const auto &op : d.patch.items())
			out += "    " + singleLine(patchLine(op)) + "\n";
	}
	return out;
}

int harden(const Options &o, Output &out, Output &err)
{
	policy::Policy p = policy::Policy::load(o.policy, false);
	Input in = readInput(o.operands[0], o.kind);
	RealHost host;
	policy::Decision d = p.evaluate(in.doc, o.kind,
	                                policy::CallContext{o.id, in.bundle, "policy", o.at}, host);
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

/* Where in the text a finding points: the value its pointer names, or the
 * nearest ancestor that exists (a member the rule wants added). 1-based line
 * and column, the column in code points. */
std::pair<size_t, size_t> placeOf(const Input &in, const std::string &pointer)
{
	size_t offset = 0;
	try {
		std::vector<std::string> tokens = json::Pointer::parse(pointer).tokens();
		const json::Value *at = &in.doc;
		for (const auto &t : tokens) {
			const json::Value *next = nullptr;
			if (at->isObject()) {
				next = at->find(t);
			} else if (at->isArray()) {
				char *end = nullptr;
				unsigned long i = std::strtoul(t.c_str(), &end, 10);
				if (!t.empty() && *end == '\0' && i < at->items().size())
					next = &at->items()[i];
			}
			if (next == nullptr)
				break;
			at = next;
		}
		offset = at->offset();
	} catch (const Error &) {
		offset = 0;
	}
	offset = std::min(offset, in.text.size());
	size_t line = 1, col = 1;
	for (size_t i = 0; i < offset; i++) {
		auto ch = static_cast<unsigned char>(in.text[i]);
		if (ch == '\n') {
			line++;
			col = 1;
		} else if ((ch & 0xC0) != 0x80) {
			col++;
		}
	}
	return {line, col};
}

json::Value sarifLocations(const Input &in, const policy::Finding &f)
{
	json::Value loc = json::Value::object();
	if (in.name != "<stdin>") {
		auto [line, col] = placeOf(in, f.pointer);
		json::Value art = json::Value::object();
		art.set("uri", json::Value::string(sarif::fileUri(in.name)));
		json::Value region = json::Value::object();
		region.set("startLine", json::Value::number(static_cast<uint64_t>(line)));
		region.set("startColumn", json::Value::number(static_cast<uint64_t>(col)));
		json::Value phys = json::Value::object();
		phys.set("artifactLocation", std::move(art));
		phys.set("region", std::move(region));
		loc.set("physicalLocation", std::move(phys));
	}
	json::Value logical = json::Value::object();
	logical.set("fullyQualifiedName",
	            json::Value::string(f.pointer.empty() ? std::string("/") : f.pointer));
	logical.set("kind", json::Value::string("member"));
	json::Value logicals = json::Value::array();
	logicals.push(std::move(logical));
	loc.set("logicalLocations", std::move(logicals));
	json::Value locs = json::Value::array();
	locs.push(std::move(loc));
	return locs;
}

/* V pretty-printed with every line after the first indented by PAD, no final newline. */
std::string indented(const json::Value &v, std::string_view pad)
{
	std::string s = json::write(v, true);
	while (!s.empty() && s.back() == '\n')
		s.pop_back();
	std::string out;
	out.reserve(s.size() + s.size() / 4);
	for (char ch : s) {
		out.push_back(ch);
		if (ch == '\n')
			out.append(pad);
	}
	return out;
}

/* `policy check`: each file's result is written as soon as it is judged, so
 * memory does not grow with the number of files. JSON is the document
 * {"policy": ..., "results": [...]} written a result at a time; SARIF one run. */
int check(const Options &o, Output &out, Output &err, bool colour)
{
	policy::Policy p = policy::Policy::load(o.policy, false);
	RealHost host;
	Colour c{colour};
	int rc = kExitOk;
	const bool asJson = o.format == "json", asSarif = o.format == "sarif";
	std::optional<sarif::Writer> sarifOut;
	size_t written = 0;
	json::Value pol = json::Value::object();
	pol.set("name", json::Value::string(p.name()));
	pol.set("sha256", json::Value::string(p.sha256()));
	pol.set("version", json::Value::string(p.version()));
	pol.set("mode", json::Value::string(p.mode() == policy::Mode::Audit ? "audit" : "enforce"));
	if (asJson) {
		out << "{\n  \"policy\": " << indented(pol, "  ") << ",\n  \"results\": [";
	} else if (asSarif) {
		json::Value props = json::Value::object();
		props.set("policy", std::move(pol));
		sarifOut.emplace(out, std::move(props));
	}
	auto emitJson = [&](const json::Value &r) {
		out << (written++ ? ",\n    " : "\n    ") << indented(r, "    ");
	};
	for (const auto &operand : o.operands) {
		std::optional<Input> in;
		std::optional<policy::Decision> d;
		try {
			in = readInput(operand, o.kind);
			d = p.evaluate(in->doc, o.kind,
			               policy::CallContext{o.id, in->bundle, "policy", o.at}, host);
		} catch (const Error &e) {
			rc = kExitBad;
			std::string name = operand == "-" ? "<stdin>" : operand;
			err << "bulkhead: " << singleLine(e.what()) << "\n";
			if (asJson) {
				json::Value r = json::Value::object();
				r.set("file", json::Value::string(name));
				r.set("error", json::Value::string(e.what()));
				emitJson(r);
			} else if (asSarif) {
				sarifOut->notify("error", singleLine(e.what()),
				                 operand == "-" ? "" : sarif::fileUri(name));
			} else {
				out << (written++ ? "\n" : "") << name << ": "
				    << c.wrap("error", "1;31") << ": " << singleLine(e.what())
				    << "\n";
			}
			err.flush();
			out.flush();
			continue;
		}
		if (d->verdict == policy::Verdict::Deny && rc == kExitOk)
			rc = kExitDenied;
		if (asJson) {
			json::Value r = json::Value::object();
			r.set("file", json::Value::string(in->name));
			json::Value decision = policy::toJson(*d);
			for (auto &[k, v] : decision.members())
				r.set(k, std::move(v));
			emitJson(r);
		} else if (asSarif) {
			for (const auto &f : d->findings)
				sarifOut->add(sarif::result(f, sarifLocations(*in, f)));
		} else {
			out << (written++ ? "\n" : "") << checkText(*in, *d, c);
		}
		out.flush();
	}
	if (asJson)
		out << "\n  ]\n}\n";
	else if (asSarif)
		sarifOut->finish(rc != kExitBad);
	return rc;
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

} // namespace

namespace {

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
