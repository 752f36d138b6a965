#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/* runc's command line, parsed the way runc 1.1 (urfave/cli) parses it:
 *   runc [global options] command [command options] [arguments...]
 * -flag or --flag, "--flag value" or "--flag=value", boolean flags take no
 * separate value (but accept "--flag=true|false"), "--" ends flags. Options may
 * follow the container ID for create/run/restore; for exec everything after the
 * container ID is the command. The parse never changes argv: it only records
 * where things are, so the real runtime gets exactly what the engine sent. */
namespace bulkhead::cli {

enum class Command {
	None, /* no command: "runc", "runc --version", "runc --help" */
	Create,
	Run,
	Restore,
	Exec,
	Update,
	Start,
	Kill,
	Delete,
	State,
	List,
	Ps,
	Events,
	Pause,
	Resume,
	Checkpoint,
	Spec,
	Features,
	Help,
	Policy, /* bulkhead's own verbs: offline */
	Audit,
	Doctor,  /* the node's health check (ops.h) */
	Setup,   /* an engine's configuration edited to run bulkhead (ops.h) */
	Learn,   /* bulkhead's own: run a bundle to learn what it needs */
	Unknown, /* a command runc may know and bulkhead does not: passed through */
};

/* bulkhead's own verbs (policy, audit, doctor, setup): never the runtime's. */
bool isOwnVerb(Command c) noexcept;

/* Commands whose spec, process or resources bulkhead checks. */
bool isHardened(Command c) noexcept;

struct FlagUse
{
	std::string name;                 /* canonical long name, no dashes: "bundle" for -b */
	std::optional<std::string> value; /* nullopt for a boolean written without "=" */
	size_t index = 0;                 /* argv index of the flag itself */
	size_t valueIndex = 0;            /* argv index holding the value (== index for --f=v) */
};

struct Invocation
{
	std::vector<std::string> argv; /* exactly as given, argv[0] included */

	std::vector<FlagUse> globals; /* global options, in order */
	Command command = Command::None;
	std::string commandName; /* as spelled */
	size_t commandIndex = 0; /* argv index of the command, 0 when none */

	std::vector<FlagUse> flags;   /* command options, in order */
	std::vector<size_t> operands; /* argv indices of the positional arguments */

	std::optional<std::string> containerId;
	size_t containerIdIndex = 0;
	std::vector<std::string> execArgs; /* exec: the command after the container ID */

	/* Globals that bulkhead itself needs. */
	std::optional<std::string> log; /* --log FILE */
	std::string logFormat = "text"; /* --log-format */
	/* --version / -v among the globals: runc then prints its version and runs
	 * no command, whatever follows. */
	bool version = false;
	/* --help / -h among the globals (runc shows its usage and runs nothing), the
	 * "help" command alone or about bulkhead's own verbs ("help policy"), or no
	 * command at all. "help CMD" for the runtime's commands passes through. */
	bool help = false;
	/* -h / --help given to the command itself: runc prints that command's help
	 * and runs nothing, so even a hardened command can pass straight through. */
	bool commandHelp = false;
	/* false when a pass-through command line could not be parsed completely
	 * (unknown option): it goes to the runtime untouched, which reports it. */
	bool complete = true;

	/* Last use of a command option (runc, like Go's flag package, keeps the last). */
	[[nodiscard]] const FlagUse *flag(std::string_view name) const noexcept;
	[[nodiscard]] const FlagUse *global(std::string_view name) const noexcept;
	/* A boolean command option as runc sees it: false when absent, else the
	 * last use ("--tty", "-t=true", "--tty=0"; Go's strconv.ParseBool). */
	[[nodiscard]] bool isSet(std::string_view name) const noexcept;
	/* Bundle directory as given (--bundle/-b), or "" for the current directory. */
	[[nodiscard]] std::string bundle() const;
};

/* Parse a full argv (argv[0] included). Throws Error{Usage} with a runc-like
 * message when a hardened command (create, run, restore, exec, update) carries a
 * flag bulkhead cannot place or a flag lacks its value. Pass-through commands
 * never throw for unknown flags: they go to the runtime untouched. */
Invocation parse(const std::vector<std::string> &argv);

/* Only the globals before the command, for the logger: never throws. */
void scanLogOptions(const std::vector<std::string> &argv, std::optional<std::string> &log,
                    std::string &logFormat) noexcept;

/* The table the parser uses, exposed for tests and the man page check. */
/* How runc (Go's flag package) checks a value: a bad one is a usage error. */
enum class ValueKind : unsigned char {
	Text,       /* StringFlag, StringSliceFlag: anything */
	Int,        /* IntFlag: strconv.ParseInt(s, 0, 64): "+0x1_0" is 16 */
	DecimalInt, /* Int64SliceFlag: strconv.ParseInt(s, 10, 64) */
	Duration,   /* DurationFlag: time.ParseDuration, "1m30s" */
};
struct FlagSpec
{
	const char *name;  /* long name, no dashes */
	const char *alias; /* short alias or nullptr */
	bool takesValue;
	ValueKind kind = ValueKind::Text;
};
struct CommandSpec
{
	const char *name;
	Command command;
	std::vector<FlagSpec> flags; /* without the implicit "help"/"h" every command has */
	bool skipReorder = false;    /* urfave's SkipArgReorder: exec and ps */
	int minArgs = 0;             /* positional arguments runc accepts: minArgs.. */
	int maxArgs = -1;            /* ..maxArgs, -1 for no limit */
};

/* Go's strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False. */
std::optional<bool> parseBool(std::string_view s) noexcept;
/* Go's strconv.ParseInt(s, base, 64) for base 0 (prefixes 0x 0o 0b 0, and "_"
 * between digits) or base 10. */
std::optional<int64_t> parseGoInt(std::string_view s, bool base0) noexcept;
/* Go's strconv.ParseUint(s, 10, 64). */
std::optional<uint64_t> parseGoUint(std::string_view s) noexcept;
/* Does Go's time.ParseDuration accept s? */
bool isGoDuration(std::string_view s) noexcept;
/* The enum value for a command name ("create"), Unknown when runc has none. */
Command commandFor(std::string_view name) noexcept;
const std::vector<FlagSpec> &globalFlags();
const std::vector<CommandSpec> &commands();

} // namespace bulkhead::cli
