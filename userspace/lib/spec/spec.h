// The OCI runtime-spec (config.json) subset capsa understands, as plain
// structs. Parsing and validation live in spec/parse.h; everything downstream
// (cgroups, namespaces, mounts, process) works only on these types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace capsa::spec {

struct Root {
  std::string path;  // as written in config.json
  bool readonly = false;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

struct Rlimit {
  std::string type;  // e.g. "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

// process.ioPriority: ioprio_set(2) of the process before it execs.
struct IoPriority {
  std::string io_class;  // IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE
  int priority = 0;      // 0 (highest) to 7
};

// process.scheduler: sched_setattr(2) of the process before it execs. Field
// combinations are checked as runc checks them, and the deadline triple as
// the kernel would.
struct Scheduler {
  std::string policy;              // SCHED_OTHER, SCHED_FIFO, ... as written
  int nice = 0;                    // -20 to 19
  uint32_t priority = 0;           // 1 to 99, SCHED_FIFO and SCHED_RR only
  std::vector<std::string> flags;  // SCHED_FLAG_*
  uint64_t runtime = 0;            // nanoseconds, SCHED_DEADLINE only
  uint64_t deadline = 0;
  uint64_t period = 0;
};

struct Process {
  bool terminal = false;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::optional<IoPriority> io_priority;
  std::optional<Scheduler> scheduler;
};

// One line of /proc/PID/uid_map or gid_map.
struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  // An id-mapped bind mount ("idmap"/"ridmap", or mappings given): file
  // owners on the source as container_id appear as host_id. Without
  // mappings of its own it takes linux.uidMappings/gidMappings.
  bool idmap = false;
  bool idmap_recursive = false;  // "ridmap": every submount too
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
};

enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one
};

struct Device {
  std::string path;
  char type = 'c';  // 'c', 'b', 'u' or 'p'
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct DeviceRule {
  bool allow = false;
  std::string type;  // "a", "c", "b"; empty means "a"
  std::optional<int64_t> major, minor;
  std::string access;  // subset of "rwm"
};

struct MemoryResources {
  std::optional<int64_t> limit;        // bytes; -1 = unlimited
  std::optional<int64_t> reservation;  // bytes
  std::optional<int64_t> swap;         // memory+swap bytes (v1 semantics); -1 = unlimited
  std::optional<int64_t> kernel;       // ignored on kernels without kmem accounting
  std::optional<int64_t> swappiness;
  std::optional<bool> disable_oom_killer;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;   // microseconds; -1 = unlimited
  std::optional<uint64_t> period; // microseconds
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;  // cpuset list, e.g. "0-1"
  std::string mems;
};

struct PidsResources {
  int64_t limit = 0;  // > 0, or -1 = unlimited
};

// A block device as major:minor (linux.resources.blockIO.*Device[]).
struct BlockDeviceId {
  int64_t major = 0;
  int64_t minor = 0;
  std::string to_string() const { return std::to_string(major) + ":" + std::to_string(minor); }
};

struct WeightDevice {
  BlockDeviceId device;
  std::optional<uint16_t> weight;       // 10..1000
  std::optional<uint16_t> leaf_weight;  // 10..1000
};

struct ThrottleDevice {
  BlockDeviceId device;
  uint64_t rate = 0;  // bytes or operations per second; 0 removes the limit
};

struct BlockIoResources {
  std::optional<uint16_t> weight;       // 10..1000
  std::optional<uint16_t> leaf_weight;  // 10..1000
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps;
  std::vector<ThrottleDevice> throttle_write_bps;
  std::vector<ThrottleDevice> throttle_read_iops;
  std::vector<ThrottleDevice> throttle_write_iops;
};

struct HugepageLimit {
  std::string page_size;  // as the hugetlb controller names it: "64KB", "2MB", "1GB"
  uint64_t limit = 0;     // bytes
};

struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<InterfacePriority> priorities;
};

struct RdmaLimit {
  std::optional<uint32_t> hca_handles;
  std::optional<uint32_t> hca_objects;
};

struct Resources {
  std::vector<DeviceRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::optional<BlockIoResources> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<NetworkResources> network;
  std::map<std::string, RdmaLimit> rdma;  // device name -> limits
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value
};

// linux.seccomp, validated but not yet compiled: names are kept as written
// (a profile may list syscalls this libseccomp does not know; runc skips them).
struct SeccompArg {
  uint32_t index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_*
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_*
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;

  bool uses_notify() const;
};

// A clock's offset in a new time namespace (/proc/PID/timens_offsets).
struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

// linux.personality: the execution domain (personality(2)) the container's
// processes run under.
struct Personality {
  std::string domain;              // "LINUX" or "LINUX32"
  std::vector<std::string> flags;  // personality(2) flag names, e.g. "ADDR_NO_RANDOMIZE"
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic" and/or "boottime"
  std::vector<Device> devices;
  std::string cgroups_path;  // empty: runtime default
  std::optional<Resources> resources;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::optional<Seccomp> seccomp;
  std::optional<Personality> personality;
  std::string rootfs_propagation;  // "", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"
};

// One entry of hooks.<kind>: a program the runtime runs with the container's
// state on stdin.
struct Hook {
  std::string path;               // absolute
  std::vector<std::string> args;  // args[0] is argv[0]; empty: just path
  std::vector<std::string> env;
  std::optional<int> timeout;     // seconds, > 0; none: wait as long as it takes
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated in favour of createRuntime, still run
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
};

struct Spec {
  std::string oci_version;
  Root root;
  std::optional<Process> process;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  std::map<std::string, std::string> annotations;
  Hooks hooks;
  std::optional<Linux> linux;

  bool has_namespace(NamespaceType t) const;
  const Namespace* find_namespace(NamespaceType t) const;
};

const char* to_string(NamespaceType t);

// Whether id (a container-side id) falls in one of the ranges.
bool id_mapped(const std::vector<IdMapping>& maps, uint32_t id);
// As /proc/PID/uid_map takes them: "containerID hostID size" lines.
std::string id_map_text(const std::vector<IdMapping>& maps);

}  // namespace capsa::spec
