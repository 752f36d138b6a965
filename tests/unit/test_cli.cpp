#include <initializer_list>
#include <string>
#include <vector>

#include "bulkhead/cli.h"
#include "bulkhead/error.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using cli::Command;

namespace {

std::vector<std::string> A(std::initializer_list<const char *> args)
{
	std::vector<std::string> v{"runc"};
	for (const char *a : args)
		v.emplace_back(a);
	return v;
}

cli::Invocation P(std::initializer_list<const char *> args)
{
	return cli::parse(A(args));
}

std::string refusal(std::initializer_list<const char *> args)
{
	try {
		cli::parse(A(args));
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Usage);
		return e.what();
	}
	FAIL("no refusal");
	return {};
}

std::string value(const cli::Invocation &inv, const char *name)
{
	const cli::FlagUse *f = inv.flag(name);
	REQUIRE(f != nullptr);
	REQUIRE(f->value.has_value());
	return *f->value;
}

} // namespace

TEST_CASE("containerd create: globals, then options before the ID", "[cli][engines]")
{
	auto inv = P({"--root", "/run/containerd/runc/k8s.io", "--log",
	              "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/log.json",
	              "--log-format", "json", "create", "--bundle", "/b", "--pid-file",
	              "/b/init.pid", "--console-socket", "/tmp/s.sock", "c1"});
	CHECK(inv.command == Command::Create);
	CHECK(inv.commandName == "create");
	CHECK(inv.commandIndex == 7);
	REQUIRE(inv.global("root") != nullptr);
	CHECK(*inv.global("root")->value == "/run/containerd/runc/k8s.io");
	CHECK(inv.global("root")->valueIndex == 2);
	CHECK(inv.log == "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/log.json");
	CHECK(inv.logFormat == "json");
	CHECK(inv.bundle() == "/b");
	CHECK(inv.flag("bundle")->index == 8);
	CHECK(inv.flag("bundle")->valueIndex == 9);
	CHECK(value(inv, "pid-file") == "/b/init.pid");
	CHECK(value(inv, "console-socket") == "/tmp/s.sock");
	CHECK(inv.containerId == "c1");
	CHECK(inv.containerIdIndex == 14);
	CHECK(inv.operands == std::vector<size_t>{14});
	CHECK(inv.complete);
	CHECK_FALSE(inv.help);
	CHECK_FALSE(inv.version);
	CHECK(cli::isHardened(inv.command));
}

TEST_CASE("containerd lifecycle calls pass through with their ID", "[cli][engines]")
{
	auto start = P({"--root", "/r", "start", "c1"});
	CHECK(start.command == Command::Start);
	CHECK(start.containerId == "c1");
	CHECK_FALSE(cli::isHardened(start.command));

	auto state = P({"--root", "/r", "--log", "/l", "--log-format", "json", "state", "c1"});
	CHECK(state.command == Command::State);
	CHECK(state.containerId == "c1");

	auto kill = P({"--root", "/r", "kill", "c1", "9"});
	CHECK(kill.command == Command::Kill);
	CHECK(kill.containerId == "c1");
	CHECK(kill.operands.size() == 2);

	auto killAll = P({"kill", "--all", "c1", "KILL"});
	CHECK(killAll.isSet("all"));
	CHECK(killAll.containerId == "c1");

	auto del = P({"--root", "/r", "delete", "--force", "c1"});
	CHECK(del.command == Command::Delete);
	CHECK(del.isSet("force"));
	CHECK(del.containerId == "c1");

	auto features = P({"features"});
	CHECK(features.command == Command::Features);
	CHECK_FALSE(features.containerId.has_value());

	auto events = P({"events", "c1", "--stats"});
	CHECK(events.isSet("stats"));
	CHECK(events.containerId == "c1");
}

TEST_CASE("containerd exec: --process file, --detach, --pid-file", "[cli][engines][exec]")
{
	auto inv = P({"--root", "/r", "--log", "/l", "--log-format", "json", "exec", "--process",
	              "/tmp/runc-process123", "--detach", "--pid-file", "/p", "c1"});
	CHECK(inv.command == Command::Exec);
	CHECK(value(inv, "process") == "/tmp/runc-process123");
	CHECK(inv.flag("process")->valueIndex == 9);
	CHECK(inv.isSet("detach"));
	CHECK(value(inv, "pid-file") == "/p");
	CHECK(inv.containerId == "c1");
	CHECK(inv.execArgs.empty());
}

TEST_CASE("exec: parsing stops at the container ID", "[cli][exec]")
{
	auto inv = P({"exec", "c1", "ls", "-p"});
	CHECK(inv.containerId == "c1");
	CHECK(inv.flag("process") == nullptr);
	CHECK(inv.execArgs == std::vector<std::string>{"ls", "-p"});

	auto tty = P({"exec", "-t", "c1", "sh", "-t", "--user", "0"});
	CHECK(tty.isSet("tty"));
	CHECK(tty.flag("user") == nullptr);
	CHECK(tty.execArgs == std::vector<std::string>{"sh", "-t", "--user", "0"});

	auto dd = P({"exec", "--user", "1000:1000", "--", "c1", "sh", "-c", "id"});
	CHECK(value(dd, "user") == "1000:1000");
	CHECK(dd.containerId == "c1");
	CHECK(dd.execArgs == std::vector<std::string>{"sh", "-c", "id"});
}

TEST_CASE("exec: every process option, short and long", "[cli][exec]")
{
	auto inv = P({"exec",
	              "-e",
	              "A=1",
	              "-e=B=2",
	              "-u",
	              "0:0",
	              "-g",
	              "5",
	              "-c",
	              "CAP_SYS_ADMIN",
	              "-c",
	              "CAP_NET_RAW",
	              "--cwd",
	              "/w",
	              "--apparmor",
	              "unconfined",
	              "--process-label",
	              "lbl",
	              "--no-new-privs=false",
	              "--tty=1",
	              "--preserve-fds",
	              "3",
	              "--console-socket",
	              "/s",
	              "--cgroup",
	              "a:b",
	              "--ignore-paused",
	              "c1",
	              "true"});
	std::vector<std::string> env, caps;
	for (const auto &f : inv.flags) {
		if (f.name == "env")
			env.push_back(*f.value);
		if (f.name == "cap")
			caps.push_back(*f.value);
	}
	CHECK(env == std::vector<std::string>{"A=1", "B=2"});
	CHECK(caps == std::vector<std::string>{"CAP_SYS_ADMIN", "CAP_NET_RAW"});
	CHECK(value(inv, "user") == "0:0");
	CHECK(value(inv, "additional-gids") == "5");
	CHECK(value(inv, "cwd") == "/w");
	CHECK(value(inv, "apparmor") == "unconfined");
	CHECK(value(inv, "process-label") == "lbl");
	CHECK(inv.flag("no-new-privs") != nullptr);
	CHECK_FALSE(inv.isSet("no-new-privs"));
	CHECK(inv.isSet("tty"));
	CHECK(value(inv, "preserve-fds") == "3");
	CHECK(inv.containerId == "c1");
	CHECK(inv.execArgs == std::vector<std::string>{"true"});
}

TEST_CASE("update: resources from stdin, both spellings", "[cli][engines][update]")
{
	auto containerd = P({"--root", "/r", "update", "--resources=-", "c1"});
	CHECK(containerd.command == Command::Update);
	CHECK(value(containerd, "resources") == "-");
	CHECK(containerd.flag("resources")->valueIndex == containerd.flag("resources")->index);
	CHECK(containerd.containerId == "c1");

	auto crio = P({"--root=/run/runc", "update", "--resources", "-", "c1"});
	CHECK(*crio.global("root")->value == "/run/runc");
	CHECK(value(crio, "resources") == "-");
	CHECK(crio.flag("resources")->valueIndex == 4);
	CHECK(crio.containerId == "c1");

	auto shortForm = P({"update", "-r", "/tmp/res.json", "c1"});
	CHECK(value(shortForm, "resources") == "/tmp/res.json");

	auto after = P({"update", "c1", "-r", "-"});
	CHECK(value(after, "resources") == "-");
	CHECK(after.containerId == "c1");
}

TEST_CASE("update: inline resource flags, -1 is a value", "[cli][update]")
{
	auto inv = P({"update", "--memory", "1g", "--memory-swap", "-1", "--pids-limit=100",
	              "--cpu-quota", "5000", "c1"});
	CHECK(value(inv, "memory") == "1g");
	CHECK(value(inv, "memory-swap") == "-1");
	CHECK(value(inv, "pids-limit") == "100");
	CHECK(value(inv, "cpu-quota") == "5000");
	CHECK(inv.containerId == "c1");
	auto hidden = P({"update", "--kernel-memory", "1", "c1"});
	CHECK(value(hidden, "kernel-memory") == "1");
}

TEST_CASE("Podman and CRI-O: --flag=value globals, --systemd-cgroup", "[cli][engines]")
{
	auto inv = P({"--systemd-cgroup", "--log-format=json", "--log", "/l/oci-log", "create",
	              "--bundle", "/b", "--pid-file", "/b/pidfile", "--no-new-keyring", "c1"});
	CHECK(inv.global("systemd-cgroup") != nullptr);
	CHECK_FALSE(inv.global("systemd-cgroup")->value.has_value());
	CHECK(inv.logFormat == "json");
	CHECK(inv.log == "/l/oci-log");
	CHECK(inv.isSet("no-new-keyring"));
	CHECK(inv.containerId == "c1");
	CHECK(inv.bundle() == "/b");

	auto crio = P({"--root=/run/runc", "create", "--bundle", "/b", "--pid-file", "/p", "c1"});
	CHECK(*crio.global("root")->value == "/run/runc");
	CHECK(crio.global("root")->index == crio.global("root")->valueIndex);
}

TEST_CASE("Docker runtimeArgs arrive before runc's globals", "[cli][engines]")
{
	auto inv = P({"--debug", "--rootless", "false", "--criu", "/usr/sbin/criu", "--root",
	              "/var/run/docker/runtime-runc/moby", "--log", "/l/log.json", "--log-format",
	              "json", "--systemd-cgroup", "create", "--bundle", "/b", "c1"});
	CHECK(inv.command == Command::Create);
	CHECK(inv.globals.size() == 7);
	CHECK(*inv.global("rootless")->value == "false");
	CHECK(inv.containerId == "c1");
	/* Single dash works for globals too. */
	auto single = P({"-root", "/r", "-debug", "state", "c1"});
	CHECK(*single.global("root")->value == "/r");
	CHECK(single.command == Command::State);
}

TEST_CASE("--bundle=B and -b B", "[cli]")
{
	auto eq = P({"run", "--bundle=/b", "c1"});
	CHECK(eq.bundle() == "/b");
	CHECK(eq.flag("bundle")->index == 2);
	CHECK(eq.flag("bundle")->valueIndex == 2);
	CHECK(P({"run", "-b", "/b2", "c1"}).bundle() == "/b2");
	CHECK(P({"run", "-bundle=/b3", "c1"}).bundle() == "/b3");
	CHECK(P({"run", "c1"}).bundle().empty());
	/* An empty value means the current directory, as for runc. */
	CHECK(P({"run", "--bundle=", "c1"}).bundle().empty());
}

TEST_CASE("options after the container ID (urfave reorders them)", "[cli]")
{
	auto inv = P({"create", "c1", "--bundle", "/b", "--pid-file", "/p"});
	CHECK(inv.containerId == "c1");
	CHECK(inv.containerIdIndex == 2);
	CHECK(inv.bundle() == "/b");
	CHECK(value(inv, "pid-file") == "/p");

	/* The last --bundle wins, wherever it is. */
	auto twice = P({"run", "--bundle", "/first", "c1", "--bundle", "/second"});
	CHECK(twice.bundle() == "/second");
	CHECK(twice.containerId == "c1");
}

TEST_CASE("restore: --bundle after other options", "[cli][engines]")
{
	auto inv = P({"restore", "--image-path", "/img", "--work-path", "/work", "--detach",
	              "--pid-file", "/p", "c1", "--bundle", "/b"});
	CHECK(inv.command == Command::Restore);
	CHECK(inv.bundle() == "/b");
	CHECK(value(inv, "image-path") == "/img");
	CHECK(inv.isSet("detach"));
	CHECK(inv.containerId == "c1");

	auto containerd =
	        P({"--root", "/r", "restore", "--detach", "--work-path", "/w", "--image-path", "/i",
	           "--no-pivot", "--bundle", "/b", "--pid-file", "/b/init.pid", "c1"});
	CHECK(containerd.bundle() == "/b");
	CHECK(containerd.containerId == "c1");
}

TEST_CASE("-- ends the options", "[cli]")
{
	auto inv = P({"run", "--bundle", "/b", "--", "c1"});
	CHECK(inv.containerId == "c1");
	CHECK(inv.bundle() == "/b");
	/* "--" placed after the ID still ends the options. */
	auto after = P({"run", "--bundle", "/b", "c1", "--"});
	CHECK(after.containerId == "c1");
	/* What follows "--" is never an option. */
	CHECK_THAT(refusal({"run", "c1", "--", "--bundle", "/q"}),
	           Catch::Contains("requires exactly 1 argument"));
	/* A value option takes the next argument whatever it looks like. */
	CHECK(P({"run", "--bundle", "--keep", "c1"}).bundle() == "--keep");
	CHECK(P({"run", "--bundle", "-x", "c1"}).bundle() == "-x");
	CHECK(P({"--root", "--", "state", "c1"}).global("root")->value == "--");
	auto dd = P({"--", "state", "c1"});
	CHECK(dd.command == Command::State);
	CHECK(dd.containerId == "c1");
}

TEST_CASE("booleans take no separate value", "[cli]")
{
	auto f = P({"run", "--detach=false", "c1"});
	CHECK(f.flag("detach") != nullptr);
	CHECK_FALSE(f.isSet("detach"));
	CHECK(P({"run", "-d=T", "c1"}).isSet("detach"));
	CHECK(P({"run", "-d", "c1"}).isSet("detach"));
	CHECK_FALSE(P({"run", "c1"}).isSet("detach"));
	/* "--detach true ID" gives runc two arguments. */
	CHECK_THAT(refusal({"run", "--detach", "true", "c1"}),
	           Catch::Contains("requires exactly 1 argument(s), got 2"));
	/* runc 1.1's quirk: after a boolean, the ID is taken to be its value and
	 * the options after it are never parsed. */
	CHECK_THAT(refusal({"run", "--detach", "c1", "--bundle", "/b"}), Catch::Contains("got 3"));
	CHECK_THAT(refusal({"run", "--detach=maybe", "c1"}),
	           Catch::Contains("invalid boolean value \"maybe\" for -detach"));
}

TEST_CASE("hardened commands refuse what they cannot place", "[cli][refuse]")
{
	CHECK_THAT(refusal({"create", "--foo", "c1"}),
	           Catch::Contains("create: flag provided but not defined: -foo"));
	CHECK_THAT(refusal({"run", "--bundle=/b", "--weird=1", "c1"}), Catch::Contains("-weird"));
	CHECK_THAT(refusal({"exec", "--privileged", "c1", "sh"}),
	           Catch::Contains("exec: flag provided but not defined: -privileged"));
	CHECK_THAT(refusal({"update", "--cpu-burst", "1", "c1"}), Catch::Contains("-cpu-burst"));
	CHECK_THAT(refusal({"restore", "--no-new-keyring", "c1"}),
	           Catch::Contains("-no-new-keyring"));
	/* create has no --detach (only run has). */
	CHECK_THAT(refusal({"create", "--detach", "c1"}), Catch::Contains("-detach"));
	CHECK_THAT(refusal({"create", "--bundle"}),
	           Catch::Contains("flag needs an argument: -bundle"));
	CHECK_THAT(refusal({"run", "-b", "/x", "--bundle", "/y", "c1"}),
	           Catch::Contains("Cannot use two forms of the same flag: b bundle"));
	CHECK_THAT(refusal({"exec", "-p", "/a", "--process", "/b", "c1"}),
	           Catch::Contains("two forms"));
	CHECK_THAT(refusal({"exec", "-e", "A=1", "--env=B=2", "c1", "true"}),
	           Catch::Contains("Cannot use two forms of the same flag: e env"));
	CHECK_THAT(refusal({"create", "---bundle", "/b", "c1"}),
	           Catch::Contains("bad flag syntax"));
	CHECK_THAT(refusal({"create"}), Catch::Contains("requires exactly 1 argument(s), got 0"));
	CHECK_THAT(refusal({"create", "a", "b"}), Catch::Contains("got 2"));
	CHECK_THAT(refusal({"exec"}), Catch::Contains("minimum of 1"));
	CHECK_THAT(refusal({"update", "-r", "-"}), Catch::Contains("got 0"));
}

TEST_CASE("pass-through commands never refuse", "[cli][passthrough]")
{
	auto inv = P({"state", "--foo", "c1"});
	CHECK(inv.command == Command::State);
	CHECK_FALSE(inv.complete);
	CHECK_NOTHROW(P({"list", "--format"}));
	CHECK_NOTHROW(P({"kill", "-b", "x"}));
	CHECK_NOTHROW(P({"delete", "-f", "--force", "c1"}));
	CHECK_NOTHROW(P({"start"}));
	auto unknown = P({"frobnicate", "--x", "y"});
	CHECK(unknown.command == Command::Unknown);
	CHECK(unknown.commandName == "frobnicate");
	auto badGlobal = P({"--weird", "state", "c1"});
	CHECK(badGlobal.command == Command::Unknown);
	CHECK_FALSE(badGlobal.complete);
	CHECK_NOTHROW(P({"---root", "x", "state", "y"}));
	auto ps = P({"ps", "c1", "-ef"});
	CHECK(ps.containerId == "c1");
	CHECK(ps.flag("format") == nullptr);
}

TEST_CASE("an unreadable global before a hardened command is refused", "[cli][refuse]")
{
	CHECK_THAT(refusal({"--weird", "create", "--bundle", "/b", "c1"}),
	           Catch::Contains("-weird"));
	CHECK_THAT(refusal({"--root", "/r", "--debug=maybe", "run", "c1"}),
	           Catch::Contains("invalid boolean value"));
	/* Another runtime's global written with "=" is kept and skipped. */
	auto crun = P({"--cgroup-manager=systemd", "create", "--bundle", "/b", "c1"});
	CHECK(crun.command == Command::Create);
	CHECK(crun.global("cgroup-manager") != nullptr);
	CHECK(crun.containerId == "c1");
}

TEST_CASE("crun's -f/--config is recorded as \"config\"", "[cli]")
{
	auto inv = P({"create", "-f", "/elsewhere/spec.json", "--bundle", "/b", "c1"});
	CHECK(value(inv, "config") == "/elsewhere/spec.json");
	CHECK(P({"run", "--config=/x.json", "c1"}).flag("config") != nullptr);
}

TEST_CASE("--version, --help, help, and no command", "[cli]")
{
	CHECK(P({"--version"}).version);
	CHECK(P({"-v"}).version);
	CHECK_FALSE(P({"--version"}).help);
	CHECK_FALSE(P({"--version=false"}).version);
	CHECK(P({}).help);
	CHECK(P({"--help"}).help);
	CHECK(P({"-h"}).help);
	CHECK(P({"help"}).help);
	CHECK(P({"h"}).help);
	/* help about bulkhead's own verbs is bulkhead's; about runc's, runc's. */
	CHECK(P({"help", "policy"}).help);
	CHECK(P({"help", "help"}).help);
	auto hc = P({"help", "create"});
	CHECK_FALSE(hc.help);
	CHECK(hc.command == Command::Help);
	CHECK_FALSE(P({"h", "nosuchtopic"}).help);
	CHECK(P({"--debug"}).help);
	/* runc prints its version and runs nothing: no refusal for what follows. */
	auto v = P({"--version", "create", "--foo"});
	CHECK(v.version);
	CHECK(v.command == Command::Create);
	auto ch = P({"create", "--help"});
	CHECK(ch.commandHelp);
	CHECK_FALSE(ch.help);
	CHECK(P({"exec", "-h"}).commandHelp);
}

TEST_CASE("bulkhead's own verbs", "[cli]")
{
	auto inv = P({"policy", "check", "--policy", "p.json", "x.json"});
	CHECK(inv.command == Command::Policy);
	CHECK(inv.commandIndex == 1);
	CHECK(inv.flags.empty());
	CHECK(P({"audit"}).command == Command::Audit);
	CHECK(P({"learn", "--image", "x", "b"}).command == Command::Learn);
	CHECK(P({"help", "learn"}).help);
	CHECK_FALSE(cli::isHardened(Command::Learn));
	CHECK_FALSE(cli::isHardened(Command::Policy));
	CHECK(P({"doctor", "--format", "json"}).command == Command::Doctor);
	CHECK(P({"setup", "--engine", "docker"}).command == Command::Setup);
	CHECK(cli::isOwnVerb(Command::Doctor));
	CHECK(cli::isOwnVerb(Command::Setup));
	CHECK_FALSE(cli::isOwnVerb(Command::Create));
	/* "help doctor" is bulkhead's to answer, as "help policy" */
	CHECK(P({"help", "doctor"}).help);
	CHECK(P({"help", "setup"}).help);
	CHECK_FALSE(P({"help", "create"}).help);
}

TEST_CASE("scanLogOptions reads only the globals and never throws", "[cli][logger]")
{
	std::optional<std::string> log;
	std::string format = "text";
	cli::scanLogOptions(A({"--log", "/l", "--log-format=json", "create", "--log", "/x"}), log,
	                    format);
	CHECK(log == "/l");
	CHECK(format == "json");
	log.reset();
	format = "text";
	cli::scanLogOptions(A({"--weird", "--log", "/l"}), log, format);
	CHECK_FALSE(log.has_value());
	cli::scanLogOptions({}, log, format);
	CHECK_FALSE(log.has_value());
}

TEST_CASE("the tables hold every name the runtime path relies on", "[cli][tables]")
{
	auto has = [](const char *cmd, const char *flag, bool takesValue) {
		for (const auto &c : cli::commands())
			if (std::string(c.name) == cmd)
				for (const auto &f : c.flags)
					if (std::string(f.name) == flag)
						return f.takesValue == takesValue;
		return false;
	};
	for (const char *c : {"create", "run", "restore"}) {
		CHECK(has(c, "bundle", true));
		CHECK(has(c, "pid-file", true));
		CHECK(has(c, "console-socket", true));
	}
	CHECK(has("create", "config", true));
	CHECK(has("run", "config", true));
	CHECK(has("create", "preserve-fds", true));
	CHECK(has("run", "detach", false));
	for (const char *f :
	     {"process", "user", "cap", "apparmor", "process-label", "additional-gids", "env",
	      "cwd", "pid-file", "console-socket", "preserve-fds"})
		CHECK(has("exec", f, true));
	for (const char *f : {"no-new-privs", "tty", "detach"})
		CHECK(has("exec", f, false));
	for (const char *f : {"resources", "memory", "memory-swap", "pids-limit"})
		CHECK(has("update", f, true));
	/* No name or alias is used twice within one command. */
	for (const auto &c : cli::commands()) {
		std::vector<std::string> names{"help", "h"};
		for (const auto &f : c.flags) {
			names.emplace_back(f.name);
			if (f.alias != nullptr)
				names.emplace_back(f.alias);
		}
		std::sort(names.begin(), names.end());
		CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
	}
	CHECK(cli::commandFor("checkpoint") == Command::Checkpoint);
	CHECK(cli::commandFor("nope") == Command::Unknown);
	CHECK(cli::parseBool("True") == true);
	CHECK(cli::parseBool("yes") == std::nullopt);
}

TEST_CASE("the parse never changes argv", "[cli]")
{
	auto args = A({"--root", "/r", "run", "c1", "--bundle", "/b", "-d=false"});
	auto inv = cli::parse(args);
	CHECK(inv.argv == args);
	for (const auto &f : inv.flags) {
		REQUIRE(f.index < args.size());
		REQUIRE(f.valueIndex < args.size());
	}
}

TEST_CASE("values are checked the way Go's flag package checks them", "[cli][values]")
{
	CHECK(cli::parseGoInt("16", true) == 16);
	CHECK(cli::parseGoInt("+0x1_0", true) == 16);
	CHECK(cli::parseGoInt("0b11", true) == 3);
	CHECK(cli::parseGoInt("0o17", true) == 15);
	CHECK(cli::parseGoInt("017", true) == 15);
	CHECK(cli::parseGoInt("0", true) == 0);
	CHECK(cli::parseGoInt("0_1", true) == 1);
	CHECK(cli::parseGoInt("-9223372036854775808", true) == INT64_MIN);
	CHECK(cli::parseGoInt("9223372036854775807", true) == INT64_MAX);
	for (const char *bad :
	     {"", "-", "08", "0x", "1_", "_1", "1__0", "x", "9223372036854775808", "1.5", " 1"})
		CHECK_FALSE(cli::parseGoInt(bad, true).has_value());
	CHECK(cli::parseGoInt("-12", false) == -12);
	CHECK_FALSE(cli::parseGoInt("0x10", false).has_value());
	CHECK_FALSE(cli::parseGoInt("1_0", false).has_value());

	for (const char *ok : {"0", "5s", "1m30s", "-1.5h", "300ms", ".5s", "1.s", "2\xc2\xb5s"})
		CHECK(cli::isGoDuration(ok));
	for (const char *bad : {"", "5", "s", "1x", "1.5", ".s", "1s2"})
		CHECK_FALSE(cli::isGoDuration(bad));

	/* runc refuses these before doing anything; so does bulkhead. */
	CHECK_THAT(refusal({"run", "--preserve-fds", "-", "c1"}),
	           Catch::Contains("invalid value \"-\" for flag -preserve-fds"));
	CHECK_THAT(refusal({"exec", "-g", "0x10", "c1", "true"}),
	           Catch::Contains("invalid value \"0x10\" for flag -g"));
	CHECK_THAT(refusal({"update", "--pids-limit", "c1", "-r", "-"}),
	           Catch::Contains("-pids-limit"));
	CHECK(value(P({"update", "--pids-limit", "+0x1_0", "c1"}), "pids-limit") == "+0x1_0");
	CHECK(P({"create", "--preserve-fds", "-1", "c1"}).containerId == "c1");
	CHECK(P({"events", "--interval", "1s", "c1"}).containerId == "c1");
	CHECK_FALSE(P({"events", "--interval", "1", "c1"}).complete);
}
