package main

// The parameters of the guarantees checked: restricted's (DESIGN.md §3 P1-P12,
// policies/restricted.json), optionally read from a policy file. Only values
// are taken from the policy; what they mean is this checker's own reading of
// the contract, not bulkhead's rule code.

import (
	"encoding/json"
	"fmt"
	"os"
)

type allowedHook struct {
	paths  []string // what the hook path must resolve to (one of)
	args0  string
	stages []string
	env    []string // nil: any environment (the policy pins none)
}

type params struct {
	allowedCaps []string
	memMax      int64
	pidsMax     int64
	dangerous   []string
	requiredNS  []string
	hooks       []allowedHook
	masked      []string
	readonly    []string
	sensitive   []string
	sockets     []string
	roFiles     []string // host files allowed when bind-mounted read-only
}

func defaultParams() params {
	return params{
		allowedCaps: []string{"CAP_NET_BIND_SERVICE"},
		memMax:      4294967296,
		pidsMax:     4096,
		dangerous: []string{"mount", "umount2", "ptrace", "kexec_load", "init_module",
			"finit_module", "delete_module", "bpf", "keyctl", "add_key", "request_key",
			"open_by_handle_at", "userfaultfd", "perf_event_open", "pivot_root", "swapon",
			"swapoff", "reboot", "setns", "unshare"},
		requiredNS: []string{"pid", "ipc", "uts", "mount", "network"},
		hooks: []allowedHook{{
			paths:  []string{"/usr/sbin/dockerd", "/usr/bin/dockerd"},
			args0:  "libnetwork-setkey",
			stages: []string{"prestart", "createRuntime"},
			env:    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		}},
		// The standard sets (src/rules/paths.cpp's defaults, Docker's and runc's own).
		masked: []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
			"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
			"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
			"/sys/devices/virtual/powercap"},
		readonly: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
			"/proc/sysrq-trigger"},
		// DESIGN.md P10, plus the merged-/usr aliases of /lib and /usr.
		sensitive: []string{"/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/lib",
			"/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/usr", "/run", "/var/run",
			"/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet",
			"/var/lib/containers"},
		sockets: []string{"/var/run/docker.sock", "/run/docker.sock",
			"/run/containerd/containerd.sock", "/run/containerd/containerd.sock.ttrpc",
			"/run/docker/containerd/containerd.sock", "/run/crio/crio.sock",
			"/run/podman/podman.sock", "/run/buildkit/buildkitd.sock",
			"/run/dockershim.sock", "/run/cri-dockerd.sock"},
		roFiles: []string{"/usr/bin/docker-init", "/usr/libexec/docker/docker-init",
			"/usr/libexec/podman/catatonit"},
	}
}

// stripComments: JSON with // and /* */ comments outside strings, as the
// policy files are written; comments become spaces.
func stripComments(in []byte) []byte {
	out := make([]byte, 0, len(in))
	inString := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case inString:
			out = append(out, c)
			if c == '\\' && i+1 < len(in) {
				i++
				out = append(out, in[i])
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			out = append(out, c)
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			i += 2
			for i+1 < len(in) && !(in[i] == '*' && in[i+1] == '/') {
				i++
			}
			i++
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return out
}

// loadParams: restricted's parameters, overridden by those the policy names.
func loadParams(path string) (params, error) {
	p := defaultParams()
	if path == "" {
		return p, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	var pol struct {
		Rules map[string]json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal(stripComments(raw), &pol); err != nil {
		return p, fmt.Errorf("%s: %v", path, err)
	}
	rule := func(name string, into interface{}) error {
		r, ok := pol.Rules[name]
		if !ok {
			return nil
		}
		if err := json.Unmarshal(r, into); err != nil {
			return fmt.Errorf("%s: rule %s: %v", path, name, err)
		}
		return nil
	}
	var caps struct {
		Allowed []string `json:"allowed"`
	}
	var mem, pids struct {
		Max *int64 `json:"max"`
	}
	var sc struct {
		Dangerous []string `json:"dangerous"`
	}
	var ns struct {
		Required []string `json:"required"`
	}
	var hooks struct {
		AllowedHooks []struct {
			Path   string   `json:"path"`
			Args0  string   `json:"args0"`
			Stages []string `json:"stages"`
			Env    []string `json:"env"`
		} `json:"allowedHooks"`
	}
	for _, r := range []struct {
		name string
		into interface{}
	}{{"P3.capabilities", &caps}, {"P6.memory", &mem}, {"P6.pids", &pids},
		{"P7.seccomp", &sc}, {"P8.namespaces", &ns}, {"P12.hooks", &hooks}} {
		if err := rule(r.name, r.into); err != nil {
			return p, err
		}
	}
	if caps.Allowed != nil {
		p.allowedCaps = caps.Allowed
	}
	if mem.Max != nil {
		p.memMax = *mem.Max
	}
	if pids.Max != nil {
		p.pidsMax = *pids.Max
	}
	if sc.Dangerous != nil {
		p.dangerous = sc.Dangerous
	}
	if ns.Required != nil {
		p.requiredNS = ns.Required
	}
	if hooks.AllowedHooks != nil {
		p.hooks = nil
		for _, h := range hooks.AllowedHooks {
			stages := h.Stages
			if stages == nil {
				stages = []string{"prestart", "createRuntime"}
			}
			p.hooks = append(p.hooks, allowedHook{[]string{h.Path}, h.Args0, stages, h.Env})
		}
	}
	return p, nil
}
