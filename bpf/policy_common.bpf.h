/* What the policy programs share: the maps (one definition, so the
 * tracepoint/cgroup object and the BPF-LSM object reuse the same pinned
 * maps), the binding lookup, event reporting and the file walk. Included by
 * policy.bpf.c and policy_lsm.bpf.c only. */
#ifndef CAPSA_POLICY_COMMON_BPF_H
#define CAPSA_POLICY_COMMON_BPF_H

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lsm_syscalls.h"
#include "policy.h"

#define SIGKILL 9
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_BINDINGS + CAPSA_POLICY_MAX_COPIES);
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
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__type(key, struct capsa_inode_key);
	__type(value, struct capsa_file_value);
} pol_files SEC(".maps");

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
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAPSA_COMPAT_NRS);
	__type(key, __u32);
	__type(value, __u32);
} pol_compat_nr SEC(".maps");

/* x86: thread_info.status while an i386 call (int $0x80) is in progress. */
#define CAPSA_TS_COMPAT 0x0002u
#define CAPSA_NR_NONE 0xffffffffu

/* The ABI of the call the task is in, given the number its registers hold. */
static __always_inline __u32 syscall_abi(__u32 nr)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (nr & CAPSA_X32_SYSCALL_BIT)
		return CAPSA_ABI_X32;
	if (BPF_CORE_READ(task, thread_info.status) & CAPSA_TS_COMPAT)
		return CAPSA_ABI_I386;
	return CAPSA_ABI_NATIVE;
}

/* The x86-64 number of the call the task is in, given the number its
 * registers hold: rules are written per native call, and a 64-bit process
 * may make the same call through the i386 or x32 ABI under another number.
 * CAPSA_NR_NONE for a call no rule can name. */
static __always_inline __u32 native_syscall_nr(__u32 nr)
{
	__u32 abi = syscall_abi(nr), idx, *native;

	if (abi == CAPSA_ABI_NATIVE)
		return nr;
	if (abi == CAPSA_ABI_X32) {
		idx = nr & ~CAPSA_X32_SYSCALL_BIT;
		if (idx < CAPSA_COMPAT_X32_BASE)
			return idx;
	} else {
		if (nr >= CAPSA_COMPAT_X32_BASE)
			return CAPSA_NR_NONE;
		idx = nr;
	}
	if (idx >= CAPSA_COMPAT_NRS)
		return CAPSA_NR_NONE;
	native = bpf_map_lookup_elem(&pol_compat_nr, &idx);
	return native && *native ? *native - 1 : CAPSA_NR_NONE;
}

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

/* Set by capsad: which decisions the BPF-LSM programs took over. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capsa_policy_config);
} pol_config SEC(".maps");

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

/* A task in a cgroup its container made beneath its own is governed as the
 * container: g->cgid is the container's cgroup, whichever it is in. A host
 * task pays the one lookup that misses. */
static __always_inline int governed_task(struct governed *g)
{
	g->cgid = bpf_get_current_cgroup_id();
	g->bind = bpf_map_lookup_elem(&pol_bindings, &g->cgid);
	if (g->bind && (g->bind->flags & CAPSA_BIND_COPY)) {
		g->cgid = g->bind->home;
		g->bind = bpf_map_lookup_elem(&pol_bindings, &g->cgid);
		if (g->bind && (g->bind->flags & CAPSA_BIND_COPY))
			g->bind = NULL;
	}
	return g->bind != NULL;
}

/* The governed container whose cgroup (or sub-cgroup) has this id: its
 * cgroup id, 0 if none. */
static __always_inline __u64 container_cgroup(__u64 id)
{
	struct capsa_binding *b = bpf_map_lookup_elem(&pol_bindings, &id);

	if (!b)
		return 0;
	return (b->flags & CAPSA_BIND_COPY) ? b->home : id;
}

/* Whether task p is one of g's container's, in its cgroup or beneath. */
static __always_inline int same_container(const struct governed *g, struct task_struct *p)
{
	__u64 id = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id);

	return id == g->cgid || container_cgroup(id) == g->cgid;
}

/* One step from (*dp, *vmp) towards the top of the mount tree: to the
 * parent directory or, at the root of a mount, to its mount point in the
 * parent mount. Returns 1, moving nothing, at the top. */
static __always_inline int step_up(struct dentry **dp, struct vfsmount **vmp)
{
	/* Locals: CO-RE relocates every access inside BPF_CORE_READ, and the
	 * callers' walk contexts are no kernel types. */
	struct vfsmount *vm = *vmp;
	struct mount *mnt = container_of(vm, struct mount, mnt);
	struct dentry *d = *dp, *parent;

	if (d == BPF_CORE_READ(vm, mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt)
			return 1;
		*dp = BPF_CORE_READ(mnt, mnt_mountpoint);
		*vmp = &up->mnt;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d)
		return 1;
	*dp = parent;
	return 0;
}

#include "exe_path.bpf.h"

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
	/* Root and task confinement hold whatever the policy's mode. */
	ev->enforced = kind == CAPSA_KIND_ROOT_ESCAPE || kind == CAPSA_KIND_TASK_ESCAPE ||
		       !(g->bind->flags & CAPSA_BIND_AUDIT_ONLY);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	exe_path(ev->binary, sizeof(ev->binary));
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

/* ---------------------------------------------------------------- files */

#define S_IFMT 00170000
#define S_IFIFO 0010000
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define MAX_ERRNO 4095

struct file_check {
	int inside;     /* the file is reachable from the task's root */
	int found;      /* a file rule matched */
	struct capsa_verdict v;
};

/* Strongest verdict among the accesses in `acc` (1 << capsa_file_access). */
static __always_inline void file_match(const struct capsa_verdict *vs, __u32 acc, struct file_check *c)
{
	for (int i = 0; i < CAPSA_FILE_NACCESS; i++) {
		if (!(acc & (1u << i)) || !vs[i].rule_id)
			continue;
		if (!c->found || vs[i].action > c->v.action)
			c->v = vs[i];
		c->found = 1;
	}
}

struct walk_ctx {
	struct dentry *root_d;
	struct vfsmount *root_m;
	struct dentry *d;
	struct vfsmount *vm;
	struct capsa_inode_key key;
	__u32 acc;
	int rules;
	int first_below; /* the walk starts at a directory, not at the file */
	struct file_check *c;
};

/* One step of file_walk(); returns 1 to stop. */
static long walk_step(__u32 i, struct walk_ctx *w)
{
	struct vfsmount *vm = w->vm;
	struct dentry *d = w->d;

	if (d == w->root_d && vm == w->root_m) {
		w->c->inside = 1;
		return 1;
	}
	if (w->rules) {
		struct capsa_file_value *fv;

		w->key.dev = kernel_dev(BPF_CORE_READ(d, d_sb));
		w->key.ino = BPF_CORE_READ(d, d_inode, i_ino);
		fv = bpf_map_lookup_elem(&pol_files, &w->key);
		if (fv)
			file_match(i == 0 && !w->first_below ? fv->self : fv->below, w->acc, w->c);
	}
	return step_up(&w->d, &w->vm);
}

static __always_inline void walk_init_root(struct walk_ctx *w)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	w->root_d = BPF_CORE_READ(task, fs, root.dentry);
	w->root_m = BPF_CORE_READ(task, fs, root.mnt);
}

/* Walks from the file up through its mounts. Reaching the task's root
 * means the file is inside it; reaching the top of a mount tree, or the
 * root of a file system that is not the root of the mount it was opened
 * through (a handle or leaked fd to a dentry outside the mount's subtree),
 * means it is not, as does a walk longer than CAPSA_FILE_WALK_DEPTH. File
 * rules are looked up on the way, the file's own inode against `self`,
 * directories above it against `below`. */
static __always_inline void file_walk(struct file *file, __u32 policy_id, int rules, __u32 acc,
				      struct file_check *c)
{
	struct walk_ctx w = {
		.d = BPF_CORE_READ(file, f_path.dentry),
		.vm = BPF_CORE_READ(file, f_path.mnt),
		.key = { .policy_id = policy_id },
		.acc = acc,
		.rules = rules,
		.c = c,
	};

	walk_init_root(&w);
	c->inside = 0;
	c->found = 0;
	bpf_loop(CAPSA_FILE_WALK_DEPTH, walk_step, &w, 0);
}

/* Kernel-internal mounts (pipes, sockets, memfd, anon inodes) have no path
 * a container could escape through; FIFOs carry only what a host process
 * chooses to write (the runtime's own exec fifo is one). */
static __always_inline int confinement_applies_to(unsigned long mnt_ns, __u32 mode)
{
	if (mnt_ns == 0 || mnt_ns >= (unsigned long)-MAX_ERRNO)
		return 0;
	return (mode & S_IFMT) != S_IFIFO;
}

static __always_inline int confinement_applies(struct file *file)
{
	struct mount *mnt = container_of(BPF_CORE_READ(file, f_path.mnt), struct mount, mnt);

	return confinement_applies_to((unsigned long)BPF_CORE_READ(mnt, mnt_ns), BPF_CORE_READ(file, f_inode, i_mode));
}

/* The verdict of a finished walk: root confinement first (`escaped`: the
 * file is outside the root and confinement applies to it), then the file
 * rules. Returns its kind, or 0 when nothing is to be reported. */
static __always_inline __u8 walk_verdict(const struct file_check *c, int escaped, struct capsa_verdict *v)
{
	if (escaped) {
		v->action = CAPSA_ACT_KILL;
		v->rule_id = CAPSA_RULE_ROOT_CONFINEMENT;
		return CAPSA_KIND_ROOT_ESCAPE;
	}
	if (!c->found || c->v.action == CAPSA_ACT_ALLOW)
		return 0;
	*v = c->v;
	return CAPSA_KIND_FILE;
}

/* Decides one opened (or exec'd) file: root confinement first, then the
 * file rules for the accesses in `acc`. Returns the verdict to act on in
 * *v and its kind, or 0 when nothing is to be reported. */
static __always_inline __u8 file_decide(const struct governed *g, struct file *file, __u32 acc,
					struct capsa_verdict *v)
{
	int rules = g->bind->flags & CAPSA_BIND_HAS_FILES;
	struct file_check c;

	file_walk(file, g->bind->policy_id, rules, acc, &c);
	return walk_verdict(&c, !c.inside && confinement_applies(file), v);
}

/* Confinement is not a policy rule: audit mode does not relax it. */
static __always_inline int file_blocks(const struct governed *g, const struct capsa_verdict *v, __u8 kind)
{
	return kind == CAPSA_KIND_ROOT_ESCAPE || blocks(g, v);
}

static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* x86-64 numbers of the calls that open a file by path or handle. */
#define NR_open 2
#define NR_creat 85
#define NR_openat 257
#define NR_open_by_handle_at 304
#define NR_openat2 437

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

/* The exec verdict for a binary: the strongest exec rule on it or a
 * directory above it, else the section's default. 0 when nothing applies. */
static __always_inline int exec_decide(const struct governed *g, struct file *file, struct capsa_verdict *v)
{
	struct capsa_policy_defaults *defs;

	if (!exec_lookup(g->bind->policy_id, file, v)) {
		defs = bpf_map_lookup_elem(&pol_defaults, &g->bind->policy_id);
		if (!defs)
			return 0;
		*v = defs->exec;
	}
	return v->action != CAPSA_ACT_ALLOW;
}

static __always_inline int lsm_decides(__u32 flag)
{
	__u32 zero = 0;
	struct capsa_policy_config *cfg = bpf_map_lookup_elem(&pol_config, &zero);

	return cfg && (cfg->flags & flag);
}

static __always_inline int lsm_decides_files(void) { return lsm_decides(CAPSA_CFG_LSM_FILES); }

/* 1 for the syscalls lsm_syscalls.h maps to BPF-LSM hooks. */
static __always_inline int lsm_hooked_syscall(long nr)
{
	switch (nr) {
#define CAPSA_LSM_CASE(name, number, hooks) case number:
	CAPSA_LSM_SYSCALLS(CAPSA_LSM_CASE)
#undef CAPSA_LSM_CASE
		return 1;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------- unix sockets
 *
 * A unix socket's peer is found by the name it was bound to: its
 * unix_sock.path is the path the binding process saw, through its own
 * mount. A container reaching it by another mount of the same file (a
 * socket its config bind-mounts in, or one a host process bound inside the
 * container's rootfs) is still inside its root: so when the walk through the
 * binder's mount does not reach the task's root, the other mounts of that
 * file system in the task's mount namespace are tried. */

#define S_IFSOCK 0140000
#define AF_UNIX 1
#define SOCK_DGRAM 2
#define NR_connect 42
#define NR_sendto 44
#define NR_sendmsg 46
/* Mounts of one file system looked at before the socket counts as outside
 * (fails closed). */
#define CAPSA_SB_MOUNTS_MAX 512

/* Older kernels (Debian 12's 6.1) chain a super block's mounts in a
 * list_head through mount.mnt_instance; newer ones (6.18) through
 * mount.mnt_next_for_sb. */
struct super_block___list {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));
struct mount___list {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));

/* 1 when (d, vm) is reachable from the task's root. */
static __always_inline int path_reaches_root(struct dentry *d, struct vfsmount *vm)
{
	struct file_check c = {};
	struct walk_ctx w = { .d = d, .vm = vm, .c = &c };

	walk_init_root(&w);
	bpf_loop(CAPSA_FILE_WALK_DEPTH, walk_step, &w, 0);
	return c.inside;
}

struct sb_mounts_ctx {
	struct dentry *d;
	struct mnt_namespace *ns;
	void *next; /* struct mount * (chain) or struct list_head * (list) */
	void *head; /* list: &sb->s_mounts, where the list ends */
	int inside;
};

static long sb_mount_step(__u32 i, struct sb_mounts_ctx *x)
{
	void *next = x->next;
	struct mount *m;

	if (!next || next == x->head)
		return 1;
	/* A CO-RE constant, so that the verifier sees the other layout's
	 * (unrelocatable) reads as dead code. */
	if (!bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
		struct list_head *pos = next;

		m = (struct mount *)((char *)pos - bpf_core_field_offset(struct mount___list, mnt_instance));
		x->next = BPF_CORE_READ(pos, next);
	} else {
		m = next;
		x->next = BPF_CORE_READ(m, mnt_next_for_sb);
	}
	if ((void *)BPF_CORE_READ(m, mnt_ns) != x->ns)
		return 0;
	if (path_reaches_root(x->d, &m->mnt)) {
		x->inside = 1;
		return 1;
	}
	return 0;
}

/* 1 when the file at (d, vm) is reachable from the task's root through
 * that mount or any other mount of its file system the task can see. */
static __always_inline int socket_file_inside(struct dentry *d, struct vfsmount *vm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct super_block *sb = BPF_CORE_READ(d, d_sb);
	struct sb_mounts_ctx x = { .d = d };

	if (path_reaches_root(d, vm))
		return 1;
	x.ns = BPF_CORE_READ(task, nsproxy, mnt_ns);
	if (bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
		x.next = BPF_CORE_READ(sb, s_mounts);
	} else {
		struct super_block___list *old = (void *)sb;

		x.head = &old->s_mounts;
		x.next = BPF_CORE_READ(old, s_mounts.next);
	}
	bpf_loop(CAPSA_SB_MOUNTS_MAX, sb_mount_step, &x, 0);
	return x.inside;
}

/* Root confinement of a unix socket peer: 1 when the peer was bound to a
 * file the task cannot reach from its root. Abstract and unbound sockets
 * (socketpair) have no file and are left alone. *d is the socket file. */
static __always_inline int unix_peer_outside(struct sock *peer, struct dentry **d)
{
	struct unix_sock *u = (struct unix_sock *)peer;

	*d = BPF_CORE_READ(u, path.dentry);
	if (!*d)
		return 0;
	return !socket_file_inside(*d, BPF_CORE_READ(u, path.mnt));
}

/* The sun_path the process gave (connect's, sendto's, sendmsg's msg_name),
 * into the event (the tracepoint tier's and BPF-LSM's report of a socket
 * reached from outside the root); the socket file's name when it gave none. */
static __always_inline void unix_event_path(struct capsa_policy_event *ev, struct dentry *d)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = BPF_CORE_READ(regs, orig_ax);
	const char *addr = NULL;

	ev->access = CAPSA_ACCESS_UNIX_CONNECT;
	ev->ino = BPF_CORE_READ(d, d_inode, i_ino);
	if (nr == NR_connect) {
		addr = (const char *)BPF_CORE_READ(regs, si);
	} else if (nr == NR_sendto) {
		addr = (const char *)BPF_CORE_READ(regs, r8);
	} else if (nr == NR_sendmsg) {
		struct user_msghdr *msg = (struct user_msghdr *)BPF_CORE_READ(regs, si);

		if (bpf_probe_read_user(&addr, sizeof(addr), &msg->msg_name))
			addr = NULL;
	}
	if (!addr || bpf_probe_read_user_str(ev->path, sizeof(ev->path), addr + 2) <= 1)
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(d, d_name.name));
}

#endif
