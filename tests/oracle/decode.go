package main

// Decoding the way runc 1.1.5 does (read from its source, v1.1.5 tag):
//
//   - create/run/restore (spec.go loadSpec): json.NewDecoder(file).Decode(&spec)
//     into a *specs.Spec, then validateProcessSpec(spec.Process);
//   - exec --process FILE (exec.go getProcess): Decode(&p) into a specs.Process,
//     then validateProcessSpec(&p);
//   - update -r FILE / -r - (update.go): Decode(&r) into a specs.LinuxResources
//     that already holds non-nil pointers to zero values, then dereferences
//     them: a null that clears one of those pointers makes runc panic.
//
// The decoder is the real encoding/json of the Go release runc was built with
// (Debian's runc 1.1.5 reports go1.19.8), so its quirks (case-insensitive keys
// with the U+212A/U+017F folds, the last duplicate wins, null leaves non-pointer
// fields alone and clears pointers, invalid UTF-8 and lone surrogates become
// U+FFFD, only the first value of the stream is read) are reproduced by
// construction, not imitated.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Kinds of document runc reads.
const (
	kindSpec      = "spec"
	kindProcess   = "process"
	kindResources = "resources"
)

func validKind(k string) bool {
	return k == kindSpec || k == kindProcess || k == kindResources
}

// refusal: runc would refuse the document (or crash on it) before acting.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func refuse(format string, a ...interface{}) error {
	return &refusal{fmt.Sprintf(format, a...)}
}

// decoded is what runc acts on.
type decoded struct {
	kind      string
	spec      *specs.Spec
	process   *specs.Process
	resources *specs.LinuxResources
}

func (d *decoded) value() interface{} {
	switch d.kind {
	case kindSpec:
		return d.spec
	case kindProcess:
		return d.process
	}
	return d.resources
}

func decodeFile(kind, path string) (*decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeReader(kind, f)
}

func decodeReader(kind string, r io.Reader) (*decoded, error) {
	d := &decoded{kind: kind}
	switch kind {
	case kindSpec:
		var spec *specs.Spec
		if err := json.NewDecoder(r).Decode(&spec); err != nil {
			return nil, refuse("runc refuses the spec: %v", err)
		}
		if spec == nil {
			return nil, refuse("runc crashes: the spec is null (nil *specs.Spec)")
		}
		if err := validateProcess(spec.Process); err != nil {
			return nil, err
		}
		d.spec = spec
	case kindProcess:
		var p specs.Process
		if err := json.NewDecoder(r).Decode(&p); err != nil {
			return nil, refuse("runc exec refuses the process: %v", err)
		}
		if err := validateProcess(&p); err != nil {
			return nil, err
		}
		d.process = &p
	case kindResources:
		res := updateDefaults()
		if err := json.NewDecoder(r).Decode(&res); err != nil {
			return nil, refuse("runc update refuses the resources: %v", err)
		}
		if err := updateDerefs(&res); err != nil {
			return nil, err
		}
		d.resources = &res
	default:
		return nil, fmt.Errorf("unknown kind %q (spec, process or resources)", kind)
	}
	return d, nil
}

// validateProcess: the checks runc's validateProcessSpec makes after decoding.
func validateProcess(p *specs.Process) error {
	switch {
	case p == nil:
		return refuse("runc refuses: process property must not be empty")
	case p.Cwd == "":
		return refuse("runc refuses: Cwd property must not be empty")
	case !filepath.IsAbs(p.Cwd):
		return refuse("runc refuses: Cwd must be an absolute path")
	case len(p.Args) == 0:
		return refuse("runc refuses: args must not be empty")
	case p.SelinuxLabel != "" && !selinuxEnabled():
		return refuse("runc refuses: selinux label is specified in config, but selinux is disabled or not supported")
	}
	return nil
}

func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }

// updateDefaults: the struct runc update decodes into (non-nil zero values).
func updateDefaults() specs.LinuxResources {
	return specs.LinuxResources{
		Memory: &specs.LinuxMemory{
			Limit: i64(0), Reservation: i64(0), Swap: i64(0), Kernel: i64(0), KernelTCP: i64(0),
		},
		CPU: &specs.LinuxCPU{
			Shares: u64(0), Quota: i64(0), Period: u64(0), RealtimeRuntime: i64(0),
			RealtimePeriod: u64(0),
		},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(0)},
		Pids:    &specs.LinuxPids{Limit: 0},
	}
}

// updateDerefs: the pointers runc update dereferences after decoding, in its
// order (Kernel, then KernelTCP only when Kernel is 0, ...). A nil one is a
// nil-pointer panic: the update does not happen.
func updateDerefs(r *specs.LinuxResources) error {
	crash := func(what string) error {
		return refuse("runc update crashes: %s is null (nil pointer dereference)", what)
	}
	if r.Memory == nil {
		return crash("memory")
	}
	if r.Memory.Kernel == nil {
		return crash("memory.kernel")
	}
	if *r.Memory.Kernel == 0 && r.Memory.KernelTCP == nil {
		return crash("memory.kernelTCP")
	}
	if r.BlockIO == nil {
		return crash("blockIO")
	}
	if r.BlockIO.Weight == nil {
		return crash("blockIO.weight")
	}
	if r.CPU == nil {
		return crash("cpu")
	}
	for _, p := range []struct {
		name  string
		isNil bool
	}{
		{"cpu.period", r.CPU.Period == nil},
		{"cpu.quota", r.CPU.Quota == nil},
		{"cpu.shares", r.CPU.Shares == nil},
		{"cpu.realtimePeriod", r.CPU.RealtimePeriod == nil},
		{"cpu.realtimeRuntime", r.CPU.RealtimeRuntime == nil},
		{"memory.limit", r.Memory.Limit == nil},
		{"memory.reservation", r.Memory.Reservation == nil},
		{"memory.swap", r.Memory.Swap == nil},
	} {
		if p.isNil {
			return crash(p.name)
		}
	}
	if r.Pids == nil {
		return crash("pids")
	}
	return nil
}

// marshal: what runc acts on, as JSON.
func (d *decoded) marshal() ([]byte, error) {
	return json.MarshalIndent(d.value(), "", "  ")
}

func isRefusal(err error) bool {
	var r *refusal
	return errors.As(err, &r)
}
