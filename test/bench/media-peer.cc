// Load generator for `npm run bench -- media`: a separate process (so its CPU is not charged to
// the engine under test) that sends 20 ms PCMU RTP to N engine legs and measures what comes back.
//   media-peer <durationWarmupSec> <durationMeasureSec> [srtpSuite srtpKeySaltHex]
// stdin: the engine leg ports, one per line, then "go". stdout first line: our UDP port; at the
// end one JSON line of results. Sends with sendmmsg in one batch per 20 ms tick (absolute clock),
// receives with recvmmsg and kernel timestamps (SO_TIMESTAMPNS) so intervals are arrival times,
// not our own scheduling. SRTP with the product transform (native/srtp, OpenSSL EVP), one session per
// stream; its correctness is checked against libsrtp2 elsewhere (test/media/dsp/srtp-differential).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "srtp/srtp_session.h"

#include "peer-common.h"  // clocks and the mu-law encoder shared by the bench load generators

struct Stream {
  uint16_t dutPort = 0;
  uint32_t ssrc = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  // receive side
  bool haveRx = false;
  uint16_t lastSeq = 0;
  int64_t lastArrival = 0;
  uint64_t received = 0, lost = 0;
};

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const double warmup = atof(argv[1]), measure = atof(argv[2]);
  const bool useSrtp = argc > 4;
  tg::SrtpSuite suite = tg::SrtpSuite::AES_CM_128_HMAC_SHA1_80;
  uint8_t key[46];
  size_t keyLen = 0;
  if (useSrtp) {
    if (!tg::srtpSuiteFromName(argv[3], &suite)) return 3;
    keyLen = strlen(argv[4]) / 2;
    if (keyLen > sizeof(key)) return 3;
    for (size_t i = 0; i < keyLen; i++) key[i] = static_cast<uint8_t>(strtol(std::string(argv[4] + 2 * i, 2).c_str(), nullptr, 16));
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 16 << 20;
  // One socket receives every stream: its buffer must absorb a whole tick of all of them even if
  // this process is descheduled; *BUFFORCE passes net.core.rmem_max when we may (root/CAP_NET_ADMIN).
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  // Real-time priority when permitted, so a busy host does not make the load generator the bottleneck.
  sched_param sp{};
  sp.sched_priority = 20;
  sched_setscheduler(0, SCHED_FIFO, &sp);
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof(me)) != 0) return 4;
  socklen_t ml = sizeof(me);
  getsockname(fd, reinterpret_cast<sockaddr*>(&me), &ml);
  std::cout << ntohs(me.sin_port) << std::endl;

  std::vector<Stream> streams;
  std::vector<int> byPort(65536, -1);
  std::string line;
  while (std::getline(std::cin, line) && line != "go") {
    Stream s;
    s.dutPort = static_cast<uint16_t>(atoi(line.c_str()));
    s.ssrc = static_cast<uint32_t>(random());
    s.seq = static_cast<uint16_t>(random());
    s.ts = static_cast<uint32_t>(random());
    byPort[s.dutPort] = static_cast<int>(streams.size());
    streams.push_back(s);
  }
  const size_t n = streams.size();
  std::vector<std::unique_ptr<tg::SrtpSession>> srtp(n);  // per stream: outbound (to the leg) and inbound
  for (size_t i = 0; useSrtp && i < n; i++) {
    srtp[i] = std::make_unique<tg::SrtpSession>();
    if (srtp[i]->setOutbound(suite, key, keyLen) != tg::SrtpStatus::Ok) return 3;
    if (srtp[i]->setInbound(suite, key, keyLen) != tg::SrtpStatus::Ok) return 3;
  }
  // 1 kHz tone at -12 dBFS, 8 kHz: 8 samples per period, so every 20 ms packet is identical.
  uint8_t payload[160];
  for (int i = 0; i < 160; i++) payload[i] = linearToUlaw(int(8000 * sin(2 * M_PI * 1000 * i / 8000.0)));

  const size_t kPkt = 200;
  std::vector<uint8_t> txBuf(n * kPkt);
  std::vector<mmsghdr> txMsgs(n);
  std::vector<iovec> txIov(n);
  std::vector<sockaddr_in> dst(n);
  for (size_t i = 0; i < n; i++) {
    dst[i] = me;
    dst[i].sin_port = htons(streams[i].dutPort);
  }
  const int kRx = 256;
  std::vector<uint8_t> rxBuf(kRx * 2048);
  std::vector<mmsghdr> rxMsgs(kRx);
  std::vector<iovec> rxIov(kRx);
  std::vector<sockaddr_in> rxFrom(kRx);
  std::vector<uint8_t> rxCtl(kRx * 64);

  // interval-error histogram in 10 us buckets up to 20 ms
  std::vector<uint64_t> hist(2001, 0);
  uint64_t samples = 0;
  const int64_t period = 20000000;
  const int64_t start = nowNs() + period;
  const int64_t measureFrom = start + int64_t(warmup * 1e9), measureTo = measureFrom + int64_t(measure * 1e9);
  bool measuring = false;
  int64_t tick = 0;
  uint64_t sendErrors = 0;
  for (;;) {
    const int64_t deadline = start + tick * period;
    // Sleep to the tick, then drain: never woken per packet, so the engine's sendto does not pay
    // for waking us (a loopback artefact a remote peer would not cause). Arrival times come from
    // kernel timestamps, not from when we read.
    {
      timespec ts{time_t(deadline / 1000000000), long(deadline % 1000000000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
      }
    }
    for (;;) {
      for (int i = 0; i < kRx; i++) {
        rxIov[i] = {&rxBuf[i * 2048], 2048};
        rxMsgs[i].msg_hdr = msghdr{};
        rxMsgs[i].msg_hdr.msg_name = &rxFrom[i];
        rxMsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        rxMsgs[i].msg_hdr.msg_iov = &rxIov[i];
        rxMsgs[i].msg_hdr.msg_iovlen = 1;
        rxMsgs[i].msg_hdr.msg_control = &rxCtl[i * 64];
        rxMsgs[i].msg_hdr.msg_controllen = 64;
      }
      const int got = recvmmsg(fd, rxMsgs.data(), kRx, MSG_DONTWAIT, nullptr);
      if (got <= 0) break;
      const int64_t realMinusMono = realNs() - nowNs();
      for (int i = 0; i < got; i++) {
        uint8_t* p = &rxBuf[i * 2048];
        int len = int(rxMsgs[i].msg_len);
        if (len < 12 || (p[1] >= 200 && p[1] <= 204)) continue;  // RTCP
        const int idx = byPort[ntohs(rxFrom[i].sin_port)];
        if (idx < 0) continue;
        size_t plain = size_t(len);
        if (useSrtp && srtp[idx]->unprotectRtp(p, size_t(len), &plain) != tg::SrtpStatus::Ok) continue;
        int64_t arrival = nowNs();
        for (cmsghdr* c = CMSG_FIRSTHDR(&rxMsgs[i].msg_hdr); c; c = CMSG_NXTHDR(&rxMsgs[i].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            arrival = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec - realMinusMono;
          }
        }
        Stream& s = streams[idx];
        const uint16_t seq = uint16_t((p[2] << 8) | p[3]);
        if (measuring) {
          s.received++;
          if (s.haveRx) {
            const uint16_t step = uint16_t(seq - s.lastSeq);
            if (step > 1 && step < 1000) s.lost += step - 1;
            const int64_t err = std::llabs(arrival - s.lastArrival - period) / 10000;
            hist[err > 2000 ? 2000 : err]++;
            samples++;
          }
        }
        s.haveRx = true;
        s.lastSeq = seq;
        s.lastArrival = arrival;
      }
    }
    const int64_t t = nowNs();
    if (t >= measureTo) break;
    if (!measuring && t >= measureFrom) {
      measuring = true;
      for (auto& s : streams) s.haveRx = false;  // intervals only inside the window
    }
    // one tick: build and send every stream's packet in one sendmmsg batch
    for (size_t i = 0; i < n; i++) {
      Stream& s = streams[i];
      uint8_t* p = &txBuf[i * kPkt];
      p[0] = 0x80; p[1] = tick == 0 ? 0x80 : 0x00;
      p[2] = uint8_t(s.seq >> 8); p[3] = uint8_t(s.seq);
      p[4] = uint8_t(s.ts >> 24); p[5] = uint8_t(s.ts >> 16); p[6] = uint8_t(s.ts >> 8); p[7] = uint8_t(s.ts);
      p[8] = uint8_t(s.ssrc >> 24); p[9] = uint8_t(s.ssrc >> 16); p[10] = uint8_t(s.ssrc >> 8); p[11] = uint8_t(s.ssrc);
      memcpy(p + 12, payload, 160);
      size_t len = 172;
      if (useSrtp) srtp[i]->protectRtp(p, 172, kPkt, &len);
      s.seq++;
      s.ts += 160;
      txIov[i] = {p, len};
      txMsgs[i].msg_hdr = msghdr{};
      txMsgs[i].msg_hdr.msg_name = &dst[i];
      txMsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      txMsgs[i].msg_hdr.msg_iov = &txIov[i];
      txMsgs[i].msg_hdr.msg_iovlen = 1;
    }
    for (size_t off = 0; off < n;) {
      const int sent = sendmmsg(fd, &txMsgs[off], unsigned(n - off), 0);
      if (sent <= 0) { sendErrors++; break; }
      off += size_t(sent);
    }
    tick++;
  }
  uint64_t received = 0, lost = 0, silentStreams = 0;
  for (auto& s : streams) {
    received += s.received;
    lost += s.lost;
    if (s.received == 0) silentStreams++;
  }
  uint64_t acc = 0;
  double p99 = 0, p50 = 0, maxErr = 0;
  for (size_t b = 0; b < hist.size(); b++) {
    if (hist[b]) maxErr = b / 100.0;
    acc += hist[b];
    if (p50 == 0 && acc >= samples * 0.5) p50 = b / 100.0;
    if (p99 == 0 && acc >= samples * 0.99) p99 = b / 100.0;
  }
  const double expected = measure * 50.0 * n;
  printf("{\"streams\":%zu,\"received\":%llu,\"expected\":%.0f,\"lost\":%llu,\"silentStreams\":%llu,\"p50ErrMs\":%.2f,\"p99ErrMs\":%.2f,\"maxErrMs\":%.2f,\"sendErrors\":%llu}\n",
         n, (unsigned long long)received, expected, (unsigned long long)lost, (unsigned long long)silentStreams, p50, p99,
         maxErr, (unsigned long long)sendErrors);
  return 0;
}
