/* spawn_n N: forks N children that sleep, reports how many forks succeeded and
 * the errno of the first failure; exits 0 only if all N succeeded. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  pid_t kids[4096];
  int ok = 0, err = 0;
  for (int i = 0; i < n && i < 4096; ++i) {
    pid_t p = fork();
    if (p == 0) {
      sleep(30);
      _exit(0);
    }
    if (p < 0) {
      err = errno;
      break;
    }
    kids[ok++] = p;
  }
  printf("forked %d of %d%s%s\n", ok, n, err ? ": " : "", err ? strerror(err) : "");
  fflush(stdout);
  for (int i = 0; i < ok; ++i) kill(kids[i], SIGKILL);
  for (int i = 0; i < ok; ++i) waitpid(kids[i], NULL, 0);
  return ok == n ? 0 : 1;
}
