/* doctor's checks of each engine's configuration: is there an entry that runs
 * bulkhead, does it name a binary root can trust, and what else the engine
 * needs for restricted's guarantees to hold (Docker's userns-remap, the
 * subordinate ID ranges). */
#include "engines.h"

#include "ops_util.h"

#include <algorithm>
#include <cstdlib>
#include <glob.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::ops {

namespace {

constexpr unsigned long kMinSubids = 65536;

Check line(const std::string &name, Status s, std::string message, std::string fix = {})
{
	return Check{name, s, std::move(message), std::move(fix)};
}

bool anyExists(const DoctorContext &c, std::initializer_list<const char *> paths)
{
	for (const char *p : paths)
		if (exists(under(c.root, p)))
			return true;
	return false;
}

/* The binary an engine entry names: present, root's, and the one doctor runs. */
void checkBinary(const DoctorContext &c, const std::string &engine, const std::string &what,
                 const std::string &path, std::vector<Check> &out)
{
	const std::string setupFix = "bulkhead setup --engine " + engine;
	if (path.empty() || path[0] != '/') {
		out.push_back(line(engine, Status::Fail,
		                   what + " names \"" + path + "\", not an absolute path",
		                   setupFix));
		return;
	}
	const std::string real = under(c.root, path);
	const std::string problem = trustProblem(real, true);
	if (!problem.empty()) {
		std::string fix = trustFix(path, problem);
		out.push_back(line(engine, Status::Fail, what + " names " + path + ": " + problem,
		                   fix.empty() ? setupFix + " (or install bulkhead at " + path + ")"
		                               : fix));
		return;
	}
	if (!c.self.empty() && !sameFile(real, c.self)) {
		out.push_back(line(engine, Status::Warn,
		                   what + " names " + path + ", not the bulkhead doctor runs (" +
		                           c.self + ")",
		                   setupFix + " --path " + c.self + ", if that is the one to run"));
		return;
	}
	out.push_back(line(engine, Status::Ok, what + " runs " + path));
}

/* config version 2 TOML files as containerd reads them: the main file, then
 * its imports (recursively, globs with '*', relative to the importing file). */
struct TomlSource
{
	std::string path; /* as the engine names it */
	toml::Document doc;
};

void containerdImports(const DoctorContext &c, const TomlSource &from, std::vector<TomlSource> &all,
                       std::vector<Check> &out, int depth)
{
	const toml::Entry *imports = from.doc.find({"imports"});
	if (imports == nullptr || depth > 8)
		return;
	if (!imports->isStringArray) {
		out.push_back(line("containerd", Status::Fail,
		                   from.path + ": imports is not an array of strings"));
		return;
	}
	for (std::string p : imports->strings) {
		if (p.empty())
			continue;
		if (p[0] != '/')
			p = dirName(from.path) + "/" + p;
		std::vector<std::string> paths;
		if (p.find('*') != std::string::npos) {
			glob_t g{};
			const std::string pattern = under(c.root, p);
			if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
				for (size_t i = 0; i < g.gl_pathc; i++)
					paths.push_back(
					        std::string(g.gl_pathv[i])
					                .substr(under(c.root, "/").size() - 1));
			::globfree(&g);
		} else {
			paths.push_back(p);
		}
		for (const auto &path : paths) {
			bool seen = false;
			for (const auto &s : all)
				seen = seen || s.path == path;
			if (seen)
				continue;
			try {
				auto text = readText(under(c.root, path));
				if (!text) {
					out.push_back(line("containerd", Status::Warn,
					                   from.path + " imports " + path +
					                           ", which does not exist"));
					continue;
				}
				all.push_back(TomlSource{path, toml::parse(*text, path)});
			} catch (const Error &e) {
				out.push_back(
				        line("containerd", Status::Fail,
				             singleLine(e.what()) + " (containerd will not start)",
				             "correct " + path));
				continue;
			}
			containerdImports(c, TomlSource(all.back()), all, out, depth + 1);
		}
	}
}

bool hasCri(const toml::Document &d)
{
	for (const auto &t : d.tables)
		if (toml::startsWith(t.path, criPlugin()))
			return true;
	for (const auto &e : d.entries)
		if (toml::startsWith(e.path(), criPlugin()))
			return true;
	return false;
}

/* TOML files read in order, the later winning: CRI-O's crio.conf then its
 * drop-ins, Podman's containers.conf files. */
std::vector<TomlSource> readTomlFiles(const DoctorContext &c, const std::string &engine,
                                      const std::vector<std::string> &paths,
                                      std::vector<Check> &out)
{
	std::vector<TomlSource> all;
	for (const auto &p : paths) {
		try {
			auto text = readText(under(c.root, p));
			if (text)
				all.push_back(TomlSource{p, toml::parse(*text, p)});
		} catch (const Error &e) {
			out.push_back(
			        line(engine, Status::Fail, singleLine(e.what()), "correct " + p));
		}
	}
	return all;
}

std::vector<std::string> dropIns(const DoctorContext &c, const std::string &dir,
                                 const std::string &suffix)
{
	std::vector<std::string> paths;
	for (const auto &n : listDir(under(c.root, dir)))
		if (suffix.empty() || (n.size() > suffix.size() && n.ends_with(suffix)))
			paths.push_back(dir + "/" + n);
	return paths;
}

} // namespace

const toml::Path &criPlugin()
{
	static const toml::Path p{"plugins", "io.containerd.grpc.v1.cri"};
	return p;
}

const toml::Path &criRuntimes()
{
	static const toml::Path p{"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"};
	return p;
}

bool namesBulkhead(const DoctorContext &c, const std::string &name, const std::string &path)
{
	return name == "bulkhead" || baseName(path) == "bulkhead" ||
	       (!path.empty() && !c.self.empty() && sameFile(under(c.root, path), c.self));
}

void checkDocker(const DoctorContext &c, std::vector<Check> &out)
{
	if (!anyExists(c, {"/usr/bin/dockerd", "/usr/sbin/dockerd", kDockerConfig})) {
		out.push_back(
		        line("docker", Status::Skip, "not installed (no dockerd, no daemon.json)"));
		return;
	}
	const std::string fix = "bulkhead setup --engine docker, then systemctl restart docker";
	json::Value doc;
	try {
		auto text = readText(under(c.root, kDockerConfig));
		if (!text) {
			out.push_back(line("docker", Status::Warn,
			                   std::string("no ") + kDockerConfig +
			                           ": dockerd has no bulkhead runtime",
			                   fix));
			return;
		}
		json::ParseOptions strict;
		strict.allowComments = false; /* dockerd's reader takes none */
		doc = json::parse(*text, kDockerConfig, strict);
	} catch (const Error &e) {
		out.push_back(line("docker", Status::Fail,
		                   singleLine(e.what()) + " (dockerd will not start)",
		                   std::string("correct ") + kDockerConfig));
		return;
	}
	const json::Value *runtimes = doc.isObject() ? doc.find("runtimes") : nullptr;
	std::vector<std::pair<std::string, std::string>> ours;
	if (runtimes != nullptr && runtimes->isObject())
		for (const auto &[name, v] : runtimes->members()) {
			const json::Value *p = v.isObject() ? v.find("path") : nullptr;
			const std::string path = p != nullptr && p->isString() ? p->asString() : "";
			if (namesBulkhead(c, name, path))
				ours.emplace_back(name, path);
		}
	if (ours.empty()) {
		out.push_back(line("docker", Status::Warn,
		                   std::string("no runtime in ") + kDockerConfig + " runs bulkhead",
		                   fix));
		return;
	}
	const json::Value *def = doc.find("default-runtime");
	for (const auto &[name, path] : ours) {
		const bool isDefault = def != nullptr && def->isString() && def->asString() == name;
		checkBinary(c, "docker",
		            "runtimes." + name + (isDefault ? " (the default runtime)" : ""), path,
		            out);
	}
	const json::Value *remap = doc.find("userns-remap");
	if (remap == nullptr || !remap->isString() || remap->asString().empty()) {
		out.push_back(
		        line("docker", Status::Fail,
		             "no userns-remap: dockerd keeps its layers 0710 root, so a user "
		             "namespace (restricted's P5) cannot be added behind its back and "
		             "every container is refused",
		             std::string("\"userns-remap\": \"default\" in ") + kDockerConfig +
		                     " (" + fix + ")"));
		return;
	}
	const std::string &r = remap->asString();
	out.push_back(line("docker", Status::Ok, "userns-remap " + r));
	const bool isDefault = r == "default";
	if (isDefault)
		checkSubids(c, "docker", "dockremap", Status::Warn,
		            " (dockerd adds one when it starts)", out);
	else
		checkSubids(c, "docker", r.substr(0, r.find(':')), Status::Fail,
		            ": dockerd cannot start with userns-remap " + r, out);
}

void checkContainerd(const DoctorContext &c, std::vector<Check> &out)
{
	if (!anyExists(c, {"/usr/bin/containerd", "/usr/sbin/containerd", kContainerdConfig})) {
		out.push_back(line("containerd", Status::Skip,
		                   "not installed (no containerd, no config.toml)"));
		return;
	}
	const std::string fix = "bulkhead setup --engine containerd, then systemctl restart "
	                        "containerd";
	std::vector<TomlSource> all;
	try {
		auto text = readText(under(c.root, kContainerdConfig));
		if (!text) {
			out.push_back(
			        line("containerd", Status::Warn,
			             std::string("no ") + kContainerdConfig +
			                     ": containerd's defaults have no bulkhead handler",
			             fix));
			return;
		}
		all.push_back(TomlSource{kContainerdConfig, toml::parse(*text, kContainerdConfig)});
	} catch (const Error &e) {
		out.push_back(line("containerd", Status::Fail,
		                   singleLine(e.what()) + " (containerd will not start)",
		                   std::string("correct ") + kContainerdConfig));
		return;
	}
	const toml::Entry *version = all[0].doc.find({"version"});
	if (version == nullptr || version->text != "2") {
		out.push_back(line("containerd", Status::Warn,
		                   std::string(kContainerdConfig) +
		                           " is not a version 2 configuration: bulkhead reads "
		                           "and writes only version 2 (containerd 1.5 to 1.7)",
		                   "containerd config default > config.toml, then " + fix));
		return;
	}
	containerdImports(c, TomlSource(all[0]), all, out, 0);
	/* containerd replaces a plugin's table whole with an imported one: the
	 * CRI settings in force are those of the last file that has any. */
	const TomlSource *cri = nullptr;
	for (const auto &s : all)
		if (hasCri(s.doc))
			cri = &s;
	bool found = false;
	if (cri != nullptr) {
		std::vector<std::string> names;
		for (const auto &t : cri->doc.tables)
			if (t.path.size() > criRuntimes().size() &&
			    toml::startsWith(t.path, criRuntimes()))
				names.push_back(t.path[criRuntimes().size()]);
		for (size_t i = 0; i < names.size(); i++) {
			if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i),
			              names[i]) != names.begin() + static_cast<std::ptrdiff_t>(i))
				continue;
			toml::Path base = criRuntimes();
			base.push_back(names[i]);
			toml::Path binPath = base, typePath = base;
			binPath.insert(binPath.end(), {"options", "BinaryName"});
			typePath.push_back("runtime_type");
			const toml::Entry *bin = cri->doc.find(binPath);
			const std::string path = bin != nullptr && bin->isString ? bin->text : "";
			if (!namesBulkhead(c, names[i], path))
				continue;
			found = true;
			const std::string what = "CRI handler " + names[i] + " (" + cri->path + ")";
			if (path.empty()) {
				out.push_back(
				        line("containerd", Status::Fail,
				             what + " has no options.BinaryName: the runc shim "
				                    "runs plain runc, not bulkhead",
				             fix));
				continue;
			}
			const toml::Entry *type = cri->doc.find(typePath);
			if (type == nullptr || type->text != "io.containerd.runc.v2")
				out.push_back(
				        line("containerd", Status::Warn,
				             what + ": runtime_type is not io.containerd.runc.v2 "
				                    "(BinaryName is an option of that shim)",
				             fix));
			checkBinary(c, "containerd", what, path, out);
		}
		/* what config.toml says about CRI that an imported table overrides */
		if (cri != &all[0]) {
			std::vector<std::string> lost;
			for (const auto &e : all[0].doc.entries)
				if (toml::startsWith(e.path(), criPlugin()) &&
				    cri->doc.find(e.path()) == nullptr)
					lost.push_back(toml::keyText(e.path()));
			if (!lost.empty())
				out.push_back(line(
				        "containerd", Status::Warn,
				        strprintf(
				                "%s replaces config.toml's CRI plugin table whole: "
				                "%s%s there is ignored",
				                cri->path.c_str(), lost[0].c_str(),
				                lost.size() > 1 ? strprintf(" and %zu more",
				                                            lost.size() - 1)
				                                          .c_str()
				                                : ""),
				        "move those settings into " + cri->path));
		}
	}
	if (!found)
		out.push_back(line("containerd", Status::Warn,
		                   std::string("no CRI runtime handler in ") + kContainerdConfig +
		                           " or its imports runs bulkhead",
		                   fix));
}

void checkCrio(const DoctorContext &c, std::vector<Check> &out)
{
	if (!anyExists(c, {"/usr/bin/crio", "/usr/local/bin/crio", "/etc/crio"})) {
		out.push_back(line("crio", Status::Skip, "not installed (no crio, no /etc/crio)"));
		return;
	}
	std::vector<std::string> paths{kCrioConfig};
	for (const auto &p : dropIns(c, kCrioDir, ".conf"))
		paths.push_back(p);
	const auto all = readTomlFiles(c, "crio", paths, out);
	const toml::Path runtimes{"crio", "runtime", "runtimes"};
	bool found = false;
	for (const auto &s : all)
		for (const auto &t : s.doc.tables) {
			if (t.path.size() != runtimes.size() + 1 ||
			    !toml::startsWith(t.path, runtimes))
				continue;
			toml::Path pathKey = t.path, monitorKey = t.path;
			pathKey.push_back("runtime_path");
			monitorKey.push_back("monitor_path");
			const toml::Entry *p = s.doc.find(pathKey);
			const std::string path = p != nullptr && p->isString ? p->text : "";
			if (!namesBulkhead(c, t.path.back(), path))
				continue;
			found = true;
			const std::string what = "runtime " + t.path.back() + " (" + s.path + ")";
			checkBinary(c, "crio", what, path, out);
			const toml::Entry *m = s.doc.find(monitorKey);
			if (m != nullptr && m->isString && !exists(under(c.root, m->text)))
				out.push_back(
				        line("crio", Status::Fail,
				             what + ": monitor_path " + m->text + " does not exist",
				             "apt-get install conmon, or correct " + s.path));
		}
	if (!found)
		out.push_back(line("crio", Status::Warn,
		                   std::string("no runtime in ") + kCrioConfig + " or " + kCrioDir +
		                           " runs bulkhead",
		                   "bulkhead setup --engine crio, then systemctl restart crio"));
}

void checkPodman(const DoctorContext &c, std::vector<Check> &out)
{
	if (!anyExists(c, {"/usr/bin/podman", "/usr/local/bin/podman", kPodmanConfig})) {
		out.push_back(line("podman", Status::Skip, "not installed (no podman)"));
		return;
	}
	std::vector<std::string> paths{"/usr/share/containers/containers.conf", kPodmanConfig};
	for (const auto &p : dropIns(c, "/etc/containers/containers.conf.d", ".conf"))
		paths.push_back(p);
	const auto all = readTomlFiles(c, "podman", paths, out);
	std::string name, path, file;
	std::vector<std::string> supportsJson;
	for (const auto &s : all)
		for (const auto &e : s.doc.entries) {
			if (e.path() == toml::Path{"engine", "runtime_supports_json"} &&
			    e.isStringArray)
				supportsJson = e.strings;
			if (e.table != toml::Path{"engine", "runtimes"} || e.key.size() != 1 ||
			    !e.isStringArray || e.strings.empty())
				continue;
			/* Podman runs the first path of the list that exists */
			std::string first = e.strings[0];
			for (const auto &p : e.strings)
				if (exists(under(c.root, p))) {
					first = p;
					break;
				}
			if (namesBulkhead(c, e.key[0], first)) {
				name = e.key[0];
				path = first;
				file = s.path;
			}
		}
	const std::string fix = "bulkhead setup --engine podman";
	if (name.empty()) {
		out.push_back(line("podman", Status::Warn,
		                   std::string("no [engine.runtimes] entry in ") + kPodmanConfig +
		                           " runs bulkhead",
		                   fix));
	} else {
		checkBinary(c, "podman", "[engine.runtimes] " + name + " (" + file + ")", path,
		            out);
		if (std::find(supportsJson.begin(), supportsJson.end(), name) == supportsJson.end())
			out.push_back(line("podman", Status::Warn,
			                   "runtime_supports_json does not list " + name +
			                           ": Podman reads its state as text",
			                   fix));
	}
	checkSubids(c, "podman", "containers", Status::Warn,
	            ": podman run --userns=auto has no IDs to give", out);
}

void checkSubids(const DoctorContext &c, const std::string &engine, const std::string &user,
                 Status whenMissing, const std::string &why, std::vector<Check> &out)
{
	/* the user's numeric ID matches too, as shadow-utils' lookups do */
	std::string uid;
	try {
		if (auto passwd = readText(under(c.root, "/etc/passwd"))) {
			size_t start = 0;
			while (start < passwd->size()) {
				size_t nl = passwd->find('\n', start);
				std::string l = passwd->substr(start, nl - start);
				start = nl == std::string::npos ? passwd->size() : nl + 1;
				if (l.rfind(user + ":", 0) == 0) {
					size_t a = l.find(':', user.size() + 1);
					size_t b = a == std::string::npos ? a : l.find(':', a + 1);
					if (b != std::string::npos)
						uid = l.substr(a + 1, b - a - 1);
				}
			}
		}
	} catch (const Error &) {
	}
	std::string found, problem;
	for (const char *file : {"/etc/subuid", "/etc/subgid"}) {
		unsigned long total = 0;
		std::string ranges;
		try {
			auto text = readText(under(c.root, file));
			size_t start = 0;
			while (text && start < text->size()) {
				size_t nl = text->find('\n', start);
				std::string l = text->substr(start, nl - start);
				start = nl == std::string::npos ? text->size() : nl + 1;
				const size_t a = l.find(':'), b = l.find(':', a + 1);
				if (a == std::string::npos || b == std::string::npos)
					continue;
				const std::string who = l.substr(0, a);
				if (who != user && (uid.empty() || who != uid))
					continue;
				const unsigned long first =
				        std::strtoul(l.c_str() + a + 1, nullptr, 10);
				const unsigned long count =
				        std::strtoul(l.c_str() + b + 1, nullptr, 10);
				if (first == 0)
					problem = std::string(file) + " gives " + user +
					          " a range starting at 0: it maps host root";
				total += count;
				ranges += strprintf("%s%lu-%lu", ranges.empty() ? "" : ",", first,
				                    first + count - 1);
			}
		} catch (const Error &e) {
			problem = singleLine(e.what());
		}
		if (total == 0) {
			const std::string fix =
			        "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " +
			        user;
			out.push_back(line("subids", whenMissing,
			                   engine + ": " + file + " has no range for " + user + why,
			                   fix));
			return;
		}
		if (total < kMinSubids && problem.empty())
			problem = strprintf("%s gives %s %lu IDs, fewer than the 65536 a container "
			                    "image expects",
			                    file, user.c_str(), total);
		found += std::string(found.empty() ? "" : ", ") + file + " " + ranges;
	}
	if (!problem.empty())
		out.push_back(
		        line("subids", Status::Fail, engine + ": " + problem,
		             "correct the " + user + " lines of /etc/subuid and /etc/subgid"));
	else
		out.push_back(line("subids", Status::Ok, engine + ": " + user + ": " + found));
}

} // namespace bulkhead::ops
