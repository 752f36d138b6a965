/* The runtime path: what bulkhead does before it execs the real runtime for a
 * command that can start a process or widen a container's limits.
 *
 *   create / run / restore  harden BUNDLE/config.json and replace it atomically
 *   exec                    harden --process FILE into a memfd; refuse widening flags
 *   update                  check -r FILE / -r - and the inline limit flags
 *
 * Every path records one audit line and fails closed: an error before the
 * runtime runs leaves the spec untouched and throws. */
#include "bulkhead/runtime.h"

#include "rules/paths_util.h"
#include "sys/fd.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <limits.h>
#include <optional>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/audit.h"
#include "bulkhead/caps.h"
#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"

namespace bulkhead::runtime {

namespace {

using json::Value;
using policy::Action;
using policy::Decision;
using policy::Finding;
using policy::Verdict;

constexpr size_t kSpecMax = 64u << 20; /* config.json */
constexpr size_t kSmallMax = 4u << 20; /* an exec process or update resources */
constexpr size_t kMessageMax = 4000;   /* a refusal stays well under 8 KiB */

using sys::Fd;

/* A temporary file in a directory, unlinked unless committed. */
class TempFile
{
public:
	TempFile(int dirFd, std::string name) noexcept : dirFd_(dirFd), name_(std::move(name)) {}
	TempFile(const TempFile &) = delete;
	TempFile &operator=(const TempFile &) = delete;
	~TempFile()
	{
		if (armed_)
			::unlinkat(dirFd_, name_.c_str(), 0);
	}
	[[nodiscard]] const std::string &name() const noexcept { return name_; }
	void commit() noexcept { armed_ = false; }

private:
	int dirFd_;
	std::string name_;
	bool armed_ = true;
};

struct Ctx
{
	const cli::Invocation &inv;
	const Config &cfg;
	const policy::Policy &pol;
	const HostFacts &host;
	std::string id;
	audit::Record rec;
	bool recorded = false;
	json::Value annotations = json::Value::object(); /* exec/update: the container's */
};

void writeAll(int fd, std::string_view data, const std::string &what)
{
	size_t done = 0;
	while (done < data.size()) {
		ssize_t n = ::write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throwErrno(what);
		if (n == 0) {
			errno = EIO;
			throwErrno(what);
		}
		done += static_cast<size_t>(n);
	}
}

std::string currentDir()
{
	char buf[PATH_MAX];
	if (::getcwd(buf, sizeof buf) == nullptr)
		throwErrno("getcwd");
	return buf;
}

/* The runtime's --root as runc resolves it (filepath.Abs); "" when not given. */
std::string runtimeRoot(const cli::Invocation &inv)
{
	const cli::FlagUse *root = inv.global("root");
	if (!root || !root->value || root->value->empty())
		return {};
	const std::string &r = *root->value;
	return r[0] == '/' ? r : currentDir() + "/" + r;
}

/* "<rule>: <message> (<remedy>); ..." for the denied findings, one line. */
std::string denyMessage(const Decision &d)
{
	std::string out;
	for (const auto &f : d.findings) {
		if (f.action != Action::Deny)
			continue;
		std::string one = f.rule + ": " + f.message;
		if (!f.remedy.empty())
			one += " (" + f.remedy + ")";
		if (!out.empty())
			out += "; ";
		out += one;
	}
	if (out.empty())
		out = "policy " + d.policyName + " refused the call";
	out = singleLine(std::move(out));
	if (out.size() > kMessageMax) {
		out.resize(kMessageMax);
		out += "; ...";
	}
	return out;
}

/* Write the audit record of a decision. Returns "" or, when the record could
 * not be written for a call that is refused anyway, the reason. Throws when a
 * call that would go ahead cannot be recorded (unless audit.onError continue). */
std::string record(Ctx &c, const Decision &d, bool refused)
{
	c.rec.decision = &d;
	try {
		audit::write(c.cfg.audit, c.rec);
		c.recorded = true;
		return "";
	} catch (const Error &e) {
		c.recorded = true; /* no error record on top */
		if (refused)
			return e.what();
		throw;
	}
}

[[noreturn]] void refuse(Ctx &c, const Decision &d, std::string_view specText)
{
	if (!c.cfg.audit.keepDenied.empty() && !specText.empty()) {
		try {
			c.rec.kept = audit::keepDenied(c.cfg.audit.keepDenied, specText);
		} catch (const Error &e) {
			c.rec.error = e.what();
		}
	}
	std::string msg = denyMessage(d);
	std::string auditErr = record(c, d, true);
	if (!auditErr.empty())
		msg += " [audit record not written: " + singleLine(auditErr).substr(0, 300) + "]";
	throw Error(ErrorKind::Denied, msg);
}

Decision emptyDecision(const policy::Policy &pol)
{
	Decision d;
	d.mode = pol.mode();
	d.policyName = pol.name();
	d.policySha256 = pol.sha256();
	d.patch = Value::array();
	return d;
}

/* ---- rule settings read straight from the policy (inline flags) ---- */

const Value *ruleObject(const policy::Policy &pol, std::string_view rule)
{
	const Value *rules = pol.document().find("rules");
	if (rules == nullptr || !rules->isObject())
		return nullptr;
	const Value *r = rules->find(rule);
	return r != nullptr && r->isObject() ? r : nullptr;
}

/* The action a refusal of an inline flag takes under this rule: nullopt when the
 * rule is off (absent, or "action": "off"); Audit when the rule only audits;
 * Deny otherwise (a flag cannot be mutated: argv stays as the engine sent it). */
std::optional<Action> flagAction(const policy::Policy &pol, std::string_view rule)
{
	const Value *r = ruleObject(pol, rule);
	if (r == nullptr)
		return std::nullopt;
	const Value *a = r->find("action");
	std::string act = a != nullptr && a->isString() ? a->asString() : "mutate";
	if (act == "off")
		return std::nullopt;
	if (act == "audit")
		return Action::Audit;
	return Action::Deny;
}

std::vector<std::string> paramStrings(const policy::Policy &pol, std::string_view rule,
                                      std::string_view name, std::vector<std::string> def)
{
	const Value *r = ruleObject(pol, rule);
	const Value *p = r != nullptr ? r->find(name) : nullptr;
	if (p == nullptr)
		return def;
	if (!p->isArray())
		throw Error(ErrorKind::Policy, "rule " + std::string(rule) + ": \"" +
		                                       std::string(name) + "\" is not a list");
	std::vector<std::string> out;
	for (const auto &v : p->items()) {
		if (!v.isString())
			throw Error(ErrorKind::Policy, "rule " + std::string(rule) + ": \"" +
			                                       std::string(name) +
			                                       "\" holds a non-string");
		out.push_back(v.asString());
	}
	return out;
}

int64_t paramInt(const policy::Policy &pol, std::string_view rule, std::string_view name,
                 int64_t def)
{
	const Value *r = ruleObject(pol, rule);
	const Value *p = r != nullptr ? r->find(name) : nullptr;
	if (p == nullptr)
		return def;
	auto v = p->isNumber() ? p->asInt64() : std::nullopt;
	if (!v)
		throw Error(ErrorKind::Policy, "rule " + std::string(rule) + ": \"" +
		                                       std::string(name) + "\" is not an integer");
	return *v;
}

/* Add a finding for a widening flag, following the rule's action and the mode. */
void flagFinding(Decision &d, const policy::Policy &pol, std::string_view rule, std::string pointer,
                 std::string message, std::string remedy)
{
	auto act = flagAction(pol, rule);
	if (!act)
		return;
	Finding f;
	f.rule = std::string(rule);
	f.pointer = std::move(pointer);
	f.message = std::move(message);
	f.remedy = std::move(remedy);
	f.wouldBe = *act;
	f.action = pol.mode() == policy::Mode::Audit ? Action::Audit : *act;
	if (f.action == Action::Deny)
		d.verdict = Verdict::Deny;
	if (f.wouldBe == Action::Deny)
		d.wouldBe = Verdict::Deny;
	d.findings.push_back(std::move(f));
}

/* ---- number syntax of runc's flags ---- */

/* Go's strconv.Atoi: optional sign, decimal digits, within int64. */
std::optional<int64_t> goAtoi(std::string_view s)
{
	bool neg = false;
	if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		s.remove_prefix(1);
	}
	if (s.empty() || s.size() > 19)
		return std::nullopt;
	uint64_t v = 0;
	for (char ch : s) {
		if (ch < '0' || ch > '9')
			return std::nullopt;
		v = v * 10 + static_cast<uint64_t>(ch - '0');
	}
	if (v > static_cast<uint64_t>(INT64_MAX))
		return std::nullopt;
	auto i = static_cast<int64_t>(v);
	return neg ? -i : i;
}

/* runc converts with uint32(id): 4294967296 and -4294967296 are 0 too. */
bool idIsZero(int64_t v)
{
	return (static_cast<uint64_t>(v) & 0xffffffffu) == 0;
}

} // namespace

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

/* ---- memfds handed to the runtime ---- */

/* A sealed memfd holding content, at a descriptor number >= minFd, inherited
 * across execv (no close-on-exec). Returns the descriptor. */
int makeMemfd(std::string_view content, const char *name, int minFd)
{
	Fd fd(::memfd_create(name, MFD_ALLOW_SEALING));
	if (fd.get() < 0)
		throwErrno(std::string("memfd_create ") + name);
	writeAll(fd.get(), content, std::string("memfd ") + name);
	if (::lseek(fd.get(), 0, SEEK_SET) != 0)
		throwErrno(std::string("memfd ") + name);
	if (::fcntl(fd.get(), F_ADD_SEALS,
	            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		throwErrno(std::string("memfd ") + name + ": seal");
	if (fd.get() >= minFd)
		return fd.release();
	/* above the descriptors the engine asked runc to pass on (--preserve-fds) */
	int moved = ::fcntl(fd.get(), F_DUPFD, minFd);
	if (moved < 0)
		throwErrno(std::string("memfd ") + name + ": dup");
	return moved;
}

void replaceValue(std::vector<std::string> &argv, const cli::FlagUse &f, const std::string &v)
{
	if (f.valueIndex == f.index) {
		std::string &arg = argv.at(f.index);
		auto eq = arg.find('=');
		if (eq == std::string::npos)
			throw Error(ErrorKind::Internal, "flag --" + f.name + " has no value");
		arg = arg.substr(0, eq + 1) + v;
	} else {
		argv.at(f.valueIndex) = v;
	}
}

int minInheritFd(const cli::Invocation &inv)
{
	const cli::FlagUse *p = inv.flag("preserve-fds");
	int64_t n = 0;
	if (p != nullptr && p->value) {
		auto v = goAtoi(*p->value);
		if (!v || *v < 0 || *v > 65536)
			throw Error(ErrorKind::Usage, "exec: --preserve-fds \"" + *p->value +
			                                      "\": not a count of descriptors");
		n = *v;
	}
	return static_cast<int>(3 + n);
}

std::vector<const cli::FlagUse *> uses(const cli::Invocation &inv, std::string_view name)
{
	std::vector<const cli::FlagUse *> out;
	for (const auto &f : inv.flags)
		if (f.name == name)
			out.push_back(&f);
	return out;
}

/* Go's strconv.ParseBool; nullopt for anything else. */
std::optional<bool> goBool(std::string_view s)
{
	if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True")
		return true;
	if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False")
		return false;
	return std::nullopt;
}

/* ---- the container behind an exec or update ---- */

/* The annotations of a running container, from the state runc keeps for it
 * (ROOT/ID/state.json, where runc stores each annotation as a "key=value"
 * label): exemptions and overrides matched on annotations then apply to exec
 * and update too, and the audit record names the pod. An empty object when the
 * state cannot be read (nothing is exempted then). */
Value containerAnnotations(const cli::Invocation &inv, const std::string &id)
{
	Value out = Value::object();
	if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
		return out;
	std::string root = "/run/runc";
	if (const cli::FlagUse *r = inv.global("root");
	    r != nullptr && r->value && !r->value->empty())
		root = *r->value;
	else if (::geteuid() != 0)
		return out; /* rootless runc keeps its state under XDG_RUNTIME_DIR: not trusted here
		             */
	try {
		const std::string path = root + "/" + id + "/state.json";
		const Value state = json::parse(json::readFile(path, kSpecMax, true), path);
		const Value *config = state.find("config");
		const Value *labels = config != nullptr ? config->find("labels") : nullptr;
		if (labels == nullptr || !labels->isArray())
			return out;
		for (const auto &l : labels->items()) {
			if (!l.isString())
				continue;
			const std::string &kv = l.asString();
			auto eq = kv.find('=');
			if (eq == std::string::npos || eq == 0 || kv.compare(0, eq, "bundle") == 0)
				continue;
			if (out.find(kv.substr(0, eq)) == nullptr)
				out.set(kv.substr(0, eq), Value::string(kv.substr(eq + 1)));
		}
	} catch (const Error &) {
		return Value::object();
	}
	return out;
}

/* ---- create / run / restore ---- */

std::vector<std::string> hardenBundle(Ctx &c)
{
	if (const cli::FlagUse *f = c.inv.flag("config"))
		throw Error(
		        ErrorKind::Usage,
		        c.inv.commandName + ": --config/-f " + f->value.value_or("") +
		                ": a spec outside the bundle is not supported by bulkhead; keep it "
		                "at BUNDLE/config.json");
	std::string bundle = c.inv.bundle();
	if (bundle.empty())
		bundle = currentDir();
	else if (bundle[0] != '/')
		bundle = currentDir() + "/" + bundle;
	while (bundle.size() > 1 && bundle.back() == '/')
		bundle.pop_back();
	const std::string path = bundle + "/config.json";
	c.rec.bundle = bundle;
	c.rec.subject = path;

	Fd dir(::open(bundle.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (dir.get() < 0)
		throwErrno("bundle " + bundle);
	Fd file(::openat(dir.get(), "config.json",
	                 O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
	if (file.get() < 0) {
		if (errno == ELOOP)
			throw Error(ErrorKind::Io, path + ": is a symbolic link (refused)");
		throwErrno(path);
	}
	struct stat st
	{
	};
	if (::fstat(file.get(), &st) != 0)
		throwErrno(path);
	if (!S_ISREG(st.st_mode))
		throw Error(ErrorKind::Io, path + ": not a regular file (refused)");
	const std::string text = json::readFd(file.get(), path, kSpecMax);
	const Value spec = json::parse(text, path);
	c.rec.engine = audit::engineHints(spec);

	policy::CallContext call{c.id, bundle, c.inv.commandName, c.cfg.engine, runtimeRoot(c.inv)};
	Decision d = c.pol.evaluate(spec, policy::Scope::Spec, call, c.host);
	if (d.verdict == Verdict::Deny)
		refuse(c, d, text);
	if (d.verdict == Verdict::Allow) {
		record(c, d, false);
		return c.inv.argv;
	}

	/* Mutate: write the hardened copy completely beside the original as an
	 * unnamed file (O_TMPFILE), record the decision, then name it and rename it
	 * over config.json. Killed before the naming, bulkhead leaves nothing in
	 * the bundle; a file system without O_TMPFILE gets a named temporary file. */
	const std::string out = json::write(d.result, true);
	unsigned char rnd[6] = {};
	if (::getrandom(rnd, sizeof rnd, 0) != static_cast<ssize_t>(sizeof rnd))
		throwErrno("getrandom");
	std::string tmpName = ".config.json.bulkhead-";
	for (unsigned char b : rnd)
		tmpName += strprintf("%02x", b);
	const std::string tmpPath = bundle + "/" + tmpName;
	Fd tmp(::openat(dir.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
	const bool unnamed = tmp.get() >= 0;
	if (!unnamed) {
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			throwErrno(path + ": cannot create the hardened copy in " + bundle);
		tmp = Fd(::openat(dir.get(), tmpName.c_str(),
		                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		                  0600));
		if (tmp.get() < 0)
			throwErrno(path + ": cannot create the hardened copy in " + bundle);
	}
	std::optional<TempFile> guard;
	if (!unnamed)
		guard.emplace(dir.get(), tmpName);
	if ((st.st_uid != ::geteuid() || st.st_gid != ::getegid()) &&
	    ::fchown(tmp.get(), st.st_uid, st.st_gid) != 0)
		throwErrno(tmpPath + ": chown");
	if (::fchmod(tmp.get(), st.st_mode & 07777) != 0)
		throwErrno(tmpPath + ": chmod");
	writeAll(tmp.get(), out, tmpPath + ": write");
	if (::fsync(tmp.get()) != 0)
		throwErrno(tmpPath + ": fsync");

	record(c, d, false);

	if (const char *pause = std::getenv("BULKHEAD_TEST_PAUSE_US")) {
		auto us = goAtoi(pause);
		if (us && *us > 0 && *us <= 10'000'000)
			::usleep(static_cast<useconds_t>(*us));
	}
	/* the file we read must still be the one in place */
	struct stat now
	{
	};
	if (::fstatat(dir.get(), "config.json", &now, AT_SYMLINK_NOFOLLOW) != 0)
		throwErrno(path);
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		throw Error(ErrorKind::Io,
		            path + ": replaced while bulkhead was reading it (refused)");
	if (unnamed) {
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd does not. */
		if (::linkat(tmp.get(), "", dir.get(), tmpName.c_str(), AT_EMPTY_PATH) != 0) {
			const std::string self = strprintf("/proc/self/fd/%d", tmp.get());
			if (::linkat(AT_FDCWD, self.c_str(), dir.get(), tmpName.c_str(),
			             AT_SYMLINK_FOLLOW) != 0)
				throwErrno(tmpPath + ": link");
		}
		guard.emplace(dir.get(), tmpName);
	}
	if (::close(tmp.release()) != 0)
		throwErrno(tmpPath + ": close");
	if (::renameat(dir.get(), tmpName.c_str(), dir.get(), "config.json") != 0)
		throwErrno(path + ": rename");
	guard->commit();
	if (::fsync(dir.get()) != 0)
		throwErrno(bundle + ": fsync");
	return c.inv.argv;
}

/* ---- exec ---- */

void checkUserFlag(Decision &d, const policy::Policy &pol, const std::string &v)
{
	auto colon = v.find(':');
	std::string_view uid = std::string_view(v).substr(0, colon);
	std::optional<std::string_view> gid;
	if (colon != std::string::npos)
		gid = std::string_view(v).substr(colon + 1);
	const char *remedy =
	        "exec as the container's own user: drop --user, or use a non-zero UID:GID";
	auto u = goAtoi(uid);
	if (!u) {
		flagFinding(d, pol, "P1.user", "/process/user/uid",
		            "exec --user " + v + ": only a numeric UID[:GID] can be checked",
		            remedy);
		return;
	}
	if (idIsZero(*u))
		flagFinding(d, pol, "P1.user", "/process/user/uid",
		            "exec --user " + v + ": runs as uid 0", remedy);
	if (gid) {
		auto g = goAtoi(*gid);
		if (!g)
			flagFinding(d, pol, "P1.user", "/process/user/gid",
			            "exec --user " + v + ": only a numeric GID can be checked",
			            remedy);
		else if (idIsZero(*g))
			flagFinding(d, pol, "P1.user", "/process/user/gid",
			            "exec --user " + v + ": runs with gid 0", remedy);
	}
}

void checkGidsFlag(Decision &d, const policy::Policy &pol, const std::string &v)
{
	size_t start = 0;
	while (start <= v.size()) {
		size_t comma = v.find(',', start);
		std::string one = v.substr(start, comma == std::string::npos ? std::string::npos
		                                                             : comma - start);
		auto g = goAtoi(one);
		if (!g || idIsZero(*g))
			flagFinding(d, pol, "P1.user", "/process/user/additionalGids",
			            "exec --additional-gids " + v +
			                    (g ? ": adds gid 0" : ": not a numeric group ID"),
			            "drop --additional-gids 0");
		if (comma == std::string::npos)
			break;
		start = comma + 1;
	}
}

Decision checkExecFlags(const Ctx &c)
{
	const policy::Policy &pol = c.pol;
	Decision d = emptyDecision(pol);
	for (const auto *f : uses(c.inv, "user"))
		if (f->value && !f->value->empty())
			checkUserFlag(d, pol, *f->value);
	for (const auto *f : uses(c.inv, "additional-gids"))
		if (f->value)
			checkGidsFlag(d, pol, *f->value);
	const auto allowed =
	        paramStrings(pol, "P3.capabilities", "allowed", {"CAP_NET_BIND_SERVICE"});
	for (const auto *f : uses(c.inv, "cap")) {
		if (!f->value)
			continue;
		const std::string &cap = *f->value;
		bool ok = caps::fromName(cap).has_value() &&
		          std::find(allowed.begin(), allowed.end(), cap) != allowed.end();
		if (!ok)
			flagFinding(d, pol, "P3.capabilities", "/process/capabilities/bounding",
			            "exec --cap " + cap + ": outside the allowed capabilities",
			            "drop --cap / docker exec --privileged");
	}
	for (const auto *f : uses(c.inv, "no-new-privs")) {
		if (!f->value)
			continue;
		auto b = goBool(*f->value);
		if (!b || !*b)
			flagFinding(d, pol, "P4.no-new-privileges", "/process/noNewPrivileges",
			            "exec --no-new-privs=" + *f->value + ": turns no_new_privs off",
			            "drop --no-new-privs=false");
	}
	for (const auto *f : uses(c.inv, "apparmor"))
		if (f->value && *f->value == "unconfined")
			flagFinding(d, pol, "process.apparmor", "/process/apparmorProfile",
			            "exec --apparmor unconfined: no AppArmor confinement",
			            "drop --apparmor unconfined");
	const auto types = paramStrings(pol, "process.selinux", "allowedTypes", {"container_t"});
	for (const auto *f : uses(c.inv, "process-label")) {
		if (!f->value || f->value->empty())
			continue;
		/* user:role:type[:level] */
		std::string type;
		size_t a = f->value->find(':');
		size_t b = a == std::string::npos ? a : f->value->find(':', a + 1);
		if (b != std::string::npos)
			type = f->value->substr(b + 1, f->value->find(':', b + 1) - b - 1);
		if (type.empty() || std::find(types.begin(), types.end(), type) == types.end())
			flagFinding(d, pol, "process.selinux", "/process/selinuxLabel",
			            "exec --process-label " + *f->value +
			                    ": SELinux type not in the allowed types",
			            "drop --process-label");
	}
	for (const auto *f : uses(c.inv, "cwd")) {
		if (!f->value || f->value->empty())
			continue;
		const std::string &cwd = *f->value;
		const std::string n = policy::paths::normalize(cwd);
		if (cwd[0] != '/' || n == "/proc" || n.starts_with("/proc/"))
			flagFinding(d, pol, "process.cwd", "/process/cwd",
			            "exec --cwd " + cwd + ": relative or under /proc",
			            "exec with an absolute --cwd outside /proc");
	}
	return d;
}

/* Fold the inline-flag findings into the decision on a file. */
void merge(Decision &into, Decision &&flags)
{
	for (auto &f : flags.findings)
		into.findings.push_back(std::move(f));
	if (flags.verdict == Verdict::Deny)
		into.verdict = Verdict::Deny;
	if (flags.wouldBe == Verdict::Deny)
		into.wouldBe = Verdict::Deny;
}

/* Annotations of the running container: into the evaluated document and the record. */
void loadAnnotations(Ctx &c)
{
	c.annotations = containerAnnotations(c.inv, c.id);
	Value holder = Value::object();
	holder.set("annotations", c.annotations);
	c.rec.engine = audit::engineHints(holder);
}

/* exec / update with inline flags only: the argv goes through as it came once
 * the flags are allowed. */
std::vector<std::string> flagsOnly(Ctx &c, const Decision &flags)
{
	c.rec.subject = "flags";
	if (flags.verdict == Verdict::Deny)
		refuse(c, flags, "");
	record(c, flags, false);
	return c.inv.argv;
}

/* The decision on an exec --process or update --resources document: the
 * container's annotations beside it, the inline-flag findings folded in, a
 * denial refused (with TEXT, the document as read, kept for auditors). */
Decision judge(Ctx &c, Value doc, policy::Scope scope, Decision flags, const std::string &text)
{
	if (!c.annotations.members().empty())
		doc.set("annotations", c.annotations);
	policy::CallContext call{c.id, "", c.inv.commandName};
	Decision d = c.pol.evaluate(doc, scope, call, c.host);
	merge(d, std::move(flags));
	if (d.verdict == Verdict::Deny)
		refuse(c, d, text);
	return d;
}

/* Record D and hand OUT to the runtime in a sealed memfd above the descriptors
 * it passes on, named in argv in place of FLAG's file. */
std::vector<std::string> handOver(Ctx &c, const Decision &d, const cli::FlagUse &flag,
                                  const std::string &out, const char *memfdName)
{
	Fd mfd(makeMemfd(out, memfdName, minInheritFd(c.inv)));
	record(c, d, false);
	std::vector<std::string> argv = c.inv.argv;
	replaceValue(argv, flag, strprintf("/proc/self/fd/%d", mfd.get()));
	mfd.release(); /* inherited by the runtime */
	return argv;
}

std::vector<std::string> hardenExec(Ctx &c)
{
	loadAnnotations(c);
	Decision flags = checkExecFlags(c);
	const cli::FlagUse *proc = c.inv.flag("process");
	if (proc == nullptr)
		return flagsOnly(c, flags);
	if (!proc->value || proc->value->empty())
		throw Error(ErrorKind::Usage, "exec: --process needs a file");
	const std::string &file = *proc->value;
	c.rec.subject = "--process " + file;
	const std::string text = json::readFileOrPipe(file, kSmallMax);
	Value doc = Value::object();
	doc.set("process", json::parse(text, file));
	const Decision d = judge(c, std::move(doc), policy::Scope::Process, std::move(flags), text);
	const Value *p = d.result.find("process");
	if (p == nullptr)
		throw Error(ErrorKind::Internal, "exec: the hardened document has no process");
	return handOver(c, d, *proc, json::write(*p, true), "bulkhead-process");
}

/* ---- update ---- */

Decision checkUpdateFlags(const Ctx &c)
{
	const policy::Policy &pol = c.pol;
	Decision d = emptyDecision(pol);
	const int64_t memMax = paramInt(pol, "P6.memory", "max", 2147483648);
	const int64_t pidsMax = paramInt(pol, "P6.pids", "max", 4096);
	struct MemFlag
	{
		const char *name;
		const char *pointer;
	};
	for (MemFlag m : {MemFlag{"memory", "/linux/resources/memory/limit"},
	                  MemFlag{"memory-swap", "/linux/resources/memory/swap"}}) {
		for (const auto *f : uses(c.inv, m.name)) {
			if (!f->value || f->value->empty())
				continue;
			const std::string &v = *f->value;
			const std::string what = std::string("update --") + m.name + " " + v;
			if (v == "-1") {
				flagFinding(d, pol, "P6.memory", m.pointer,
				            what + ": removes the memory limit",
				            "docker update --memory within the policy's max");
				continue;
			}
			auto bytes = parseRamSize(v);
			if (!bytes)
				flagFinding(d, pol, "P6.memory", m.pointer,
				            what + ": not a size bulkhead can check",
				            "use a size like 512m");
			else if (*bytes > memMax)
				flagFinding(
				        d, pol, "P6.memory", m.pointer,
				        what + strprintf(": above the policy's max of %lld bytes",
				                         static_cast<long long>(memMax)),
				        "docker update --memory within the policy's max");
		}
	}
	for (const auto *f : uses(c.inv, "pids-limit")) {
		if (!f->value || f->value->empty())
			continue;
		const std::string &v = *f->value;
		auto n = goAtoi(v);
		if (!n)
			flagFinding(d, pol, "P6.pids", "/linux/resources/pids/limit",
			            "update --pids-limit " + v + ": not a number",
			            "docker update --pids-limit within the policy's max");
		else if (*n < 0)
			flagFinding(d, pol, "P6.pids", "/linux/resources/pids/limit",
			            "update --pids-limit " + v + ": removes the pids limit",
			            "docker update --pids-limit within the policy's max");
		else if (*n > pidsMax)
			flagFinding(d, pol, "P6.pids", "/linux/resources/pids/limit",
			            "update --pids-limit " + v +
			                    strprintf(": above the policy's max of %lld",
			                              static_cast<long long>(pidsMax)),
			            "docker update --pids-limit within the policy's max");
	}
	return d;
}

std::vector<std::string> checkUpdate(Ctx &c)
{
	loadAnnotations(c);
	Decision flags = checkUpdateFlags(c);
	const cli::FlagUse *res = c.inv.flag("resources");
	if (res == nullptr)
		return flagsOnly(c, flags);
	if (!res->value || res->value->empty())
		throw Error(ErrorKind::Usage, "update: --resources needs a file or -");
	const bool fromStdin = *res->value == "-";
	c.rec.subject = "--resources " + *res->value;
	const std::string text = fromStdin ? json::readFd(0, "stdin", kSmallMax)
	                                   : json::readFileOrPipe(*res->value, kSmallMax);
	const std::string name = fromStdin ? std::string("stdin") : *res->value;
	Value linux = Value::object();
	linux.set("resources", json::parse(text, name));
	Value doc = Value::object();
	doc.set("linux", std::move(linux));
	const Decision d =
	        judge(c, std::move(doc), policy::Scope::Resources, std::move(flags), text);
	const Value *l = d.result.find("linux");
	const Value *r = l != nullptr ? l->find("resources") : nullptr;
	if (r == nullptr)
		throw Error(ErrorKind::Internal, "update: the checked document has no resources");
	const std::string out = json::write(*r, true);
	if (fromStdin) {
		Fd mfd(makeMemfd(out, "bulkhead-resources", 0));
		record(c, d, false);
		if (::dup2(mfd.get(), 0) < 0)
			throwErrno("update: stdin");
		return c.inv.argv;
	}
	return handOver(c, d, *res, out, "bulkhead-resources");
}

} // namespace

std::vector<std::string> prepare(const cli::Invocation &inv, const Config &cfg)
{
	/* A runtime that cannot run must be found before the spec is replaced. */
	struct stat rt
	{
	};
	if (cfg.runtime.empty() || ::stat(cfg.runtime.c_str(), &rt) != 0 || !S_ISREG(rt.st_mode) ||
	    ::access(cfg.runtime.c_str(), X_OK) != 0)
		throw Error(
		        ErrorKind::Runtime,
		        "runtime \"" + cfg.runtime + "\": not an executable file" +
		                (cfg.path.empty() ? "" : " (set \"runtime\" in " + cfg.path + ")"));
	const policy::Policy pol = [&] {
		try {
			return policy::Policy::load(cfg.policy, ::geteuid() == 0);
		} catch (const Error &e) {
			/* no policy, no decision: an error record, best effort */
			audit::Record r;
			r.command = inv.commandName;
			r.containerId = inv.containerId.value_or("");
			r.subject = "policy " + cfg.policy;
			r.error = e.what();
			try {
				audit::write(cfg.audit, r);
			} catch (const Error &) {
			}
			throw;
		}
	}();
	const RealHost host;
	Ctx c{inv, cfg, pol, host, inv.containerId.value_or(""), {}, false, json::Value::object()};
	c.rec.command = inv.commandName;
	c.rec.containerId = c.id;
	try {
		switch (inv.command) {
		case cli::Command::Create:
		case cli::Command::Run:
		case cli::Command::Restore:
			return hardenBundle(c);
		case cli::Command::Exec:
			return hardenExec(c);
		case cli::Command::Update:
			return checkUpdate(c);
		default:
			throw Error(ErrorKind::Internal,
			            "runtime::prepare called for \"" + inv.commandName + "\"");
		}
	} catch (const Error &e) {
		if (e.kind() != ErrorKind::Denied && !c.recorded) {
			/* a failed call leaves a trace too, best effort */
			c.rec.decision = nullptr;
			c.rec.error = e.what();
			try {
				audit::write(cfg.audit, c.rec);
			} catch (const Error &) {
			}
		}
		throw;
	} catch (const std::exception &e) {
		throw Error(ErrorKind::Internal, std::string(inv.commandName) + ": " + e.what());
	}
}

} // namespace bulkhead::runtime
