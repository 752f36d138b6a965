package main

// The restricted guarantees (DESIGN.md §3 P1-P12), checked on the Go structs
// runc acts on. Written for this test from the contract and from what runc
// 1.1.5 does with each field; it shares no code or reading with bulkhead's
// rules, so a document that one misreads the other still judges.

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type checker struct {
	p      params
	bundle string // directory relative bind sources resolve against (runc's cwd)
	id     string // this container's ID ("" = unknown: no per-container exception)
	out    []string
}

func (c *checker) bad(rule, format string, a ...interface{}) {
	c.out = append(c.out, rule+": "+fmt.Sprintf(format, a...))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// check runs the guarantees that apply to the kind of document.
func (c *checker) check(d *decoded) []string {
	switch d.kind {
	case kindSpec:
		c.spec(d.spec)
	case kindProcess:
		c.process(d.process)
	case kindResources:
		c.resources(d.resources, true)
	}
	return c.out
}

func (c *checker) spec(s *specs.Spec) {
	c.process(s.Process)
	// P2
	if s.Root == nil {
		c.bad("P2", "no root")
	} else {
		if !s.Root.Readonly {
			c.bad("P2", "root filesystem is writable (root.readonly is false)")
		}
		c.rootPath(s.Root.Path)
	}
	l := s.Linux
	if l == nil {
		l = &specs.Linux{} // each guarantee below says what is missing
	}
	c.userns(l)
	if l.Resources == nil {
		c.bad("P6", "no linux.resources: no memory or pids limit")
	} else {
		c.resources(l.Resources, false)
	}
	c.seccomp(l.Seccomp)
	c.namespaces(l.Namespaces)
	c.paths("maskedPaths", l.MaskedPaths, c.p.masked)
	c.paths("readonlyPaths", l.ReadonlyPaths, c.p.readonly)
	if l.RootfsPropagation == "shared" || l.RootfsPropagation == "rshared" {
		c.bad("P10", "linux.rootfsPropagation is %s", l.RootfsPropagation)
	}
	for i, m := range s.Mounts {
		c.mount(i, m)
	}
	if l.Resources != nil {
		c.deviceRules(l.Resources.Devices)
	}
	c.deviceNodes(l.Devices)
	c.hooks(s.Hooks)
}

// ---- P1, P3, P4, AppArmor, cwd ----

func (c *checker) process(p *specs.Process) {
	if p == nil {
		c.bad("P1", "no process")
		return
	}
	if p.User.UID == 0 {
		c.bad("P1", "process.user.uid is 0 (root)")
	}
	if p.User.GID == 0 {
		c.bad("P1", "process.user.gid is 0 (root group)")
	}
	for i, g := range p.User.AdditionalGids {
		if g == 0 {
			c.bad("P1", "process.user.additionalGids[%d] is 0 (root group)", i)
		}
	}
	if p.Capabilities == nil {
		c.bad("P3", "process.capabilities is absent or null: the process keeps every capability")
	} else {
		caps := p.Capabilities
		for _, set := range []struct {
			name string
			list []string
		}{{"bounding", caps.Bounding}, {"effective", caps.Effective},
			{"inheritable", caps.Inheritable}, {"permitted", caps.Permitted},
			{"ambient", caps.Ambient}} {
			for _, cp := range set.list {
				if !contains(c.p.allowedCaps, cp) {
					c.bad("P3", "process.capabilities.%s has %q", set.name, cp)
				}
			}
		}
	}
	if !p.NoNewPrivileges {
		c.bad("P4", "process.noNewPrivileges is false")
	}
	if p.ApparmorProfile == "unconfined" {
		c.bad("process.apparmor", "apparmorProfile is \"unconfined\"")
	}
	if !filepath.IsAbs(p.Cwd) {
		c.bad("process.cwd", "cwd %q is not absolute", p.Cwd)
	} else {
		cwd := filepath.Clean(p.Cwd)
		for _, bad := range []string{"/proc", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"} {
			if underOrSame(cwd, bad) {
				c.bad("process.cwd", "cwd %q is under %s (host descriptors)", p.Cwd, bad)
				break
			}
		}
	}
}

// ---- P5 ----

func (c *checker) userns(l *specs.Linux) {
	var user *specs.LinuxNamespace
	for i := range l.Namespaces {
		if l.Namespaces[i].Type == specs.UserNamespace {
			user = &l.Namespaces[i]
		}
	}
	if user == nil {
		c.bad("P5", "no user namespace")
	} else if user.Path != "" {
		c.nsPath("P5", user)
	}
	for _, m := range []struct {
		name string
		list []specs.LinuxIDMapping
	}{{"uidMappings", l.UIDMappings}, {"gidMappings", l.GIDMappings}} {
		for i, e := range m.list {
			end := uint64(e.HostID) + uint64(e.Size)
			if e.Size > 0 && e.HostID == 0 {
				c.bad("P5", "linux.%s[%d] maps host id 0 (hostID 0, size %d)", m.name, i, e.Size)
			} else if end > 1<<32 {
				c.bad("P5", "linux.%s[%d] wraps past 4294967295 (hostID %d, size %d)", m.name, i, e.HostID, e.Size)
			}
		}
	}
}

// ---- P6 ----

// cgroupValue: a cgroup v2 limit as the kernel reads it (surrounding blanks
// ignored, "max", a C number in base 0, for memory a K/M/G/T/P/E suffix).
// ok false: the kernel refuses the write.
func cgroupValue(s string, suffixes bool) (v uint64, unlimited, ok bool) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return 0, true, true
	}
	mult := uint64(1)
	if suffixes && s != "" {
		shift := strings.IndexByte("KMGTPE", strings.ToUpper(s[len(s)-1:])[0])
		if shift >= 0 {
			mult = 1 << (10 * uint(shift+1))
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, false, false
	}
	if mult > 1 && n > ^uint64(0)/mult {
		return ^uint64(0), false, true
	}
	return n * mult, false, true
}

// resources: P6. In a spec, unset or 0 means no limit; in an update (runc
// update), 0 leaves the running container's limit as it is.
func (c *checker) resources(r *specs.LinuxResources, update bool) {
	where := "linux.resources"
	if update {
		where = "resources"
	}
	var limit, swap *int64
	if r.Memory != nil {
		limit, swap = r.Memory.Limit, r.Memory.Swap
	}
	switch {
	case limit == nil && update:
	case limit == nil || (*limit == 0 && !update):
		c.bad("P6", "no memory limit (%s.memory.limit unset)", where)
	case *limit < 0:
		c.bad("P6", "%s.memory.limit is %d (unlimited)", where, *limit)
	case *limit > c.p.memMax:
		c.bad("P6", "%s.memory.limit %d is above %d", where, *limit, c.p.memMax)
	}
	if swap != nil && *swap < 0 {
		c.bad("P6", "%s.memory.swap is %d (unlimited swap)", where, *swap)
	} else if swap != nil && *swap > c.p.memMax {
		c.bad("P6", "%s.memory.swap %d is above %d", where, *swap, c.p.memMax)
	}
	switch {
	case r.Pids == nil && !update:
		c.bad("P6", "no pids limit (%s.pids unset)", where)
	case r.Pids == nil:
	case r.Pids.Limit == 0 && update:
	case r.Pids.Limit <= 0:
		c.bad("P6", "%s.pids.limit is %d (no limit)", where, r.Pids.Limit)
	case r.Pids.Limit > c.p.pidsMax:
		c.bad("P6", "%s.pids.limit %d is above %d", where, r.Pids.Limit, c.p.pidsMax)
	}
	for _, u := range []struct {
		key      string
		max      int64
		suffixes bool
	}{{"memory.max", c.p.memMax, true}, {"memory.swap.max", c.p.memMax, true},
		{"pids.max", c.p.pidsMax, false}} {
		s, ok := r.Unified[u.key]
		if !ok {
			continue
		}
		v, unlimited, valid := cgroupValue(s, u.suffixes)
		switch {
		case !valid:
			c.bad("P6", "%s.unified[%q] = %q is not a value the kernel takes", where, u.key, s)
		case unlimited:
			c.bad("P6", "%s.unified[%q] = %q (unlimited) overrides the limit", where, u.key, s)
		case v > uint64(u.max):
			c.bad("P6", "%s.unified[%q] = %q is above %d", where, u.key, s, u.max)
		}
	}
}

// ---- P7 ----

var denyingActions = map[specs.LinuxSeccompAction]bool{
	specs.ActKill: true, specs.ActKillProcess: true, specs.ActKillThread: true,
	specs.ActTrap: true, specs.ActErrno: true,
}

var allowingActions = map[specs.LinuxSeccompAction]bool{
	specs.ActAllow: true, specs.ActLog: true, specs.ActNotify: true, specs.ActTrace: true,
}

func (c *checker) seccomp(s *specs.LinuxSeccomp) {
	if s == nil {
		c.bad("P7", "no seccomp profile (linux.seccomp absent or null)")
		return
	}
	if !denyingActions[s.DefaultAction] {
		// runc also loads no filter at all for an empty defaultAction and no syscalls.
		c.bad("P7", "seccomp defaultAction %q does not deny", s.DefaultAction)
	}
	for i, r := range s.Syscalls {
		if !allowingActions[r.Action] {
			continue
		}
		for _, n := range r.Names {
			if contains(c.p.dangerous, n) {
				c.bad("P7", "seccomp syscalls[%d] lets %s through (%s, %d argument conditions)",
					i, n, r.Action, len(r.Args))
			}
		}
	}
}

// ---- P8 ----

func (c *checker) nsPath(rule string, ns *specs.LinuxNamespace) {
	host := hostNamespaces(string(ns.Type))
	if len(host) == 0 {
		c.bad(rule, "%s namespace path %q: the host's %s namespace cannot be read to compare",
			ns.Type, ns.Path, ns.Type)
		return
	}
	id, ok := statID(ns.Path)
	if !ok {
		c.bad(rule, "%s namespace path %q cannot be inspected", ns.Type, ns.Path)
		return
	}
	for _, h := range host {
		if h == id {
			c.bad(rule, "%s namespace path %q is the host's", ns.Type, ns.Path)
			return
		}
	}
}

func (c *checker) namespaces(list []specs.LinuxNamespace) {
	for _, t := range c.p.requiredNS {
		found := false
		for i := range list {
			if string(list[i].Type) != t {
				continue
			}
			found = true
			if list[i].Path != "" {
				c.nsPath("P8", &list[i])
			}
		}
		if !found {
			c.bad("P8", "no %s namespace: the container shares the host's", t)
		}
	}
}

// ---- P9 ----

func (c *checker) paths(key string, have, want []string) {
	set := map[string]bool{}
	for _, p := range have {
		set[filepath.Clean(p)] = true
	}
	for _, w := range want {
		if !set[w] {
			c.bad("P9", "linux.%s lacks %s", key, w)
		}
	}
}

// ---- P10 ----

// mountEffect: what runc 1.1.5 does with a mount's options, left to right
// (specconv's flag table), then the recursive attributes (mount_setattr with
// AT_RECURSIVE, applied after the remount).
type mountEffect struct {
	bind, nosuid, nodev, ro bool
	recSet, recClr          map[string]bool
	propagation             []string
}

func effect(opts []string) mountEffect {
	e := mountEffect{recSet: map[string]bool{}, recClr: map[string]bool{}}
	for _, o := range opts {
		switch o {
		case "bind", "rbind":
			e.bind = true
		case "nosuid":
			e.nosuid = true
		case "suid":
			e.nosuid = false
		case "nodev":
			e.nodev = true
		case "dev":
			e.nodev = false
		case "ro":
			e.ro = true
		case "rw":
			e.ro = false
		case "rnosuid", "rnodev", "rro":
			e.recSet[o[1:]] = true
		case "rsuid":
			e.recClr["nosuid"] = true
		case "rdev":
			e.recClr["nodev"] = true
		case "rrw":
			e.recClr["ro"] = true
		case "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable":
			e.propagation = append(e.propagation, o)
		}
	}
	final := func(flag bool, name string) bool {
		if e.recClr[name] {
			return false
		}
		return flag || e.recSet[name]
	}
	e.nosuid = final(e.nosuid, "nosuid")
	e.nodev = final(e.nodev, "nodev")
	e.ro = final(e.ro, "ro")
	return e
}

// exceptions: directories below which a bind source is this container's own
// engine file or a named volume (DESIGN.md P10).
func (c *checker) exceptions() []string {
	out := []string{"/var/lib/docker/volumes", "/var/lib/containers/storage/volumes"}
	if c.id == "" {
		return out
	}
	return append(out,
		"/var/lib/docker/containers/"+c.id,
		"/run/containers/storage/overlay-containers/"+c.id+"/userdata",
		"/var/run/containers/storage/overlay-containers/"+c.id+"/userdata",
		"/var/lib/containers/storage/overlay-containers/"+c.id+"/userdata",
		"/var/lib/containerd/io.containerd.grpc.v1.cri/containers/"+c.id)
}

// excepted: the resolved source is below one of the exception directories
// (docker's userns-remap directory /var/lib/docker/UID.GID/ counts as
// /var/lib/docker/).
func (c *checker) excepted(resolved string) bool {
	p := resolved
	if strings.HasPrefix(p, "/var/lib/docker/") {
		parts := strings.SplitN(strings.TrimPrefix(p, "/var/lib/docker/"), "/", 2)
		if len(parts) == 2 && isRemap(parts[0]) {
			p = "/var/lib/docker/" + parts[1]
		}
	}
	for _, e := range c.exceptions() {
		if strictlyUnder(p, e) {
			return true
		}
	}
	return false
}

func isRemap(s string) bool {
	a := strings.SplitN(s, ".", 2)
	if len(a) != 2 {
		return false
	}
	for _, part := range a {
		if part == "" || strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	return true
}

// hostTree: a protected path in its written and resolved forms and identity.
type hostTree struct {
	path, resolved string
	id             fileID
	exists         bool
	ancestorIDs    []fileID
}

func trees(list []string) []hostTree {
	var out []hostTree
	for _, p := range list {
		t := hostTree{path: p, resolved: resolve(p)}
		t.id, t.exists = statID(p)
		for _, a := range ancestors(t.resolved) {
			if id, ok := statID(a); ok {
				t.ancestorIDs = append(t.ancestorIDs, id)
			}
		}
		out = append(out, t)
	}
	return out
}

// exposes: why a host path (a bind source, the rootfs) exposes a protected
// tree, "" when it does not: it is one, or a parent of one, as written after
// following links or by device+inode; with inside, also when it lies inside
// one (by path or by the identity of a parent), unless it is excepted.
func (c *checker) exposes(src string, sockets, inside bool) string {
	resolved := resolve(src)
	id, exists := statID(src)
	list := c.p.sensitive
	what := "sensitive host path"
	if sockets {
		list = c.p.sockets
		what = "engine socket"
	}
	for _, t := range trees(list) {
		for _, form := range []string{t.path, t.resolved} {
			if resolved == form {
				return fmt.Sprintf("resolves to %s, %s %s", resolved, what, t.path)
			}
			if strictlyUnder(form, resolved) {
				return fmt.Sprintf("resolves to %s, a parent of %s %s", resolved, what, t.path)
			}
		}
		if exists && t.exists && id == t.id {
			return fmt.Sprintf("is the same file (device+inode) as %s %s", what, t.path)
		}
		if exists {
			for _, a := range t.ancestorIDs {
				if a == id {
					return fmt.Sprintf("is the same directory (device+inode) as a parent of %s %s", what, t.path)
				}
			}
		}
	}
	if sockets || !inside || c.excepted(resolved) {
		return ""
	}
	for _, t := range trees(list) {
		if t.path == "/" {
			continue
		}
		for _, form := range []string{t.path, t.resolved} {
			if form != "/" && strictlyUnder(resolved, form) {
				return fmt.Sprintf("resolves to %s, inside %s %s", resolved, what, t.path)
			}
		}
		if !t.exists {
			continue
		}
		for _, a := range ancestors(resolved) {
			if a == "/" {
				break
			}
			if aid, ok := statID(a); ok && aid == t.id {
				return fmt.Sprintf("lies in %s, the same directory (device+inode) as %s %s", a, what, t.path)
			}
		}
	}
	return ""
}

func (c *checker) rootPath(p string) {
	if p == "" {
		return
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.bundle, p)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return // runc cannot use it
	}
	if why := c.exposes(p, false, false); why != "" {
		c.bad("P10", "root.path %q %s", p, why)
	}
}

func (c *checker) mount(i int, m specs.Mount) {
	e := effect(m.Options)
	for _, pr := range e.propagation {
		if pr == "shared" || pr == "rshared" {
			c.bad("P10", "mounts[%d] (%s) has %s propagation", i, m.Destination, pr)
		}
	}
	if !e.bind && m.Type != "bind" {
		return
	}
	if !e.nosuid || !e.nodev {
		var miss []string
		if !e.nosuid {
			miss = append(miss, "nosuid")
		}
		if !e.nodev {
			miss = append(miss, "nodev")
		}
		c.bad("P10", "bind mounts[%d] (%s) lacks %s in effect (options %v)", i, m.Destination,
			strings.Join(miss, ","), m.Options)
	}
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(c.bundle, src)
	}
	if strings.IndexByte(src, 0) >= 0 {
		return // runc refuses "mount field contains null byte"
	}
	if why := c.exposes(src, true, false); why != "" {
		c.bad("P10", "bind mounts[%d] source %q %s", i, m.Source, why)
		return
	}
	if e.ro && contains(c.p.roFiles, resolve(src)) && contains(c.p.roFiles, filepath.Clean(src)) {
		return
	}
	if why := c.exposes(src, false, true); why != "" {
		c.bad("P10", "bind mounts[%d] source %q %s", i, m.Source, why)
	}
}

// ---- P11 ----

var standardDevices = []string{"c 1:3", "c 1:5", "c 1:7", "c 1:8", "c 1:9", "c 5:0", "c 5:1",
	"c 5:2", "c 136:*"}

func standardDevice(typ string, major, minor int64) bool {
	for _, s := range standardDevices {
		var t, ma, mi string
		f := strings.Fields(strings.Replace(s, ":", " ", 1))
		t, ma, mi = f[0], f[1], f[2]
		if t == typ && ma == strconv.FormatInt(major, 10) &&
			(mi == "*" || mi == strconv.FormatInt(minor, 10)) {
			return true
		}
	}
	return false
}

func (c *checker) deviceRules(rules []specs.LinuxDeviceCgroup) {
	for i, r := range rules {
		if !r.Allow {
			continue
		}
		access := r.Access
		if access == "" {
			access = "rwm"
		}
		if !strings.ContainsAny(access, "rw") {
			continue // mknod alone opens nothing
		}
		wildType := r.Type == "" || r.Type == "a"
		wildMajor := r.Major == nil || *r.Major == -1
		if wildType || wildMajor {
			c.bad("P11", "linux.resources.devices[%d] allows %s on every device (type %q, major %s)",
				i, access, r.Type, showNum(r.Major))
		}
	}
}

func showNum(p *int64) string {
	if p == nil || *p == -1 {
		return "*"
	}
	return strconv.FormatInt(*p, 10)
}

func (c *checker) deviceNodes(devs []specs.LinuxDevice) {
	for i, d := range devs {
		typ := d.Type
		if typ == "u" {
			typ = "c"
		}
		if typ == "p" {
			continue
		}
		if !standardDevice(typ, d.Major, d.Minor) {
			c.bad("P11", "linux.devices[%d] %s (%s %d:%d) is not a standard device", i, d.Path,
				d.Type, d.Major, d.Minor)
		}
	}
}

// ---- P12 ----

func (c *checker) hooks(h *specs.Hooks) {
	if h == nil {
		return
	}
	for _, st := range []struct {
		name  string
		hooks []specs.Hook
	}{{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer}, {"startContainer", h.StartContainer},
		{"poststart", h.Poststart}, {"poststop", h.Poststop}} {
		for i, hk := range st.hooks {
			if why := c.hookWhy(st.name, hk); why != "" {
				c.bad("P12", "hooks.%s[%d] %q %s", st.name, i, hk.Path, why)
			}
		}
	}
}

func (c *checker) hookWhy(stage string, hk specs.Hook) string {
	real := ""
	if strings.IndexByte(hk.Path, 0) < 0 {
		if r, err := filepath.EvalSymlinks(hk.Path); err == nil {
			real = r
		}
	}
	args0 := ""
	if len(hk.Args) > 0 {
		args0 = hk.Args[0]
	}
	why := "is not an allowlisted hook"
	for _, a := range c.p.hooks {
		if !contains(a.paths, real) || (a.args0 != "" && a.args0 != args0) {
			continue
		}
		if !contains(a.stages, stage) {
			why = "is allowlisted, but not in stage " + stage
			continue
		}
		if a.env != nil && strings.Join(a.env, "\x00") != strings.Join(hk.Env, "\x00") {
			why = fmt.Sprintf("runs with env %q, not the pinned %q", hk.Env, a.env)
			continue
		}
		return ""
	}
	return why
}
