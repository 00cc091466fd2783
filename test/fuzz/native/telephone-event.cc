// RFC 4733 telephone-event payloads and the DTMF receiver fed an arbitrary packet sequence
// (seq, timestamp, marker, payload, arrival steps, timeouts): digits come out at most once per event
// timestamp, the queue stays bounded, and every reported digit matches its event code.
#include "dsp/dtmf_receiver.h"
#include "fuzz-input.h"
#include "rtp/telephone_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  tg::DtmfReceiver rx(in.u8() & 1 ? 16000 : 8000, 200 + in.u8() * 4);
  uint64_t now = 1000000;
  while (!in.done()) {
    const uint8_t op = in.u8();
    if (op < 200) {
      const uint16_t seq = in.u16();
      const uint32_t ts = in.u32();
      uint8_t payload[12];
      const size_t len = in.bytes(payload, op % 13);
      tg::TelephoneEvent ev;
      if (tg::parseTelephoneEvent(payload, len, &ev)) {
        FUZZ_ASSERT(len >= 4 && ev.volume <= 63);
        uint8_t back[4];
        if (tg::buildTelephoneEvent(ev, back, sizeof(back)) == 4) {
          FUZZ_ASSERT(back[0] == payload[0] && back[2] == payload[2] && back[3] == payload[3]);
          FUZZ_ASSERT((back[1] & 0xbf) == (payload[1] & 0xbf));  // the R bit is not kept (§2.3: ignored)
        }
      }
      rx.onPacket(seq, ts, (op & 1) != 0, payload, len, now);
    } else {
      rx.tick(now);
    }
    now += in.u8() * 1000u;
    FUZZ_ASSERT(rx.pending() <= 32);
    tg::DtmfDigitEvent d;
    while (rx.poll(&d)) FUZZ_ASSERT(d.digit == tg::dtmfEventToChar(d.event));
  }
  return 0;
}
