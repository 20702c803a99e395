// Policy enforcement with BPF-LSM, where the kernel offers it: file opens,
// execs, creates and unlinks are refused with EPERM before they happen, and
// so are opens of files outside the container's root. Loaded beside
// policy.bpf.c and sharing its pinned maps; when these programs are attached
// capsad sets CAPSA_CFG_LSM_FILES and the tracepoint kills stand back.
#include "policy_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM 1

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
	struct capsa_policy_event *ev = report(g, v, kind);

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
