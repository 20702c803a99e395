/* Types shared by oci_devices.bpf.c and user space: one container's device
 * access rules (linux.resources.devices plus the runtime's defaults) on a
 * pure cgroup v2 host, where the devices controller of v1 does not exist and
 * a cgroup/dev program takes its place. Fixed-width types only.
 *
 * User space reduces the ordered OCI rule list to what v1's devices
 * controller would hold after the same writes: a default verdict plus a set
 * of exceptions that all point the other way. Each container gets its own
 * program instance whose map holds those exceptions, so the rules are
 * order-free here and the program cannot disagree with a v1 host. */
#ifndef CAPSA_BPF_OCI_DEVICES_H
#define CAPSA_BPF_OCI_DEVICES_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Map capacity; user space refuses a rule set that needs more. */
#define CAPSA_OCI_DEV_MAX_RULES 256

/* Major or minor "*". Real numbers never reach it (12 and 20 bits). */
#define CAPSA_OCI_DEV_WILDCARD 0xffffffffu

/* Same values as the kernel's BPF_DEVCG_DEV_* and BPF_DEVCG_ACC_* (uapi
 * enums that vmlinux.h does not carry): user space checks they agree. */
#define CAPSA_OCI_DEV_BLOCK 1u
#define CAPSA_OCI_DEV_CHAR 2u
#define CAPSA_OCI_ACC_MKNOD 1u
#define CAPSA_OCI_ACC_READ 2u
#define CAPSA_OCI_ACC_WRITE 4u

/* One exception. With default deny it allows `access` (a request is allowed
 * when one exception covers every access bit it asks for); with default
 * allow it denies (a request is denied when it asks for any bit of one). */
struct capsa_oci_dev_rule {
	__u32 type;   /* CAPSA_OCI_DEV_BLOCK or CAPSA_OCI_DEV_CHAR */
	__u32 major;  /* or CAPSA_OCI_DEV_WILDCARD */
	__u32 minor;  /* or CAPSA_OCI_DEV_WILDCARD */
	__u32 access; /* CAPSA_OCI_ACC_* bits */
};

#endif
