// One direction of an SRTP session (RFC 3711): the session keys derived once from the master key (§4.3),
// the keyed cipher/MAC contexts, the optional MKI, and per-SSRC state (ROC/index and replay lists) for up
// to kMaxStreams SSRCs (a new SSRC takes a free slot or the least recently used one). All storage is
// made in init(); protect/unprotect work in place in the caller's buffer and never allocate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "srtp/srtp_crypto.h"
#include "srtp/srtp_replay.h"
#include "srtp/srtp_session.h"

namespace tg {

class SrtpContext {
 public:
  static constexpr size_t kMaxStreams = 8;
  static constexpr size_t kMaxMki = 128;

  SrtpContext() = default;
  SrtpContext(const SrtpContext&) = delete;
  SrtpContext& operator=(const SrtpContext&) = delete;

  // keySalt = master key || master salt; window = replay window (64..32767, rounded up to 32).
  // inbound: a receiving context (unprotect only), else a sending one (protect only).
  SrtpStatus init(SrtpSuite suite, const uint8_t* keySalt, bool inbound, unsigned window, const uint8_t* mki,
                  size_t mkiLen);

  // Sender side: buf has room for cap octets (checked by the caller).
  SrtpStatus protectRtp(uint8_t* buf, size_t len, size_t* outLen);
  SrtpStatus protectRtcp(uint8_t* buf, size_t len, size_t* outLen);
  // Receiver side: verdicts in libsrtp's order (header, replay, MKI, length, tag).
  SrtpStatus unprotectRtp(uint8_t* buf, size_t len, size_t* outLen);
  SrtpStatus unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen);

  size_t mkiLength() const { return mkiLen_; }

 private:
  struct Stream {
    uint32_t ssrc = 0;
    bool used = false;
    uint64_t lastUse = 0;
    SrtpReplayWindow rtp;
    SrtcpReplayWindow rtcp;
  };
  struct Keys {  // one of SRTP or SRTCP (RFC 3711 §4.3.2 labels 0-2 and 3-5)
    srtpcrypto::AesCtr ctr;
    srtpcrypto::AesGcm gcm;
    srtpcrypto::HmacSha1 auth;
    uint8_t salt[14] = {0};
  };

  bool deriveKeys(const uint8_t* masterKey, const uint8_t salt14[14], uint8_t firstLabel, bool inbound, Keys* k);
  Stream* find(uint32_t ssrc);
  Stream* claim(uint32_t ssrc);           // existing, else a free or least recently used slot (reset)
  Stream* probe(uint32_t ssrc);           // existing (not marked used), else the fresh scratch stream
  Stream* keep(Stream* s, uint32_t ssrc); // after authentication: move a scratch stream into a slot
  bool mkiMatches(const uint8_t* buf, size_t len, size_t tagLen) const;

  bool gcm_ = false;
  size_t masterKeyLen_ = 16;
  size_t rtpTag_ = 10, rtcpTag_ = 10;
  Keys rtp_, rtcp_;
  uint8_t mki_[kMaxMki] = {0};
  size_t mkiLen_ = 0;
  Stream streams_[kMaxStreams + 1];  // the last one is the scratch stream for unauthenticated SSRCs
  std::unique_ptr<uint64_t[]> masks_;
  uint64_t useClock_ = 0;
};

}  // namespace tg
