/* unix_connect PATH [stream|dgram|sendto]: reaches the unix socket at PATH
 * (stream: connect and write a byte; dgram: connect a datagram socket and
 * send; sendto: send a datagram to PATH without connecting) and prints "ok"
 * or "errno N" for the step that failed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || strlen(argv[1]) >= sizeof(((struct sockaddr_un*)0)->sun_path)) {
    fprintf(stderr, "usage: unix_connect PATH [stream|dgram|sendto]\n");
    return 2;
  }
  const char* mode = argc == 3 ? argv[2] : "stream";
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, argv[1]);
  int fd = socket(AF_UNIX, strcmp(mode, "stream") == 0 ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0) {
    printf("errno %d\n", errno);
    return 0;
  }
  long rc;
  if (strcmp(mode, "sendto") == 0) {
    rc = sendto(fd, "x", 1, 0, (struct sockaddr*)&addr, sizeof addr);
  } else {
    rc = connect(fd, (struct sockaddr*)&addr, sizeof addr);
    if (rc == 0) rc = write(fd, "x", 1);
  }
  if (rc < 0)
    printf("errno %d\n", errno);
  else
    printf("ok\n");
  return 0;
}
