package main

// Host facts the checker needs: file identities (device+inode after following
// links), where a path leads, and the host's namespaces.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

type fileID struct{ dev, ino uint64 }

// statID: the identity of what path names after following every link.
func statID(path string) (fileID, bool) {
	if strings.IndexByte(path, 0) >= 0 {
		return fileID{}, false
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true
}

// resolve: the absolute, cleaned path that p leads to, following the links
// of its longest existing prefix and keeping the rest as written. It never
// fails: an unresolvable path is returned cleaned.
func resolve(p string) string {
	p = filepath.Clean(p)
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return filepath.Clean(r)
	}
	var rest []string
	cur := p
	for cur != "/" && cur != "." {
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = filepath.Dir(cur)
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Clean(filepath.Join(append([]string{r}, rest...)...))
		}
	}
	return p
}

// underOrSame: p is base or lies below it (both clean and absolute).
func underOrSame(p, base string) bool {
	if base == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == base || strings.HasPrefix(p, base+"/")
}

// strictlyUnder: p lies below base.
func strictlyUnder(p, base string) bool {
	return p != base && underOrSame(p, base)
}

// ancestors of a clean absolute path, nearest first, "/" last.
func ancestors(p string) []string {
	var out []string
	for p != "/" && p != "." && p != "" {
		p = filepath.Dir(p)
		out = append(out, p)
	}
	return out
}

// nsProcName: the /proc/PID/ns entry of an OCI namespace type.
var nsProcName = map[string]string{
	"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
	"user": "user", "cgroup": "cgroup",
}

// hostNamespaces: identities of the host's namespace of an OCI type, from
// /proc/1/ns and /proc/self/ns (either may be unreadable; none readable gives
// an empty list, which the caller treats as "cannot tell").
func hostNamespaces(typ string) []fileID {
	name, ok := nsProcName[typ]
	if !ok {
		return nil
	}
	var out []fileID
	for _, p := range []string{"/proc/1/ns/" + name, "/proc/self/ns/" + name} {
		if id, ok := statID(p); ok {
			out = append(out, id)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
