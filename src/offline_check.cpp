/* `bulkhead policy check`: per file the verdict, the findings and the patch,
 * as text, JSON or SARIF, written as each file is judged. */
#include "offline_internal.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <sched.h>
#include <system_error>
#include <thread>

#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/sarif.h"

namespace bulkhead::offline::detail {

namespace {

constexpr size_t kDefaultJobs = 8; /* with no --jobs: one per CPU, at most this many */

struct Colour
{
	bool on;
	[[nodiscard]] std::string wrap(std::string_view text, const char *code) const
	{
		if (!on)
			return std::string(text);
		return std::string("\033[") + code + "m" + std::string(text) + "\033[0m";
	}
	[[nodiscard]] std::string verdict(policy::Verdict v) const
	{
		const char *code = v == policy::Verdict::Allow    ? "32"
		                   : v == policy::Verdict::Mutate ? "33"
		                                                  : "1;31";
		return wrap(policy::verdictName(v), code);
	}
	[[nodiscard]] std::string action(policy::Action a, size_t width) const
	{
		std::string name = policy::actionName(a);
		std::string pad(width > name.size() ? width - name.size() : 0, ' ');
		const char *code = a == policy::Action::Mutate  ? "33"
		                   : a == policy::Action::Deny  ? "1;31"
		                   : a == policy::Action::Audit ? "36"
		                                                : "0";
		return wrap(name, code) + pad;
	}
};

/* Whether V has more than LIMIT values in all (itself included), counting no
 * further than that. */
bool moreValuesThan(const json::Value &v, size_t &limit)
{
	if (limit == 0)
		return true;
	limit--;
	if (v.isArray()) {
		for (const auto &x : v.items())
			if (moreValuesThan(x, limit))
				return true;
	} else if (v.isObject()) {
		for (const auto &m : v.members())
			if (moreValuesThan(m.second, limit))
				return true;
	}
	return false;
}

/* A patch operation on one line, values elided past a readable length. */
std::string patchLine(const json::Value &op)
{
	const json::Value *kind = op.find("op");
	const json::Value *path = op.find("path");
	std::string line = (kind && kind->isString() ? kind->asString() : "?") + " " +
	                   (path && path->isString() ? path->asString() : "?");
	if (const json::Value *v = op.find("value")) {
		/* every value writes as one character or more: one of more than 60
		 * values is cut anyway, and is not written (a seccomp profile has
		 * some 500) */
		size_t budget = 60;
		std::string text =
		        moreValuesThan(*v, budget) ? std::string(61, ' ') : json::write(*v, false);
		if (text.size() > 60)
			text = v->isObject()  ? "{...}"
			       : v->isArray() ? "[...]"
			                      : text.substr(0, 57) + "...";
		line += " " + text;
	}
	return line;
}

std::string checkText(const Input &in, const policy::Decision &d, const Colour &c)
{
	std::string out = in.name + ": " + c.verdict(d.verdict);
	if (d.mode == policy::Mode::Audit)
		out += " (audit mode: enforcing would " +
		       std::string(policy::verdictName(d.wouldBe)) + ")";
	out += strprintf(", %zu finding%s\n", d.findings.size(), d.findings.size() == 1 ? "" : "s");
	for (const auto &f : d.findings) {
		out += "  " + c.action(f.action, 6) + " " + f.rule + " " +
		       (f.pointer.empty() ? std::string("/") : f.pointer) + ": " +
		       singleLine(f.message);
		if (!f.remedy.empty())
			out += "; fix: " + singleLine(f.remedy);
		out += "\n";
	}
	for (const auto &e : d.exemptions) {
		out += "  exempt " + e.name + " (";
		for (size_t i = 0; i < e.rules.size(); i++)
			out += (i ? ", " : "") + e.rules[i];
		out += "): " + singleLine(e.reason);
		if (!e.expires.empty())
			out += ", until " + e.expires;
		out += "\n";
	}
	for (const auto &o : d.overrides) {
		out += "  override " + o.name + " (";
		for (size_t i = 0; i < o.rules.size(); i++)
			out += (i ? ", " : "") + o.rules[i];
		out += ")";
		if (!o.reason.empty())
			out += ": " + singleLine(o.reason);
		out += "\n";
	}
	if (d.patch.isArray() && !d.patch.items().empty()) {
		out += strprintf("  patch (%zu operation%s):\n", d.patch.items().size(),
		                 d.patch.items().size() == 1 ? "" : "s");
		for (const auto &op : d.patch.items())
			out += "    " + singleLine(patchLine(op)) + "\n";
	}
	return out;
}

/* Where in the text a finding points: the offset of the value its pointer
 * names, or of the nearest ancestor that exists (a member the rule wants
 * added). */
size_t offsetOf(const Input &in, const std::string &pointer)
{
	size_t offset = 0;
	try {
		std::vector<std::string> tokens = json::Pointer::parse(pointer).tokens();
		const json::Value *at = &in.doc;
		for (const auto &t : tokens) {
			const json::Value *next = nullptr;
			if (at->isObject()) {
				next = at->find(t);
			} else if (at->isArray()) {
				char *end = nullptr;
				unsigned long i = std::strtoul(t.c_str(), &end, 10);
				if (!t.empty() && *end == '\0' && i < at->items().size())
					next = &at->items()[i];
			}
			if (next == nullptr)
				break;
			at = next;
		}
		offset = at->offset();
	} catch (const Error &) {
		offset = 0;
	}
	return std::min(offset, in.text.size());
}

using Place = std::pair<size_t, size_t>; /* 1-based line, column in code points */

/* The place in TEXT of each offset of AT, found in one walk over the text in
 * the order of the offsets (a file's findings are not in document order). */
std::vector<Place> placesOf(std::string_view text, const std::vector<size_t> &at)
{
	std::vector<size_t> order(at.size());
	for (size_t i = 0; i < order.size(); i++)
		order[i] = i;
	std::stable_sort(order.begin(), order.end(),
	                 [&](size_t a, size_t b) { return at[a] < at[b]; });
	std::vector<Place> out(at.size());
	size_t pos = 0, line = 1, col = 1;
	for (size_t k : order) {
		for (; pos < at[k]; pos++) {
			auto ch = static_cast<unsigned char>(text[pos]);
			if (ch == '\n') {
				line++;
				col = 1;
			} else if ((ch & 0xC0) != 0x80) {
				col++;
			}
		}
		out[k] = {line, col};
	}
	return out;
}

json::Value sarifLocations(const Input &in, const policy::Finding &f, Place place)
{
	json::Value loc = json::Value::object();
	if (in.name != "<stdin>") {
		auto [line, col] = place;
		json::Value art = json::Value::object();
		art.set("uri", json::Value::string(sarif::fileUri(in.name)));
		json::Value region = json::Value::object();
		region.set("startLine", json::Value::number(static_cast<uint64_t>(line)));
		region.set("startColumn", json::Value::number(static_cast<uint64_t>(col)));
		json::Value phys = json::Value::object();
		phys.set("artifactLocation", std::move(art));
		phys.set("region", std::move(region));
		loc.set("physicalLocation", std::move(phys));
	}
	json::Value logical = json::Value::object();
	logical.set("fullyQualifiedName",
	            json::Value::string(f.pointer.empty() ? std::string("/") : f.pointer));
	logical.set("kind", json::Value::string("member"));
	json::Value logicals = json::Value::array();
	logicals.push(std::move(logical));
	loc.set("logicalLocations", std::move(logicals));
	json::Value locs = json::Value::array();
	locs.push(std::move(loc));
	return locs;
}

/* One file's result as its format writes it. The thread that judged the file
 * makes it; it is written out in the files' order. One per thread, reused
 * file after file (its text keeps its room). */
struct Result
{
	bool failed = false; /* the file could not be read or judged: */
	std::string message; /*   why */
	std::string uri;     /*   and the file, for a SARIF notification */
	bool denied = false;
	std::string text;   /* what is written for the file (SARIF: its results) */
	size_t results = 0; /* SARIF: how many */
};

/* What a result is written to, and what the results so far add up to. */
struct Sink
{
	Output &out;
	Output &err;
	std::optional<sarif::Writer> &sarifOut;
	bool asJson, asSarif;
	size_t written = 0;
	int rc = kExitOk;
};

/* What every file is judged with. */
struct Judge
{
	const Options &o;
	const policy::Policy &p;
	const Colour &c;
	bool asJson, asSarif;

	/* Reads and judges OPERAND, and renders its result into R. */
	void operator()(const std::string &operand, const HostFacts &host, Result &r) const
	{
		r.failed = r.denied = false;
		r.text.clear();
		r.results = 0;
		std::optional<Input> in;
		std::optional<policy::Decision> d;
		try {
			in = readInput(operand, o.kind);
			policy::CallContext call = callOf(o, in->bundle);
			call.patch = !asSarif; /* SARIF writes the findings only */
			d = p.evaluate(in->doc, o.kind, call, host);
		} catch (const Error &e) {
			const std::string name = operand == "-" ? "<stdin>" : operand;
			r.failed = true;
			r.message = e.what();
			r.uri = operand == "-" ? "" : sarif::fileUri(name);
			if (asJson) {
				json::Value v = json::Value::object();
				v.set("file", json::Value::string(name));
				v.set("error", json::Value::string(e.what()));
				json::detail::writeNested(r.text, v, 2);
			} else if (!asSarif) {
				r.text = name + ": " + c.wrap("error", "1;31") + ": " +
				         singleLine(e.what()) + "\n";
			}
			return;
		}
		r.denied = d->verdict == policy::Verdict::Deny;
		if (asJson) {
			json::Value v = json::Value::object();
			v.set("file", json::Value::string(in->name));
			/* the patch (the largest part) moves rather than copies */
			json::Value patch = std::move(d->patch);
			d->patch = json::Value::array();
			json::Value decision = policy::toJson(*d);
			decision.set("patch",
			             patch.isNull() ? json::Value::array() : std::move(patch));
			for (auto &[k, m] : decision.members())
				v.set(k, std::move(m));
			json::detail::writeNested(r.text, v, 2);
		} else if (asSarif) {
			std::vector<size_t> at;
			at.reserve(d->findings.size());
			for (const auto &f : d->findings)
				at.push_back(offsetOf(*in, f.pointer));
			const std::vector<Place> places = placesOf(in->text, at);
			for (size_t i = 0; i < d->findings.size(); i++) {
				const auto &f = d->findings[i];
				sarif::Writer::join(
				        r.text,
				        sarif::result(f, sarifLocations(*in, f, places[i])));
			}
			r.results = d->findings.size();
		} else {
			r.text = checkText(*in, *d, c);
		}
	}
};

/* Writes R, the next file's result, to S. */
void emit(const Result &r, Sink &s)
{
	const char *sep = s.asJson ? (s.written ? ",\n    " : "\n    ") : (s.written ? "\n" : "");
	if (r.failed) {
		s.rc = kExitBad;
		s.err << "bulkhead: " << singleLine(r.message) << "\n";
		if (s.asSarif)
			s.sarifOut->notify("error", singleLine(r.message), r.uri);
		else
			s.out << sep << r.text;
		s.written++;
		s.err.flush();
		s.out.flush();
		return;
	}
	if (r.denied && s.rc == kExitOk)
		s.rc = kExitDenied;
	if (s.asSarif) {
		s.sarifOut->addJoined(r.text, r.results);
	} else {
		s.out << sep << r.text;
		s.written++;
	}
	s.out.flush();
}

/* The CPUs this process may run on. */
size_t cpus()
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	return static_cast<size_t>(std::max(CPU_COUNT(&set), 1));
}

/* Judges the operands on JOBS threads (this one among them), each file on
 * whichever thread takes it next, and writes each result in the operands'
 * order as soon as those before it are written: at most JOBS results exist at
 * once, so memory does not grow with the number of files. Each thread has its
 * own memo of the host, and frees what it made (the pool's lists are per
 * thread). The first exception other than a file's Error stops every thread
 * and is thrown here. */
void judgeInParallel(const Options &o, const Judge &judge, const HostFacts &real, Sink &sink,
                     size_t jobs)
{
	const size_t n = o.operands.size();
	std::atomic<size_t> next{0};
	std::mutex m;
	/* The operands being judged lie in [turn, turn + jobs): the one of index
	 * I waits for its turn on wake[I % jobs], alone, and only it is woken. */
	std::vector<std::condition_variable> wake(jobs);
	size_t turn = 0; /* the operand whose result is written next */
	bool stop = false;
	std::exception_ptr failure;
	auto work = [&] {
		try {
			const MemoHost host(real);
			Result r;
			for (size_t i; (i = next.fetch_add(1)) < n;) {
				judge(o.operands[i], host, r);
				std::unique_lock<std::mutex> lock(m);
				wake[i % jobs].wait(lock, [&] { return turn == i || stop; });
				if (stop)
					return;
				emit(r, sink);
				turn++;
				wake[turn % jobs].notify_one();
			}
		} catch (...) {
			const std::lock_guard<std::mutex> lock(m);
			if (!failure)
				failure = std::current_exception();
			stop = true;
			for (auto &w : wake)
				w.notify_all();
		}
	};
	std::vector<std::thread> threads;
	threads.reserve(jobs); /* no allocation between a thread's start and its join */
	for (size_t t = 1; t < jobs; t++) {
		try {
			threads.emplace_back(work);
		} catch (const std::system_error &) {
			break; /* fewer threads: the same results, later */
		}
	}
	work();
	for (auto &t : threads)
		t.join();
	if (failure)
		std::rethrow_exception(failure);
}

} // namespace

/* `policy check`: each file's result is written as soon as it and those
 * before it are judged, so memory does not grow with the number of files.
 * JSON is the document {"policy": ..., "results": [...]} written a result at a
 * time; SARIF one run. */
int check(const Options &o, Output &out, Output &err, bool colour)
{
	policy::Policy p = policy::Policy::load(o.policy, false);
	const RealHost real;
	Colour c{colour};
	const bool asJson = o.format == "json", asSarif = o.format == "sarif";
	std::optional<sarif::Writer> sarifOut;
	json::Value pol = json::Value::object();
	pol.set("name", json::Value::string(p.name()));
	pol.set("sha256", json::Value::string(p.sha256()));
	pol.set("version", json::Value::string(p.version()));
	pol.set("mode", json::Value::string(p.mode() == policy::Mode::Audit ? "audit" : "enforce"));
	if (asJson) {
		std::string head;
		json::detail::writeNested(head, pol, 1);
		out << "{\n  \"policy\": " << head << ",\n  \"results\": [";
	} else if (asSarif) {
		json::Value props = json::Value::object();
		props.set("policy", std::move(pol));
		sarifOut.emplace(out, std::move(props));
	}
	Sink sink{out, err, sarifOut, asJson, asSarif};
	const Judge judge{o, p, c, asJson, asSarif};
	const size_t jobs =
	        std::min(o.jobs ? o.jobs : std::min(cpus(), kDefaultJobs), o.operands.size());
	if (jobs > 1) {
		judgeInParallel(o, judge, real, sink, jobs);
	} else {
		const MemoHost host(real);
		Result r;
		for (const auto &operand : o.operands) {
			judge(operand, host, r);
			emit(r, sink);
		}
	}
	if (asJson)
		out << "\n  ]\n}\n";
	else if (asSarif)
		sarifOut->finish(sink.rc != kExitBad);
	return sink.rc;
}

} // namespace bulkhead::offline::detail
