/* The parser bulkhead used before its own (src/sys/json.cpp), on yajl's
 * callback parser: the reference the tests and the JSON fuzzer hold json::parse
 * to. Both must accept the same texts and build the same trees, with the same
 * offsets; their messages may differ.
 *
 * yajl tokenises, and so decides the grammar: whitespace, comments, numbers,
 * literals, nesting, where a string ends. A string with an escape is decoded
 * by json::parse of that one token, because yajl's own decoder turns a lone
 * high surrogate into '?' and lets a lone low surrogate through as CESU-8
 * (tests/unit/test_json.cpp checks the escapes on their own). The whole input
 * is checked as strict UTF-8 before yajl sees it. */
#pragma once

#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include <yajl/yajl_parse.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::test {

namespace yajl_oracle {

using namespace bulkhead::json;

template <typename T, auto Free> struct CDeleter
{
	void operator()(T *p) const noexcept { Free(p); }
};
using YajlHandle = std::unique_ptr<yajl_handle_t, CDeleter<yajl_handle_t, yajl_free>>;

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

	/* yajl callbacks: noexcept, record the first error and return 0. */
	static int onNull(void *ctx) noexcept;
	static int onBoolean(void *ctx, int b) noexcept;
	static int onNumber(void *ctx, const char *s, size_t len) noexcept;
	static int onString(void *ctx, const unsigned char *s, size_t len) noexcept;
	static int onStartMap(void *ctx) noexcept;
	static int onMapKey(void *ctx, const unsigned char *s, size_t len) noexcept;
	static int onEndMap(void *ctx) noexcept;
	static int onStartArray(void *ctx) noexcept;
	static int onEndArray(void *ctx) noexcept;
	static const yajl_callbacks callbacks;

	template <typename F> static int guard(void *ctx, F &&f) noexcept;

	[[noreturn]] void fail(size_t offset, const std::string &msg) const;
	int error(size_t offset, std::string msg);
	[[nodiscard]] size_t here() const noexcept;
	[[nodiscard]] size_t tokenStart(size_t end) const noexcept;
	bool count(size_t offset);
	void add(Value v);
	bool rawString(size_t &start, std::string &out, size_t decodedLen);
	/* KEY already in the object of F (its members so far; a set once it is big) */
	bool seenKey(Frame &f, const std::string &key);
	bool open(Value v);
	void close();

	std::string_view text_;
	std::string_view name_;
	const ParseOptions &opts_;
	yajl_handle h_ = nullptr;
	bool finishing_ = false;
	std::vector<Frame> stack_;
	std::vector<Value> items_;
	std::vector<std::pair<std::string, Value>> members_;
	std::optional<Value> root_;
	size_t values_ = 0;
	bool failed_ = false;
	size_t errOffset_ = 0;
	std::string errMsg_;
};

inline const yajl_callbacks Parser::callbacks = {
        Parser::onNull,
        Parser::onBoolean,
        nullptr,
        nullptr,
        Parser::onNumber,
        Parser::onString,
        Parser::onStartMap,
        Parser::onMapKey,
        Parser::onEndMap,
        Parser::onStartArray,
        Parser::onEndArray,
};

inline void Parser::fail(size_t offset, const std::string &msg) const
{
	throw Error{ErrorKind::Json,
	            strprintf("%.*s:%s: %s", static_cast<int>(name_.size()), name_.data(),
	                      lineCol(text_, offset).c_str(), msg.c_str())};
}

inline int Parser::error(size_t offset, std::string msg)
{
	if (!failed_) {
		failed_ = true;
		errOffset_ = offset;
		errMsg_ = std::move(msg);
	}
	return 0;
}

inline size_t Parser::here() const noexcept
{
	/* During yajl_complete_parse yajl lexes a private " ", so its offset
	 * is meaningless; the only token completed there ends the input. */
	if (finishing_)
		return text_.size();
	return yajl_get_bytes_consumed(h_);
}

/* yajl reports an error just past the token it stopped on; point at the
 * start of that token instead. */
inline size_t Parser::tokenStart(size_t end) const noexcept
{
	if (end == 0 || end > text_.size())
		return end;
	size_t i = end - 1;
	auto word = [](char c) {
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       c == '.' || c == '+' || c == '-';
	};
	if (text_[i] == '"') {
		while (i > 0) {
			i--;
			if (text_[i] != '"')
				continue;
			size_t bs = 0;
			while (i - bs > 0 && text_[i - bs - 1] == '\\')
				bs++;
			if (bs % 2 == 0)
				break;
		}
	} else if (word(text_[i])) {
		while (i > 0 && word(text_[i - 1]))
			i--;
	}
	return i;
}

template <typename F> inline int Parser::guard(void *ctx, F &&f) noexcept
{
	auto *p = static_cast<Parser *>(ctx);
	try {
		return f(*p) ? 1 : 0;
	} catch (const std::exception &e) {
		return p->error(p->here(), e.what());
	} catch (...) {
		return p->error(p->here(), "internal error");
	}
}

inline bool Parser::count(size_t offset)
{
	if (++values_ > opts_.maxValues) {
		error(offset, strprintf("more than %zu values", opts_.maxValues));
		return false;
	}
	return true;
}

inline void Parser::add(Value v)
{
	if (stack_.empty()) {
		root_ = std::move(v);
		return;
	}
	Frame &f = stack_.back();
	if (f.v.isArray())
		items_.push_back(std::move(v));
	else
		members_.emplace_back(std::move(f.key), std::move(v));
}

inline bool Parser::open(Value v)
{
	size_t off = here() - 1;
	if (stack_.size() + 1 > opts_.maxDepth) {
		error(off, strprintf("nesting deeper than %zu levels", opts_.maxDepth));
		return false;
	}
	if (!count(off))
		return false;
	v.setOffset(off);
	const size_t first = v.isArray() ? items_.size() : members_.size();
	stack_.push_back(Frame{std::move(v), {}, first, {}});
	return true;
}

inline void Parser::close()
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
	add(std::move(v));
}

/* Decode the string token that yajl just lexed, from the raw source bytes.
 * On return start is the offset of its opening quote. */
inline bool Parser::seenKey(Frame &f, const std::string &key)
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

inline bool Parser::rawString(size_t &start, std::string &out, size_t decodedLen)
{
	size_t end = here(); /* one past the closing quote */
	if (finishing_ || end == 0 || end > text_.size() || text_[end - 1] != '"')
		return error(end, "internal error: cannot locate string") != 0;
	/* Most strings have no escape: then the text between the quotes is the
	 * string yajl decoded, byte for byte. The quote DECODEDLEN bytes before
	 * the closing one opens it when it is not itself escaped (the string
	 * holds no unescaped quote). Anything else takes the long way. */
	if (end >= decodedLen + 2) {
		const size_t q = end - 2 - decodedLen;
		const std::string_view span = text_.substr(q + 1, decodedLen);
		if (text_[q] == '"' && (q == 0 || text_[q - 1] != '\\') &&
		    span.find('\\') == std::string_view::npos) {
			for (size_t i = 0; i < span.size(); i++)
				if (static_cast<unsigned char>(span[i]) < 0x20)
					return error(q + 1 + i,
					             "raw control character in string") != 0;
			start = q;
			out.assign(span);
			return true;
		}
	}
	/* The opening quote is the nearest '"' not preceded by an odd number
	 * of backslashes: inside a JSON string a quote only appears escaped. */
	size_t q = end - 1;
	for (;;) {
		if (q == 0)
			return error(end, "internal error: cannot locate string") != 0;
		q--;
		if (text_[q] != '"')
			continue;
		size_t bs = 0;
		while (q - bs > 0 && text_[q - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0)
			break;
	}
	start = q;
	/* What an escaped string means is not yajl's to say (its own decoder
	 * turns a lone high surrogate into '?'): bulkhead's reading of the
	 * token, whose escapes the tests check on their own. */
	try {
		out = json::parse(text_.substr(q, end - q), name_).asString();
	} catch (const Error &e) {
		return error(q, e.what()) != 0;
	}
	return true;
}

inline int Parser::onNull(void *ctx) noexcept
{
	return guard(ctx, [](Parser &p) {
		size_t off = p.here() - 4;
		if (!p.count(off))
			return false;
		Value v;
		v.setOffset(off);
		p.add(std::move(v));
		return true;
	});
}

inline int Parser::onBoolean(void *ctx, int b) noexcept
{
	return guard(ctx, [b](Parser &p) {
		size_t off = p.here() - (b ? 4 : 5);
		if (!p.count(off))
			return false;
		Value v = Value::boolean(b != 0);
		v.setOffset(off);
		p.add(std::move(v));
		return true;
	});
}

inline int Parser::onNumber(void *ctx, const char *s, size_t len) noexcept
{
	return guard(ctx, [s, len](Parser &p) {
		size_t end = p.here();
		size_t off = end >= len ? end - len : 0;
		if (!p.count(off))
			return false;
		Value v = Value::number(std::string(s, len));
		v.setOffset(off);
		p.add(std::move(v));
		return true;
	});
}

inline int Parser::onString(void *ctx, const unsigned char *, size_t len) noexcept
{
	return guard(ctx, [len](Parser &p) {
		size_t start = 0;
		std::string s;
		if (!p.rawString(start, s, len))
			return false;
		if (!p.count(start))
			return false;
		Value v = Value::string(std::move(s));
		v.setOffset(start);
		p.add(std::move(v));
		return true;
	});
}

inline int Parser::onStartMap(void *ctx) noexcept
{
	return guard(ctx, [](Parser &p) { return p.open(Value::object()); });
}

inline int Parser::onMapKey(void *ctx, const unsigned char *, size_t len) noexcept
{
	return guard(ctx, [len](Parser &p) {
		size_t start = 0;
		std::string k;
		if (!p.rawString(start, k, len))
			return false;
		Frame &f = p.stack_.back();
		if (p.seenKey(f, k)) {
			/* Quoted as JSON, so the message stays one line. */
			p.error(start, "duplicate key " + write(Value::string(k)));
			return false;
		}
		f.key = std::move(k);
		return true;
	});
}

inline int Parser::onEndMap(void *ctx) noexcept
{
	return guard(ctx, [](Parser &p) {
		p.close();
		return true;
	});
}

inline int Parser::onStartArray(void *ctx) noexcept
{
	return guard(ctx, [](Parser &p) { return p.open(Value::array()); });
}

inline int Parser::onEndArray(void *ctx) noexcept
{
	return guard(ctx, [](Parser &p) {
		p.close();
		return true;
	});
}

inline Value Parser::run()
{
	if (text_.size() > opts_.maxBytes)
		throw Error{ErrorKind::Json, strprintf("%.*s: larger than the limit of %zu bytes",
		                                       static_cast<int>(name_.size()), name_.data(),
		                                       opts_.maxBytes)};
	if (text_.find_first_not_of(" \t\r\n") == std::string_view::npos)
		fail(text_.size(), "empty input");
	if (auto bad = detail::invalidUtf8(text_))
		fail(*bad, "invalid UTF-8");

	YajlHandle h(yajl_alloc(&callbacks, nullptr, this));
	if (!h)
		throw std::bad_alloc();
	h_ = h.get();
	yajl_config(h_, yajl_allow_comments, opts_.allowComments ? 1 : 0);
	yajl_config(h_, yajl_dont_validate_strings, 1);
	yajl_config(h_, yajl_allow_trailing_garbage, 0);
	yajl_config(h_, yajl_allow_multiple_values, 0);
	yajl_config(h_, yajl_allow_partial_values, 0);

	yajl_status st =
	        yajl_parse(h_, reinterpret_cast<const unsigned char *>(text_.data()), text_.size());
	if (st == yajl_status_ok) {
		finishing_ = true;
		st = yajl_complete_parse(h_);
	}
	if (failed_)
		fail(errOffset_, errMsg_);
	if (st != yajl_status_ok) {
		size_t off = finishing_ ? text_.size() : tokenStart(yajl_get_bytes_consumed(h_));
		unsigned char *m = yajl_get_error(h_, 0, nullptr, 0);
		std::string msg = m ? reinterpret_cast<const char *>(m) : "parse error";
		if (m)
			yajl_free_error(h_, m);
		while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
			msg.pop_back();
		size_t first = text_.find_first_not_of(" \t\r\n");
		if (values_ == 0 && msg.find("premature EOF") != std::string::npos &&
		    text_[first] == '/')
			msg = "empty input (only comments)";
		fail(off, msg);
	}
	if (!root_ || !stack_.empty())
		fail(text_.size(), "incomplete JSON text");
	return std::move(*root_);
}

} // namespace yajl_oracle

/* json::parse as yajl reads it; throws Error{Json} */
inline json::Value yajlParse(std::string_view text, std::string_view name,
                             const json::ParseOptions &opts = {})
{
	yajl_oracle::Parser p(text, name, opts);
	return p.run();
}

/* Where A and B differ (type, text, member order, offset), "" when they do not. */
inline std::string treeDifference(const json::Value &a, const json::Value &b,
                                  const std::string &at = "")
{
	using json::Type;
	const std::string here = at.empty() ? "/" : at;
	if (a.type() != b.type())
		return here + ": types differ";
	if (a.offset() != b.offset())
		return here + ": offsets " + std::to_string(a.offset()) + " and " +
		       std::to_string(b.offset());
	switch (a.type()) {
	case Type::Null:
		return {};
	case Type::Bool:
		return a.asBool() == b.asBool() ? std::string() : here + ": booleans differ";
	case Type::Number:
		return a.numberText() == b.numberText() ? std::string() : here + ": numbers differ";
	case Type::String:
		return a.asString() == b.asString() ? std::string() : here + ": strings differ";
	case Type::Array:
		if (a.items().size() != b.items().size())
			return here + ": array lengths differ";
		for (size_t i = 0; i < a.items().size(); i++)
			if (auto d = treeDifference(a.items()[i], b.items()[i],
			                            at + "/" + std::to_string(i));
			    !d.empty())
				return d;
		return {};
	case Type::Object:
		if (a.members().size() != b.members().size())
			return here + ": member counts differ";
		for (size_t i = 0; i < a.members().size(); i++) {
			const auto &[ka, va] = a.members()[i];
			const auto &[kb, vb] = b.members()[i];
			if (ka != kb)
				return here + ": member " + std::to_string(i) + " keys differ";
			if (auto d = treeDifference(va, vb, at + "/" + ka); !d.empty())
				return d;
		}
		return {};
	}
	return here + ": unknown type";
}

/* How json::parse and yajl disagree on TEXT: one accepts what the other
 * refuses, or their trees differ. "" when they agree.
 *
 * yajl is given TEXT and a newline. At the end of its input yajl's lexer
 * waits for the rest of an open string, and when the value before it is
 * complete it takes that for the end: it accepts `1 "x` (bulkhead refuses
 * it as trailing garbage, as Go's encoding/json does). With a newline after
 * it, the string holds a raw control character and yajl refuses it too; a
 * newline changes nothing else (an open comment stays open, a // one ends). */
inline std::string parseDisagreement(std::string_view text, const json::ParseOptions &opts)
{
	std::optional<json::Value> ours, theirs;
	std::string oursErr, theirsErr;
	try {
		ours = json::parse(text, "t", opts);
	} catch (const Error &e) {
		oursErr = e.what();
	}
	try {
		json::ParseOptions o = opts;
		o.maxBytes = text.size() > opts.maxBytes ? opts.maxBytes : opts.maxBytes + 1;
		theirs = yajlParse(std::string(text) + "\n", "t", o);
	} catch (const Error &e) {
		theirsErr = e.what();
	}
	if (ours && theirs)
		return treeDifference(*ours, *theirs);
	if (ours)
		return "json::parse accepts what yajl refuses (" + theirsErr + ")";
	if (theirs)
		return "json::parse refuses what yajl accepts (" + oursErr + ")";
	return {};
}

} // namespace bulkhead::test
