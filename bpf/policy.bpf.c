// Policy enforcement without BPF-LSM: cgroup hooks deny network, sysctl and
// device access with EPERM before it happens; tracepoints kill a process
// whose exec or syscall a policy forbids (the kill lands before the process
// runs another instruction of its own). Every program first looks up the
// task's cgroup in `pol_bindings` and returns at once for anything that is
// not a governed container.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "policy.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGKILL 9
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_BINDINGS);
	__type(key, __u64);
	__type(value, struct capsa_binding);
} pol_bindings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_BINDINGS);
	__type(key, __u32);
	__type(value, struct capsa_policy_defaults);
} pol_defaults SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__type(key, struct capsa_inode_key);
	__type(value, struct capsa_verdict);
} pol_exec SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct capsa_net_key);
	__type(value, struct capsa_net_value);
} pol_net SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct capsa_sysctl_key);
	__type(value, struct capsa_sysctl_value);
} pol_sysctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__type(key, struct capsa_dev_key);
	__type(value, struct capsa_dev_value);
} pol_dev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__type(key, struct capsa_syscall_key);
	__type(value, struct capsa_verdict);
} pol_syscall SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__type(key, struct capsa_hit_key);
	__type(value, __u64);
} pol_hits SEC(".maps");

/* Tasks a cgroup hook condemned: cgroup programs cannot send signals, so the
 * kill happens on the task's way out of that same syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* pid_tgid */
	__type(value, __u8);
} pol_doomed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAPSA_PSTAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} pol_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} pol_events SEC(".maps");

struct governed {
	__u64 cgid;
	struct capsa_binding *bind;
};

static __always_inline int governed_task(struct governed *g)
{
	g->cgid = bpf_get_current_cgroup_id();
	g->bind = bpf_map_lookup_elem(&pol_bindings, &g->cgid);
	return g->bind != NULL;
}

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&pol_stats, &idx);

	if (v)
		(*v)++;
}

static __always_inline void count_hit(const struct governed *g, __u32 rule_id)
{
	struct capsa_hit_key key = {
		.cgroup_id = g->cgid,
		.policy_id = g->bind->policy_id,
		.rule_id = rule_id,
	};
	__u64 one = 1, *n = bpf_map_lookup_elem(&pol_hits, &key);

	if (n)
		(*n)++;
	else
		bpf_map_update_elem(&pol_hits, &key, &one, BPF_NOEXIST);
}

/* Counts the hit and reserves its event (NULL when the ring is full, which
 * is counted as lost). Allow verdicts are neither counted nor reported. */
static __always_inline struct capsa_policy_event *
report(const struct governed *g, const struct capsa_verdict *v, __u8 kind)
{
	struct capsa_policy_event *ev;
	struct task_struct *task;

	count_hit(g, v->rule_id);
	ev = bpf_ringbuf_reserve(&pol_events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(CAPSA_PSTAT_EVENTS_LOST);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	task = (struct task_struct *)bpf_get_current_task();
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = g->cgid;
	ev->policy_id = g->bind->policy_id;
	ev->rule_id = v->rule_id;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->kind = kind;
	ev->action = v->action;
	ev->enforced = !(g->bind->flags & CAPSA_BIND_AUDIT_ONLY);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

static __always_inline void submit(struct capsa_policy_event *ev)
{
	bpf_ringbuf_submit(ev, 0);
	stat_inc(CAPSA_PSTAT_EVENTS_SENT);
}

/* What the verdict means for the operation once reported: 1 let it happen,
 * 0 refuse it. A policy in audit mode never refuses. */
static __always_inline int blocks(const struct governed *g, const struct capsa_verdict *v)
{
	if (g->bind->flags & CAPSA_BIND_AUDIT_ONLY)
		return 0;
	return v->action >= CAPSA_ACT_DENY;
}


/* ---------------------------------------------------------------- exec */

static __always_inline __u64 kernel_dev(struct super_block *sb)
{
	return BPF_CORE_READ(sb, s_dev);
}

/* The strongest exec rule on the file or on any directory above it, walking
 * dentries up through mounts to the task's file-system root. */
static __always_inline int exec_lookup(__u32 policy_id, struct file *file, struct capsa_verdict *best)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vmnt = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = container_of(vmnt, struct mount, mnt);
	struct capsa_inode_key key = { .policy_id = policy_id };
	int found = 0;

	for (int i = 0; i < CAPSA_POLICY_MAX_DEPTH; i++) {
		struct capsa_verdict *v;
		struct dentry *parent;

		key.dev = kernel_dev(BPF_CORE_READ(dentry, d_sb));
		key.ino = BPF_CORE_READ(dentry, d_inode, i_ino);
		v = bpf_map_lookup_elem(&pol_exec, &key);
		if (v) {
			if (!found || v->action > best->action)
				*best = *v;
			found = 1;
		}
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry) {
			/* Root of this mount: continue at its mount point. */
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			if (up == mnt)
				break;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			continue;
		}
		dentry = parent;
	}
	return found;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(capsa_policy_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct capsa_policy_defaults *defs;
	struct capsa_policy_event *ev;
	struct capsa_verdict v = {};
	struct governed g;

	if (!governed_task(&g))
		return 0;
	if (!exec_lookup(g.bind->policy_id, bprm->file, &v)) {
		defs = bpf_map_lookup_elem(&pol_defaults, &g.bind->policy_id);
		if (!defs)
			return 0;
		v = defs->exec;
	}
	if (v.action == CAPSA_ACT_ALLOW)
		return 0;
	ev = report(&g, &v, CAPSA_KIND_EXEC);
	if (ev) {
		ev->ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), bprm->filename);
		submit(ev);
	}
	/* Past the point of no return: deny can only be a kill, which lands
	 * before the new image runs its first instruction. */
	if (blocks(&g, &v))
		bpf_send_signal(SIGKILL);
	return 0;
}

/* ------------------------------------------------------------- syscalls */

SEC("raw_tracepoint/sys_enter")
int capsa_policy_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct capsa_syscall_key key;
	struct capsa_policy_event *ev;
	struct capsa_verdict *v;
	struct governed g;

	if (!governed_task(&g))
		return 0;
	key.policy_id = g.bind->policy_id;
	key.nr = (__u32)ctx->args[1];
	v = bpf_map_lookup_elem(&pol_syscall, &key);
	if (!v || v->action == CAPSA_ACT_ALLOW)
		return 0;
	ev = report(&g, v, CAPSA_KIND_SYSCALL);
	if (ev) {
		ev->syscall_nr = (__s32)key.nr;
		submit(ev);
	}
	if (blocks(&g, v))
		bpf_send_signal(SIGKILL);
	return 0;
}

/* Kills what a cgroup hook condemned, as the syscall returns. */
SEC("raw_tracepoint/sys_exit")
int capsa_policy_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid;
	struct governed g;

	if (!governed_task(&g))
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!bpf_map_lookup_elem(&pol_doomed, &pid_tgid))
		return 0;
	bpf_map_delete_elem(&pol_doomed, &pid_tgid);
	bpf_send_signal(SIGKILL);
	return 0;
}

/* Returns what a cgroup hook returns: 1 allow, 0 EPERM. */
static __always_inline int cgroup_verdict(const struct governed *g, const struct capsa_verdict *v)
{
	if (!blocks(g, v))
		return 1;
	if (v->action == CAPSA_ACT_KILL) {
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		__u8 one = 1;

		bpf_map_update_elem(&pol_doomed, &pid_tgid, &one, BPF_ANY);
	}
	return 0;
}

/* -------------------------------------------------------------- network */

static __always_inline int net_decide(struct bpf_sock_addr *ctx, __u8 direction, int v6)
{
	struct capsa_policy_defaults *defs;
	struct capsa_policy_event *ev;
	struct capsa_net_value *val;
	struct capsa_net_key key = {};
	struct capsa_verdict v = {};
	struct governed g;
	__u16 port;
	int found = 0;

	if (!governed_task(&g))
		return 1;
	key.prefixlen = 64 + 128;
	key.policy_id = g.bind->policy_id;
	key.direction = direction;
	key.protocol = ctx->protocol;
	if (v6) {
		__u32 *a = (__u32 *)key.addr;

		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
	} else {
		key.addr[10] = 0xff;
		key.addr[11] = 0xff;
		*(__u32 *)&key.addr[12] = ctx->user_ip4;
	}
	port = bpf_ntohs((__u16)ctx->user_port);

	val = bpf_map_lookup_elem(&pol_net, &key);
	if (val) {
		for (int i = 0; i < CAPSA_NET_MAX_RANGES; i++) {
			if (i >= val->nranges)
				break;
			if (port < val->ranges[i].lo || port > val->ranges[i].hi)
				continue;
			if (!found || val->ranges[i].verdict.action > v.action)
				v = val->ranges[i].verdict;
			found = 1;
		}
	}
	if (!found) {
		defs = bpf_map_lookup_elem(&pol_defaults, &g.bind->policy_id);
		if (!defs)
			return 1;
		v = direction == CAPSA_NET_BIND ? defs->net_bind : defs->net_egress;
	}
	if (v.action == CAPSA_ACT_ALLOW)
		return 1;
	ev = report(&g, &v, CAPSA_KIND_NETWORK);
	if (ev) {
		ev->protocol = key.protocol;
		ev->direction = direction;
		ev->port = port;
		__builtin_memcpy(ev->addr, key.addr, sizeof(ev->addr));
		submit(ev);
	}
	return cgroup_verdict(&g, &v);
}

SEC("cgroup/connect4")
int capsa_connect4(struct bpf_sock_addr *ctx) { return net_decide(ctx, CAPSA_NET_EGRESS, 0); }

SEC("cgroup/connect6")
int capsa_connect6(struct bpf_sock_addr *ctx) { return net_decide(ctx, CAPSA_NET_EGRESS, 1); }

SEC("cgroup/sendmsg4")
int capsa_sendmsg4(struct bpf_sock_addr *ctx) { return net_decide(ctx, CAPSA_NET_EGRESS, 0); }

SEC("cgroup/sendmsg6")
int capsa_sendmsg6(struct bpf_sock_addr *ctx) { return net_decide(ctx, CAPSA_NET_EGRESS, 1); }

SEC("cgroup/bind4")
int capsa_bind4(struct bpf_sock_addr *ctx) { return net_decide(ctx, CAPSA_NET_BIND, 0); }

SEC("cgroup/bind6")
int capsa_bind6(struct bpf_sock_addr *ctx) { return net_decide(ctx, CAPSA_NET_BIND, 1); }

/* --------------------------------------------------------------- sysctl */

SEC("cgroup/sysctl")
int capsa_sysctl(struct bpf_sysctl *ctx)
{
	struct capsa_policy_event *ev;
	struct capsa_sysctl_value *val;
	struct capsa_sysctl_key key = {};
	struct capsa_verdict v;
	struct governed g;
	int write;

	if (!governed_task(&g))
		return 1;
	key.prefixlen = 32 + 8 * CAPSA_POLICY_SYSCTL_LEN;
	key.policy_id = g.bind->policy_id;
	/* A name longer than the key is looked up by its first bytes: prefix
	 * rules still match, exact ones cannot name it anyway. */
	if (bpf_sysctl_get_name(ctx, key.name, sizeof(key.name), 0) < 0 && key.name[0] == 0)
		return 1;
	val = bpf_map_lookup_elem(&pol_sysctl, &key);
	if (!val)
		return 1;
	write = ctx->write;
	v = write ? val->write : val->read;
	if (v.action == CAPSA_ACT_ALLOW)
		return 1;
	ev = report(&g, &v, CAPSA_KIND_SYSCTL);
	if (ev) {
		ev->access = write ? 2 : 1;
		__builtin_memcpy(ev->path, key.name, sizeof(key.name));
		submit(ev);
	}
	return cgroup_verdict(&g, &v);
}

/* --------------------------------------------------------------- device */

static __always_inline void dev_match(struct capsa_dev_key *key, __u32 acc, struct capsa_verdict *best, int *found)
{
	struct capsa_dev_value *val = bpf_map_lookup_elem(&pol_dev, key);

	if (!val)
		return;
	for (int i = 0; i < 3; i++) {
		if (!(acc & (1u << i)) || !val->access[i].rule_id)
			continue;
		if (!*found || val->access[i].action > best->action)
			*best = val->access[i];
		*found = 1;
	}
}

SEC("cgroup/dev")
int capsa_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	struct capsa_policy_event *ev;
	struct capsa_verdict v = {};
	struct capsa_dev_key key;
	struct governed g;
	__u32 type = ctx->access_type & 0xffff;
	__u32 acc = ctx->access_type >> 16;
	int found = 0;

	if (!governed_task(&g))
		return 1;
	key.policy_id = g.bind->policy_id;
	/* Every rule that can cover this device: exact, then wider. */
	for (int t = 0; t < 2; t++) {
		key.type = t == 0 ? type : CAPSA_DEV_TYPE_ANY;
		key.major = ctx->major;
		key.minor = ctx->minor;
		dev_match(&key, acc, &v, &found);
		key.minor = CAPSA_DEV_ANY;
		dev_match(&key, acc, &v, &found);
		key.major = CAPSA_DEV_ANY;
		dev_match(&key, acc, &v, &found);
	}
	if (!found || v.action == CAPSA_ACT_ALLOW)
		return 1;
	ev = report(&g, &v, CAPSA_KIND_DEVICE);
	if (ev) {
		ev->access = acc;
		ev->major = ctx->major;
		ev->minor = ctx->minor;
		submit(ev);
	}
	return cgroup_verdict(&g, &v);
}
