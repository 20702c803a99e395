/* sigio_probe fcntl|ex|ioctl PID|self: makes PID the owner of one end of a
 * socket pair (fcntl F_SETOWN, fcntl F_SETOWN_EX, or ioctl FIOSETOWN), turns
 * on O_ASYNC and writes to the other end, so the kernel sends SIGIO to the
 * owner. Prints "setown ok" or "setown errno N", then "sigio yes" or
 * "sigio no": whether this process got SIGIO itself.
 *
 * sigio_probe many N [hold]: makes itself the owner of N open sockets, one
 * after the other, printing "owned K" after each, then "done"; with hold it
 * then sleeps, keeping them open.
 *
 * sigio_probe async FD [SIG]: on a descriptor it was handed, picks SIG as
 * its signal (F_SETSIG, when given) and turns O_ASYNC on (F_SETFL), printing
 * "setsig ok|errno N" and "async ok|errno N", then waits 2 s for I/O.
 *
 * Host side, handing such a descriptor to CMD as fd 3 (a second process
 * makes I/O happen on it 1 s later):
 * sigio_probe hand OWNER -- CMD...: one end of a socket pair whose owner is
 *   OWNER (F_SETOWN, set here, outside any container);
 * sigio_probe tty -- CMD...: the slave of a new pseudo-terminal, the
 *   controlling terminal of a new session whose leader, a process of its
 *   own, is its foreground process group; prints "victim PID" on stderr.
 *
 * sigio_probe owntty: the same terminal set-up, all in this process's own
 * tree (in a container: its own), then turns O_ASYNC on the slave, printing
 * "async ok|errno N". */
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

static int async_on(int fd, int sig) {
  if (sig) {
    if (fcntl(fd, F_SETSIG, sig) != 0)
      printf("setsig errno %d\n", errno);
    else
      printf("setsig ok\n");
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_ASYNC) != 0)
    printf("async errno %d\n", errno);
  else
    printf("async ok\n");
  fflush(stdout);
  sleep(2);
  return 0;
}

/* Puts `fd` at 3 for CMD, forks the process that writes to `io` 1 s later,
 * and runs CMD. */
static int hand_over(int fd, int io, char** cmd) {
  pid_t writer = fork();
  if (writer == 0) {
    sleep(1);
    if (write(io, "x\n", 2) != 2) _exit(1);
    sleep(2);
    _exit(0);
  }
  close(io);
  if (dup2(fd, 3) != 3) {
    perror("dup2");
    return 1;
  }
  if (fd != 3) close(fd);
  execvp(cmd[0], cmd);
  perror("exec");
  return 127;
}

int main(int argc, char** argv) {
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "many") == 0)
    return own_many(atoi(argv[2]), argc == 4 && strcmp(argv[3], "hold") == 0);
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "async") == 0)
    return async_on(atoi(argv[2]), argc == 4 ? atoi(argv[3]) : 0);
  if (argc >= 5 && strcmp(argv[1], "hand") == 0 && strcmp(argv[3], "--") == 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || fcntl(sv[0], F_SETOWN, atoi(argv[2])) != 0) {
      perror("socketpair or F_SETOWN");
      return 1;
    }
    return hand_over(sv[0], sv[1], argv + 4);
  }
  if ((argc >= 4 && strcmp(argv[1], "tty") == 0 && strcmp(argv[2], "--") == 0) ||
      (argc == 2 && strcmp(argv[1], "owntty") == 0)) {
    int own = argc == 2;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
      perror("posix_openpt");
      return 1;
    }
    const char* slave_name = ptsname(master);
    int ready[2];
    if (!slave_name || pipe(ready) != 0) return 1;
    pid_t victim = fork();
    if (victim == 0) {
      /* A session leader opening a terminal without O_NOCTTY makes it its
       * controlling terminal, its own group the foreground one. */
      close(ready[0]);
      signal(SIGHUP, SIG_IGN);  /* the terminal hangs up once its writer is gone */
      if (setsid() < 0 || open(slave_name, O_RDWR) < 0) _exit(1);
      if (write(ready[1], "r", 1) != 1) _exit(1);
      for (;;) pause();
    }
    close(ready[1]);
    char c;
    if (read(ready[0], &c, 1) != 1) {
      fprintf(stderr, "the terminal's session did not start\n");
      return 1;
    }
    int slave = open(slave_name, O_RDWR | O_NOCTTY);
    if (slave < 0) {
      perror("open the slave");
      return 1;
    }
    if (own) {
      int rc = fcntl(slave, F_SETFL, fcntl(slave, F_GETFL) | O_ASYNC);
      if (rc != 0)
        printf("async errno %d\n", errno);
      else
        printf("async ok\n");
      kill(victim, SIGKILL);
      return 0;
    }
    fprintf(stderr, "victim %d\n", (int)victim);
    return hand_over(slave, master, argv + 3);
  }
  if (argc != 3) {
    fprintf(stderr, "usage: sigio_probe fcntl|ex|ioctl PID|self | many N [hold] | async FD [SIG] | hand OWNER -- CMD... | tty -- CMD...\n");
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
