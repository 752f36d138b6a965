/* Refusals in runc's own log format. containerd reads the last line of the
 * --log file and shows its "msg"; a partial line or a bad "time" turns the
 * reason into "unable to retrieve OCI runtime error". So: one complete line,
 * one write(2), an RFC 3339 time with its zone, valid JSON even when the
 * message carries bytes that are not UTF-8. */
#include "bulkhead/logger.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

#include "bulkhead/cli.h"

namespace bulkhead {

namespace {

constexpr size_t kMaxMessage = 4000; /* bytes of message; the whole line stays well under 8 KiB */

void writeAll(int fd, const std::string &line) noexcept
{
	/* One write: O_APPEND makes it land whole, next to other writers' lines. */
	ssize_t n;
	do {
		n = ::write(fd, line.data(), line.size());
	} while (n < 0 && errno == EINTR);
}

/* Length of the valid UTF-8 sequence at s[i], 0 when it is not one. */
size_t utf8Length(const std::string &s, size_t i) noexcept
{
	const auto c = static_cast<unsigned char>(s[i]);
	size_t len;
	unsigned min;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1fu;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0fu;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (i + len > s.size())
		return 0;
	for (size_t k = 1; k < len; k++) {
		const auto cc = static_cast<unsigned char>(s[i + k]);
		if ((cc & 0xc0u) != 0x80u)
			return 0;
		cp = (cp << 6) | (cc & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* "bulkhead: " + msg on one line, cut (on a character boundary) to a bound. */
std::string oneLine(const std::string &msg)
{
	std::string out = "bulkhead: ";
	size_t i = 0;
	while (i < msg.size()) {
		if (out.size() >= kMaxMessage) {
			out += "...";
			break;
		}
		const char c = msg[i];
		if (c == '\n' || c == '\r') {
			out += ' ';
			i++;
			continue;
		}
		size_t len = utf8Length(msg, i);
		if (len == 0)
			len = 1; /* kept here, escaped by the writers */
		out.append(msg, i, len);
		i += len;
	}
	return out;
}

void appendHex(std::string &out, const char *prefix, unsigned v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	out += prefix;
	for (int k = digits - 1; k >= 0; k--)
		out += hex[(v >> (4 * k)) & 0xfu];
}

/* The two quoting styles of a refusal line differ only in how they spell a
 * byte they cannot print as is. */
enum class Quote {
	Json, /* a JSON string body: controls as \uXXXX, invalid UTF-8 as U+FFFD */
	Go,   /* Go's %q (logrus's text format): controls, DEL, invalid bytes as \xXX */
};

std::string escape(const std::string &s, Quote style)
{
	const bool go = style == Quote::Go;
	std::string out;
	for (size_t i = 0; i < s.size();) {
		const auto c = static_cast<unsigned char>(s[i]);
		size_t len = utf8Length(s, i);
		if (len == 0) {
			if (go)
				appendHex(out, "\\x", c, 2);
			else
				out += "\\ufffd";
			i++;
			continue;
		}
		if (len > 1) {
			out.append(s, i, len);
			i += len;
			continue;
		}
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			if (go && (c < 0x20 || c == 0x7f))
				appendHex(out, "\\x", c, 2);
			else if (!go && c < 0x20)
				appendHex(out, "\\u", c, 4);
			else
				out += static_cast<char>(c);
		}
		i++;
	}
	return out;
}

/* RFC 3339 in local time, as Go's time.RFC3339 prints it: "Z" for UTC, else
 * the offset ("2026-11-29T03:25:54+01:00"). */
std::string rfc3339Now()
{
	struct timespec ts
	{
	};
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm
	{
	};
	if (localtime_r(&ts.tv_sec, &tm) == nullptr)
		gmtime_r(&ts.tv_sec, &tm);
	char buf[64];
	size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	std::string out(buf, n);
	long off = tm.tm_gmtoff;
	if (off == 0) {
		out += 'Z';
	} else {
		char sign = off < 0 ? '-' : '+';
		if (off < 0)
			off = -off;
		off %= 100 * 3600; /* keeps the compiler sure of the width */
		char z[32];
		snprintf(z, sizeof z, "%c%02ld:%02ld", sign, off / 3600, (off % 3600) / 60);
		out += z;
	}
	return out;
}

} // namespace

Logger Logger::fromArgv(const std::vector<std::string> &argv)
{
	Logger l;
	try {
		std::optional<std::string> path;
		std::string format = "text";
		cli::scanLogOptions(argv, path, format);
		l.json_ = format == "json";
		if (path && !path->empty()) {
			l.fd_ = ::open(path->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			               0644);
			if (l.fd_ < 0)
				l.openError_ = "log file " + *path + ": " + std::strerror(errno);
		}
	} catch (...) { /* out of memory: stderr only */
	}
	return l;
}

Logger::Logger(Logger &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)), json_(other.json_), openError_(std::move(other.openError_))
{
}

Logger &Logger::operator=(Logger &&other) noexcept
{
	if (this != &other) {
		if (fd_ >= 0)
			::close(fd_);
		fd_ = std::exchange(other.fd_, -1);
		json_ = other.json_;
		openError_ = std::move(other.openError_);
	}
	return *this;
}

Logger::~Logger()
{
	if (fd_ >= 0)
		::close(fd_);
}

void Logger::error(const std::string &msg) const noexcept
{
	try {
		const std::string text = oneLine(msg);
		if (fd_ >= 0) {
			const std::string time = rfc3339Now();
			std::string line;
			if (json_)
				line = "{\"level\":\"error\",\"msg\":\"" +
				       escape(text, Quote::Json) + "\",\"time\":\"" + time +
				       "\"}\n";
			else
				line = "time=\"" + time + "\" level=error msg=\"" +
				       escape(text, Quote::Go) + "\"" + "\n";
			writeAll(fd_, line);
		}
		std::string err = text;
		if (!openError_.empty())
			err += " (" + openError_ + ")";
		err += '\n';
		writeAll(STDERR_FILENO, err);
	} catch (...) {
		static const char oom[] = "bulkhead: out of memory while reporting an error\n";
		ssize_t n = ::write(STDERR_FILENO, oom, sizeof oom - 1);
		(void)n;
	}
}

} // namespace bulkhead
