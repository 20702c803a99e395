// Empty programs on the hooks capsad's tracepoint tier uses on every system
// call (telemetry's sys_enter) and on every open (the open exits). Loaded
// only by tools/bench/tracepoint_floor for tools/bench/policy: what the
// kernel charges for having a program on these hooks at all, before any
// program logic, so the bench can say which share of the overhead is
// capsa's and which is the kernel's.
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id) { return 0; }

SEC("tracepoint/syscalls/sys_exit_open")
int floor_exit_open(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_creat")
int floor_exit_creat(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_exit_openat(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_openat2")
int floor_exit_openat2(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_open_by_handle_at")
int floor_exit_open_by_handle(void *ctx) { return 0; }
