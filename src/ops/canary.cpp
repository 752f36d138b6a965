/* doctor's last check: a container through the whole path an engine uses.
 * A busybox-static root filesystem and the runtime's own default spec in a
 * scratch directory; bulkhead (this binary) with the node's runtime, policy
 * and audit settings; private runtime state (--root), so that nothing of an
 * engine's is touched; the container runs, says what it sees, and is deleted. */
#include "engines.h"
#include "ops_util.h"

#include <filesystem>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::ops {

namespace {

constexpr int kRunTimeoutMs = 60000;

/* What the container prints, one "key=value" a line; the last line says it
 * got to the end. */
const char kScript[] = "echo uid=$(id -u);"
                       "echo nnp=$(grep ^NoNewPrivs: /proc/self/status | tr -dc 0-9);"
                       "echo seccomp=$(grep ^Seccomp: /proc/self/status | tr -dc 0-9);"
                       "echo uidmap=$(head -n 1 /proc/self/uid_map | tr -s ' ');"
                       "if touch /canary 2>/dev/null; then echo root=rw; else echo root=ro; fi;"
                       "echo bulkhead-canary-done";

const char *const kApplets[] = {"sh", "id", "grep", "tr", "head", "touch", "echo"};

class Scratch
{
public:
	Scratch()
	{
		/* the container's files are executed from here: the first of these
		 * not mounted noexec (hardened nodes mount /tmp so) */
		std::string base = "/tmp";
		for (const char *d : {"/tmp", "/var/tmp", "/var/lib"}) {
			struct statvfs vfs
			{
			};
			if (::statvfs(d, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC) == 0) {
				base = d;
				break;
			}
		}
		std::string tmpl = base + "/bulkhead-doctor.XXXXXX";
		if (::mkdtemp(tmpl.data()) == nullptr)
			throwErrno("mkdtemp " + tmpl);
		dir_ = tmpl;
		/* the container's root (a mapped ID) must traverse to its rootfs */
		if (::chmod(dir_.c_str(), 0755) != 0)
			throwErrno("chmod " + dir_);
	}
	Scratch(const Scratch &) = delete;
	Scratch &operator=(const Scratch &) = delete;
	~Scratch()
	{
		std::error_code ec;
		std::filesystem::remove_all(dir_, ec);
	}
	[[nodiscard]] const std::string &dir() const noexcept { return dir_; }

private:
	std::string dir_;
};

void writeFile(const std::string &path, const std::string &text, mode_t mode)
{
	FILE *f = std::fopen(path.c_str(), "we");
	if (f == nullptr)
		throwErrno(path);
	const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
	if (std::fclose(f) != 0 || !ok)
		throwErrno(path);
	if (::chmod(path.c_str(), mode) != 0)
		throwErrno("chmod " + path);
}

void makeRootfs(const std::string &rootfs, const std::string &busybox)
{
	namespace fs = std::filesystem;
	for (const char *d : {"bin", "proc", "sys", "dev", "tmp", "run", "var/tmp", "etc", "mnt"})
		fs::create_directories(rootfs + "/" + d);
	/* runc gives a tmpfs the mode of the directory it covers */
	::chmod((rootfs + "/tmp").c_str(), 01777);
	::chmod((rootfs + "/var/tmp").c_str(), 01777);
	fs::copy_file(busybox, rootfs + "/bin/busybox");
	::chmod((rootfs + "/bin/busybox").c_str(), 0755);
	for (const char *a : kApplets)
		fs::create_symlink("busybox", rootfs + "/bin/" + a);
	writeFile(rootfs + "/etc/passwd",
	          "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n", 0644);
	writeFile(rootfs + "/etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644);
}

std::string field(const std::string &out, const std::string &key)
{
	const std::string k = key + "=";
	size_t at = out.rfind("\n" + k);
	size_t start =
	        at == std::string::npos ? (out.rfind(k, 0) == 0 ? 0 : std::string::npos) : at + 1;
	if (start == std::string::npos)
		return "";
	start += k.size();
	return out.substr(start, out.find('\n', start) - start);
}

/* The last line that says something: bulkhead's refusal or runc's error. */
std::string lastLine(const std::string &out)
{
	size_t end = out.find_last_not_of("\n ");
	if (end == std::string::npos)
		return "";
	size_t start = out.rfind('\n', end);
	return firstLine(out.substr(start == std::string::npos ? 0 : start + 1, end + 1), 300);
}

} // namespace

void checkCanary(const DoctorContext &c, const Config &cfg, std::vector<Check> &out)
{
	std::string busybox;
	for (const char *p : {"/bin/busybox", "/usr/bin/busybox"})
		if (isStaticElf(p)) {
			busybox = p;
			break;
		}
	if (busybox.empty()) {
		out.push_back(Check{"canary", Status::Warn,
		                    "not run: no statically linked busybox (/bin/busybox)",
		                    "apt-get install busybox-static"});
		return;
	}
	try {
		Scratch s;
		const std::string bundle = s.dir() + "/bundle", state = s.dir() + "/state";
		std::filesystem::create_directories(bundle);
		::chmod(bundle.c_str(), 0755);
		makeRootfs(bundle + "/rootfs", busybox);

		/* the runtime's own default spec, as `runc spec` writes it */
		RunResult spec = run({cfg.runtime, "spec", "--bundle", bundle}, {}, 10000);
		if (spec.status != 0) {
			out.push_back(Check{"canary", Status::Fail,
			                    cfg.runtime + " spec: " + lastLine(spec.out),
			                    "check the runtime by hand: " + cfg.runtime + " spec"});
			return;
		}
		json::Value doc = json::parseFile(bundle + "/config.json");
		json::Value args = json::Value::array();
		for (const char *a : {"/bin/sh", "-c", kScript})
			args.push(json::Value::string(a));
		json::set(doc, json::Pointer() / "process" / "terminal",
		          json::Value::boolean(false));
		json::set(doc, json::Pointer() / "process" / "args", std::move(args));
		writeFile(bundle + "/config.json", json::write(doc, true), 0644);

		json::Value conf = json::Value::object();
		conf.set("runtime", json::Value::string(cfg.runtime));
		conf.set("policy", json::Value::string(cfg.policy));
		json::Value audit = json::Value::object();
		audit.set("log", json::Value::string(cfg.audit.log));
		audit.set("onError",
		          json::Value::string(cfg.audit.failOpen ? "continue" : "refuse"));
		conf.set("audit", std::move(audit));
		const std::string confPath = s.dir() + "/config.json";
		writeFile(confPath, json::write(conf, true), 0644);

		const std::string id =
		        strprintf("bulkhead-doctor-%d", static_cast<int>(::getpid()));
		const std::vector<std::string> env{"BULKHEAD_CONFIG=" + confPath};
		RunResult r = run({c.self, "--root", state, "run", "--bundle", bundle, id}, env,
		                  kRunTimeoutMs);
		/* gone already after a plain `run`; this cleans up after a timeout */
		run({c.self, "--root", state, "delete", "--force", id}, env, 10000);

		const std::string how = "busybox through " + c.self + " and " + cfg.runtime;
		if (r.timedOut || r.status != 0 ||
		    r.out.find("bulkhead-canary-done") == std::string::npos) {
			const std::string why =
			        r.timedOut
			                ? std::string("no end in 60 s")
			                : strprintf("exit status %d: ", r.status) + lastLine(r.out);
			out.push_back(Check{"canary", Status::Fail, how + " failed: " + why,
			                    r.out.find("bulkhead: ") != std::string::npos
			                            ? "bulkhead policy check --policy " +
			                                      cfg.policy +
			                                      " on a `runc spec` config shows what "
			                                      "the policy does"
			                            : "the runtime's message above; run a bundle "
			                              "by hand with " +
			                                      cfg.runtime + " run"});
			return;
		}
		std::string uidmap = field(r.out, "uidmap");
		uidmap.erase(0, uidmap.find_first_not_of(' '));
		std::string seen = "uid " + field(r.out, "uid");
		seen += uidmap.empty() || uidmap.rfind("0 0 ", 0) == 0
		                ? ", no user namespace"
		                : ", user namespace " + uidmap;
		seen += field(r.out, "nnp") == "1" ? ", no_new_privs"
		                                   : ", privileges can be gained";
		seen += field(r.out, "seccomp") == "2" ? ", seccomp filter" : ", no seccomp filter";
		seen += field(r.out, "root") == "ro" ? ", read-only root" : ", writable root";
		out.push_back(Check{"canary", Status::Ok, how + " ran, deleted: " + seen, ""});
	} catch (const std::exception &e) {
		out.push_back(Check{"canary", Status::Fail,
		                    std::string("could not prepare it: ") + singleLine(e.what()),
		                    "free /tmp, or run doctor as root"});
	}
}

} // namespace bulkhead::ops
