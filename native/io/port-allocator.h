// Hands out RTP/RTCP socket pairs from a configured port range. RFC 3550 §11: RTP on an even
// port, RTCP on the next odd one, unless RTCP is multiplexed on the RTP port (RFC 5761).
// Called from the JS thread only (leg creation), but guarded by a mutex so several engines or
// threads may share one allocator safely.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <atomic>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

namespace tg::io {

struct SocketPair {
  int rtpFd = -1;
  int rtcpFd = -1;  // -1 with rtcp-mux
  uint16_t rtpPort = 0;
};

// Parses a numeric IPv4/IPv6 address and port into storage; false if not an address literal.
bool parseAddress(const std::string& host, uint16_t port, sockaddr_storage* out, socklen_t* len);
std::string formatAddress(const sockaddr_storage& addr, uint16_t* port);

class PortAllocator {
 public:
  PortAllocator(uint16_t minPort, uint16_t maxPort, std::string bindAddress);
  // Binds a fresh pair; returns false (errno-like reason in *error) when the range is exhausted.
  bool allocate(bool rtcpMux, SocketPair* out, std::string* error);
  void release(const SocketPair& pair);
  size_t inUse() const;
  // Releases made by a thread other than the one that created the allocator (the JS thread): always 0
  // when the media threads hand port release back to JS, as they must (release closes and locks).
  uint64_t foreignReleases() const { return foreignReleases_.load(std::memory_order_relaxed); }

 private:
  int bindOne(uint16_t port) const;
  uint16_t minPort_, maxPort_;
  std::string bindAddress_;
  mutable std::mutex mutex_;
  std::vector<bool> used_;  // indexed by (port - minPort) / 2
  size_t next_ = 0;
  size_t inUse_ = 0;
  std::thread::id owner_;
  std::atomic<uint64_t> foreignReleases_{0};
};

}  // namespace tg::io
