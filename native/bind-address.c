// A preload library for the ranks of `dime train --nproc-per-node`: libtorch 1.13's TCPStore (like
// PyTorch's) listens on every address and has no option to choose one, so bind() calls on the
// wildcard address are turned into binds on $DIME_BIND_ADDR (a numeric IPv4 address: the master
// address), on IPv6 sockets as its IPv4-mapped form. Every other bind() is passed on unchanged.
// The launcher (src/train/launch.ts) sets LD_PRELOAD to this file and DIME_BIND_ADDR for its ranks.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr*, socklen_t);

int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  static bind_fn real = NULL;
  if (real == NULL) real = (bind_fn)dlsym(RTLD_NEXT, "bind");
  const char* want = getenv("DIME_BIND_ADDR");
  struct in_addr v4;
  if (want == NULL || addr == NULL || inet_pton(AF_INET, want, &v4) != 1) return real(fd, addr, len);
  if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in copy;
    memcpy(&copy, addr, sizeof copy);
    if (copy.sin_addr.s_addr != htonl(INADDR_ANY)) return real(fd, addr, len);
    copy.sin_addr = v4;
    return real(fd, (const struct sockaddr*)&copy, sizeof copy);
  }
  if (addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 copy;
    memcpy(&copy, addr, sizeof copy);
    if (!IN6_IS_ADDR_UNSPECIFIED(&copy.sin6_addr)) return real(fd, addr, len);
    memset(&copy.sin6_addr, 0, sizeof copy.sin6_addr);
    copy.sin6_addr.s6_addr[10] = 0xff;
    copy.sin6_addr.s6_addr[11] = 0xff;
    memcpy(&copy.sin6_addr.s6_addr[12], &v4, 4);
    return real(fd, (const struct sockaddr*)&copy, sizeof copy);
  }
  return real(fd, addr, len);
}
