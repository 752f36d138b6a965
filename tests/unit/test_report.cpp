/* bulkhead audit: the aggregation of the log and each report format; SARIF
 * (of `policy check` too) held against the 2.1.0 shape, PolicyReport against
 * wgpolicyk8s.io/v1alpha2. */
#include "fixtures.h"

#include <set>
#include <zlib.h>

#include "bulkhead/audit.h"
#include "bulkhead/json.h"
#include "bulkhead/offline.h"
#include "bulkhead/report.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using report::Aggregator;
using test::TempDir;

namespace {

constexpr int64_t kNow = 1764979200000; /* 2025-12-06T00:00:00Z */

struct Rec
{
	Rec(std::string t, policy::Verdict v, std::string n, std::string p)
	    : time(std::move(t)), verdict(v), ns(std::move(n)), pod(std::move(p))
	{
	}
	std::string time;
	policy::Verdict verdict;
	std::string ns, pod, container = "app", image = "registry.local/shop/web:1.4";
	std::vector<policy::Finding> findings;
	std::vector<policy::ExemptionUse> exemptions;
	std::vector<policy::OverrideUse> overrides;
	std::vector<policy::ExpiredUse> expired;
	std::string id = "c0";
	policy::Mode mode = policy::Mode::Enforce;
	policy::Verdict wouldBe = policy::Verdict::Allow;
};

/* A record as bulkhead writes it (audit::format), with containerd's CRI hints. */
std::string line(const Rec &x)
{
	policy::Decision d;
	d.verdict = x.verdict;
	d.wouldBe = x.mode == policy::Mode::Audit ? x.wouldBe : x.verdict;
	d.mode = x.mode;
	d.policyName = "restricted";
	d.policySha256 = std::string(64, 'c');
	d.policyVersion = "2025.12";
	d.patch = json::Value::array();
	d.findings = x.findings;
	d.exemptions = x.exemptions;
	d.overrides = x.overrides;
	d.expired = x.expired;
	/* what containerd-cri proves for the pod (engine.h) */
	d.facts.containerId = x.id;
	if (!x.ns.empty()) {
		d.facts.engine = engine::Kind::ContainerdCri;
		d.facts.k8sNamespace = x.ns;
		d.facts.k8sPod = x.pod;
		d.facts.k8sContainer = x.container;
		d.facts.image = x.image;
	}
	audit::Record r;
	r.command = "create";
	r.containerId = x.id;
	r.bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + x.id;
	r.subject = r.bundle + "/config.json";
	json::Value engine = json::Value::object();
	if (!x.ns.empty()) {
		engine.set("io.kubernetes.cri.container-type", json::Value::string("container"));
		engine.set("io.kubernetes.cri.sandbox-namespace", json::Value::string(x.ns));
		engine.set("io.kubernetes.cri.sandbox-name", json::Value::string(x.pod));
		engine.set("io.kubernetes.cri.container-name", json::Value::string(x.container));
		engine.set("io.kubernetes.cri.image-name", json::Value::string(x.image));
	}
	r.engine = engine;
	r.decision = &d;
	r.inputSha256 = std::string(64, 'd');
	return audit::format(r, x.time, "node1");
}

policy::Finding finding(const char *rule, policy::Action a, const char *msg,
                        const char *remedy = "")
{
	return {rule, "/process", msg, a, a, remedy};
}

/* Two namespaces; allow, mutate, deny from several rules; an exemption with
 * an expiry 10 days after kNow, one without; an expired one. */
std::string sampleLog()
{
	using policy::Action;
	using policy::Verdict;
	std::string log;
	Rec a{"2025-12-05T10:05:00.000Z", Verdict::Allow, "shop", "web-1"};
	a.id = "c1";
	log += line(a);
	Rec m{"2025-12-05T10:40:00.000Z", Verdict::Mutate, "shop", "web-1"};
	m.id = "c2";
	m.findings = {finding("P1.user", Action::Mutate, "process runs as root", "runAsUser"),
	              finding("P4.no-new-privileges", Action::Mutate, "noNewPrivileges unset")};
	m.exemptions = {{"dns", "kube-dns binds 53", "2025-12-16", {"P3.capabilities"}}};
	log += line(m);
	Rec d1{"2025-12-05T11:15:00.000Z", Verdict::Deny, "batch", "job-7"};
	d1.id = "c3";
	d1.image = "registry.local/batch/runner:2";
	d1.findings = {finding("P10.engine-socket", Action::Deny, "bind mount of /run/docker.sock",
	                       "do not mount the engine socket")};
	d1.expired = {{"exemption", "old-sock", "2025-11-30", {"P10.engine-socket"}}};
	log += line(d1);
	Rec d2{"2025-12-05T12:30:00.000Z", Verdict::Deny, "batch", "job-8"};
	d2.id = "c4";
	d2.image = "registry.local/batch/runner:2";
	d2.findings = {finding("P0.privileged", Action::Deny, "privileged shape"),
	               finding("P1.user", Action::Mutate, "process runs as root", "runAsUser")};
	d2.overrides = {{"big-memory", "batch jobs", "", {"P6.memory"}}};
	log += line(d2);
	Rec plain{"2025-12-05T12:45:00.000Z", Verdict::Allow, "", ""};
	plain.id = "docker-1";
	log += line(plain);
	return log;
}

report::Options opts()
{
	report::Options o;
	o.nowMs = kNow;
	return o;
}

Aggregator aggregate(const std::string &log, report::Options o = opts())
{
	Aggregator agg(o);
	agg.file("log");
	uint64_t n = 0;
	for (const auto &l : test::lines(log))
		agg.line(l, "log", ++n);
	return agg;
}

const json::Value &at(const json::Value &v, std::string_view key)
{
	const json::Value *m = v.find(key);
	INFO("member " << key);
	REQUIRE(m != nullptr);
	return *m;
}

std::string text(const json::Value &v, std::string_view key)
{
	const json::Value &m = at(v, key);
	REQUIRE(m.isString());
	return m.asString();
}

/* The SARIF 2.1.0 shape (sarif-schema-2.1.0.json) for what bulkhead writes. */
void checkSarif(const json::Value &log)
{
	REQUIRE(log.isObject());
	CHECK(text(log, "version") == "2.1.0");
	CHECK(text(log, "$schema").find("sarif-schema-2.1.0") != std::string::npos);
	const auto &runs = at(log, "runs");
	REQUIRE(runs.isArray());
	REQUIRE(runs.items().size() == 1);
	const json::Value &run = runs.items()[0];
	const json::Value &driver = at(at(run, "tool"), "driver");
	CHECK(text(driver, "name") == "bulkhead");
	const auto &rules = at(driver, "rules");
	REQUIRE(rules.isArray());
	REQUIRE(!rules.items().empty());
	std::set<std::string> ruleIds;
	std::map<std::string, std::set<std::string>> taxa;
	for (const auto &tax : at(run, "taxonomies").items()) {
		const std::string name = text(tax, "name");
		for (const auto &t : at(tax, "taxa").items())
			CHECK(taxa[name].insert(text(t, "id")).second); /* ids unique */
	}
	for (const auto &r : rules.items()) {
		CHECK(ruleIds.insert(text(r, "id")).second);
		CHECK(!text(at(r, "shortDescription"), "text").empty());
		if (const json::Value *rel = r.find("relationships"))
			for (const auto &x : rel->items()) {
				const json::Value &target = at(x, "target");
				const std::string comp = text(at(target, "toolComponent"), "name");
				INFO("relationship " << text(target, "id") << " in " << comp);
				CHECK(taxa[comp].count(text(target, "id")) == 1);
			}
	}
	const std::set<std::string> levels = {"none", "note", "warning", "error"};
	for (const auto &res : at(run, "results").items()) {
		const std::string id = text(res, "ruleId");
		CHECK(levels.count(text(res, "level")) == 1);
		CHECK(!text(at(res, "message"), "text").empty());
		if (const json::Value *idx = res.find("ruleIndex")) {
			auto i = idx->asInt64().value_or(-1);
			REQUIRE(i >= 0);
			REQUIRE(static_cast<size_t>(i) < rules.items().size());
			CHECK(text(rules.items()[static_cast<size_t>(i)], "id") == id);
		}
		if (const json::Value *n = res.find("occurrenceCount"))
			CHECK(n->asInt64().value_or(0) >= 1);
		for (const auto &loc : at(res, "locations").items()) {
			if (const json::Value *phys = loc.find("physicalLocation")) {
				CHECK(!text(at(*phys, "artifactLocation"), "uri").empty());
				if (const json::Value *region = phys->find("region")) {
					CHECK(at(*region, "startLine").asInt64().value_or(0) >= 1);
					CHECK(at(*region, "startColumn").asInt64().value_or(0) >=
					      1);
				}
			}
			for (const auto &l : at(loc, "logicalLocations").items())
				CHECK(text(l, "fullyQualifiedName").starts_with("/"));
		}
	}
	const auto &inv = at(run, "invocations");
	REQUIRE(inv.items().size() == 1);
	CHECK(at(inv.items()[0], "executionSuccessful").isBool());
	for (const auto &n : at(inv.items()[0], "toolExecutionNotifications").items())
		CHECK(levels.count(text(n, "level")) == 1);
}

} // namespace

TEST_CASE("subjectOf reads the engine facts, and older records' annotations", "[report]")
{
	json::Value rec = json::parse(
	        line(Rec{"2025-12-05T10:05:00Z", policy::Verdict::Allow, "shop", "web-1"}), "r");
	auto s = report::subjectOf(rec);
	CHECK(s.engine == "containerd-cri");
	CHECK(s.k8sNamespace == "shop");
	CHECK(s.k8sPod == "web-1");
	CHECK(s.k8sContainer == "app");
	CHECK(s.image == "registry.local/shop/web:1.4");

	json::Value crio = json::parse(
	        R"({"engine":{"io.kubernetes.cri-o.ImageName":"busybox:1","io.kubernetes.pod.namespace":"ns1",
	            "io.kubernetes.pod.name":"p1","io.kubernetes.container.name":"c1"}})",
	        "r");
	s = report::subjectOf(crio);
	CHECK(s.engine == "crio");
	CHECK(s.k8sNamespace == "ns1");
	CHECK(s.k8sPod == "p1");
	CHECK(s.k8sContainer == "c1");
	CHECK(s.image == "busybox:1");

	json::Value facts = json::parse(
	        R"({"engine":{"io.kubernetes.cri.sandbox-namespace":"claimed"},
	            "facts":{"engine":"containerd-cri","k8s":{"namespace":"proven","pod":"p","container":"c"},
	            "image":"img@sha256:1"}})",
	        "r");
	s = report::subjectOf(facts);
	CHECK(s.k8sNamespace == "proven");
	CHECK(s.k8sPod == "p");
	CHECK(s.image == "img@sha256:1");
	/* a record whose engine proved nothing names no namespace, whatever the
	 * annotations claim */
	json::Value unproven = json::parse(
	        R"({"engine":{"io.kubernetes.cri.sandbox-namespace":"claimed"},
	            "facts":{"engine":null,"k8s":{"namespace":null}}})",
	        "r");
	CHECK(report::subjectOf(unproven).k8sNamespace.empty());

	json::Value docker = json::parse(
	        R"({"bundle":"/run/containerd/io.containerd.runtime.v2.task/moby/abc","engine":{}})",
	        "r");
	CHECK(report::subjectOf(docker).engine == "docker");
	CHECK(report::subjectOf(json::parse(R"({"facts":{"engine":"podman"}})", "r")).engine ==
	      "podman");
}

TEST_CASE("times: RFC 3339, dates and ages", "[report]")
{
	CHECK(report::parseRfc3339("2025-12-06T00:00:00Z") == kNow);
	CHECK(report::parseRfc3339("2025-12-06T00:00:00.250Z") == kNow + 250);
	CHECK(report::parseRfc3339("2025-12-06T01:00:00+01:00") == kNow);
	CHECK(!report::parseRfc3339("2025-12-06T00:00:00"));
	CHECK(!report::parseRfc3339("2025-12-06"));
	CHECK(!report::parseRfc3339("2025-13-06T00:00:00Z"));
	CHECK(report::parseWhen("2025-12-06", 0) == kNow);
	CHECK(report::parseWhen("24h", kNow) == kNow - 24 * 3600 * 1000LL);
	CHECK(report::parseWhen("7d", kNow) == kNow - 7 * 24 * 3600 * 1000LL);
	CHECK(!report::parseWhen("7x", kNow));
	CHECK(!report::parseWhen("d", kNow));
	CHECK(report::formatTime(kNow + 999) == "2025-12-06T00:00:00Z");
}

TEST_CASE("aggregation: verdicts, rules, who, time, findings, exemptions", "[report]")
{
	std::string log = sampleLog();
	log += "{\"time\":\"2025-12-05T13:00:00.000Z\",\"host\":\"node1\",\"pi\n"; /* torn */
	log += "garbage\n";
	log += "{\"hello\":\"world\"}\n"; /* JSON, not a record */
	log += "\n";                      /* blank: ignored */
	Aggregator agg = aggregate(log);
	const auto &a = agg.result();
	CHECK(a.records == 5);
	CHECK(a.badLines == 3);
	REQUIRE(a.bad.size() == 3);
	CHECK(a.bad[0].line == 6);
	CHECK(a.bad[0].why.find("torn") != std::string::npos);
	CHECK(a.bad[2].why.find("not an audit record") != std::string::npos);
	CHECK(a.verdicts.allow == 2);
	CHECK(a.verdicts.mutate == 1);
	CHECK(a.verdicts.deny == 2);
	CHECK(a.verdicts.total() == 5);
	CHECK(report::formatTime(a.firstMs) == "2025-12-05T10:05:00Z");
	CHECK(report::formatTime(a.lastMs) == "2025-12-05T12:45:00Z");

	CHECK(a.rules.at("P1.user").mutate == 2);
	CHECK(a.rules.at("P10.engine-socket").deny == 1);
	CHECK(a.rules.at("P0.privileged").deny == 1);
	CHECK(a.rules.at("P4.no-new-privileges").mutate == 1);
	CHECK(a.engines.at("containerd-cri").total() == 5);
	CHECK(a.namespaces.at("shop").total() == 2);
	CHECK(a.namespaces.at("batch").deny == 2);
	CHECK(a.namespaces.size() == 2);
	CHECK(a.pods.at("batch/job-7").deny == 1);
	CHECK(a.images.at("registry.local/batch/runner:2").total() == 2);
	CHECK(a.containers.at("shop/web-1/app").total() == 2);
	CHECK(a.containers.at("docker-1").allow == 1);
	CHECK(a.policies.begin()->first == "restricted 2025.12 sha256:cccccccccccc");

	/* hours 10, 11, 12 */
	REQUIRE(a.hours.size() == 3);
	CHECK(a.hours.begin()->second.total() == 2);
	int64_t width = 0;
	auto bs = report::buckets(a, &width);
	CHECK(std::string(report::bucketName(width)) == "hour");
	REQUIRE(bs.size() == 3);
	CHECK(bs[2].counts.deny == 1);
	CHECK(bs[2].counts.allow == 1);

	/* P1.user found twice with the same message: one group of 2 */
	const report::FindingGroup *user = nullptr;
	for (const auto &[k, g] : a.groups)
		if (g.rule == "P1.user")
			user = &g;
	REQUIRE(user != nullptr);
	CHECK(user->count == 2);
	CHECK(user->remedy == "runAsUser");
	CHECK(user->example == "c4 (batch/job-8)");
	REQUIRE(a.requests.size() == 3); /* the mutate and the two denials */
	CHECK(a.requests.back().containerId == "c4");
	CHECK(a.requests.back().findings.size() == 2);

	REQUIRE(a.uses.size() == 2);
	const report::Use &dns = a.uses.at("exemption\ndns");
	CHECK(dns.expires == std::optional<std::string>("2025-12-16"));
	CHECK(dns.rules == std::vector<std::string>{"P3.capabilities"});
	const report::Use &big = a.uses.at("override\nbig-memory");
	CHECK(!big.expires); /* null in the record: no expiry */
	int64_t left = 0;
	CHECK(report::expiringSoon(dns, agg.options(), &left));
	CHECK(left == 10);
	CHECK(!report::expiringSoon(big, agg.options(), nullptr));
	REQUIRE(a.expired.size() == 1);
	CHECK(a.expired.begin()->second.name == "old-sock");
	CHECK(a.expired.begin()->second.count == 1);

	REQUIRE(a.k8s.size() == 2);
	CHECK(a.k8s.at("batch").at("job-8").findings.at({"P0.privileged", "deny"}) == 1);
}

TEST_CASE("aggregation: the window, the detail limit and the key cap", "[report]")
{
	report::Options o = opts();
	o.sinceMs = report::parseRfc3339("2025-12-05T11:00:00Z");
	o.untilMs = report::parseRfc3339("2025-12-05T12:40:00Z");
	o.limit = 1;
	const Aggregator windowed = aggregate(sampleLog(), o);
	const auto &a = windowed.result();
	CHECK(a.records == 2);
	CHECK(a.outside == 3);
	CHECK(a.verdicts.deny == 2);
	REQUIRE(a.requests.size() == 1);
	CHECK(a.requests[0].containerId == "c4");

	report::Options cap = opts();
	cap.maxKeys = 2;
	const Aggregator capped = aggregate(sampleLog(), cap);
	const auto &b = capped.result();
	CHECK(b.pods.size() == 3); /* two names and (other) */
	CHECK(b.pods.at("(other)").total() == 1);
}

TEST_CASE("reading: plain, gzip'ed and rotated logs; a torn last line", "[report]")
{
	TempDir dir;
	const std::string log = sampleLog();
	const auto lines = test::lines(log);
	const std::string base = dir.path + "/audit.jsonl";
	dir.write("audit.jsonl", lines[4] + "\n" + "{\"time\":\"2025"); /* no newline: torn */
	dir.write("audit.jsonl.1", lines[2] + "\n" + lines[3] + "\n");
	gzFile gz = ::gzopen((base + ".2.gz").c_str(), "wb");
	REQUIRE(gz != nullptr);
	const std::string oldest = lines[0] + "\n" + lines[1] + "\n";
	REQUIRE(::gzwrite(gz, oldest.data(), static_cast<unsigned>(oldest.size())) ==
	        static_cast<int>(oldest.size()));
	REQUIRE(::gzclose(gz) == Z_OK);
	dir.write("audit.jsonl.4.gz", "not reached: .3 is missing");

	auto files = report::rotatedLogs(base);
	REQUIRE(files == std::vector<std::string>{base + ".2.gz", base + ".1", base});
	Aggregator agg(opts());
	for (const auto &f : files)
		report::readLog(f, agg);
	const auto &a = agg.result();
	CHECK(a.records == 5);
	CHECK(a.badLines == 1);
	CHECK(a.verdicts.deny == 2);
	CHECK(a.files.size() == 3);

	/* a log that is not a regular file is refused, as is a missing one */
	CHECK_THROWS_WITH(report::readLog(dir.path, agg), Catch::Contains("not a regular file"));
	CHECK_THROWS(report::readLog(dir.path + "/missing", agg));
	CHECK(report::rotatedLogs(dir.path + "/none") ==
	      std::vector<std::string>{dir.path + "/none"});
}

TEST_CASE("text: aligned, colour only when asked", "[report]")
{
	Aggregator agg = aggregate(sampleLog());
	std::string out;
	Output o(out);
	report::writeText(agg.result(), agg.options(), o, false);
	CHECK(out.find('\033') == std::string::npos);
	CHECK(out.find("5 decisions from 2025-12-05T10:05:00Z to 2025-12-05T12:45:00Z") !=
	      std::string::npos);
	CHECK(out.find("P10.engine-socket") != std::string::npos);
	CHECK(out.find("CIS-Docker 5.31") != std::string::npos);
	CHECK(out.find("fix: do not mount the engine socket") != std::string::npos);
	CHECK(out.find("exemption dns until 2025-12-16 (10 days left)") != std::string::npos);
	CHECK(out.find("old-sock") != std::string::npos);
	/* the rule table's columns line up */
	size_t col = std::string::npos;
	for (const auto &l : test::lines(out)) {
		if (!l.starts_with("  P") || l.find("  CIS") == std::string::npos)
			continue;
		size_t c = l.find("  CIS");
		if (col == std::string::npos)
			col = c;
		CHECK(c == col);
	}
	CHECK(col != std::string::npos);
	std::string coloured;
	Output c(coloured);
	report::writeText(agg.result(), agg.options(), c, true);
	CHECK(coloured.find("\033[") != std::string::npos);
}

TEST_CASE("json: every aggregate", "[report]")
{
	Aggregator agg = aggregate(sampleLog());
	std::string out;
	Output o(out);
	report::writeJson(agg.result(), agg.options(), o);
	json::Value doc = json::parse(out, "json");
	CHECK(at(doc, "records").asInt64() == 5);
	CHECK(at(at(doc, "verdicts"), "deny").asInt64() == 2);
	CHECK(text(at(doc, "overTime"), "bucket") == "hour");
	CHECK(at(at(doc, "overTime"), "buckets").items().size() == 3);
	CHECK(at(doc, "namespaces").items().size() == 2);
	CHECK(text(at(doc, "rules").items().at(0), "rule") == "P1.user");
	CHECK(text(at(doc, "rules").items().at(0), "cis") == "4.1");
	const auto &soon = at(doc, "expiringSoon").items();
	REQUIRE(soon.size() == 1);
	CHECK(at(soon[0], "daysLeft").asInt64() == 10);
	CHECK(at(doc, "expired").items().size() == 1);
	bool nullExpiry = false;
	for (const auto &u : at(doc, "exemptionsAndOverrides").items())
		nullExpiry = nullExpiry || at(u, "expires").isNull();
	CHECK(nullExpiry);
}

TEST_CASE("html: self-contained, the bars carry the counts", "[report]")
{
	Aggregator agg = aggregate(sampleLog());
	std::string out;
	Output o(out);
	report::writeHtml(agg.result(), agg.options(), o);
	CHECK(out.starts_with("<!DOCTYPE html>"));
	CHECK(out.find("<svg id=\"chart-time\"") != std::string::npos);
	CHECK(out.find("<svg id=\"chart-rules\"") != std::string::npos);
	/* nothing fetched from the network */
	CHECK(out.find("src=") == std::string::npos);
	CHECK(out.find("<link") == std::string::npos);
	CHECK(out.find("@import") == std::string::npos);
	CHECK(out.find("url(") == std::string::npos);
	CHECK(out.find("data-bucket=\"2025-12-05T12:00\" data-verdict=\"deny\" data-count=\"1\"") !=
	      std::string::npos);
	CHECK(out.find("data-rule=\"P1.user\" data-action=\"mutate\" data-count=\"2\"") !=
	      std::string::npos);
	/* what comes from the log is escaped */
	Rec evil{"2025-12-05T10:05:00.000Z", policy::Verdict::Deny, "<script>", "p"};
	evil.findings = {finding("P1.user", policy::Action::Deny, "<img onerror=x>")};
	Aggregator e = aggregate(line(evil));
	std::string page;
	Output p(page);
	report::writeHtml(e.result(), e.options(), p);
	CHECK(page.find("<script>") == std::string::npos);
	CHECK(page.find("<img") == std::string::npos);
	CHECK(page.find("&lt;img onerror=x&gt;") != std::string::npos);
}

TEST_CASE("sarif: the audit log's findings in the 2.1.0 shape", "[report][sarif]")
{
	Aggregator agg = aggregate(sampleLog() + "garbage\n");
	std::string out;
	Output o(out);
	report::writeSarif(agg.result(), agg.options(), o);
	json::Value log = json::parse(out, "sarif");
	checkSarif(log);
	const json::Value &run = at(log, "runs").items()[0];
	const auto &results = at(run, "results").items();
	REQUIRE(results.size() == 4);
	CHECK(text(results[0], "level") == "error"); /* denials first */
	bool user = false;
	for (const auto &r : results)
		if (text(r, "ruleId") == "P1.user") {
			user = true;
			CHECK(at(r, "occurrenceCount").asInt64() == 2);
			CHECK(text(r, "level") == "warning");
			CHECK(text(at(r, "properties"), "pss") == "restricted/running-as-non-root");
		}
	CHECK(user);
	CHECK(at(at(run, "invocations").items()[0], "toolExecutionNotifications").items().size() ==
	      1);
}

TEST_CASE("sarif: policy check --format sarif in the 2.1.0 shape", "[report][sarif]")
{
	const std::string data = test::env("BULKHEAD_TEST_DATA");
	std::string out, err;
	int rc = offline::policyMain(
	        {"check", "--format", "sarif", "--policy",
	         test::env("BULKHEAD_SOURCE_ROOT") + "/policies/restricted.json",
	         data + "/docker-20.10-default.json", data + "/docker-20.10-hostns-socket.json",
	         data + "/missing.json"},
	        out, err, false);
	CHECK(rc == 2); /* the missing file */
	json::Value log = json::parse(out, "sarif");
	checkSarif(log);
	const json::Value &run = at(log, "runs").items()[0];
	CHECK(!at(at(run, "invocations").items()[0], "executionSuccessful").asBool());
	bool socket = false;
	for (const auto &r : at(run, "results").items()) {
		const auto &phys = at(at(r, "locations").items().at(0), "physicalLocation");
		CHECK(text(at(phys, "artifactLocation"), "uri").starts_with("file:///"));
		if (text(r, "ruleId") == "P10.engine-socket") {
			socket = true;
			CHECK(text(r, "level") == "error");
		}
	}
	CHECK(socket);
}

TEST_CASE("sarif: policy check places a finding at its value's line and column", "[report][sarif]")
{
	const std::string spec = test::env("BULKHEAD_TEST_DATA") + "/runc-spec-default.json";
	std::string out, err;
	offline::policyMain({"check", "--format", "sarif", "--policy",
	                     test::env("BULKHEAD_SOURCE_ROOT") + "/policies/restricted.json", spec},
	                    out, err, false);
	json::Value log = json::parse(out, "sarif");
	const auto lines = test::lines(test::slurp(spec));
	size_t placed = 0;
	for (const auto &r : at(at(log, "runs").items()[0], "results").items()) {
		const auto &loc = at(r, "locations").items().at(0);
		if (text(at(loc, "logicalLocations").items().at(0), "fullyQualifiedName") !=
		    "/process/user/uid")
			continue;
		const auto &region = at(at(loc, "physicalLocation"), "region");
		auto line = static_cast<size_t>(at(region, "startLine").asInt64().value_or(0));
		auto col = static_cast<size_t>(at(region, "startColumn").asInt64().value_or(0));
		REQUIRE(line >= 1);
		REQUIRE(line <= lines.size());
		INFO("line " << line << ": " << lines[line - 1]);
		CHECK(lines[line - 1].find("\"uid\"") != std::string::npos);
		REQUIRE(col >= 1);
		CHECK(lines[line - 1].substr(col - 1, 1) == "0"); /* the value, uid 0 */
		placed++;
	}
	CHECK(placed == 1);
}

TEST_CASE("policyreport: one wgpolicyk8s.io/v1alpha2 PolicyReport per namespace", "[report]")
{
	Aggregator agg = aggregate(sampleLog());
	std::string out;
	Output o(out);
	report::writePolicyReport(agg.result(), agg.options(), o);
	json::Value list = json::parse(out, "policyreport");
	CHECK(text(list, "apiVersion") == "v1");
	CHECK(text(list, "kind") == "List");
	const auto &items = at(list, "items").items();
	REQUIRE(items.size() == 2); /* the record without a namespace is left out */
	const std::set<std::string> results = {"pass", "fail", "warn", "error", "skip"};
	const std::set<std::string> severities = {"critical", "high", "medium", "low", "info"};
	std::map<std::string, std::map<std::string, int64_t>> byNs;
	for (const auto &rep : items) {
		CHECK(text(rep, "apiVersion") == "wgpolicyk8s.io/v1alpha2");
		CHECK(text(rep, "kind") == "PolicyReport");
		const std::string ns = text(at(rep, "metadata"), "namespace");
		CHECK(!text(at(rep, "metadata"), "name").empty());
		std::map<std::string, int64_t> counted;
		for (const auto &r : at(rep, "results").items()) {
			CHECK(results.count(text(r, "result")) == 1);
			CHECK(severities.count(text(r, "severity")) == 1);
			CHECK(text(r, "source") == "bulkhead");
			CHECK(text(r, "policy") == "restricted");
			CHECK(!text(r, "rule").empty());
			const auto &res = at(r, "resources").items();
			REQUIRE(res.size() == 1);
			CHECK(text(res[0], "kind") == "Pod");
			CHECK(text(res[0], "namespace") == ns);
			CHECK(at(at(r, "timestamp"), "seconds").isNumber());
			for (const auto &[k, v] : at(r, "properties").members())
				CHECK(v.isString()); /* properties: map[string]string */
			counted[text(r, "result")]++;
		}
		for (const auto &key : results)
			CHECK(at(at(rep, "summary"), key).asInt64() == counted[key]);
		byNs[ns] = counted;
	}
	CHECK(byNs["batch"]["fail"] == 2);
	CHECK(byNs["batch"]["pass"] == 1); /* P1.user fixed */
	CHECK(byNs["shop"]["pass"] == 2);  /* P1.user and P4 fixed; web-1 also allowed clean */
}

TEST_CASE("auditMain: logs, window, formats, errors", "[report]")
{
	TempDir dir;
	const std::string log = dir.write("audit.jsonl", sampleLog() + "torn{\n");
	std::string out, err;
	CHECK(report::auditMain({"--format", "json", "--since", "2025-12-05T11:00:00Z", log}, out,
	                        err, false) == 0);
	json::Value doc = json::parse(out, "json");
	CHECK(at(doc, "records").asInt64() == 3);
	CHECK(at(doc, "badLines").asInt64() == 1);
	CHECK(err.find("1 bad line") != std::string::npos);
	for (const char *fmt : {"text", "html", "sarif", "policyreport"}) {
		std::string o2, e2;
		CHECK(report::auditMain({"--format=" + std::string(fmt), log}, o2, e2, false) == 0);
		CHECK(!o2.empty());
	}
	std::string o3, e3;
	CHECK(report::auditMain({"--format", "xml", log}, o3, e3, false) == 2);
	CHECK(e3.find("--format must be") != std::string::npos);
	CHECK(report::auditMain({"--since", "yesterday", log}, o3, e3, false) == 2);
	CHECK(report::auditMain({"--since", "2025-12-06", "--until", "2025-12-05", log}, o3, e3,
	                        false) == 2);
	CHECK(report::auditMain({dir.path + "/missing"}, o3, e3, false) == 2);
	CHECK(e3.find("audit: ") != std::string::npos);
	std::string o4, e4;
	CHECK(report::auditMain({"--help"}, o4, e4, false) == 0);
	CHECK(o4.find("policyreport") != std::string::npos);
}
