// Minimal BPF-LSM program for the vmtest self-test: deny file_open with
// -EPERM for one thread group (set by the loader through target_tgid).
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} target_tgid SEC(".maps");

__u64 denied = 0;

SEC("lsm/file_open")
int deny_file_open(unsigned long long *ctx)
{
    __u32 key = 0;
    __u32 *tgid = bpf_map_lookup_elem(&target_tgid, &key);
    int prev = (int)ctx[1];   /* return value of the previous LSM hook */

    if (prev != 0)
        return prev;
    if (tgid && *tgid != 0 && *tgid == (__u32)(bpf_get_current_pid_tgid() >> 32)) {
        __sync_fetch_and_add(&denied, 1);
        return -EPERM;
    }
    return 0;
}
