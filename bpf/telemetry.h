/* Types shared by telemetry.bpf.c and user space. Fixed-width types only:
 * the same layout is read by the kernel program and by capsad/capsa. A
 * struct held in a pinned map only grows at its end, with fields whose zero
 * keeps the old meaning (userspace/lib/bpf/pinned_map_upgrade carries an
 * earlier capsad's entries over zero-filled). */
#ifndef CAPSA_BPF_TELEMETRY_H
#define CAPSA_BPF_TELEMETRY_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define CAPSA_COMM_LEN 16
#define CAPSA_FILENAME_LEN 256
#define CAPSA_MAX_CONTAINERS 16384

/* Value of the `containers` hash map, keyed by the container's cgroup v2 id
 * (__u64). Written by the runtime at create, removed at delete, re-synced by
 * capsad from the state directory. Presence is what makes a cgroup "contained". */
struct capsa_container {
	__u64 created_ns; /* CLOCK_REALTIME nanoseconds, for debugging only */
	__u32 flags;
	__u32 reserved;
};

/* A container's system calls entered, indexed by this architecture's
 * syscall number. A number at or above CAPSA_SYSCALL_OTHER (none on x86-64
 * or arm64 today, or a negative one from a tracer) is counted in that last
 * slot. */
#define CAPSA_SYSCALL_SLOTS 512
#define CAPSA_SYSCALL_OTHER (CAPSA_SYSCALL_SLOTS - 1)
struct capsa_syscall_counts {
	__u64 n[CAPSA_SYSCALL_SLOTS];
};

/* Value of the `container_cgroups` cgroup-storage map: present on exactly
 * the cgroups that are in `containers` (same writers, same moments; the
 * kernel drops it with the cgroup). The per-syscall program asks this map,
 * not the hash: a cgroup's storage is a pointer or two away, where a hash
 * lookup costs a hash and a bucket walk on every system call of every task
 * on the host. The container's syscall counts live in the mark itself, so
 * counting is that one look plus an atomic add: user space creates the
 * mark zeroed and never rewrites one that exists (BPF_NOEXIST), which would
 * reset its counts. Before Linux 6.2 (no cgroup storage) the counts are in
 * the per-CPU `syscall_counts` hash keyed by cgroup v2 id instead. */
struct capsa_container_mark {
	__u64 cgroup_id;
	struct capsa_syscall_counts syscalls;
};

/* Cgroups a container makes beneath its own (a writable cgroup2 mount, as
 * systemd in a container wants) are counted as the container: each carries
 * a copy naming the container's cgroup, in the `container_copies` hash
 * (keyed by its cgroup id) and, where there is cgroup storage, in its
 * `copy_cgroups` storage. The kernel makes one as such a cgroup is made
 * beneath a container's or one of its copies, and drops the hash's as it is
 * removed; capsad makes the ones for cgroups made before it registered the
 * container, and drops the ones whose container is gone. At most
 * CAPSA_COPIES_PER_CONTAINER per container and CAPSA_MAX_COPIES in all: a
 * cgroup past either is not counted (`copies_refused` counts them). */
#define CAPSA_COPIES_PER_CONTAINER 256
#define CAPSA_MAX_COPIES 65536
struct capsa_container_copy {
	__u64 home;  /* the container's cgroup v2 id */
	__u32 level; /* the container's cgroup's level (the v2 root's is 0);
			0 from capsad: the kernel finds it on first use */
	__u32 reserved;
};

/* Value of the per-CPU `counters` hash map, keyed by cgroup v2 id. The
 * kernel does not count `syscalls` here: user space fills it in with the sum
 * of the container's syscall counts (its mark's, or its `syscall_counts`
 * entry's before 6.2). */
struct capsa_counters {
	__u64 syscalls;
	__u64 execs;
	__u64 forks;
	__u64 exits;
};

enum capsa_event_type {
	CAPSA_EVENT_EXEC = 1,
	CAPSA_EVENT_EXIT = 2,
};

/* Record in the `events` ring buffer. */
struct capsa_event {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	__u32 type; /* enum capsa_event_type */
	__u32 pid;  /* thread group id as seen from the host */
	__u32 ppid;
	__s32 exit_code; /* wait(2) status for EXIT, 0 otherwise */
	char comm[CAPSA_COMM_LEN];
	char filename[CAPSA_FILENAME_LEN]; /* EXEC only */
};

/* Index into the per-CPU `stats` array. */
enum capsa_stat {
	CAPSA_STAT_EVENTS_SENT = 0,
	CAPSA_STAT_EVENTS_LOST = 1,
	CAPSA_STAT_MAX = 2,
};

/* Pin layout below the pin root (default /sys/fs/bpf/capsa). */
#define CAPSA_PIN_ROOT_DEFAULT "/sys/fs/bpf/capsa"
#define CAPSA_PIN_MAPS_DIR "maps"
#define CAPSA_PIN_LINKS_DIR "links"
#define CAPSA_MAP_CONTAINERS "containers"
#define CAPSA_MAP_CONTAINER_CGROUPS "container_cgroups"

#endif
