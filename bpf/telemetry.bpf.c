// Per-container telemetry, counted in the kernel. Every program first asks
// whether the current task's cgroup is a container's (the per-syscall one by
// its cgroup storage, the others by one hash lookup) and returns at once for
// everything else on the host. A cgroup a container made beneath its own
// counts as the container (see telemetry.h): that costs a host task one more
// look only once some container has made one.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "telemetry.h"
#include "copy_counts.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_MAX_CONTAINERS);
	__type(key, __u64);
	__type(value, struct capsa_container);
} containers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct capsa_container_mark);
} container_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_MAX_COPIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct capsa_container_copy);
} container_copies SEC(".maps");

/* 6.2 and later: the copy again, on the cgroup, for the per-syscall program. */
struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct capsa_container_copy);
} copy_cgroups SEC(".maps");

/* The copies each container holds, key 0: in all (copy_counts.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPSA_MAX_CONTAINERS + 1);
	__type(key, __u64);
	__type(value, __s64);
} copy_counts SEC(".maps");

/* Cgroups beneath containers' left without a copy (past the quotas). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} copies_refused SEC(".maps");

/* Set when the first copy is made (by the kernel or capsad), never cleared
 * while the maps live: until then, a task whose cgroup is no container's is
 * not looked up again as a copy's. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} copies_made SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CAPSA_MAX_CONTAINERS);
	__type(key, __u64);
	__type(value, struct capsa_counters);
} counters SEC(".maps");

/* Before 6.2 only (the loader creates it where there is no cgroup storage):
 * allocated when a container makes its first system call (4 KiB per CPU),
 * not for every possible container up front. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CAPSA_MAX_CONTAINERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct capsa_syscall_counts);
} syscall_counts SEC(".maps");

/* Never written: the zero value a new `syscall_counts` entry starts from
 * (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capsa_syscall_counts);
} syscall_counts_zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAPSA_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

extern struct cgroup *bpf_cgroup_ancestor(struct cgroup *cgrp, int level) __ksym __weak;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym __weak;

static __always_inline bool copies_exist(void)
{
	__u32 zero = 0, *made = bpf_map_lookup_elem(&copies_made, &zero);

	return made && *made;
}

/* The container whose cgroup, or a cgroup beneath, has id cgid: its cgroup
 * id, 0 if none. */
static __always_inline __u64 owning_container(__u64 cgid)
{
	struct capsa_container_copy *copy;

	if (bpf_map_lookup_elem(&containers, &cgid))
		return cgid;
	if (!copies_exist())
		return 0;
	copy = bpf_map_lookup_elem(&container_copies, &cgid);
	if (!copy || !bpf_map_lookup_elem(&containers, &copy->home))
		return 0;
	return copy->home;
}

/* The counters of the current task's container; *cgid: its cgroup id. */
static __always_inline struct capsa_counters *container_counters(__u64 *cgid)
{
	struct capsa_counters *c;
	__u64 id = owning_container(bpf_get_current_cgroup_id());

	*cgid = id;
	if (!id)
		return NULL;
	c = bpf_map_lookup_elem(&counters, &id);
	if (c)
		return c;
	struct capsa_counters zero = {};
	bpf_map_update_elem(&counters, &id, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&counters, &id);
}

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

static __always_inline struct capsa_event *event_reserve(__u64 cgid, __u32 type)
{
	struct capsa_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	struct task_struct *task;

	if (!ev) {
		stat_inc(CAPSA_STAT_EVENTS_LOST);
		return NULL;
	}
	task = (struct task_struct *)bpf_get_current_task();
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = cgid;
	ev->type = type;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->exit_code = 0;
	ev->filename[0] = '\0';
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

static __always_inline void event_submit(struct capsa_event *ev)
{
	bpf_ringbuf_submit(ev, 0);
	stat_inc(CAPSA_STAT_EVENTS_SENT);
}

static __always_inline __u64 syscall_slot(long id)
{
	__u64 nr = (__u64)id;

	return nr >= CAPSA_SYSCALL_OTHER ? CAPSA_SYSCALL_OTHER : nr;
}

/* Before 6.2: the count by cgroup id, in the per-CPU hash. */
static __always_inline void count_syscall(__u64 cgid, long id)
{
	struct capsa_syscall_counts *c;

	c = bpf_map_lookup_elem(&syscall_counts, &cgid);
	if (!c) {
		__u32 zero = 0;
		struct capsa_syscall_counts *z = bpf_map_lookup_elem(&syscall_counts_zero, &zero);

		if (!z)
			return;
		bpf_map_update_elem(&syscall_counts, &cgid, z, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&syscall_counts, &cgid);
		if (!c)
			return;
	}
	c->n[syscall_slot(id)]++;
}

#define COPY_LEVEL_NONE 0xffffffffu

/* The mark of the container that made cg beneath its own, if any. */
static __always_inline struct capsa_container_mark *home_mark(struct cgroup *cg)
{
	struct capsa_container_copy *copy;
	struct capsa_container_mark *mark;
	struct cgroup *home;

	if (!copies_exist())
		return NULL;
	copy = bpf_cgrp_storage_get(&copy_cgroups, cg, 0, 0);
	if (!copy)
		return NULL;
	/* capsad's copies leave the level to the kernel (user space in a
	 * cgroup namespace cannot tell it): found once, by id, and kept; a
	 * home that is no ancestor (a cgroup's never change) is kept as none. */
	if (!copy->level) {
		int level = BPF_CORE_READ(cg, level);

		copy->level = COPY_LEVEL_NONE;
		for (int i = 1; i < CGROUP_MAX_LEVELS && i < level; i++) {
			struct cgroup *a = cgroup_ancestor_at(cg, i);

			if (!a)
				break;
			if (BPF_CORE_READ(a, kn, id) == copy->home) {
				copy->level = i;
				break;
			}
		}
	}
	if (copy->level == COPY_LEVEL_NONE)
		return NULL;
	home = bpf_cgroup_ancestor(cg, copy->level);
	if (!home)
		return NULL;
	mark = bpf_cgrp_storage_get(&container_cgroups, home, 0, 0);
	bpf_cgroup_release(home);
	/* The container's cgroup is no longer marked (its mark went, or an
	 * earlier capsad left a wrong level): nothing to count. */
	if (mark && mark->cgroup_id != copy->home)
		return NULL;
	return mark;
}

/* Runs on every system call of every task on the host: one look at its
 * cgroup's storage (measured at ~5 ns against ~100 ns for a lookup of the
 * cgroup id in `containers`), which for a host task finds nothing; for a
 * container's it is the mark, which holds the counts by syscall number (also
 * its total: user space sums it). The add is atomic because the mark is
 * one value for all CPUs, not one per CPU like the hash of before 6.2. */
SEC("tp_btf/sys_enter")
int BPF_PROG(capsa_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct cgroup *cg = task->cgroups->dfl_cgrp;
	struct capsa_container_mark *mark;

	mark = bpf_cgrp_storage_get(&container_cgroups, cg, 0, 0);
	if (!mark)
		mark = home_mark(cg);
	if (mark)
		__sync_fetch_and_add(&mark->syscalls.n[syscall_slot(id)], 1);
	return 0;
}

/* The same without the look-up of copies, loaded when the kernel refused
 * the program above: a verifier that does not take the task's cgroup as
 * the trusted pointer bpf_cgroup_ancestor() wants (6.2 and 6.3, we expect;
 * not run here). The system calls of tasks in cgroups beneath a
 * container's go uncounted there. */
SEC("tp_btf/sys_enter")
int BPF_PROG(capsa_sys_enter_own_marks, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct capsa_container_mark *mark;

	mark = bpf_cgrp_storage_get(&container_cgroups, task->cgroups->dfl_cgrp, 0, 0);
	if (mark)
		__sync_fetch_and_add(&mark->syscalls.n[syscall_slot(id)], 1);
	return 0;
}

/* The same for kernels before 6.2, which have no cgroup storage maps: the
 * loader loads one of the two. */
SEC("tp_btf/sys_enter")
int BPF_PROG(capsa_sys_enter_by_id, struct pt_regs *regs, long id)
{
	__u64 cgid = owning_container(bpf_get_current_cgroup_id());

	if (cgid)
		count_syscall(cgid, id);
	return 0;
}

/* tp_btf programs attach through raw tracepoints: no tracefs needed. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(capsa_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cgid;
	struct capsa_counters *c = container_counters(&cgid);
	struct capsa_event *ev;

	if (!c)
		return 0;
	c->execs++;
	ev = event_reserve(cgid, CAPSA_EVENT_EXEC);
	if (!ev)
		return 0;
	bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename), BPF_CORE_READ(bprm, filename));
	event_submit(ev);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(capsa_fork, struct task_struct *parent, struct task_struct *child)
{
	/* Runs in the parent; the child starts in the parent's cgroup. */
	__u64 cgid;
	struct capsa_counters *c = container_counters(&cgid);

	if (c)
		c->forks++;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(capsa_exit, struct task_struct *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cgid;
	struct capsa_counters *c;
	struct capsa_event *ev;

	/* One exit per process: threads other than the leader are not counted. */
	if ((__u32)pid_tgid != (__u32)(pid_tgid >> 32))
		return 0;
	c = container_counters(&cgid);
	if (!c)
		return 0;
	c->exits++;
	ev = event_reserve(cgid, CAPSA_EVENT_EXIT);
	if (!ev)
		return 0;
	ev->exit_code = BPF_CORE_READ(p, exit_code);
	event_submit(ev);
	return 0;
}

/* A cgroup made beneath a container's, or beneath one of its copies, gets a
 * copy: in the hash, and on the cgroup where there is cgroup storage. */
static __always_inline void copy_made(struct cgroup *cg, bool storage)
{
	struct capsa_container_copy copy = {}, *above;
	struct cgroup *parent;
	__u64 id, parent_id;
	__u32 one = 1, zero = 0;
	__u64 *refused;
	int level;

	if (BPF_CORE_READ(cg, root, hierarchy_id) != 0)
		return;
	level = BPF_CORE_READ(cg, level);
	if (level < 2 || !(parent = cgroup_ancestor_at(cg, level - 1)))
		return;
	parent_id = BPF_CORE_READ(parent, kn, id);
	if (bpf_map_lookup_elem(&containers, &parent_id)) {
		copy.home = parent_id;
		copy.level = level - 1;
	} else if (copies_exist() && (above = bpf_map_lookup_elem(&container_copies, &parent_id))) {
		copy.home = above->home;
		copy.level = above->level;
	} else {
		return;
	}
	id = BPF_CORE_READ(cg, kn, id);
	if (copy_counted(&copy_counts, copy.home, CAPSA_COPIES_PER_CONTAINER, CAPSA_MAX_COPIES))
		goto refused;
	if (bpf_map_update_elem(&container_copies, &id, &copy, BPF_NOEXIST)) {
		copy_given_back(&copy_counts, copy.home);
		/* capsad's walk copied it first: it counts. */
		if (bpf_map_lookup_elem(&container_copies, &id))
			return;
		goto refused;
	}
	if (storage && !bpf_cgrp_storage_get(&copy_cgroups, cg, &copy, BPF_LOCAL_STORAGE_GET_F_CREATE)) {
		bpf_map_delete_elem(&container_copies, &id);
		goto given_back;
	}
	bpf_map_update_elem(&copies_made, &zero, &one, BPF_ANY);
	return;
given_back:
	copy_given_back(&copy_counts, copy.home);
refused:
	refused = bpf_map_lookup_elem(&copies_refused, &zero);
	if (refused)
		__sync_fetch_and_add(refused, 1);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(capsa_cgroup_made, struct cgroup *cg, const char *path)
{
	copy_made(cg, true);
	return 0;
}

/* Before 6.2 (no cgroup storage): the hash alone. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(capsa_cgroup_made_by_id, struct cgroup *cg, const char *path)
{
	copy_made(cg, false);
	return 0;
}

/* The cgroup's storage goes with it; its entry in the hash goes here. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(capsa_cgroup_removed, struct cgroup *cg, const char *path)
{
	struct capsa_container_copy *copy;
	__u64 id, home;

	if (!copies_exist() || BPF_CORE_READ(cg, root, hierarchy_id) != 0)
		return 0;
	id = BPF_CORE_READ(cg, kn, id);
	copy = bpf_map_lookup_elem(&container_copies, &id);
	if (!copy)
		return 0;
	home = copy->home;
	if (bpf_map_delete_elem(&container_copies, &id) == 0)
		copy_given_back(&copy_counts, home);
	return 0;
}
