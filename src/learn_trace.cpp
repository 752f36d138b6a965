/* Reading strace(1)'s output for bulkhead learn. strace 6.1 with
 * -f -ff -y -s 4096 writes one file per process, one line per system call:
 *   openat(AT_FDCWD</>, "/var/lib/nginx/body", O_RDONLY) = -1 ENOENT (No such ...)
 *   mkdir("/var/lib/nginx/body", 0700)    = -1 EROFS (Read-only file system)
 *   execve("/usr/sbin/nginx", ["nginx"], 0x7ffd (3 vars)) = 0
 *   clone(child_stack=NULL, flags=...)    = 1234
 * Why strace rather than an audit of seccomp or an overlay diff: the errors
 * that stop a server (EROFS, EACCES, ENOENT) are not seccomp's, the kernel's
 * audit log is closed to containers and sandboxes, and an overlay upper
 * directory shows only the writes that succeeded, never the one that failed.
 * strace shows every failed call with its path and errno, from outside. */
#include <charconv>

#include "bulkhead/learn.h"

namespace bulkhead::learn {

namespace {

/* Syscalls whose string arguments name paths, and whether they write. */
struct PathCall
{
	const char *name;
	bool write;
};
constexpr PathCall kPathCalls[] = {
        {"open", false},       {"openat", false},   {"openat2", false},    {"creat", true},
        {"mkdir", true},       {"mkdirat", true},   {"mknod", true},       {"mknodat", true},
        {"unlink", true},      {"unlinkat", true},  {"rmdir", true},       {"rename", true},
        {"renameat", true},    {"renameat2", true}, {"link", true},        {"linkat", true},
        {"symlink", true},     {"symlinkat", true}, {"chmod", true},       {"fchmodat", true},
        {"chown", true},       {"lchown", true},    {"fchownat", true},    {"truncate", true},
        {"utimensat", true},   {"utimes", true},    {"access", false},     {"faccessat", false},
        {"faccessat2", false}, {"stat", false},     {"lstat", false},      {"newfstatat", false},
        {"statx", false},      {"readlink", false}, {"readlinkat", false}, {"chdir", false},
        {"execve", false},     {"bind", true},      {"connect", false},
};

const PathCall *pathCall(std::string_view name)
{
	for (const auto &c : kPathCalls)
		if (name == c.name)
			return &c;
	return nullptr;
}

/* The lexical clean form of an absolute path. */
std::string clean(std::string_view p)
{
	std::vector<std::string_view> parts;
	size_t i = 0;
	while (i <= p.size()) {
		size_t j = p.find('/', i);
		if (j == std::string_view::npos)
			j = p.size();
		std::string_view c = p.substr(i, j - i);
		if (c == "..") {
			if (!parts.empty())
				parts.pop_back();
		} else if (!c.empty() && c != ".") {
			parts.push_back(c);
		}
		i = j + 1;
	}
	std::string out;
	for (auto c : parts)
		out += "/" + std::string(c);
	return out.empty() ? "/" : out;
}

/* A C string as strace prints it: "..." with \" \\ \n \t and \ooo/\xhh escapes. */
std::optional<std::string> quoted(std::string_view s, size_t &i)
{
	if (i >= s.size() || s[i] != '"')
		return std::nullopt;
	std::string out;
	for (++i; i < s.size(); ++i) {
		char c = s[i];
		if (c == '"') {
			++i;
			return out;
		}
		if (c != '\\' || i + 1 >= s.size()) {
			out += c;
			continue;
		}
		char e = s[++i];
		if (e == 'n')
			out += '\n';
		else if (e == 't')
			out += '\t';
		else if (e == 'x' && i + 2 < s.size()) {
			unsigned v = 0;
			std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
			out += static_cast<char>(v);
			i += 2;
		} else if (e >= '0' && e <= '7') {
			unsigned v = 0;
			size_t k = 0;
			while (k < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7')
				v = v * 8 + static_cast<unsigned>(s[i++] - '0'), k++;
			--i;
			out += static_cast<char>(v);
		} else
			out += e;
	}
	return std::nullopt;
}

} // namespace

std::optional<Call> parseLine(std::string_view line, const std::string &cwd)
{
	size_t open = line.find('(');
	if (open == std::string_view::npos || open == 0 || line.front() == '<' ||
	    line.front() == '-' || line.front() == '+')
		return std::nullopt;
	Call c;
	c.name = std::string(line.substr(0, open));
	for (char ch : c.name)
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
			return std::nullopt;
	/* The result: after the last " = " (arguments may hold " = "), which strace
	 * pads to a column after the closing parenthesis. */
	size_t res = line.rfind(" = ");
	if (res == std::string_view::npos || res <= open)
		return std::nullopt;
	size_t eq = res;
	while (eq > open && line[eq - 1] == ' ')
		--eq;
	if (eq == open || line[eq - 1] != ')')
		return std::nullopt;
	--eq; /* at the closing parenthesis */
	std::string_view rest = line.substr(res + 3);
	auto r = std::from_chars(rest.data(), rest.data() + rest.size(), c.ret);
	if (r.ec != std::errc())
		return std::nullopt;
	rest = rest.substr(static_cast<size_t>(r.ptr - rest.data()));
	if (c.ret == -1 && rest.size() > 1 && rest[0] == ' ') {
		size_t end = rest.find(' ', 1);
		c.error =
		        std::string(rest.substr(1, end == std::string_view::npos ? end : end - 1));
	}
	const PathCall *pc = pathCall(c.name);
	if (!pc)
		return c;
	c.write = pc->write;
	std::string_view args = line.substr(open + 1, eq - open - 1);
	if (c.name == "bind" || c.name == "connect") {
		/* Only a unix socket's sun_path names a file. */
		size_t at = args.find("sun_path=\"");
		if (at == std::string_view::npos)
			return c;
		size_t i = at + 9;
		if (auto sp = quoted(args, i); sp && !sp->empty() && (*sp)[0] == '/')
			c.paths.push_back(clean(*sp));
		return c;
	}
	/* Each "string", and the fd path -y shows before it (3</var/lib>). */
	std::string dir = cwd;
	for (size_t i = 0; i < args.size();) {
		if (args[i] == '<') {
			size_t end = args.find('>', i);
			if (end == std::string_view::npos)
				break;
			dir = std::string(args.substr(i + 1, end - i - 1));
			if (dir.empty() || dir[0] != '/')
				dir = cwd; /* socket:[N], pipe:[N], anon_inode:... */
			i = end + 1;
			continue;
		}
		if (args[i] != '"') {
			/* open flags: only O_WRONLY, O_RDWR, O_CREAT, O_TRUNC write. */
			if (args.compare(i, 2, "O_") == 0) {
				size_t end = args.find_first_of(", ", i);
				std::string_view flags = args.substr(
				        i, end == std::string_view::npos ? std::string_view::npos
				                                         : end - i);
				for (auto w : {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"})
					if (flags.find(w) != std::string_view::npos)
						c.write = true;
				i = end == std::string_view::npos ? args.size() : end;
				continue;
			}
			/* bind/connect: sun_path="/run/x.sock" */
			++i;
			continue;
		}
		/* An argv or envp array holds strings that are not paths. */
		if (i > 0 && args[i - 1] == '[')
			break;
		auto s = quoted(args, i);
		if (!s)
			break;
		if (s->empty())
			continue;
		c.paths.push_back(clean((*s)[0] == '/' ? *s : dir + "/" + *s));
		dir = cwd;
		if (c.name == "execve")
			break;
	}
	return c;
}

Process readProcess(std::string_view text, bool forkedByContainer, const std::string &cwd,
                    const std::string &runtime)
{
	Process p;
	p.container = forkedByContainer;
	std::string dir = cwd;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
		auto c = parseLine(line, dir);
		if (!c)
			continue;
		if (!p.container) {
			/* runc re-executes itself as /proc/self/exe init, then the program. */
			if (c->name == "execve" && c->ret == 0 && !c->paths.empty() &&
			    c->paths[0] != "/proc/self/exe" && c->paths[0] != runtime)
				p.container = true;
			else
				continue;
		}
		if (c->name == "chdir" && c->ret == 0 && !c->paths.empty())
			dir = c->paths[0];
		if ((c->name == "clone" || c->name == "clone3" || c->name == "fork" ||
		     c->name == "vfork") &&
		    c->ret > 0)
			p.children.push_back(c->ret);
		p.calls.push_back(std::move(*c));
	}
	return p;
}

std::string capabilityFor(std::string_view s, std::string_view error)
{
	auto is = [&](std::initializer_list<std::string_view> names) {
		for (auto n : names)
			if (s == n)
				return true;
		return false;
	};
	if (is({"chown", "fchown", "lchown", "fchownat"}))
		return "CAP_CHOWN";
	if (is({"setuid", "setreuid", "setresuid", "setfsuid"}))
		return "CAP_SETUID";
	if (is({"setgid", "setregid", "setresgid", "setfsgid", "setgroups"}))
		return "CAP_SETGID";
	if (is({"kill", "tkill", "tgkill"}))
		return "CAP_KILL";
	if (is({"mknod", "mknodat"}))
		return "CAP_MKNOD";
	if (is({"chroot"}))
		return "CAP_SYS_CHROOT";
	if (is({"setrlimit", "prlimit64"}))
		return "CAP_SYS_RESOURCE";
	if (is({"nice", "setpriority", "sched_setscheduler", "sched_setaffinity"}))
		return "CAP_SYS_NICE";
	if (is({"chmod", "fchmod", "fchmodat", "utimensat", "utimes"}))
		return "CAP_FOWNER";
	if (is({"bind"}) && error == "EACCES")
		return "CAP_NET_BIND_SERVICE";
	if (is({"socket"}))
		return "CAP_NET_RAW";
	if (is({"mount", "umount2", "pivot_root", "sethostname", "setdomainname", "unshare",
	        "setns", "swapon", "swapoff"}))
		return "CAP_SYS_ADMIN";
	if (is({"capset"}))
		return "CAP_SETPCAP";
	return {};
}

void learnFrom(const std::vector<Call> &calls, Lessons &out)
{
	for (const auto &c : calls) {
		if (c.error.empty()) {
			if (c.write && !c.paths.empty() && out.written.size() < 500)
				out.written.insert(c.paths.back());
			continue;
		}
		const std::string &e = c.error;
		const std::string path = c.paths.empty() ? std::string() : c.paths.back();
		const bool kernelTree = path.compare(0, 6, "/proc/") == 0 ||
		                        path.compare(0, 5, "/sys/") == 0 ||
		                        path.compare(0, 5, "/dev/") == 0;
		if (!path.empty() && !kernelTree && (e == "EROFS" || (e == "EACCES" && c.write))) {
			out.writeRefused.insert(c.name + " " + path + ": " + e);
			out.writePaths.emplace_back(path, e);
			continue;
		}
		if (!path.empty() && !kernelTree && e == "EACCES") {
			if (out.readRefused.insert(path + ": " + e).second)
				out.readPaths.push_back(path);
			continue;
		}
		if (e == "ENOENT") {
			if (c.write && !path.empty() && !kernelTree && c.name != "unlink" &&
			    c.name != "unlinkat" && c.name != "rmdir")
				out.missing.insert(c.name + " " + path);
			continue;
		}
		if (e == "EPERM" || (e == "EACCES" && path.empty())) {
			out.syscalls[c.name + ": " + e]++;
			std::string cap = capabilityFor(c.name, e);
			out.capabilities.insert(cap.empty() ? "none known (seccomp?) for " + c.name
			                                    : cap + " (" + c.name + ")");
		}
	}
}

} // namespace bulkhead::learn
