/* own_listener NR: installs a seccomp filter of its own with a listener
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER) that sends syscall NR to it, forks a
 * child that makes NR (no arguments), lets the call run from the listener
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE) and prints how the child ended:
 * "exited N" or "killed S". What a contained program can do where it carries
 * no filter of capsad's. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: own_listener NR\n");
    return 2;
  }
  int nr = (int)strtol(argv[1], NULL, 0);
  struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof insns / sizeof insns[0], insns};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    printf("no_new_privs errno %d\n", errno);
    return 1;
  }
  int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) {
    printf("listener errno %d\n", errno);
    return 1;
  }
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    syscall(nr, 0, 0, 0, 0, 0, 0);
    _exit(0);
  }
  struct seccomp_notif req = {0};
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
    printf("receive errno %d\n", errno);
    return 1;
  }
  struct seccomp_notif_resp resp = {0};
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) {
    printf("send errno %d\n", errno);
    return 1;
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) return 1;
  if (WIFSIGNALED(status))
    printf("killed %d\n", WTERMSIG(status));
  else
    printf("exited %d\n", WEXITSTATUS(status));
  return 0;
}
