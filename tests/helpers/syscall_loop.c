/* syscall_loop N [--pause]: makes N getpid system calls (raw, so no libc
 * caching can hide them), prints "done N", then exits or waits for a signal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syscall_loop N [--pause]\n");
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  for (long i = 0; i < n; ++i) syscall(SYS_getpid);
  printf("done %ld\n", n);
  fflush(stdout);
  if (argc > 2 && strcmp(argv[2], "--pause") == 0) pause();
  return 0;
}
