/* bulkhead setup --engine E: the engine's configuration edited to run
 * bulkhead, the way `nvidia-ctk runtime configure` does it. Each engine gives
 * a plan (the files as they are and as they should be); a plan that changes
 * nothing is reported as such (a second run is a no-op), --dry-run prints it
 * as a unified diff, and otherwise every file that changes is first copied
 * below /var/backups/bulkhead, then replaced atomically (written beside,
 * renamed over). Nothing is written when any file cannot be read or edited
 * safely. The engine's default runtime is never changed. */
#include "../sys/fd.h"
#include "../sys/io.h"
#include "bulkhead_build.h"
#include "contrib_files.h"
#include "engines.h"
#include "ops_util.h"
#include "toml.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/ops.h"

namespace bulkhead::ops {

namespace {

const char kUsage[] =
        "usage: bulkhead setup --engine docker|containerd|crio|podman [--dry-run]\n"
        "                      [--root DIR] [--path FILE]\n"
        "\n"
        "Adds bulkhead to an engine's configuration, keeping everything else:\n"
        "  docker      /etc/docker/daemon.json: runtimes.bulkhead.path, and\n"
        "              \"userns-remap\": \"default\" when it has none\n"
        "  containerd  /etc/containerd/conf.d/bulkhead.toml (a CRI runtime handler),\n"
        "              imported from /etc/containerd/config.toml\n"
        "  crio        /etc/crio/crio.conf.d/50-bulkhead.conf\n"
        "  podman      /etc/containers/containers.conf: [engine.runtimes] bulkhead\n"
        "A file that changes is first copied to /var/backups/bulkhead/PATH.TIME, then\n"
        "replaced atomically. A second run changes nothing. The engine's default\n"
        "runtime is left as it is. Then restart the engine and run bulkhead doctor.\n"
        "\n"
        "  --engine E   the engine to configure\n"
        "  --dry-run    print the changes as a unified diff; write nothing\n"
        "  --root DIR   edit the files below DIR instead of / (tests, packagers)\n"
        "  --path FILE  the bulkhead the engine runs (default: this program; with\n"
        "               --root, " BULKHEAD_SBINDIR "/bulkhead)\n"
        "\n"
        "Exit status: 0 done (or nothing to do), 2 usage error or a file setup cannot\n"
        "edit safely (nothing written).\n";

struct Change
{
	std::string path; /* as on the node */
	std::optional<std::string> before;
	std::string after;
};

struct Plan
{
	std::string engine;
	std::string what; /* what the files say once done */
	std::vector<Change> changes;
	std::vector<std::string> notes; /* warnings, one line each */
	std::string restart;
};

struct Options
{
	std::string engine, root, path;
	bool dryRun = false;
};

bool changed(const Change &c)
{
	return !c.before || *c.before != c.after;
}

/* The contrib file with one key's string value set: `KEY = "..."`. */
std::string withValue(std::string text, const std::string &key, const std::string &value)
{
	const std::string needle = key + " = \"";
	const size_t at = text.find(needle);
	if (at == std::string::npos)
		throw Error(ErrorKind::Internal, "contrib file without " + key);
	const size_t start = at + key.size() + 3, end = text.find('"', start + 1);
	return text.replace(start, end + 1 - start, toml::quote(value));
}

std::string joinLines(const std::vector<std::string> &lines)
{
	std::string out;
	for (const auto &l : lines)
		out += l + "\n";
	return out;
}

using Inserts = std::vector<std::pair<size_t, std::string>>; /* a line before line N */

/* A string array entry on one line gets S before its closing bracket; on
 * several lines, S on a line of its own after the opening one. */
void addToArray(std::vector<std::string> &lines, const toml::Entry &e, const std::string &s,
                Inserts &inserts)
{
	if (e.line == e.lastLine) {
		std::string &l = lines[e.line];
		l.insert(l.rfind(']'), (e.strings.empty() ? "" : ", ") + toml::quote(s));
		return;
	}
	inserts.emplace_back(e.line + 1, "  " + toml::quote(s) + ",");
}

/* The lines with INSERTS applied from the bottom up, so that each lands where
 * the original line numbers say. */
std::string applyInserts(std::vector<std::string> lines, Inserts inserts)
{
	std::stable_sort(inserts.begin(), inserts.end(),
	                 [](const auto &a, const auto &b) { return a.first > b.first; });
	for (const auto &[at, text] : inserts)
		lines.insert(lines.begin() +
		                     static_cast<std::ptrdiff_t>(std::min(at, lines.size())),
		             text);
	return joinLines(lines);
}

Plan planDocker(const Options &o)
{
	Plan p{"docker", "", {}, {}, "systemctl restart docker"};
	Change c{kDockerConfig, readText(under(o.root, kDockerConfig)), ""};
	json::Value doc = json::Value::object();
	if (c.before) {
		json::ParseOptions strict;
		strict.allowComments = false;
		doc = json::parse(*c.before, kDockerConfig, strict);
		if (!doc.isObject())
			throw Error(ErrorKind::Config,
			            std::string(kDockerConfig) + " is not a JSON object");
	}
	const json::Value original = doc;
	json::Value *runtimes = doc.find("runtimes");
	if (runtimes == nullptr)
		runtimes = &doc.set("runtimes", json::Value::object());
	if (!runtimes->isObject())
		throw Error(ErrorKind::Config,
		            std::string(kDockerConfig) + ": \"runtimes\" is not an object");
	json::Value *entry = runtimes->find("bulkhead");
	if (entry == nullptr || !entry->isObject())
		entry = &runtimes->set("bulkhead", json::Value::object());
	entry->set("path", json::Value::string(o.path)); /* runtimeArgs and the rest kept */
	p.what = "runtimes.bulkhead.path " + o.path;
	const json::Value *remap = doc.find("userns-remap");
	if (remap == nullptr || (remap->isString() && remap->asString().empty())) {
		doc.set("userns-remap", json::Value::string("default"));
		p.notes.push_back(
		        "userns-remap set to \"default\" (restricted's user namespace needs "
		        "it): dockerd keeps the images and containers of the remapped root "
		        "apart, so those made before are not visible until it is removed");
	}
	if (const json::Value *r = doc.find("userns-remap"); r != nullptr && r->isString())
		p.what += ", userns-remap " + r->asString();
	c.after = doc == original && c.before ? *c.before : json::write(doc, true);
	p.changes.push_back(std::move(c));
	return p;
}

Plan planContainerd(const Options &o)
{
	Plan p{"containerd", "", {}, {}, "systemctl restart containerd"};
	Change main{kContainerdConfig, readText(under(o.root, kContainerdConfig)), ""};
	std::string text = main.before.value_or("version = 2\n");
	toml::Document doc = toml::parse(text, kContainerdConfig);
	const toml::Entry *version = doc.find({"version"});
	if (version == nullptr || version->text != "2")
		throw Error(
		        ErrorKind::Config,
		        std::string(kContainerdConfig) +
		                " is not a version 2 configuration (\"version = 2\"): bulkhead's "
		                "drop-in is one; convert it first (containerd config default)");
	std::vector<std::string> lines = doc.lines;
	Inserts inserts;
	const toml::Entry *imports = doc.find({"imports"});
	bool imported = false;
	if (imports != nullptr) {
		if (!imports->isStringArray)
			throw Error(ErrorKind::Config,
			            std::string(kContainerdConfig) +
			                    ": imports is not an array of strings");
		for (const auto &i : imports->strings)
			imported = imported || i == kContainerdDropIn ||
			           (i.find('*') != std::string::npos &&
			            ::fnmatch(i.c_str(), kContainerdDropIn, FNM_PATHNAME) == 0);
		if (!imported)
			addToArray(lines, *imports, kContainerdDropIn, inserts);
	} else {
		inserts.emplace_back(version->lastLine + 1, std::string("imports = [") +
		                                                    toml::quote(kContainerdDropIn) +
		                                                    "]");
	}
	main.after = imported ? text : applyInserts(lines, inserts);

	/* the drop-in first: config.toml never imports a file that is not there */
	const std::string dropIn = withValue(contrib::kContainerdDropIn, "BinaryName", o.path);
	Change drop{kContainerdDropIn, readText(under(o.root, kContainerdDropIn)), dropIn};
	p.changes.push_back(std::move(drop));
	p.changes.push_back(std::move(main));
	p.what = "CRI runtime handler bulkhead runs " + o.path + " (" + kContainerdDropIn +
	         ", imported)";

	/* containerd takes the CRI plugin's table whole from the import */
	const toml::Document d = toml::parse(dropIn, kContainerdDropIn);
	std::vector<std::string> lost;
	for (const auto &e : doc.entries)
		if (toml::startsWith(e.path(), criPlugin()) && d.find(e.path()) == nullptr)
			lost.push_back(toml::keyText(e.path()));
	if (!lost.empty())
		p.notes.push_back(strprintf(
		        "%s sets %s%s: containerd takes the CRI plugin's table whole from %s, so "
		        "move those settings into it",
		        kContainerdConfig, lost[0].c_str(),
		        lost.size() > 1 ? strprintf(" and %zu more", lost.size() - 1).c_str() : "",
		        kContainerdDropIn));
	return p;
}

Plan planCrio(const Options &o)
{
	Plan p{"crio", "", {}, {}, "systemctl restart crio"};
	const std::string content = withValue(contrib::kCrioDropIn, "runtime_path", o.path);
	p.changes.push_back(Change{kCrioDropIn, readText(under(o.root, kCrioDropIn)), content});
	p.what = "runtime bulkhead runs " + o.path + " (" + kCrioDropIn + ")";
	for (const auto &n : listDir(under(o.root, kCrioDir)))
		if (std::string(kCrioDir) + "/" + n > kCrioDropIn && n.ends_with(".conf")) {
			const auto other = readText(under(o.root, std::string(kCrioDir) + "/" + n));
			if (other &&
			    other->find("[crio.runtime.runtimes.bulkhead]") != std::string::npos)
				p.notes.push_back(
				        std::string(kCrioDir) + "/" + n +
				        " also sets runtime bulkhead, and wins (read later)");
		}
	return p;
}

Plan planPodman(const Options &o)
{
	Plan p{"podman",
	       "",
	       {},
	       {},
	       "nothing to restart: podman reads containers.conf at each "
	       "command"};
	const std::string entry = "bulkhead = [" + toml::quote(o.path) + "]";
	const std::string supports =
	        "runtime_supports_json = [\"crun\", \"runc\", \"kata\", \"runsc\", \"krun\", "
	        "\"bulkhead\"]";
	Change c{kPodmanConfig, readText(under(o.root, kPodmanConfig)), ""};
	p.what = "[engine.runtimes] bulkhead runs " + o.path;
	if (!c.before) {
		c.after = "# Podman's configuration for root (containers.conf(5)); bulkhead setup "
		          "added\n# bulkhead as a runtime: podman --runtime bulkhead run ...\n"
		          "[engine]\n" +
		          supports + "\n\n[engine.runtimes]\n" + entry + "\n";
		p.changes.push_back(std::move(c));
		return p;
	}
	const toml::Document doc = toml::parse(*c.before, kPodmanConfig);
	std::vector<std::string> lines = doc.lines;
	Inserts inserts;
	std::string append;
	if (const toml::Entry *e = doc.find({"engine", "runtimes", "bulkhead"})) {
		if (!(e->isStringArray && !e->strings.empty() && e->strings[0] == o.path)) {
			if (e->line != e->lastLine)
				throw Error(
				        ErrorKind::Config,
				        strprintf(
				                "%s:%zu: the bulkhead entry spans lines: set it to "
				                "[\"%s\"] by hand",
				                kPodmanConfig, e->line + 1, o.path.c_str()));
			lines[e->line] = toml::keyText(e->key) + " = [" + toml::quote(o.path) + "]";
		}
	} else if (const toml::Table *t = doc.table({"engine", "runtimes"})) {
		inserts.emplace_back(doc.endOf(*t), entry);
	} else {
		append += "\n[engine.runtimes]\n" + entry + "\n";
	}
	if (const toml::Entry *e = doc.find({"engine", "runtime_supports_json"})) {
		if (!e->isStringArray)
			throw Error(ErrorKind::Config, std::string(kPodmanConfig) +
			                                       ": runtime_supports_json is not an "
			                                       "array of strings");
		if (std::find(e->strings.begin(), e->strings.end(), "bulkhead") == e->strings.end())
			addToArray(lines, *e, "bulkhead", inserts);
	} else if (const toml::Table *t = doc.table({"engine"})) {
		inserts.emplace_back(doc.endOf(*t), supports);
	} else {
		append = "\n[engine]\n" + supports + "\n" + append;
	}
	c.after = applyInserts(lines, inserts) + append;
	if (c.after == *c.before + (c.before->ends_with("\n") ? "" : "\n"))
		c.after = *c.before;
	p.changes.push_back(std::move(c));
	return p;
}

std::string utcStamp()
{
	std::time_t now = std::time(nullptr);
	std::tm tm{};
	gmtime_r(&now, &tm);
	char buf[32];
	std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
	return buf;
}

void makeDirs(const std::string &dir, mode_t mode)
{
	if (dir == "/" || dir.empty() || isDir(dir))
		return;
	makeDirs(dirName(dir), mode);
	if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
		throwErrno("mkdir " + dir);
}

/* Write TEXT to PATH atomically: a temporary file beside it (mode and owner of
 * the file it replaces, 0644 root for a new one), fsync, rename, fsync the
 * directory. */
void replaceFile(const std::string &link, const std::string &text, mode_t newMode)
{
	/* a configuration that is a symbolic link (configuration management)
	 * stays one: its target is replaced */
	std::string path = link;
	if (char *real = ::realpath(link.c_str(), nullptr)) {
		path = real;
		std::free(real);
	}
	const std::string dir = dirName(path);
	makeDirs(dir, 0755);
	struct stat old
	{
	};
	const bool had = ::stat(path.c_str(), &old) == 0;
	std::string tmp = dir + "/." + baseName(path) + ".bulkhead-XXXXXX";
	sys::Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
	if (fd.get() < 0)
		throwErrno("create a file in " + dir);
	try {
		if (::fchmod(fd.get(), had ? (old.st_mode & 07777) : newMode) != 0)
			throwErrno("chmod " + tmp);
		if (had && ::fchown(fd.get(), old.st_uid, old.st_gid) != 0)
			throwErrno("chown " + tmp);
		sys::writeAll(fd.get(), text, tmp);
		if (::fsync(fd.get()) != 0)
			throwErrno("fsync " + tmp);
		if (::close(fd.release()) != 0)
			throwErrno("close " + tmp);
		if (::rename(tmp.c_str(), path.c_str()) != 0)
			throwErrno("rename " + tmp + " to " + path);
	} catch (...) {
		::unlink(tmp.c_str());
		throw;
	}
	sys::Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (d.get() >= 0)
		::fsync(d.get());
}

/* A copy of the file as it was, never overwritten: PATH.STAMP[.N]. */
std::string backup(const Options &o, const Change &c, const std::string &stamp)
{
	const std::string base = "/var/backups/bulkhead" + c.path + "." + stamp;
	makeDirs(under(o.root, "/var/backups"), 0755);
	makeDirs(dirName(under(o.root, base)), 0700);
	for (int n = 0; n < 100; n++) {
		const std::string shown = n == 0 ? base : base + "." + std::to_string(n);
		const std::string real = under(o.root, shown);
		sys::Fd fd(::open(real.c_str(),
		                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
		if (fd.get() < 0 && errno == EEXIST)
			continue;
		if (fd.get() < 0)
			throwErrno(real);
		sys::writeAll(fd.get(), *c.before, real);
		if (::fsync(fd.get()) != 0)
			throwErrno("fsync " + real);
		return shown;
	}
	throw Error(ErrorKind::Io, "too many backups of " + c.path + " this second");
}

int setup(const Options &o, std::string &out, bool &wrote)
{
	Plan p = o.engine == "docker"       ? planDocker(o)
	         : o.engine == "containerd" ? planContainerd(o)
	         : o.engine == "crio"       ? planCrio(o)
	                                    : planPodman(o);
	std::vector<const Change *> todo;
	for (const auto &c : p.changes)
		if (changed(c) && !(c.after.empty() && !c.before))
			todo.push_back(&c);
	if (!exists(under(o.root, o.path)))
		p.notes.push_back(o.path + " does not exist (yet): the engine cannot run it");
	if (todo.empty()) {
		out += p.engine + ": nothing to change: " + p.what + "\n";
		for (const auto &n : p.notes)
			out += "warning: " + n + "\n";
		return 0;
	}
	if (o.dryRun) {
		for (const Change *c : todo)
			out += unifiedDiff(c->before.value_or(""), c->after, c->path,
			                   c->before.has_value(), true);
		out += p.engine + ": " + p.what + " (dry run: nothing written)\n";
	} else {
		const std::string stamp = utcStamp();
		for (const Change *c : todo) {
			if (c->before)
				out += "backup " + backup(o, *c, stamp) + "\n";
			wrote = true;
			replaceFile(under(o.root, c->path), c->after, 0644);
			out += "wrote " + c->path + "\n";
		}
		out += p.engine + ": " + p.what + "\n";
	}
	for (const auto &n : p.notes)
		out += "warning: " + n + "\n";
	out += "then: " + p.restart + "; bulkhead doctor\n";
	return 0;
}

} // namespace

int setupMain(const std::vector<std::string> &args, std::string &out, std::string &err)
{
	bool wrote = false;
	try {
		Options o;
		for (size_t i = 0; i < args.size(); i++) {
			const std::string &a = args[i];
			auto value = [&](const char *name) {
				return optionValue(args, i, name, "setup");
			};
			if (a == "--help" || a == "-h" || a == "help") {
				out += kUsage;
				return 0;
			}
			if (isOption(a, "--engine"))
				o.engine = value("--engine");
			else if (isOption(a, "--root"))
				o.root = value("--root");
			else if (isOption(a, "--path"))
				o.path = value("--path");
			else if (a == "--dry-run")
				o.dryRun = true;
			else
				throw Error(ErrorKind::Usage,
				            "setup: unknown argument \"" + a + "\"");
		}
		if (o.engine != "docker" && o.engine != "containerd" && o.engine != "crio" &&
		    o.engine != "podman")
			throw Error(ErrorKind::Usage,
			            "setup: --engine must be docker, containerd, crio or podman" +
			                    (o.engine.empty() ? std::string()
			                                      : ", not \"" + o.engine + "\""));
		if (!o.root.empty() && (o.root[0] != '/' || !isDir(o.root)))
			throw Error(ErrorKind::Usage,
			            "setup: --root " + o.root +
			                    ": not an absolute path to a directory");
		if (o.root == "/")
			o.root.clear();
		if (o.path.empty()) {
			char buf[4096];
			ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
			o.path = !o.root.empty() || n <= 0
			                 ? std::string(BULKHEAD_SBINDIR "/bulkhead")
			                 : std::string(buf, static_cast<size_t>(n));
		}
		if (o.path[0] != '/' || o.path.find_first_of("\"\n\\") != std::string::npos)
			throw Error(ErrorKind::Usage,
			            "setup: --path must be an absolute path without quotes");
		return setup(o, out, wrote);
	} catch (const Error &e) {
		const std::string msg = singleLine(e.what());
		err += "bulkhead: " + (msg.rfind("setup: ", 0) == 0 ? msg : "setup: " + msg) +
		       (e.kind() == ErrorKind::Usage ? " (see bulkhead setup --help)"
		        : wrote                      ? ": stopped after the files above"
		                                     : ": nothing written") +
		       "\n";
		if (!wrote)
			out.clear();
		return 2;
	}
}

int setupMain(const std::vector<std::string> &args)
{
	std::string out, err;
	const int rc = setupMain(args, out, err);
	sys::writeAllNoThrow(STDOUT_FILENO, out);
	sys::writeAllNoThrow(STDERR_FILENO, err);
	return rc;
}

} // namespace bulkhead::ops
