// SRTP/SRTCP receive path (native/srtp): each input is a sequence of packets for one session (suite,
// MKI and replay window chosen by the first octets). A packet is either delivered raw (arbitrary bytes
// to unprotect) or first protected by the matching sender and then possibly altered at a fuzzer-chosen
// bit, so the fuzzer reaches past authentication into ROC estimation, the replay lists and the SRTCP
// index. Invariants: an unaltered packet the sender protected comes back byte for byte; an altered one
// never authenticates as different plaintext; lengths stay inside the buffer.
#include <cstring>

#include "fuzz-input.h"
#include "srtp/srtp_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const tg::SrtpSuite suite = static_cast<tg::SrtpSuite>(in.u8() % tg::kSrtpSuiteCount);
  const uint8_t mki[4] = {0, 0, 0, 7};
  const size_t mkiLen = in.u8() % 5;
  const unsigned window = 64 + in.u16() % 2000;
  uint8_t key[46];
  for (size_t i = 0; i < sizeof(key); i++) key[i] = static_cast<uint8_t>(i * 29 + 3);
  const size_t kl = tg::srtpMasterKeyLength(suite) + tg::srtpMasterSaltLength(suite);
  tg::SrtpSession tx, rx;
  FUZZ_ASSERT(tx.setOutbound(suite, key, kl, mkiLen ? mki : nullptr, mkiLen) == tg::SrtpStatus::Ok);
  FUZZ_ASSERT(rx.setInbound(suite, key, kl, window, mkiLen ? mki : nullptr, mkiLen) == tg::SrtpStatus::Ok);
  static uint8_t buf[2048], plain[2048];
  bool desync = false;  // after a rejected packet the receiver may legitimately lose ROC sync (RFC 3711 §3.3.1)
  while (!in.done()) {
    const uint8_t op = in.u8();
    const bool rtcp = (op & 1) != 0;
    const size_t len = in.bytes(buf, in.u16() % 1600);
    size_t outLen = 0;
    if ((op & 6) == 0) {  // raw bytes straight to the receiver
      const tg::SrtpStatus st = rtcp ? rx.unprotectRtcp(buf, len, &outLen) : rx.unprotectRtp(buf, len, &outLen);
      if (st == tg::SrtpStatus::Ok) FUZZ_ASSERT(outLen <= len);
      continue;
    }
    std::memcpy(plain, buf, len);
    const tg::SrtpStatus sent = rtcp ? tx.protectRtcp(buf, len, sizeof(buf), &outLen) : tx.protectRtp(buf, len, sizeof(buf), &outLen);
    if (sent != tg::SrtpStatus::Ok) continue;
    FUZZ_ASSERT(outLen == len + (rtcp ? tg::srtpRtcpOverhead(suite) : tg::srtpRtpOverhead(suite)) + mkiLen);
    const bool alter = (op & 6) == 6;
    if (alter) {
      const size_t bit = in.u16() % (outLen * 8);
      buf[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    size_t back = 0;
    const tg::SrtpStatus st = rtcp ? rx.unprotectRtcp(buf, outLen, &back) : rx.unprotectRtp(buf, outLen, &back);
    if (alter) {
      FUZZ_ASSERT(st != tg::SrtpStatus::Ok);  // every octet is authenticated or is the MKI, which must match
      desync = true;
    } else if (!desync) {
      FUZZ_ASSERT(st == tg::SrtpStatus::Ok);
    }
    if (!alter && st == tg::SrtpStatus::Ok) FUZZ_ASSERT(back == len && std::memcmp(buf, plain, len) == 0);
  }
  return 0;
}
