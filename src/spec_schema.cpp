/* The runtime-spec structs runc decodes, field by field with each field's Go
 * type (include/bulkhead/spec.h says how they are read).
 *
 * The field set is that of the runtime-spec runc 1.1 vendors plus the fields
 * later runtimes read (mount idmaps, ioPriority, scheduler, timeOffsets, ...):
 * refusing an alias of a field one runtime does not know costs nothing, since
 * engines write canonical names only. Windows, Solaris, VM and z/OS sections
 * are decoded by runc but never acted on: they are checked as "any value".
 * tests/schema/compare.sh holds this description against the Go structs. */
#include "spec_schema.h"

namespace bulkhead::spec::schema {

namespace {

template <size_t N> constexpr StructDef fieldsOf(const Field (&f)[N])
{
	return StructDef{f, N};
}

constexpr Type kBool{Kind::Bool, "bool"};
constexpr Type kString{Kind::String, "string"};
constexpr Type kInt32{Kind::Int32, "int32"};
constexpr Type kInt64{Kind::Int64, "int64"};
constexpr Type kInt{Kind::Int64, "int"};
constexpr Type kUint16{Kind::Uint16, "uint16"};
constexpr Type kUint32{Kind::Uint32, "uint32"};
constexpr Type kUint64{Kind::Uint64, "uint64"};
constexpr Type kUint{Kind::Uint64, "uint"};
constexpr Type kAny{Kind::Any, "any value"};
constexpr Type kStrings{Kind::Slice, "[]string", &kString};
constexpr Type kUint32s{Kind::Slice, "[]uint32", &kUint32};
constexpr Type kStringMapT{Kind::Map, "map[string]string", &kString};

/* ---- process ---- */

constexpr Field kBoxFields[] = {{"height", &kUint}, {"width", &kUint}};
constexpr StructDef kBox = fieldsOf(kBoxFields);
constexpr Type kBoxT{Kind::Struct, "Box", nullptr, &kBox};

constexpr Field kUserFields[] = {
        {"uid", &kUint32},      {"gid", &kUint32},
        {"umask", &kUint32},    {"additionalGids", &kUint32s},
        {"username", &kString},
};
constexpr StructDef kUser = fieldsOf(kUserFields);
constexpr Type kUserT{Kind::Struct, "User", nullptr, &kUser};

constexpr Field kCapsFields[] = {
        {"bounding", &kStrings},  {"effective", &kStrings}, {"inheritable", &kStrings},
        {"permitted", &kStrings}, {"ambient", &kStrings},
};
constexpr StructDef kCaps = fieldsOf(kCapsFields);
constexpr Type kCapsT{Kind::Struct, "LinuxCapabilities", nullptr, &kCaps};

constexpr Field kRlimitFields[] = {{"type", &kString}, {"hard", &kUint64}, {"soft", &kUint64}};
constexpr StructDef kRlimit = fieldsOf(kRlimitFields);
constexpr Type kRlimitT{Kind::Struct, "POSIXRlimit", nullptr, &kRlimit};
constexpr Type kRlimits{Kind::Slice, "[]POSIXRlimit", &kRlimitT};

constexpr Field kIoPrioFields[] = {{"class", &kString}, {"priority", &kInt}};
constexpr StructDef kIoPrio = fieldsOf(kIoPrioFields);
constexpr Type kIoPrioT{Kind::Struct, "LinuxIOPriority", nullptr, &kIoPrio};

constexpr Field kSchedFields[] = {
        {"policy", &kString},  {"nice", &kInt32},      {"priority", &kInt32}, {"flags", &kStrings},
        {"runtime", &kUint64}, {"deadline", &kUint64}, {"period", &kUint64},
};
constexpr StructDef kSched = fieldsOf(kSchedFields);
constexpr Type kSchedT{Kind::Struct, "Scheduler", nullptr, &kSched};

constexpr Field kAffinityFields[] = {{"initial", &kString}, {"final", &kString}};
constexpr StructDef kAffinity = fieldsOf(kAffinityFields);
constexpr Type kAffinityT{Kind::Struct, "CPUAffinity", nullptr, &kAffinity};

constexpr Field kProcessFields[] = {
        {"terminal", &kBool},
        {"consoleSize", &kBoxT},
        {"user", &kUserT},
        {"args", &kStrings},
        {"commandLine", &kString},
        {"env", &kStrings},
        {"cwd", &kString},
        {"capabilities", &kCapsT},
        {"rlimits", &kRlimits},
        {"noNewPrivileges", &kBool},
        {"apparmorProfile", &kString},
        {"oomScoreAdj", &kInt},
        {"selinuxLabel", &kString},
        {"ioPriority", &kIoPrioT},
        {"scheduler", &kSchedT},
        {"execCPUAffinity", &kAffinityT},
};
constexpr StructDef kProcessDef = fieldsOf(kProcessFields);
constexpr Type kProcessT{Kind::Struct, "Process", nullptr, &kProcessDef};

/* ---- root, mounts, hooks ---- */

constexpr Field kRootFields[] = {{"path", &kString}, {"readonly", &kBool}};
constexpr StructDef kRoot = fieldsOf(kRootFields);
constexpr Type kRootT{Kind::Struct, "Root", nullptr, &kRoot};

constexpr Field kIdMapFields[] = {
        {"containerID", &kUint32}, {"hostID", &kUint32}, {"size", &kUint32}};
constexpr StructDef kIdMap = fieldsOf(kIdMapFields);
constexpr Type kIdMapT{Kind::Struct, "LinuxIDMapping", nullptr, &kIdMap};
constexpr Type kIdMaps{Kind::Slice, "[]LinuxIDMapping", &kIdMapT};

constexpr Field kMountFields[] = {
        {"destination", &kString}, {"type", &kString},        {"source", &kString},
        {"options", &kStrings},    {"uidMappings", &kIdMaps}, {"gidMappings", &kIdMaps},
};
constexpr StructDef kMount = fieldsOf(kMountFields);
constexpr Type kMountT{Kind::Struct, "Mount", nullptr, &kMount};
constexpr Type kMounts{Kind::Slice, "[]Mount", &kMountT};

constexpr Field kHookFields[] = {
        {"path", &kString}, {"args", &kStrings}, {"env", &kStrings}, {"timeout", &kInt}};
constexpr StructDef kHook = fieldsOf(kHookFields);
constexpr Type kHookT{Kind::Struct, "Hook", nullptr, &kHook};
constexpr Type kHookList{Kind::Slice, "[]Hook", &kHookT};

constexpr Field kHooksFields[] = {
        {"prestart", &kHookList},        {"createRuntime", &kHookList},
        {"createContainer", &kHookList}, {"startContainer", &kHookList},
        {"poststart", &kHookList},       {"poststop", &kHookList},
};
constexpr StructDef kHooks = fieldsOf(kHooksFields);
constexpr Type kHooksT{Kind::Struct, "Hooks", nullptr, &kHooks};

/* ---- linux.resources ---- */

constexpr Field kDevCgroupFields[] = {
        {"allow", &kBool},  {"type", &kString},   {"major", &kInt64},
        {"minor", &kInt64}, {"access", &kString},
};
constexpr StructDef kDevCgroup = fieldsOf(kDevCgroupFields);
constexpr Type kDevCgroupT{Kind::Struct, "LinuxDeviceCgroup", nullptr, &kDevCgroup};
constexpr Type kDevCgroups{Kind::Slice, "[]LinuxDeviceCgroup", &kDevCgroupT};

constexpr Field kMemoryFields[] = {
        {"limit", &kInt64},           {"reservation", &kInt64}, {"swap", &kInt64},
        {"kernel", &kInt64},          {"kernelTCP", &kInt64},   {"swappiness", &kUint64},
        {"disableOOMKiller", &kBool}, {"useHierarchy", &kBool}, {"checkBeforeUpdate", &kBool},
};
constexpr StructDef kMemory = fieldsOf(kMemoryFields);
constexpr Type kMemoryT{Kind::Struct, "LinuxMemory", nullptr, &kMemory};

constexpr Field kCpuFields[] = {
        {"shares", &kUint64}, {"quota", &kInt64},           {"burst", &kUint64},
        {"period", &kUint64}, {"realtimeRuntime", &kInt64}, {"realtimePeriod", &kUint64},
        {"cpus", &kString},   {"mems", &kString},           {"idle", &kInt64},
};
constexpr StructDef kCpu = fieldsOf(kCpuFields);
constexpr Type kCpuT{Kind::Struct, "LinuxCPU", nullptr, &kCpu};

constexpr Field kPidsFields[] = {{"limit", &kInt64}};
constexpr StructDef kPids = fieldsOf(kPidsFields);
constexpr Type kPidsT{Kind::Struct, "LinuxPids", nullptr, &kPids};

/* LinuxWeightDevice and LinuxThrottleDevice embed LinuxBlockIODevice: Go
 * promotes its major and minor. */
constexpr Field kWeightDevFields[] = {
        {"major", &kInt64}, {"minor", &kInt64}, {"weight", &kUint16}, {"leafWeight", &kUint16}};
constexpr StructDef kWeightDev = fieldsOf(kWeightDevFields);
constexpr Type kWeightDevT{Kind::Struct, "LinuxWeightDevice", nullptr, &kWeightDev};
constexpr Type kWeightDevs{Kind::Slice, "[]LinuxWeightDevice", &kWeightDevT};

constexpr Field kThrottleFields[] = {{"major", &kInt64}, {"minor", &kInt64}, {"rate", &kUint64}};
constexpr StructDef kThrottle = fieldsOf(kThrottleFields);
constexpr Type kThrottleT{Kind::Struct, "LinuxThrottleDevice", nullptr, &kThrottle};
constexpr Type kThrottles{Kind::Slice, "[]LinuxThrottleDevice", &kThrottleT};

constexpr Field kBlkioFields[] = {
        {"weight", &kUint16},
        {"leafWeight", &kUint16},
        {"weightDevice", &kWeightDevs},
        {"throttleReadBpsDevice", &kThrottles},
        {"throttleWriteBpsDevice", &kThrottles},
        {"throttleReadIOPSDevice", &kThrottles},
        {"throttleWriteIOPSDevice", &kThrottles},
};
constexpr StructDef kBlkio = fieldsOf(kBlkioFields);
constexpr Type kBlkioT{Kind::Struct, "LinuxBlockIO", nullptr, &kBlkio};

constexpr Field kHugeFields[] = {{"pageSize", &kString}, {"limit", &kUint64}};
constexpr StructDef kHuge = fieldsOf(kHugeFields);
constexpr Type kHugeT{Kind::Struct, "LinuxHugepageLimit", nullptr, &kHuge};
constexpr Type kHuges{Kind::Slice, "[]LinuxHugepageLimit", &kHugeT};

constexpr Field kPrioFields[] = {{"name", &kString}, {"priority", &kUint32}};
constexpr StructDef kPrio = fieldsOf(kPrioFields);
constexpr Type kPrioT{Kind::Struct, "LinuxInterfacePriority", nullptr, &kPrio};
constexpr Type kPrios{Kind::Slice, "[]LinuxInterfacePriority", &kPrioT};

constexpr Field kNetworkFields[] = {{"classID", &kUint32}, {"priorities", &kPrios}};
constexpr StructDef kNetwork = fieldsOf(kNetworkFields);
constexpr Type kNetworkT{Kind::Struct, "LinuxNetwork", nullptr, &kNetwork};

constexpr Field kRdmaFields[] = {{"hcaHandles", &kUint32}, {"hcaObjects", &kUint32}};
constexpr StructDef kRdma = fieldsOf(kRdmaFields);
constexpr Type kRdmaT{Kind::Struct, "LinuxRdma", nullptr, &kRdma};
constexpr Type kRdmaMap{Kind::Map, "map[string]LinuxRdma", &kRdmaT};

constexpr Field kResourcesFields[] = {
        {"devices", &kDevCgroups}, {"memory", &kMemoryT}, {"cpu", &kCpuT},
        {"pids", &kPidsT},         {"blockIO", &kBlkioT}, {"hugepageLimits", &kHuges},
        {"network", &kNetworkT},   {"rdma", &kRdmaMap},   {"unified", &kStringMapT},
};
constexpr StructDef kResourcesDef = fieldsOf(kResourcesFields);
constexpr Type kResourcesT{Kind::Struct, "LinuxResources", nullptr, &kResourcesDef};

/* ---- linux ---- */

constexpr Field kNamespaceFields[] = {{"type", &kString}, {"path", &kString}};
constexpr StructDef kNamespace = fieldsOf(kNamespaceFields);
constexpr Type kNamespaceT{Kind::Struct, "LinuxNamespace", nullptr, &kNamespace};
constexpr Type kNamespaces{Kind::Slice, "[]LinuxNamespace", &kNamespaceT};

constexpr Field kDeviceFields[] = {
        {"path", &kString},     {"type", &kString}, {"major", &kInt64}, {"minor", &kInt64},
        {"fileMode", &kUint32}, {"uid", &kUint32},  {"gid", &kUint32},
};
constexpr StructDef kDevice = fieldsOf(kDeviceFields);
constexpr Type kDeviceT{Kind::Struct, "LinuxDevice", nullptr, &kDevice};
constexpr Type kDevices{Kind::Slice, "[]LinuxDevice", &kDeviceT};

constexpr Field kSeccompArgFields[] = {
        {"index", &kUint}, {"value", &kUint64}, {"valueTwo", &kUint64}, {"op", &kString}};
constexpr StructDef kSeccompArg = fieldsOf(kSeccompArgFields);
constexpr Type kSeccompArgT{Kind::Struct, "LinuxSeccompArg", nullptr, &kSeccompArg};
constexpr Type kSeccompArgs{Kind::Slice, "[]LinuxSeccompArg", &kSeccompArgT};

constexpr Field kSyscallFields[] = {
        {"names", &kStrings}, {"action", &kString}, {"errnoRet", &kUint}, {"args", &kSeccompArgs}};
constexpr StructDef kSyscall = fieldsOf(kSyscallFields);
constexpr Type kSyscallT{Kind::Struct, "LinuxSyscall", nullptr, &kSyscall};
constexpr Type kSyscalls{Kind::Slice, "[]LinuxSyscall", &kSyscallT};

constexpr Field kSeccompFields[] = {
        {"defaultAction", &kString}, {"defaultErrnoRet", &kUint}, {"architectures", &kStrings},
        {"flags", &kStrings},        {"listenerPath", &kString},  {"listenerMetadata", &kString},
        {"syscalls", &kSyscalls},
};
constexpr StructDef kSeccomp = fieldsOf(kSeccompFields);
constexpr Type kSeccompT{Kind::Struct, "LinuxSeccomp", nullptr, &kSeccomp};

constexpr Field kRdtFields[] = {
        {"closID", &kString},         {"l3CacheSchema", &kString}, {"memBwSchema", &kString},
        {"schemata", &kStrings},      {"enableCMT", &kBool},       {"enableMBM", &kBool},
        {"enableMonitoring", &kBool},
};
constexpr StructDef kRdt = fieldsOf(kRdtFields);
constexpr Type kRdtT{Kind::Struct, "LinuxIntelRdt", nullptr, &kRdt};

constexpr Field kPersonalityFields[] = {{"domain", &kString}, {"flags", &kStrings}};
constexpr StructDef kPersonality = fieldsOf(kPersonalityFields);
constexpr Type kPersonalityT{Kind::Struct, "LinuxPersonality", nullptr, &kPersonality};

constexpr Field kTimeOffsetFields[] = {{"secs", &kInt64}, {"nanosecs", &kUint32}};
constexpr StructDef kTimeOffset = fieldsOf(kTimeOffsetFields);
constexpr Type kTimeOffsetT{Kind::Struct, "LinuxTimeOffset", nullptr, &kTimeOffset};
constexpr Type kTimeOffsets{Kind::Map, "map[string]LinuxTimeOffset", &kTimeOffsetT};

constexpr Field kMemPolicyFields[] = {
        {"mode", &kString}, {"nodes", &kString}, {"flags", &kStrings}};
constexpr StructDef kMemPolicy = fieldsOf(kMemPolicyFields);
constexpr Type kMemPolicyT{Kind::Struct, "LinuxMemoryPolicy", nullptr, &kMemPolicy};

constexpr Field kNetDeviceFields[] = {{"name", &kString}};
constexpr StructDef kNetDevice = fieldsOf(kNetDeviceFields);
constexpr Type kNetDeviceT{Kind::Struct, "LinuxNetDevice", nullptr, &kNetDevice};
constexpr Type kNetDevices{Kind::Map, "map[string]LinuxNetDevice", &kNetDeviceT};

constexpr Field kLinuxFields[] = {
        {"uidMappings", &kIdMaps},
        {"gidMappings", &kIdMaps},
        {"sysctl", &kStringMapT},
        {"resources", &kResourcesT},
        {"cgroupsPath", &kString},
        {"namespaces", &kNamespaces},
        {"devices", &kDevices},
        {"seccomp", &kSeccompT},
        {"rootfsPropagation", &kString},
        {"maskedPaths", &kStrings},
        {"readonlyPaths", &kStrings},
        {"mountLabel", &kString},
        {"intelRdt", &kRdtT},
        {"personality", &kPersonalityT},
        {"timeOffsets", &kTimeOffsets},
        {"memoryPolicy", &kMemPolicyT},
        {"netDevices", &kNetDevices},
};
constexpr StructDef kLinux = fieldsOf(kLinuxFields);
constexpr Type kLinuxT{Kind::Struct, "Linux", nullptr, &kLinux};

/* ---- the spec ---- */

constexpr Field kSpecFields[] = {
        {"ociVersion", &kString}, {"process", &kProcessT},
        {"root", &kRootT},        {"hostname", &kString},
        {"domainname", &kString}, {"mounts", &kMounts},
        {"hooks", &kHooksT},      {"annotations", &kStringMapT},
        {"linux", &kLinuxT},      {"solaris", &kAny},
        {"windows", &kAny},       {"vm", &kAny},
        {"zos", &kAny},
};
constexpr StructDef kSpecDef = fieldsOf(kSpecFields);

} // namespace

const Type kStringMap = kStringMapT;
const StructDef kSpec = kSpecDef;
const StructDef kProcess = kProcessDef;
const StructDef kResources = kResourcesDef;

} // namespace bulkhead::spec::schema
