#include "bulkhead/error.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace bulkhead {

std::string strprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(nullptr, 0, fmt, ap);
	va_end(ap);
	std::string out;
	if (n > 0) {
		out.resize(static_cast<size_t>(n) + 1);
		vsnprintf(out.data(), out.size(), fmt, ap2);
		out.resize(static_cast<size_t>(n));
	}
	va_end(ap2);
	return out;
}

void throwErrno(const std::string &what)
{
	int e = errno;
	throw Error(ErrorKind::Io, what + ": " + std::strerror(e));
}

std::string singleLine(std::string s)
{
	for (char &c : s)
		if (c == '\n' || c == '\r')
			c = ' ';
	return s;
}

} // namespace bulkhead
