#include "fixtures.h"

#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/logger.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using test::slurp;
using test::TempDir;

namespace {

/* Runs f with fd 2 redirected to a file; returns what was written there. */
template <typename F> std::string captureStderr(const std::string &file, F f)
{
	int saved = dup(STDERR_FILENO);
	int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	f();
	dup2(saved, STDERR_FILENO);
	close(saved);
	return slurp(file);
}

std::vector<std::string> args(const std::string &log, const char *format)
{
	std::vector<std::string> v{"runc", "--root", "/r", "--log", log};
	if (format != nullptr)
		v.insert(v.end(), {"--log-format", format});
	v.insert(v.end(), {"create", "--bundle", "/b", "c1"});
	return v;
}

/* 2026-11-29T02:25:54Z or 2026-11-29T03:25:54+01:00 (no std::regex: it trips
 * -Wmaybe-uninitialized in libstdc++ under the sanitizers). */
bool isRfc3339(const std::string &t)
{
	auto digits = [&t](size_t from, size_t n) {
		for (size_t i = from; i < from + n; i++)
			if (i >= t.size() || t[i] < '0' || t[i] > '9')
				return false;
		return true;
	};
	if (t.size() < 20 || !digits(0, 4) || t[4] != '-' || !digits(5, 2) || t[7] != '-' ||
	    !digits(8, 2) || t[10] != 'T' || !digits(11, 2) || t[13] != ':' || !digits(14, 2) ||
	    t[16] != ':' || !digits(17, 2))
		return false;
	if (t.size() == 20)
		return t[19] == 'Z';
	return t.size() == 25 && (t[19] == '+' || t[19] == '-') && digits(20, 2) && t[22] == ':' &&
	       digits(23, 2);
}

/* The text between prefix and suffix when s is prefix + X + suffix. */
std::optional<std::string> between(const std::string &s, const std::string &prefix,
                                   const std::string &suffix)
{
	if (s.size() < prefix.size() + suffix.size() || s.compare(0, prefix.size(), prefix) != 0 ||
	    s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0)
		return std::nullopt;
	return s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
}

void setTz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

} // namespace

TEST_CASE("json format: one complete line, runc's keys, RFC 3339 time", "[logger]")
{
	TempDir d;
	const std::string log = d.path + "/log.json";
	std::string err = captureStderr(d.path + "/stderr", [&] {
		Logger l = Logger::fromArgv(args(log, "json"));
		REQUIRE(l.fd() >= 0);
		CHECK((fcntl(l.fd(), F_GETFD) & FD_CLOEXEC) != 0);
		l.error("spec denied: \"uid\" 0\nsecond line\ttab");
	});
	const std::string line = slurp(log);
	REQUIRE(!line.empty());
	CHECK(line.back() == '\n');
	CHECK(std::count(line.begin(), line.end(), '\n') == 1);
	auto time = between(
	        line,
	        R"({"level":"error","msg":"bulkhead: spec denied: \"uid\" 0 second line\ttab","time":")",
	        "\"}\n");
	REQUIRE(time.has_value());
	CHECK(isRfc3339(*time));
	CHECK(err == "bulkhead: spec denied: \"uid\" 0 second line\ttab\n");
}

TEST_CASE("json format: the line is valid JSON even for hostile bytes", "[logger]")
{
	TempDir d;
	const std::string log = d.path + "/log.json";
	captureStderr(d.path + "/stderr", [&] {
		Logger l = Logger::fromArgv(args(log, "json"));
		l.error(std::string("bad \xff\xfe utf8, ctl \x01, nul ") + '\0' +
		        " end \\ \xc3\xa9");
	});
	const std::string line = slurp(log);
	REQUIRE(!line.empty());
	json::Value v = json::parse(std::string_view(line).substr(0, line.size() - 1), "log");
	REQUIRE(v.isObject());
	REQUIRE(v.members().size() == 3);
	CHECK(v.members()[0].first == "level");
	CHECK(v.members()[1].first == "msg");
	CHECK(v.members()[2].first == "time");
	CHECK(v.find("level")->asString() == "error");
	const std::string &msg = v.find("msg")->asString();
	CHECK(msg.rfind("bulkhead: bad \xef\xbf\xbd\xef\xbf\xbd utf8, ctl \x01", 0) == 0);
	CHECK(msg.find("end \\ \xc3\xa9") != std::string::npos);
	CHECK(isRfc3339(v.find("time")->asString()));
}

TEST_CASE("text format mimics runc's logrus lines", "[logger]")
{
	TempDir d;
	const std::string log = d.path + "/log";
	captureStderr(d.path + "/stderr", [&] {
		Logger l = Logger::fromArgv(args(log, nullptr));
		l.error("container \"c1\": refused");
	});
	const std::string line = slurp(log);
	auto time = between(line, "time=\"",
	                    R"(" level=error msg="bulkhead: container \"c1\": refused")"
	                    "\n");
	REQUIRE(time.has_value());
	CHECK(isRfc3339(*time));
}

TEST_CASE("time zone: Z for UTC, the offset otherwise", "[logger]")
{
	TempDir d;
	const char *saved = getenv("TZ");
	std::string savedTz = saved != nullptr ? saved : "";
	for (auto [tz, suffix] :
	     {std::pair{"UTC", std::string("Z\"")}, std::pair{"XST-1", std::string("+01:00\"")},
	      std::pair{"YST+5:30", std::string("-05:30\"")}}) {
		setTz(tz);
		const std::string log = d.path + "/log-" + suffix.substr(0, 1);
		captureStderr(d.path + "/stderr", [&] {
			Logger l = Logger::fromArgv(args(log, "json"));
			l.error("x");
		});
		std::string line = slurp(log);
		INFO(line);
		CHECK(line.find(suffix + "}\n") != std::string::npos);
	}
	if (saved != nullptr)
		setTz(savedTz.c_str());
	else {
		unsetenv("TZ");
		tzset();
	}
}

TEST_CASE("nothing is written on success; the file is created like runc does", "[logger]")
{
	TempDir d;
	const std::string log = d.path + "/log.json";
	{
		Logger l = Logger::fromArgv(args(log, "json"));
		CHECK(l.fd() >= 0);
	}
	struct stat st
	{
	};
	REQUIRE(stat(log.c_str(), &st) == 0);
	CHECK(st.st_size == 0);
	CHECK((st.st_mode & 0777 & ~0644u) == 0);
}

TEST_CASE("appends: two refusals give two lines", "[logger]")
{
	TempDir d;
	const std::string log = d.path + "/log.json";
	captureStderr(d.path + "/stderr", [&] {
		Logger::fromArgv(args(log, "json")).error("one");
		Logger::fromArgv(args(log, "json")).error("two");
	});
	const std::string all = slurp(log);
	CHECK(std::count(all.begin(), all.end(), '\n') == 2);
	CHECK(all.find("bulkhead: one") < all.find("bulkhead: two"));
}

TEST_CASE("long messages stay well under 8 KiB", "[logger]")
{
	TempDir d;
	const std::string log = d.path + "/log.json";
	std::string err = captureStderr(d.path + "/stderr", [&] {
		Logger::fromArgv(args(log, "json")).error(std::string(100000, 'x') + "\xc3\xa9");
	});
	const std::string line = slurp(log);
	CHECK(line.size() < 8192);
	CHECK(line.find("...\"") != std::string::npos);
	CHECK(err.size() < 8192);
	CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("no --log: stderr only; an unopenable log is reported with the error", "[logger]")
{
	TempDir d;
	std::string err = captureStderr(d.path + "/stderr", [&] {
		Logger l = Logger::fromArgv({"runc", "state", "c1"});
		CHECK(l.fd() < 0);
		l.error("plain");
	});
	CHECK(err == "bulkhead: plain\n");

	err = captureStderr(d.path + "/stderr", [&] {
		Logger l = Logger::fromArgv(args(d.path + "/missing/dir/log.json", "json"));
		CHECK(l.fd() < 0);
		l.error("refused");
	});
	CHECK(err.rfind("bulkhead: refused (log file " + d.path + "/missing/dir/log.json: ", 0) ==
	      0);
	CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("a Logger moves its descriptor", "[logger]")
{
	TempDir d;
	Logger a = Logger::fromArgv(args(d.path + "/l", "json"));
	int fd = a.fd();
	REQUIRE(fd >= 0);
	Logger b = std::move(a);
	CHECK(b.fd() == fd);
	CHECK(a.fd() == -1); // NOLINT(bugprone-use-after-move)
	Logger c;
	c = std::move(b);
	CHECK(c.fd() == fd);
}
