// The native side of an SDES key (RFC 4568 §6.1 after base64): the suite name as it arrives from SDP
// (any case, any bytes), key||salt of any length, an optional MKI of any length and a replay window.
// Either the session refuses with BadParam (never a crash, never a half-set context), or both
// directions accept and a packet protected with the key comes back unchanged.
#include <cstring>

#include "fuzz-input.h"
#include "srtp/srtp_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  char name[40];
  size_t nameLen = in.bytes(reinterpret_cast<uint8_t*>(name), in.u8() % sizeof(name));
  name[nameLen < sizeof(name) ? nameLen : sizeof(name) - 1] = '\0';
  uint8_t key[64], mki[160];
  const size_t keyLen = in.bytes(key, in.u8() % sizeof(key));
  const size_t mkiLen = in.bytes(mki, in.u8() % sizeof(mki));
  const unsigned window = in.u32() % 70000;
  tg::SrtpSuite suite;
  if (!tg::srtpSuiteFromName(name, &suite)) return 0;
  tg::SrtpSession tx, rx;
  const tg::SrtpStatus a = tx.setOutbound(suite, key, keyLen, mkiLen ? mki : nullptr, mkiLen);
  const tg::SrtpStatus b = rx.setInbound(suite, key, keyLen, window, mkiLen ? mki : nullptr, mkiLen);
  const bool valid = keyLen == tg::srtpMasterKeyLength(suite) + tg::srtpMasterSaltLength(suite) && mkiLen <= 128;
  FUZZ_ASSERT(a == (valid ? tg::SrtpStatus::Ok : tg::SrtpStatus::BadParam));
  FUZZ_ASSERT(b == (valid && window < 0x8000 ? tg::SrtpStatus::Ok : tg::SrtpStatus::BadParam));
  FUZZ_ASSERT(tx.hasOutbound() == (a == tg::SrtpStatus::Ok) && rx.hasInbound() == (b == tg::SrtpStatus::Ok));
  if (a != tg::SrtpStatus::Ok || b != tg::SrtpStatus::Ok) return 0;
  uint8_t pkt[400] = {0x80, 0, 0x12, 0x34, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe};
  for (size_t i = 12; i < 172; i++) pkt[i] = static_cast<uint8_t>(i);
  uint8_t copy[172];
  std::memcpy(copy, pkt, sizeof(copy));
  size_t outLen = 0, back = 0;
  FUZZ_ASSERT(tx.protectRtp(pkt, 172, sizeof(pkt), &outLen) == tg::SrtpStatus::Ok);
  FUZZ_ASSERT(rx.unprotectRtp(pkt, outLen, &back) == tg::SrtpStatus::Ok && back == 172);
  FUZZ_ASSERT(std::memcmp(pkt, copy, sizeof(copy)) == 0);
  return 0;
}
