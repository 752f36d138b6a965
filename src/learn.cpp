/* bulkhead learn: what an image needs beyond the policy, found by running it.
 * Each round hardens the bundle's spec with the policy plus what was learned
 * so far (as an override matched on this run's container ID), runs it through
 * the real runtime under strace -f, and reads what the program was refused. A
 * server that stops at its first error is run again with that error fixed,
 * until it stays up for --seconds, exits 0, or nothing more can be learned.
 * What a per-image override may widen is learned: state directories
 * (P2.readonly-rootfs stateDirs) and the process user (P1.user, never root);
 * refused syscalls and capabilities are reported, never granted. */
#include "bulkhead/learn.h"

#include "policy_compiled.h"
#include "sys/fd.h"
#include "sys/io.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "bulkhead/config.h"
#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"

namespace bulkhead::learn {

namespace {

const char kUsage[] =
        "usage: bulkhead learn --image REF [--policy FILE] [--runtime PATH] [--name NAME]\n"
        "                      [--seconds N] [--rounds N] [--format text|json] BUNDLE\n";

struct Options
{
	std::string policy, runtime, image, name = "learned", format = "text", bundle;
	int seconds = 5;
	int rounds = 8;
};

Options parseArgs(const std::vector<std::string> &args)
{
	Options o;
	auto number = [](const std::string &flag, const std::string &v, int max) {
		char *end = nullptr;
		long n = std::strtol(v.c_str(), &end, 10);
		if (v.empty() || *end != '\0' || n < 1 || n > max)
			throw Error(ErrorKind::Usage, strprintf("learn: %s wants 1..%d, not \"%s\"",
			                                        flag.c_str(), max, v.c_str()));
		return static_cast<int>(n);
	};
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		auto value = [&]() -> const std::string & {
			if (i + 1 >= args.size())
				throw Error(ErrorKind::Usage,
				            "learn: " + a + " needs a value\n" + kUsage);
			return args[++i];
		};
		if (a == "--policy")
			o.policy = value();
		else if (a == "--runtime")
			o.runtime = value();
		else if (a == "--image")
			o.image = value();
		else if (a == "--name")
			o.name = value();
		else if (a == "--format")
			o.format = value();
		else if (a == "--seconds")
			o.seconds = number(a, value(), 600);
		else if (a == "--rounds")
			o.rounds = number(a, value(), 50);
		else if (!a.empty() && a[0] == '-')
			throw Error(ErrorKind::Usage, "learn: unknown option " + a + "\n" + kUsage);
		else if (o.bundle.empty())
			o.bundle = a;
		else
			throw Error(ErrorKind::Usage,
			            "learn: one bundle only\n" + std::string(kUsage));
	}
	if (o.bundle.empty() || o.image.empty())
		throw Error(ErrorKind::Usage,
		            std::string("learn: BUNDLE and --image are required\n") + kUsage);
	if (o.format != "text" && o.format != "json")
		throw Error(ErrorKind::Usage, "learn: --format text or json");
	return o;
}

std::string slurp(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

std::string absolute(const std::string &p)
{
	std::unique_ptr<char, decltype(&std::free)> r(::realpath(p.c_str(), nullptr), &std::free);
	if (!r)
		throw Error(ErrorKind::Usage, "learn: " + p + ": " + std::strerror(errno));
	return r.get();
}

std::string findStrace()
{
	for (const char *d : {"/usr/bin", "/bin", "/usr/local/bin"}) {
		std::string p = std::string(d) + "/strace";
		if (::access(p.c_str(), X_OK) == 0)
			return p;
	}
	throw Error(ErrorKind::Usage, "learn: strace(1) is not installed (Debian package strace): "
	                              "bulkhead learn reads the failed system calls through it");
}

/* PATH inside ROOTFS with its links followed there (absolute targets stay in
 * the rootfs, as runc resolves them); the part that does not exist is kept. */
std::string resolveIn(const std::string &rootfs, const std::string &path)
{
	std::vector<std::string> todo;
	auto push = [&](std::string_view p) {
		std::vector<std::string> parts;
		size_t i = 0;
		while (i <= p.size()) {
			size_t j = p.find('/', i);
			if (j == std::string_view::npos)
				j = p.size();
			if (j > i)
				parts.emplace_back(p.substr(i, j - i));
			i = j + 1;
		}
		todo.insert(todo.end(), parts.rbegin(), parts.rend());
	};
	push(path);
	std::string out;
	int links = 0;
	while (!todo.empty()) {
		std::string c = todo.back();
		todo.pop_back();
		if (c == ".")
			continue;
		if (c == "..") {
			out = out.substr(0, out.rfind('/'));
			continue;
		}
		std::string next = out + "/" + c;
		char buf[PATH_MAX];
		ssize_t n = ::readlink((rootfs + next).c_str(), buf, sizeof buf - 1);
		if (n > 0 && ++links < 40) {
			std::string target(buf, static_cast<size_t>(n));
			if (target[0] == '/')
				out.clear();
			push(target);
			continue;
		}
		out = next;
	}
	return out.empty() ? "/" : out;
}

bool isDir(const std::string &p)
{
	struct stat st
	{
	};
	return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string parentOf(const std::string &p)
{
	size_t s = p.rfind('/');
	return s == 0 || s == std::string::npos ? "/" : p.substr(0, s);
}

/* The files and directories below DIR (its own: no links followed), then DIR. */
void removeTree(const std::string &dir)
{
	if (DIR *d = ::opendir(dir.c_str())) {
		while (const dirent *e = ::readdir(d)) {
			std::string n = e->d_name;
			if (n == "." || n == "..")
				continue;
			if (e->d_type == DT_DIR)
				removeTree(dir + "/" + n);
			else
				::unlink((dir + "/" + n).c_str());
		}
		::closedir(d);
	}
	::rmdir(dir.c_str());
}

/* Run argv, stdio to `log` (stdin /dev/null); the pid. */
pid_t spawn(const std::vector<std::string> &argv, const std::string &log)
{
	pid_t pid = ::fork();
	if (pid < 0)
		throwErrno("fork");
	if (pid == 0) {
		int in = ::open("/dev/null", O_RDONLY);
		int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
		    ::dup2(out, 2) < 0)
			_exit(127);
		std::vector<char *> a;
		for (const auto &s : argv)
			a.push_back(const_cast<char *>(s.c_str()));
		a.push_back(nullptr);
		::execv(a[0], a.data());
		_exit(127);
	}
	return pid;
}

int waitFor(pid_t pid)
{
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Outcome
{
	bool running = false; /* still up when the window closed */
	int status = 0;       /* the runtime's exit status otherwise */
	double seconds = 0;
	Lessons lessons;
	std::string output; /* the program's last output */
};

/* One run of the hardened spec under strace. */
Outcome runOnce(const Options &o, const std::string &tmp, const std::string &id,
                const std::string &cwd)
{
	const std::string trace = tmp + "/trace", state = tmp + "/state", log = tmp + "/output";
	::mkdir(trace.c_str(), 0700);
	::mkdir(state.c_str(), 0700);
	::unlink(log.c_str());
	const auto t0 = std::chrono::steady_clock::now();
	const std::string runtime = absolute(o.runtime);
	pid_t pid = spawn({findStrace(), "-f", "-ff", "-qq", "-y", "-s", "4096", "-o", trace + "/t",
	                   "--", runtime, "--root", state, "run", "--bundle", tmp + "/bundle", id},
	                  log);
	Outcome out;
	int status = 0;
	pid_t done = 0;
	while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(o.seconds)) {
		done = ::waitpid(pid, &status, WNOHANG);
		if (done != 0)
			break;
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	if (done == 0) {
		out.running = true;
		waitFor(spawn({o.runtime, "--root", state, "kill", id, "KILL"}, tmp + "/kill.log"));
		waitFor(pid);
	} else {
		out.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	waitFor(spawn({o.runtime, "--root", state, "delete", "-f", id}, tmp + "/kill.log"));

	/* The container's processes: the one that executed the program, and
	 * whatever it forked. */
	std::map<long long, std::string> files;
	if (DIR *d = ::opendir(trace.c_str())) {
		while (const dirent *e = ::readdir(d)) {
			std::string n = e->d_name;
			if (n.compare(0, 2, "t.") == 0)
				files[std::atoll(n.c_str() + 2)] = trace + "/" + n;
		}
		::closedir(d);
	}
	std::set<long long> forked;
	for (const auto &[p, path] : files) { /* pids grow: parents come first, mostly */
		Process proc = readProcess(slurp(path), forked.count(p) != 0, cwd, runtime);
		if (!proc.container)
			continue;
		forked.insert(proc.children.begin(), proc.children.end());
		learnFrom(proc.calls, out.lessons);
	}
	std::string text = slurp(log);
	out.output = text.size() > 600 ? text.substr(text.size() - 600) : text;
	removeTree(trace);
	return out;
}

json::Value strings(const std::vector<std::string> &v)
{
	json::Value a = json::Value::array();
	for (const auto &s : v)
		a.push(json::Value::string(s));
	return a;
}
json::Value strings(const std::set<std::string> &v)
{
	return strings(std::vector<std::string>(v.begin(), v.end()));
}

} // namespace

int main(const std::vector<std::string> &args)
{
	Options o = parseArgs(args);
	const Config cfg = Config::load();
	if (o.runtime.empty())
		o.runtime = cfg.runtime;
	const std::string policyPath = absolute(o.policy.empty() ? cfg.policy : o.policy);
	const std::string bundle = absolute(o.bundle);
	const policy::Policy base = policy::Policy::load(policyPath, true);

	/* The policy's own state directories: an override's list replaces them. */
	std::vector<std::string> stateDirs;
	const auto &all = policy::allRules();
	for (size_t i = 0; i < all.size() && i < base.compiled().rules.size(); i++) {
		const auto &r = base.compiled().rules[i];
		if (std::string_view(all[i].name) != "P2.readonly-rootfs" || !r)
			continue;
		if (const json::Value *v = r->params.find("stateDirs"); v && v->isArray())
			for (const auto &s : v->items())
				if (s.isString())
					stateDirs.push_back(s.asString());
	}

	json::Value spec = json::parseFile(bundle + "/config.json");
	if (!spec.isObject())
		throw Error(ErrorKind::Usage, "learn: " + bundle + "/config.json is not an object");
	/* Learning runs without a terminal, stdin from /dev/null. */
	if (json::Value *p = spec.find("process"); p && p->isObject())
		p->set("terminal", json::Value::boolean(false));
	json::Value *root = spec.find("root");
	const json::Value *rp = root && root->isObject() ? root->find("path") : nullptr;
	if (!rp || !rp->isString())
		throw Error(ErrorKind::Usage, "learn: the spec names no root.path");
	const std::string rootfs =
	        absolute(rp->asString()[0] == '/' ? rp->asString() : bundle + "/" + rp->asString());
	root->set("path", json::Value::string(rootfs));
	const json::Value *cwdV = json::get(spec, json::Pointer::parse("/process/cwd"));
	const std::string cwd = cwdV && cwdV->isString() ? cwdV->asString() : "/";

	char tmpl[] = "/tmp/bulkhead-learn.XXXXXX";
	if (!::mkdtemp(tmpl))
		throwErrno("mkdtemp");
	const std::string tmp = tmpl;
	/* Removed however learning ends, an error included. */
	struct Scratch
	{
		const std::string &dir;
		~Scratch() { removeTree(dir); }
	} scratch{tmp};
	::chmod(tmp.c_str(), 0711);
	::mkdir((tmp + "/bundle").c_str(), 0711);

	std::vector<std::string> learned;                    /* state directories */
	std::optional<std::pair<long long, long long>> user; /* uid, gid */
	std::set<std::string> rootWrites, notes;
	json::Value rounds = json::Value::array();
	std::string report;
	Outcome last;
	int round = 0;
	const RealHost host;
	for (round = 1; round <= o.rounds; round++) {
		const std::string id = "bulkhead-learn-" + std::to_string(::getpid()) + "-" +
		                       std::to_string(round);
		/* The policy plus what was learned, as the override to print. */
		json::Value rules = json::Value::object();
		std::vector<std::string> dirs = stateDirs;
		dirs.insert(dirs.end(), learned.begin(), learned.end());
		json::Value p2 = json::Value::object();
		p2.set("stateDirs", strings(dirs));
		rules.set("P2.readonly-rootfs", std::move(p2));
		json::Value over = json::Value::object();
		over.set("name", json::Value::string("learn"));
		json::Value match = json::Value::object();
		match.set("containerId", json::Value::string("bulkhead-learn-*"));
		over.set("match", std::move(match));
		over.set("rules", rules);
		json::Value doc = json::Value::object();
		doc.set("extends", json::Value::string(policyPath));
		doc.set("name", json::Value::string("learn"));
		doc.set("version", json::Value::string("1"));
		json::Value list = json::Value::array();
		list.push(std::move(over));
		doc.set("overrides", std::move(list));
		const policy::Policy pol =
		        policy::Policy::fromText(json::write(doc), policyPath + ".learn");
		policy::Decision d = pol.evaluate(
		        spec, policy::Scope::Spec,
		        policy::CallContext{id, tmp + "/bundle", "learn", cfg.engine}, host);
		if (d.verdict == policy::Verdict::Deny) {
			std::string why = "bulkhead: learn: the policy refuses this spec (learning "
			                  "widens only what an override may):\n";
			for (const auto &f : d.findings)
				if (f.action == policy::Action::Deny)
					why += "  " + f.rule + " " + f.pointer + ": " + f.message +
					       " (" + f.remedy + ")\n";
			sys::writeAllNoThrow(STDERR_FILENO, why);
			return 3;
		}
		{
			sys::Fd fd(::open((tmp + "/bundle/config.json").c_str(),
			                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
			if (fd.get() < 0)
				throwErrno(tmp + "/bundle/config.json");
			sys::writeAll(fd.get(), json::write(d.result), "config.json");
		}
		last = runOnce(o, tmp, id, cwd);

		/* What would let it past the refusals. */
		std::vector<std::string> fresh;
		for (const auto &[path, err] : last.lessons.writePaths) {
			std::string dir = resolveIn(rootfs, parentOf(path));
			if (err == "EROFS")
				while (dir != "/" && !isDir(rootfs + dir))
					dir = parentOf(dir);
			if (dir == "/") {
				rootWrites.insert(path);
				continue;
			}
			if (!isDir(rootfs + dir) || std::count(dirs.begin(), dirs.end(), dir) ||
			    std::count(fresh.begin(), fresh.end(), dir))
				continue;
			fresh.push_back(dir);
		}
		for (const auto &path : last.lessons.readPaths) {
			struct stat st
			{
			};
			if (user || ::lstat((rootfs + resolveIn(rootfs, path)).c_str(), &st) != 0 ||
			    st.st_uid == 0)
				continue;
			/* Not tried here: in the user namespace bulkhead adds under
			 * runc, the image's owners other than root are unmapped, so
			 * the image's user cannot be shown to work; an engine that
			 * maps the image (dockerd --userns-remap) keeps them. */
			user = {st.st_uid, st.st_gid};
			notes.insert("it could not read " + path + " (owner " +
			             std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) +
			             "): the override runs it as that user (P1.user), which "
			             "learning cannot try (the image's owners are unmapped in the "
			             "user namespace bulkhead adds): check it through the engine");
		}
		json::Value r = json::Value::object();
		r.set("round", json::Value::number(static_cast<int64_t>(round)));
		r.set("running", json::Value::boolean(last.running));
		r.set("status", json::Value::number(static_cast<int64_t>(last.status)));
		r.set("writeRefused", strings(last.lessons.writeRefused));
		r.set("readRefused", strings(last.lessons.readRefused));
		r.set("learned", strings(fresh));
		rounds.push(std::move(r));
		report += strprintf("round %d: %s after %.1f s", round,
		                    last.running ? "running" : "exited", last.seconds);
		if (!last.running)
			report += strprintf(" (status %d)", last.status);
		for (const auto &w : last.lessons.writeRefused)
			report += "\n  refused: " + w;
		for (const auto &w : last.lessons.readRefused)
			report += "\n  refused: read " + w;
		for (const auto &f : fresh)
			report += "\n  learned: state directory " + f;
		report += "\n";
		learned.insert(learned.end(), fresh.begin(), fresh.end());
		if (last.running || last.status == 0 || fresh.empty())
			break;
	}

	const bool ok = last.running || last.status == 0;
	json::Value rules = json::Value::object();
	if (!learned.empty()) {
		std::vector<std::string> dirs = stateDirs;
		dirs.insert(dirs.end(), learned.begin(), learned.end());
		json::Value p2 = json::Value::object();
		p2.set("stateDirs", strings(dirs));
		rules.set("P2.readonly-rootfs", std::move(p2));
	}
	if (user) {
		json::Value p1 = json::Value::object();
		p1.set("uid", json::Value::number(static_cast<int64_t>(user->first)));
		p1.set("gid", json::Value::number(static_cast<int64_t>(user->second)));
		rules.set("P1.user", std::move(p1));
	}
	json::Value override = json::Value::object();
	override.set("name", json::Value::string(o.name));
	override.set("reason", json::Value::string("bulkhead learn: what " + o.image +
	                                           " writes or reads beyond the policy"));
	json::Value match = json::Value::object();
	match.set("image", json::Value::string(o.image));
	override.set("match", std::move(match));
	override.set("rules", std::move(rules));
	json::Value overrides = json::Value::array();
	if (!override.find("rules")->members().empty())
		overrides.push(override);
	for (const auto &w : rootWrites)
		notes.insert("it writes " + w +
		             " in / itself, which no tmpfs can cover: give it a "
		             "working directory (WORKDIR) or a volume");
	for (const auto &m : last.lessons.missing)
		notes.insert("it wanted to create " + m + " where the image has no directory");

	json::Value res = json::Value::object();
	res.set("runs", json::Value::boolean(ok));
	res.set("rounds", std::move(rounds));
	res.set("written", strings(last.lessons.written));
	json::Value sc = json::Value::object();
	for (const auto &[k, n] : last.lessons.syscalls)
		sc.set(k, json::Value::number(static_cast<int64_t>(n)));
	res.set("syscallsRefused", std::move(sc));
	res.set("capabilitiesRefused", strings(last.lessons.capabilities));
	res.set("notes", strings(notes));
	json::Value ov = json::Value::object();
	ov.set("overrides", overrides);
	res.set("policy", std::move(ov));

	std::string out;
	if (o.format == "json") {
		out = json::write(res, true) + "\n";
	} else {
		out = report;
		out += ok ? "result: it runs with the override below\n"
		          : "result: it still fails; its last output:\n" + last.output + "\n";
		if (!last.lessons.written.empty()) {
			out += "written:";
			for (const auto &w : last.lessons.written)
				out += " " + w;
			out += "\n";
		}
		for (const auto &[k, n] : last.lessons.syscalls)
			out += strprintf("refused syscall: %s (%d times)\n", k.c_str(), n);
		for (const auto &c : last.lessons.capabilities)
			out += "capability it was refused: " + c + " (not granted by learning)\n";
		for (const auto &n : notes)
			out += "note: " + n + "\n";
		json::Value ovText = json::Value::object();
		ovText.set("overrides", overrides);
		out += "override (add to the policy's \"overrides\"):\n" +
		       json::write(ovText, true) + "\n";
	}
	sys::writeAll(STDOUT_FILENO, out, "stdout");
	return ok ? 0 : 1;
}

} // namespace bulkhead::learn
