/* dgram_loop N PATH: binds a unix datagram socket at PATH, then N times
 * sends one byte to it by address (sendto, no connect) and reads it back.
 * Prints the loop's thread CPU time per round trip in ns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3 || strlen(argv[2]) >= sizeof(((struct sockaddr_un*)0)->sun_path)) {
    fprintf(stderr, "usage: dgram_loop N PATH\n");
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, argv[2]);
  unlink(argv[2]);
  int rx = socket(AF_UNIX, SOCK_DGRAM, 0), tx = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr*)&addr, sizeof addr) != 0) {
    perror("dgram_loop: socket or bind");
    return 1;
  }
  struct timespec a, b;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  char byte = 'x';
  for (long i = 0; i < n; ++i) {
    if (sendto(tx, &byte, 1, 0, (struct sockaddr*)&addr, sizeof addr) != 1 || recv(rx, &byte, 1, 0) != 1) {
      perror("dgram_loop: sendto or recv");
      return 1;
    }
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  unlink(argv[2]);
  printf("dgram %.1f ns\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
  return 0;
}
