#include "sys/io.h"

#include <cerrno>
#include <unistd.h>

#include "bulkhead/error.h"

namespace bulkhead::sys {

bool writeAllNoThrow(int fd, std::string_view data) noexcept
{
	size_t done = 0;
	while (done < data.size()) {
		ssize_t n = ::write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0) {
			errno = EIO;
			return false;
		}
		done += static_cast<size_t>(n);
	}
	return true;
}

void writeAll(int fd, std::string_view data, const std::string &what)
{
	if (!writeAllNoThrow(fd, data))
		throwErrno(what);
}

} // namespace bulkhead::sys
