/* The path of the current task's executable, as the container sees it
 * ("/bin/busybox"), for the `binary` of a policy event. comm alone can be
 * set to anything by the process (prctl PR_SET_NAME) and is cut at 15
 * characters. Built on reported events only, never on the hot path: from
 * mm->exe_file up through dentries and mounts to the task's root, the
 * names written right to left into a per-CPU scratch buffer. A path that
 * does not end at the task's root (a memfd, a file outside the root) is
 * what the walk found up to the top of its mount tree. */
#ifndef CAPSA_EXE_PATH_BPF_H
#define CAPSA_EXE_PATH_BPF_H

#define EXE_BUILD_END 511   /* the path ends (NUL) at scratch[511] */
#define EXE_SCRATCH_LEN 768 /* a name of up to 255 bytes may start at 511 */

struct exe_scratch {
	char buf[EXE_SCRATCH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exe_scratch);
} pol_exe_scratch SEC(".maps");

struct exe_walk {
	struct dentry *root_d, *d;
	struct vfsmount *root_m, *vm;
	int pos; /* where the path built so far starts */
};

static long exe_walk_step(__u32 i, struct exe_walk *w)
{
	struct vfsmount *vm = w->vm;
	struct dentry *d = w->d;
	struct exe_scratch *s;
	const unsigned char *name;
	__u32 zero = 0, len, at;
	int pos;

	if (d == w->root_d && vm == w->root_m)
		return 1;
	if (d == BPF_CORE_READ(vm, mnt_root)) /* a mount's root adds no name */
		return step_up(&w->d, &w->vm);
	s = bpf_map_lookup_elem(&pol_exe_scratch, &zero);
	if (!s)
		return 1;
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > 255)
		len = 255;
	pos = w->pos - (int)len - 1;
	if (pos < 0 || pos > EXE_BUILD_END)
		return 1; /* longer than the buffer: the tail is kept */
	/* The masks restate the bounds just checked in a form the verifier
	 * follows through the compiler's rewrites. */
	at = (__u32)pos & EXE_BUILD_END;
	len &= 255;
	s->buf[at] = '/';
	bpf_probe_read_kernel(&s->buf[at + 1], len, name);
	w->pos = (int)at;
	return step_up(&w->d, &w->vm);
}

/* Copies the executable's path into out (size bytes, NUL-terminated). */
static __always_inline void exe_path(char *out, __u32 size)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct exe_scratch *s;
	struct exe_walk w;
	__u32 zero = 0;

	if (!exe)
		return;
	s = bpf_map_lookup_elem(&pol_exe_scratch, &zero);
	if (!s)
		return;
	s->buf[EXE_BUILD_END] = '\0';
	w.root_d = BPF_CORE_READ(task, fs, root.dentry);
	w.root_m = BPF_CORE_READ(task, fs, root.mnt);
	w.d = BPF_CORE_READ(exe, f_path.dentry);
	w.vm = BPF_CORE_READ(exe, f_path.mnt);
	w.pos = EXE_BUILD_END;
	bpf_loop(CAPSA_FILE_WALK_DEPTH, exe_walk_step, &w, 0);
	if (w.pos >= 0 && w.pos < EXE_BUILD_END)
		bpf_probe_read_kernel_str(out, size, &s->buf[w.pos]);
}

#endif
