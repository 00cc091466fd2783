// Tables generated from the ITU-T G.191 STL g711.c algorithms (alaw_compress/expand, ulaw_compress/expand),
// re-expressed here from the published algorithm; the STL sweep files in testdata check every input.
#include "codec/g711.h"

namespace tg {
namespace g711 {

namespace {

uint8_t stlAlawCompress(int16_t lin) {
  // STL: magnitude from the 1's complement of negatives, 12 significant bits (>> 4).
  int ix = lin < 0 ? (~lin) >> 4 : lin >> 4;
  if (ix > 15) {
    int iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      iexp++;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (lin >= 0) ix |= 0x80;
  return static_cast<uint8_t>(ix ^ 0x55);  // even-bit inversion (G.711 §2, A-law)
}

int16_t stlAlawExpand(uint8_t code) {
  int ix = (code ^ 0x55) & 0x7F;
  int iexp = ix >> 4;
  int mant = ix & 0x0F;
  if (iexp > 0) mant += 16;
  mant = (mant << 4) + 0x08;
  if (iexp > 1) mant <<= (iexp - 1);
  return static_cast<int16_t>(code > 127 ? mant : -mant);
}

uint8_t stlUlawCompress(int16_t lin) {
  // STL: 14 significant bits (>> 2) plus the bias of 33, clipped to 0x1FFF.
  int absno = lin < 0 ? ((~lin) >> 2) + 33 : (lin >> 2) + 33;
  if (absno > 0x1FFF) absno = 0x1FFF;
  int i = absno >> 6;
  int segno = 1;
  while (i != 0) {
    segno++;
    i >>= 1;
  }
  int high = 0x08 - segno;
  int low = 0x0F - ((absno >> segno) & 0x0F);
  int code = (high << 4) | low;
  if (lin >= 0) code |= 0x80;
  return static_cast<uint8_t>(code);
}

int16_t stlUlawExpand(uint8_t code) {
  int sign = code < 0x80 ? -1 : 1;
  int mant = ~code;
  int exponent = (mant >> 4) & 0x07;
  int segment = exponent + 1;
  mant &= 0x0F;
  int step = 4 << segment;
  return static_cast<int16_t>(sign * ((0x80 << exponent) + step * mant + step / 2 - 4 * 33));
}

struct Tables {
  uint8_t ulawEnc[65536];
  uint8_t alawEnc[65536];
  int16_t ulawDec[256];
  int16_t alawDec[256];
  Tables() {
    for (int i = 0; i < 65536; i++) {
      const int16_t s = static_cast<int16_t>(static_cast<uint16_t>(i));
      ulawEnc[i] = stlUlawCompress(s);
      alawEnc[i] = stlAlawCompress(s);
    }
    for (int c = 0; c < 256; c++) {
      ulawDec[c] = stlUlawExpand(static_cast<uint8_t>(c));
      alawDec[c] = stlAlawExpand(static_cast<uint8_t>(c));
    }
  }
};

// Function-local static: built once, thread-safe (C++11 magic statics), before any media thread uses it.
const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const uint8_t* ulawEncodeTable() { return tables().ulawEnc; }
const uint8_t* alawEncodeTable() { return tables().alawEnc; }
const int16_t* ulawDecodeTable() { return tables().ulawDec; }
const int16_t* alawDecodeTable() { return tables().alawDec; }

void encodeUlaw(const int16_t* in, size_t n, uint8_t* out) {
  const uint8_t* t = ulawEncodeTable();
  for (size_t i = 0; i < n; i++) out[i] = t[static_cast<uint16_t>(in[i])];
}
void encodeAlaw(const int16_t* in, size_t n, uint8_t* out) {
  const uint8_t* t = alawEncodeTable();
  for (size_t i = 0; i < n; i++) out[i] = t[static_cast<uint16_t>(in[i])];
}
void decodeUlaw(const uint8_t* in, size_t n, int16_t* out) {
  const int16_t* t = ulawDecodeTable();
  for (size_t i = 0; i < n; i++) out[i] = t[in[i]];
}
void decodeAlaw(const uint8_t* in, size_t n, int16_t* out) {
  const int16_t* t = alawDecodeTable();
  for (size_t i = 0; i < n; i++) out[i] = t[in[i]];
}

}  // namespace g711
}  // namespace tg
