#include "bulkhead/audit.h"

#include "bulkhead_build.h"
#include "sys/fd.h"
#include "sys/utc.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/sha256.h"

namespace bulkhead::audit {

namespace {

using sys::Fd;

/* Replace the bytes of s that are not part of well-formed UTF-8 by '?'. */
std::string cleanUtf8(std::string_view s)
{
	std::string out;
	out.reserve(s.size());
	for (size_t i = 0; i < s.size();) {
		const size_t len = json::detail::utf8Sequence(s, i);
		if (len == 0) {
			out.push_back('?');
			i++;
		} else {
			out.append(s.substr(i, len));
			i += len;
		}
	}
	return out;
}

json::Value str(std::string_view s)
{
	return json::Value::string(cleanUtf8(s));
}

std::string hostName()
{
	struct utsname u
	{
	};
	if (::uname(&u) != 0)
		return "";
	return u.nodename;
}

/* "input": {"sha256": HEX}, when the call read a document */
void setInput(json::Value &rec, const Record &r)
{
	if (r.inputSha256.empty())
		return;
	json::Value in = json::Value::object();
	in.set("sha256", json::Value::string(r.inputSha256));
	rec.set("input", std::move(in));
}

bool isHintKey(std::string_view k)
{
	return k.starts_with("io.kubernetes.") || k == "io.container.manager" ||
	       k.starts_with("io.podman.") || k.starts_with("nerdctl/");
}

} // namespace

void makeDirs(const std::string &path, unsigned mode)
{
	if (path.empty())
		return;
	struct stat st
	{
	};
	if (::stat(path.c_str(), &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			throw Error(ErrorKind::Io, path + ": not a directory");
		return;
	}
	if (errno != ENOENT)
		throwErrno(path);
	auto slash = path.find_last_of('/');
	if (slash != std::string::npos && slash > 0)
		makeDirs(path.substr(0, slash), mode);
	if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) {
		if (errno == EEXIST)
			return;
		throwErrno("mkdir " + path);
	}
	/* exactly the mode asked for, whatever the umask */
	if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
		throwErrno("chmod " + path);
}

json::Value engineHints(const json::Value &spec)
{
	json::Value out = json::Value::object();
	const json::Value *ann = spec.find("annotations");
	if (ann == nullptr || !ann->isObject())
		return out;
	size_t n = 0;
	for (const auto &[k, v] : ann->members()) {
		if (!isHintKey(k) || !v.isString())
			continue;
		if (++n > 32)
			break;
		std::string val = v.asString();
		if (val.size() > 256)
			val.resize(256);
		out.set(cleanUtf8(k), str(val));
	}
	return out;
}

std::string rfc3339Now()
{
	struct timespec ts
	{
	};
	::clock_gettime(CLOCK_REALTIME, &ts);
	const utc::Fields f = utc::fields(ts.tv_sec);
	return strprintf("%04lld-%02d-%02dT%02d:%02d:%02d.%03ldZ", static_cast<long long>(f.year),
	                 f.month, f.day, f.hour, f.minute, f.second, ts.tv_nsec / 1000000L);
}

std::string format(const Record &r, std::string_view time, std::string_view host)
{
	using json::Value;
	Value rec = Value::object();
	rec.set("time", Value::string(std::string(time)));
	rec.set("host", str(host));
	rec.set("pid", Value::number(static_cast<int64_t>(::getpid())));
	rec.set("bulkhead", Value::string(BULKHEAD_VERSION));
	rec.set("command", str(r.command));
	rec.set("containerId", str(r.containerId));
	rec.set("bundle", str(r.bundle));
	rec.set("subject", str(r.subject));
	rec.set("engine", r.engine.isObject() ? r.engine : Value::object());
	if (r.decision == nullptr) {
		rec.set("verdict", Value::string("error"));
		rec.set("error", str(r.error));
		setInput(rec, r);
		return json::write(rec) + "\n";
	}
	const policy::Decision &d = *r.decision;
	Value pol = Value::object();
	pol.set("name", str(d.policyName));
	pol.set("sha256", str(d.policySha256));
	pol.set("version", str(d.policyVersion));
	rec.set("policy", pol);
	rec.set("mode", Value::string(d.mode == policy::Mode::Audit ? "audit" : "enforce"));
	rec.set("verdict", Value::string(policy::verdictName(d.verdict)));
	if (d.wouldBe != d.verdict)
		rec.set("wouldBe", Value::string(policy::verdictName(d.wouldBe)));
	Value findings = Value::array();
	for (const auto &f : d.findings) {
		Value o = Value::object();
		o.set("rule", str(f.rule));
		o.set("pointer", str(f.pointer));
		o.set("message", str(f.message));
		o.set("action", Value::string(policy::actionName(f.action)));
		if (f.wouldBe != f.action)
			o.set("wouldBe", Value::string(policy::actionName(f.wouldBe)));
		if (!f.remedy.empty())
			o.set("remedy", str(f.remedy));
		findings.push(std::move(o));
	}
	rec.set("findings", std::move(findings));
	/* The patch follows, written from the decision where it is (a mutating
	 * create's holds the whole seccomp profile): the members before it and
	 * after it are written as two objects and joined around it. */
	const std::string head = json::write(rec);
	rec = Value::object();
	/* exemptions and overrides are recorded alike */
	auto uses = [](const auto &list) {
		Value a = Value::array();
		for (const auto &e : list) {
			Value o = Value::object();
			o.set("name", str(e.name));
			o.set("reason", str(e.reason));
			o.set("expires", e.expires.empty() ? Value() : str(e.expires));
			Value rules = Value::array();
			for (const auto &rule : e.rules)
				rules.push(str(rule));
			o.set("rules", std::move(rules));
			a.push(std::move(o));
		}
		return a;
	};
	rec.set("exemptions", uses(d.exemptions));
	if (!d.overrides.empty())
		rec.set("overrides", uses(d.overrides));
	if (!r.kept.empty())
		rec.set("kept", str(r.kept));
	if (!r.error.empty())
		rec.set("error", str(r.error));
	/* exemptions and overrides that matched but had expired: not applied */
	Value expired = Value::array();
	for (const auto &e : d.expired) {
		Value o = Value::object();
		o.set("kind", str(e.kind));
		o.set("name", str(e.name));
		o.set("expires", str(e.expires));
		Value rules = Value::array();
		for (const auto &rule : e.rules)
			rules.push(str(rule));
		o.set("rules", std::move(rules));
		expired.push(std::move(o));
	}
	rec.set("expired", std::move(expired));
	/* who runs it, as far as the configured engine proves it */
	rec.set("facts", policy::factsJson(d.facts));
	setInput(rec, r);
	const std::string tail = json::write(rec);
	std::string line;
	line.reserve(head.size() + tail.size() + 16);
	line.append(head, 0, head.size() - 1); /* "{...": without its "}" */
	line += ",\"patch\":";
	line += d.patch.isArray() ? json::write(d.patch) : std::string("[]");
	line += ',';
	line.append(tail, 1); /* "...}": without its "{" (it holds exemptions) */
	line += '\n';
	return line;
}

/* The size of the log once a torn last line (no newline at its end) is cut
 * off; called with the lock held. */
off_t repairTail(int fd, const std::string &path)
{
	struct stat st
	{
	};
	if (::fstat(fd, &st) != 0)
		throwErrno("audit log " + path + ": fstat");
	off_t end = st.st_size;
	char buf[4096];
	while (end > 0) {
		const off_t from = end > static_cast<off_t>(sizeof buf)
		                           ? end - static_cast<off_t>(sizeof buf)
		                           : 0;
		const ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - from), from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != end - from)
			throwErrno("audit log " + path + ": read");
		const void *nl = memrchr(buf, '\n', static_cast<size_t>(n));
		if (nl != nullptr) {
			end = from + (static_cast<const char *>(nl) - buf) + 1;
			break;
		}
		end = from;
	}
	if (end != st.st_size && ::ftruncate(fd, end) != 0)
		throwErrno("audit log " + path + ": cutting a torn last line");
	return end;
}

void append(const std::string &path, std::string_view line)
{
	auto fail = [&path](const std::string &what) {
		int e = errno;
		throw Error(ErrorKind::Io,
		            "audit log " + path + ": " + what + ": " + std::strerror(e));
	};
	if (path.empty() || path[0] != '/')
		throw Error(ErrorKind::Io, "audit log \"" + path + "\": not an absolute path");
	auto slash = path.find_last_of('/');
	try {
		makeDirs(path.substr(0, slash), 0750);
	} catch (const Error &e) {
		throw e.wrap("audit log " + path);
	}
	/* read too: the torn-tail repair looks at the last line */
	const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
	int raw = ::open(path.c_str(), flags | O_CREAT | O_EXCL, 0640);
	bool created = raw >= 0;
	if (raw < 0 && errno == EEXIST)
		raw = ::open(path.c_str(), flags);
	if (raw < 0)
		fail("open");
	Fd fd(raw);
	struct stat st
	{
	};
	if (::fstat(fd.get(), &st) != 0)
		fail("fstat");
	if (!S_ISREG(st.st_mode))
		throw Error(ErrorKind::Io, "audit log " + path + ": not a regular file");
	if (created && ::fchmod(fd.get(), 0640) != 0)
		fail("fchmod");
	/* Always under the lock: a write(2) to a regular file is not atomic
	 * against SIGKILL (the kernel checks fatal signals between page-sized
	 * chunks), so a writer killed inside one can leave part of a line. The
	 * next writer, holding the lock, cuts such a tail back to the last
	 * complete line: a killed writer never ran the runtime. */
	if (::flock(fd.get(), LOCK_EX) != 0)
		fail("flock");
	const off_t start = repairTail(fd.get(), path);
	size_t done = 0;
	while (done < line.size()) {
		ssize_t n = ::write(fd.get(), line.data() + done, line.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* a full disk: take the partial line back */
			const int e = n < 0 ? errno : EIO;
			if (::ftruncate(fd.get(), start) != 0) {
				/* left torn: the next writer cuts it */
			}
			errno = e;
			fail("write");
		}
		done += static_cast<size_t>(n);
	}
	/* On disk before the runtime runs: an auditor must not lose the record of
	 * a container that started. A new log's directory entry too. */
	if (::fdatasync(fd.get()) != 0)
		fail("fdatasync");
	if (created) {
		Fd dir(::open(path.substr(0, slash == 0 ? 1 : slash).c_str(),
		              O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		if (dir.get() < 0 || ::fsync(dir.get()) != 0)
			fail("fsync of its directory");
	}
	/* the lock goes with the descriptor */
}

bool write(const AuditConfig &cfg, const Record &r)
{
	std::string line;
	try {
		line = format(r, rfc3339Now(), hostName());
		append(cfg.log, line);
		return true;
	} catch (const Error &e) {
		if (!cfg.failOpen)
			throw;
		::openlog("bulkhead", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		::syslog(LOG_WARNING,
		         "audit record not written (audit.onError continue): %s; record: %.3000s",
		         e.what(), line.c_str());
		::closelog();
		return false;
	}
}

std::string keepDenied(const std::string &dir, std::string_view text)
{
	if (dir.empty() || dir[0] != '/')
		throw Error(ErrorKind::Io,
		            "audit keepDenied \"" + dir + "\": not an absolute path");
	try {
		makeDirs(dir, 0750);
	} catch (const Error &e) {
		throw e.wrap("audit keepDenied");
	}
	const std::string name = sha256Hex(text) + ".json";
	const std::string path = dir + "/" + name;
	struct stat st
	{
	};
	if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
		return path;
	unsigned char rnd[8] = {};
	if (::getrandom(rnd, sizeof rnd, 0) != static_cast<ssize_t>(sizeof rnd))
		throwErrno("keepDenied: getrandom");
	std::string tmp = dir + "/." + name + ".";
	for (unsigned char c : rnd)
		tmp += strprintf("%02x", c);
	int raw = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (raw < 0)
		throwErrno("keepDenied: " + tmp);
	try {
		Fd fd(raw);
		if (::fchmod(fd.get(), 0640) != 0)
			throwErrno("keepDenied: fchmod " + tmp);
		size_t done = 0;
		while (done < text.size()) {
			ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				throwErrno("keepDenied: write " + tmp);
			done += static_cast<size_t>(n);
		}
		if (::fsync(fd.get()) != 0)
			throwErrno("keepDenied: fsync " + tmp);
		if (::rename(tmp.c_str(), path.c_str()) != 0)
			throwErrno("keepDenied: rename " + path);
	} catch (...) {
		::unlink(tmp.c_str());
		throw;
	}
	return path;
}

} // namespace bulkhead::audit
