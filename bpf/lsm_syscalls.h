/* The policy syscall rules the BPF-LSM tier enforces on the kernel's object
 * hooks: one table for the BPF programs (which hook serves which syscall),
 * capsad (status, tiers) and the README. Where BPF-LSM is attached, a deny
 * rule on one of these is EPERM from the hook (a kill rule: EPERM and
 * SIGKILL), and the sys_enter tracepoint stands back for it. A hook acts
 * only when the syscall the task is in is the one the rule names: the
 * number comes from the task's registers (x86-64 numbers, as policy.bpf.c).
 *
 * X(name, x86-64 number, hooks). Every call of the syscall that could have
 * an effect passes one of its hooks (keyctl(KEYCTL_CAPABILITIES), which
 * touches no key, does not). */
#ifndef CAPSA_BPF_LSM_SYSCALLS_H
#define CAPSA_BPF_LSM_SYSCALLS_H

#define CAPSA_LSM_SYSCALLS(X)                                            \
	X(mount, 165, "sb_mount")                                        \
	X(umount2, 166, "sb_umount")                                     \
	X(move_mount, 429, "move_mount")                                 \
	X(pivot_root, 155, "sb_pivotroot")                               \
	X(bpf, 321, "bpf")                                               \
	X(init_module, 175, "kernel_load_data")                          \
	X(finit_module, 313, "kernel_read_file")                         \
	X(add_key, 248, "key_alloc, key_permission")                     \
	X(request_key, 249, "key_alloc, key_permission")                 \
	X(keyctl, 250, "key_alloc, key_permission")                      \
	X(ptrace, 101, "ptrace_access_check, ptrace_traceme")            \
	X(process_vm_readv, 310, "ptrace_access_check")                  \
	X(process_vm_writev, 311, "ptrace_access_check")                 \
	X(kill, 62, "task_kill")                                         \
	X(tkill, 200, "task_kill")                                       \
	X(tgkill, 234, "task_kill")                                      \
	X(rt_sigqueueinfo, 129, "task_kill")                             \
	X(rt_tgsigqueueinfo, 297, "task_kill")                           \
	X(pidfd_send_signal, 424, "task_kill")

#endif
