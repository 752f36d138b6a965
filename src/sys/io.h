/* The one write loop: all of DATA to FD, through EINTR and short writes. */
#pragma once

#include <string>
#include <string_view>

namespace bulkhead::sys {

/* Throws Error{Io, "WHAT: strerror"}. */
void writeAll(int fd, std::string_view data, const std::string &what);
/* The same, for paths that must not throw (the logger, final output): false
 * when not everything was written. */
bool writeAllNoThrow(int fd, std::string_view data) noexcept;

} // namespace bulkhead::sys
