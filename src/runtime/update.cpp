/* update: judge the resources runc will apply, in the form runc will read
 * them.
 *
 * With -r FILE or -r - runc 1.1.5 decodes the document into its
 * LinuxResources struct and ignores the limit flags. Without it, runc builds
 * the same struct from the flags (update.go): --blkio-weight (uint16, when not
 * 0), --cpuset-cpus/--cpuset-mems, --cpu-period/--cpu-rt-period/--cpu-share
 * (strconv.ParseUint), --cpu-quota/--cpu-rt-runtime (strconv.ParseInt), the
 * memory sizes ("-1" or go-units RAMInBytes) and --pids-limit. bulkhead builds
 * that document, judges it like a file, and when the policy changed it hands
 * runc the judged document as --resources, so the limits applied are the ones
 * judged. --l3-cache-schema and --mem-bw-schema apply either way and pass on. */
#include "call.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "bulkhead/error.h"
#include "bulkhead/runtime.h"
#include "bulkhead/sha256.h"
#include "bulkhead/spec.h"

namespace bulkhead::runtime {

/* go-units RAMInBytes, which runc uses for --memory and --memory-swap:
 * "512m", "1g", "1.5GiB", "1024" (bytes; binary multipliers). "-1" is handled
 * by the caller. nullopt when the text is not a size. */
std::optional<int64_t> parseRamSize(std::string_view s)
{
	size_t i = 0;
	std::string num;
	while (i < s.size() && s[i] >= '0' && s[i] <= '9')
		num.push_back(s[i++]);
	if (num.empty())
		return std::nullopt;
	while (i < s.size() && s[i] == '.') {
		num.push_back(s[i++]);
		size_t start = i;
		while (i < s.size() && s[i] >= '0' && s[i] <= '9')
			num.push_back(s[i++]);
		if (i == start)
			return std::nullopt;
	}
	if (std::count(num.begin(), num.end(), '.') > 1)
		return std::nullopt;
	if (i < s.size() && s[i] == ' ')
		i++;
	double mult = 1;
	if (i < s.size()) {
		switch (s[i]) {
		case 'k':
		case 'K':
			mult = 1024.0;
			i++;
			break;
		case 'm':
		case 'M':
			mult = 1024.0 * 1024;
			i++;
			break;
		case 'g':
		case 'G':
			mult = 1024.0 * 1024 * 1024;
			i++;
			break;
		case 't':
		case 'T':
			mult = 1024.0 * 1024 * 1024 * 1024;
			i++;
			break;
		case 'p':
		case 'P':
			mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
			i++;
			break;
		default:
			break;
		}
	}
	if (i < s.size() && (s[i] == 'i' || s[i] == 'I'))
		i++;
	if (i < s.size() && (s[i] == 'b' || s[i] == 'B'))
		i++;
	if (i != s.size())
		return std::nullopt;
	double v = std::strtod(num.c_str(), nullptr) * mult;
	if (!std::isfinite(v) || v >= 9.2e18)
		return std::nullopt;
	return static_cast<int64_t>(v);
}

namespace {

using json::Value;
using policy::Decision;
using policy::Verdict;

Value &section(Value &r, std::string_view key)
{
	Value *v = r.find(key);
	return v != nullptr ? *v : r.set(key, Value::object());
}

[[noreturn]] void invalid(std::string_view flag, const std::string &value)
{
	throw Error(ErrorKind::Usage,
	            "update: invalid value for " + std::string(flag) + ": \"" + value + "\"");
}

/* The resources document runc builds from the flags. */
Value resourcesFromFlags(const cli::Invocation &inv)
{
	Value r = Value::object();
	auto value = [&](std::string_view name) -> const std::string * {
		const cli::FlagUse *f = inv.flag(name);
		return f != nullptr && f->value && !f->value->empty() ? &*f->value : nullptr;
	};
	if (const std::string *w = value("blkio-weight")) {
		auto v = cli::parseGoInt(*w, true);
		if (!v)
			invalid("blkio-weight", *w);
		if (*v != 0) /* Go's uint16(int): the low 16 bits */
			section(r, "blockIO")
			        .set("weight", Value::number(static_cast<uint64_t>(
			                               static_cast<uint16_t>(*v))));
	}
	if (const std::string *v = value("cpuset-cpus"))
		section(r, "cpu").set("cpus", Value::string(*v));
	if (const std::string *v = value("cpuset-mems"))
		section(r, "cpu").set("mems", Value::string(*v));
	struct Field
	{
		const char *flag;
		const char *section;
		const char *key;
	};
	for (Field f :
	     {Field{"cpu-period", "cpu", "period"}, Field{"cpu-rt-period", "cpu", "realtimePeriod"},
	      Field{"cpu-share", "cpu", "shares"}}) {
		if (const std::string *v = value(f.flag)) {
			auto n = cli::parseGoUint(*v);
			if (!n)
				invalid(f.flag, *v);
			section(r, f.section).set(f.key, Value::number(*n));
		}
	}
	for (Field f : {Field{"cpu-quota", "cpu", "quota"},
	                Field{"cpu-rt-runtime", "cpu", "realtimeRuntime"}}) {
		if (const std::string *v = value(f.flag)) {
			auto n = cli::parseGoInt(*v, false);
			if (!n)
				invalid(f.flag, *v);
			section(r, f.section).set(f.key, Value::number(*n));
		}
	}
	for (Field f : {Field{"memory", "memory", "limit"}, Field{"memory-swap", "memory", "swap"},
	                Field{"kernel-memory", "memory", "kernel"},
	                Field{"kernel-memory-tcp", "memory", "kernelTCP"},
	                Field{"memory-reservation", "memory", "reservation"}}) {
		if (const std::string *v = value(f.flag)) {
			std::optional<int64_t> n = *v == "-1" ? -1 : parseRamSize(*v);
			if (!n)
				invalid(f.flag, *v);
			section(r, f.section).set(f.key, Value::number(*n));
		}
	}
	/* int64(context.Int("pids-limit")): 0, "leave as it is", when absent */
	if (const std::string *v = value("pids-limit")) {
		auto n = cli::parseGoInt(*v, true);
		if (!n)
			invalid("pids-limit", *v);
		section(r, "pids").set("limit", Value::number(*n));
	}
	Value linux = Value::object();
	linux.set("resources", std::move(r));
	Value doc = Value::object();
	doc.set("linux", std::move(linux));
	return doc;
}

} // namespace

std::vector<std::string> checkUpdate(Call &c)
{
	const Container ctr = container(c.inv, c.id);
	c.annotations = ctr.annotations;
	c.bundle = ctr.bundle;
	Value holder = Value::object();
	holder.set("annotations", c.annotations);
	c.rec.engine = audit::engineHints(holder);

	const cli::FlagUse *res = c.inv.flag("resources");
	if (res == nullptr) {
		c.rec.subject = "flags";
		Value doc = resourcesFromFlags(c.inv);
		const std::string text =
		        json::write(*json::get(doc, json::Pointer() / "linux" / "resources"), true);
		const Decision d = judge(c, doc, policy::Scope::Resources, text);
		const Value *r = json::get(d.result, json::Pointer() / "linux" / "resources");
		if (r == nullptr)
			throw Error(ErrorKind::Internal,
			            "update: the checked document has no resources");
		if (d.verdict == Verdict::Allow && d.result == doc) {
			record(c, d, false);
			return c.inv.argv; /* runc applies exactly the flags that were judged */
		}
		return handOver(c, d, json::write(*r, true), nullptr, "resources");
	}
	if (!res->value || res->value->empty())
		throw Error(ErrorKind::Usage, "update: --resources needs a file or -");
	const bool fromStdin = *res->value == "-";
	c.rec.subject = "--resources " + *res->value;
	const std::string text = fromStdin ? json::readFd(0, "stdin", kSmallMax)
	                                   : json::readFileOrPipe(*res->value, kSmallMax);
	c.rec.inputSha256 = sha256Hex(text);
	const std::string name = fromStdin ? std::string("stdin") : *res->value;
	Value doc = spec::read(text, name, policy::Scope::Resources);
	const Decision d = judge(c, std::move(doc), policy::Scope::Resources, text);
	const Value *r = json::get(d.result, json::Pointer() / "linux" / "resources");
	if (r == nullptr)
		throw Error(ErrorKind::Internal, "update: the checked document has no resources");
	const std::string out = json::write(*r, true);
	if (fromStdin)
		return handOverStdin(c, d, out);
	return handOver(c, d, out, res, "resources");
}

} // namespace bulkhead::runtime
