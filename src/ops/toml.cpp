#include "toml.h"

#include "bulkhead/error.h"

namespace bulkhead::ops::toml {

namespace {

bool isBare(char c) noexcept
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

bool isSpace(char c) noexcept
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Reads values out of the whole text, line numbers kept. */
class Scanner
{
public:
	Scanner(std::string_view text, const std::string &name) : text_(text), name_(name) {}

	[[noreturn]] void fail(const std::string &what) const
	{
		throw Error(ErrorKind::Config,
		            strprintf("%s:%zu: %s", name_.c_str(), line_ + 1, what.c_str()));
	}

	[[nodiscard]] bool done() const noexcept { return pos_ >= text_.size(); }
	[[nodiscard]] char peek() const noexcept { return done() ? '\0' : text_[pos_]; }
	[[nodiscard]] size_t line() const noexcept { return line_; }

	void advance() noexcept
	{
		if (text_[pos_] == '\n')
			line_++;
		pos_++;
	}

	void skipSpace() noexcept
	{
		while (!done() && isSpace(peek()))
			pos_++;
	}

	/* Spaces, newlines and comments (inside arrays). */
	void skipBlank() noexcept
	{
		for (;;) {
			skipSpace();
			if (peek() == '#')
				skipComment();
			else if (peek() == '\n')
				advance();
			else
				return;
		}
	}

	void skipComment() noexcept
	{
		while (!done() && peek() != '\n')
			pos_++;
	}

	/* The rest of the line must be blank or a comment. */
	void endLine()
	{
		skipSpace();
		if (peek() == '#')
			skipComment();
		if (!done() && peek() != '\n')
			fail(std::string("unexpected text after the value: '") + peek() + "'");
		if (!done())
			advance();
	}

	std::string basicString()
	{
		pos_++; /* the quote */
		std::string out;
		for (;;) {
			if (done() || peek() == '\n')
				fail("unterminated string");
			char c = text_[pos_++];
			if (c == '"')
				return out;
			if (c != '\\') {
				out += c;
				continue;
			}
			if (done())
				fail("unterminated string");
			char e = text_[pos_++];
			switch (e) {
			case 'n':
				out += '\n';
				break;
			case 't':
				out += '\t';
				break;
			case 'r':
				out += '\r';
				break;
			case '"':
			case '\\':
				out += e;
				break;
			default: /* \uXXXX and the rest: kept as written */
				out += '\\';
				out += e;
			}
		}
	}

	std::string literalString()
	{
		pos_++;
		size_t end = text_.find('\'', pos_);
		size_t nl = text_.find('\n', pos_);
		if (end == std::string_view::npos || (nl != std::string_view::npos && nl < end))
			fail("unterminated string");
		std::string out(text_.substr(pos_, end - pos_));
		pos_ = end + 1;
		return out;
	}

	Path key()
	{
		Path p;
		for (;;) {
			skipSpace();
			if (peek() == '"')
				p.push_back(basicString());
			else if (peek() == '\'')
				p.push_back(literalString());
			else {
				size_t start = pos_;
				while (!done() && isBare(peek()))
					pos_++;
				if (start == pos_)
					fail("a key was expected");
				p.emplace_back(text_.substr(start, pos_ - start));
			}
			skipSpace();
			if (peek() != '.')
				return p;
			pos_++;
		}
	}

	/* A value, into E. Multi-line strings and inline tables are skipped over
	 * and kept raw. */
	void value(Entry &e, bool inArray = false)
	{
		skipSpace();
		const size_t start = pos_;
		if (text_.substr(pos_, 3) == "\"\"\"" || text_.substr(pos_, 3) == "'''") {
			const std::string_view quote = text_.substr(pos_, 3);
			pos_ += 3;
			size_t end = text_.find(quote, pos_);
			if (end == std::string_view::npos)
				fail("unterminated multi-line string");
			while (pos_ < end + 3)
				advance();
			e.text = std::string(text_.substr(start, pos_ - start));
			return;
		}
		if (peek() == '"') {
			e.isString = true;
			e.text = basicString();
			return;
		}
		if (peek() == '\'') {
			e.isString = true;
			e.text = literalString();
			return;
		}
		if (peek() == '[') {
			array(e, start);
			return;
		}
		if (peek() == '{') {
			int depth = 0;
			do {
				if (done() || peek() == '\n')
					fail("unterminated inline table");
				if (peek() == '"')
					basicString();
				else if (peek() == '\'')
					literalString();
				else {
					depth += peek() == '{' ? 1 : peek() == '}' ? -1 : 0;
					pos_++;
				}
			} while (depth > 0);
			e.text = std::string(text_.substr(start, pos_ - start));
			return;
		}
		while (!done() && peek() != '\n' && peek() != '#' &&
		       !(inArray && (peek() == ',' || peek() == ']')))
			pos_++;
		size_t end = pos_;
		while (end > start && isSpace(text_[end - 1]))
			end--;
		if (end == start)
			fail("a value was expected");
		e.text = std::string(text_.substr(start, end - start));
	}

	void array(Entry &e, size_t start)
	{
		pos_++;
		bool onlyStrings = true;
		for (;;) {
			skipBlank();
			if (done())
				fail("unterminated array");
			if (peek() == ']') {
				pos_++;
				break;
			}
			Entry item;
			value(item, true);
			if (item.isString)
				e.strings.push_back(item.text);
			else
				onlyStrings = false;
			skipBlank();
			if (done())
				fail("unterminated array");
			if (peek() == ',')
				pos_++;
			else if (peek() != ']')
				fail("',' or ']' expected in an array");
		}
		e.isStringArray = onlyStrings;
		e.text = std::string(text_.substr(start, pos_ - start));
	}

private:
	std::string_view text_;
	const std::string &name_;
	size_t pos_ = 0;
	size_t line_ = 0;
};

} // namespace

Path Entry::path() const
{
	Path p = table;
	p.insert(p.end(), key.begin(), key.end());
	return p;
}

const Entry *Document::find(const Path &path) const noexcept
{
	const Entry *found = nullptr;
	for (const auto &e : entries)
		if (e.table.size() + e.key.size() == path.size() && e.path() == path)
			found = &e;
	return found;
}

const Table *Document::table(const Path &path) const noexcept
{
	for (const auto &t : tables)
		if (!t.isArray && t.path == path)
			return &t;
	return nullptr;
}

size_t Document::endOf(const Table &t) const noexcept
{
	size_t end = t.line + 1;
	for (const auto &e : entries)
		if (e.line > t.line && e.table == t.path) {
			bool sameBlock = true;
			for (const auto &other : tables)
				if (other.line > t.line && other.line < e.line)
					sameBlock = false;
			if (sameBlock)
				end = e.lastLine + 1;
		}
	return end;
}

size_t Document::firstTableLine() const noexcept
{
	return tables.empty() ? lines.size() : tables.front().line;
}

Document parse(std::string_view text, const std::string &name)
{
	Document doc;
	for (size_t start = 0;;) {
		size_t nl = text.find('\n', start);
		doc.lines.emplace_back(text.substr(start, nl - start));
		if (nl == std::string_view::npos)
			break;
		start = nl + 1;
	}
	if (!text.empty() && text.back() == '\n')
		doc.lines.pop_back();

	Scanner s(text, name);
	Path current;
	while (!s.done()) {
		s.skipSpace();
		if (s.peek() == '\n' || s.peek() == '#' || s.done()) {
			s.endLine();
			continue;
		}
		const size_t line = s.line();
		if (s.peek() == '[') {
			s.advance();
			bool isArray = s.peek() == '[';
			if (isArray)
				s.advance();
			Path p = s.key();
			for (int k = 0; k < (isArray ? 2 : 1); k++) {
				if (s.peek() != ']')
					s.fail("']' expected at the end of a table header");
				s.advance();
			}
			s.endLine();
			current = p;
			doc.tables.push_back(Table{std::move(p), line, isArray});
			continue;
		}
		Entry e;
		e.table = current;
		e.key = s.key();
		if (s.peek() != '=')
			s.fail("'=' expected after a key");
		s.advance();
		s.value(e);
		e.line = line;
		e.lastLine = s.line();
		s.endLine();
		doc.entries.push_back(std::move(e));
	}
	return doc;
}

std::string quote(std::string_view s)
{
	std::string out = "\"";
	for (char c : s) {
		if (c == '"' || c == '\\')
			out += '\\';
		if (c == '\n')
			out += "\\n";
		else if (c == '\t')
			out += "\\t";
		else
			out += c;
	}
	return out + "\"";
}

std::string keyText(const Path &p)
{
	std::string out;
	for (size_t i = 0; i < p.size(); i++) {
		bool bare = !p[i].empty();
		for (char c : p[i])
			bare = bare && isBare(c);
		out += (i ? "." : "") + (bare ? p[i] : quote(p[i]));
	}
	return out;
}

bool startsWith(const Path &path, const Path &prefix) noexcept
{
	if (path.size() < prefix.size())
		return false;
	for (size_t i = 0; i < prefix.size(); i++)
		if (path[i] != prefix[i])
			return false;
	return true;
}

} // namespace bulkhead::ops::toml
