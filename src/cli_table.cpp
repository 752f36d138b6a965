/* The command line bulkhead reads: runc 1.1.5's global options and each
 * command's options, as `runc CMD --help` lists them (the parser is
 * src/cli.cpp). */
#include "bulkhead/cli.h"

namespace bulkhead::cli {

namespace {

const std::vector<FlagSpec> kGlobals = {
        {"debug", nullptr, false},   {"log", nullptr, true},  {"log-format", nullptr, true},
        {"root", nullptr, true},     {"criu", nullptr, true}, {"systemd-cgroup", nullptr, false},
        {"rootless", nullptr, true}, {"help", "h", false},    {"version", "v", false},
};

/* runc 1.1.5's tables (runc CMD --help, plus update's hidden kernel-memory
 * options). create and run also know crun's -f/--config FILE, which moves the
 * spec off BUNDLE/config.json: runc refuses it, crun honours it, and bulkhead
 * must know where the spec really is. */
const std::vector<CommandSpec> kCommands = {
        {"checkpoint",
         Command::Checkpoint,
         {
                 {"image-path", nullptr, true},
                 {"work-path", nullptr, true},
                 {"parent-path", nullptr, true},
                 {"leave-running", nullptr, false},
                 {"tcp-established", nullptr, false},
                 {"ext-unix-sk", nullptr, false},
                 {"shell-job", nullptr, false},
                 {"lazy-pages", nullptr, false},
                 {"status-fd", nullptr, true, ValueKind::Int},
                 {"page-server", nullptr, true},
                 {"file-locks", nullptr, false},
                 {"pre-dump", nullptr, false},
                 {"manage-cgroups-mode", nullptr, true},
                 {"empty-ns", nullptr, true},
                 {"auto-dedup", nullptr, false},
         },
         false,
         1,
         1},
        {"create",
         Command::Create,
         {
                 {"bundle", "b", true},
                 {"console-socket", nullptr, true},
                 {"pid-file", nullptr, true},
                 {"no-pivot", nullptr, false},
                 {"no-new-keyring", nullptr, false},
                 {"preserve-fds", nullptr, true, ValueKind::Int},
                 {"config", "f", true},
         },
         false,
         1,
         1},
        {"delete", Command::Delete, {{"force", "f", false}}, false, 1, 1},
        {"events",
         Command::Events,
         {{"interval", nullptr, true, ValueKind::Duration}, {"stats", nullptr, false}},
         false,
         1,
         1},
        {"exec",
         Command::Exec,
         {
                 {"console-socket", nullptr, true},
                 {"cwd", nullptr, true},
                 {"env", "e", true},
                 {"tty", "t", false},
                 {"user", "u", true},
                 {"additional-gids", "g", true, ValueKind::DecimalInt},
                 {"process", "p", true},
                 {"detach", "d", false},
                 {"pid-file", nullptr, true},
                 {"process-label", nullptr, true},
                 {"apparmor", nullptr, true},
                 {"no-new-privs", nullptr, false},
                 {"cap", "c", true},
                 {"preserve-fds", nullptr, true, ValueKind::Int},
                 {"cgroup", nullptr, true},
                 {"ignore-paused", nullptr, false},
         },
         true,
         1,
         -1},
        {"kill", Command::Kill, {{"all", "a", false}}, false, 1, 2},
        {"list", Command::List, {{"format", "f", true}, {"quiet", "q", false}}, false, 0, 0},
        {"pause", Command::Pause, {}, false, 1, 1},
        {"ps", Command::Ps, {{"format", "f", true}}, true, 1, -1},
        {"restore",
         Command::Restore,
         {
                 {"console-socket", nullptr, true},
                 {"image-path", nullptr, true},
                 {"work-path", nullptr, true},
                 {"tcp-established", nullptr, false},
                 {"ext-unix-sk", nullptr, false},
                 {"shell-job", nullptr, false},
                 {"file-locks", nullptr, false},
                 {"manage-cgroups-mode", nullptr, true},
                 {"bundle", "b", true},
                 {"detach", "d", false},
                 {"pid-file", nullptr, true},
                 {"no-subreaper", nullptr, false},
                 {"no-pivot", nullptr, false},
                 {"empty-ns", nullptr, true},
                 {"auto-dedup", nullptr, false},
                 {"lazy-pages", nullptr, false},
                 {"lsm-profile", nullptr, true},
                 {"lsm-mount-context", nullptr, true},
         },
         false,
         1,
         1},
        {"resume", Command::Resume, {}, false, 1, 1},
        {"run",
         Command::Run,
         {
                 {"bundle", "b", true},
                 {"console-socket", nullptr, true},
                 {"detach", "d", false},
                 {"keep", nullptr, false},
                 {"pid-file", nullptr, true},
                 {"no-subreaper", nullptr, false},
                 {"no-pivot", nullptr, false},
                 {"no-new-keyring", nullptr, false},
                 {"preserve-fds", nullptr, true, ValueKind::Int},
                 {"config", "f", true},
         },
         false,
         1,
         1},
        {"spec", Command::Spec, {{"bundle", "b", true}, {"rootless", nullptr, false}}, false, 0, 0},
        {"start", Command::Start, {}, false, 1, 1},
        {"state", Command::State, {}, false, 1, 1},
        {"update",
         Command::Update,
         {
                 {"resources", "r", true},
                 {"blkio-weight", nullptr, true, ValueKind::Int},
                 {"cpu-period", nullptr, true},
                 {"cpu-quota", nullptr, true},
                 {"cpu-share", nullptr, true},
                 {"cpu-rt-period", nullptr, true},
                 {"cpu-rt-runtime", nullptr, true},
                 {"cpuset-cpus", nullptr, true},
                 {"cpuset-mems", nullptr, true},
                 {"kernel-memory", nullptr, true},
                 {"kernel-memory-tcp", nullptr, true},
                 {"memory", nullptr, true},
                 {"memory-reservation", nullptr, true},
                 {"memory-swap", nullptr, true},
                 {"pids-limit", nullptr, true, ValueKind::Int},
                 {"l3-cache-schema", nullptr, true},
                 {"mem-bw-schema", nullptr, true},
         },
         false,
         1,
         1},
        {"features", Command::Features, {}, false, 0, 0},
        {"help", Command::Help, {}, false, 0, -1},
};

} // namespace

const std::vector<FlagSpec> &globalFlags()
{
	return kGlobals;
}

const std::vector<CommandSpec> &commands()
{
	return kCommands;
}

} // namespace bulkhead::cli
