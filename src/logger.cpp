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
#include "bulkhead/json.h"

namespace bulkhead {

namespace {

constexpr size_t kMaxMessage = 4000; /* bytes of message; the whole line stays well under 8 KiB */

void writeOnce(int fd, const std::string &line) noexcept
{
	/* One write: O_APPEND makes it land whole, next to other writers' lines. */
	ssize_t n;
	do {
		n = ::write(fd, line.data(), line.size());
	} while (n < 0 && errno == EINTR);
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
		size_t len = json::detail::utf8Sequence(msg, i);
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

/* The text with every byte that is not well-formed UTF-8 turned into U+FFFD,
 * as Go's encoding/json does: the JSON writer then quotes it. */
std::string wellFormed(const std::string &s)
{
	std::string out;
	for (size_t i = 0; i < s.size();) {
		const size_t len = json::detail::utf8Sequence(s, i);
		if (len == 0) {
			out += "\xef\xbf\xbd";
			i++;
		} else {
			out.append(s, i, len);
			i += len;
		}
	}
	return out;
}

/* Go's %q, as logrus's text format quotes a message: \" \\ \n \r \t, other
 * controls, DEL and invalid bytes as \xXX. */
std::string goQuote(const std::string &s)
{
	std::string out;
	for (size_t i = 0; i < s.size();) {
		const auto c = static_cast<unsigned char>(s[i]);
		const size_t len = json::detail::utf8Sequence(s, i);
		if (len > 1) {
			out.append(s, i, len);
			i += len;
			continue;
		}
		i++;
		if (len == 0 || ((c < 0x20 || c == 0x7f) && c != '\n' && c != '\r' && c != '\t')) {
			appendHex(out, "\\x", c, 2);
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
			out += static_cast<char>(c);
		}
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
			l.fd_ = sys::Fd(::open(path->c_str(),
			                       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
			if (l.fd_.get() < 0)
				l.openError_ = "log file " + *path + ": " + std::strerror(errno);
		}
	} catch (...) { /* out of memory: stderr only */
	}
	return l;
}

void Logger::error(const std::string &msg) const noexcept
{
	try {
		const std::string text = oneLine(msg);
		if (fd_.get() >= 0) {
			const std::string time = rfc3339Now();
			std::string line;
			if (json_) {
				/* runc's (logrus's) key order */
				json::Value o = json::Value::object();
				o.set("level", json::Value::string("error"));
				o.set("msg", json::Value::string(wellFormed(text)));
				o.set("time", json::Value::string(time));
				line = json::write(o) + "\n";
			} else {
				line = "time=\"" + time + "\" level=error msg=\"" + goQuote(text) +
				       "\"\n";
			}
			writeOnce(fd_.get(), line);
		}
		std::string err = text;
		if (!openError_.empty())
			err += " (" + openError_ + ")";
		err += '\n';
		writeOnce(STDERR_FILENO, err);
	} catch (...) {
		static const char oom[] = "bulkhead: out of memory while reporting an error\n";
		ssize_t n = ::write(STDERR_FILENO, oom, sizeof oom - 1);
		(void)n;
	}
}

} // namespace bulkhead
