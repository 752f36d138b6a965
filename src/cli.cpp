/* runc's command line, read the way runc 1.1.5 reads it: urfave/cli v1
 * (reordering of a command's options, SkipArgReorder for exec and ps, the
 * "two forms of the same flag" check) on top of Go's flag package (-f and --f
 * alike, "=value" or a separate value, booleans never take a separate value,
 * "--" ends the options). The parse records argv indices only; argv itself is
 * never changed. */
#include "bulkhead/cli.h"

#include <algorithm>

#include "bulkhead/error.h"

namespace bulkhead::cli {

namespace {

/* Every runc command has an implicit "help, h" boolean. */
const FlagSpec kHelpFlag{"help", "h", false};

const FlagSpec *lookup(const std::vector<FlagSpec> &specs, bool withHelp,
                       std::string_view name) noexcept
{
	for (const auto &f : specs)
		if (name == f.name || (f.alias != nullptr && name == f.alias))
			return &f;
	if (withHelp && (name == kHelpFlag.name || name == kHelpFlag.alias))
		return &kHelpFlag;
	return nullptr;
}

/* urfave/cli's argIsFlag: is ARG one of the command's options, judged by name
 * only ("--bundle=x" and "-b" are, "-" and "---" forms are judged the same
 * loose way urfave does). */
bool argIsFlag(const std::vector<FlagSpec> &specs, std::string_view arg) noexcept
{
	if (arg == "-" || arg.empty() || arg[0] != '-')
		return false;
	std::string s(arg);
	auto dropDashes = [&s](int count) {
		for (int k = 0; k < count; k++) {
			auto p = s.find('-');
			if (p == std::string::npos)
				break;
			s.erase(p, 1);
		}
	};
	if (s.rfind("--", 0) == 0)
		dropDashes(2);
	if (s.rfind("-", 0) == 0)
		dropDashes(1);
	s = s.substr(0, s.find('='));
	return lookup(specs, true, s) != nullptr;
}

/* urfave/cli v1.22's reorderArgs: the command's options (and what may be their
 * values) move before the other arguments; "--" and what follows stays last. */
std::vector<size_t> reorder(const std::vector<std::string> &argv, const std::vector<size_t> &args,
                            const std::vector<FlagSpec> &specs)
{
	std::vector<size_t> front, rest;
	bool nextMayBeValue = false;
	for (size_t k = 0; k < args.size(); k++) {
		const std::string &a = argv[args[k]];
		if (nextMayBeValue && !argIsFlag(specs, a)) {
			nextMayBeValue = false;
			front.push_back(args[k]);
		} else if (a == "--") {
			rest.insert(rest.begin(), args[k]);
			rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(k) + 1,
			            args.end());
			break;
		} else if (argIsFlag(specs, a)) {
			front.push_back(args[k]);
			nextMayBeValue = a.find('=') == std::string::npos;
		} else {
			rest.push_back(args[k]);
		}
	}
	front.insert(front.end(), rest.begin(), rest.end());
	return front;
}

bool valueOk(ValueKind kind, const std::string &v) noexcept
{
	switch (kind) {
	case ValueKind::Text:
		return true;
	case ValueKind::Int:
		return parseGoInt(v, true).has_value();
	case ValueKind::DecimalInt:
		return parseGoInt(v, false).has_value();
	case ValueKind::Duration:
		return isGoDuration(v);
	}
	return false;
}

struct FlagParse
{
	std::vector<FlagUse> uses;
	size_t stop = 0;   /* position in seq of the first positional argument */
	std::string error; /* Go's message, "" when the parse succeeded */
};

/* Go's flag.FlagSet.Parse over argv[seq[0]], argv[seq[1]], ... followed by
 * urfave's normalizeFlags (an option and its alias both used is an error).
 * keepUnknownWithValue: an unknown "--name=value" is recorded and skipped (a
 * global of another runtime, e.g. crun's --cgroup-manager=systemd). */
FlagParse goParse(const std::vector<std::string> &argv, const std::vector<size_t> &seq,
                  const std::vector<FlagSpec> &specs, bool withHelp, bool keepUnknownWithValue)
{
	FlagParse out;
	std::vector<std::pair<const FlagSpec *, bool>> forms; /* (flag, spelled as alias) */
	size_t pos = 0;
	for (; pos < seq.size(); pos++) {
		const size_t idx = seq[pos];
		const std::string &s = argv[idx];
		if (s.size() < 2 || s[0] != '-')
			break;
		size_t dashes = 1;
		if (s[1] == '-') {
			dashes = 2;
			if (s.size() == 2) { /* "--" */
				pos++;
				break;
			}
		}
		std::string name = s.substr(dashes);
		if (name.empty() || name[0] == '-' || name[0] == '=') {
			out.error = "bad flag syntax: " + s;
			break;
		}
		std::optional<std::string> value;
		if (auto eq = name.find('='); eq != std::string::npos) {
			value = name.substr(eq + 1);
			name.resize(eq);
		}
		const FlagSpec *spec = lookup(specs, withHelp, name);
		if (spec == nullptr) {
			if (keepUnknownWithValue && value) {
				out.uses.push_back(FlagUse{name, value, idx, idx});
				continue;
			}
			out.error = "flag provided but not defined: -" + name;
			break;
		}
		FlagUse use{spec->name, value, idx, idx};
		if (!spec->takesValue) {
			if (value && !parseBool(*value)) {
				out.error = strprintf(
				        "invalid boolean value \"%s\" for -%s: parse error",
				        value->c_str(), name.c_str());
				break;
			}
		} else {
			if (!value) {
				if (pos + 1 >= seq.size()) {
					out.error = "flag needs an argument: -" + name;
					break;
				}
				pos++;
				use.value = argv[seq[pos]];
				use.valueIndex = seq[pos];
			}
			if (!valueOk(spec->kind, *use.value)) {
				out.error =
				        strprintf("invalid value \"%s\" for flag -%s: parse error",
				                  use.value->c_str(), name.c_str());
				break;
			}
		}
		out.uses.push_back(std::move(use));
		bool asAlias = spec->alias != nullptr && name == spec->alias;
		if (std::find(forms.begin(), forms.end(), std::make_pair(spec, !asAlias)) !=
		    forms.end()) {
			out.error = strprintf("Cannot use two forms of the same flag: %s %s",
			                      spec->alias, spec->name);
			break;
		}
		forms.emplace_back(spec, asAlias);
	}
	out.stop = pos;
	return out;
}

const CommandSpec *findCommand(std::string_view name) noexcept
{
	const auto &kCommands = commands();
	for (const auto &c : kCommands)
		if (name == c.name)
			return &c;
	if (name == "h") /* urfave's alias of help */
		return &kCommands.back();
	return nullptr;
}

const char *hardenedNames[] = {"create", "run", "restore", "exec", "update"};

/* The globals, as runc reads them: returns the argv index of the command (or
 * argv.size()) and fills inv's globals; complete=false when they cannot be
 * read to the end. */
size_t parseGlobals(Invocation &inv, FlagParse &fp)
{
	std::vector<size_t> seq;
	for (size_t i = 1; i < inv.argv.size(); i++)
		seq.push_back(i);
	fp = goParse(inv.argv, seq, globalFlags(), false, true);
	inv.globals = fp.uses;
	for (const auto &g : inv.globals) {
		if (g.name == "log")
			inv.log = g.value;
		else if (g.name == "log-format")
			inv.logFormat = g.value.value_or("");
		else if (g.name == "version")
			inv.version = !g.value || parseBool(*g.value).value_or(false);
		else if (g.name == "help")
			inv.help = !g.value || parseBool(*g.value).value_or(false);
	}
	return fp.stop < seq.size() ? seq[fp.stop] : inv.argv.size();
}

} // namespace

bool isOwnVerb(Command c) noexcept
{
	return c == Command::Policy || c == Command::Audit || c == Command::Doctor ||
	       c == Command::Setup || c == Command::Learn;
}

bool isHardened(Command c) noexcept
{
	return c == Command::Create || c == Command::Run || c == Command::Restore ||
	       c == Command::Exec || c == Command::Update;
}

std::optional<bool> parseBool(std::string_view s) noexcept
{
	if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True")
		return true;
	if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
		return false;
	return std::nullopt;
}

/* Go's strconv.ParseUint(s, 10, 64). */
std::optional<uint64_t> parseGoUint(std::string_view s) noexcept
{
	if (s.empty() || s.size() > 20)
		return std::nullopt;
	uint64_t v = 0;
	for (char ch : s) {
		if (ch < '0' || ch > '9')
			return std::nullopt;
		const auto d = static_cast<uint64_t>(ch - '0');
		if (v > (UINT64_MAX - d) / 10)
			return std::nullopt;
		v = v * 10 + d;
	}
	return v;
}

std::optional<int64_t> parseGoInt(std::string_view s, bool base0) noexcept
{
	bool neg = false;
	if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		s.remove_prefix(1);
	}
	if (s.empty())
		return std::nullopt;
	unsigned base = 10;
	bool prefixed = false;
	if (base0 && s[0] == '0') {
		const char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
		if (p == 'x' || p == 'o' || p == 'b') {
			base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
			s.remove_prefix(2);
			prefixed = true;
		} else {
			base = 8;
		}
	}
	/* Go's underscoreOK: "_" only between digits (a base prefix counts as one). */
	char saw = prefixed ? '0' : '^';
	const uint64_t limit = neg ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
	uint64_t n = 0;
	bool digits = false;
	for (const char c : s) {
		if (c == '_') {
			if (!base0 || saw != '0')
				return std::nullopt;
			saw = '_';
			continue;
		}
		const char lc = static_cast<char>(c | 0x20);
		unsigned d;
		if (c >= '0' && c <= '9')
			d = static_cast<unsigned>(c - '0');
		else if (lc >= 'a' && lc <= 'z')
			d = static_cast<unsigned>(lc - 'a') + 10;
		else
			return std::nullopt;
		if (d >= base || n > (limit - d) / base)
			return std::nullopt;
		n = n * base + d;
		saw = '0';
		digits = true;
	}
	if (!digits || saw == '_')
		return std::nullopt;
	if (neg)
		return n == (uint64_t{1} << 63) ? INT64_MIN : -static_cast<int64_t>(n);
	return static_cast<int64_t>(n);
}

bool isGoDuration(std::string_view s) noexcept
{
	if (!s.empty() && (s[0] == '+' || s[0] == '-'))
		s.remove_prefix(1);
	if (s == "0")
		return true;
	if (s.empty())
		return false;
	static const std::string_view units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs",
	                                         "ms", "s",  "m",         "h"};
	while (!s.empty()) {
		size_t i = 0;
		bool digit = false;
		while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
			i++;
			digit = true;
		}
		if (i < s.size() && s[i] == '.') {
			i++;
			while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
				i++;
				digit = true;
			}
		}
		if (!digit)
			return false;
		size_t j = i;
		while (j < s.size() && s[j] != '.' && (s[j] < '0' || s[j] > '9'))
			j++;
		if (std::find(std::begin(units), std::end(units), s.substr(i, j - i)) ==
		    std::end(units))
			return false;
		s.remove_prefix(j);
	}
	return true;
}

Command commandFor(std::string_view name) noexcept
{
	if (const CommandSpec *c = findCommand(name))
		return c->command;
	if (name == "policy")
		return Command::Policy;
	if (name == "audit")
		return Command::Audit;
	if (name == "doctor")
		return Command::Doctor;
	if (name == "setup")
		return Command::Setup;
	if (name == "learn")
		return Command::Learn;
	return Command::Unknown;
}

const FlagUse *Invocation::flag(std::string_view name) const noexcept
{
	for (auto it = flags.rbegin(); it != flags.rend(); ++it)
		if (it->name == name)
			return &*it;
	return nullptr;
}

const FlagUse *Invocation::global(std::string_view name) const noexcept
{
	for (auto it = globals.rbegin(); it != globals.rend(); ++it)
		if (it->name == name)
			return &*it;
	return nullptr;
}

bool Invocation::isSet(std::string_view name) const noexcept
{
	const FlagUse *f = flag(name);
	if (f == nullptr)
		return false;
	return !f->value || parseBool(*f->value).value_or(false);
}

std::string Invocation::bundle() const
{
	const FlagUse *f = flag("bundle");
	return f != nullptr && f->value ? *f->value : std::string();
}

Invocation parse(const std::vector<std::string> &argv)
{
	Invocation inv;
	inv.argv = argv;
	FlagParse gp;
	const size_t ci = parseGlobals(inv, gp);

	if (!gp.error.empty()) {
		/* runc stops here with a usage error. Another runtime may read
		 * the option differently, so a hardened command anywhere after it
		 * is refused rather than guessed at. */
		inv.complete = false;
		inv.command = Command::Unknown;
		for (size_t i = 1; i < argv.size(); i++)
			for (const char *h : hardenedNames)
				if (argv[i] == h)
					throw Error(
					        ErrorKind::Usage,
					        strprintf("global options: %s: cannot tell where "
					                  "the command starts, refusing \"%s\"",
					                  gp.error.c_str(), h));
		return inv;
	}
	if (ci >= argv.size()) {
		inv.help = inv.help || !inv.version;
		return inv;
	}

	inv.commandIndex = ci;
	inv.commandName = argv[ci];
	inv.command = commandFor(inv.commandName);
	if (inv.command == Command::Help) {
		/* "help TOPIC": bulkhead answers for itself and its own verbs; any
		 * other topic is the runtime's ("runc help create", or runc's own
		 * "No help topic" error). */
		const Command topic =
		        ci + 1 < argv.size() ? commandFor(argv[ci + 1]) : Command::Help;
		inv.help = topic == Command::Help || isOwnVerb(topic);
	}
	if (inv.help || inv.version) /* runc prints its usage or version, runs nothing */
		return inv;
	const CommandSpec *spec = findCommand(inv.commandName);
	if (spec == nullptr) /* bulkhead's own verbs, or a command runc lacks */
		return inv;

	std::vector<size_t> args;
	for (size_t i = ci + 1; i < argv.size(); i++)
		args.push_back(i);
	std::vector<size_t> seq = spec->skipReorder ? args : reorder(argv, args, spec->flags);
	FlagParse fp = goParse(argv, seq, spec->flags, true, false);
	const bool hardened = isHardened(inv.command);
	if (!fp.error.empty()) {
		if (hardened)
			throw Error(ErrorKind::Usage,
			            strprintf("%s: %s (bulkhead refuses what it cannot check)",
			                      spec->name, fp.error.c_str()));
		inv.complete = false;
	}
	for (auto &u : fp.uses) {
		if (u.name == kHelpFlag.name)
			inv.commandHelp = !u.value || parseBool(*u.value).value_or(false);
		else
			inv.flags.push_back(std::move(u));
	}
	if (!inv.complete)
		return inv;
	inv.operands.assign(seq.begin() + static_cast<std::ptrdiff_t>(fp.stop), seq.end());

	const auto n = static_cast<int>(inv.operands.size());
	if (hardened && !inv.commandHelp &&
	    (n < spec->minArgs || (spec->maxArgs >= 0 && n > spec->maxArgs))) {
		if (spec->minArgs == spec->maxArgs)
			throw Error(ErrorKind::Usage,
			            strprintf("%s: \"%s\" requires exactly %d argument(s), got %d",
			                      spec->name, spec->name, spec->minArgs, n));
		throw Error(ErrorKind::Usage,
		            strprintf("%s: \"%s\" requires a minimum of %d argument(s)", spec->name,
		                      spec->name, spec->minArgs));
	}
	if (spec->minArgs >= 1 && n >= 1) {
		inv.containerIdIndex = inv.operands[0];
		inv.containerId = argv[inv.containerIdIndex];
	}
	if (inv.command == Command::Exec)
		for (size_t k = 1; k < inv.operands.size(); k++)
			inv.execArgs.push_back(argv[inv.operands[k]]);
	return inv;
}

void scanLogOptions(const std::vector<std::string> &argv, std::optional<std::string> &log,
                    std::string &logFormat) noexcept
{
	try {
		Invocation inv;
		inv.argv = argv;
		FlagParse fp;
		parseGlobals(inv, fp);
		log = inv.log;
		logFormat = inv.logFormat;
	} catch (...) { /* out of memory: no log file, stderr only */
	}
}

} // namespace bulkhead::cli
