#include "bulkhead/sarif.h"

#include "bulkhead_build.h"

#include <set>

#include "bulkhead/compliance.h"
#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::sarif {

namespace {

using json::Value;

constexpr size_t kMaxNotes = 1000;

Value text(std::string_view s)
{
	Value o = Value::object();
	o.set("text", Value::string(std::string(s)));
	return o;
}

Value relationship(const char *id, const char *taxonomy)
{
	Value target = Value::object();
	target.set("id", Value::string(id));
	Value comp = Value::object();
	comp.set("name", Value::string(taxonomy));
	target.set("toolComponent", std::move(comp));
	Value kinds = Value::array();
	kinds.push(Value::string("relevant"));
	Value r = Value::object();
	r.set("target", std::move(target));
	r.set("kinds", std::move(kinds));
	return r;
}

Value driver()
{
	Value rules = Value::array();
	for (const auto &def : policy::allRules()) {
		const compliance::Ids &ids = compliance::lookup(def.name);
		Value r = Value::object();
		r.set("id", Value::string(def.name));
		r.set("name", Value::string(def.name));
		r.set("shortDescription", text(def.summary));
		Value cfg = Value::object();
		cfg.set("level", Value::string("error"));
		r.set("defaultConfiguration", std::move(cfg));
		Value rel = Value::array();
		if (ids.cis)
			rel.push(relationship(ids.cis, compliance::kCisName));
		if (ids.pss)
			rel.push(relationship(ids.pss, compliance::kPssName));
		if (!rel.items().empty())
			r.set("relationships", std::move(rel));
		Value props = Value::object();
		Value tags = Value::array();
		tags.push(Value::string("security"));
		if (ids.cis)
			tags.push(Value::string(std::string("CIS-Docker-") + ids.cis));
		if (ids.pss)
			tags.push(Value::string(std::string("PSS-") + ids.pss));
		props.set("tags", std::move(tags));
		props.set("severity", Value::string(ids.severity));
		r.set("properties", std::move(props));
		rules.push(std::move(r));
	}
	Value d = Value::object();
	d.set("name", Value::string("bulkhead"));
	d.set("version", Value::string(BULKHEAD_VERSION));
	d.set("semanticVersion", Value::string(BULKHEAD_VERSION));
	d.set("rules", std::move(rules));
	return d;
}

/* The benchmarks as taxonomies: each id a rule of the registry relates to. */
Value taxonomies()
{
	Value cis = Value::array(), pss = Value::array();
	std::set<std::string> seenCis, seenPss;
	for (const auto &def : policy::allRules()) {
		const compliance::Ids &ids = compliance::lookup(def.name);
		if (ids.cis && seenCis.insert(ids.cis).second) {
			Value t = Value::object();
			t.set("id", Value::string(ids.cis));
			t.set("shortDescription", text(ids.cisTitle ? ids.cisTitle : ids.cis));
			cis.push(std::move(t));
		}
		if (ids.pss && seenPss.insert(ids.pss).second) {
			Value t = Value::object();
			t.set("id", Value::string(ids.pss));
			t.set("name", Value::string(ids.pssTitle ? ids.pssTitle : ids.pss));
			pss.push(std::move(t));
		}
	}
	Value a = Value::object();
	a.set("name", Value::string(compliance::kCisName));
	a.set("version", Value::string(compliance::kCisVersion));
	a.set("organization", Value::string("Center for Internet Security"));
	a.set("taxa", std::move(cis));
	Value b = Value::object();
	b.set("name", Value::string(compliance::kPssName));
	b.set("organization", Value::string("Kubernetes"));
	b.set("taxa", std::move(pss));
	Value out = Value::array();
	out.push(std::move(a));
	out.push(std::move(b));
	return out;
}

/* V pretty-printed, every line after the first indented by PAD, no final newline. */
std::string indent(const Value &v, std::string_view pad)
{
	std::string s = json::write(v, true);
	while (!s.empty() && s.back() == '\n')
		s.pop_back();
	std::string out;
	out.reserve(s.size() + s.size() / 8);
	for (size_t i = 0; i < s.size(); i++) {
		out.push_back(s[i]);
		if (s[i] == '\n' && i + 1 < s.size())
			out.append(pad);
	}
	return out;
}

} // namespace

const char *level(policy::Action wouldBe) noexcept
{
	switch (wouldBe) {
	case policy::Action::Deny:
		return "error";
	case policy::Action::Mutate:
		return "warning";
	case policy::Action::Audit:
	case policy::Action::Off:
		return "note";
	}
	return "note";
}

std::string fileUri(std::string_view path)
{
	static const char hex[] = "0123456789ABCDEF";
	std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
	for (const char ch : path) {
		const auto c = static_cast<unsigned char>(ch);
		const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		                   (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		                   c == '~' || c == '/';
		if (plain) {
			out.push_back(static_cast<char>(c));
		} else {
			out.push_back('%');
			out.push_back(hex[c >> 4]);
			out.push_back(hex[c & 15]);
		}
	}
	return out;
}

int ruleIndex(std::string_view rule) noexcept
{
	const auto &all = policy::allRules();
	for (size_t i = 0; i < all.size(); i++)
		if (rule == all[i].name)
			return static_cast<int>(i);
	return -1;
}

Value result(const policy::Finding &f, Value locations)
{
	Value r = Value::object();
	r.set("ruleId", Value::string(f.rule));
	if (int i = ruleIndex(f.rule); i >= 0)
		r.set("ruleIndex", Value::number(static_cast<int64_t>(i)));
	r.set("level", Value::string(level(f.wouldBe)));
	r.set("kind", Value::string("fail"));
	std::string msg = f.message;
	if (!f.remedy.empty())
		msg += "; fix: " + f.remedy;
	r.set("message", text(msg));
	if (locations.isArray())
		r.set("locations", std::move(locations));
	const compliance::Ids &ids = compliance::lookup(f.rule);
	Value props = Value::object();
	props.set("action", Value::string(policy::actionName(f.action)));
	props.set("wouldBe", Value::string(policy::actionName(f.wouldBe)));
	if (!f.remedy.empty())
		props.set("remedy", Value::string(f.remedy));
	if (ids.cis)
		props.set("cis", Value::string(ids.cis));
	if (ids.pss)
		props.set("pss", Value::string(ids.pss));
	r.set("properties", std::move(props));
	return r;
}

Writer::Writer(Output &out, Value runProperties) : out_(out)
{
	Value tool = Value::object();
	tool.set("driver", driver());
	out_ << "{\n  \"version\": \"2.1.0\",\n  \"$schema\": \"" << kSchema
	     << "\",\n  \"runs\": [\n    {\n      \"tool\": " << indent(tool, "      ")
	     << ",\n      \"taxonomies\": " << indent(taxonomies(), "      ");
	if (runProperties.isObject())
		out_ << ",\n      \"properties\": " << indent(runProperties, "      ");
	out_ << ",\n      \"columnKind\": \"unicodeCodePoints\",\n      \"results\": [";
}

namespace {

constexpr const char *kNextResult = ",\n        ";

} // namespace

void Writer::add(const Value &r)
{
	std::string one;
	join(one, r);
	addJoined(one, 1);
}

void Writer::join(std::string &results, const Value &r)
{
	if (!results.empty())
		results += kNextResult;
	json::detail::append(results, r);
}

void Writer::addJoined(std::string_view results, size_t count)
{
	if (count == 0)
		return;
	out_ << (results_ ? kNextResult : "\n        ") << results;
	results_ += count;
}

void Writer::notify(std::string_view lvl, std::string_view message, std::string_view uri)
{
	if (notes_.size() >= kMaxNotes) {
		dropped_++;
		return;
	}
	Value n = Value::object();
	n.set("level", Value::string(std::string(lvl)));
	n.set("message", text(message));
	if (!uri.empty()) {
		Value loc = Value::object();
		Value phys = Value::object();
		Value art = Value::object();
		art.set("uri", Value::string(std::string(uri)));
		phys.set("artifactLocation", std::move(art));
		loc.set("physicalLocation", std::move(phys));
		Value locs = Value::array();
		locs.push(std::move(loc));
		n.set("locations", std::move(locs));
	}
	notes_.push_back(std::move(n));
}

void Writer::finish(bool executionSuccessful)
{
	out_ << (results_ ? "\n      ],\n" : "],\n");
	Value inv = Value::object();
	inv.set("executionSuccessful", Value::boolean(executionSuccessful));
	Value notes = Value::array();
	for (auto &n : notes_)
		notes.push(std::move(n));
	notes_.clear();
	if (dropped_ > 0) {
		Value n = Value::object();
		n.set("level", Value::string("note"));
		n.set("message", text(strprintf("%zu more notifications left out", dropped_)));
		notes.push(std::move(n));
	}
	inv.set("toolExecutionNotifications", std::move(notes));
	Value invs = Value::array();
	invs.push(std::move(inv));
	out_ << "      \"invocations\": " << indent(invs, "      ") << "\n    }\n  ]\n}\n";
}

} // namespace bulkhead::sarif
