#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/host.h"

/* Mount options as runc 1.1.5 and the kernel read them, and the host mount a
 * path lives on (src/sys/mount.cpp).
 *
 * runc sorts each spec option by its own tables (specconv's flag, propagation,
 * recursive-attribute and extension tables; anything else is data), joins the
 * data options with commas and hands that string to mount(2). The filesystem
 * splits it again with its own rules, so an option is judged only when it
 * reaches the kernel whole and alone. libmount's option parser is the second
 * reader every mount tool uses (mount(8), findmnt): a data string it splits
 * differently is refused too. bulkhead reads it as libmount 2.38 does
 * (mnt_optstr_next_option) without linking libmount, so that the binary can
 * be static; tests/unit/test_mount.cpp holds the two readers side by side.
 * Its classification maps (mnt_split_optstr) are not used: runc's tables, not
 * libmount's, decide flag or data ("defaults", "rro" or "tmpcopyup" differ). */
namespace bulkhead::mount {

/* What a mount's options do once runc 1.1.5 has read them, in order. */
struct Effect
{
	bool bind = false;      /* "bind" or "rbind": MS_BIND, the type is then ignored */
	bool recursive = false; /* "rbind" */
	/* In effect after the options in order and, on a bind mount, the
	 * recursive attributes runc applies afterwards (rro/rrw, rnosuid/rsuid,
	 * rnodev/rdev: a clear anywhere wins over the plain flag, a set over a
	 * clear). "defaults" is data to runc; it is read as mount(8) reads it
	 * (rw,suid,dev), the worst case. */
	bool readOnly = false;
	bool nosuid = false;
	bool nodev = false;
	std::vector<std::string> propagation; /* propagation options, in order */
	std::vector<size_t> data;             /* indexes of the data options, in order */
};
Effect effect(const std::vector<std::string> &options);

/* Why the data options of a mount of filesystem TYPE would not reach the
 * kernel one for one, "" when each arrives whole and alone: an option holding
 * a comma (but a quoted SELinux context="..."), an overlayfs option whose
 * trailing backslash swallows the joining comma, an empty option, or a string
 * libmount splits otherwise (quotes). */
std::string splitProblem(std::string_view type, const std::vector<std::string> &data);

/* An overlayfs option naming host directories. */
struct Layer
{
	size_t option;                  /* index into the data options given */
	std::string key;                /* "lowerdir", "lowerdir+", "upperdir", ... */
	std::vector<std::string> paths; /* every path the kernel may look up for it */
};
struct Overlay
{
	std::vector<Layer> layers;
	std::vector<size_t> unknown; /* options overlayfs does not know (it refuses them) */
};
/* The layers of an overlay mount's data options as Linux (6.18) reads them:
 * lowerdir is a ':' list ("\:" escapes a colon, "::" starts the data-only
 * layers), each element unescaped; upperdir and workdir unescaped; lowerdir+
 * and datadir+ (Linux 6.8+) one path each, judged both as written and
 * unescaped. Every occurrence counts (a later lowerdir replaces an earlier
 * one, so the union is judged). */
Overlay overlay(const std::vector<std::string> &data);

/* The host mount PATH lives on after following links (RealHost::mountOf):
 * the topmost /proc/self/mountinfo entry whose mount point is the longest
 * prefix of the resolved path (libmount's mnt_table_find_mountpoint, which
 * tests/unit/test_mount.cpp compares it with), and the kernel filesystem
 * statfs(2) reports for the path itself. nullopt when the path does not
 * exist or the mount table cannot be read. */
std::optional<HostMount> hostMount(const std::string &path);

/* The data string as libmount 2.38 splits it into options (quotes group;
 * nullopt: libmount refuses it, an empty option). Exposed for the test that
 * compares it with libmount itself. */
std::optional<std::vector<std::string>> libmountSplit(const std::string &data);

} // namespace bulkhead::mount
