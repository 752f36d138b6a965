/* exec: judge the process runc will run, in the form runc will read it.
 *
 * With --process FILE, runc decodes FILE into its Process struct and ignores
 * every process flag. Without it, runc 1.1.5 starts from the process of the
 * container's BUNDLE/config.json and applies the flags (getProcess in
 * exec.go): the command after the container ID, --cwd, --apparmor,
 * --process-label, --cap (added to bounding, effective, permitted and ambient),
 * --env (appended), --tty, --no-new-privs, --user UID[:GID] (strconv.Atoi,
 * then uint32), --additional-gids (appended, uint32). bulkhead builds that same
 * document, judges it like a --process file, and hands runc the judged
 * document as --process, so the process that runs is the one judged. */
#include "call.h"

#include "bulkhead/error.h"
#include "bulkhead/sha256.h"
#include "bulkhead/spec.h"

namespace bulkhead::runtime {

namespace {

using json::Value;
using policy::Decision;

std::vector<const cli::FlagUse *> uses(const cli::Invocation &inv, std::string_view name)
{
	std::vector<const cli::FlagUse *> out;
	for (const auto &f : inv.flags)
		if (f.name == name && f.value)
			out.push_back(&f);
	return out;
}

/* A StringFlag runc applies only when it is not empty. */
const std::string *nonEmpty(const cli::Invocation &inv, std::string_view name)
{
	const cli::FlagUse *f = inv.flag(name);
	return f != nullptr && f->value && !f->value->empty() ? &*f->value : nullptr;
}

/* Go's uint32(int): the low 32 bits. */
Value goUint32(int64_t v)
{
	return Value::number(static_cast<uint64_t>(static_cast<uint32_t>(v)));
}

Value &member(Value &obj, std::string_view key, Value init)
{
	Value *v = obj.find(key);
	if (v == nullptr || v->isNull())
		return obj.set(key, std::move(init));
	return *v;
}

/* The process document runc builds from the container's spec and the flags. */
Value processFromFlags(const Call &c, const Container &ctr)
{
	const std::string what = "exec " + c.id;
	if (ctr.bundle.empty())
		throw Error(ErrorKind::Runtime,
		            what + ": the process its flags build cannot be judged: " +
		                    ctr.stateError + " (pass the process as --process FILE)");
	const std::string path = ctr.bundle + "/config.json";
	const std::string text = json::readFile(path, kSpecMax);
	const Value spec = spec::read(text, path, policy::Scope::Spec);
	const Value *base = spec.find("process");
	if (base == nullptr || base->isNull())
		throw Error(ErrorKind::Runtime, what + ": " + path + " has no process");
	Value p = *base;

	Value args = Value::array();
	for (const auto &a : c.inv.execArgs)
		args.push(Value::string(a));
	p.set("args", std::move(args));
	if (const std::string *cwd = nonEmpty(c.inv, "cwd"))
		p.set("cwd", Value::string(*cwd));
	if (const std::string *ap = nonEmpty(c.inv, "apparmor"))
		p.set("apparmorProfile", Value::string(*ap));
	if (const std::string *label = nonEmpty(c.inv, "process-label"))
		p.set("selinuxLabel", Value::string(*label));
	if (auto caps = uses(c.inv, "cap"); !caps.empty()) {
		Value *set = p.find("capabilities");
		if (set == nullptr || set->isNull())
			throw Error(ErrorKind::Runtime,
			            what + ": --cap on a process without capabilities (runc 1.1.5 "
			                   "cannot add to it)");
		for (const char *name : {"bounding", "effective", "permitted", "ambient"}) {
			Value &list = member(*set, name, Value::array());
			for (const auto *f : caps)
				list.push(Value::string(*f->value));
		}
	}
	if (auto env = uses(c.inv, "env"); !env.empty()) {
		Value &list = member(p, "env", Value::array());
		for (const auto *f : env)
			list.push(Value::string(*f->value));
	}
	p.set("terminal", Value::boolean(c.inv.isSet("tty")));
	if (c.inv.flag("no-new-privs") != nullptr)
		p.set("noNewPrivileges", Value::boolean(c.inv.isSet("no-new-privs")));
	if (const std::string *user = nonEmpty(c.inv, "user")) {
		Value &u = member(p, "user", Value::object());
		const auto colon = user->find(':');
		if (colon != std::string::npos) {
			const std::string gid = user->substr(colon + 1);
			auto g = cli::parseGoInt(gid, false);
			if (!g)
				throw Error(ErrorKind::Usage,
				            "exec: parsing " + gid + " as int for gid failed");
			u.set("gid", goUint32(*g));
		}
		const std::string uid = user->substr(0, colon);
		auto n = cli::parseGoInt(uid, false);
		if (!n)
			throw Error(ErrorKind::Usage,
			            "exec: parsing " + uid + " as int for uid failed");
		u.set("uid", goUint32(*n));
	}
	if (auto gids = uses(c.inv, "additional-gids"); !gids.empty()) {
		Value &u = member(p, "user", Value::object());
		Value &list = member(u, "additionalGids", Value::array());
		for (const auto *f : gids) {
			auto g = cli::parseGoInt(*f->value, false);
			if (!g || *g < 0)
				throw Error(ErrorKind::Usage,
				            "exec: additional-gids must be a positive number " +
				                    *f->value);
			list.push(goUint32(*g));
		}
	}
	Value doc = Value::object();
	doc.set("process", std::move(p));
	return doc;
}

/* exec --cgroup [CONTROLLERS:]PATH joins a sub-cgroup of the container's; runc
 * 1.1.5 checks that by a string prefix only, so "memory:../x" lands in a
 * sibling cgroup, outside the container's limits. A PATH with a ".." component
 * is refused before anything else. */
void checkSubCgroups(const Call &c)
{
	for (const auto &f : c.inv.flags) {
		if (f.name != "cgroup" || !f.value)
			continue;
		const std::string &v = *f.value;
		const auto colon = v.find(':');
		const std::string path = colon == std::string::npos ? v : v.substr(colon + 1);
		size_t start = 0;
		while (start <= path.size()) {
			size_t slash = path.find('/', start);
			if (slash == std::string::npos)
				slash = path.size();
			if (path.compare(start, slash - start, "..") == 0)
				throw Error(
				        ErrorKind::Usage,
				        "exec --cgroup " + singleLine(v) +
				                ": a \"..\" component leaves the container's "
				                "cgroup "
				                "(runc 1.1.5 checks only a string prefix); name a "
				                "sub-cgroup of the container");
			start = slash + 1;
		}
	}
}

} // namespace

std::vector<std::string> hardenExec(Call &c)
{
	checkSubCgroups(c);
	const Container ctr = container(c.inv, c.id);
	c.annotations = ctr.annotations;
	c.bundle = ctr.bundle;
	Value holder = Value::object();
	holder.set("annotations", c.annotations);
	c.rec.engine = audit::engineHints(holder);

	const cli::FlagUse *file = c.inv.flag("process");
	std::string text;
	Value doc;
	if (file != nullptr) {
		if (!file->value || file->value->empty())
			throw Error(ErrorKind::Usage, "exec: --process needs a file");
		c.rec.subject = "--process " + *file->value;
		text = json::readFileOrPipe(*file->value, kSmallMax);
		c.rec.inputSha256 = sha256Hex(text);
		doc = spec::read(text, *file->value, policy::Scope::Process);
	} else if (ctr.missing) {
		/* No such container: runc looks the container up before it reads the
		 * process and says so itself. It gets a process it would refuse to
		 * run ({}: no args, no cwd), in case the container appears between
		 * this look and runc's. */
		c.rec.subject = "flags";
		c.rec.error = "exec: " + ctr.stateError +
		              ": the runtime gets an empty process and reports the container";
		audit::write(c.cfg.audit, c.rec);
		c.recorded = true;
		return handOverUnjudged(c, "{}", "process");
	} else {
		c.rec.subject = "flags";
		doc = processFromFlags(c, ctr);
		text = json::write(*doc.find("process"), true);
	}
	const Decision d = judge(c, std::move(doc), policy::Scope::Process, text);
	const Value *p = d.result.find("process");
	if (p == nullptr)
		throw Error(ErrorKind::Internal, "exec: the hardened document has no process");
	return handOver(c, d, json::write(*p, true), file, "process");
}

} // namespace bulkhead::runtime
