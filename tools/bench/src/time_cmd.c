// Runs one command and prints its wall time in microseconds: from just before
// the spawn to the reaping of its exit. The lifecycle benchmark used date(1)
// around bash's own fork and exec, which added ~5 ms of the shell's work to
// every runtime's figure alike and pulled all ratios towards 1.
//
//   time_cmd COMMAND [ARGS...]   (its stdout and stderr go to /dev/null)
//
// Exits with the command's status (128+N if killed by signal N).
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: time_cmd COMMAND [ARGS...]\n");
    return 2;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  long long t0 = now_ns();
  pid_t pid;
  int err = posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ);
  if (err != 0) {
    fprintf(stderr, "time_cmd: %s: %s\n", argv[1], strerror(err));
    return 127;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("time_cmd: waitpid");
      return 127;
    }
  }
  long long t1 = now_ns();
  printf("%lld\n", (t1 - t0) / 1000);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
