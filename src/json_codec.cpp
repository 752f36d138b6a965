/* A parsed tree as compact bytes and back (json::detail::encode/decode), for
 * the parsed-file cache of src/policy_cache.cpp: decode() checks every length
 * and the depth and refuses what parse() would refuse. */
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::json {

namespace {

constexpr char kMagic[] = "BHJ1";

void putVarint(std::string &out, uint64_t n)
{
	while (n >= 0x80) {
		out.push_back(static_cast<char>((n & 0x7F) | 0x80));
		n >>= 7;
	}
	out.push_back(static_cast<char>(n));
}

void encodeInto(std::string &out, const Value &v)
{
	switch (v.type()) {
	case Type::Null:
		out.push_back('n');
		break;
	case Type::Bool:
		out.push_back(v.asBool() ? 't' : 'f');
		break;
	case Type::Number:
		out.push_back('#');
		putVarint(out, v.numberText().size());
		out += v.numberText();
		break;
	case Type::String:
		out.push_back('s');
		putVarint(out, v.asString().size());
		out += v.asString();
		break;
	case Type::Array:
		out.push_back('[');
		putVarint(out, v.items().size());
		break;
	case Type::Object:
		out.push_back('{');
		putVarint(out, v.members().size());
		break;
	}
	putVarint(out, v.offset());
	if (v.isArray())
		for (const auto &x : v.items())
			encodeInto(out, x);
	else if (v.isObject())
		for (const auto &[k, x] : v.members()) {
			putVarint(out, k.size());
			out += k;
			encodeInto(out, x);
		}
}

class Decoder
{
public:
	explicit Decoder(std::string_view b) : b_(b) {}

	bool varint(uint64_t &n)
	{
		n = 0;
		for (unsigned shift = 0; shift < 64; shift += 7) {
			if (i_ >= b_.size())
				return false;
			const auto c = static_cast<unsigned char>(b_[i_++]);
			n |= static_cast<uint64_t>(c & 0x7F) << shift;
			if ((c & 0x80) == 0)
				return true;
		}
		return false;
	}

	bool bytes(std::string &out)
	{
		uint64_t n = 0;
		if (!varint(n) || n > b_.size() - i_)
			return false;
		out.assign(b_.substr(i_, n));
		i_ += n;
		return true;
	}

	bool value(Value &v, size_t depth, size_t maxDepth)
	{
		if (i_ >= b_.size() || depth > maxDepth)
			return false;
		const char tag = b_[i_++];
		uint64_t n = 0;
		std::string text;
		switch (tag) {
		case 'n':
			v = Value();
			break;
		case 't':
		case 'f':
			v = Value::boolean(tag == 't');
			break;
		case '#':
			if (!bytes(text) || !detail::isNumberText(text))
				return false;
			v = Value::number(std::move(text));
			break;
		case 's':
			if (!bytes(text) || detail::invalidUtf8(text))
				return false;
			v = Value::string(std::move(text));
			break;
		case '[':
		case '{':
			if (!varint(n) || n > b_.size() - i_)
				return false;
			v = tag == '[' ? Value::array() : Value::object();
			break;
		default:
			return false;
		}
		uint64_t off = 0;
		if (!varint(off))
			return false;
		v.setOffset(static_cast<size_t>(off));
		if (tag == '[') {
			v.items().reserve(n);
			for (uint64_t k = 0; k < n; k++) {
				Value x;
				if (!value(x, depth + 1, maxDepth))
					return false;
				v.items().push_back(std::move(x));
			}
		} else if (tag == '{') {
			v.members().reserve(n);
			std::unordered_set<std::string> keys; /* past 16: what parse() refuses */
			for (uint64_t k = 0; k < n; k++) {
				std::string key;
				Value x;
				if (!bytes(key) || detail::invalidUtf8(key) ||
				    !value(x, depth + 1, maxDepth))
					return false;
				bool dup = false;
				if (n <= 16) {
					for (const auto &m : v.members())
						dup = dup || m.first == key;
				} else {
					dup = !keys.insert(key).second;
				}
				if (dup)
					return false;
				v.members().emplace_back(std::move(key), std::move(x));
			}
		}
		return true;
	}

	[[nodiscard]] bool done() const noexcept { return i_ == b_.size(); }
	void skip(size_t n) noexcept { i_ += n; }

private:
	std::string_view b_;
	size_t i_ = 0;
};

} // namespace

namespace detail {

std::string encode(const Value &v)
{
	std::string out(kMagic, 4);
	encodeInto(out, v);
	return out;
}

std::optional<Value> decode(std::string_view bytes, size_t maxDepth)
{
	if (bytes.size() < 4 || bytes.substr(0, 4) != std::string_view(kMagic, 4))
		return std::nullopt;
	Decoder d(bytes);
	d.skip(4);
	Value v;
	if (!d.value(v, 0, maxDepth) || !d.done())
		return std::nullopt;
	return v;
}

} // namespace detail

} // namespace bulkhead::json
