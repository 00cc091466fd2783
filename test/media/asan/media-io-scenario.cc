// A small, deterministic workout of native/io without Node, built with ASan+UBSan by asan.sh and
// run by asan.test.ts: legs with every codec, SRTP, DTMF, playout/marks/clear, bridges, a
// conference with an engine port, leg moves between workers, 1,000 legs created and closed, and
// engine shutdown with work still queued. LeakSanitizer runs at exit, with no JS engine around to
// blur its report. Prints "SCENARIO OK" and exits 0 only if the media actually flowed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "io/media-engine.h"
#include "rtp/rtp_packet.h"
#include "srtp/srtp_session.h"

using namespace tg;
using namespace tg::io;

namespace {
template <typename T>
std::shared_ptr<std::unique_ptr<T>> boxed(std::unique_ptr<T> p) { return std::make_shared<std::unique_ptr<T>>(std::move(p)); }

void setCodec(MediaEngine& e, const std::shared_ptr<Leg>& leg, CodecId id, int pt, int tePt) {
  CodecSettings cs;
  cs.codec = id;
  cs.payloadType = pt;
  cs.telephoneEventPt = tePt;
  auto dec = boxed(makeDecoder(id));
  auto enc = boxed(makeEncoder(id));
  auto jb = boxed(makeJitterBuffer(id, leg->options(), dec->get()));
  e.onLegThread(leg, [leg, cs, dec, enc, jb](MediaWorker&) { leg->setCodec(cs, std::move(*dec), std::move(*enc), std::move(*jb)); });
}

uint8_t kKey[30];

void setSrtp(MediaEngine& e, const std::shared_ptr<Leg>& leg) {
  auto s = boxed(std::make_unique<SrtpSession>());
  (*s)->setOutbound(SrtpSuite::AES_CM_128_HMAC_SHA1_80, kKey, 30);
  (*s)->setInbound(SrtpSuite::AES_CM_128_HMAC_SHA1_80, kKey, 30);
  e.onLegThread(leg, [leg, s](MediaWorker&) { leg->setSrtp(std::move(*s)); });
}

void setRemote(MediaEngine& e, const std::shared_ptr<Leg>& leg, uint16_t port) {
  sockaddr_storage a;
  socklen_t len;
  parseAddress("127.0.0.1", port, &a, &len);
  e.onLegThread(leg, [leg, a, len](MediaWorker&) { leg->setRemote(a, len, a, len, monotonicNs()); });
}

struct Drain {
  uint64_t frames = 0, events = 0;
  std::vector<FrameSlot> slots = std::vector<FrameSlot>(256);
  void run(MediaEngine& e, std::vector<std::shared_ptr<Leg>>& legs, const std::shared_ptr<EnginePort>& port) {
    e.beginDrain();
    MediaEvent ev[64];
    size_t n;
    while ((n = e.popEvents(ev, 64)) > 0) events += n;
    for (auto& l : legs) {
      if (l->frames()) frames += l->frames()->pop(slots.data(), slots.size());
    }
    if (port) frames += port->out.pop(slots.data(), slots.size());
    e.releaseRetired();
  }
};
}  // namespace

int main() {
  for (int i = 0; i < 30; i++) kKey[i] = static_cast<uint8_t>(i * 11 + 3);
  const int peer = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(peer, reinterpret_cast<sockaddr*>(&me), sizeof(me));
  socklen_t ml = sizeof(me);
  getsockname(peer, reinterpret_cast<sockaddr*>(&me), &ml);
  const uint16_t peerPort = ntohs(me.sin_port);

  {
    // A wake that could not be queued (NonBlockingCall failed) must not leave the pending flag set: the
    // media threads would never wake JS again. The first two wakes fail here and nobody drains, so
    // exactly three attempts are expected (the third succeeds and then stays pending).
    EngineConfig wc;
    wc.minPort = 32000;
    wc.maxPort = 32099;
    wc.bindAddress = "127.0.0.1";
    wc.threads = 1;
    std::atomic<int> attempts{0};
    MediaEngine we(wc, [&attempts] { return ++attempts > 2; });
    std::string err;
    auto leg = we.createLeg(LegOptions(), &err);  // frames on: something for JS every tick
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    we.close();
    printf("wakeAttempts=%d\n", attempts.load());
    if (!leg || attempts.load() != 3) return 1;
    printf("WAKE RETRY OK\n");
  }

  EngineConfig cfg;
  cfg.minPort = 31000;
  cfg.maxPort = 31999;
  cfg.bindAddress = "127.0.0.1";
  cfg.threads = 2;
  std::atomic<int> wakes{0};
  MediaEngine engine(cfg, [&wakes] {
    wakes++;
    return true;
  });
  Drain drain;
  SrtpSession peerSrtp;
  peerSrtp.setOutbound(SrtpSuite::AES_CM_128_HMAC_SHA1_80, kKey, 30);
  uint64_t peerReceived = 0;
  int created = 0;

  for (int round = 0; round < 5; ++round) {
    std::vector<std::shared_ptr<Leg>> legs;
    for (int i = 0; i < 200; ++i) {
      LegOptions o;
      o.rtcpMux = i % 3 == 0;
      o.frames = i % 2 == 0;
      o.inbandDtmfDetect = i % 7 == 0;
      o.timeoutBeforeMs = 100;
      std::string err;
      auto leg = engine.createLeg(o, &err);
      if (!leg) { fprintf(stderr, "createLeg: %s\n", err.c_str()); return 1; }
      ++created;
      const CodecId id = i % 3 == 0 ? CodecId::G722 : (i % 3 == 1 ? CodecId::PCMA : CodecId::PCMU);
      setCodec(engine, leg, id, id == CodecId::G722 ? 9 : (id == CodecId::PCMA ? 8 : 0), i % 2 ? 101 : -1);
      if (i % 4 == 0) setSrtp(engine, leg);
      setRemote(engine, leg, peerPort);
      std::vector<int16_t> pcm(1000 + i * 7);
      for (size_t k = 0; k < pcm.size(); ++k) pcm[k] = static_cast<int16_t>(6000 * std::sin(k * 0.3));
      leg->playout().write(pcm.data(), pcm.size());
      leg->playout().mark(static_cast<uint64_t>(i));
      if (i % 5 == 0) {
        DtmfSenderConfig dc;
        engine.onLegThread(leg, [leg, dc](MediaWorker&) { leg->startDtmf("12w#", 4, dc, 7); });
      }
      legs.push_back(leg);
    }
    // bridges (moves legs between workers) and one conference with an engine port
    std::vector<std::shared_ptr<Conference>> confs;
    for (int i = 0; i + 1 < 40; i += 2) {
      auto c = engine.createConference(2);
      engine.conferenceAddLeg(c, legs[i], 0);
      engine.conferenceAddLeg(c, legs[i + 1], 0);
      confs.push_back(c);
    }
    auto conf = engine.createConference();
    auto port = engine.createPort(50);
    for (int i = 40; i < 44; ++i) engine.conferenceAddLeg(conf, legs[i], 0);
    engine.conferenceAddPort(conf, port, legs[40]->id());
    std::vector<int16_t> speech(3200, 1000);
    port->in.write(speech.data(), speech.size());
    // the peer sends RTP (plain or SRTP to match the leg) to the first 60 legs for ~300 ms
    uint8_t pkt[400];
    uint8_t payload[160];
    memset(payload, 0x55, sizeof(payload));
    for (int tick = 0; tick < 15; ++tick) {
      for (int i = 0; i < 60; ++i) {
        RtpHeader h;
        h.payloadType = static_cast<uint8_t>(i % 3 == 0 ? 9 : (i % 3 == 1 ? 8 : 0));
        h.sequence = static_cast<uint16_t>(65530 + tick);
        h.timestamp = static_cast<uint32_t>(tick * 160);
        h.ssrc = 1000u + static_cast<uint32_t>(i) + round * 100u;
        size_t n = marshalRtp(h, payload, sizeof(payload), pkt, sizeof(pkt));
        if (i % 4 == 0) {
          size_t out = 0;
          if (tick == 7) pkt[20] ^= 1;  // one tampered packet per SRTP leg: counted, never decoded
          else if (peerSrtp.protectRtp(pkt, n, sizeof(pkt), &out) == SrtpStatus::Ok) n = out;
        }
        sockaddr_in to = me;
        to.sin_port = htons(legs[i]->localPort());
        sendto(peer, pkt, n, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      uint8_t buf[2048];
      while (recv(peer, buf, sizeof(buf), 0) > 0) ++peerReceived;
      drain.run(engine, legs, port);
      if (tick == 5) for (auto& l : legs) l->playout().clear();
    }
    // tear down: remove some participants explicitly, close conferences, close every leg
    engine.conferenceRemove(conf, legs[41]->id());
    engine.closeConference(conf);
    for (size_t i = 0; i < confs.size(); i += 2) engine.closeConference(confs[i]);
    for (auto& l : legs) engine.closeLeg(l);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    drain.run(engine, legs, port);
    legs.clear();
  }
  // 1,000 legs, then close the engine while the last batch may still have commands queued.
  for (int i = 0; i < 200; ++i) {
    std::string err;
    auto leg = engine.createLeg(LegOptions(), &err);
    if (leg) { ++created; setRemote(engine, leg, peerPort); }
  }
  engine.close();
  close(peer);
  const size_t portsLeft = engine.ports().inUse();
  printf("created=%d frames=%llu events=%llu peerReceived=%llu wakes=%d portsInUse=%zu\n", created,
         (unsigned long long)drain.frames, (unsigned long long)drain.events, (unsigned long long)peerReceived,
         wakes.load(), portsLeft);
  if (created != 1200 || drain.frames == 0 || drain.events == 0 || peerReceived == 0 || portsLeft != 0) return 1;
  printf("SCENARIO OK\n");
  return 0;
}
