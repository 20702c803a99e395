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

int main(void) {
  struct bench_floor_bpf* skel = bench_floor_bpf__open_and_load();
  if (!skel) {
    fprintf(stderr, "tracepoint_floor: load the empty programs: %s\n", strerror(errno));
    return 1;
  }
  int err = bench_floor_bpf__attach(skel);
  if (err) {
    fprintf(stderr, "tracepoint_floor: attach the empty programs: %s\n", strerror(-err));
    bench_floor_bpf__destroy(skel);
    return 1;
  }
  printf("attached\n");
  fflush(stdout);
  for (;;) pause();
}
