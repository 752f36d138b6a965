#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

/* bulkhead's lossless JSON tree, parsed and written by bulkhead (src/sys/json.cpp,
 * src/sys/json_write.cpp): objects keep key order, numbers keep their exact source text,
 * strings are byte strings with explicit length (embedded NUL survives), and every
 * value remembers the byte offset it started at so errors can say FILE:LINE:COL. */
namespace bulkhead::json {

enum class Type { Null, Bool, Number, String, Array, Object };

const char *typeName(Type t) noexcept; /* "null", "boolean", "number", ... */

class Value
{
public:
	using Member = std::pair<std::string, Value>;

	Value() noexcept = default; /* null */
	static Value boolean(bool b);
	static Value number(std::string text); /* text must be a valid JSON number */
	static Value number(int64_t n);
	static Value number(uint64_t n);
	static Value string(std::string s);
	static Value array();
	static Value object();

	[[nodiscard]] Type type() const noexcept { return type_; }
	[[nodiscard]] bool isNull() const noexcept { return type_ == Type::Null; }
	[[nodiscard]] bool isBool() const noexcept { return type_ == Type::Bool; }
	[[nodiscard]] bool isNumber() const noexcept { return type_ == Type::Number; }
	[[nodiscard]] bool isString() const noexcept { return type_ == Type::String; }
	[[nodiscard]] bool isArray() const noexcept { return type_ == Type::Array; }
	[[nodiscard]] bool isObject() const noexcept { return type_ == Type::Object; }

	/* Accessors throw Error{Json} on a type mismatch. */
	[[nodiscard]] bool asBool() const;
	[[nodiscard]] const std::string &asString() const;
	[[nodiscard]] const std::string &numberText() const;
	/* The number as an integer, or nullopt when it is not an integer in range
	 * ("1.5", "1e3", "18446744073709551616"). */
	[[nodiscard]] std::optional<int64_t> asInt64() const noexcept;
	[[nodiscard]] std::optional<uint64_t> asUint64() const noexcept;

	/* Arrays. */
	[[nodiscard]] const std::vector<Value> &items() const;
	[[nodiscard]] std::vector<Value> &items();
	void push(Value v);

	/* Objects: members in source order. */
	[[nodiscard]] const std::vector<Member> &members() const;
	[[nodiscard]] std::vector<Member> &members();
	/* nullptr if absent or not an object. */
	[[nodiscard]] const Value *find(std::string_view key) const noexcept;
	[[nodiscard]] Value *find(std::string_view key) noexcept;
	/* Replace the value of an existing key in place (keeps its position), or append. */
	Value &set(std::string_view key, Value v);
	bool erase(std::string_view key); /* false when absent */

	/* Byte offset in the parsed text where this value started (0 when built in code). */
	[[nodiscard]] size_t offset() const noexcept { return offset_; }
	void setOffset(size_t off) noexcept { offset_ = off; }

	/* Structural equality: same type, same number text, same strings, same
	 * members in the same order. Offsets are ignored. */
	friend bool operator==(const Value &a, const Value &b) noexcept;

private:
	[[nodiscard]] const std::string &text() const noexcept { return *std::get_if<0>(&data_); }
	[[nodiscard]] std::string &text() noexcept { return *std::get_if<0>(&data_); }
	[[nodiscard]] const std::vector<Value> &itemsOf() const noexcept
	{
		return *std::get_if<1>(&data_);
	}
	[[nodiscard]] std::vector<Value> &itemsOf() noexcept { return *std::get_if<1>(&data_); }
	[[nodiscard]] const std::vector<Member> &membersOf() const noexcept
	{
		return *std::get_if<2>(&data_);
	}
	[[nodiscard]] std::vector<Member> &membersOf() noexcept { return *std::get_if<2>(&data_); }

	Type type_ = Type::Null;
	bool bool_ = false;
	size_t offset_ = 0;
	/* One of these at a time, as the type says: the text of a string or a
	 * number (empty for null and booleans), an array's items, an object's
	 * members. A value is 56 bytes, not 96: a spec has a thousand of them,
	 * parsed, copied and freed on every call. */
	std::variant<std::string, std::vector<Value>, std::vector<Member>> data_;
};

struct ParseOptions
{
	size_t maxDepth = 1000;      /* deeper nesting is refused */
	size_t maxBytes = 64u << 20; /* larger input is refused */
	bool allowComments = true;   /* slash-star and slash-slash comments */
	size_t maxValues = 1u << 20; /* more values (scalars + containers) are refused */
};

/* Parse a complete JSON text. Refuses (Error{Json, "NAME:LINE:COL: message"}):
 * syntax errors, empty input, trailing garbage, duplicate keys, invalid UTF-8,
 * raw control bytes in strings, depth > maxDepth, size > maxBytes. */
Value parse(std::string_view text, std::string_view name, const ParseOptions &opts = {});

/* Read a file with a bound, without blocking on FIFOs or devices (only regular
 * files are read) and, when noFollow, refusing a symlink as the last component.
 * Throws Error{Io} naming the path. */
std::string readFile(const std::string &path, size_t maxBytes, bool noFollow = false);
/* As readFile, but a pipe or FIFO is read too, to its end, as runc reads an
 * engine's --process or --resources file (`runc exec -p <(...)`, /dev/fd/N):
 * with the same bound, and never a device. A FIFO nobody writes reads empty. */
std::string readFileOrPipe(const std::string &path, size_t maxBytes);
/* Read all of an fd (stdin, a pipe) with a bound; throws past maxBytes. */
std::string readFd(int fd, std::string_view name, size_t maxBytes);

/* readFile + parse. */
Value parseFile(const std::string &path, const ParseOptions &opts = {}, bool noFollow = false);

/* "LINE:COL" (1-based, columns counted in bytes) of a byte offset in text. */
std::string lineCol(std::string_view text, size_t offset);

/* Serialise, in the bytes yajl_gen writes: key order, number text and string bytes kept.
 * pretty: 2-space indentation and a final newline; otherwise compact. */
std::string write(const Value &v, bool pretty = false);

/* RFC 6901 JSON Pointer. */
class Pointer
{
public:
	Pointer() = default;                         /* the whole document, "" */
	static Pointer parse(std::string_view text); /* throws Error{Json} on bad syntax */
	/* A pointer one token deeper. On a temporary (Pointer() / "a" / "b")
	 * the token is added in place: a chain builds one vector, not one per
	 * step. */
	[[nodiscard]] Pointer operator/(std::string_view token) const &;
	[[nodiscard]] Pointer operator/(size_t index) const &;
	[[nodiscard]] Pointer operator/(std::string_view token) &&;
	[[nodiscard]] Pointer operator/(size_t index) &&;
	[[nodiscard]] std::string str() const; /* escaped form, "/linux/namespaces/0" */
	[[nodiscard]] const std::vector<std::string> &tokens() const noexcept { return tokens_; }
	friend bool operator==(const Pointer &, const Pointer &) = default;

private:
	std::vector<std::string> tokens_;
};

/* nullptr when the path does not exist. */
const Value *get(const Value &root, const Pointer &p) noexcept;
Value *get(Value &root, const Pointer &p) noexcept;
/* RFC 6902 "add" semantics, except that missing intermediate objects are
 * created; "-" appends to an array. Throws Error{Json} when a parent is not a
 * container. */
void set(Value &root, const Pointer &p, Value v);
/* false when absent. */
bool remove(Value &root, const Pointer &p);

/* An RFC 6902 patch (an array of operations) turning `from` into `to`:
 * "replace" for changed scalars, "add"/"remove" for object members, arrays
 * compared element-wise (add/remove at the tail, replace otherwise). Deterministic. */
Value diff(const Value &from, const Value &to);
/* Apply an RFC 6902 patch (add, remove, replace, move, copy, test). Throws Error{Json}. */
void applyPatch(Value &root, const Value &patch);

/* Internals shared by the JSON sources and exposed for tests. */
namespace detail {
/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
 * Returns the offset of the first bad byte, or nullopt when valid. */
std::optional<size_t> invalidUtf8(std::string_view s) noexcept;
/* The length (1-4) of the well-formed UTF-8 sequence starting at s[i], 0 when
 * the bytes there are not one (the one decoder every writer of bulkhead uses). */
size_t utf8Sequence(std::string_view s, size_t i) noexcept;
/* True when text is exactly one JSON number (RFC 8259 grammar). */
bool isNumberText(std::string_view text) noexcept;
/* Append V to OUT pretty-printed as write(v, true) prints it LEVEL levels
 * deep in a document (every line after the first indented by 2 * LEVEL
 * spaces), without the final newline: for documents written a piece at a time. */
void writeNested(std::string &out, const Value &v, size_t level);
/* Append V to OUT as write(v) writes it. */
void append(std::string &out, const Value &v);
/* A parsed tree as compact bytes and back (with the byte offsets that errors
 * name), for a cache of parsed files: decode() reads it much faster than
 * parse() reads the text. decode() checks every length and the depth and
 * returns nullopt for anything encode() did not write. */
std::string encode(const Value &v);
std::optional<Value> decode(std::string_view bytes, size_t maxDepth = 1000);
} // namespace detail

} // namespace bulkhead::json
