/* The lists P7.seccomp judges by (seccomp_tables.h). */
#include "seccomp_tables.h"

namespace bulkhead::policy::seccomp_tables {

const std::vector<std::string> &dangerousList()
{
	static const std::vector<std::string> v = {
	        "mount",
	        "umount2",
	        "ptrace",
	        "kexec_load",
	        "kexec_file_load",
	        "init_module",
	        "finit_module",
	        "delete_module",
	        "bpf",
	        "keyctl",
	        "add_key",
	        "request_key",
	        "open_by_handle_at",
	        "userfaultfd",
	        "perf_event_open",
	        "pivot_root",
	        "swapon",
	        "swapoff",
	        "reboot",
	        "setns",
	        "unshare",
	        "fsopen",
	        "fsconfig",
	        "fsmount",
	        "fspick",
	        "move_mount",
	        "open_tree",
	        "mount_setattr",
	};
	return v;
}

const std::set<std::string> &denying()
{
	static const std::set<std::string> v = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
	                                        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	                                        "SCMP_ACT_ERRNO"};
	return v;
}
/* Actions that hand the decision to someone else. */
const std::set<std::string> &delegating()
{
	static const std::set<std::string> v = {"SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE"};
	return v;
}

/* Syscalls that do what each other does: when one is dangerous, all are.
 * umount(p) is umount2(p, 0) (i386, arm, s390, ppc, ...); the new mount API
 * builds and attaches mounts like mount(2); the file and image forms of module
 * and kexec loading load the same code. */
const std::vector<std::vector<std::string>> &sameDanger()
{
	static const std::vector<std::vector<std::string>> v = {
	        {"umount2", "umount"},
	        {"mount", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	         "mount_setattr"},
	        {"kexec_load", "kexec_file_load"},
	        {"init_module", "finit_module"},
	};
	return v;
}

/* Multiplexers (i386, s390, ppc, ...): socketcall(SYS_SOCKET, args) runs
 * socket(2), ipc(SEMOP, ...) runs semop(2). When a member is dangerous, so is
 * the multiplexer (no listed syscall is a member by default). */
const std::vector<Multiplexer> &multiplexers()
{
	static const std::vector<Multiplexer> v = {
	        {"socketcall",
	         {"socket",      "bind",        "connect",    "listen",     "accept",
	          "getsockname", "getpeername", "socketpair", "send",       "recv",
	          "sendto",      "recvfrom",    "shutdown",   "setsockopt", "getsockopt",
	          "sendmsg",     "recvmsg",     "accept4",    "recvmmsg",   "sendmmsg"}},
	        {"ipc",
	         {"semop", "semget", "semctl", "semtimedop", "msgsnd", "msgrcv", "msgget", "msgctl",
	          "shmat", "shmdt", "shmget", "shmctl"}},
	};
	return v;
}

/* seccomp(2) filter flags a profile can name (runtime-spec, crun). */
const std::vector<std::string> &filterFlags()
{
	static const std::vector<std::string> v = {
	        "SECCOMP_FILTER_FLAG_TSYNC",       "SECCOMP_FILTER_FLAG_LOG",
	        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",  "SECCOMP_FILTER_FLAG_NEW_LISTENER",
	        "SECCOMP_FILTER_FLAG_TSYNC_ESRCH", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
	return v;
}

} // namespace bulkhead::policy::seccomp_tables
