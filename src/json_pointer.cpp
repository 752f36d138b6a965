/* RFC 6901 JSON Pointer and RFC 6902 JSON Patch on bulkhead's tree. */
#include <unordered_set>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::json {

namespace {

[[noreturn]] void fail(const std::string &msg)
{
	throw Error{ErrorKind::Json, msg};
}

/* An array index token: "0" or digits without a leading zero, in range. */
std::optional<size_t> arrayIndex(const std::string &tok) noexcept
{
	if (tok.empty() || tok.size() > 19)
		return std::nullopt;
	if (tok.size() > 1 && tok[0] == '0')
		return std::nullopt;
	size_t n = 0;
	for (char c : tok) {
		if (c < '0' || c > '9')
			return std::nullopt;
		n = n * 10 + static_cast<size_t>(c - '0');
	}
	return n;
}

std::string escapeToken(std::string_view t)
{
	std::string out;
	for (char c : t) {
		if (c == '~')
			out += "~0";
		else if (c == '/')
			out += "~1";
		else
			out.push_back(c);
	}
	return out;
}

Value *child(Value &v, const std::string &tok) noexcept
{
	if (v.isObject())
		return v.find(tok);
	if (v.isArray()) {
		auto i = arrayIndex(tok);
		if (!i || *i >= v.items().size())
			return nullptr;
		return &v.items()[*i];
	}
	return nullptr;
}

/* RFC 6902 "add"; with createParents, missing intermediate object members
 * are created as empty objects. */
void addAt(Value &root, const Pointer &p, Value v, bool createParents)
{
	const auto &toks = p.tokens();
	if (toks.empty()) {
		root = std::move(v);
		return;
	}
	Value *cur = &root;
	for (size_t i = 0; i + 1 < toks.size(); i++) {
		Value *next = child(*cur, toks[i]);
		if (!next && createParents && cur->isObject())
			next = &cur->set(toks[i], Value::object());
		if (!next)
			fail(p.str() + ": parent does not exist");
		cur = next;
	}
	const std::string &last = toks.back();
	if (cur->isObject()) {
		cur->set(last, std::move(v));
	} else if (cur->isArray()) {
		auto &items = cur->items();
		if (last == "-") {
			items.push_back(std::move(v));
			return;
		}
		auto i = arrayIndex(last);
		if (!i || *i > items.size())
			fail(p.str() + ": array index out of range");
		items.insert(items.begin() + static_cast<std::ptrdiff_t>(*i), std::move(v));
	} else {
		fail(p.str() + ": parent is a " + typeName(cur->type()) + ", not a container");
	}
}

/* Unordered structural equality for the "test" operation (RFC 6902 4.6:
 * object members compare regardless of order). Numbers compare by text. */
bool sameValue(const Value &a, const Value &b) noexcept
{
	if (a.type() != b.type())
		return false;
	if (a.isArray()) {
		const auto &x = a.items(), &y = b.items();
		if (x.size() != y.size())
			return false;
		for (size_t i = 0; i < x.size(); i++)
			if (!sameValue(x[i], y[i]))
				return false;
		return true;
	}
	if (a.isObject()) {
		if (a.members().size() != b.members().size())
			return false;
		for (const auto &[k, v] : a.members()) {
			const Value *o = b.find(k);
			if (!o || !sameValue(v, *o))
				return false;
		}
		return true;
	}
	return a == b;
}

Value op(const char *name, const Pointer &path)
{
	Value o = Value::object();
	auto &m = o.members();
	m.reserve(3); /* and "value", for most */
	m.emplace_back("op", Value::string(name));
	m.emplace_back("path", Value::string(path.str()));
	return o;
}

/* FROM and TO differ (the caller compared them): most of a hardened
 * document is what it was, and an equal member or element is passed over
 * before a pointer to it is built. */
void diffInto(Value &patch, const Pointer &at, const Value &from, const Value &to)
{
	if (from.type() != to.type() || (!from.isArray() && !from.isObject())) {
		Value o = op("replace", at);
		o.set("value", to);
		patch.push(std::move(o));
		return;
	}
	if (from.isArray()) {
		const auto &a = from.items(), &b = to.items();
		size_t common = std::min(a.size(), b.size());
		for (size_t i = 0; i < common; i++)
			if (!(a[i] == b[i]))
				diffInto(patch, at / i, a[i], b[i]);
		for (size_t i = a.size(); i > common; i--)
			patch.push(op("remove", at / (i - 1)));
		for (size_t i = common; i < b.size(); i++) {
			Value o = op("add", at / i);
			o.set("value", b[i]);
			patch.push(std::move(o));
		}
		return;
	}
	/* Objects. Keys only in `from` are removed; keys kept in both keep
	 * their relative order when applied, and added keys go to the end. To
	 * reproduce `to`'s order exactly, the longest prefix of `to` that is
	 * already in place is diffed member by member; every later member of
	 * `to` is removed (if present) and added again in order. */
	const auto &fm = from.members(), &tm = to.members();
	std::vector<const std::string *> kept; /* from's keys that survive, in order */
	for (const auto &[k, v] : fm) {
		if (to.find(k))
			kept.push_back(&k);
		else
			patch.push(op("remove", at / k));
	}
	size_t prefix = 0;
	while (prefix < kept.size() && prefix < tm.size() && *kept[prefix] == tm[prefix].first)
		prefix++;
	for (size_t i = prefix; i < kept.size(); i++)
		patch.push(op("remove", at / *kept[i]));
	for (size_t i = 0; i < prefix; i++)
		if (const Value &f = *from.find(tm[i].first); !(f == tm[i].second))
			diffInto(patch, at / tm[i].first, f, tm[i].second);
	for (size_t i = prefix; i < tm.size(); i++) {
		Value o = op("add", at / tm[i].first);
		o.set("value", tm[i].second);
		patch.push(std::move(o));
	}
}

const std::string &member(const Value &o, const char *key, size_t index)
{
	const Value *v = o.find(key);
	if (!v || !v->isString())
		fail(strprintf("patch operation %zu: \"%s\" must be a string", index, key));
	return v->asString();
}

} // namespace

Pointer Pointer::parse(std::string_view text)
{
	Pointer p;
	if (text.empty())
		return p;
	if (text[0] != '/')
		fail("JSON pointer \"" + std::string(text) + "\" does not start with '/'");
	std::string tok;
	for (size_t i = 1; i <= text.size(); i++) {
		if (i == text.size() || text[i] == '/') {
			p.tokens_.push_back(std::move(tok));
			tok.clear();
			continue;
		}
		if (text[i] == '~') {
			if (i + 1 < text.size() && text[i + 1] == '0')
				tok.push_back('~');
			else if (i + 1 < text.size() && text[i + 1] == '1')
				tok.push_back('/');
			else
				fail("JSON pointer \"" + std::string(text) + "\": bad '~' escape");
			i++;
			continue;
		}
		tok.push_back(text[i]);
	}
	return p;
}

Pointer Pointer::operator/(std::string_view token) const &
{
	Pointer p;
	p.tokens_.reserve(tokens_.size() + 1);
	p.tokens_.insert(p.tokens_.end(), tokens_.begin(), tokens_.end());
	p.tokens_.emplace_back(token);
	return p;
}

Pointer Pointer::operator/(size_t index) const &
{
	return *this / std::string_view(std::to_string(index));
}

Pointer Pointer::operator/(std::string_view token) &&
{
	tokens_.emplace_back(token);
	return std::move(*this);
}

Pointer Pointer::operator/(size_t index) &&
{
	tokens_.push_back(std::to_string(index));
	return std::move(*this);
}

std::string Pointer::str() const
{
	size_t n = 0;
	for (const auto &t : tokens_)
		n += 1 + t.size();
	std::string out;
	out.reserve(n);
	for (const auto &t : tokens_) {
		out.push_back('/');
		if (t.find_first_of("~/") == std::string::npos)
			out += t; /* almost every token */
		else
			out += escapeToken(t);
	}
	return out;
}

const Value *get(const Value &root, const Pointer &p) noexcept
{
	return get(const_cast<Value &>(root), p);
}

Value *get(Value &root, const Pointer &p) noexcept
{
	Value *cur = &root;
	for (const auto &t : p.tokens()) {
		cur = child(*cur, t);
		if (!cur)
			return nullptr;
	}
	return cur;
}

void set(Value &root, const Pointer &p, Value v)
{
	addAt(root, p, std::move(v), true);
}

bool remove(Value &root, const Pointer &p)
{
	const auto &toks = p.tokens();
	if (toks.empty())
		fail("cannot remove the whole document");
	Value *parent = &root;
	for (size_t i = 0; i + 1 < toks.size(); i++) {
		parent = child(*parent, toks[i]);
		if (!parent)
			return false;
	}
	if (parent->isObject())
		return parent->erase(toks.back());
	if (parent->isArray()) {
		auto i = arrayIndex(toks.back());
		auto &items = parent->items();
		if (!i || *i >= items.size())
			return false;
		items.erase(items.begin() + static_cast<std::ptrdiff_t>(*i));
		return true;
	}
	return false;
}

Value diff(const Value &from, const Value &to)
{
	Value patch = Value::array();
	if (!(from == to))
		diffInto(patch, Pointer(), from, to);
	return patch;
}

void applyPatch(Value &root, const Value &patch)
{
	if (!patch.isArray())
		fail(std::string("a patch must be an array, not ") + typeName(patch.type()));
	Value doc = root; /* all or nothing */
	size_t n = 0;
	for (const auto &o : patch.items()) {
		if (!o.isObject())
			fail(strprintf("patch operation %zu is not an object", n));
		const std::string &name = member(o, "op", n);
		Pointer path = Pointer::parse(member(o, "path", n));
		auto value = [&]() -> const Value & {
			const Value *v = o.find("value");
			if (!v)
				fail(strprintf("patch operation %zu (%s): no \"value\"", n,
				               name.c_str()));
			return *v;
		};
		auto target = [&](const Pointer &p) -> Value & {
			Value *t = get(doc, p);
			if (!t)
				fail(strprintf("patch operation %zu (%s): %s does not exist", n,
				               name.c_str(), p.str().c_str()));
			return *t;
		};
		if (name == "add") {
			addAt(doc, path, value(), false);
		} else if (name == "remove") {
			target(path);
			if (path.tokens().empty())
				doc = Value();
			else
				remove(doc, path);
		} else if (name == "replace") {
			target(path) = value();
		} else if (name == "move" || name == "copy") {
			Pointer from = Pointer::parse(member(o, "from", n));
			Value v = target(from);
			if (name == "move") {
				const auto &ft = from.tokens(), &pt = path.tokens();
				if (ft.size() < pt.size() &&
				    std::equal(ft.begin(), ft.end(), pt.begin()))
					fail(strprintf(
					        "patch operation %zu (move): %s is inside %s", n,
					        path.str().c_str(), from.str().c_str()));
				if (from == path) {
					n++;
					continue;
				}
				if (ft.empty())
					doc = Value();
				else
					remove(doc, from);
			}
			addAt(doc, path, std::move(v), false);
		} else if (name == "test") {
			if (!sameValue(target(path), value()))
				fail(strprintf("patch operation %zu (test): %s differs", n,
				               path.str().c_str()));
		} else {
			fail(strprintf("patch operation %zu: unknown op \"%s\"", n, name.c_str()));
		}
		n++;
	}
	root = std::move(doc);
}

} // namespace bulkhead::json
