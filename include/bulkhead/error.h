#pragma once

#include <stdexcept>
#include <string>

namespace bulkhead {

/* What went wrong, which decides the exit code: in runtime mode every error is
 * exit 1 (runc's convention); the offline verbs use 2 for bad input. */
enum class ErrorKind {
	Usage,    /* bad command line */
	Config,   /* machine configuration */
	Policy,   /* policy file */
	Json,     /* malformed JSON input */
	Io,       /* a system call failed */
	Runtime,  /* the real runtime could not be run */
	Denied,   /* the policy refused the call (runtime mode) */
	Internal, /* a bug */
};

/* The one exception type of bulkhead. Thrown where the problem is found, with
 * context added at boundaries, caught once in main(). */
class Error : public std::runtime_error
{
public:
	Error(ErrorKind kind, const std::string &message) : std::runtime_error(message), kind_(kind)
	{
	}

	[[nodiscard]] ErrorKind kind() const noexcept { return kind_; }

	/* Same error, message prefixed with "context: ". */
	[[nodiscard]] Error wrap(const std::string &context) const
	{
		return Error(kind_, context + ": " + what());
	}

private:
	ErrorKind kind_;
};

/* printf into a std::string (gcc 12 has no std::format). */
std::string strprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* S with each newline and carriage return turned into a space: a message that
 * must stay on one line (a refusal, a report line). */
std::string singleLine(std::string s);

/* Error{Io, "what: strerror(errno)"} from the current errno. */
[[noreturn]] void throwErrno(const std::string &what);

} // namespace bulkhead
