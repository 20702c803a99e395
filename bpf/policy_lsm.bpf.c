// Policy enforcement with BPF-LSM, where the kernel offers it: file opens,
// execs, creates and unlinks are refused with EPERM before they happen, and
// so are opens of files outside the container's root, connects and sends
// to unix sockets bound outside it, ptrace and signals to tasks outside the
// container, and the syscalls of lsm_syscalls.h a policy rule denies (on
// the object hook they pass: sb_mount, bpf, key_alloc...). Loaded beside
// policy.bpf.c and sharing its pinned maps; when these programs are attached
// capsad sets CAPSA_CFG_LSM_FILES and the tracepoint kills stand back.
#include "policy_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM 1
#define SIGIO 29

static __always_inline void fill_file_event(struct capsa_policy_event *ev, struct dentry *d, __u32 acc)
{
	ev->access = acc;
	ev->ino = BPF_CORE_READ(d, d_inode, i_ino);
	bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(d, d_name.name));
}

/* Reports a file verdict and returns what the hook returns. */
static __always_inline int file_verdict(const struct governed *g, struct capsa_verdict *v, __u8 kind,
					struct dentry *d, __u32 acc)
{
	struct capsa_policy_event *ev;

	/* Here confinement refuses rather than kills. */
	if (kind == CAPSA_KIND_ROOT_ESCAPE)
		v->action = CAPSA_ACT_DENY;
	ev = report(g, v, kind);

	if (ev) {
		fill_file_event(ev, d, acc);
		submit(ev);
	}
	return file_blocks(g, v, kind) ? -EPERM : 0;
}

SEC("lsm/file_open")
int BPF_PROG(capsa_lsm_file_open, struct file *file)
{
	struct capsa_verdict v = {};
	struct governed g;
	__u32 fmode, acc = 0;
	__u8 kind;

	if (!governed_task(&g))
		return 0;
	fmode = BPF_CORE_READ(file, f_mode);
	if (fmode & FMODE_READ)
		acc |= 1u << CAPSA_FILE_READ;
	if (fmode & FMODE_WRITE)
		acc |= 1u << CAPSA_FILE_WRITE;
	kind = file_decide(&g, file, acc, &v);
	if (!kind)
		return 0;
	return file_verdict(&g, &v, kind, BPF_CORE_READ(file, f_path.dentry), acc);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(capsa_lsm_bprm_check, struct linux_binprm *bprm)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	struct capsa_policy_event *ev;
	struct capsa_verdict v = {};
	struct governed g;
	__u8 kind;

	if (!governed_task(&g))
		return 0;
	kind = file_decide(&g, file, 1u << CAPSA_FILE_EXEC, &v);
	if (kind) {
		int rc = file_verdict(&g, &v, kind, BPF_CORE_READ(file, f_path.dentry), 1u << CAPSA_FILE_EXEC);

		if (rc)
			return rc;
	}
	if (!exec_decide(&g, file, &v))
		return 0;
	ev = report(&g, &v, CAPSA_KIND_EXEC);
	if (ev) {
		ev->ino = BPF_CORE_READ(file, f_inode, i_ino);
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(bprm, filename));
		submit(ev);
	}
	return blocks(&g, &v) ? -EPERM : 0;
}

/* create and unlink: rules on the directory the entry is made or removed in,
 * or above it (and, for unlink, on the file itself). */
static __always_inline int dir_entry_check(const struct path *dir, struct dentry *dentry, int access)
{
	struct capsa_verdict v = {};
	struct governed g;
	struct file_check c;
	struct walk_ctx w;

	if (!governed_task(&g) || !(g.bind->flags & CAPSA_BIND_HAS_FILES))
		return 0;
	__builtin_memset(&w, 0, sizeof(w));
	w.d = access == CAPSA_FILE_UNLINK ? dentry : BPF_CORE_READ(dir, dentry);
	w.vm = BPF_CORE_READ(dir, mnt);
	w.first_below = access != CAPSA_FILE_UNLINK;
	walk_init_root(&w);
	w.key.policy_id = g.bind->policy_id;
	w.acc = 1u << access;
	w.rules = 1;
	w.c = &c;
	c.inside = 0;
	c.found = 0;
	bpf_loop(CAPSA_FILE_WALK_DEPTH, walk_step, &w, 0);
	if (!c.found || c.v.action == CAPSA_ACT_ALLOW)
		return 0;
	v = c.v;
	return file_verdict(&g, &v, CAPSA_KIND_FILE, dentry, 1u << access);
}

SEC("lsm/path_mknod")
int BPF_PROG(capsa_lsm_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode, unsigned int dev)
{
	return dir_entry_check(dir, dentry, CAPSA_FILE_CREATE);
}

SEC("lsm/path_mkdir")
int BPF_PROG(capsa_lsm_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode)
{
	return dir_entry_check(dir, dentry, CAPSA_FILE_CREATE);
}

SEC("lsm/path_unlink")
int BPF_PROG(capsa_lsm_path_unlink, const struct path *dir, struct dentry *dentry)
{
	return dir_entry_check(dir, dentry, CAPSA_FILE_UNLINK);
}

SEC("lsm/path_rmdir")
int BPF_PROG(capsa_lsm_path_rmdir, const struct path *dir, struct dentry *dentry)
{
	return dir_entry_check(dir, dentry, CAPSA_FILE_UNLINK);
}

/* ------------------------------------------------------------ unix sockets */

/* Root confinement of unix socket peers: connecting, or sending a
 * datagram, to a socket bound to a file outside the container's root. */
static __always_inline int unix_peer_check(struct sock *peer)
{
	/* Refused before the connection exists: the process lives on. */
	struct capsa_verdict v = { .action = CAPSA_ACT_DENY, .rule_id = CAPSA_RULE_ROOT_CONFINEMENT };
	struct capsa_policy_event *ev;
	struct governed g;
	struct dentry *d;

	if (!governed_task(&g) || !unix_peer_outside(peer, &d))
		return 0;
	ev = report(&g, &v, CAPSA_KIND_ROOT_ESCAPE);
	if (ev) {
		unix_event_path(ev, d);
		submit(ev);
	}
	return -EPERM;
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(capsa_lsm_unix_connect, struct sock *sock, struct sock *other, struct sock *newsk)
{
	return unix_peer_check(other);
}

/* Datagrams: connect(2) and every send, with or without an address. */
SEC("lsm/unix_may_send")
int BPF_PROG(capsa_lsm_unix_send, struct socket *sock, struct socket *other)
{
	return unix_peer_check(BPF_CORE_READ(other, sk));
}

/* ------------------------------------------------------- task confinement
 *
 * A contained process may trace or signal the tasks of its own container
 * (its cgroup and those it made beneath) only. The signal hook sees signals a process sends (kill,
 * tkill, tgkill, sigqueue, pidfd_send_signal); the kernel's own (SIGCHLD to
 * a parent outside, a parent's death signal) do not pass it. */

#define PTRACE_MODE_ATTACH 0x02

/* The x86-64 number of the call the task is in (an i386 or x32 call is
 * taken as the native call it makes). */
static __always_inline __u32 current_syscall(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return native_syscall_nr((__u32)BPF_CORE_READ(regs, orig_ax));
}

/* Reports and refuses an operation on a task outside the container. */
static __always_inline int task_escape(const struct governed *g, struct task_struct *p, __u8 op, int sig)
{
	struct capsa_verdict v = { .action = CAPSA_ACT_DENY, .rule_id = CAPSA_RULE_TASK_CONFINEMENT };
	struct capsa_policy_event *ev = report(g, &v, CAPSA_KIND_TASK_ESCAPE);

	if (ev) {
		ev->access = op;
		ev->target_pid = BPF_CORE_READ(p, tgid);
		ev->signal = sig;
		ev->syscall_nr = (__s32)current_syscall();
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(p, comm));
		submit(ev);
	}
	return -EPERM;
}

/* ------------------------------------------------------- syscall rules
 *
 * Policy syscall rules on the calls of lsm_syscalls.h, decided on the hook
 * the call passes (sys_enter stands back for these): EPERM before the
 * operation, and for a kill rule a SIGKILL as well. */
static __always_inline int syscall_rule(const struct governed *g)
{
	struct capsa_syscall_key key = { .policy_id = g->bind->policy_id };
	struct capsa_policy_event *ev;
	struct capsa_verdict *v;
	__u32 nr = current_syscall();

	if (!lsm_hooked_syscall(nr))
		return 0;
	key.nr = nr;
	v = bpf_map_lookup_elem(&pol_syscall, &key);
	if (!v || v->action == CAPSA_ACT_ALLOW)
		return 0;
	ev = report(g, v, CAPSA_KIND_SYSCALL);
	if (ev) {
		ev->syscall_nr = (__s32)nr;
		submit(ev);
	}
	if (!blocks(g, v))
		return 0;
	if (v->action == CAPSA_ACT_KILL)
		bpf_send_signal(SIGKILL);
	return -EPERM;
}

static __always_inline int syscall_hook(void)
{
	struct governed g;

	if (!governed_task(&g))
		return 0;
	return syscall_rule(&g);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(capsa_lsm_ptrace_access, struct task_struct *child, unsigned int mode)
{
	struct governed g;

	if (!governed_task(&g))
		return 0;
	/* Attach mode: ptrace attach/seize, /proc/PID/mem, process_vm_readv
	 * and writev, pidfd_getfd. Read mode (/proc/PID/stat, ...root) is
	 * left to the file checks. */
	if ((mode & PTRACE_MODE_ATTACH) && !same_container(&g, child))
		return task_escape(&g, child, CAPSA_TASK_PTRACE, 0);
	return syscall_rule(&g);
}

SEC("lsm/ptrace_traceme")
int BPF_PROG(capsa_lsm_ptrace_traceme, struct task_struct *parent)
{
	struct governed g;

	if (!governed_task(&g))
		return 0;
	if (!same_container(&g, parent))
		return task_escape(&g, parent, CAPSA_TASK_PTRACE, 0);
	return syscall_rule(&g);
}

SEC("lsm/task_kill")
int BPF_PROG(capsa_lsm_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig, const struct cred *cred)
{
	struct governed g;

	if (!governed_task(&g))
		return 0;
	if (!same_container(&g, p))
		return task_escape(&g, p, CAPSA_TASK_SIGNAL, sig);
	return syscall_rule(&g);
}

/* ------------------------------------------------------- descriptor owners
 *
 * F_SETOWN, F_SETOWN_EX, FIOSETOWN and SIOCSPGRP make a task (or a process
 * group) the owner of a file: SIGIO (or F_SETSIG's signal), and a socket's
 * SIGURG, reach it later, sent by whoever does the I/O, and no kill passes
 * task_kill. file_set_fowner runs
 * in the setter, on every change of owner, before the owner is resolved:
 * it notes which container set it. file_send_sigiotask runs once per task
 * the kernel resolved, as the signal goes out: refused for a task outside
 * the setter's container. */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_FOWNERS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct capsa_fowner);
} pol_fowners SEC(".maps");

/* cgroup id -> how many entries of pol_fowners that container holds. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_POLICY_MAX_BINDINGS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __s64);
} pol_fowner_counts SEC(".maps");

/* Set by capsad before load (--fowners-per-container). */
const volatile __u32 fowners_per_container = CAPSA_FOWNERS_PER_CONTAINER;

/* Before 6.12 the fown_struct sits inside struct file. */
struct file___owner_inside {
	struct fown_struct f_owner;
} __attribute__((preserve_access_index));

static __always_inline __u64 fown_key(struct file *file)
{
	if (bpf_core_field_exists(struct fown_struct, file))
		return (__u64)BPF_CORE_READ(file, f_owner);
	return (__u64)file + bpf_core_field_offset(struct file___owner_inside, f_owner);
}

/* One more entry held by cgid: its count after, 0 if it could not be kept. */
static __always_inline __s64 fowner_held(__u64 cgid)
{
	__s64 one = 1, *n = bpf_map_lookup_elem(&pol_fowner_counts, &cgid);

	if (n)
		return __sync_fetch_and_add(n, 1) + 1;
	if (bpf_map_update_elem(&pol_fowner_counts, &cgid, &one, BPF_NOEXIST) == 0)
		return 1;
	n = bpf_map_lookup_elem(&pol_fowner_counts, &cgid); /* a racing first */
	return n ? __sync_fetch_and_add(n, 1) + 1 : 0;
}

/* Never below zero: counts capsad rebuilt from the map, or lost to a race
 * of two setters on one file, must not turn into room past the quota. */
static __always_inline void fowner_uncount(__u64 cgid)
{
	__s64 *n = bpf_map_lookup_elem(&pol_fowner_counts, &cgid);

	if (n && *n > 0)
		__sync_fetch_and_add(n, -1);
}

static __always_inline void fowner_dropped(__u64 key, const struct capsa_fowner *o)
{
	fowner_uncount(o->cgroup_id);
	bpf_map_delete_elem(&pol_fowners, &key);
}

SEC("lsm/file_set_fowner")
int BPF_PROG(capsa_lsm_set_fowner, struct file *file)
{
	struct capsa_verdict v = { .action = CAPSA_ACT_KILL, .rule_id = CAPSA_RULE_TASK_CONFINEMENT };
	struct task_struct *task = bpf_get_current_task_btf();
	struct capsa_policy_event *ev;
	struct capsa_fowner o = {}, *prev;
	struct governed g;
	__u64 key = fown_key(file);
	bool counted = false;
	__s64 held = 0;

	if (!key)
		return 0;
	prev = bpf_map_lookup_elem(&pol_fowners, &key);
	if (!governed_task(&g)) {
		if (prev)
			fowner_dropped(key, prev);
		return 0;
	}
	/* Counted already when the same container set the last owner. */
	if (!prev || prev->cgroup_id != g.cgid) {
		if (prev)
			fowner_uncount(prev->cgroup_id);
		held = fowner_held(g.cgid);
		counted = true;
	}
	o.cgroup_id = g.cgid;
	o.pid = bpf_get_current_pid_tgid() >> 32;
	o.ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(o.comm, sizeof(o.comm));
	/* Noted even past the quota: whoever else holds the file, its SIGIO
	 * stays judged. Full (or no count kept): the hook cannot refuse, and an
	 * owner not noted would be judged as the host's. */
	if (bpf_map_update_elem(&pol_fowners, &key, &o, BPF_ANY)) {
		if (held > 0)
			fowner_uncount(g.cgid);
		held = 0;
	} else if (!counted || (held > 0 && held <= (__s64)fowners_per_container)) {
		return 0;
	}
	bpf_send_signal(SIGKILL);
	ev = report(&g, &v, CAPSA_KIND_TASK_ESCAPE);
	if (ev) {
		/* held 0: the owner could not be noted, or not counted (maps full) */
		ev->access = held ? CAPSA_TASK_OWNER_QUOTA : CAPSA_TASK_OWNERS_FULL;
		ev->limit = held ? fowners_per_container : 0;
		ev->enforced = 1; /* killed whatever the policy's mode */
		ev->syscall_nr = (__s32)current_syscall();
		submit(ev);
	}
	return 0;
}

/* A noted owner goes with its file: the map holds the owned files that are
 * open, not every one a container ever had (one lookup per file freed on
 * the host, a miss for nearly all). */
SEC("lsm/file_free_security")
int BPF_PROG(capsa_lsm_file_free, struct file *file)
{
	__u64 key = fown_key(file);
	struct capsa_fowner *o;

	if (!key)
		return 0;
	o = bpf_map_lookup_elem(&pol_fowners, &key);
	if (o)
		fowner_dropped(key, o);
	return 0;
}

SEC("lsm/file_send_sigiotask")
int BPF_PROG(capsa_lsm_sigiotask, struct task_struct *tsk, struct fown_struct *fown, int sig)
{
	struct capsa_verdict v = { .action = CAPSA_ACT_DENY, .rule_id = CAPSA_RULE_TASK_CONFINEMENT };
	struct capsa_policy_event *ev;
	struct capsa_fowner *o;
	struct governed g;
	__u64 key = (__u64)fown;

	o = bpf_map_lookup_elem(&pol_fowners, &key);
	if (!o)
		return 0;
	g.cgid = o->cgroup_id;
	g.bind = bpf_map_lookup_elem(&pol_bindings, &g.cgid);
	if (!g.bind || same_container(&g, tsk))
		return 0;
	ev = report(&g, &v, CAPSA_KIND_TASK_ESCAPE);
	if (ev) {
		/* The sender is whoever did the I/O: the event names the setter. */
		ev->pid = o->pid;
		ev->ppid = o->ppid;
		__builtin_memcpy(ev->comm, o->comm, sizeof(ev->comm));
		ev->binary[0] = 0;
		ev->access = CAPSA_TASK_SIGNAL;
		ev->target_pid = BPF_CORE_READ(tsk, tgid);
		ev->signal = sig ? sig : SIGIO; /* 0: no F_SETSIG, SIGIO */
		ev->syscall_nr = -1;
		bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(tsk, comm));
		submit(ev);
	}
	return -EPERM;
}

/* An owner set outside the container (a host process, before it handed
 * the descriptor over) is not noted as the container's, so the signal it
 * would get is not judged as it goes out. Arming it is: turning O_ASYNC on
 * (F_SETFL, FIOASYNC) or picking the signal (F_SETSIG) on a file whose owner
 * is a task outside the container, or a process group, is refused. Owners
 * the container set pass here, and file_send_sigiotask judges each of
 * their signals. */
#define F_SETFL 4
#define F_SETSIG 10
#define FASYNC 00020000
#define FIOASYNC 0x5452

static __always_inline struct task_struct *first_task(struct pid *pid, enum pid_type type)
{
	struct hlist_node *first;

	switch (type) {
	case PIDTYPE_PID:
		first = BPF_CORE_READ(pid, tasks[PIDTYPE_PID].first);
		return first ? container_of(first, struct task_struct, pid_links[PIDTYPE_PID]) : NULL;
	case PIDTYPE_TGID:
		first = BPF_CORE_READ(pid, tasks[PIDTYPE_TGID].first);
		return first ? container_of(first, struct task_struct, pid_links[PIDTYPE_TGID]) : NULL;
	case PIDTYPE_PGID:
		first = BPF_CORE_READ(pid, tasks[PIDTYPE_PGID].first);
		return first ? container_of(first, struct task_struct, pid_links[PIDTYPE_PGID]) : NULL;
	default:
		return NULL;
	}
}

static __always_inline int arm_owner_signal(struct file *file, int sig)
{
	__u64 key = fown_key(file);
	struct fown_struct *fown = (struct fown_struct *)key;
	struct task_struct *owner;
	struct capsa_fowner *o;
	enum pid_type type;
	struct governed g;
	struct pid *pid;

	if (!key || !governed_task(&g))
		return 0;
	pid = BPF_CORE_READ(fown, pid);
	if (!pid)
		return 0;
	o = bpf_map_lookup_elem(&pol_fowners, &key);
	if (o && o->cgroup_id == g.cgid)
		return 0;
	type = BPF_CORE_READ(fown, pid_type);
	owner = first_task(pid, type);
	if (!owner)
		return 0;
	/* A group's first member is its newest, which the container could
	 * make one of its own: a group it did not name is refused whole. */
	if (type != PIDTYPE_PGID && same_container(&g, owner))
		return 0;
	if (!sig)
		sig = BPF_CORE_READ(fown, signum);
	return task_escape(&g, owner, CAPSA_TASK_SIGNAL, sig ? sig : SIGIO);
}

SEC("lsm/file_fcntl")
int BPF_PROG(capsa_lsm_file_fcntl, struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd == F_SETSIG)
		return arm_owner_signal(file, (int)arg);
	/* O_ASYNC already on: nothing is armed that was not. */
	if (cmd == F_SETFL && (arg & FASYNC) && !(BPF_CORE_READ(file, f_flags) & FASYNC))
		return arm_owner_signal(file, 0);
	return 0;
}

/* FIOASYNC whatever its value: another thread can change it after the hook. */
SEC("lsm/file_ioctl")
int BPF_PROG(capsa_lsm_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return cmd == FIOASYNC ? arm_owner_signal(file, 0) : 0;
}

/* A 32-bit caller's ioctl (Linux 6.8+; not loaded where the hook is missing). */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(capsa_lsm_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg)
{
	return cmd == FIOASYNC ? arm_owner_signal(file, 0) : 0;
}

SEC("lsm/sb_mount")
int BPF_PROG(capsa_lsm_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data)
{
	return syscall_hook();
}

SEC("lsm/sb_umount")
int BPF_PROG(capsa_lsm_sb_umount, struct vfsmount *mnt, int flags)
{
	return syscall_hook();
}

SEC("lsm/move_mount")
int BPF_PROG(capsa_lsm_move_mount, const struct path *from_path, const struct path *to_path)
{
	return syscall_hook();
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(capsa_lsm_sb_pivotroot, const struct path *old_path, const struct path *new_path)
{
	return syscall_hook();
}

SEC("lsm/bpf")
int BPF_PROG(capsa_lsm_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	return syscall_hook();
}

SEC("lsm/kernel_load_data")
int BPF_PROG(capsa_lsm_kernel_load_data, enum kernel_load_data_id id, bool contents)
{
	return syscall_hook();
}

SEC("lsm/kernel_read_file")
int BPF_PROG(capsa_lsm_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents)
{
	return syscall_hook();
}

SEC("lsm/key_alloc")
int BPF_PROG(capsa_lsm_key_alloc, struct key *key, const struct cred *cred, unsigned long flags)
{
	return syscall_hook();
}

SEC("lsm/key_permission")
int BPF_PROG(capsa_lsm_key_permission, key_ref_t key_ref, const struct cred *cred, enum key_need_perm need_perm)
{
	return syscall_hook();
}
