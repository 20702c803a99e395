/* sigio_probe fcntl|ex|ioctl PID|self: makes PID the owner of one end of a
 * socket pair (fcntl F_SETOWN, fcntl F_SETOWN_EX, or ioctl FIOSETOWN), turns
 * on O_ASYNC and writes to the other end, so the kernel sends SIGIO to the
 * owner. Prints "setown ok" or "setown errno N", then "sigio yes" or
 * "sigio no": whether this process got SIGIO itself.
 *
 * sigio_probe many N [hold]: makes itself the owner of N open sockets, one
 * after the other, printing "owned K" after each, then "done"; with hold it
 * then sleeps, keeping them open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_sigio(int sig) { (void)sig; got = 1; }

static int own_many(int n, int hold) {
  for (int k = 1; k <= n; ++k) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || fcntl(sv[0], F_SETOWN, getpid()) != 0) {
      printf("errno %d at %d\n", errno, k);
      return 1;
    }
    close(sv[1]);
    printf("owned %d\n", k);
    fflush(stdout);
  }
  printf("done\n");
  fflush(stdout);
  while (hold) pause();
  return 0;
}

int main(int argc, char** argv) {
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "many") == 0)
    return own_many(atoi(argv[2]), argc == 4 && strcmp(argv[3], "hold") == 0);
  if (argc != 3) {
    fprintf(stderr, "usage: sigio_probe fcntl|ex|ioctl PID|self\n");
    return 2;
  }
  pid_t pid = strcmp(argv[2], "self") == 0 ? getpid() : (pid_t)strtol(argv[2], NULL, 0);
  signal(SIGIO, on_sigio);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    perror("socketpair");
    return 1;
  }
  int rc;
  if (strcmp(argv[1], "fcntl") == 0) {
    rc = fcntl(sv[0], F_SETOWN, pid);
  } else if (strcmp(argv[1], "ex") == 0) {
    struct f_owner_ex owner = {F_OWNER_PID, pid};
    rc = fcntl(sv[0], F_SETOWN_EX, &owner);
  } else {
    rc = ioctl(sv[0], FIOSETOWN, &pid);
  }
  if (rc != 0)
    printf("setown errno %d\n", errno);
  else
    printf("setown ok\n");
  fflush(stdout);
  if (fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK) != 0 || write(sv[1], "x", 1) != 1) {
    perror("O_ASYNC and write");
    return 1;
  }
  for (int i = 0; i < 20 && !got; ++i) usleep(10000);
  printf("sigio %s\n", got ? "yes" : "no");
  return 0;
}
