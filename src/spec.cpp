/* The reader of the documents runc decodes (see include/bulkhead/spec.h): one
 * walk of a parsed document against the description of the runtime-spec
 * structs in src/spec_schema.cpp. */
#include "bulkhead/spec.h"

#include "spec_schema.h"

#include <cstdint>
#include <iterator>
#include <string>

#include "bulkhead/error.h"

namespace bulkhead::spec {

namespace {

using namespace schema;

/* The place being read, as a chain on the stack: a JSON Pointer is built only
 * for a message. */
struct Path
{
	const Path *parent;
	std::string_view key;
	size_t index;
	bool isIndex;

	[[nodiscard]] json::Pointer pointer() const
	{
		json::Pointer p = parent ? parent->pointer() : json::Pointer();
		if (!parent && key.empty() && !isIndex)
			return p;
		return isIndex ? p / index : p / key;
	}
};

/* Go's strconv.ParseInt / ParseUint on a JSON number's text, then the
 * field's range. */
bool integerFits(std::string_view text, Kind kind) noexcept
{
	const bool neg = !text.empty() && text.front() == '-';
	const bool isSigned = kind == Kind::Int32 || kind == Kind::Int64;
	if (neg && !isSigned)
		return false;
	std::string_view digits = neg ? text.substr(1) : text;
	if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits.front() == '0'))
		return false;
	uint64_t v = 0;
	for (char c : digits) {
		if (c < '0' || c > '9')
			return false; /* a fraction or an exponent: Go refuses it for an integer */
		const auto d = static_cast<uint64_t>(c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	switch (kind) {
	case Kind::Int32:
		return neg ? v <= 2147483648u : v <= 2147483647u;
	case Kind::Int64:
		return neg ? v <= 9223372036854775808u : v <= 9223372036854775807u;
	case Kind::Uint16:
		return v <= 65535u;
	case Kind::Uint32:
		return v <= 4294967295u;
	case Kind::Uint64:
		return true;
	default:
		return false;
	}
}

class Reader
{
public:
	Reader(std::string_view name, std::string_view text) noexcept : name_(name), text_(text) {}

	void value(const json::Value &v, const Type &t, const Path &at) const
	{
		switch (t.kind) {
		case Kind::Any:
			return;
		case Kind::Bool:
			if (!v.isBool())
				mistyped(v, t, at);
			return;
		case Kind::String:
			if (!v.isString())
				mistyped(v, t, at);
			return;
		case Kind::Int32:
		case Kind::Int64:
		case Kind::Uint16:
		case Kind::Uint32:
		case Kind::Uint64:
			if (!v.isNumber() || !integerFits(v.numberText(), t.kind))
				mistyped(v, t, at);
			return;
		case Kind::Struct:
			if (!v.isObject())
				mistyped(v, t, at);
			object(v, *t.def, at);
			return;
		case Kind::Slice:
			if (!v.isArray())
				mistyped(v, t, at);
			for (size_t i = 0; i < v.items().size(); i++) {
				const Path item{&at, {}, i, true};
				element(v.items()[i], *t.elem, item, "an array");
			}
			return;
		case Kind::Map:
			if (!v.isObject())
				mistyped(v, t, at);
			for (const auto &[key, val] : v.members()) {
				const Path item{&at, key, 0, false};
				element(val, *t.elem, item, "a map");
			}
			return;
		}
	}

	void object(const json::Value &obj, const StructDef &def, const Path &at) const
	{
		for (const auto &[key, val] : obj.members()) {
			const Field *field = nullptr;
			for (size_t i = 0; i < def.count && !field; i++)
				if (def.fields[i].name == key)
					field = &def.fields[i];
			const Path here{&at, key, 0, false};
			if (!field) {
				for (size_t i = 0; i < def.count; i++)
					if (goFoldEquals(key, def.fields[i].name))
						fail(val, here,
						     "key \"" + printable(key) +
						             "\" is read by runc as \"" +
						             std::string(def.fields[i].name) +
						             "\" (Go matches keys without regard "
						             "to case); "
						             "an engine writes the exact name");
				continue; /* unknown to runc too: kept, never acted on */
			}
			if (val.isNull())
				continue; /* Go: null leaves the field as it is, i.e. absent */
			value(val, *field->type, here);
		}
	}

	[[noreturn]] void fail(const json::Value &v, const Path &at, const std::string &what) const
	{
		std::string where;
		if (!name_.empty()) {
			where = std::string(name_) + ":";
			if (!text_.empty() && v.offset() < text_.size())
				where += json::lineCol(text_, v.offset()) + ":";
			where += " ";
		}
		const std::string ptr = printable(at.pointer().str(), 200);
		throw Error(ErrorKind::Json, where + (ptr.empty() ? "/" : ptr) + ": " + what);
	}

private:
	std::string_view name_;
	std::string_view text_;

	void element(const json::Value &v, const Type &t, const Path &at, const char *within) const
	{
		if (v.isNull())
			fail(v, at,
			     std::string("null in ") + within + " of " + t.goName +
			             " (Go would read it as a zero value)");
		value(v, t, at);
	}

	[[noreturn]] void mistyped(const json::Value &v, const Type &t, const Path &at) const
	{
		std::string got = json::typeName(v.type());
		if (v.isNumber())
			got += " " + printable(v.numberText().substr(0, 40));
		fail(v, at,
		     std::string(t.goName) + " expected, got " + got + " (runc cannot read it)");
	}

	/* A key as the message shows it: control bytes, quotes and every
	 * non-ASCII rune escaped (\u212a, not a glyph that looks like K). */
	static std::string printable(std::string_view s, size_t max = 80)
	{
		std::string out;
		size_t i = 0;
		for (; i < s.size() && out.size() < max; i++) {
			auto u = static_cast<unsigned char>(s[i]);
			if (u >= 0x80) {
				/* the parser has checked the UTF-8: decode one rune */
				const size_t n = u >= 0xf0 ? 4 : u >= 0xe0 ? 3 : 2;
				uint32_t r = u & (n == 2 ? 0x1fu : n == 3 ? 0x0fu : 0x07u);
				for (size_t k = 1; k < n && i + k < s.size(); k++)
					r = (r << 6) |
					    (static_cast<unsigned char>(s[i + k]) & 0x3fu);
				out += strprintf("\\u%04x", r);
				i += n - 1;
			} else if (u < 0x20 || u == 0x7f || u == '"' || u == '\\') {
				out += strprintf("\\u%04x", u);
			} else {
				out += static_cast<char>(u);
			}
		}
		return i < s.size() ? out + "..." : out;
	}
};

const json::Value &member(const json::Value &obj, std::string_view key, const Reader &r,
                          const Path &at, const char *what)
{
	const json::Value *v = obj.find(key);
	if (!v || !v->isObject())
		r.fail(v ? *v : obj, Path{&at, key, 0, false},
		       std::string(what) + " expected, got " +
		               (v ? json::typeName(v->type()) : "nothing"));
	return *v;
}

void describeType(const Type &t, const std::string &path, std::string &out);

void describeStruct(const StructDef &def, const std::string &path, std::string &out)
{
	for (size_t i = 0; i < def.count; i++)
		describeType(*def.fields[i].type, path + "/" + std::string(def.fields[i].name),
		             out);
}

/* A type as the describe() lines name it: Go's basic type names, "struct",
 * "[]T", "map[string]T", "any". */
std::string kindName(const Type &t)
{
	switch (t.kind) {
	case Kind::Struct:
		return "struct";
	case Kind::Slice:
		return "[]" + kindName(*t.elem);
	case Kind::Map:
		return "map[string]" + kindName(*t.elem);
	case Kind::Any:
		return "any";
	default:
		return t.goName;
	}
}

void describeType(const Type &t, const std::string &path, std::string &out)
{
	out += path + " " + kindName(t) + "\n";
	if (t.kind == Kind::Struct)
		describeStruct(*t.def, path, out);
	else if (t.kind == Kind::Slice)
		describeType(*t.elem, path + "/[]", out);
	else if (t.kind == Kind::Map)
		describeType(*t.elem, path + "/{}", out);
}

} // namespace

std::string describe()
{
	std::string out;
	describeStruct(kSpec, "", out);
	return out;
}

bool goFoldEquals(std::string_view key, std::string_view name) noexcept
{
	size_t i = 0, j = 0;
	auto lower = [](unsigned char c) {
		return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c;
	};
	while (i < key.size() && j < name.size()) {
		const auto k = static_cast<unsigned char>(key[i]);
		const auto n = lower(static_cast<unsigned char>(name[j]));
		if (k < 0x80) {
			if (lower(k) != n)
				return false;
			i++;
		} else if (key.substr(i, 3) == "\xe2\x84\xaa") { /* U+212A KELVIN SIGN */
			if (n != 'k')
				return false;
			i += 3;
		} else if (key.substr(i, 2) == "\xc5\xbf") { /* U+017F LATIN SMALL LETTER LONG S */
			if (n != 's')
				return false;
			i += 2;
		} else {
			return false; /* no other rune folds into ASCII */
		}
		j++;
	}
	return i == key.size() && j == name.size();
}

void check(const json::Value &doc, policy::Scope scope, std::string_view name,
           std::string_view text)
{
	const Reader r(name, text);
	const Path root{nullptr, {}, 0, false};
	if (!doc.isObject())
		r.fail(doc, root,
		       std::string("a JSON object expected, got ") + json::typeName(doc.type()));
	switch (scope) {
	case policy::Scope::Spec:
		r.object(doc, kSpec, root);
		return;
	case policy::Scope::Process: {
		const Path at{&root, "process", 0, false};
		r.object(member(doc, "process", r, root, "a process object"), kProcess, at);
		break;
	}
	case policy::Scope::Resources: {
		const Path linux{&root, "linux", 0, false};
		const Path at{&linux, "resources", 0, false};
		const json::Value &l = member(doc, "linux", r, root, "an object");
		r.object(member(l, "resources", r, linux, "a resources object"), kResources, at);
		break;
	}
	}
	if (const json::Value *ann = doc.find("annotations"); ann && !ann->isNull())
		r.value(*ann, kStringMap, Path{&root, "annotations", 0, false});
}

json::Value read(std::string_view text, std::string_view name, policy::Scope scope)
{
	json::ParseOptions opts;
	opts.allowComments = false; /* Go's encoding/json reads none */
	json::Value parsed = json::parse(text, name, opts);
	json::Value doc;
	if (scope == policy::Scope::Spec) {
		doc = std::move(parsed);
	} else {
		/* the bare document, read where the rules will see it */
		const Reader r(name, text);
		const Path root{nullptr, {}, 0, false};
		if (!parsed.isObject())
			r.fail(parsed, root,
			       std::string(scope == policy::Scope::Process ? "a process"
			                                                   : "a resources") +
			               " object expected, got " + json::typeName(parsed.type()));
		doc = json::Value::object();
		if (scope == policy::Scope::Process) {
			doc.set("process", std::move(parsed));
		} else {
			json::Value linux = json::Value::object();
			linux.set("resources", std::move(parsed));
			doc.set("linux", std::move(linux));
		}
		/* pointers into the bare document, as the user wrote it */
		const json::Value &bare = scope == policy::Scope::Process
		                                  ? *doc.find("process")
		                                  : *doc.find("linux")->find("resources");
		r.object(bare, scope == policy::Scope::Process ? kProcess : kResources, root);
		return doc;
	}
	check(doc, scope, name, text);
	return doc;
}

} // namespace bulkhead::spec
