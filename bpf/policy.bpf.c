// Policy enforcement without BPF-LSM: cgroup hooks deny network, sysctl and
// device access with EPERM before it happens; tracepoints kill a process
// whose exec, syscall or opened file a policy forbids, or whose opened file
// lies outside its container's root, or whose connected unix socket was
// bound outside it (the kill lands before the process runs another
// instruction of its own). Every program first looks up the
// task's cgroup in `pol_bindings` and returns at once for anything that is
// not a governed container.
#include "policy_common.bpf.h"
#include "file_walk_direct.bpf.h"
#include "copy_counts.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define E2BIG 7

/* Hits decided in user space (capsad's seccomp supervisor, Landlock's audit
 * records), kept apart from pol_hits: a read-modify-write of a per-CPU slot
 * there would lose the programs' increments made meanwhile. Only capsad
 * writes it; no program reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct capsa_hit_key);
	__type(value, __u64);
} pol_hits_user SEC(".maps");

/* File rules with exec access, and confinement, for the exec'd file. Returns
 * 1 when the process was condemned. */
static __always_inline int exec_file(const struct governed *g, struct linux_binprm *bprm)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	struct capsa_policy_event *ev;
	struct capsa_verdict v = {};
	__u8 kind = file_decide(g, file, 1u << CAPSA_FILE_EXEC, &v);

	if (!kind)
		return 0;
	ev = report(g, &v, kind);
	if (ev) {
		ev->access = 1u << CAPSA_FILE_EXEC;
		ev->ino = BPF_CORE_READ(file, f_inode, i_ino);
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(bprm, filename));
		submit(ev);
	}
	if (!file_blocks(g, &v, kind))
		return 0;
	bpf_send_signal(SIGKILL);
	return 1;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(capsa_policy_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct capsa_policy_event *ev;
	struct capsa_verdict v = {};
	struct governed g;

	/* With BPF-LSM, bprm_check_security refused it before this point. */
	if (!governed_task(&g) || lsm_decides_files())
		return 0;
	if (exec_file(&g, bprm))
		return 0;
	if (!exec_decide(&g, bprm->file, &v))
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

/* ---------------------------------------------------------- sub-cgroups
 *
 * A container whose cgroup2 mount is writable (systemd in a container wants
 * one) can make cgroups beneath its own and move its tasks there. Each such
 * cgroup gets a copy of the container's binding (CAPSA_BIND_COPY) as it is
 * made, so every program finds a task there governed as its container, and
 * loses it as it is removed. A container may hold
 * CAPSA_POLICY_COPIES_PER_CONTAINER copies, all containers together
 * CAPSA_POLICY_MAX_COPIES: a cgroup past either stays unbound, and a task
 * found entering it is killed (cgroup confinement, whatever the policy's
 * mode). A cgroup made while nothing was bound (the container started
 * before capsad) gets its copy here as a task enters it, or from capsad's
 * walk of each bound container's cgroups on every sync. */

/* cgroup id -> copies that container holds; key 0: copies in all. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_BINDINGS + 1);
	__type(key, __u64);
	__type(value, __s64);
} pol_copy_counts SEC(".maps");

_Static_assert(CAPSA_CGROUP_QUOTA == CAPSA_COPY_PAST_QUOTA && CAPSA_CGROUP_FULL == CAPSA_COPY_NO_ROOM,
	       "a cgroup-escape event's `access` is why copy_counted refused");

/* Binds cgroup `id` as a cgroup of container `home`: 0 when it is bound
 * (now or already), else why not. */
static __always_inline __u8 copy_binding(__u64 id, __u64 home)
{
	struct capsa_binding copy = { .flags = CAPSA_BIND_COPY, .home = home };
	__u8 why = copy_counted(&pol_copy_counts, home, CAPSA_POLICY_COPIES_PER_CONTAINER, CAPSA_POLICY_MAX_COPIES);

	if (why)
		return bpf_map_lookup_elem(&pol_bindings, &id) ? 0 : why;
	if (bpf_map_update_elem(&pol_bindings, &id, &copy, BPF_NOEXIST)) {
		copy_given_back(&pol_copy_counts, home);
		return bpf_map_lookup_elem(&pol_bindings, &id) ? 0 : CAPSA_CGROUP_FULL;
	}
	return 0;
}

/* The governed container at or above cg, found from the top down (through
 * cgroup->ancestors[], so no depth of cgroups made beneath a container hides
 * it): its cgroup id, 0 if none. *at: the nearest bound cgroup, cg's own id
 * when cg is bound. */
static __always_inline __u64 governing_at(struct cgroup *cg, __u64 *at)
{
	int level = BPF_CORE_READ(cg, level);
	__u64 home = 0;

	*at = 0;
	for (int i = 1; i < CGROUP_MAX_LEVELS && i <= level; i++) {
		struct cgroup *a = cgroup_ancestor_at(cg, i);
		__u64 id, h;

		if (!a)
			break;
		id = BPF_CORE_READ(a, kn, id);
		h = container_cgroup(id);
		if (h) {
			home = h;
			*at = id;
		}
	}
	return home;
}

/* Kills what could not be bound: `current` when it is the container's (it
 * made or entered the cgroup), and reports `entered` for capsad to kill
 * when that is another task. */
static __always_inline void cgroup_escape(__u64 home, __u8 why, struct task_struct *entered, __u64 cgid,
					  const char *path)
{
	struct capsa_verdict v = { .action = CAPSA_ACT_KILL, .rule_id = CAPSA_RULE_CGROUP_CONFINEMENT };
	struct capsa_policy_event *ev;
	struct governed g = { .cgid = home };

	g.bind = bpf_map_lookup_elem(&pol_bindings, &g.cgid);
	if (!g.bind)
		return;
	__u64 at;

	/* The signal can be refused (-EBUSY with interrupts off while this
	 * CPU's signal work is pending): capsad kills it then. */
	if (governing_at(BPF_CORE_READ(bpf_get_current_task_btf(), cgroups, dfl_cgrp), &at) == home &&
	    bpf_send_signal(SIGKILL) && !entered)
		entered = bpf_get_current_task_btf();
	ev = report(&g, &v, CAPSA_KIND_CGROUP_ESCAPE);
	if (!ev)
		return;
	ev->enforced = 1;
	ev->access = why;
	ev->limit = why == CAPSA_CGROUP_QUOTA ? CAPSA_POLICY_COPIES_PER_CONTAINER : CAPSA_POLICY_MAX_COPIES;
	/* The thread, and the cgroup capsad checks it is still in. */
	ev->target_pid = entered ? BPF_CORE_READ(entered, pid) : 0;
	ev->ino = cgid;
	ev->syscall_nr = -1;
	if (path)
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), path);
	submit(ev);
}

/* A cgroup made beneath a container's is governed as it however deep: bind
 * it now if it is not (it was made while nothing was bound, or past the
 * quota); *why says why it could not be. Returns the container's cgroup id,
 * 0 if none is above. */
static __always_inline __u64 governing(struct cgroup *cg, __u8 *why)
{
	__u64 at, id = BPF_CORE_READ(cg, kn, id), home = governing_at(cg, &at);

	*why = 0;
	if (home && at != id)
		*why = copy_binding(id, home);
	return home;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(capsa_policy_cgroup_made, struct cgroup *cg, const char *path)
{
	__u64 home;
	__u8 why;

	if (BPF_CORE_READ(cg, root, hierarchy_id) != 0)
		return 0;
	home = governing(cg, &why);
	if (why)
		cgroup_escape(home, why, NULL, BPF_CORE_READ(cg, kn, id), path);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(capsa_policy_cgroup_removed, struct cgroup *cg, const char *path)
{
	struct capsa_binding *b;
	__u64 id, home;

	if (BPF_CORE_READ(cg, root, hierarchy_id) != 0)
		return 0;
	id = BPF_CORE_READ(cg, kn, id);
	b = bpf_map_lookup_elem(&pol_bindings, &id);
	if (!b || !(b->flags & CAPSA_BIND_COPY))
		return 0;
	home = b->home;
	if (bpf_map_delete_elem(&pol_bindings, &id) == 0)
		copy_given_back(&pol_copy_counts, home);
	return 0;
}

/* Tasks that enter a governed container's cgroups from outside (capsa
 * exec's runtime moving the process it starts, or a host tool) are
 * reported: where Landlock alone decides the container's files, a task that
 * never reports a ruleset must bring the open exits back. Two ways in: a
 * move (cgroup.procs; the tracepoint fires once the task is there, so where
 * it came from is gone: a move is the container's own when the moved task's
 * cgroup namespace is rooted in the container, as for its tasks moving
 * between its cgroups) and a birth there from a parent in another cgroup
 * (clone3's CLONE_INTO_CGROUP). */
static __always_inline void report_entry(__u64 cgid, struct task_struct *task)
{
	struct capsa_policy_event *ev;

	if (lsm_decides_files())
		return;
	ev = bpf_ringbuf_reserve(&pol_events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(CAPSA_PSTAT_EVENTS_LOST);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = cgid;
	ev->pid = BPF_CORE_READ(task, tgid);
	ev->kind = CAPSA_KIND_ENTRY;
	BPF_CORE_READ_STR_INTO(&ev->comm, task, comm);
	submit(ev);
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(capsa_policy_entry, struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup)
{
	__u64 gov;
	__u64 at;
	__u8 why;

	if (BPF_CORE_READ(dst, root, hierarchy_id) != 0)
		return 0;
	gov = governing(dst, &why);
	if (!gov)
		return 0;
	if (why)
		cgroup_escape(gov, why, task == bpf_get_current_task_btf() ? NULL : task, BPF_CORE_READ(dst, kn, id), path);
	if (governing_at(BPF_CORE_READ(task, nsproxy, cgroup_ns, root_cset, dfl_cgrp), &at) == gov)
		return 0;
	report_entry(gov, task);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(capsa_policy_born_in, struct task_struct *parent, struct task_struct *child)
{
	struct cgroup *cg = BPF_CORE_READ(child, cgroups, dfl_cgrp);
	struct cgroup *from = BPF_CORE_READ(parent, cgroups, dfl_cgrp);
	__u64 gov;
	__u64 at;
	__u8 why;

	if (cg == from)
		return 0;
	gov = governing(cg, &why);
	if (!gov)
		return 0;
	if (why)
		cgroup_escape(gov, why, child, BPF_CORE_READ(cg, kn, id), NULL);
	if (governing_at(from, &at) == gov)
		return 0;
	report_entry(gov, child);
	return 0;
}

/* ------------------------------------------------------------- syscalls
 *
 * A raw sys_enter or sys_exit program runs on every system call of every
 * task on the host. So file checks hang on the exits of the calls that open
 * a file only, and capsad attaches the two raw programs below only while a
 * policy in force needs them: capsa_policy_sys_enter while one has syscall
 * rules, capsa_policy_doomed while one has a kill rule a cgroup hook
 * decides. Their links are pinned like the others: a capsad killed with -9
 * leaves the kernel enforcing what was in force. */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CAPSA_SC_ANSWERED_MAX);
	__type(key, __u32);
	__type(value, struct capsa_sc_answer);
} pol_sc_answered SEC(".maps");

/* 1 when capsad's seccomp supervisor has just judged this very call and let
 * it run: reported there, so not judged twice. A listener the process
 * installed itself (one that started while no capsad listened has no
 * capsad filter, so it may) leaves no answer here: its calls are judged. */
static __always_inline int seccomp_answered(__u32 nr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct capsa_sc_answer *a = bpf_map_lookup_elem(&pol_sc_answered, &tid);
	int ours;

	if (!a)
		return 0;
	ours = a->nr == nr && a->abi == syscall_abi(nr) && bpf_ktime_get_ns() - a->ts_ns < CAPSA_SC_ANSWER_TTL_NS;
	bpf_map_delete_elem(&pol_sc_answered, &tid);
	return ours;
}

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
	key.nr = native_syscall_nr((__u32)ctx->args[1]);
	v = bpf_map_lookup_elem(&pol_syscall, &key);
	if (!v || v->action == CAPSA_ACT_ALLOW || seccomp_answered((__u32)ctx->args[1]))
		return 0;
	/* Refused with EPERM by its BPF-LSM hook instead of killed here. */
	if (lsm_hooked_syscall(key.nr) && lsm_decides(CAPSA_CFG_LSM_SYSCALLS))
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

/* An open that succeeded: decided on the file the kernel opened (symlinks,
 * "..", /proc magic links and handles already resolved), before the process
 * gets to use the descriptor: a kill sent here lands on the way back to
 * user space. Two builds of the same check: by BPF_CORE_READ (every kernel)
 * and by direct loads (file_walk_direct.bpf.h, 6.2 and later); capsad
 * attaches one set of exits. */
static __always_inline __u32 open_access(__u32 fmode)
{
	__u32 acc = 0;

	if (fmode & FMODE_READ)
		acc |= 1u << CAPSA_FILE_READ;
	if (fmode & FMODE_WRITE)
		acc |= 1u << CAPSA_FILE_WRITE;
	return acc;
}

static __always_inline void act_on_open(const struct governed *g, long nr, struct file *file, __u32 acc, __u8 kind,
					struct capsa_verdict *v)
{
	struct capsa_policy_event *ev = report(g, v, kind);

	if (ev) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		const char *name = NULL;

		ev->access = acc;
		ev->ino = BPF_CORE_READ(file, f_inode, i_ino);
		if (nr == NR_open || nr == NR_creat)
			name = (const char *)BPF_CORE_READ(regs, di);
		else if (nr != NR_open_by_handle_at)
			name = (const char *)BPF_CORE_READ(regs, si);
		if (!name || bpf_probe_read_user_str(ev->path, sizeof(ev->path), name) < 0)
			bpf_probe_read_kernel_str(ev->path, sizeof(ev->path),
						  BPF_CORE_READ(file, f_path.dentry, d_name.name));
		submit(ev);
	}
	if (file_blocks(g, v, kind))
		bpf_send_signal(SIGKILL);
}

#define PROC_SUPER_MAGIC 0x9fa0

/* /proc/PID/mem of a task outside the caller's cgroup, just opened: read
 * and write access to that task's memory. The kernel asks ptrace_access_check
 * on this open (BPF-LSM refuses it there); here the opener is killed before
 * it gets to use the descriptor, as for a task escape by ptrace. Called for
 * procfs files only; returns 1 when it acted. */
static __always_inline int foreign_proc_mem(const struct governed *g, long nr, struct file *file)
{
	struct capsa_verdict v = { .action = CAPSA_ACT_KILL, .rule_id = CAPSA_RULE_TASK_CONFINEMENT };
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct capsa_policy_event *ev;
	struct hlist_node *first;
	struct task_struct *t;
	char name[4] = {};
	void *pi;

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	if (name[0] != 'm' || name[1] != 'e' || name[2] != 'm' || name[3] != 0)
		return 0;
	pi = (void *)inode - bpf_core_field_offset(struct proc_inode, vfs_inode);
	first = BPF_CORE_READ((struct proc_inode *)pi, pid, tasks[0].first);
	if (!first)
		return 0;
	t = (void *)first - bpf_core_field_offset(struct task_struct, pid_links);
	if (same_container(g, t))
		return 0;
	ev = report(g, &v, CAPSA_KIND_TASK_ESCAPE);
	if (ev) {
		ev->access = CAPSA_TASK_PTRACE;
		ev->target_pid = BPF_CORE_READ(t, tgid);
		ev->syscall_nr = (__s32)nr;
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(t, comm));
		submit(ev);
	}
	bpf_send_signal(SIGKILL);
	return 1;
}

static __always_inline void opened(const struct governed *g, long nr, long fd)
{
	struct capsa_verdict v = {};
	struct file *file;
	__u32 acc;
	__u8 kind;

	if (lsm_decides_files())
		return;
	file = fd_file(fd);
	if (!file)
		return;
	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) == PROC_SUPER_MAGIC && foreign_proc_mem(g, nr, file))
		return;
	acc = open_access(BPF_CORE_READ(file, f_mode));
	kind = file_decide(g, file, acc, &v);
	if (kind)
		act_on_open(g, nr, file, acc, kind, &v);
}

static __always_inline void opened_direct(const struct governed *g, long nr, long fd)
{
	struct capsa_verdict v = {};
	__u64 file;
	__u32 acc;
	__u8 kind;

	if (lsm_decides_files())
		return;
	file = fd_file_direct(fd);
	if (!file)
		return;
	if (KPTR(struct file, file)->f_inode->i_sb->s_magic == PROC_SUPER_MAGIC &&
	    foreign_proc_mem(g, nr, (struct file *)file))
		return;
	acc = open_access(KPTR(struct file, file)->f_mode);
	kind = file_decide_direct(g, file, acc, &v);
	if (kind)
		act_on_open(g, nr, (struct file *)file, acc, kind, &v);
}

static __always_inline int open_exit(struct syscall_trace_exit *ctx)
{
	struct governed g;

	if (ctx->ret >= 0 && governed_task(&g))
		opened(&g, ctx->nr, ctx->ret);
	return 0;
}

static __always_inline int open_exit_direct(struct syscall_trace_exit *ctx)
{
	struct governed g;

	if (ctx->ret >= 0 && governed_task(&g))
		opened_direct(&g, ctx->nr, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int capsa_exit_open(struct syscall_trace_exit *ctx) { return open_exit(ctx); }

SEC("tracepoint/syscalls/sys_exit_creat")
int capsa_exit_creat(struct syscall_trace_exit *ctx) { return open_exit(ctx); }

SEC("tracepoint/syscalls/sys_exit_openat")
int capsa_exit_openat(struct syscall_trace_exit *ctx) { return open_exit(ctx); }

SEC("tracepoint/syscalls/sys_exit_openat2")
int capsa_exit_openat2(struct syscall_trace_exit *ctx) { return open_exit(ctx); }

SEC("tracepoint/syscalls/sys_exit_open_by_handle_at")
int capsa_exit_open_by_handle(struct syscall_trace_exit *ctx) { return open_exit(ctx); }

SEC("tracepoint/syscalls/sys_exit_open")
int capsa_direct_exit_open(struct syscall_trace_exit *ctx) { return open_exit_direct(ctx); }

SEC("tracepoint/syscalls/sys_exit_creat")
int capsa_direct_exit_creat(struct syscall_trace_exit *ctx) { return open_exit_direct(ctx); }

SEC("tracepoint/syscalls/sys_exit_openat")
int capsa_direct_exit_openat(struct syscall_trace_exit *ctx) { return open_exit_direct(ctx); }

SEC("tracepoint/syscalls/sys_exit_openat2")
int capsa_direct_exit_openat2(struct syscall_trace_exit *ctx) { return open_exit_direct(ctx); }

SEC("tracepoint/syscalls/sys_exit_open_by_handle_at")
int capsa_direct_exit_open_by_handle(struct syscall_trace_exit *ctx) { return open_exit_direct(ctx); }

/* Kernels without the sk_data_ready tracepoint (before 6.3): a connect(2)
 * that succeeded on a unix socket whose peer was bound to a
 * file outside the task's root (reached through /proc/PID/root, a leaked
 * directory fd...): the connection exists, the kill lands before the
 * process can send a byte. Datagrams sent with an address (sendto, sendmsg
 * without connect) name no stored peer: capsa_unix_datagram checks those. */
static __always_inline void connected(const struct governed *g, long fd)
{
	struct capsa_verdict v = { .action = CAPSA_ACT_KILL, .rule_id = CAPSA_RULE_ROOT_CONFINEMENT };
	struct capsa_policy_event *ev;
	struct dentry *d;
	struct socket *sock;
	struct sock *sk;
	struct file *file;

	if (lsm_decides_files())
		return;
	file = fd_file(fd);
	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX)
		return;
	/* A stream socket's peer is the server's socket for this connection,
	 * which carries the listener's path. */
	if (!unix_peer_outside(BPF_CORE_READ((struct unix_sock *)sk, peer), &d))
		return;
	ev = report(g, &v, CAPSA_KIND_ROOT_ESCAPE);
	if (ev) {
		unix_event_path(ev, d);
		submit(ev);
	}
	bpf_send_signal(SIGKILL);
}

/* A datagram a contained task sent to a unix socket bound outside its root,
 * with an address (sendto, sendmsg) or not, or a connection it asked of a
 * listening stream or seqpacket socket bound outside: the receiver's
 * sk_data_ready tracepoint fires in the sender as the datagram or the
 * connection is queued, so the kill lands as the send or connect returns,
 * and that one datagram (or the connection) has reached the receiver.
 * Judging connects here, not at connect's syscall exit, leaves no syscall
 * tracepoint that root confinement always needs. Every socket's wake-up
 * passes here: other families, and established stream sockets (their
 * connection was judged), leave at the first loads. */
SEC("tp_btf/sk_data_ready")
int BPF_PROG(capsa_unix_datagram, const struct sock *sk)
{
	struct capsa_verdict v = { .action = CAPSA_ACT_KILL, .rule_id = CAPSA_RULE_ROOT_CONFINEMENT };
	struct capsa_policy_event *ev;
	struct governed g;
	struct dentry *d;

	/* Direct loads: a helper call per field would double a host socket's
	 * cost here. */
	if (sk->__sk_common.skc_family != AF_UNIX ||
	    (sk->sk_type != SOCK_DGRAM && sk->__sk_common.skc_state != TCP_LISTEN))
		return 0;
	if (!governed_task(&g) || lsm_decides_files())
		return 0;
	if (!unix_peer_outside((struct sock *)sk, &d))
		return 0;
	ev = report(&g, &v, CAPSA_KIND_ROOT_ESCAPE);
	if (ev) {
		unix_event_path(ev, d);
		submit(ev);
	}
	bpf_send_signal(SIGKILL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int capsa_exit_connect(struct syscall_trace_exit *ctx)
{
	struct pt_regs *regs;
	struct governed g;

	if (ctx->ret != 0 || !governed_task(&g))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	connected(&g, BPF_CORE_READ(regs, di));
	return 0;
}

/* Kills what a cgroup hook condemned, as the syscall returns. */
static __always_inline int kill_doomed(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!bpf_map_lookup_elem(&pol_doomed, &pid_tgid))
		return 0;
	bpf_map_delete_elem(&pol_doomed, &pid_tgid);
	bpf_send_signal(SIGKILL);
	return 1;
}

/* The condemned-task lookup first: it misses for nearly every syscall of
 * every task, container or not, and a miss ends the program after one hash
 * lookup where the binding lookup first would cost a container's syscalls
 * two. A hit still needs the task governed, as before: an entry left by a
 * task killed before its syscall exit must not condemn a host task that
 * reuses its pid. */
SEC("raw_tracepoint/sys_exit")
int capsa_policy_doomed(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct governed g;

	if (!bpf_map_lookup_elem(&pol_doomed, &pid_tgid) || !governed_task(&g))
		return 0;
	bpf_map_delete_elem(&pol_doomed, &pid_tgid);
	bpf_send_signal(SIGKILL);
	return 0;
}

/* Where the per-syscall tracepoints cannot be attached (no tracefs): the
 * doomed kill and the open check in one program on every syscall exit. */
SEC("raw_tracepoint/sys_exit")
int capsa_policy_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long ret = (long)ctx->args[1];
	struct governed g;
	long nr;

	if (!governed_task(&g) || kill_doomed() || ret < 0)
		return 0;
	nr = BPF_CORE_READ(regs, orig_ax);
	if (nr == NR_open || nr == NR_openat || nr == NR_openat2 || nr == NR_creat || nr == NR_open_by_handle_at)
		opened(&g, nr, ret);
	else if (nr == NR_connect && ret == 0)
		connected(&g, BPF_CORE_READ(regs, di));
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

/* Merges into *v the strongest verdict of the ranges holding port in the
 * entry for key; returns whether any range held it (found: before). */
static __always_inline int net_lookup(const struct capsa_net_key *key, __u16 port, struct capsa_verdict *v, int found)
{
	struct capsa_net_value *val = bpf_map_lookup_elem(&pol_net, key);

	if (!val)
		return found;
	for (int i = 0; i < CAPSA_NET_MAX_RANGES; i++) {
		if (i >= val->nranges)
			break;
		if (port < val->ranges[i].lo || port > val->ranges[i].hi)
			continue;
		if (!found || val->ranges[i].verdict.action > v->action)
			*v = val->ranges[i].verdict;
		found = 1;
	}
	return found;
}

static __always_inline int net_decide(struct bpf_sock_addr *ctx, __u8 direction, int v6)
{
	struct capsa_policy_defaults *defs;
	struct capsa_policy_event *ev;
	struct capsa_net_key key = {};
	struct capsa_verdict v = {};
	struct governed g;
	__u32 *a = (__u32 *)key.addr, shown[4];
	__u32 proto = ctx->protocol;
	int any_addr, v4_space;
	__u16 port;

	if (!governed_task(&g))
		return 1;
	key.prefixlen = 64 + 128;
	key.policy_id = g.bind->policy_id;
	key.direction = direction;
	/* Rules with protocol any hold UDP-Lite, SCTP, ping sockets... too. */
	key.protocol = proto == IPPROTO_TCP || proto == IPPROTO_UDP ? proto : CAPSA_NET_PROTO_OTHER;
	if (v6) {
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
	} else {
		a[2] = bpf_htonl(0xffff);
		a[3] = ctx->user_ip4;
	}
	port = bpf_ntohs((__u16)ctx->user_port);
	__builtin_memcpy(shown, a, sizeof(shown));
	v4_space = a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
	any_addr = a[0] == 0 && a[1] == 0 && (a[2] == 0 || v4_space) && a[3] == 0;
	/* Connecting or sending to the unspecified address reaches this host's
	 * loopback (127.0.0.1, ::1): judged as that. */
	if (any_addr && direction == CAPSA_NET_EGRESS)
		a[3] = v4_space ? bpf_htonl(0x7f000001) : bpf_htonl(1);
	defs = bpf_map_lookup_elem(&pol_defaults, &g.bind->policy_id);
	if (!defs)
		return 1;
	if (!net_lookup(&key, port, &v, 0))
		v = direction == CAPSA_NET_BIND ? defs->net_bind : defs->net_egress;
	/* A bind to :: takes IPv4's 0.0.0.0 as well unless the socket is
	 * IPV6_V6ONLY, which this hook does not tell: judged as both, each
	 * with the default where no rule holds it, and the stronger wins. */
	if (any_addr && direction == CAPSA_NET_BIND && !v4_space) {
		struct capsa_verdict v4 = {};

		a[2] = bpf_htonl(0xffff);
		if (!net_lookup(&key, port, &v4, 0))
			v4 = defs->net_bind;
		if (v4.action > v.action)
			v = v4;
	}
	if (v.action == CAPSA_ACT_ALLOW)
		return 1;
	ev = report(&g, &v, CAPSA_KIND_NETWORK);
	if (ev) {
		ev->protocol = proto;
		ev->direction = direction;
		ev->port = port;
		__builtin_memcpy(ev->addr, shown, sizeof(ev->addr));
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
	long n;

	if (!governed_task(&g))
		return 1;
	key.prefixlen = 32 + 8 * CAPSA_POLICY_SYSCTL_LEN;
	key.policy_id = g.bind->policy_id;
	/* A name longer than the key is looked up by its first bytes, less the
	 * NUL the helper put after them: prefix rules still match, an exact
	 * rule (NUL included) on a name of those bytes does not. */
	n = bpf_sysctl_get_name(ctx, key.name, sizeof(key.name), 0);
	if (n == -E2BIG)
		key.prefixlen = 32 + 8 * (CAPSA_POLICY_SYSCTL_LEN - 1);
	else if (n < 0)
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
