/* A reader for the TOML the engines' configuration files use (containerd's
 * config.toml and drop-ins, CRI-O's crio.conf.d, Podman's containers.conf):
 * tables, dotted and quoted keys, strings, arrays of strings (over several
 * lines too), and every other value kept as raw text. It records the line of
 * each table and key so that setup can edit the text in place, keeping the
 * admin's comments and order. Not a full TOML parser: inline tables and
 * multi-line strings are kept raw, never looked into. */
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bulkhead::ops::toml {

using Path = std::vector<std::string>;

struct Entry
{
	Path table; /* the table the key is in: {"plugins", "io.containerd.grpc.v1.cri"} */
	Path key;   /* the key, dotted keys split: {"cni", "bin_dir"} */
	bool isString = false;
	bool isStringArray = false;
	std::string text;                 /* the string's value, else the raw value text */
	std::vector<std::string> strings; /* the array's strings */
	size_t line = 0;                  /* 0-based first and last line of the entry */
	size_t lastLine = 0;

	[[nodiscard]] Path path() const; /* table + key */
};

struct Table
{
	Path path;
	size_t line = 0; /* the header's line */
	bool isArray = false;
};

struct Document
{
	std::vector<std::string> lines; /* the text split at '\n', without the newlines */
	std::vector<Entry> entries;
	std::vector<Table> tables;

	/* The last entry whose table + key is PATH, nullptr when none. */
	[[nodiscard]] const Entry *find(const Path &path) const noexcept;
	/* The header of table PATH (not an array table), nullptr when none. */
	[[nodiscard]] const Table *table(const Path &path) const noexcept;
	/* The line after the last entry of table PATH (its header's line + 1 when
	 * it has none): where a new key of that table goes. */
	[[nodiscard]] size_t endOf(const Table &t) const noexcept;
	/* The line of the first table header, lines.size() when none: top-level
	 * keys go before it. */
	[[nodiscard]] size_t firstTableLine() const noexcept;
};

/* Throws Error{Config, "NAME:LINE: what"} where the text is not TOML it can
 * read (a table header or key it cannot split, an unterminated string or array). */
Document parse(std::string_view text, const std::string &name);

/* S as a TOML basic string, quotes included. */
std::string quote(std::string_view s);
/* A key path as TOML writes it: bare where it can be, quoted otherwise. */
std::string keyText(const Path &p);

/* Does PATH start with PREFIX? */
bool startsWith(const Path &path, const Path &prefix) noexcept;

} // namespace bulkhead::ops::toml
