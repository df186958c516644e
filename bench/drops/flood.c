/* A bounded UDP flood for bench/drops/run, and its sink:
 *   flood DST PORT SECONDS   sends 64-byte datagrams to DST:PORT with
 *                            sendmmsg() in batches of 64 for SECONDS, then
 *                            prints how many it sent;
 *   flood sink PORT          receives on PORT with recvmmsg() until killed.
 * Run both inside the benchmark's own namespaces (ip netns exec): it sends
 * only where it is told, for only as long as it is told. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sink(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int size = 1 << 24;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (fd < 0 || bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    perror("flood: sink");
    return 1;
  }
  enum { kBatch = 64 };
  static char bufs[kBatch][128];
  struct iovec iov[kBatch];
  struct mmsghdr msgs[kBatch];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < kBatch; ++i) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) recvmmsg(fd, msgs, kBatch, 0, NULL);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "sink") == 0) return sink(atoi(argv[2]));
  if (argc != 4) {
    fprintf(stderr, "usage: flood DST PORT SECONDS\n");
    return 2;
  }
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
    fprintf(stderr, "flood: bad address %s\n", argv[1]);
    return 2;
  }
  const double seconds = atof(argv[3]);
  if (seconds <= 0 || seconds > 60) {
    fprintf(stderr, "flood: SECONDS must be in (0, 60]\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&dst, sizeof dst) != 0) {
    perror("flood: socket");
    return 1;
  }
  enum { kBatch = 64 };
  static char payload[64];
  struct iovec iov = {payload, sizeof payload};
  struct mmsghdr msgs[kBatch];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < kBatch; ++i) {
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0;
  const double end = now() + seconds;
  while (now() < end) {
    int n = sendmmsg(fd, msgs, kBatch, 0);
    if (n > 0) sent += (unsigned long long)n;
  }
  printf("%llu\n", sent);
  return 0;
}
