// OCI device access control on cgroup v2: one instance per container,
// attached to the container's cgroup with BPF_F_ALLOW_MULTI (capsad's policy
// program on an ancestor runs too, and both must allow). The rules are
// written by the runtime between load and attach, then frozen.
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "oci_devices.h"

char LICENSE[] SEC("license") = "GPL";

/* Set before load: how many entries of oci_dev_rules are in use, and the
 * verdict when no exception matches. */
const volatile __u32 rule_count = 0;
const volatile __u32 default_allow = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAPSA_OCI_DEV_MAX_RULES);
	__type(key, __u32);
	__type(value, struct capsa_oci_dev_rule);
} oci_dev_rules SEC(".maps");

/* The uapi struct bpf_cgroup_dev_ctx, whose layout is fixed. vmlinux.h's
 * copy would make every field access a CO-RE relocation, and libbpf would
 * then parse the kernel's whole BTF (5 MB) for each container's load: about
 * 100 ms of every `create` on a cgroup v2 host. */
struct capsa_dev_ctx {
	__u32 access_type; /* device type in the low 16 bits, access above */
	__u32 major;
	__u32 minor;
};

SEC("cgroup/dev")
int capsa_oci_dev(struct capsa_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff;
	__u32 acc = ctx->access_type >> 16;

	for (__u32 i = 0; i < CAPSA_OCI_DEV_MAX_RULES; i++) {
		struct capsa_oci_dev_rule *r;
		__u32 key = i;

		if (i >= rule_count)
			break;
		r = bpf_map_lookup_elem(&oci_dev_rules, &key);
		if (!r)
			break;
		if (r->type != type)
			continue;
		if (r->major != CAPSA_OCI_DEV_WILDCARD && r->major != ctx->major)
			continue;
		if (r->minor != CAPSA_OCI_DEV_WILDCARD && r->minor != ctx->minor)
			continue;
		/* The same tests as v1's match_exception / match_exception_partial. */
		if (default_allow) {
			if (acc & r->access)
				return 0;
		} else if ((acc & ~r->access) == 0) {
			return 1;
		}
	}
	return default_allow ? 1 : 0;
}
