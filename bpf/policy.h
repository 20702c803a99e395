/* Types shared by policy.bpf.c and user space (the policy compiler and
 * capsad). Fixed-width types only: the kernel program and capsad read the
 * same layout.
 *
 * How a verdict is found: the task's cgroup v2 id -> `pol_bindings` gives the
 * policy id of its container (no entry: not governed, return at once). Rule
 * maps are keyed by that policy id plus what the kernel sees (inode, address,
 * sysctl name, device numbers, syscall number), so a lookup costs the same
 * with 10 rules or 10,000. Policy ids are never reused while a container may
 * still be bound to them: a new version of a policy is written under a fresh
 * id, then each container's binding is flipped in one map update (atomic for
 * the container), then the old id's entries are removed.
 *
 * The maps are pinned and outlive capsad: a struct held in one only grows
 * at its end, with fields whose zero keeps the old meaning, so an upgraded
 * capsad carries an earlier one's entries over zero-filled
 * (userspace/lib/bpf/pinned_map_upgrade). */
#ifndef CAPSA_BPF_POLICY_H
#define CAPSA_BPF_POLICY_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define CAPSA_POLICY_MAX_BINDINGS 16384
/* Cgroups containers made beneath their own, bound as their container:
 * at most this many per container and in all (pol_bindings holds both,
 * so containers' own bindings always find room). */
#define CAPSA_POLICY_COPIES_PER_CONTAINER 256
#define CAPSA_POLICY_MAX_COPIES 65536
#define CAPSA_POLICY_MAX_RULES 262144
#define CAPSA_POLICY_PATH_LEN 256
#define CAPSA_POLICY_SYSCTL_LEN 64
#define CAPSA_POLICY_MAX_DEPTH 32 /* directory levels walked for prefix rules */
#define CAPSA_NET_MAX_RANGES 16

enum capsa_action {
	CAPSA_ACT_ALLOW = 0,
	CAPSA_ACT_AUDIT = 1,
	CAPSA_ACT_DENY = 2,
	CAPSA_ACT_KILL = 3,
};

enum capsa_rule_kind {
	CAPSA_KIND_EXEC = 1,
	CAPSA_KIND_NETWORK = 2,
	CAPSA_KIND_SYSCTL = 3,
	CAPSA_KIND_DEVICE = 4,
	CAPSA_KIND_SYSCALL = 5,
	CAPSA_KIND_FILE = 6,
	CAPSA_KIND_ROOT_ESCAPE = 7, /* file-root confinement, always on */
	CAPSA_KIND_TASK_ESCAPE = 8, /* ptrace or signal to a task outside the
				       container (BPF-LSM tier), always on */
	CAPSA_KIND_ENTRY = 9, /* not a verdict: a task moved into a governed
				 container's cgroup from outside it (pid) */
	CAPSA_KIND_CGROUP_ESCAPE = 10, /* a cgroup made beneath a container's
					  that could not be bound as the
					  container: its tasks are killed */
};

/* The rule ids of the confinements no policy file writes. */
#define CAPSA_RULE_ROOT_CONFINEMENT 0xfffffff0u
#define CAPSA_RULE_TASK_CONFINEMENT 0xfffffff1u
#define CAPSA_RULE_CGROUP_CONFINEMENT 0xfffffff2u

/* A section's default action is reported as this rule id plus the kind. */
#define CAPSA_RULE_DEFAULT_BASE 0xffffff00u

/* `pol_bindings`: cgroup v2 id -> the container's policy. */
#define CAPSA_BIND_AUDIT_ONLY 1u /* policy mode audit: report, never block */
#define CAPSA_BIND_HAS_FILES 2u  /* the policy has file rules: look them up */
/* A cgroup the container made beneath its own (a writable cgroup2 mount, as
 * systemd in a container wants): its tasks are the container's, `home`
 * names it, and its policy is read from the container's own entry (a copy
 * holds CAPSA_POLICY_NONE and this flag only). Made by the BPF tier as the
 * cgroup is made, dropped as it is removed; never names another copy. */
#define CAPSA_BIND_COPY 4u
/* Policy id of a container that no policy selects: only file-root
 * confinement applies to it. */
#define CAPSA_POLICY_NONE 0u
struct capsa_binding {
	__u32 policy_id;
	__u32 flags;
	__u64 home; /* CAPSA_BIND_COPY: the container's cgroup id */
};

/* What a matching rule says. */
struct capsa_verdict {
	__u8 action; /* enum capsa_action */
	__u8 pad[3];
	__u32 rule_id; /* 1-based index of the rule in the compiled policy */
};

/* `pol_defaults`: policy id -> default actions of the sections that have one. */
struct capsa_policy_defaults {
	struct capsa_verdict exec;
	struct capsa_verdict net_egress;
	struct capsa_verdict net_bind;
};

/* `pol_exec`: an executable or a directory above it, by inode. dev is the
 * kernel's internal encoding (major << 20 | minor), as in super_block.s_dev. */
struct capsa_inode_key {
	__u32 policy_id;
	__u32 pad;
	__u64 dev;
	__u64 ino;
};

/* `pol_files`: a file or directory by inode (same key as `pol_exec`). `self`
 * applies to the inode itself, `below` to everything under a directory (a
 * prefix rule sets both, an exact rule only `self`). Indexed by
 * enum capsa_file_access. */
enum capsa_file_access {
	CAPSA_FILE_READ = 0,
	CAPSA_FILE_WRITE = 1,
	CAPSA_FILE_EXEC = 2,
	CAPSA_FILE_CREATE = 3,
	CAPSA_FILE_UNLINK = 4,
	CAPSA_FILE_NACCESS = 5,
};
struct capsa_file_value {
	struct capsa_verdict self[CAPSA_FILE_NACCESS];
	struct capsa_verdict below[CAPSA_FILE_NACCESS];
};

/* Path components walked from a file up to the task's root; a file deeper
 * than this is treated as outside the root (confinement fails closed). */
#define CAPSA_FILE_WALK_DEPTH 64

/* `pol_net` (LPM trie): prefixlen counts the bits of policy_id, direction,
 * protocol and pad (64) plus the address prefix. IPv4 is stored mapped
 * (::ffff:a.b.c.d), so a /24 is prefixlen 64 + 96 + 24. */
/* Any other protocol (UDP-Lite, SCTP, ICMP ping sockets): rules with
 * protocol any hold it. */
#define CAPSA_NET_PROTO_OTHER 0
enum capsa_net_direction {
	CAPSA_NET_EGRESS = 0,
	CAPSA_NET_BIND = 1,
};
struct capsa_net_key {
	__u32 prefixlen;
	__u32 policy_id;
	__u8 direction;
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP or CAPSA_NET_PROTO_OTHER */
	__u16 pad;
	__u8 addr[16];
};
struct capsa_port_range {
	__u16 lo, hi; /* host byte order, inclusive */
	struct capsa_verdict verdict;
};
/* The ranges of every rule whose CIDR covers this prefix (the compiler copies
 * an enclosing prefix's ranges into the more specific entries), so the one
 * longest-prefix lookup sees every rule that can match. */
struct capsa_net_value {
	__u32 nranges;
	__u32 pad;
	struct capsa_port_range ranges[CAPSA_NET_MAX_RANGES];
};

/* `pol_sysctl` (LPM trie) over the name as the kernel spells it
 * ("net/ipv4/ip_forward"), NUL-padded. An exact rule's prefix includes the
 * terminating NUL; "net.ipv4.*" is the prefix "net/ipv4/". */
struct capsa_sysctl_key {
	__u32 prefixlen; /* 32 (policy_id) + 8 * bytes of name */
	__u32 policy_id;
	char name[CAPSA_POLICY_SYSCTL_LEN];
};
struct capsa_sysctl_value {
	struct capsa_verdict read;
	struct capsa_verdict write;
};

/* `pol_dev`: type/major/minor, CAPSA_DEV_ANY standing for "*". */
#define CAPSA_DEV_ANY 0xffffffffu
enum capsa_dev_type {
	CAPSA_DEV_TYPE_ANY = 0,
	CAPSA_DEV_TYPE_BLOCK = 1, /* BPF_DEVCG_DEV_BLOCK */
	CAPSA_DEV_TYPE_CHAR = 2,  /* BPF_DEVCG_DEV_CHAR */
};
struct capsa_dev_key {
	__u32 policy_id;
	__u32 type;
	__u32 major;
	__u32 minor;
};
/* One verdict per access: mknod, read, write (BPF_DEVCG_ACC_* bit order). */
struct capsa_dev_value {
	struct capsa_verdict access[3];
};

/* `pol_syscall`: policy id + syscall number of this architecture. */
struct capsa_syscall_key {
	__u32 policy_id;
	__u32 nr;
};

/* `pol_compat_nr` (array): the x86-64 number + 1 of a call made through
 * another ABI of the 64-bit kernel, 0 for one without a native counterpart
 * (so an array capsad has not filled yet matches no rule). Index: the i386
 * number (an int $0x80 call, 0..511) or x32's own calls, 512 on (below 512
 * x32 uses x86-64's numbers, with CAPSA_X32_SYSCALL_BIT set). */
#define CAPSA_COMPAT_NRS 1024
#define CAPSA_COMPAT_X32_BASE 512 /* i386 numbers below, x32's own calls from here */
#define CAPSA_X32_SYSCALL_BIT 0x40000000u

/* Syscall numbers capsad's seccomp supervisor can be sent (the runtime's
 * candidate set is cut to these). */
#define CAPSA_SECCOMP_MAX_NR 512

/* `pol_sc_answered` (LRU): thread id (as the host sees it) -> the call of
 * that thread capsad's seccomp supervisor has just let run
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE), written before the answer. The
 * sys_enter program stands back for that one call, which capsad has already
 * judged and reported, and consumes the entry. Any other call, one a
 * listener of the process's own let run included, is judged as usual: which
 * listener the kernel asked is not something a task's filter chain tells. */
#define CAPSA_SC_ANSWERED_MAX 16384
/* An answer older than this is not taken for the call it names (a thread
 * that died before making it, and a thread id used again). */
#define CAPSA_SC_ANSWER_TTL_NS 1000000000ull
enum capsa_syscall_abi {
	CAPSA_ABI_NATIVE = 0,
	CAPSA_ABI_I386 = 1,
	CAPSA_ABI_X32 = 2,
};
struct capsa_sc_answer {
	__u32 nr;   /* as the kernel passes it to sys_enter: the caller's ABI's */
	__u32 abi;  /* enum capsa_syscall_abi: the same number in another ABI is another call */
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

/* `pol_fowners` (BPF-LSM tier), keyed by the address of a file's
 * fown_struct: the contained task that last made someone the file's owner
 * (F_SETOWN and kin), so the later SIGIO is judged against its container.
 * Owners set outside any container leave no entry. */
#define CAPSA_FOWNERS_MAX 262144
/* How many of those one container may hold (capsad --fowners-per-container):
 * past it, each further owner its processes set kills the setter, so no
 * container fills the map that every container's owners share. */
#define CAPSA_FOWNERS_PER_CONTAINER 4096
struct capsa_fowner {
	__u64 cgroup_id;
	__u32 pid; /* tgid */
	__u32 ppid;
	char comm[16];
};

/* `pol_hits` (per-CPU): how often each rule decided, per container. */
struct capsa_hit_key {
	__u64 cgroup_id;
	__u32 policy_id;
	__u32 rule_id;
};

/* Record in the `pol_events` ring buffer: every audit, deny and kill. */
struct capsa_policy_event {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	__u32 policy_id;
	__u32 rule_id;
	__u32 pid;
	__u32 ppid;
	__u8 kind;     /* enum capsa_rule_kind */
	__u8 action;   /* enum capsa_action the rule asked for */
	__u8 enforced; /* 0 when the policy is in audit mode */
	__u8 protocol; /* NETWORK */
	__u16 port;    /* NETWORK, host byte order */
	__u8 direction;
	__u8 access;   /* DEVICE: BPF_DEVCG_ACC_*; SYSCTL: 1 read, 2 write;
			  FILE, ROOT_ESCAPE: 1 << enum capsa_file_access, or
			  CAPSA_ACCESS_UNIX_CONNECT; TASK_ESCAPE:
			  CAPSA_TASK_PTRACE, CAPSA_TASK_SIGNAL,
			  CAPSA_TASK_OWNER_QUOTA or CAPSA_TASK_OWNERS_FULL;
			  CGROUP_ESCAPE: CAPSA_CGROUP_* */
	__u32 major;   /* DEVICE */
	__u32 minor;
	__s32 syscall_nr; /* SYSCALL, TASK_ESCAPE (the call that asked, -1 none) */
	__u32 target_pid; /* TASK_ESCAPE: the task traced or signalled;
			     CGROUP_ESCAPE: the task that entered (0: none) */
	__u64 ino; /* EXEC, FILE, ROOT_ESCAPE */
	__u8 addr[16]; /* NETWORK (IPv4 mapped) */
	char comm[16];
	/* EXEC filename, SYSCTL name, FILE and ROOT_ESCAPE: the path the
	 * process asked for (or the file's name when it gave none);
	 * CGROUP_ESCAPE: the cgroup's path in the hierarchy, when known */
	char path[CAPSA_POLICY_PATH_LEN];
	__s32 signal; /* TASK_ESCAPE with CAPSA_TASK_SIGNAL */
	__u32 limit; /* TASK_ESCAPE with CAPSA_TASK_OWNER_QUOTA, CGROUP_ESCAPE:
			the quota */
	/* the executable of the process, as its container sees it */
	char binary[CAPSA_POLICY_PATH_LEN];
};

/* ROOT_ESCAPE `access` of a unix socket connect or send: outside the
 * capsa_file_access bits. `path` is the socket's file name as bound, or the
 * address the process gave (tracepoint tier). */
#define CAPSA_ACCESS_UNIX_CONNECT 0x80u
#define CAPSA_TASK_PTRACE 1u
#define CAPSA_TASK_SIGNAL 2u
/* A descriptor owner set past the container's CAPSA_FOWNERS_PER_CONTAINER:
 * the setter is killed (the hook cannot refuse). */
#define CAPSA_TASK_OWNER_QUOTA 3u
/* A descriptor owner that could not be noted or counted (pol_fowners or
 * pol_fowner_counts full): the setter is killed, as its owner would pass. */
#define CAPSA_TASK_OWNERS_FULL 4u
/* CGROUP_ESCAPE `access`: past CAPSA_POLICY_COPIES_PER_CONTAINER, or no
 * room left in pol_bindings's share for copies. `limit` is the quota. */
#define CAPSA_CGROUP_QUOTA 1u
#define CAPSA_CGROUP_FULL 2u

/* `pol_config[0]`, written by capsad. */
#define CAPSA_CFG_LSM_FILES 1u /* BPF-LSM programs decide files, exec and root
				  confinement (unix socket peers included): the
				  tracepoints stand back */
#define CAPSA_CFG_LSM_SYSCALLS 2u /* BPF-LSM hooks refuse the syscalls of
				     lsm_syscalls.h: sys_enter stands back */
struct capsa_policy_config {
	__u32 flags;
};

/* Index into the per-CPU `pol_stats` array. */
enum capsa_policy_stat {
	CAPSA_PSTAT_EVENTS_SENT = 0,
	CAPSA_PSTAT_EVENTS_LOST = 1,
	CAPSA_PSTAT_MAX = 2,
};

#endif
