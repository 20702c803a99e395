/* tracepoint_floor: attaches empty BPF programs to the hooks capsad's
 * tracepoint tier uses (bpf/bench_floor.bpf.c), prints "attached" and holds
 * them until a signal ends it (the links go with the process). For tools/bench/policy's
 * "kernel floor" rows. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bench_floor.skel.h"

/* With program names as arguments only those are attached, so the floor can
 * be split into its parts (the per-syscall sys_enter program against the
 * open exits). */
static int attach_named(struct bench_floor_bpf* skel, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    struct bpf_program* prog = bpf_object__find_program_by_name(skel->obj, argv[i]);
    if (!prog) {
      fprintf(stderr, "tracepoint_floor: no program named %s in bench_floor.bpf.c\n", argv[i]);
      return -ENOENT;
    }
    if (!bpf_program__attach(prog)) return -errno;
  }
  return 0;
}

int main(int argc, char** argv) {
  struct bench_floor_bpf* skel = bench_floor_bpf__open_and_load();
  if (!skel) {
    fprintf(stderr, "tracepoint_floor: load the empty programs: %s\n", strerror(errno));
    return 1;
  }
  int err = argc > 1 ? attach_named(skel, argc, argv) : bench_floor_bpf__attach(skel);
  if (err) {
    fprintf(stderr, "tracepoint_floor: attach the empty programs: %s\n", strerror(-err));
    bench_floor_bpf__destroy(skel);
    return 1;
  }
  printf("attached\n");
  fflush(stdout);
  for (;;) pause();
}
