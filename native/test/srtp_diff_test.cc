// Differential test of the product SRTP transform (native/srtp over OpenSSL EVP) against libsrtp2 as the
// oracle: both protect the same random RTP/RTCP packets (random sizes, CSRCs, header extensions, sequence
// wrap, ROC changes by large jumps, several SSRCs, MKI of several sizes) and must produce identical bytes
// and verdicts; then both receive the same delivery sequence (reordering, replays, packets older than
// the window, tampered bits anywhere, truncations, garbage) and must give identical verdicts and output.
// It also counts OpenSSL allocations (CRYPTO_set_mem_functions) inside protect/unprotect: must be zero.
// Built by test/media/dsp/srtp-diff.sh with ASan/UBSan; prints "SRTP DIFF OK" on success.
#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "srtp/srtp_session.h"
#include "test/libsrtp_oracle.h"

using namespace tg;

namespace {

bool countingOpenssl = false;
long opensslAllocsInTransform = 0;
void* countedMalloc(size_t n, const char*, int) {
  if (countingOpenssl) opensslAllocsInTransform++;
  return std::malloc(n);
}
void* countedRealloc(void* p, size_t n, const char*, int) {
  if (countingOpenssl) opensslAllocsInTransform++;
  return std::realloc(p, n);
}
void countedFree(void* p, const char*, int) { std::free(p); }

std::mt19937 rng(20261206);
long cases = 0, mismatches = 0;
uint32_t rnd(uint32_t n) { return n == 0 ? 0 : rng() % n; }
bool chance(unsigned percent) { return rnd(100) < percent; }

void mismatch(const char* what, const char* suite, size_t step, SrtpStatus ours, SrtpStatus lib) {
  if (++mismatches <= 25) {
    std::printf("MISMATCH %s suite=%s step=%zu ours=%s libsrtp=%s\n", what, suite, step, srtpStatusName(ours),
                srtpStatusName(lib));
  }
}

using Bytes = std::vector<uint8_t>;
constexpr size_t kRoom = 400;  // libsrtp may write SRTP_MAX_TRAILER_LEN (+4 for SRTCP) past the packet

Bytes rtpPacket(uint16_t seq, uint32_t ssrc) {
  const size_t cc = chance(20) ? rnd(4) : 0;
  const bool ext = chance(25);
  const size_t extWords = rnd(4);
  size_t payload = chance(5) ? rnd(1300) : chance(10) ? rnd(4) : 20 + rnd(300);
  Bytes p(12 + 4 * cc + (ext ? 4 + 4 * extWords : 0) + payload);
  for (auto& b : p) b = static_cast<uint8_t>(rng());
  p[0] = static_cast<uint8_t>(0x80 | (chance(5) ? 0x20 : 0) | (ext ? 0x10 : 0) | cc);
  p[1] = static_cast<uint8_t>(rng() & 0xff);
  p[2] = static_cast<uint8_t>(seq >> 8), p[3] = static_cast<uint8_t>(seq);
  for (int i = 0; i < 4; i++) p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  if (ext) {
    const size_t at = 12 + 4 * cc;
    p[at + 2] = 0, p[at + 3] = static_cast<uint8_t>(extWords);
  }
  return p;
}

Bytes rtcpPacket(uint32_t ssrc) {
  const size_t words = 1 + rnd(60);
  Bytes p(4 + 4 * words);
  for (auto& b : p) b = static_cast<uint8_t>(rng());
  p[0] = static_cast<uint8_t>(0x80 | rnd(32));
  p[1] = static_cast<uint8_t>(200 + rnd(5));
  p[2] = static_cast<uint8_t>((words - 1) >> 8), p[3] = static_cast<uint8_t>(words - 1);
  for (int i = 0; i < 4; i++) p[4 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  return p;
}

// Reordering, replays (recent and far), tampering, truncation and garbage around the genuine stream.
std::vector<Bytes> deliveries(const std::vector<Bytes>& wire) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < wire.size(); i++) {
    if (chance(5) && i + 1 < wire.size()) out.push_back(wire[i + 1]);  // arrives early; again below = replay
    if (chance(4) && i > 0) out.push_back(wire[i - 1 - rnd(static_cast<uint32_t>(std::min<size_t>(i, 400)))]);
    if (chance(6)) {
      Bytes t = wire[i];
      const size_t bit = rnd(static_cast<uint32_t>(t.size() * 8));
      t[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      out.push_back(t);
    }
    if (chance(2)) out.push_back(Bytes(wire[i].begin(), wire[i].begin() + rnd(static_cast<uint32_t>(wire[i].size()))));
    if (chance(1)) {
      Bytes g(rnd(80));
      for (auto& b : g) b = static_cast<uint8_t>(rng());
      out.push_back(g);
    }
    if (!chance(3)) out.push_back(wire[i]);  // 3% lost
  }
  return out;
}

struct Pair {
  SrtpSession ours;
  LibsrtpSession lib;
};

// oracleBroken: libsrtp 2.5 looks for an SRTCP MKI before a 4-octet tag with the _32 suites (SRTCP keeps
// the 80-bit tag), so it rejects every such packet; there only our verdicts are counted.
size_t compareReceive(const char* what, const char* name, Pair& rx, const std::vector<Bytes>& in, bool rtcp,
                      bool oracleBroken = false) {
  size_t accepted = 0;
  for (size_t k = 0; k < in.size(); k++) {
    Bytes a(in[k]), b(in[k]);  // (an empty garbage packet has no data pointer to memcpy from)
    a.resize(in[k].size() + kRoom), b.resize(in[k].size() + kRoom);
    size_t la = 0, lb = 0;
    countingOpenssl = true;
    const SrtpStatus sa = rtcp ? rx.ours.unprotectRtcp(a.data(), in[k].size(), &la) : rx.ours.unprotectRtp(a.data(), in[k].size(), &la);
    countingOpenssl = false;
    // libsrtp reads the RTCP header before checking the length; give it no packet shorter than 8.
    const SrtpStatus sb = in[k].size() < (rtcp ? 8u : 12u) ? SrtpStatus::BadParam
                          : rtcp ? rx.lib.unprotectRtcp(b.data(), in[k].size(), &lb)
                                 : rx.lib.unprotectRtp(b.data(), in[k].size(), &lb);
    cases++;
    if (sa == SrtpStatus::Ok) accepted++;
    if (oracleBroken) continue;
    if (sa != sb) {
      mismatch(what, name, k, sa, sb);
    } else if (sa == SrtpStatus::Ok && (la != lb || std::memcmp(a.data(), b.data(), la) != 0)) {
      mismatch(what, name, k, sa, sb);
    }
  }
  return accepted;
}

void expectAccepted(const char* what, const char* name, size_t accepted, size_t genuine) {
  // Deliveries lose 3% and reorder/replay a few: most genuine packets must authenticate.
  if (accepted * 10 < genuine * 8) {
    std::printf("MISMATCH %s suite=%s accepted only %zu of %zu genuine packets\n", what, name, accepted, genuine);
    mismatches++;
  }
}

void runSuite(SrtpSuite suite, size_t mkiLen, unsigned window) {
  const char* name = srtpSuiteName(suite);
  uint8_t key[46], mki[16];
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  for (auto& b : mki) b = static_cast<uint8_t>(rng());
  const size_t kl = srtpMasterKeyLength(suite) + srtpMasterSaltLength(suite);
  Pair tx, rx;
  if (tx.ours.setOutbound(suite, key, kl, mki, mkiLen) != SrtpStatus::Ok ||
      tx.lib.setOutbound(suite, key, kl, mki, mkiLen) != SrtpStatus::Ok ||
      rx.ours.setInbound(suite, key, kl, window, mki, mkiLen) != SrtpStatus::Ok ||
      rx.lib.setInbound(suite, key, kl, window, mki, mkiLen) != SrtpStatus::Ok) {
    std::printf("MISMATCH setup suite=%s\n", name);
    mismatches++;
    return;
  }
  const size_t nSsrc = 1 + rnd(3);
  uint32_t ssrc[3];
  uint16_t seq[3];
  for (size_t i = 0; i < 3; i++) ssrc[i] = rng(), seq[i] = static_cast<uint16_t>(chance(50) ? 65535 - rnd(300) : rng());
  std::vector<Bytes> wire, wireRtcp;
  for (size_t step = 0; step < 2500; step++) {
    const size_t s = rnd(static_cast<uint32_t>(nSsrc));
    uint16_t q = seq[s];
    if (chance(2)) {
      q = static_cast<uint16_t>(q + 20000 + rnd(12000));  // far ahead: the receiver must guess ROC + 1
    } else if (chance(3)) {
      q = static_cast<uint16_t>(q - rnd(300));  // an index already used, or older than the window
    } else {
      q = static_cast<uint16_t>(q + 1 + (chance(10) ? rnd(40) : 0));
    }
    if (static_cast<int16_t>(q - seq[s]) > 0 || chance(0)) seq[s] = q;
    const Bytes p = rtpPacket(q, ssrc[s]);
    Bytes a(p.size() + kRoom), b(p.size() + kRoom);
    std::memcpy(a.data(), p.data(), p.size());
    std::memcpy(b.data(), p.data(), p.size());
    size_t la = 0, lb = 0;
    countingOpenssl = true;
    const SrtpStatus sa = tx.ours.protectRtp(a.data(), p.size(), a.size(), &la);
    countingOpenssl = false;
    const SrtpStatus sb = tx.lib.protectRtp(b.data(), p.size(), &lb);
    cases++;
    if (sa != sb || (sa == SrtpStatus::Ok && (la != lb || std::memcmp(a.data(), b.data(), la) != 0))) {
      mismatch("protectRtp", name, step, sa, sb);
    } else if (sa == SrtpStatus::Ok) {
      wire.emplace_back(a.begin(), a.begin() + static_cast<long>(la));
    }
    if (chance(8)) {
      const Bytes c = rtcpPacket(ssrc[s]);
      Bytes ca(c.size() + kRoom), cb(c.size() + kRoom);
      std::memcpy(ca.data(), c.data(), c.size());
      std::memcpy(cb.data(), c.data(), c.size());
      countingOpenssl = true;
      const SrtpStatus ta = tx.ours.protectRtcp(ca.data(), c.size(), ca.size(), &la);
      countingOpenssl = false;
      const SrtpStatus tb = tx.lib.protectRtcp(cb.data(), c.size(), &lb);
      cases++;
      if (ta != tb || (ta == SrtpStatus::Ok && (la != lb || std::memcmp(ca.data(), cb.data(), la) != 0))) {
        mismatch("protectRtcp", name, step, ta, tb);
      } else if (ta == SrtpStatus::Ok) {
        wireRtcp.emplace_back(ca.begin(), ca.begin() + static_cast<long>(la));
      }
    }
  }
  expectAccepted("unprotectRtp", name, compareReceive("unprotectRtp", name, rx, deliveries(wire), false), wire.size());
  // SRTCP: also far replays beyond the fixed 128-report window.
  std::vector<Bytes> rtcpIn = deliveries(wireRtcp);
  for (size_t i = 0; i < wireRtcp.size(); i += 50) rtcpIn.push_back(wireRtcp[i]);
  const bool oracleBroken = mkiLen > 0 && !srtpSuiteIsAead(suite) && srtpRtpOverhead(suite) == 4;
  expectAccepted("unprotectRtcp", name, compareReceive("unprotectRtcp", name, rx, rtcpIn, true, oracleBroken),
                 wireRtcp.size());
}

// Our table keeps kMaxStreams SSRCs per direction and evicts the least recently *authenticated* one:
// packets with a forged tag must not refresh a stream (else a forger chooses which stream is evicted
// and so which stream's replay list is forgotten).
void evictionIgnoresForgeries() {
  uint8_t key[30];
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  SrtpSession tx, rx;
  tx.setOutbound(SrtpSuite::AES_CM_128_HMAC_SHA1_80, key, 30);
  rx.setInbound(SrtpSuite::AES_CM_128_HMAC_SHA1_80, key, 30);
  auto send = [&](uint32_t ssrc, uint16_t seq, Bytes* keepCopy) {
    Bytes p = rtpPacket(seq, ssrc);
    p.resize(p.size() + kRoom);
    size_t n = 0, back = 0;
    tx.protectRtp(p.data(), p.size() - kRoom, p.size(), &n);
    if (keepCopy != nullptr) *keepCopy = Bytes(p.begin(), p.begin() + static_cast<long>(n));
    return rx.unprotectRtp(p.data(), n, &back);
  };
  Bytes fromSsrc2;
  for (uint32_t ssrc = 1; ssrc <= 8; ssrc++) send(ssrc, 100, ssrc == 2 ? &fromSsrc2 : nullptr);  // SSRC 1 is LRU
  for (int k = 0; k < 5; k++) {  // forged packets claiming SSRC 1
    Bytes forged = rtpPacket(static_cast<uint16_t>(200 + k), 1);
    forged.resize(forged.size() + 10 + kRoom);
    size_t back = 0;
    cases++;
    if (rx.unprotectRtp(forged.data(), forged.size() - kRoom, &back) != SrtpStatus::AuthFail) mismatches++;
  }
  send(9, 100, nullptr);  // a new authenticated SSRC: evicts the least recently authenticated (SSRC 1)
  Bytes replay = fromSsrc2;
  replay.resize(replay.size() + kRoom);
  size_t back = 0;
  cases++;
  const SrtpStatus st = rx.unprotectRtp(replay.data(), fromSsrc2.size(), &back);
  if (st != SrtpStatus::ReplayFail) {
    std::printf("MISMATCH eviction: SSRC 2's replay gave %s (forged packets chose the evicted stream)\n", srtpStatusName(st));
    mismatches++;
  }
}

}  // namespace

int main() {
  CRYPTO_set_mem_functions(countedMalloc, countedRealloc, countedFree);
  const unsigned windows[] = {64, 100, 128, 1000};
  const size_t mkis[] = {0, 1, 4, 16};
  for (size_t s = 0; s < kSrtpSuiteCount; s++) {
    const SrtpSuite suite = static_cast<SrtpSuite>(s);
    for (size_t m = 0; m < 4; m++) runSuite(suite, mkis[m], windows[(s + m) % 4]);
  }
  evictionIgnoresForgeries();
  std::printf("cases=%ld mismatches=%ld opensslAllocsInTransform=%ld\n", cases, mismatches, opensslAllocsInTransform);
  if (mismatches == 0 && opensslAllocsInTransform == 0) std::printf("SRTP DIFF OK\n");
  return mismatches == 0 && opensslAllocsInTransform == 0 ? 0 : 1;
}
