// Per-container telemetry, counted in the kernel. Every program first asks
// whether the current task's cgroup is a container's (the per-syscall one by
// its cgroup storage, the others by one hash lookup) and returns at once for
// everything else on the host.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "telemetry.h"

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

static __always_inline struct capsa_counters *container_counters(__u64 cgid)
{
	struct capsa_counters *c;

	if (!bpf_map_lookup_elem(&containers, &cgid))
		return NULL;
	c = bpf_map_lookup_elem(&counters, &cgid);
	if (c)
		return c;
	struct capsa_counters zero = {};
	bpf_map_update_elem(&counters, &cgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&counters, &cgid);
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
	__u64 cgid = bpf_get_current_cgroup_id();

	if (bpf_map_lookup_elem(&containers, &cgid))
		count_syscall(cgid, id);
	return 0;
}

/* tp_btf programs attach through raw tracepoints: no tracefs needed. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(capsa_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct capsa_counters *c = container_counters(cgid);
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
	struct capsa_counters *c = container_counters(bpf_get_current_cgroup_id());

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
	cgid = bpf_get_current_cgroup_id();
	c = container_counters(cgid);
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
