#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bulkhead/fd.h"

/* Refusals, the way runc reports errors: always one line on stderr
 * ("bulkhead: ..."), and with --log FILE exactly one line there, in one
 * write(2): {"level":"error","msg":"bulkhead: ...","time":"<RFC3339>"} for
 * --log-format json, or runc's text format otherwise. Nothing is written on
 * success. */
namespace bulkhead {

class Logger
{
public:
	/* Finds --log / --log-format among the global options and opens the file
	 * (O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0644) before anything else can fail.
	 * Never throws: a log that cannot be opened is reported with the first error. */
	static Logger fromArgv(const std::vector<std::string> &argv);
	Logger() = default;

	/* "bulkhead: " is prepended; newlines in msg become spaces; the line is
	 * kept well under 8 KiB. */
	void error(const std::string &msg) const noexcept;

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }

private:
	sys::Fd fd_;
	bool json_ = false;
	std::string openError_;
};

} // namespace bulkhead
