package main

// The generator loop: mutate seeds, harden each with bulkhead, and check what
// runc would act on in every document bulkhead lets through.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

type seedDoc struct {
	name string
	kind string
	id   string // the container ID its engine files name ("" none)
	tree *node
	live bool // bulkhead lets the unmutated document through
}

type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(v string) error { *f = append(*f, v); return nil }

// kindOf: the kind of a seed file, from its name.
func kindOf(name string) string {
	switch {
	case strings.Contains(name, "process"):
		return kindProcess
	case strings.Contains(name, "resources"):
		return kindResources
	}
	return kindSpec
}

var idPattern = regexp.MustCompile(`(?:/containers|/overlay-containers)/([0-9a-f]{64})/`)

func seedFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		m, _ := filepath.Glob(filepath.Join(a, "*.json"))
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

type fuzzer struct {
	bin, policy string
	work        string // the bundle directory: input, output, rootfs
	out         string
	p           params
	timeout     time.Duration

	counts    map[string]int
	byKind    map[string]int
	byRule    map[string]int
	byMut     map[string]int
	saved     int
	savedSigs map[string]int
	refused   int
}

type result struct {
	code   int
	stdout []byte
	stderr []byte
	err    error
}

// hardenArgs: policy harden --policy FILE [--kind K] [--id ID] FILE (a spec
// is the default kind: no --kind, so a bulkhead without the flag runs too).
func (f *fuzzer) hardenArgs(kind, id, file string) []string {
	args := []string{"policy", "harden", "--policy", f.policy}
	if kind != kindSpec {
		args = append(args, "--kind", kind)
	}
	if id != "" {
		args = append(args, "--id", id)
	}
	return append(args, file)
}

func (f *fuzzer) harden(kind, id string, doc []byte) result {
	in := filepath.Join(f.work, "config.json")
	if err := os.WriteFile(in, doc, 0o644); err != nil {
		return result{code: -1, err: err}
	}
	args := f.hardenArgs(kind, id, in)
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, args...)
	cmd.Dir = f.work
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.Bytes(), stderr: se.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		r.code = ee.ExitCode()
	default:
		r.code, r.err = -1, err
	}
	if ctx.Err() != nil {
		r.code, r.err = -1, fmt.Errorf("timed out after %v", f.timeout)
	}
	return r
}

// hasKind: bulkhead's policy harden takes --kind kind (a usage error says
// which option it does not know).
func (f *fuzzer) hasKind(kind string) bool {
	r := f.harden(kind, "", []byte("{}"))
	return !(r.code == 2 && bytes.Contains(r.stderr, []byte("--kind")) &&
		bytes.Contains(r.stderr, []byte("option")))
}

// judge: decode bulkhead's output as runc would and check it.
func (f *fuzzer) judge(kind, id string, out []byte) ([]string, error) {
	hardened := filepath.Join(f.work, "hardened.json")
	if err := os.WriteFile(hardened, out, 0o644); err != nil {
		return nil, err
	}
	d, err := decodeFile(kind, hardened)
	if err != nil {
		return nil, err
	}
	c := checker{p: f.p, bundle: f.work, id: id}
	return c.check(d), nil
}

var digits = regexp.MustCompile(`[0-9]+`)

// save: the input, bulkhead's output and what went wrong, at most 5 per kind
// of failure and 200 in all.
func (f *fuzzer) save(tag, kind string, doc []byte, r result, why []string, muts []string, argsNote string) {
	sig := tag
	if len(why) > 0 {
		sig += digits.ReplaceAllString(why[0], "N")
	}
	if f.savedSigs[sig] >= 5 || f.saved >= 200 {
		return
	}
	if f.out == "" {
		d, err := os.MkdirTemp("", "oracle-failures.")
		if err != nil {
			return
		}
		f.out = d
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return
	}
	f.savedSigs[sig]++
	f.saved++
	base := filepath.Join(f.out, fmt.Sprintf("%s-%03d-%s", tag, f.saved, kind))
	os.WriteFile(base+".input.json", doc, 0o644)
	if r.stdout != nil {
		os.WriteFile(base+".output.json", r.stdout, 0o644)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kind: %s\n%s\nmutations:\n", kind, argsNote)
	for _, m := range muts {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	fmt.Fprintf(&b, "bulkhead exit %d, stderr:\n%s\n", r.code, r.stderr)
	if len(why) > 0 {
		fmt.Fprintf(&b, "what runc would act on violates:\n")
		for _, w := range why {
			fmt.Fprintf(&b, "  %s\n", w)
		}
	}
	os.WriteFile(base+".txt", []byte(b.String()), 0o644)
}

// prepare: the seeds, and for specs the variants bulkhead can let through on
// this machine (a rootfs in the work directory instead of the engine's,
// without the engine's hook, without namespace paths).
func (f *fuzzer) prepare(files []string, kinds map[string]bool) []*seedDoc {
	var seeds []*seedDoc
	for _, file := range files {
		kind := kindOf(filepath.Base(file))
		if !kinds[kind] {
			continue
		}
		if kind != kindSpec && !f.hasKind(kind) {
			fmt.Printf("oracle fuzz: %s has no `policy harden --kind %s`: %s documents skipped\n",
				f.bin, kind, kind)
			kinds[kind] = false
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "oracle fuzz: %v\n", err)
			continue
		}
		t, err := parseTree(raw)
		if err != nil || t.kind != 'o' {
			fmt.Fprintf(os.Stderr, "oracle fuzz: %s: not a JSON object, skipped\n", file)
			continue
		}
		id := ""
		if m := idPattern.FindSubmatch(raw); m != nil {
			id = string(m[1])
		}
		name := filepath.Base(file)
		variants := []*seedDoc{{name: name, kind: kind, id: id, tree: t}}
		if kind == kindSpec {
			v := t.copy()
			if root := v.get("root"); root != nil && root.kind == 'o' {
				root.set("path", scalar(`"rootfs"`))
			}
			variants = append(variants, &seedDoc{name: name + "+rootfs", kind: kind, id: id, tree: v})
			v = v.copy()
			v.del("hooks")
			variants = append(variants, &seedDoc{name: name + "+rootfs-hooks", kind: kind, id: id, tree: v})
			v = v.copy()
			if l := v.get("linux"); l != nil && l.kind == 'o' {
				if ns := l.get("namespaces"); ns != nil && ns.kind == 'a' {
					for _, e := range ns.kids {
						if e.kind == 'o' {
							e.del("path")
						}
					}
				}
			}
			variants = append(variants, &seedDoc{name: name + "+rootfs-hooks-nspaths", kind: kind, id: id, tree: v})
		}
		anyLive := false
		seen := map[string]bool{}
		for _, v := range variants {
			text := string(v.tree.bytes())
			if seen[text] {
				continue
			}
			seen[text] = true
			r := f.harden(kind, id, v.tree.bytes())
			v.live = r.code == 0
			if v.live {
				anyLive = true
				seeds = append(seeds, v)
			}
		}
		if !anyLive {
			seeds = append(seeds, variants[0])
		}
	}
	return seeds
}

func cmdFuzz(args []string) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	bin := fs.String("bulkhead", "", "the bulkhead binary")
	policy := fs.String("policy", "", "the policy file (restricted.json)")
	seconds := fs.Float64("seconds", 45, "how long to run")
	iterations := fs.Int("iterations", 0, "stop after this many documents (0: no bound)")
	out := fs.String("out", "", "directory for failing inputs and outputs")
	randSeed := fs.Int64("rand-seed", 1, "seed of the generator (runs are deterministic per seed)")
	kindList := fs.String("kinds", "spec,process,resources", "kinds of document to fuzz")
	var seedArgs multiFlag
	fs.Var(&seedArgs, "seed", "a seed document, or a directory of *.json (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *bin == "" || *policy == "" || len(seedArgs) == 0 || fs.NArg() != 0 {
		return die("fuzz: -bulkhead BIN, -policy FILE and at least one -seed are required")
	}
	kinds := map[string]bool{}
	for _, k := range strings.Split(*kindList, ",") {
		if !validKind(k) {
			return die("fuzz: unknown kind %q in -kinds", k)
		}
		kinds[k] = true
	}
	p, err := loadParams(*policy)
	if err != nil {
		return die("%v", err)
	}
	files, err := seedFiles(seedArgs)
	if err != nil {
		return die("fuzz: %v", err)
	}
	absPolicy, _ := filepath.Abs(*policy)
	absBin, _ := filepath.Abs(*bin)
	if !strings.Contains(*bin, "/") {
		absBin = *bin
	}
	work, err := os.MkdirTemp("", "oracle-fuzz.")
	if err != nil {
		return die("fuzz: %v", err)
	}
	defer os.RemoveAll(work)
	// a bundle a mapped root can use: traversable, with a rootfs and the
	// mount points a user namespace cannot create
	os.Chmod(work, 0o755)
	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "var/tmp", "etc", "bin"} {
		os.MkdirAll(filepath.Join(work, "rootfs", d), 0o755)
	}
	f := &fuzzer{bin: absBin, policy: absPolicy, work: work, out: *out, p: p,
		timeout: 20 * time.Second, counts: map[string]int{}, byKind: map[string]int{},
		byRule: map[string]int{}, byMut: map[string]int{}, savedSigs: map[string]int{}}

	start := time.Now()
	seeds := f.prepare(files, kinds)
	if len(seeds) == 0 {
		return die("fuzz: no usable seed of kinds %s", *kindList)
	}
	var live []*seedDoc
	for _, s := range seeds {
		if s.live {
			live = append(live, s)
		}
	}
	fmt.Printf("oracle fuzz: %d seeds (%d that bulkhead lets through unmutated), rand-seed %d\n",
		len(seeds), len(live), *randSeed)
	for _, s := range seeds {
		fmt.Printf("  seed %-50s %-9s live=%v\n", s.name, s.kind, s.live)
	}

	r := rand.New(rand.NewSource(*randSeed))
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	n := 0
	for ; (*iterations == 0 || n < *iterations) && time.Now().Before(deadline); n++ {
		s := seeds[r.Intn(len(seeds))]
		if len(live) > 0 && r.Float64() < 0.85 {
			s = live[r.Intn(len(live))]
		}
		doc, muts := mutate(r, s.kind, s.tree)
		f.byKind[s.kind]++
		res := f.harden(s.kind, s.id, doc)
		note := fmt.Sprintf("seed: %s\nrun: (cd BUNDLE-WITH-rootfs && %s %s)", s.name, f.bin,
			strings.Join(f.hardenArgs(s.kind, s.id, "INPUT"), " "))
		switch res.code {
		case 0:
			f.counts["exit 0"]++
			why, err := f.judge(s.kind, s.id, res.stdout)
			switch {
			case err != nil && isRefusal(err):
				f.counts["go-refused"]++
				if *out != "" {
					f.save("refused", s.kind, doc, res, []string{err.Error()}, muts, note)
				}
			case err != nil:
				return die("fuzz: %v", err)
			case len(why) > 0:
				f.counts["violations"]++
				rules := map[string]bool{}
				for _, w := range why {
					rules[strings.SplitN(w, ":", 2)[0]] = true
				}
				for r := range rules {
					f.byRule[r]++
				}
				if len(muts) > 0 {
					f.byMut[strings.Fields(muts[0])[0]]++
				}
				f.save("violation", s.kind, doc, res, why, muts, note)
			default:
				f.counts["clean"]++
			}
		case 2:
			f.counts["exit 2"]++
		case 3:
			f.counts["exit 3"]++
		default:
			f.counts["unexpected"]++
			msg := fmt.Sprintf("bulkhead exit %d", res.code)
			if res.err != nil {
				msg = res.err.Error()
			}
			f.save("unexpected", s.kind, doc, res, []string{msg}, muts, note)
		}
	}
	elapsed := time.Since(start).Seconds()
	fmt.Printf("oracle fuzz: %d documents in %.1fs (spec %d, process %d, resources %d)\n", n,
		elapsed, f.byKind[kindSpec], f.byKind[kindProcess], f.byKind[kindResources])
	fmt.Printf("  bulkhead exit 0: %d (runc's reading clean %d, violations %d, output Go refuses %d)\n",
		f.counts["exit 0"], f.counts["clean"], f.counts["violations"], f.counts["go-refused"])
	fmt.Printf("  bulkhead exit 2 (malformed): %d\n", f.counts["exit 2"])
	fmt.Printf("  bulkhead exit 3 (denied): %d\n", f.counts["exit 3"])
	fmt.Printf("  other exits, crashes, timeouts: %d\n", f.counts["unexpected"])
	if len(f.byRule) > 0 {
		fmt.Printf("  documents violating each guarantee: %s\n", tally(f.byRule))
		fmt.Printf("  first mutation of violating documents: %s\n", tally(f.byMut))
	}
	if f.saved > 0 {
		fmt.Printf("  %d examples saved in %s\n", f.saved, f.out)
	}
	failed := f.counts["violations"] + f.counts["unexpected"]
	fmt.Printf("oracle fuzz: %d passed, %d failed\n", n-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func tally(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
