/* The opened-file check of policy.bpf.c by direct loads, for kernels that
 * have bpf_rdonly_cast() (Linux 6.2 and later).
 *
 * Why: the check runs on every open in a container, and BPF_CORE_READ pays
 * one bpf_probe_read_kernel() call per pointer it follows, about forty per
 * open (the task's root, the fd table, the file, then per directory level
 * the dentry's inode, super block, parent and mount). bpf_rdonly_cast()
 * turns a kernel address into a typed read-only pointer whose fields are
 * plain loads the verifier makes fault-safe; the verifier inlines the cast
 * itself. Same walk, same decisions as file_walk() in policy_common.bpf.h
 * (see there for what "inside" means); capsad loads the programs built on
 * this or those, never both (policy_loader.cpp). */
#ifndef CAPSA_FILE_WALK_DIRECT_BPF_H
#define CAPSA_FILE_WALK_DIRECT_BPF_H

#include "policy_common.bpf.h"

/* Weak: on a kernel without it the programs that call it are not loaded. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define KPTR(type, addr) ((type *)bpf_rdonly_cast((void *)(unsigned long)(addr), bpf_core_type_id_kernel(type)))

struct direct_walk {
	__u64 root_d, root_m; /* the task's root: dentry, vfsmount */
	__u64 d, vm;          /* where the walk is */
	struct capsa_inode_key key;
	__u32 acc;
	int rules;
	struct file_check *c;
};

static __always_inline __u64 mount_of(__u64 vfsmount)
{
	return vfsmount - bpf_core_field_offset(struct mount, mnt);
}

static long direct_walk_step(__u32 i, struct direct_walk *w)
{
	struct dentry *d = KPTR(struct dentry, w->d);
	struct vfsmount *vm = KPTR(struct vfsmount, w->vm);
	__u64 parent;

	if (w->d == w->root_d && w->vm == w->root_m) {
		w->c->inside = 1;
		return 1;
	}
	if (w->rules) {
		struct capsa_file_value *fv;

		w->key.dev = d->d_sb->s_dev;
		w->key.ino = d->d_inode->i_ino;
		fv = bpf_map_lookup_elem(&pol_files, &w->key);
		if (fv)
			file_match(i == 0 ? fv->self : fv->below, w->acc, w->c);
	}
	if (w->d == (__u64)vm->mnt_root) {
		struct mount *mnt = KPTR(struct mount, mount_of(w->vm));
		__u64 up = (__u64)mnt->mnt_parent;

		if (up == mount_of(w->vm))
			return 1;
		w->d = (__u64)mnt->mnt_mountpoint;
		w->vm = up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	parent = (__u64)d->d_parent;
	if (parent == w->d)
		return 1;
	w->d = parent;
	return 0;
}

/* The file behind the task's descriptor fd, as an address (0: none). */
static __always_inline __u64 fd_file_direct(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = KPTR(struct fdtable, task->files->fdt);
	__u64 f = 0;

	if (fd < 0 || fd >= fdt->max_fds)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), (void *)((__u64)fdt->fd + fd * sizeof(f)));
	return f;
}

/* file_decide() by direct loads. */
static __always_inline __u8 file_decide_direct(const struct governed *g, __u64 file_addr, __u32 acc,
					       struct capsa_verdict *v)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fs_struct *fs = KPTR(struct fs_struct, task->fs);
	struct file *file = KPTR(struct file, file_addr);
	struct file_check c = {};
	struct direct_walk w = {
		.root_d = (__u64)fs->root.dentry,
		.root_m = (__u64)fs->root.mnt,
		.d = (__u64)file->f_path.dentry,
		.vm = (__u64)file->f_path.mnt,
		.key = { .policy_id = g->bind->policy_id },
		.acc = acc,
		.rules = g->bind->flags & CAPSA_BIND_HAS_FILES,
		.c = &c,
	};
	struct mount *mnt = KPTR(struct mount, mount_of(w.vm));

	bpf_loop(CAPSA_FILE_WALK_DEPTH, direct_walk_step, &w, 0);
	return walk_verdict(&c, !c.inside && confinement_applies_to((unsigned long)mnt->mnt_ns, file->f_inode->i_mode),
			    v);
}

#endif
