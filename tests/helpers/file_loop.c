#define _GNU_SOURCE
/* file_loop N PATH [--landlock]: times N open+close and N stat calls on PATH
 * and prints "open_close_ns=X stat_ns=Y" (nanoseconds per call, wall clock)
 * and "open_close_cpu_ns=X stat_cpu_ns=Y" (the thread's own CPU time: on a
 * shared machine the time other tasks held the CPU is not counted). With
 * --landlock it first confines itself with a Landlock ruleset that handles
 * every file access and allows them all below "/", so the kernel walks
 * Landlock's rules on each call: the Landlock-only reference point. */
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}
static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static double cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static int landlock(void) {
  struct landlock_ruleset_attr attr = {
      .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
                           LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                           LANDLOCK_ACCESS_FS_MAKE_REG,
  };
  int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (rs < 0) return perror("landlock_create_ruleset"), -1;
  struct landlock_path_beneath_attr pb = {.allowed_access = attr.handled_access_fs};
  pb.parent_fd = open("/", O_PATH | O_CLOEXEC);
  if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
    return perror("landlock_add_rule"), -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_landlock_restrict_self, rs, 0) != 0)
    return perror("landlock_restrict_self"), -1;
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: file_loop N PATH [--landlock]\n");
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  const char* path = argv[2];
  if (argc > 3 && strcmp(argv[3], "--landlock") == 0 && landlock() != 0) return 1;
  struct stat st;
  double t0 = now_ns(), c0 = cpu_ns();
  for (long i = 0; i < n; ++i) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return perror(path), 1;
    close(fd);
  }
  double t1 = now_ns(), c1 = cpu_ns();
  for (long i = 0; i < n; ++i)
    if (stat(path, &st) != 0) return perror(path), 1;
  double t2 = now_ns(), c2 = cpu_ns();
  printf("open_close_ns=%.1f stat_ns=%.1f open_close_cpu_ns=%.1f stat_cpu_ns=%.1f\n", (t1 - t0) / n, (t2 - t1) / n,
         (c1 - c0) / n, (c2 - c1) / n);
  return 0;
}
