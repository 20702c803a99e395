/* compat_syscall NR [ARG...]: makes one i386 system call (int $0x80) from
 * this 64-bit process and prints "ok RET" or "errno N"; a numeric ARG is
 * passed as a number, anything else as a pointer to the string, copied
 * below 4 GiB (the i386 ABI has 32-bit pointers). Needs a kernel with
 * IA32 emulation: elsewhere int $0x80 is SIGSEGV. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 7) {
    fprintf(stderr, "usage: compat_syscall NR [ARG...] (at most 5 args)\n");
    return 2;
  }
  char* low = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (low == MAP_FAILED) {
    printf("mmap errno %d\n", errno);
    return 1;
  }
  unsigned int a[5] = {0};
  size_t used = 0;
  for (int i = 2; i < argc; ++i) {
    char* end;
    long v = strtol(argv[i], &end, 0);
    if (*argv[i] && !*end) {
      a[i - 2] = (unsigned int)v;
      continue;
    }
    size_t n = strlen(argv[i]) + 1;
    if (used + n > 65536) return 2;
    memcpy(low + used, argv[i], n);
    a[i - 2] = (unsigned int)(uintptr_t)(low + used);
    used += n;
  }
  long ret = strtol(argv[1], NULL, 0);
  __asm__ volatile("int $0x80"
                   : "+a"(ret)
                   : "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
                   : "r8", "r9", "r10", "r11", "memory", "cc");
  int rc = (int)ret;
  if (rc < 0 && rc > -4096)
    printf("errno %d\n", -rc);
  else
    printf("ok %d\n", rc);
  return 0;
}
