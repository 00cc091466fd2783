#include "srtp/srtp_context.h"

#include <openssl/crypto.h>

#include <cstring>

namespace tg {

namespace {

constexpr size_t kRtcpHeader = 8;
constexpr size_t kTrailer = 4;  // SRTCP E flag + 31-bit index (RFC 3711 §3.4)
constexpr uint32_t kEBit = 0x80000000u;
constexpr uint8_t kLabelRtpCipher = 0, kLabelRtcpCipher = 3;  // + 1 auth key, + 2 salt (§4.3.2)

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24), p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8), p[3] = static_cast<uint8_t>(v);
}

// RFC 3550 §5.1/§5.3.1: fixed header + CSRCs + extension, or 0 when it does not fit in len.
size_t rtpHeaderLength(const uint8_t* b, size_t len) {
  if (len < 12) return 0;
  size_t hl = 12 + 4 * size_t{b[0] & 0x0fu};
  if (b[0] & 0x10) {
    if (len < hl + 4) return 0;
    hl += 4 + 4 * ((size_t{b[hl + 2]} << 8) | b[hl + 3]);
  }
  return hl <= len ? hl : 0;
}

SrtpStatus fromVerdict(ReplayVerdict v) {
  return v == ReplayVerdict::Replay ? SrtpStatus::ReplayFail : SrtpStatus::ReplayOld;
}

// AES-CM IV (RFC 3711 §4.1.1): (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = 48-bit index.
void cmIv(const uint8_t salt[14], uint32_t ssrc, uint64_t index, uint8_t iv[16]) {
  std::memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  for (int i = 0; i < 4; i++) iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; i++) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
}

// AEAD IV (RFC 7714 §8.1 SRTP, §9.1 SRTCP): 12-octet session salt XOR (00 00 || SSRC || ROC || SEQ)
// or (00 00 || SSRC || 00 00 || 0 || SRTCP index).
void gcmIv(const uint8_t salt[12], uint32_t ssrc, uint32_t hi, uint32_t lo32or16, bool rtcp, uint8_t iv[12]) {
  uint8_t in[12] = {0};
  put32(in + 2, ssrc);
  if (rtcp) {
    put32(in + 8, lo32or16);
  } else {
    put32(in + 6, hi);
    in[10] = static_cast<uint8_t>(lo32or16 >> 8), in[11] = static_cast<uint8_t>(lo32or16);
  }
  for (int i = 0; i < 12; i++) iv[i] = salt[i] ^ in[i];
}

}  // namespace

bool SrtpContext::deriveKeys(const uint8_t* masterKey, const uint8_t salt14[14], uint8_t firstLabel, bool inbound,
                             Keys* k) {
  const size_t keyLen = masterKeyLen_;  // session key length = master key length (RFC 3711 §8.2, RFC 6188)
  uint8_t sessionKey[32], authKey[20];
  bool ok = srtpcrypto::deriveSessionKey(masterKey, masterKeyLen_, salt14, firstLabel, sessionKey, keyLen) &&
            srtpcrypto::deriveSessionKey(masterKey, masterKeyLen_, salt14, static_cast<uint8_t>(firstLabel + 2),
                                         k->salt, gcm_ ? 12 : 14);
  if (ok) ok = gcm_ ? k->gcm.init(sessionKey, keyLen, !inbound) : k->ctr.init(sessionKey, keyLen);
  if (ok && !gcm_) {
    // n_a = 160 bits for HMAC-SHA1 (RFC 3711 §4.2.1), label 1 (SRTP) or 4 (SRTCP).
    ok = srtpcrypto::deriveSessionKey(masterKey, masterKeyLen_, salt14, static_cast<uint8_t>(firstLabel + 1),
                                      authKey, sizeof(authKey));
    if (ok) k->auth.init(authKey, sizeof(authKey));
  }
  OPENSSL_cleanse(sessionKey, sizeof(sessionKey));
  OPENSSL_cleanse(authKey, sizeof(authKey));
  return ok;
}

SrtpStatus SrtpContext::init(SrtpSuite suite, const uint8_t* keySalt, bool inbound, unsigned window,
                             const uint8_t* mki, size_t mkiLen) {
  gcm_ = srtpSuiteIsAead(suite);
  masterKeyLen_ = srtpMasterKeyLength(suite);
  rtpTag_ = srtpRtpOverhead(suite);
  rtcpTag_ = srtpRtcpOverhead(suite) - kTrailer;
  // RFC 7714 §11: the GCM suites keep the AES-CM KDF with their 96-bit salt padded to the KDF's 112 bits.
  uint8_t salt14[14] = {0};
  std::memcpy(salt14, keySalt + masterKeyLen_, srtpMasterSaltLength(suite));
  if (!deriveKeys(keySalt, salt14, kLabelRtpCipher, inbound, &rtp_) ||
      !deriveKeys(keySalt, salt14, kLabelRtcpCipher, inbound, &rtcp_)) {
    return SrtpStatus::Error;
  }
  if (mkiLen > 0) std::memcpy(mki_, mki, mkiLen);
  mkiLen_ = mkiLen;
  const size_t bits = (size_t{window} + 31) / 32 * 32;  // libsrtp rounds its window to 32-bit words
  const size_t words = (bits + 63) / 64;
  masks_.reset(new uint64_t[words * (kMaxStreams + 1)]);
  for (size_t i = 0; i <= kMaxStreams; i++) {
    streams_[i] = Stream();
    streams_[i].rtp.mask = masks_.get() + i * words;
    streams_[i].rtp.words = words;
    streams_[i].rtp.bits = bits;
    streams_[i].rtp.reset();
  }
  return SrtpStatus::Ok;
}

SrtpContext::Stream* SrtpContext::find(uint32_t ssrc) {
  for (size_t i = 0; i < kMaxStreams; i++) {
    if (streams_[i].used && streams_[i].ssrc == ssrc) return &streams_[i];
  }
  return nullptr;
}

SrtpContext::Stream* SrtpContext::claim(uint32_t ssrc) {
  if (Stream* s = find(ssrc)) {
    s->lastUse = ++useClock_;
    return s;
  }
  Stream* victim = &streams_[0];
  for (size_t i = 0; i < kMaxStreams; i++) {
    if (!streams_[i].used) {
      victim = &streams_[i];
      break;
    }
    if (streams_[i].lastUse < victim->lastUse) victim = &streams_[i];
  }
  victim->used = true;
  victim->ssrc = ssrc;
  victim->lastUse = ++useClock_;
  victim->rtp.reset();
  victim->rtcp.reset();
  return victim;
}

SrtpContext::Stream* SrtpContext::probe(uint32_t ssrc) {
  if (Stream* s = find(ssrc)) return s;
  Stream* scratch = &streams_[kMaxStreams];
  scratch->rtp.reset();
  scratch->rtcp.reset();
  return scratch;
}

SrtpContext::Stream* SrtpContext::keep(Stream* s, uint32_t ssrc) {
  if (s != &streams_[kMaxStreams]) {
    s->lastUse = ++useClock_;  // only authenticated packets count as use (a forger cannot evict a stream)
    return s;
  }
  Stream* slot = claim(ssrc);
  slot->rtp.index = s->rtp.index;
  std::memcpy(slot->rtp.mask, s->rtp.mask, s->rtp.words * sizeof(uint64_t));
  slot->rtcp = s->rtcp;
  return slot;
}

bool SrtpContext::mkiMatches(const uint8_t* buf, size_t len, size_t tagLen) const {
  // The MKI precedes the tag (AES-CM) or ends the packet (GCM: tagLen 0).
  if (tagLen > len) return false;
  const size_t base = len - tagLen;
  return mkiLen_ <= base && std::memcmp(buf + base - mkiLen_, mki_, mkiLen_) == 0;
}

SrtpStatus SrtpContext::protectRtp(uint8_t* buf, size_t len, size_t* outLen) {
  const size_t hl = rtpHeaderLength(buf, len);
  if (hl == 0) return SrtpStatus::BadParam;
  const uint32_t ssrc = be32(buf + 8);
  Stream* s = claim(ssrc);
  uint64_t index = 0;
  const int32_t delta = s->rtp.estimate(static_cast<uint16_t>((buf[2] << 8) | buf[3]), &index);
  const ReplayVerdict v = s->rtp.check(delta);
  if (v != ReplayVerdict::Ok) return fromVerdict(v);  // RFC 3711 §3.3.2: never reuse an index (keystream)
  s->rtp.add(delta);
  const uint32_t roc = static_cast<uint32_t>(index >> 16);
  if (gcm_) {
    uint8_t iv[12];
    gcmIv(rtp_.salt, ssrc, roc, static_cast<uint16_t>(index), false, iv);
    if (!rtp_.gcm.seal(iv, buf, hl, nullptr, 0, buf + hl, len - hl, buf + len)) return SrtpStatus::Error;
    std::memcpy(buf + len + 16, mki_, mkiLen_);  // RFC 7714: the MKI follows the tag
    *outLen = len + 16 + mkiLen_;
    return SrtpStatus::Ok;
  }
  uint8_t iv[16];
  cmIv(rtp_.salt, ssrc, index, iv);
  if (!rtp_.ctr.apply(iv, buf + hl, len - hl)) return SrtpStatus::Error;
  std::memcpy(buf + len, mki_, mkiLen_);  // RFC 3711 §3.1: MKI, then the tag
  uint8_t rocBe[4], tag[20];
  put32(rocBe, roc);
  rtp_.auth.compute(buf, len, rocBe, 4, tag);  // authenticated portion || ROC (§4.2)
  std::memcpy(buf + len + mkiLen_, tag, rtpTag_);
  *outLen = len + mkiLen_ + rtpTag_;
  return SrtpStatus::Ok;
}

SrtpStatus SrtpContext::unprotectRtp(uint8_t* buf, size_t len, size_t* outLen) {
  const size_t hl = rtpHeaderLength(buf, len);
  if (hl == 0) return SrtpStatus::BadParam;
  const uint32_t ssrc = be32(buf + 8);
  Stream* s = probe(ssrc);
  uint64_t index = 0;
  const int32_t delta = s->rtp.estimate(static_cast<uint16_t>((buf[2] << 8) | buf[3]), &index);
  const ReplayVerdict v = s->rtp.check(delta);  // before the tag, like libsrtp: a replay costs no MAC
  if (v != ReplayVerdict::Ok) return fromVerdict(v);
  if (mkiLen_ > 0 && !mkiMatches(buf, len, gcm_ ? 0 : rtpTag_)) return SrtpStatus::AuthFail;
  // The header must not run into the trailer. (libsrtp 2.5 calls a GCM packet shorter than tag + MKI a
  // cipher failure, not a parse error: same verdict here.)
  if (gcm_ && len < rtpTag_ + mkiLen_) return SrtpStatus::Error;
  if (len < hl + rtpTag_ + mkiLen_) return SrtpStatus::BadParam;
  const size_t body = len - hl - rtpTag_ - mkiLen_;
  const uint32_t roc = static_cast<uint32_t>(index >> 16);
  if (gcm_) {
    uint8_t iv[12];
    gcmIv(rtp_.salt, ssrc, roc, static_cast<uint16_t>(index), false, iv);
    if (!rtp_.gcm.open(iv, buf, hl, nullptr, 0, buf + hl, body, buf + hl + body)) return SrtpStatus::AuthFail;
  } else {
    uint8_t rocBe[4], tag[20];
    put32(rocBe, roc);
    rtp_.auth.compute(buf, hl + body, rocBe, 4, tag);
    if (!srtpcrypto::tagsEqual(tag, buf + len - rtpTag_, rtpTag_)) return SrtpStatus::AuthFail;
    uint8_t iv[16];
    cmIv(rtp_.salt, ssrc, index, iv);
    if (!rtp_.ctr.apply(iv, buf + hl, body)) return SrtpStatus::Error;
  }
  keep(s, ssrc)->rtp.add(delta);
  *outLen = hl + body;
  return SrtpStatus::Ok;
}

SrtpStatus SrtpContext::protectRtcp(uint8_t* buf, size_t len, size_t* outLen) {
  if (len < kRtcpHeader) return SrtpStatus::BadParam;
  const uint32_t ssrc = be32(buf + 4);
  Stream* s = claim(ssrc);
  uint32_t index = 0;
  if (!s->rtcp.next(&index)) return SrtpStatus::Error;  // 2^31 reports: the key is exhausted
  const uint32_t trailer = kEBit | index;
  if (gcm_) {
    uint8_t iv[12], trailerBe[4];
    put32(trailerBe, trailer);
    gcmIv(rtcp_.salt, ssrc, 0, index, true, iv);
    // RFC 7714 §9.2: AAD = the first 8 octets || E + SRTCP index; the tag precedes the trailer.
    if (!rtcp_.gcm.seal(iv, buf, kRtcpHeader, trailerBe, 4, buf + kRtcpHeader, len - kRtcpHeader, buf + len)) {
      return SrtpStatus::Error;
    }
    std::memcpy(buf + len + 16, trailerBe, 4);
    std::memcpy(buf + len + 16 + 4, mki_, mkiLen_);
    *outLen = len + 16 + 4 + mkiLen_;
    return SrtpStatus::Ok;
  }
  uint8_t iv[16];
  cmIv(rtcp_.salt, ssrc, index, iv);
  if (!rtcp_.ctr.apply(iv, buf + kRtcpHeader, len - kRtcpHeader)) return SrtpStatus::Error;
  put32(buf + len, trailer);
  std::memcpy(buf + len + 4, mki_, mkiLen_);
  uint8_t tag[20];
  rtcp_.auth.compute(buf, len + 4, nullptr, 0, tag);  // §3.4: header, encrypted part and E || index
  std::memcpy(buf + len + 4 + mkiLen_, tag, rtcpTag_);
  *outLen = len + 4 + mkiLen_ + rtcpTag_;
  return SrtpStatus::Ok;
}

SrtpStatus SrtpContext::unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen) {
  if (len < kRtcpHeader + kTrailer) return SrtpStatus::BadParam;
  const uint32_t ssrc = be32(buf + 4);
  Stream* s = probe(ssrc);
  // The MKI sits before the SRTCP tag (after it for GCM). libsrtp 2.5 looks before the SRTP tag instead,
  // which differs for the _32 suites (SRTCP keeps the 80-bit tag): there we follow RFC 3711 §3.4.
  if (mkiLen_ > 0 && !mkiMatches(buf, len, gcm_ ? 0 : rtcpTag_)) return SrtpStatus::AuthFail;
  if (len < kRtcpHeader + rtcpTag_ + mkiLen_ + kTrailer) return SrtpStatus::BadParam;
  const size_t end = len - mkiLen_;  // trailer (and for AES-CM the MKI) sit before the tag, see protect
  uint8_t* trailerAt = gcm_ ? buf + end - kTrailer : buf + len - rtcpTag_ - mkiLen_ - kTrailer;
  const uint32_t trailer = be32(trailerAt);
  const bool encrypted = (trailer & kEBit) != 0;
  if (!gcm_ && !encrypted) return SrtpStatus::Error;  // we always encrypt; libsrtp: "cannot check"
  const uint32_t index = trailer & ~kEBit;
  const ReplayVerdict v = s->rtcp.check(index);
  if (v != ReplayVerdict::Ok) return fromVerdict(v);
  const size_t body = len - kRtcpHeader - rtcpTag_ - mkiLen_ - kTrailer;
  if (gcm_) {
    uint8_t iv[12];
    gcmIv(rtcp_.salt, ssrc, 0, index, true, iv);
    uint8_t* tag = buf + kRtcpHeader + body;
    // E = 0 (RFC 7714 §9.3): the whole compound packet is AAD and nothing is decrypted.
    const bool ok = encrypted ? rtcp_.gcm.open(iv, buf, kRtcpHeader, trailerAt, 4, buf + kRtcpHeader, body, tag)
                              : rtcp_.gcm.open(iv, buf, kRtcpHeader + body, trailerAt, 4, nullptr, 0, tag);
    if (!ok) return SrtpStatus::AuthFail;
  } else {
    uint8_t tag[20];
    rtcp_.auth.compute(buf, kRtcpHeader + body + kTrailer, nullptr, 0, tag);
    if (!srtpcrypto::tagsEqual(tag, buf + len - rtcpTag_, rtcpTag_)) return SrtpStatus::AuthFail;
    uint8_t iv[16];
    cmIv(rtcp_.salt, ssrc, index, iv);
    if (!rtcp_.ctr.apply(iv, buf + kRtcpHeader, body)) return SrtpStatus::Error;
  }
  keep(s, ssrc)->rtcp.add(index);
  *outLen = kRtcpHeader + body;
  return SrtpStatus::Ok;
}

}  // namespace tg
