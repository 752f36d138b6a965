/* Fixtures the unit tests share: the variables meson test sets, a scratch
 * directory removed with all it holds, and whole-file reads. */
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

namespace bulkhead::test {

/* A variable meson test sets (BULKHEAD_TEST_DATA, BULKHEAD_SOURCE_ROOT). */
inline std::string env(const char *name)
{
	const char *v = std::getenv(name);
	if (v == nullptr)
		FAIL(std::string(name) + " is not set (run through meson test)");
	return v;
}

struct TempDir
{
	std::string path;
	TempDir()
	{
		char tmpl[] = "/tmp/bulkhead-test.XXXXXX";
		REQUIRE(::mkdtemp(tmpl) != nullptr);
		path = tmpl;
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	~TempDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path, ec);
	}
	/* Writes NAME in the directory with MODE; returns its path. */
	std::string write(const std::string &name, const std::string &text,
	                  mode_t mode = 0644) const
	{
		std::string p = path + "/" + name;
		std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
		REQUIRE(::chmod(p.c_str(), mode) == 0);
		return p;
	}
};

/* TEXT split at newlines (no trailing empty line). */
inline std::vector<std::string> lines(const std::string &text)
{
	std::vector<std::string> out;
	std::stringstream ss(text);
	std::string l;
	while (std::getline(ss, l))
		out.push_back(l);
	return out;
}

/* The whole file, or "" when it cannot be read. */
inline std::string slurp(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

} // namespace bulkhead::test
