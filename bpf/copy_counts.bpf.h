/* Counts of the copies made for cgroups containers make beneath their own
 * (policy.bpf.c's binding copies, telemetry.bpf.c's container copies), kept
 * against a quota per container and one for all: `counts` is a hash of
 * __u64 -> __s64, the container's cgroup id -> the copies it holds, key 0 ->
 * the copies in all. capsad makes the counts again from the copies on its
 * sweeps (after containers go, and after it made copies itself), so a count
 * here is never let below zero. */
#ifndef CAPSA_BPF_COPY_COUNTS_BPF_H
#define CAPSA_BPF_COPY_COUNTS_BPF_H

/* Why a copy could not be counted. */
#define CAPSA_COPY_PAST_QUOTA 1 /* the container holds its quota */
#define CAPSA_COPY_NO_ROOM 2	/* all containers together hold theirs, or no count could be kept */

static __always_inline __s64 *copy_count(void *counts, __u64 key)
{
	__s64 zero = 0, *n = bpf_map_lookup_elem(counts, &key);

	if (n)
		return n;
	bpf_map_update_elem(counts, &key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(counts, &key);
}

static __always_inline void copy_uncount(void *counts, __u64 key)
{
	__s64 *n = bpf_map_lookup_elem(counts, &key);

	if (n && *n > 0)
		__sync_fetch_and_add(n, -1);
}

/* One copy of home's gone (or never made). */
static __always_inline void copy_given_back(void *counts, __u64 home)
{
	copy_uncount(counts, home);
	copy_uncount(counts, 0);
}

/* Room for one more copy of home's: 0 when counted, else why not. */
static __always_inline __u8 copy_counted(void *counts, __u64 home, __s64 per_container, __s64 in_all)
{
	__s64 *mine = copy_count(counts, home), *all = copy_count(counts, 0);

	if (!mine || !all)
		return CAPSA_COPY_NO_ROOM;
	if (__sync_fetch_and_add(mine, 1) >= per_container) {
		__sync_fetch_and_add(mine, -1);
		return CAPSA_COPY_PAST_QUOTA;
	}
	if (__sync_fetch_and_add(all, 1) >= in_all) {
		__sync_fetch_and_add(all, -1);
		__sync_fetch_and_add(mine, -1);
		return CAPSA_COPY_NO_ROOM;
	}
	return 0;
}

/* Deeper cgroups than this are judged by their ancestors down to it. */
#define CGROUP_MAX_LEVELS 32

/* cg's ancestor at `level`, at most cg's own (cgroup->ancestors[]: 0 is
 * the root), or NULL. */
static __always_inline struct cgroup *cgroup_ancestor_at(struct cgroup *cg, int level)
{
	void *ancestors = (void *)cg + bpf_core_field_offset(struct cgroup, ancestors);
	struct cgroup *a = NULL;

	if (bpf_probe_read_kernel(&a, sizeof(a), ancestors + level * sizeof(a)))
		return NULL;
	return a;
}

#endif
