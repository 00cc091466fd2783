// Plain data shared between a leg, its worker and the N-API binding: settings that JS configures
// and the statistics snapshot JS reads. No behaviour here.
#pragma once
#include <cstdint>

#include "codec/audio_codec.h"
#include "codec/codec_registry.h"
#include "dsp/jitter_buffer.h"
#include "srtp/srtp_session.h"

namespace tg::io {

// RFC 3264 §5.1 / §8.4: the direction attribute; hold is sendonly or inactive.
enum class Direction : uint8_t { SendRecv = 0, SendOnly = 1, RecvOnly = 2, Inactive = 3 };
inline bool directionSends(Direction d) { return d == Direction::SendRecv || d == Direction::SendOnly; }
inline bool directionReceives(Direction d) { return d == Direction::SendRecv || d == Direction::RecvOnly; }

struct LegOptions {
  bool rtcpMux = false;            // RFC 5761: RTCP on the RTP port
  // false: accept RTP/RTCP only from the address and port in the SDP. true (NAT): latch to the first
  // source after setRemote that sends the negotiated payload type (and passes SRTP), never to another one
  // while it is alive (RTP-Bleed: an intruder must not steal or inject into the stream).
  bool symmetric = false;
  uint32_t timeoutBeforeMs = 30000;  // no RTP at all since setRemote
  uint32_t timeoutAfterMs = 15000;   // RTP stopped after it had flowed
  bool frames = true;              // deliver 20 ms frames to JS
  uint32_t frameQueueFrames = 50;  // bound of the JS frame queue (1 s)
  uint32_t playoutQueueMs = 16000; // capacity of the playout queue (rounded up to a power of two of samples)
  bool inbandDtmfDetect = false;
  bool sendSilence = true;         // keep sending (silence) when nothing is queued, else stop & mark talkspurts
  uint32_t jitterMinMs = 20;
  uint32_t jitterMaxMs = 200;
};

struct CodecSettings {
  CodecId codec = CodecId::PCMU;
  int payloadType = 0;          // negotiated PT (static or dynamic)
  int telephoneEventPt = -1;    // -1: RFC 4733 not negotiated (DTMF goes in-band)
  uint32_t ptimeMs = 20;        // outbound packetisation: one of the codec's registry ptimes
  EncoderParams encoder;        // what the peer's fmtp asks of our encoder (Opus FEC, bandwidth)
};

struct LegStats {
  uint64_t packetsReceived = 0, bytesReceived = 0;
  uint64_t packetsSent = 0, bytesSent = 0;
  int64_t packetsLost = 0;        // RFC 3550 A.3 cumulative
  double jitterMs = 0;            // RFC 3550 A.8 interarrival jitter
  double rttMs = -1;              // from RR LSR/DLSR (§6.4.1), -1 until known
  uint64_t srtpFailures = 0;      // unprotect failures (auth/replay): dropped, never decoded
  uint64_t unexpectedSource = 0;  // packets from someone other than the (latched) remote: dropped
  uint64_t rejectedSources = 0;   // distinct times another source tried to take over the stream
  uint64_t sendErrors = 0;        // sendto() failures (full socket buffer, unreachable, bad address)
  uint64_t malformed = 0;         // not parseable as RTP/RTCP
  uint64_t unknownPayloadType = 0;
  uint64_t rtcpSent = 0, rtcpReceived = 0;
  uint64_t dtmfReceived = 0;
  uint64_t framesToJs = 0, framesDropped = 0;  // JS queue full
  uint64_t timeouts = 0;
  uint32_t remoteSsrc = 0, localSsrc = 0;
  double remoteFractionLost = 0;  // from the peer's RR about our stream
  double remoteJitterMs = 0;
  int64_t remotePacketsLost = 0;
  bool latched = false;
  JitterStats jitter;
};

}  // namespace tg::io
