/* syscall_probe NR [ARG...]: makes one raw system call and prints "ok RET"
 * or "errno N". A numeric ARG is passed as a number, anything else as a
 * pointer to the string, so filters can be checked syscall by syscall. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 8) {
    fprintf(stderr, "usage: syscall_probe NR [ARG...] (at most 6 args)\n");
    return 2;
  }
  long a[6] = {0};
  for (int i = 2; i < argc; ++i) {
    char* end;
    long v = strtol(argv[i], &end, 0);
    a[i - 2] = (*argv[i] && !*end) ? v : (long)argv[i];
  }
  long rc = syscall(strtol(argv[1], NULL, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
  if (rc < 0)
    printf("errno %d\n", errno);
  else
    printf("ok %ld\n", rc);
  return 0;
}
