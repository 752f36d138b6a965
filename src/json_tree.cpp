/* The JSON tree: Value's methods, equality, number helpers, bounded file
 * reading. Parsing and writing live in src/sys/json.cpp and json_write.cpp. */
#include "sys/fd.h"
#include "sys/swar.h"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::json {

const char *typeName(Type t) noexcept
{
	switch (t) {
	case Type::Null:
		return "null";
	case Type::Bool:
		return "boolean";
	case Type::Number:
		return "number";
	case Type::String:
		return "string";
	case Type::Array:
		return "array";
	case Type::Object:
		return "object";
	}
	return "unknown";
}

namespace {

[[noreturn]] void mismatch(Type want, Type got)
{
	throw Error{ErrorKind::Json,
	            strprintf("expected %s, got %s", typeName(want), typeName(got))};
}

using sys::Fd;

/* Read fd to EOF, refusing more than maxBytes. name is used in messages. */
std::string readBounded(int fd, std::string_view name, size_t maxBytes)
{
	std::string out;
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = {fd, POLLIN, 0};
				if (::poll(&pfd, 1, -1) < 0 && errno != EINTR)
					throwErrno(std::string(name) + ": poll");
				continue;
			}
			throwErrno(std::string(name) + ": read");
		}
		if (n == 0)
			break;
		if (out.size() + static_cast<size_t>(n) > maxBytes)
			throw Error{ErrorKind::Io,
			            strprintf("%.*s: larger than the limit of %zu bytes",
			                      static_cast<int>(name.size()), name.data(),
			                      maxBytes)};
		out.append(buf, static_cast<size_t>(n));
	}
	return out;
}

} // namespace

Value Value::boolean(bool b)
{
	Value v;
	v.type_ = Type::Bool;
	v.bool_ = b;
	return v;
}

Value Value::number(std::string text)
{
	if (!detail::isNumberText(text))
		throw Error{ErrorKind::Json, "not a JSON number: \"" + text + "\""};
	Value v;
	v.type_ = Type::Number;
	v.text() = std::move(text);
	return v;
}

Value Value::number(int64_t n)
{
	Value v;
	v.type_ = Type::Number;
	v.text() = std::to_string(n);
	return v;
}

Value Value::number(uint64_t n)
{
	Value v;
	v.type_ = Type::Number;
	v.text() = std::to_string(n);
	return v;
}

Value Value::string(std::string s)
{
	Value v;
	v.type_ = Type::String;
	v.text() = std::move(s);
	return v;
}

Value Value::array()
{
	Value v;
	v.type_ = Type::Array;
	v.data_.emplace<1>();
	return v;
}

Value Value::object()
{
	Value v;
	v.type_ = Type::Object;
	v.data_.emplace<2>();
	return v;
}

bool Value::asBool() const
{
	if (type_ != Type::Bool)
		mismatch(Type::Bool, type_);
	return bool_;
}

const std::string &Value::asString() const
{
	if (type_ != Type::String)
		mismatch(Type::String, type_);
	return text();
}

const std::string &Value::numberText() const
{
	if (type_ != Type::Number)
		mismatch(Type::Number, type_);
	return text();
}

namespace {

/* The integer part of a number text, or nullopt when it has a fraction or an
 * exponent. Returns (negative, digits). */
std::optional<std::pair<bool, std::string_view>> integerDigits(std::string_view t) noexcept
{
	bool neg = false;
	if (!t.empty() && t[0] == '-') {
		neg = true;
		t.remove_prefix(1);
	}
	if (t.empty())
		return std::nullopt;
	for (char c : t)
		if (c < '0' || c > '9')
			return std::nullopt;
	return std::pair{neg, t};
}

} // namespace

std::optional<int64_t> Value::asInt64() const noexcept
{
	if (type_ != Type::Number)
		return std::nullopt;
	const std::string &t = text();
	auto d = integerDigits(t);
	if (!d)
		return std::nullopt;
	int64_t r = 0;
	/* from_chars accepts the leading '-' for signed types. */
	const char *b = t.data();
	const char *e = b + t.size();
	auto res = std::from_chars(b, e, r);
	if (res.ec != std::errc{} || res.ptr != e)
		return std::nullopt;
	return r;
}

std::optional<uint64_t> Value::asUint64() const noexcept
{
	if (type_ != Type::Number)
		return std::nullopt;
	auto d = integerDigits(text());
	if (!d)
		return std::nullopt;
	auto [neg, digits] = *d;
	if (neg) {
		/* "-0" is zero; anything else negative is out of range. */
		if (digits == "0")
			return 0;
		return std::nullopt;
	}
	uint64_t r = 0;
	auto res = std::from_chars(digits.data(), digits.data() + digits.size(), r);
	if (res.ec != std::errc{} || res.ptr != digits.data() + digits.size())
		return std::nullopt;
	return r;
}

const std::vector<Value> &Value::items() const
{
	if (type_ != Type::Array)
		mismatch(Type::Array, type_);
	return itemsOf();
}

std::vector<Value> &Value::items()
{
	if (type_ != Type::Array)
		mismatch(Type::Array, type_);
	return itemsOf();
}

void Value::push(Value v)
{
	if (type_ != Type::Array)
		mismatch(Type::Array, type_);
	itemsOf().push_back(std::move(v));
}

const std::vector<Value::Member> &Value::members() const
{
	if (type_ != Type::Object)
		mismatch(Type::Object, type_);
	return membersOf();
}

std::vector<Value::Member> &Value::members()
{
	if (type_ != Type::Object)
		mismatch(Type::Object, type_);
	return membersOf();
}

const Value *Value::find(std::string_view key) const noexcept
{
	if (type_ != Type::Object)
		return nullptr;
	for (const auto &m : membersOf())
		if (m.first == key)
			return &m.second;
	return nullptr;
}

Value *Value::find(std::string_view key) noexcept
{
	if (type_ != Type::Object)
		return nullptr;
	for (auto &m : membersOf())
		if (m.first == key)
			return &m.second;
	return nullptr;
}

Value &Value::set(std::string_view key, Value v)
{
	if (type_ != Type::Object)
		mismatch(Type::Object, type_);
	for (auto &m : membersOf())
		if (m.first == key) {
			m.second = std::move(v);
			return m.second;
		}
	auto &members = membersOf();
	members.emplace_back(std::string(key), std::move(v));
	return members.back().second;
}

bool Value::erase(std::string_view key)
{
	if (type_ != Type::Object)
		mismatch(Type::Object, type_);
	auto &members = membersOf();
	for (auto it = members.begin(); it != members.end(); ++it)
		if (it->first == key) {
			members.erase(it);
			return true;
		}
	return false;
}

bool operator==(const Value &a, const Value &b) noexcept
{
	if (a.type_ != b.type_)
		return false;
	switch (a.type_) {
	case Type::Null:
		return true;
	case Type::Bool:
		return a.bool_ == b.bool_;
	case Type::Number:
	case Type::String:
		return a.text() == b.text();
	case Type::Array:
		return a.itemsOf() == b.itemsOf();
	case Type::Object:
		return a.membersOf() == b.membersOf();
	}
	return false;
}

namespace detail {

size_t utf8Sequence(std::string_view s, size_t i) noexcept
{
	const auto *p = reinterpret_cast<const unsigned char *>(s.data());
	const size_t n = s.size();
	if (i >= n)
		return 0;
	const unsigned c = p[i];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c == 0xE0) {
		len = 3;
		lo = 0xA0; /* no overlong */
	} else if (c >= 0xE1 && c <= 0xEC) {
		len = 3;
	} else if (c == 0xED) {
		len = 3;
		hi = 0x9F; /* no surrogates */
	} else if (c >= 0xEE && c <= 0xEF) {
		len = 3;
	} else if (c == 0xF0) {
		len = 4;
		lo = 0x90; /* no overlong */
	} else if (c >= 0xF1 && c <= 0xF3) {
		len = 4;
	} else if (c == 0xF4) {
		len = 4;
		hi = 0x8F; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (i + len > n || p[i + 1] < lo || p[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (p[i + k] < 0x80 || p[i + k] > 0xBF)
			return 0;
	return len;
}

std::optional<size_t> invalidUtf8(std::string_view s) noexcept
{
	for (size_t i = 0; i < s.size();) {
		/* ASCII eight bytes at a time: a whole document is checked before
		 * it is parsed, and specs are almost all ASCII */
		if (i + 8 <= s.size() && !swar::anyHigh(swar::load(s.data() + i))) {
			i += 8;
			continue;
		}
		const size_t len = utf8Sequence(s, i);
		if (len == 0)
			return i;
		i += len;
	}
	return std::nullopt;
}

bool isNumberText(std::string_view t) noexcept
{
	size_t i = 0, n = t.size();
	auto digit = [&](size_t k) { return k < n && t[k] >= '0' && t[k] <= '9'; };
	if (i < n && t[i] == '-')
		i++;
	if (!digit(i))
		return false;
	if (t[i] == '0') {
		i++;
	} else {
		while (digit(i))
			i++;
	}
	if (i < n && t[i] == '.') {
		i++;
		if (!digit(i))
			return false;
		while (digit(i))
			i++;
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		if (!digit(i))
			return false;
		while (digit(i))
			i++;
	}
	return i == n;
}

} // namespace detail

std::string lineCol(std::string_view text, size_t offset)
{
	if (offset > text.size())
		offset = text.size();
	size_t line = 1;
	size_t lineStart = 0;
	for (size_t i = 0; i < offset; i++)
		if (text[i] == '\n') {
			line++;
			lineStart = i + 1;
		}
	return strprintf("%zu:%zu", line, offset - lineStart + 1);
}

namespace {

std::string readPath(const std::string &path, size_t maxBytes, bool noFollow, bool pipes)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	if (noFollow)
		flags |= O_NOFOLLOW;
	Fd fd(::open(path.c_str(), flags));
	if (fd.get() < 0) {
		if (noFollow && errno == ELOOP)
			throw Error{ErrorKind::Io, path + ": is a symbolic link (refused)"};
		throwErrno(path);
	}
	struct stat st
	{
	};
	if (::fstat(fd.get(), &st) < 0)
		throwErrno(path + ": fstat");
	if (pipes && S_ISFIFO(st.st_mode))
		return readBounded(fd.get(), path, maxBytes);
	if (!S_ISREG(st.st_mode))
		throw Error{ErrorKind::Io, path + (pipes ? ": neither a regular file nor a pipe"
		                                         : ": not a regular file")};
	if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > maxBytes)
		throw Error{ErrorKind::Io, strprintf("%s: larger than the limit of %zu bytes",
		                                     path.c_str(), maxBytes)};
	return readBounded(fd.get(), path, maxBytes);
}

} // namespace

std::string readFile(const std::string &path, size_t maxBytes, bool noFollow)
{
	return readPath(path, maxBytes, noFollow, false);
}

std::string readFileOrPipe(const std::string &path, size_t maxBytes)
{
	return readPath(path, maxBytes, false, true);
}

std::string readFd(int fd, std::string_view name, size_t maxBytes)
{
	return readBounded(fd, name, maxBytes);
}

Value parseFile(const std::string &path, const ParseOptions &opts, bool noFollow)
{
	std::string text = readFile(path, opts.maxBytes, noFollow);
	return parse(text, path, opts);
}

} // namespace bulkhead::json
