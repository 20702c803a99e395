/* inet_probe connect|bind|sendto tcp|udp|udplite ADDR PORT: one socket
 * call to an IPv4 or IPv6 address, printing "ok" or "errno N" (a failed
 * socket() prints "socket errno N"), so a cgroup hook's EPERM can be told
 * from the network's own answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: inet_probe connect|bind|sendto tcp|udp|udplite ADDR PORT\n");
    return 2;
  }
  const char *op = argv[1], *proto = argv[2];
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  int family;
  unsigned short port = (unsigned short)atoi(argv[4]);
  struct sockaddr_in* in4 = (struct sockaddr_in*)&ss;
  struct sockaddr_in6* in6 = (struct sockaddr_in6*)&ss;
  if (inet_pton(AF_INET, argv[3], &in4->sin_addr) == 1) {
    family = in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    len = sizeof *in4;
  } else if (inet_pton(AF_INET6, argv[3], &in6->sin6_addr) == 1) {
    family = in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    len = sizeof *in6;
  } else {
    fprintf(stderr, "inet_probe: bad address %s\n", argv[3]);
    return 2;
  }
  int type = strcmp(proto, "tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
  int protocol = strcmp(proto, "tcp") == 0 ? IPPROTO_TCP : strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_UDPLITE;
  int fd = socket(family, type, protocol);
  if (fd < 0) {
    printf("socket errno %d\n", errno);
    return 0;
  }
  int rc;
  if (strcmp(op, "connect") == 0)
    rc = connect(fd, (struct sockaddr*)&ss, len);
  else if (strcmp(op, "bind") == 0)
    rc = bind(fd, (struct sockaddr*)&ss, len);
  else
    rc = sendto(fd, "x", 1, 0, (struct sockaddr*)&ss, len) == 1 ? 0 : -1;
  if (rc != 0)
    printf("errno %d\n", errno);
  else
    printf("ok\n");
  return 0;
}
