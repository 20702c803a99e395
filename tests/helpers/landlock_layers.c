/* landlock_layers N PROG ARGS...: stacks N Landlock layers on itself, then
 * execs PROG. Each layer handles only TCP bind (no file access, so mounts and
 * pivot_root stay allowed) and grants nothing: the layers cost a process
 * nothing it needs, but one at the kernel's limit (16) cannot add another,
 * which is how the tests make the kernel refuse a ruleset. */
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif

struct attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
};

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: landlock_layers N PROG [ARGS...]\n");
    return 2;
  }
  int n = atoi(argv[1]);
  struct attr a = {0, LANDLOCK_ACCESS_NET_BIND_TCP};
  for (int i = 0; i < n; ++i) {
    int fd = (int)syscall(SYS_landlock_create_ruleset, &a, sizeof a, 0);
    if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) != 0) {
      fprintf(stderr, "landlock_layers: layer %d: %s\n", i + 1, strerror(errno));
      return 1;
    }
    close(fd);
  }
  execvp(argv[2], argv + 2);
  fprintf(stderr, "landlock_layers: exec %s: %s\n", argv[2], strerror(errno));
  return 127;
}
