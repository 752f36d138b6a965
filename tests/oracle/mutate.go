package main

// Mutations an attacker would try against a judge that reads JSON differently
// from runc: shadow keys (case variants and the U+212A/U+017F folds, raw or
// \u-escaped, before or after the real key, at any depth) carrying a
// malicious value, exact duplicates, nulls, type confusions, lone surrogates,
// NUL in paths, invalid UTF-8, deep nesting, trailing garbage, a BOM and
// comments.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"unicode"
)

// Contexts: the struct an object decodes into, named by its canonical key.
var knownKeys = map[string][]string{
	"spec":         {"ociVersion", "process", "root", "hostname", "mounts", "hooks", "annotations", "linux"},
	"process":      {"terminal", "user", "args", "env", "cwd", "capabilities", "rlimits", "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel"},
	"user":         {"uid", "gid", "umask", "additionalGids"},
	"capabilities": {"bounding", "effective", "inheritable", "permitted", "ambient"},
	"root":         {"path", "readonly"},
	"mount":        {"destination", "type", "source", "options"},
	"hooks":        {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
	"hook":         {"path", "args", "env", "timeout"},
	"linux":        {"uidMappings", "gidMappings", "sysctl", "resources", "cgroupsPath", "namespaces", "devices", "seccomp", "rootfsPropagation", "maskedPaths", "readonlyPaths", "mountLabel"},
	"resources":    {"devices", "memory", "cpu", "pids", "blockIO", "unified", "hugepageLimits"},
	"memory":       {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness"},
	"pids":         {"limit"},
	"namespace":    {"type", "path"},
	"idmap":        {"containerID", "hostID", "size"},
	"seccomp":      {"defaultAction", "architectures", "flags", "listenerPath", "syscalls"},
	"syscall":      {"names", "action", "args"},
	"devicerule":   {"allow", "type", "major", "minor", "access"},
	"device":       {"path", "type", "major", "minor"},
}

// childContext: the context of the value under key (folded) in ctx.
func childContext(ctx, key string) string {
	switch key {
	case "mounts":
		return "mount"
	case "namespaces":
		return "namespace"
	case "syscalls":
		return "syscall"
	case "prestart", "createruntime", "createcontainer", "startcontainer", "poststart", "poststop":
		if ctx == "hooks" {
			return "hook"
		}
	case "uidmappings", "gidmappings":
		return "idmap"
	case "devices":
		if ctx == "resources" {
			return "devicerule"
		}
		return "device"
	}
	return key
}

var allCaps = `["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"]`

var allCapsObject = `{"bounding":` + allCaps + `,"effective":` + allCaps + `,"inheritable":` + allCaps + `,"permitted":` + allCaps + `,"ambient":` + allCaps + `}`

const shHook = `{"path":"/bin/sh","args":["sh","-c","id > /tmp/oracle-hook-ran"]}`

// malicious: values that break a guarantee, by context and canonical key.
var malicious = map[string]map[string][]string{
	"spec": {
		"process": {`{"user":{"uid":0,"gid":0},"args":["/bin/sh"],"cwd":"/","capabilities":` + allCapsObject + `,"noNewPrivileges":false}`,
			`{"user":{"uid":0},"args":["sh"],"cwd":"/"}`},
		"root":   {`{"path":"rootfs","readonly":false}`, `{"path":"/","readonly":true}`},
		"hooks":  {`{"prestart":[` + shHook + `]}`, `{"createRuntime":[` + shHook + `]}`, `{"poststop":[` + shHook + `]}`},
		"mounts": {`[{"destination":"/host","type":"bind","source":"/","options":["rbind","rw"]}]`, `[{"destination":"/var/run/docker.sock","type":"bind","source":"/var/run/docker.sock","options":["rbind"]}]`},
		"linux":  {`{"namespaces":[{"type":"pid"},{"type":"mount"}]}`, `{}`},
	},
	"process": {
		"user":            {`{"uid":0,"gid":0}`, `{"uid":0,"gid":0,"additionalGids":[0]}`},
		"capabilities":    {`null`, allCapsObject, `{"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"],"permitted":["CAP_SYS_ADMIN"]}`},
		"noNewPrivileges": {`false`},
		"apparmorProfile": {`"unconfined"`},
		"cwd":             {`"/proc/self/fd/7"`, `"/proc/1/root"`},
	},
	"user": {
		"uid": {`0`}, "gid": {`0`}, "additionalGids": {`[0]`},
	},
	"capabilities": {
		"bounding": {allCaps}, "effective": {allCaps}, "inheritable": {allCaps},
		"permitted": {allCaps}, "ambient": {allCaps, `["CAP_SYS_ADMIN"]`},
	},
	"root": {"readonly": {`false`}, "path": {`"/"`, `"/etc"`}},
	"mount": {
		"source":  {`"/"`, `"/var/run/docker.sock"`, `"/etc"`, `"/proc/1/root"`},
		"options": {`["rbind","rw","suid","dev"]`, `["rbind","rshared"]`, `["rbind","nosuid","nodev","rsuid"]`},
		"type":    {`"bind"`},
	},
	"hooks": {
		"prestart": {`[` + shHook + `]`}, "createRuntime": {`[` + shHook + `]`},
		"createContainer": {`[` + shHook + `]`}, "startContainer": {`[` + shHook + `]`},
		"poststart": {`[` + shHook + `]`}, "poststop": {`[` + shHook + `]`},
	},
	"hook": {"path": {`"/bin/sh"`}, "env": {`["LD_PRELOAD=/tmp/x.so"]`}},
	"linux": {
		"seccomp":           {`null`, `{"defaultAction":"SCMP_ACT_ALLOW"}`, `{}`},
		"namespaces":        {`[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]`, `[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/proc/self/ns/net"},{"type":"user"}]`},
		"uidMappings":       {`[{"containerID":0,"hostID":0,"size":65536}]`},
		"gidMappings":       {`[{"containerID":0,"hostID":0,"size":65536}]`},
		"resources":         {`{"memory":{"limit":-1},"pids":{"limit":-1}}`, `{"unified":{"memory.max":"max","pids.max":"max"}}`, `null`},
		"maskedPaths":       {`[]`, `null`},
		"readonlyPaths":     {`[]`, `null`},
		"rootfsPropagation": {`"rshared"`},
		"devices":           {`[{"path":"/dev/sda","type":"b","major":8,"minor":0}]`},
	},
	"resources": {
		"memory":  {`{"limit":-1}`, `{"limit":-1,"swap":-1}`, `null`},
		"pids":    {`{"limit":-1}`, `{"limit":0}`, `null`},
		"unified": {`{"memory.max":"max"}`, `{"pids.max":"max"}`, `{"memory.max":"1E"}`},
		"devices": {`[{"allow":true,"access":"rwm"}]`},
	},
	"memory":     {"limit": {`-1`, `0`, `9223372036854775807`}, "swap": {`-1`}},
	"pids":       {"limit": {`-1`, `0`}},
	"namespace":  {"path": {`"/proc/self/ns/net"`, `"/proc/1/ns/net"`}, "type": {`"cgroup"`}},
	"idmap":      {"hostID": {`0`}},
	"seccomp":    {"defaultAction": {`"SCMP_ACT_ALLOW"`, `"SCMP_ACT_LOG"`, `""`}, "syscalls": {`[{"names":["mount","unshare","setns","ptrace"],"action":"SCMP_ACT_ALLOW"}]`, `null`}},
	"syscall":    {"action": {`"SCMP_ACT_ALLOW"`, `"SCMP_ACT_LOG"`}, "names": {`["mount","ptrace"]`}},
	"devicerule": {"allow": {`true`}, "major": {`null`}, "type": {`"a"`}},
}

type mutator struct {
	r    *rand.Rand
	kind string
	log  []string
}

func (m *mutator) note(format string, a ...interface{}) {
	m.log = append(m.log, fmt.Sprintf(format, a...))
}

func (m *mutator) pick(n int) int        { return m.r.Intn(n) }
func (m *mutator) chance(p float64) bool { return m.r.Float64() < p }

func (m *mutator) pickString(list []string) string { return list[m.pick(len(list))] }

// place: a node somewhere in the tree, with the context of the object it is
// (or the array element's context) and a readable path.
type place struct {
	n    *node
	ctx  string
	path string
}

func rootContext(kind string) string {
	if kind == kindSpec {
		return "spec"
	}
	return kind
}

func walk(n *node, ctx, path string, out *[]place) {
	*out = append(*out, place{n, ctx, path})
	switch n.kind {
	case 'o':
		for i, k := range n.kids {
			name := keyName(n.keys[i])
			walk(k, childContext(ctx, name), path+"/"+name, out)
		}
	case 'a':
		for i, k := range n.kids {
			walk(k, ctx, fmt.Sprintf("%s/%d", path, i), out)
		}
	}
}

func (m *mutator) places(root *node, want byte) []place {
	var all []place
	walk(root, rootContext(m.kind), "", &all)
	if want == 0 {
		return all
	}
	var out []place
	for _, p := range all {
		if p.n.kind == want {
			out = append(out, p)
		}
	}
	return out
}

// pickObject: an object, preferring those of a known context; ok false
// when an earlier mutation left none.
func (m *mutator) pickObject(root *node) (place, bool) {
	objs := m.places(root, 'o')
	if len(objs) == 0 {
		return place{}, false
	}
	var known []place
	for _, p := range objs {
		if _, ok := knownKeys[p.ctx]; ok {
			known = append(known, p)
		}
	}
	if len(known) > 0 && m.chance(0.85) {
		return known[m.pick(len(known))], true
	}
	return objs[m.pick(len(objs))], true
}

// keyVariant: another spelling of key that Go's field matching takes for
// the same field, as raw JSON text.
func (m *mutator) keyVariant(key string) string {
	runes := []rune(key)
	var out []rune
	for try := 0; try < 20; try++ {
		out = append(out[:0], runes...)
		switch m.pick(4) {
		case 0: // random case flips
			for i, r := range out {
				if m.chance(0.5) {
					if unicode.IsUpper(r) {
						out[i] = unicode.ToLower(r)
					} else {
						out[i] = unicode.ToUpper(r)
					}
				}
			}
		case 1: // Capitalised
			out[0] = unicode.ToUpper(out[0])
		case 2:
			for i, r := range out {
				out[i] = unicode.ToUpper(r)
			}
		case 3: // the Unicode folds
			for i, r := range out {
				switch {
				case (r == 'k' || r == 'K') && m.chance(0.7):
					out[i] = '\u212a'
				case (r == 's' || r == 'S') && m.chance(0.7):
					out[i] = '\u017f'
				}
			}
		}
		if string(out) != key {
			break
		}
	}
	if string(out) == key { // no letter to vary: an escaped spelling
		return m.escaped(key, 1)
	}
	return m.escaped(string(out), 0.15)
}

// escaped: s as a JSON string, non-ASCII written as \u escapes half the time
// and each ASCII letter with probability p.
func (m *mutator) escaped(s string, p float64) string {
	var b strings.Builder
	b.WriteByte('"')
	nonASCII := m.chance(0.5)
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || (r >= 0x80 && nonASCII) || (r < 0x80 && unicode.IsLetter(r) && m.chance(p)):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// badValue: a malicious value for key in ctx; for an object-valued field a
// partial object (Go merges it into the field's existing struct) or a copy of
// the real value with a malicious member; null as a last resort.
func (m *mutator) badValue(ctx, key string, real *node) *node {
	child := childContext(ctx, fold(key))
	var options []func() *node
	if vals := malicious[ctx][key]; len(vals) > 0 {
		options = append(options, func() *node { return mustTree(m.pickString(vals)) })
	}
	if sub := malicious[child]; len(sub) > 0 {
		options = append(options, func() *node {
			keys := sortedKeys(sub)
			k := m.pickString(keys)
			o := &node{kind: 'o'}
			o.set(k, mustTree(m.pickString(sub[k])))
			m.note("partial {%s: ...}", k)
			return o
		})
		if real != nil && real.kind == 'o' {
			options = append(options, func() *node {
				c := real.copy()
				keys := sortedKeys(sub)
				k := m.pickString(keys)
				c.set(k, mustTree(m.pickString(sub[k])))
				m.note("copy with %s bad", k)
				return c
			})
		}
	}
	if len(options) == 0 {
		return scalar("null")
	}
	return options[m.pick(len(options))]()
}

func sortedKeys(mp map[string][]string) []string {
	var out []string
	for k := range mp {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shadow: a second spelling of a field, before or after the real one.
func (m *mutator) shadow(root *node, exact bool) {
	pl, ok := m.pickObject(root)
	if !ok {
		return
	}
	obj := pl.n
	var key string
	known := knownKeys[pl.ctx]
	if len(obj.keys) > 0 && (len(known) == 0 || m.chance(0.5)) {
		key = unquoteKey(obj.keys[m.pick(len(obj.keys))])
	} else if len(known) > 0 {
		key = m.pickString(known)
	} else {
		key = "process"
	}
	// prefer the canonical spelling for the malicious tables
	for _, k := range known {
		if fold(k) == fold(key) {
			key = k
		}
	}
	realAt := -1
	for i, k := range obj.keys {
		if keyName(k) == fold(key) {
			realAt = i
		}
	}
	var real *node
	if realAt >= 0 {
		real = obj.kids[realAt]
	}
	raw := m.keyVariant(key)
	what := "shadow"
	if exact {
		raw = m.escaped(key, 0.2)
		what = "duplicate"
	}
	val := m.badValue(pl.ctx, key, real)
	at := len(obj.keys)
	where := "end"
	if realAt >= 0 {
		if m.chance(0.7) {
			at, where = realAt+1, "after"
		} else {
			at, where = realAt, "before"
		}
	} else if len(obj.keys) > 0 {
		at = m.pick(len(obj.keys) + 1)
		where = fmt.Sprintf("at %d", at)
	}
	obj.insert(at, raw, val)
	m.note("%s %s%s %s = %s", what, pl.path+"/", raw, where, abbreviate(val))
}

// unquoteKey: the key as decoded ("x" when it does not decode).
func unquoteKey(raw string) string {
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil || s == "" {
		return "x"
	}
	return s
}

func abbreviate(n *node) string {
	s := string(n.bytes())
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// setBad: a field set to a malicious value with its own spelling (the rules'
// own job; keeps the checker and bulkhead agreeing on the plain cases).
func (m *mutator) setBad(root *node) {
	pl, ok := m.pickObject(root)
	if !ok {
		return
	}
	vals := malicious[pl.ctx]
	if len(vals) == 0 {
		m.nullField(root)
		return
	}
	k := m.pickString(sortedKeys(vals))
	v := mustTree(m.pickString(vals[k]))
	pl.n.set(k, v)
	m.note("set %s/%s = %s", pl.path, k, abbreviate(v))
}

func (m *mutator) nullField(root *node) {
	var objs []place
	for _, p := range m.places(root, 'o') {
		if len(p.n.keys) > 0 {
			objs = append(objs, p)
		}
	}
	if len(objs) == 0 {
		return
	}
	pl := objs[m.pick(len(objs))]
	i := m.pick(len(pl.n.keys))
	pl.n.kids[i] = scalar("null")
	m.note("null %s/%s", pl.path, keyName(pl.n.keys[i]))
}

func (m *mutator) typeConfusion(root *node) {
	all := m.places(root, 0)
	if len(all) > 1 && m.chance(0.9) {
		all = all[1:] // the document itself only now and then
	}
	pl := all[m.pick(len(all))]
	n := pl.n
	old := abbreviate(n)
	switch {
	case n.kind == 'o':
		c := n.copy()
		*n = node{kind: 'a', kids: []*node{c}}
		if m.chance(0.3) {
			*n = *scalar(m.pickString([]string{`"x"`, `1`, `[]`, `true`}))
		}
	case n.kind == 'a':
		*n = *scalar(m.pickString([]string{`{}`, `"x"`, `0`, `null`}))
		if n.raw == `{}` {
			*n = node{kind: 'o'}
		}
	case n.raw == "true" || n.raw == "false":
		*n = *scalar(m.pickString([]string{`"` + n.raw + `"`, `1`, `0`, `"1"`}))
	case n.raw == "null":
		*n = *scalar(m.pickString([]string{`0`, `""`, `false`}))
		if m.chance(0.3) {
			*n = node{kind: 'o'}
		}
	case strings.HasPrefix(n.raw, `"`):
		*n = *scalar(m.pickString([]string{`0`, `["x"]`, `true`, `null`}))
	default: // a number
		v := n.raw
		*n = *scalar(m.pickString([]string{`"` + v + `"`, v + ".0", v + "e0", "-0", "-0.0",
			"4294967296", "4294967295", "1e3", "-1", "1.5", "18446744073709551616",
			"9223372036854775808", "0.0", "1E400", "00", "0x10", "+1"}))
	}
	m.note("type %s: %s -> %s", pl.path, old, abbreviate(n))
}

// strings in the tree: raw scalars (and keys) that are JSON strings.
func (m *mutator) stringRef(root *node, pathsOnly bool) (*string, string) {
	type ref struct {
		s    *string
		path string
	}
	var refs []ref
	var visit func(n *node, path string)
	visit = func(n *node, path string) {
		switch n.kind {
		case 'o':
			for i := range n.keys {
				if !pathsOnly {
					refs = append(refs, ref{&n.keys[i], path + "/key"})
				}
				visit(n.kids[i], path+"/"+keyName(n.keys[i]))
			}
		case 'a':
			for i, k := range n.kids {
				visit(k, fmt.Sprintf("%s/%d", path, i))
			}
		default:
			if strings.HasPrefix(n.raw, `"`) && (!pathsOnly || strings.HasPrefix(n.raw, `"/`)) {
				refs = append(refs, ref{&n.raw, path})
			}
		}
	}
	visit(root, "")
	if len(refs) == 0 {
		return nil, ""
	}
	r := refs[m.pick(len(refs))]
	return r.s, r.path
}

// intoString: inner inserted into a raw JSON string, after its opening quote,
// before its closing one, or after its first path component.
func (m *mutator) intoString(s *string, inner string) {
	raw := *s
	switch m.pick(3) {
	case 0:
		*s = `"` + inner + raw[1:]
	case 1:
		*s = raw[:len(raw)-1] + inner + `"`
	default:
		if i := strings.IndexByte(raw[2:], '/'); i >= 0 && !strings.Contains(raw[:i+2], `\`) {
			*s = raw[:i+2] + inner + raw[i+2:]
		} else {
			*s = raw[:len(raw)-1] + inner + `"`
		}
	}
}

func (m *mutator) loneSurrogate(root *node) {
	s, path := m.stringRef(root, false)
	if s == nil {
		return
	}
	esc := m.pickString([]string{`\ud800`, `\udc00`, `\udbff`, `\ud83d`, `\udfff\ud800`})
	m.intoString(s, esc)
	m.note("lone surrogate %s in %s", esc, path)
}

func (m *mutator) nulInPath(root *node) {
	s, path := m.stringRef(root, true)
	if s == nil {
		return
	}
	m.intoString(s, `\u0000`)
	m.note("NUL in %s", path)
}

func (m *mutator) invalidUTF8(root *node) {
	s, path := m.stringRef(root, false)
	if s == nil {
		return
	}
	b := m.pickString([]string{"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\x80"})
	m.intoString(s, b)
	m.note("invalid UTF-8 %q in %s", b, path)
}

func (m *mutator) deepNesting(root *node) {
	depth := []int{64, 999, 1000, 1001, 5000, 10000, 10001, 100000}[m.pick(8)]
	open, close := "[", "]"
	if m.chance(0.3) {
		open, close = `{"a":`, "}"
	}
	raw := strings.Repeat(open, depth) + "0" + strings.Repeat(close, depth)
	inner := scalar(raw) // written as is: the tree does not need to look inside
	pl, ok := m.pickObject(root)
	if !ok {
		return
	}
	key := quote("x-oracle-deep")
	if len(pl.n.keys) > 0 && m.chance(0.3) {
		key = m.keyVariant(unquoteKey(pl.n.keys[m.pick(len(pl.n.keys))]))
	}
	pl.n.insert(m.pick(len(pl.n.keys)+1), key, inner)
	m.note("nesting %d deep at %s/%s", depth, pl.path, key)
}

// text-level mutations of the whole document.
func (m *mutator) text(doc []byte) []byte {
	switch m.pick(4) {
	case 0:
		g := m.pickString([]string{"x", "}", "]]", `{"process":{"user":{"uid":0}}}`, " null",
			"\x00", "\n{}", `,"hooks":{"prestart":[` + shHook + `]}}`, "\xff"})
		m.note("trailing %q", g)
		return append(doc, g...)
	case 1:
		m.note("BOM")
		return append([]byte("\xef\xbb\xbf"), doc...)
	case 2:
		c := m.pickString([]string{"/* c */", "// c\n", "/**/"})
		at := structuralOffsets(doc)
		if len(at) == 0 {
			return doc
		}
		i := at[m.pick(len(at))] + 1
		m.note("comment %q at byte %d", c, i)
		return append(doc[:i:i], append([]byte(c), doc[i:]...)...)
	default:
		ws := m.pickString([]string{"\u00a0", "\f", "\v", " \t\r\n"})
		m.note("leading whitespace %q", ws)
		return append([]byte(ws), doc...)
	}
}

// structuralOffsets: offsets of { [ , : outside strings.
func structuralOffsets(doc []byte) []int {
	var out []int
	in := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if in {
			if c == '\\' {
				i++
			} else if c == '"' {
				in = false
			}
			continue
		}
		switch c {
		case '"':
			in = true
		case '{', '[', ',', ':':
			out = append(out, i)
		}
	}
	return out
}

// mutate: one to three mutations of a copy of the seed, then maybe a
// text-level one. Returns the document and what was done.
func mutate(r *rand.Rand, kind string, seed *node) ([]byte, []string) {
	m := &mutator{r: r, kind: kind}
	t := seed.copy()
	n := 1 + m.pick(3)
	for i := 0; i < n; i++ {
		switch x := m.pick(100); {
		case x < 45:
			m.shadow(t, false)
		case x < 50:
			m.shadow(t, true)
		case x < 58:
			m.setBad(t)
		case x < 66:
			m.nullField(t)
		case x < 78:
			m.typeConfusion(t)
		case x < 83:
			m.loneSurrogate(t)
		case x < 87:
			m.nulInPath(t)
		case x < 92:
			m.invalidUTF8(t)
		default:
			m.deepNesting(t)
		}
	}
	if kind == kindProcess && m.chance(0.02) {
		t = &node{kind: 'a', kids: []*node{t}}
		m.note("process as an array")
	}
	doc := t.bytes()
	if m.chance(0.12) {
		doc = m.text(doc)
	}
	return doc, m.log
}
