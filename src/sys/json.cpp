/* JSON text -> bulkhead::json::Value (writing is src/sys/json_write.cpp).
 *
 * One pass over the text with an explicit stack, so nesting costs no C++
 * stack: the grammar is RFC 8259's as yajl 2 reads it, which the tests and the
 * JSON fuzzer hold it to (tests/unit/yajl_parse_oracle.h):
 *   - whitespace is space, \t, \n, \r, and also \v and \f;
 *   - with allowComments, slash-star and slash-slash comments are whitespace,
 *     and one left open at the end of the text after the value ends it;
 *   - any value may stand at the top, alone.
 * What a string means is decided here: a lone surrogate escape is refused
 * (yajl turns a high one into '?'), and the whole text is checked as strict
 * UTF-8 first. */
#include "bulkhead/json.h"

#include <array>
#include <iterator>
#include <unordered_set>

#include "bulkhead/error.h"

namespace bulkhead::json {

namespace {

int hexValue(char c) noexcept
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void appendUtf8(std::string &out, uint32_t cp)
{
	if (cp < 0x80) {
		out.push_back(static_cast<char>(cp));
	} else if (cp < 0x800) {
		out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
		out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
		out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
		out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
	} else {
		out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
		out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
		out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
		out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
	}
}

bool isDigit(char c) noexcept
{
	return c >= '0' && c <= '9';
}

/* Byte classes, one look-up per byte: whitespace between tokens (yajl's six),
 * and what a string holds as it is (not '"', not '\\', not a control byte). */
enum : uint8_t { kSpace = 1, kPlain = 2 };
constexpr std::array<uint8_t, 256> kClass = [] {
	std::array<uint8_t, 256> t{};
	for (size_t c = 0x20; c < 256; c++)
		t[c] = kPlain;
	t[static_cast<unsigned char>('"')] = t[static_cast<unsigned char>('\\')] = 0;
	for (const char c : {' ', '\t', '\n', '\v', '\f', '\r'})
		t[static_cast<unsigned char>(c)] |= kSpace;
	return t;
}();

bool is(char c, uint8_t cls) noexcept
{
	return (kClass[static_cast<unsigned char>(c)] & cls) != 0;
}

class Parser
{
public:
	Parser(std::string_view text, std::string_view name, const ParseOptions &opts)
	    : text_(text), name_(name), opts_(opts)
	{
	}

	Value run();

private:
	/* An open array or object. Its elements wait in items_ or members_
	 * (shared by every open container, from FIRST on) and move into it, in
	 * a vector of their exact number, when it closes: no vector grows by
	 * copying itself over (an array of 400 syscall names did ten times). */
	struct Frame
	{
		Value v;
		std::string key; /* pending key of an object */
		size_t first;
		std::unordered_set<std::string> keys;
	};

	[[noreturn]] void fail(size_t offset, const std::string &msg) const;
	[[noreturn]] void unexpected(const char *what) const;
	/* past whitespace and comments; false at the end of the text (or in a
	 * comment left open there) */
	bool skip();
	void count(size_t offset);
	void add(Value &&v);
	void open(Value v);
	void close();
	/* KEY already in the object of F (its members so far; a set once it is big) */
	bool seenKey(Frame &f, const std::string &key);
	/* the string whose opening quote is at i_, decoded; i_ moves past it */
	std::string string();
	void escape(std::string &out, size_t end);
	Value number();
	Value literal();
	Value scalar();
	void key();

	std::string_view text_;
	std::string_view name_;
	const ParseOptions &opts_;
	size_t i_ = 0;
	size_t values_ = 0;
	std::vector<Frame> stack_;
	std::vector<Value> items_;
	std::vector<std::pair<std::string, Value>> members_;
};

void Parser::fail(size_t offset, const std::string &msg) const
{
	throw Error{ErrorKind::Json,
	            strprintf("%.*s:%s: %s", static_cast<int>(name_.size()), name_.data(),
	                      lineCol(text_, offset).c_str(), msg.c_str())};
}

/* Something other than WHAT at i_ (the end of the text included). */
void Parser::unexpected(const char *what) const
{
	if (i_ >= text_.size())
		fail(text_.size(), std::string("premature end of the text: expected ") + what);
	const auto c = static_cast<unsigned char>(text_[i_]);
	if (c >= 0x21 && c < 0x7F)
		fail(i_, strprintf("expected %s, found '%c'", what, c));
	fail(i_, strprintf("expected %s, found byte 0x%02X", what, c));
}

bool Parser::skip()
{
	const size_t n = text_.size();
	while (i_ < n) {
		const char c = text_[i_];
		if (is(c, kSpace)) {
			i_++;
			continue;
		}
		if (c != '/')
			return true;
		if (!opts_.allowComments)
			fail(i_, "a comment, and this file takes none");
		if (i_ + 1 >= n)
			fail(i_, "'/' that begins no comment");
		size_t end;
		if (text_[i_ + 1] == '*') {
			end = text_.find("*/", i_ + 2);
			end = end == std::string_view::npos ? n : end + 2;
		} else if (text_[i_ + 1] == '/') {
			end = text_.find('\n', i_ + 2);
			end = end == std::string_view::npos ? n : end + 1;
		} else {
			fail(i_, "'/' that begins no comment");
		}
		i_ = end;
	}
	return false;
}

void Parser::count(size_t offset)
{
	if (++values_ > opts_.maxValues)
		fail(offset, strprintf("more than %zu values", opts_.maxValues));
}

void Parser::add(Value &&v)
{
	Frame &f = stack_.back();
	if (f.v.isArray())
		items_.push_back(std::move(v));
	else
		members_.emplace_back(std::move(f.key), std::move(v));
}

void Parser::open(Value v)
{
	if (stack_.size() + 1 > opts_.maxDepth)
		fail(i_, strprintf("nesting deeper than %zu levels", opts_.maxDepth));
	count(i_);
	v.setOffset(i_);
	const size_t first = v.isArray() ? items_.size() : members_.size();
	stack_.push_back(Frame{std::move(v), {}, first, {}});
	i_++;
}

void Parser::close()
{
	Frame &f = stack_.back();
	Value v = std::move(f.v);
	/* the elements from FIRST on, moved out of SCRATCH into OUT */
	auto take = [first = f.first](auto &scratch, auto &out) {
		const auto from = scratch.begin() + static_cast<std::ptrdiff_t>(first);
		out.assign(std::make_move_iterator(from), std::make_move_iterator(scratch.end()));
		scratch.erase(from, scratch.end());
	};
	if (v.isArray())
		take(items_, v.items());
	else
		take(members_, v.members());
	stack_.pop_back();
	i_++;
	if (!stack_.empty())
		add(std::move(v));
	else
		items_.push_back(std::move(v)); /* the root, for run() */
}

bool Parser::seenKey(Frame &f, const std::string &key)
{
	constexpr size_t kLinear = 16;
	const auto from = members_.begin() + static_cast<std::ptrdiff_t>(f.first);
	if (members_.end() - from < static_cast<std::ptrdiff_t>(kLinear)) {
		for (auto m = from; m != members_.end(); ++m)
			if (m->first == key)
				return true;
		return false;
	}
	if (f.keys.empty())
		for (auto m = from; m != members_.end(); ++m)
			f.keys.insert(m->first);
	return !f.keys.insert(key).second;
}

std::string Parser::string()
{
	const size_t n = text_.size();
	size_t i = i_ + 1;
	/* most strings hold no escape: their bytes are the string */
	while (i < n && is(text_[i], kPlain))
		i++;
	std::string out(text_.substr(i_ + 1, i - i_ - 1));
	while (i < n && text_[i] != '"') {
		const auto c = static_cast<unsigned char>(text_[i]);
		if (c < 0x20)
			fail(i, "raw control character in string");
		if (c == '\\') {
			i_ = i;
			escape(out, n);
			i = i_;
			continue;
		}
		size_t j = i + 1;
		while (j < n && is(text_[j], kPlain))
			j++;
		out.append(text_.data() + i, j - i);
		i = j;
	}
	if (i >= n)
		fail(n, "premature end of the text: a string is not closed");
	i_ = i + 1;
	return out;
}

/* The escape at i_ appended to OUT; i_ moves past it. */
void Parser::escape(std::string &out, size_t end)
{
	const size_t i = i_;
	if (i + 1 >= end)
		fail(end, "premature end of the text: a string is not closed");
	/* the one-letter escapes and what they stand for */
	constexpr std::string_view kLetter = "\"\\/bfnrt", kMeans = "\"\\/\b\f\n\r\t";
	const char e = text_[i + 1];
	if (const size_t k = kLetter.find(e); k != std::string_view::npos) {
		out.push_back(kMeans[k]);
		i_ += 2;
		return;
	}
	if (e != 'u')
		fail(i, "bad escape in string");
	auto hex4 = [&](size_t at) -> int32_t {
		if (at + 4 > end)
			return -1;
		int32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			const int d = hexValue(text_[at + k]);
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		return v;
	};
	int32_t cp = hex4(i + 2);
	if (cp < 0)
		fail(i, "bad \\u escape in string");
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		fail(i, "lone low surrogate in string");
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		int32_t lo = -1;
		if (i + 7 < end && text_[i + 6] == '\\' && text_[i + 7] == 'u')
			lo = hex4(i + 8);
		if (lo < 0xDC00 || lo > 0xDFFF)
			fail(i, "lone high surrogate in string");
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		i_ += 12;
	} else {
		i_ += 6;
	}
	appendUtf8(out, static_cast<uint32_t>(cp));
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, kept as written */
Value Parser::number()
{
	const size_t n = text_.size(), start = i_;
	size_t i = i_;
	auto digits = [&] {
		const size_t from = i;
		while (i < n && isDigit(text_[i]))
			i++;
		return i > from;
	};
	if (text_[i] == '-')
		i++;
	if (i < n && text_[i] == '0')
		i++;
	else if (!digits())
		fail(start, "malformed number: a digit must follow the minus sign");
	if (i < n && text_[i] == '.') {
		i++;
		if (!digits())
			fail(start, "malformed number: a digit must follow the decimal point");
	}
	if (i < n && (text_[i] == 'e' || text_[i] == 'E')) {
		i++;
		if (i < n && (text_[i] == '+' || text_[i] == '-'))
			i++;
		if (!digits())
			fail(start, "malformed number: a digit must follow the exponent");
	}
	i_ = i;
	return Value::number(std::string(text_.substr(start, i - start)));
}

Value Parser::literal()
{
	for (std::string_view word : {"true", "false", "null"}) {
		if (text_[i_] != word[0])
			continue;
		if (text_.substr(i_, word.size()) != word) {
			if (word.starts_with(text_.substr(i_)))
				fail(text_.size(),
				     "premature end of the text: " + std::string(text_.substr(i_)) +
				             " is cut short");
			fail(i_, "not a JSON value (true, false and null are lower case)");
		}
		i_ += word.size();
		if (word == "null")
			return Value();
		return Value::boolean(word == "true");
	}
	unexpected("a value");
}

/* a string, number or literal at i_ (not the end of the text) */
Value Parser::scalar()
{
	const size_t start = i_;
	const char c = text_[i_];
	Value v = c == '"'                 ? Value::string(string())
	          : c == '-' || isDigit(c) ? number()
	                                   : literal();
	v.setOffset(start);
	return v;
}

Value Parser::run()
{
	if (text_.size() > opts_.maxBytes)
		throw Error{ErrorKind::Json, strprintf("%.*s: larger than the limit of %zu bytes",
		                                       static_cast<int>(name_.size()), name_.data(),
		                                       opts_.maxBytes)};
	if (text_.find_first_not_of(" \t\r\n") == std::string_view::npos)
		fail(text_.size(), "empty input");
	if (auto bad = detail::invalidUtf8(text_))
		fail(*bad, "invalid UTF-8");
	if (!skip())
		fail(text_.size(), "empty input (only whitespace and comments)");

	/* Each turn reads a key and its ':', or a value and what follows it up
	 * to the next key or value. */
	bool wantKey = false;
	for (;;) {
		if (!skip())
			unexpected(wantKey ? "a key" : "a value");
		if (wantKey) {
			key();
			wantKey = false;
			continue;
		}
		const char c = text_[i_];
		if (c == '[' || c == '{') {
			open(c == '[' ? Value::array() : Value::object());
			if (!skip())
				unexpected(c == '[' ? "a value or ']'" : "a key or '}'");
			if (text_[i_] != (c == '[' ? ']' : '}')) {
				wantKey = c == '{';
				continue;
			}
			close();
		} else {
			count(i_);
			Value v = scalar();
			if (stack_.empty())
				items_.push_back(std::move(v)); /* the root, alone */
			else
				add(std::move(v));
		}
		/* after a value: its container goes on, or closes */
		for (;;) {
			if (stack_.empty()) {
				if (skip())
					fail(i_, "trailing garbage after the JSON value");
				return std::move(items_.back());
			}
			const bool array = stack_.back().v.isArray();
			if (!skip())
				unexpected(array ? "',' or ']'" : "',' or '}'");
			if (text_[i_] == (array ? ']' : '}')) {
				close();
				continue;
			}
			if (text_[i_] != ',')
				unexpected(array ? "',' or ']' after an array element"
				                 : "',' or '}' after an object member");
			i_++;
			wantKey = !array;
			break;
		}
	}
}

/* a key at i_ (after skip), then its ':' */
void Parser::key()
{
	if (text_[i_] != '"')
		unexpected("a key (a string)");
	const size_t at = i_;
	std::string k = string();
	Frame &f = stack_.back();
	if (seenKey(f, k))
		/* quoted as JSON, so the message stays one line */
		fail(at, "duplicate key " + write(Value::string(k)));
	f.key = std::move(k);
	if (!skip() || text_[i_] != ':')
		unexpected("':' after a key");
	i_++;
}

} // namespace

Value parse(std::string_view text, std::string_view name, const ParseOptions &opts)
{
	Parser p(text, name, opts);
	return p.run();
}

} // namespace bulkhead::json
