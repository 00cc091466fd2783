// Load generator for `npm run bench -- load`: a separate process (its CPU is not charged to the
// media server under test) that plays both ends of M calls through a transcoding media server.
// Side A is the narrowband trunk (PCMU, PT 0), side B the wideband end (G.722, PT 9, 64 kbit/s:
// also 160 bytes per 20 ms, RTP clock 8000 per RFC 3551 §4.5.2). Derived from test/bench/media-peer.cc
// (same pacing and measurement), extended to two sockets and two codecs.
//   load-peer <warmupSec> <measureSec> [srtpKeySaltHexForSideA|-] [g722|pcmu (side B's codec, default g722)]
// stdin: "<serverPort> <a|b> [rxKeySaltHex]" per stream (the server port this stream is sent to;
// with SRTP, the key the server sends that stream with: RFC 4568 gives each direction its own key),
// then "go". Side A's sending key is the argv key (the one our SDP offer carried).
// stdout: first line "<portA> <portB>"; at the end one JSON line of results.
// Sending: one sendmmsg batch per socket per 20 ms tick on an absolute clock. Receiving: recvmmsg
// after each tick with kernel timestamps (SO_TIMESTAMPNS), so send-interval error is measured at
// arrival, not at our scheduling. Returned packets are attributed to the stream that sends to the
// packet's source port (a media server sends and receives a call's audio on one port: symmetric RTP,
// RFC 4961). Loss = sequence gaps inside the measured window.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <spandsp.h>
#include <srtp2/srtp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "../peer-common.h"  // clocks and the mu-law encoder shared by the bench load generators

struct Stream {
  uint16_t dutPort = 0;
  int side = 0;
  uint32_t ssrc = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  bool haveRx = false;
  uint16_t lastSeq = 0;
  int64_t lastArrival = 0;
  uint64_t received = 0, lost = 0, wrongPt = 0, loud = 0;
  srtp_t rx = nullptr;  // per-stream receive context when the server keys each call differently
};

static bool parseKey(const char* hex, uint8_t key[30]) {
  if (strlen(hex) != 60) return false;
  for (int i = 0; i < 30; i++) key[i] = static_cast<uint8_t>(strtol(std::string(hex + 2 * i, 2).c_str(), nullptr, 16));
  return true;
}

static srtp_t makeContext(const uint8_t key[30], srtp_ssrc_type_t dir) {
  srtp_policy_t p;
  memset(&p, 0, sizeof(p));
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  p.key = const_cast<uint8_t*>(key);
  p.window_size = 128;
  p.ssrc.type = dir;
  srtp_t ctx = nullptr;
  if (srtp_create(&ctx, &p) != srtp_err_status_ok) exit(3);
  return ctx;
}

struct Side {
  int fd = -1;
  sockaddr_in addr{};
  std::vector<int> byPort = std::vector<int>(65536, -1);
  std::vector<size_t> members;
  std::vector<mmsghdr> txMsgs;
  std::vector<iovec> txIov;
  std::vector<sockaddr_in> dst;
  uint8_t payload[160];
  uint8_t pt = 0;
  srtp_t tx = nullptr, rx = nullptr;
};

static int openSocket(sockaddr_in& me) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 16 << 20;
  // One socket receives every stream of a side: its buffer must absorb a whole tick even if this
  // process is descheduled; *BUFFORCE passes net.core.rmem_max when permitted.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  me = sockaddr_in{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof(me)) != 0) exit(4);
  socklen_t ml = sizeof(me);
  getsockname(fd, reinterpret_cast<sockaddr*>(&me), &ml);
  return fd;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const double warmup = atof(argv[1]), measure = atof(argv[2]);
  Side sides[2];
  srtp_init();
  if (argc > 3 && strcmp(argv[3], "-") != 0) {
    uint8_t key[30];
    if (!parseKey(argv[3], key)) return 2;
    sides[0].tx = makeContext(key, ssrc_any_outbound);
    sides[0].rx = makeContext(key, ssrc_any_inbound);
  }
  // Real-time priority when permitted, so a busy host does not make the generator the bottleneck.
  sched_param sp{};
  sp.sched_priority = 20;
  sched_setscheduler(0, SCHED_FIFO, &sp);
  for (auto& s : sides) s.fd = openSocket(s.addr);
  std::cout << ntohs(sides[0].addr.sin_port) << " " << ntohs(sides[1].addr.sin_port) << std::endl;

  // 1 kHz tone at -12 dBFS: whole periods per 20 ms, so every packet of a side is identical.
  sides[0].pt = 0;
  for (int i = 0; i < 160; i++) sides[0].payload[i] = linearToUlaw(int(8000 * sin(2 * M_PI * 1000 * i / 8000.0)));
  const bool sideBPcmu = argc > 4 && strcmp(argv[4], "pcmu") == 0;
  sides[1].pt = 9;
  if (sideBPcmu) {
    sides[1].pt = 0;
    memcpy(sides[1].payload, sides[0].payload, 160);
  } else {
    g722_encode_state_t* enc = g722_encode_init(nullptr, 64000, 0);
    int16_t pcm[320];
    for (int i = 0; i < 320; i++) pcm[i] = int16_t(8000 * sin(2 * M_PI * 1000 * i / 16000.0));
    for (int f = 0; f < 10; f++) g722_encode(enc, sides[1].payload, pcm, 320);  // settle the ADPCM state
    g722_encode_free(enc);
  }

  std::vector<Stream> streams;
  std::string line;
  while (std::getline(std::cin, line) && line != "go") {
    Stream s;
    char side = 'a';
    unsigned port = 0;
    char rxKey[128] = "";
    if (sscanf(line.c_str(), "%u %c %127s", &port, &side, rxKey) < 1 || port == 0 || port > 65535) continue;
    uint8_t key[30];
    if (rxKey[0] && parseKey(rxKey, key)) s.rx = makeContext(key, ssrc_any_inbound);
    s.dutPort = uint16_t(port);
    s.side = side == 'b' ? 1 : 0;
    s.ssrc = static_cast<uint32_t>(random());
    s.seq = static_cast<uint16_t>(random());
    s.ts = static_cast<uint32_t>(random());
    sides[s.side].byPort[s.dutPort] = int(streams.size());
    sides[s.side].members.push_back(streams.size());
    streams.push_back(s);
  }
  const size_t kPkt = 200;
  std::vector<uint8_t> txBuf(streams.size() * kPkt + 1);
  for (auto& sd : sides) {
    const size_t m = sd.members.size();
    sd.txMsgs.resize(m);
    sd.txIov.resize(m);
    sd.dst.resize(m);
    for (size_t k = 0; k < m; k++) {
      sd.dst[k] = sd.addr;
      sd.dst[k].sin_port = htons(streams[sd.members[k]].dutPort);
    }
  }
  const int kRx = 256;
  std::vector<uint8_t> rxBuf(kRx * 2048);
  std::vector<mmsghdr> rxMsgs(kRx);
  std::vector<iovec> rxIov(kRx);
  std::vector<sockaddr_in> rxFrom(kRx);
  std::vector<uint8_t> rxCtl(kRx * 64);

  std::vector<uint64_t> hist(2001, 0);  // interval error, 10 us buckets up to 20 ms
  uint64_t samples = 0, sendErrors = 0, strays = 0, srtpFailures = 0;
  const int64_t period = 20000000;
  const int64_t start = nowNs() + period;
  const int64_t measureFrom = start + int64_t(warmup * 1e9), measureTo = measureFrom + int64_t(measure * 1e9);
  bool measuring = false;
  for (int64_t tick = 0;; tick++) {
    const int64_t deadline = start + tick * period;
    {
      timespec ts{time_t(deadline / 1000000000), long(deadline % 1000000000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
      }
    }
    for (auto& sd : sides) {
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
        const int got = recvmmsg(sd.fd, rxMsgs.data(), kRx, MSG_DONTWAIT, nullptr);
        if (got <= 0) break;
        const int64_t realMinusMono = realNs() - nowNs();
        for (int i = 0; i < got; i++) {
          uint8_t* p = &rxBuf[i * 2048];
          int len = int(rxMsgs[i].msg_len);
          if (len < 12 || (p[1] >= 200 && p[1] <= 204)) continue;  // RTCP (RFC 5761 §4 ranges)
          const int idx = sd.byPort[ntohs(rxFrom[i].sin_port)];
          if (idx < 0) { strays++; continue; }
          srtp_t rxCtx = streams[idx].rx ? streams[idx].rx : sd.rx;
          if (rxCtx && srtp_unprotect(rxCtx, p, &len) != srtp_err_status_ok) { srtpFailures++; continue; }
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
            if ((p[1] & 0x7f) != sd.pt) s.wrongPt++;
            // PCMU carrying audio rather than silence: mu-law codes 0x7F/0xFF (and their neighbours)
            // are the two zeros; an echoed -12 dBFS tone has codes far from them.
            if ((p[1] & 0x7f) == 0 && len >= 12 + 160) {
              int far = 0;
              for (int k = 12; k < 12 + 160; k++) far += (p[k] & 0x7f) < 0x70;
              if (far > 40) s.loud++;
            }
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
    }
    const int64_t t = nowNs();
    if (t >= measureTo) break;
    if (!measuring && t >= measureFrom) {
      measuring = true;
      for (auto& s : streams) s.haveRx = false;  // intervals only inside the window
    }
    for (auto& sd : sides) {
      const size_t m = sd.members.size();
      for (size_t k = 0; k < m; k++) {
        Stream& s = streams[sd.members[k]];
        uint8_t* p = &txBuf[sd.members[k] * kPkt];
        p[0] = 0x80;
        p[1] = uint8_t((tick == 0 ? 0x80 : 0x00) | sd.pt);
        p[2] = uint8_t(s.seq >> 8); p[3] = uint8_t(s.seq);
        p[4] = uint8_t(s.ts >> 24); p[5] = uint8_t(s.ts >> 16); p[6] = uint8_t(s.ts >> 8); p[7] = uint8_t(s.ts);
        p[8] = uint8_t(s.ssrc >> 24); p[9] = uint8_t(s.ssrc >> 16); p[10] = uint8_t(s.ssrc >> 8); p[11] = uint8_t(s.ssrc);
        memcpy(p + 12, sd.payload, 160);
        int len = 172;
        if (sd.tx) srtp_protect(sd.tx, p, &len);
        s.seq++;
        s.ts += 160;
        sd.txIov[k] = {p, size_t(len)};
        sd.txMsgs[k].msg_hdr = msghdr{};
        sd.txMsgs[k].msg_hdr.msg_name = &sd.dst[k];
        sd.txMsgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        sd.txMsgs[k].msg_hdr.msg_iov = &sd.txIov[k];
        sd.txMsgs[k].msg_hdr.msg_iovlen = 1;
      }
      for (size_t off = 0; off < m;) {
        const int sent = sendmmsg(sd.fd, &sd.txMsgs[off], unsigned(m - off), 0);
        if (sent <= 0) { sendErrors++; break; }
        off += size_t(sent);
      }
    }
  }
  uint64_t received = 0, lost = 0, silentStreams = 0, wrongPt = 0, loud = 0;
  for (auto& s : streams) {
    received += s.received;
    lost += s.lost;
    wrongPt += s.wrongPt;
    loud += s.loud;
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
  const double expected = measure * 50.0 * double(streams.size());
  printf("{\"streams\":%zu,\"received\":%llu,\"expected\":%.0f,\"lost\":%llu,\"silentStreams\":%llu,\"wrongPt\":%llu,"
         "\"loud\":%llu,\"strays\":%llu,\"srtpFailures\":%llu,\"p50ErrMs\":%.2f,\"p99ErrMs\":%.2f,\"maxErrMs\":%.2f,\"sendErrors\":%llu}\n",
         streams.size(), (unsigned long long)received, expected, (unsigned long long)lost, (unsigned long long)silentStreams,
         (unsigned long long)wrongPt, (unsigned long long)loud, (unsigned long long)strays, (unsigned long long)srtpFailures, p50, p99, maxErr, (unsigned long long)sendErrors);
  return 0;
}
