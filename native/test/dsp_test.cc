// Standalone test program for the pure C++ DSP core, built with -fsanitize=address,undefined by
// test/media/dsp/asan.sh (not part of the addon: native/sources.js skips native/test). It drives every
// class through normal and hostile input (random datagrams, random traces) so the sanitizers can see
// out-of-bounds reads, leaks and undefined behaviour that the JS tests cannot.
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "codec/audio_codec.h"
#include "codec/g711.h"
#include "dsp/dtmf_detector.h"
#include "dsp/dtmf_receiver.h"
#include "dsp/dtmf_sender.h"
#include "dsp/jitter_buffer.h"
#include "dsp/mixer.h"
#include "dsp/resampler.h"
#include "rtp/receive_stats.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtp_packet.h"
#include "rtp/telephone_event.h"
#include "srtp/srtp_session.h"

using namespace tg;

static int failures = 0;
#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                     \
    }                                                                 \
  } while (0)

static std::mt19937 rng(12345);

static void testG711AndCodecs() {
  for (int s = -32768; s < 32768; s += 7) {
    const int16_t x = static_cast<int16_t>(s);
    CHECK(std::abs(g711::alawToLinear(g711::linearToAlaw(x)) - x) <= 1024);
    CHECK(std::abs(g711::ulawToLinear(g711::linearToUlaw(x)) - x) <= 1024);
  }
  std::vector<int16_t> pcm(320 * 50);
  for (size_t i = 0; i < pcm.size(); i++) pcm[i] = static_cast<int16_t>(9000 * std::sin(i * 0.2));
  for (CodecId id : {CodecId::PCMU, CodecId::PCMA, CodecId::G722}) {
    auto enc = makeEncoder(id);
    auto dec = makeDecoder(id);
    CHECK(enc && dec);
    uint8_t payload[480];
    int16_t out[960];
    for (size_t f = 0; f < 50; f++) {
      const size_t n = enc->encode(pcm.data() + f * 320, 320, payload, sizeof(payload));
      CHECK(n == 160);
      CHECK(dec->decode(payload, n, out, 320) == 320);
      CHECK(dec->decode(payload, n, out, 319) == -1);  // capacity respected
    }
    CHECK(enc->encode(pcm.data(), 3, payload, sizeof(payload)) == 0);  // odd count refused
    for (int k = 0; k < 200; k++) {  // random payloads of random size: decoders must not overrun
      const size_t len = rng() % 481;
      for (size_t i = 0; i < len; i++) payload[i] = static_cast<uint8_t>(rng());
      CHECK(dec->decode(payload, len, out, sizeof(out) / 2) == static_cast<int>(len * 2));
    }
  }
  CHECK(makeDecoder(CodecId::TelephoneEvent) == nullptr);
  CHECK(findCodec("pcma", 8000) == &codecInfo(CodecId::PCMA));
  CHECK(findCodecByStaticPt(9)->sampleRate == 16000);
}

static void testResampler() {
  Resampler up(Resampler::Direction::Up8kTo16k), down(Resampler::Direction::Down16kTo8k);
  int16_t in[997], out[2000];
  for (int k = 0; k < 300; k++) {
    const size_t n = rng() % 997;
    for (size_t i = 0; i < n; i++) in[i] = static_cast<int16_t>(rng());
    CHECK(up.process(in, n, out, sizeof(out) / 2) == static_cast<int>(2 * n));
    const size_t expect = down.outputFor(n);
    CHECK(down.process(in, n, out, sizeof(out) / 2) == static_cast<int>(expect));
  }
  CHECK(up.process(in, 10, out, 19) == -1);
}

// The per-sample resampler as it was before the block rewrite (doubled ring, one folded FIR per output),
// kept verbatim as the reference the block kernels must reproduce.
class RefResampler {
 public:
  explicit RefResampler(bool up) : up_(up) {}
  size_t process(const int16_t* in, size_t n, int16_t* out) {
    const float* h = halfBandTaps();
    constexpr int kCentre = (Resampler::kTaps - 1) / 2;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
      const float x = in[i];
      ring_[pos_] = x;
      ring_[pos_ + kRing] = x;
      const float* newest = &ring_[pos_ + kRing];
      pos_ = (pos_ + 1) & (kRing - 1);
      if (up_) {
        float acc = 0;
        for (int j = 0; j < (kCentre + 1) / 2; j++) acc += h[2 * j] * (newest[-j] + newest[-(kCentre - j)]);
        out[o++] = sat16(2.0f * acc);
        out[o++] = sat16(2.0f * h[kCentre] * newest[-(kCentre - 1) / 2]);
      } else {
        if (!pendingOdd_) {
          pendingOdd_ = true;
          continue;
        }
        pendingOdd_ = false;
        float acc = h[kCentre] * newest[-kCentre];
        for (int j = 0; j < (kCentre + 1) / 2; j++) acc += h[2 * j] * (newest[-2 * j] + newest[-(2 * kCentre - 2 * j)]);
        out[o++] = sat16(acc);
      }
    }
    return o;
  }

 private:
  static int16_t sat16(float v) {
    const float r = v >= 0 ? v + 0.5f : v - 0.5f;
    if (r > 32767.0f) return 32767;
    if (r < -32768.0f) return -32768;
    return static_cast<int16_t>(r);
  }
  static constexpr int kRing = 64;
  bool up_;
  float ring_[kRing * 2] = {};
  int pos_ = 0;
  bool pendingOdd_ = false;
};

static std::vector<int16_t> readInt16File(const char* path) {
  std::vector<int16_t> v;
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return v;
  uint8_t b[2];
  while (std::fread(b, 1, 2, f) == 2) v.push_back(static_cast<int16_t>(b[0] | (b[1] << 8)));  // STL files are LE
  std::fclose(f);
  return v;
}

// Block resampler == per-sample reference, sample for sample, for every kernel this CPU can run, over real
// speech and full-scale material (tones up to near Nyquist, a square wave that drives the output into
// saturation, white noise), fed in chunkings that cross the internal block size at odd and even points.
// The kernels keep the reference's per-output summation order and never contract to FMA, so the match is
// exact; the contract callers rely on is +-1 LSB, and the report below says which one failed.
static void testResamplerMatchesReference() {
  std::vector<std::vector<int16_t>> signals;
  signals.push_back(readInt16File("test/vectors/codec/g722-stl/inpsp.bin"));  // ITU STL speech, 16 kHz
  CHECK(signals.back().size() > 90000);
  for (double f : {0.03, 0.9, 2.9, 3.13}) {  // radians/sample: low, mid, near Nyquist
    std::vector<int16_t> t(20011);
    for (size_t i = 0; i < t.size(); i++) t[i] = static_cast<int16_t>(std::lround(32767 * std::sin(f * i)));
    signals.push_back(t);
  }
  std::vector<int16_t> sq(12007), noise(30001);
  for (size_t i = 0; i < sq.size(); i++) sq[i] = (i / 37) % 2 ? 32767 : -32768;  // overshoot -> saturation
  for (auto& x : noise) x = static_cast<int16_t>(rng());
  signals.push_back(sq);
  signals.push_back(noise);

  std::vector<Resampler::Kernel> kernels = {Resampler::Kernel::Baseline};
  {
    Resampler probe(Resampler::Direction::Up8kTo16k);
    if (probe.setKernelForTest(Resampler::Kernel::Avx2)) kernels.push_back(Resampler::Kernel::Avx2);
    std::printf("resampler: default kernel %s, testing %zu kernel(s)\n",
                probe.kernel() == Resampler::Kernel::Avx2 ? "avx2" : "baseline", kernels.size());
    Resampler def(Resampler::Direction::Up8kTo16k);
    CHECK(def.kernel() == (kernels.size() == 2 ? Resampler::Kernel::Avx2 : Resampler::Kernel::Baseline));
  }
  const size_t fixedChunks[] = {0 /* one call */, 1, 2, 3, 7, 159, 160, 161, 255, 256, 257, 320, 511, 512, 513, 1031};
  long saturated = 0, compared = 0, mismatches = 0;
  int worst = 0;
  for (bool up : {true, false}) {
    for (const auto& sig : signals) {
      RefResampler ref(up);
      std::vector<int16_t> want(sig.size() * 2 + 2);
      want.resize(ref.process(sig.data(), sig.size(), want.data()));
      for (int16_t v : want) saturated += (v == 32767 || v == -32768);
      for (Resampler::Kernel k : kernels) {
        for (size_t ci = 0; ci <= sizeof(fixedChunks) / sizeof(fixedChunks[0]); ci++) {
          const bool randomChunks = ci == sizeof(fixedChunks) / sizeof(fixedChunks[0]);
          Resampler r(up ? Resampler::Direction::Up8kTo16k : Resampler::Direction::Down16kTo8k);
          CHECK(r.setKernelForTest(k));
          std::vector<int16_t> got(want.size() + 8, 12345);
          size_t off = 0, w = 0;
          while (off < sig.size()) {
            size_t n = randomChunks ? rng() % 700 : (fixedChunks[ci] == 0 ? sig.size() : fixedChunks[ci]);
            n = std::min(n, sig.size() - off);
            const size_t expect = r.outputFor(n);
            const int got_n = r.process(sig.data() + off, n, got.data() + w, got.size() - w);
            CHECK(got_n == static_cast<int>(expect));
            if (got_n < 0) break;
            off += n;
            w += static_cast<size_t>(got_n);
          }
          CHECK(w == want.size());
          CHECK(got[w] == 12345);  // nothing written past the reported count
          for (size_t i = 0; i < std::min(w, want.size()); i++) {
            const int d = std::abs(got[i] - want[i]);
            worst = std::max(worst, d);
            mismatches += d != 0;
            compared++;
          }
        }
      }
    }
  }
  std::printf("resampler: %ld samples compared, %ld differ, worst %d LSB, %ld saturated in the reference\n", compared,
              mismatches, worst, saturated);
  CHECK(worst <= 1);        // the contract
  CHECK(mismatches == 0);   // what the kernels actually achieve (same summation order, no FMA)
  CHECK(saturated > 1000);  // the square wave really drove the output into the clamp
  CHECK(compared > 10000000);
}

static void testRtpRtcp() {
  uint8_t buf[256];
  for (int k = 0; k < 200000; k++) {
    const size_t len = rng() % 80;
    std::vector<uint8_t> exact(len);  // exact-size heap block: ASan catches any read past the end
    for (size_t i = 0; i < len; i++) exact[i] = static_cast<uint8_t>(rng());
    if (len > 0 && (k & 1)) exact[0] = static_cast<uint8_t>((exact[0] & 0x3f) | 0x80);
    RtpPacketView v;
    if (parseRtp(exact.data(), len, &v) == RtpParseError::Ok) {
      CHECK(v.headerLength + v.payloadLength + v.paddingLength == len);
    }
    RtcpCompound c;
    parseRtcpCompound(exact.data(), len, &c);
    TelephoneEvent ev;
    parseTelephoneEvent(exact.data(), len, &ev);
  }
  RtpHeader h;
  h.marker = true;
  h.payloadType = 0;
  h.sequence = 65535;
  h.timestamp = 123;
  h.ssrc = 0xabcdef01;
  h.csrcCount = 2;
  h.csrc[0] = 1;
  h.csrc[1] = 2;
  uint8_t pl[20] = {1, 2, 3};
  const size_t n = marshalRtp(h, pl, sizeof(pl), buf, sizeof(buf));
  CHECK(n == 12 + 8 + 20);
  CHECK(marshalRtp(h, pl, sizeof(pl), buf, n - 1) == 0);
  RtpPacketView v;
  CHECK(parseRtp(buf, n, &v) == RtpParseError::Ok && v.header.sequence == 65535 && v.header.csrc[1] == 2);
  RtcpReportBlock blocks[31];
  for (auto& b : blocks) b.cumulativeLost = -3;
  RtcpSenderInfo si;
  uint8_t rt[1500];
  size_t m = buildSenderReport(5, si, blocks, 31, rt, sizeof(rt));
  m += buildSdesCname(5, "x@y", rt + m, sizeof(rt) - m);
  RtcpCompound c;
  CHECK(parseRtcpCompound(rt, m, &c) == RtcpParseError::Ok && c.reportBlockCount == 31 && c.reportBlocks[30].cumulativeLost == -3);
  CHECK(buildSenderReport(5, si, blocks, 32, rt, sizeof(rt)) == 0);
  RtpReceiveStats st(8000);
  st.reset(1);
  for (uint32_t i = 0; i < 200000; i++) st.onPacket(static_cast<uint16_t>(i * 3 + (rng() % 5)), i * 160, i * 20000ull);
  RtcpReportBlock rb;
  st.makeReportBlock(1, &rb);
  CHECK(rttFromReportUs(0x10000, 0, 0) == -1);
}

static void testSrtp() {
  uint8_t key[46];
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  SrtpSuite suites[kSrtpSuiteCount];
  const size_t ns = supportedSrtpSuites(suites, kSrtpSuiteCount);
  CHECK(ns >= 2);
  for (size_t s = 0; s < ns; s++) {
    SrtpSession tx, rx;
    const size_t kl = srtpMasterKeyLength(suites[s]) + srtpMasterSaltLength(suites[s]);
    CHECK(tx.setOutbound(suites[s], key, kl) == SrtpStatus::Ok);
    CHECK(rx.setInbound(suites[s], key, kl) == SrtpStatus::Ok);
    CHECK(tx.setOutbound(suites[s], key, kl - 1) == SrtpStatus::BadParam);
    for (uint16_t seq = 0; seq < 500; seq++) {
      uint8_t pkt[400];
      RtpHeader h;
      h.sequence = seq;
      h.ssrc = 99;
      uint8_t pl[172] = {0};
      const size_t n = marshalRtp(h, pl, sizeof(pl), pkt, sizeof(pkt));
      size_t outLen = 0;
      // Alternate in-place (room for libsrtp's worst-case trailer) and scratch (exact capacity) paths.
      const size_t cap = (seq & 1) ? n + srtpRtpOverhead(suites[s]) : sizeof(pkt);
      CHECK(tx.protectRtp(pkt, n, cap, &outLen) == SrtpStatus::Ok);
      if (seq % 7 == 0) {
        // Tamper with a copy: on failure the buffer is unspecified (AEAD decrypts in place first).
        uint8_t bad[400];
        std::memcpy(bad, pkt, outLen);
        bad[outLen - 1] ^= 1;
        size_t l2;
        CHECK(rx.unprotectRtp(bad, outLen, &l2) == SrtpStatus::AuthFail);
      }
      size_t back = 0;
      CHECK(rx.unprotectRtp(pkt, outLen, &back) == SrtpStatus::Ok && back == n);
    }
    {  // MKI (RFC 3711 §3.1): round trip, and garbage against an MKI context
      SrtpSession mtx, mrx;
      const uint8_t mki[4] = {0, 0, 0, 1};
      CHECK(mtx.setOutbound(suites[s], key, kl, mki, 4) == SrtpStatus::Ok);
      CHECK(mrx.setInbound(suites[s], key, kl, 128, mki, 4) == SrtpStatus::Ok);
      CHECK(mtx.setOutbound(suites[s], key, kl, mki, 129) == SrtpStatus::BadParam);
      uint8_t pkt[300] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9};
      size_t outLen = 0, back = 0;
      CHECK(mtx.protectRtp(pkt, 100, sizeof(pkt), &outLen) == SrtpStatus::Ok && outLen == 100 + 4 + srtpRtpOverhead(suites[s]));
      CHECK(mrx.unprotectRtp(pkt, outLen, &back) == SrtpStatus::Ok && back == 100);
      for (int k = 0; k < 500; k++) {
        uint8_t junk[40];
        const size_t len = rng() % sizeof(junk);
        for (size_t i = 0; i < len; i++) junk[i] = static_cast<uint8_t>(rng());
        CHECK(mrx.unprotectRtp(junk, len, &back) != SrtpStatus::Ok);
        mrx.unprotectRtcp(junk, len, &back);
      }
    }
    for (int k = 0; k < 2000; k++) {  // garbage must come back as an error code, never a crash
      uint8_t junk[64];
      const size_t len = rng() % sizeof(junk);
      for (size_t i = 0; i < len; i++) junk[i] = static_cast<uint8_t>(rng());
      size_t l2;
      CHECK(rx.unprotectRtp(junk, len, &l2) != SrtpStatus::Ok);
      rx.unprotectRtcp(junk, len, &l2);
    }
  }
}

static void testJitterBuffer() {
  auto enc = makeEncoder(CodecId::PCMU);
  auto dec = makeDecoder(CodecId::PCMU);
  std::vector<int16_t> pcm(320);
  for (size_t i = 0; i < pcm.size(); i++) pcm[i] = static_cast<int16_t>(5000 * std::sin(i * 0.1));
  uint8_t payload[640];
  enc->encode(pcm.data(), 320, payload, 160);
  JitterBufferConfig cfg;
  JitterBuffer jb(cfg, dec.get());
  int16_t out[320];
  uint64_t now = 0;
  uint16_t seq = 0;
  uint32_t ts = 0, ssrc = 1;
  for (int k = 0; k < 20000; k++) {
    // Hostile mixture: jitter, loss, duplicates, reordering, jumps, SSRC changes, odd payload sizes.
    const int pushes = static_cast<int>(rng() % 3);
    for (int p = 0; p < pushes; p++) {
      const uint32_t r = rng() % 100;
      if (r < 2) ts += static_cast<uint32_t>(rng());
      if (r == 3) ssrc++;
      const uint16_t s = static_cast<uint16_t>(seq - (r < 10 ? rng() % 5 : 0));
      const size_t len = r < 5 ? rng() % 700 : 160;
      jb.push(s, ts + static_cast<uint32_t>((s - seq) * 160), ssrc, r < 4, now + rng() % 50000, payload, len);
      seq++;
      ts += 160;
    }
    const PopResult pr = jb.pop(now, out, 320);
    CHECK(pr.samples == 320);
    now += 20000;
  }
  CHECK(jb.pop(now, out, 10).samples == 0);
  CHECK(jb.stats().currentDelayMs <= cfg.maxDelayMs + 100);
}

static void testDtmf() {
  DtmfSenderConfig cfg;
  cfg.mode = DtmfMode::InBand;
  std::vector<int16_t> pcm(16000 * 6);
  int bad = 0;
  const long n = renderDtmfPcm("147*2580#369ABCDw", 17, cfg, pcm.data(), pcm.size(), &bad);
  CHECK(n > 0 && bad == -1);
  DtmfDetector det;
  det.process(pcm.data(), static_cast<size_t>(n));
  std::vector<int16_t> tail(3200, 0);
  det.process(tail.data(), tail.size());
  std::string got;
  DetectedDigit d;
  while (det.poll(&d)) got += d.digit;
  CHECK(got == "147*2580#369ABCD");
  CHECK(renderDtmfPcm("12x", 3, cfg, pcm.data(), pcm.size(), &bad) == -1 && bad == 2);
  DtmfSender s;  // RFC 4733 mode
  CHECK(s.start("123", 3) == -1);
  DtmfReceiver rx;
  uint16_t seq = 0;
  uint64_t t = 0;
  for (int k = 0; k < 200; k++) {
    const DtmfTick tk = s.tick(nullptr);
    if (tk.done) break;
    if (!tk.hasEvent) continue;
    uint8_t pl[4];
    buildTelephoneEvent(tk.event, pl, 4);
    rx.onPacket(seq++, 1000 + tk.eventTsOffset, tk.marker, pl, 4, t += 20000);
  }
  std::string rxd;
  DtmfDigitEvent e;
  while (rx.poll(&e)) rxd += e.digit;
  CHECK(rxd == "123");
  for (int k = 0; k < 100000; k++) {  // random event packets
    uint8_t pl[4];
    for (auto& b : pl) b = static_cast<uint8_t>(rng());
    rx.onPacket(static_cast<uint16_t>(rng()), rng() % 8, rng() & 1, pl, rng() % 5, t += 1000);
    rx.tick(t);
    rx.poll(&e);
  }
}

static void testMixer() {
  Mixer m(16);
  int ids[16];
  for (int i = 0; i < 16; i++) ids[i] = m.join();
  CHECK(m.join() == -1);
  std::vector<int16_t> f(320, 1000);
  for (int c = 0; c < 100; c++) {
    for (int i = 0; i < 16; i++) {
      if (rng() % 4) m.setInput(ids[i], f.data(), 320);
    }
    if (c % 10 == 0) m.setWhisper(ids[c % 16], ids[(c + 1) % 16]);
    if (c == 50) m.leave(ids[3]);
    if (c == 51) ids[3] = m.join();
    m.mix();
    for (int i = 0; i < 16; i++) CHECK(m.output(ids[i]) != nullptr);
  }
  CHECK(m.output(-1) == nullptr && m.output(16) == nullptr);
  CHECK(!m.setInput(0, f.data(), 319));
}

int main() {
  testG711AndCodecs();
  testResampler();
  testResamplerMatchesReference();
  testRtpRtcp();
  testSrtp();
  testJitterBuffer();
  testDtmf();
  testMixer();
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
