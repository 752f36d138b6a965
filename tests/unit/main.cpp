/* The one Catch2 main of the unit tests. meson reads their output as TAP
 * (--reporter tap): Catch2's TAP reporter prints each assertion's expression
 * and expansion on the "ok" line as they are, so a multi-line expression, a
 * string holding \r or \f (which meson's reader also splits lines at) or a
 * spec kilobytes long breaks or bloats the stream. Everything written to
 * stdout goes through a filter that keeps it TAP: other control characters
 * become spaces, a line that is neither a test line, a plan nor a comment
 * becomes a comment, and a passing test's line is cut at 400 characters (a
 * failing one is kept whole). */
#define CATCH_CONFIG_RUNNER
#include <iostream>
#include <streambuf>
#include <string>

#include <catch2/catch.hpp>
#include <catch2/catch_reporter_tap.hpp>

namespace {

class TapFilter : public std::streambuf
{
public:
	explicit TapFilter(std::streambuf *out) : out_(out) {}
	~TapFilter() override { flushLine(); }

protected:
	int_type overflow(int_type c) override
	{
		if (traits_type::eq_int_type(c, traits_type::eof()))
			return traits_type::not_eof(c);
		const char ch = traits_type::to_char_type(c);
		if (ch == '\n') {
			flushLine();
			return c;
		}
		const auto u = static_cast<unsigned char>(ch);
		line_ += (u < 0x20 && ch != '\t') || u == 0x7f ? ' ' : ch;
		return c;
	}
	int sync() override { return out_->pubsync(); }

private:
	static constexpr size_t kMax = 400;
	std::streambuf *out_;
	std::string line_;
	bool open_ = false; /* a line was written */

	static bool isTap(const std::string &l)
	{
		auto starts = [&l](const char *p) { return l.rfind(p, 0) == 0; };
		if (starts("ok ") || starts("not ok ") || starts("#") || l.empty())
			return true;
		if (!starts("1.."))
			return false;
		return l.find_first_not_of("0123456789", 3) == std::string::npos;
	}

	void flushLine()
	{
		if (line_.empty() && !open_)
			return;
		std::string l = isTap(line_) ? line_ : "# " + line_;
		if (l.size() > kMax && l.rfind("ok ", 0) == 0)
			l = l.substr(0, kMax) + " [...]";
		l += '\n';
		out_->sputn(l.data(), static_cast<std::streamsize>(l.size()));
		line_.clear();
		open_ = false;
	}
};

} // namespace

int main(int argc, char *argv[])
{
	std::streambuf *real = std::cout.rdbuf();
	int rc = 0;
	{
		TapFilter filter(real);
		std::cout.rdbuf(&filter);
		rc = Catch::Session().run(argc, argv);
		std::cout.flush();
		std::cout.rdbuf(real);
	}
	std::cout.flush();
	return rc;
}
