#include "io/port-allocator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tg::io {

bool parseAddress(const std::string& host, uint16_t port, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::string formatAddress(const sockaddr_storage& addr, uint16_t* port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
    if (port) *port = ntohs(v4->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
    if (port) *port = ntohs(v6->sin6_port);
  }
  return buf;
}

PortAllocator::PortAllocator(uint16_t minPort, uint16_t maxPort, std::string bindAddress)
    : minPort_(static_cast<uint16_t>((minPort + 1) & ~1u)),
      maxPort_(maxPort),
      bindAddress_(std::move(bindAddress)),
      owner_(std::this_thread::get_id()) {
  const size_t pairs = maxPort_ > minPort_ ? (maxPort_ - minPort_ + 1) / 2 : 0;
  used_.assign(pairs, false);
}

int PortAllocator::bindOne(uint16_t port) const {
  sockaddr_storage addr;
  socklen_t len;
  if (!parseAddress(bindAddress_, port, &addr, &len)) return -1;
  const int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  // 20 ms of 1,500-byte packets is tiny; the buffer only needs to absorb a late tick or a burst.
  const int rcv = 256 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  // Kernel arrival timestamps: the worker reads sockets once per tick, but jitter (RFC 3550 A.8)
  // and the jitter buffer need the real arrival time.
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool PortAllocator::allocate(bool rtcpMux, SocketPair* out, std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t pairs = used_.size();
  for (size_t attempt = 0; attempt < pairs; ++attempt) {
    const size_t slot = (next_ + attempt) % pairs;
    if (used_[slot]) continue;
    const uint16_t port = static_cast<uint16_t>(minPort_ + slot * 2);
    const int rtp = bindOne(port);
    if (rtp < 0) continue;  // taken by another process: try the next pair
    int rtcp = -1;
    if (!rtcpMux) {
      rtcp = bindOne(static_cast<uint16_t>(port + 1));
      if (rtcp < 0) {
        close(rtp);
        continue;
      }
    }
    used_[slot] = true;
    ++inUse_;
    next_ = (slot + 1) % pairs;
    *out = SocketPair{rtp, rtcp, port};
    return true;
  }
  *error = "no free RTP port pair in range " + std::to_string(minPort_) + "-" + std::to_string(maxPort_);
  return false;
}

void PortAllocator::release(const SocketPair& pair) {
  if (std::this_thread::get_id() != owner_) foreignReleases_.fetch_add(1, std::memory_order_relaxed);
  if (pair.rtpFd >= 0) close(pair.rtpFd);
  if (pair.rtcpFd >= 0) close(pair.rtcpFd);
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t slot = (pair.rtpPort - minPort_) / 2;
  if (slot < used_.size() && used_[slot]) {
    used_[slot] = false;
    --inUse_;
  }
}

size_t PortAllocator::inUse() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return inUse_;
}

}  // namespace tg::io
