// G.711 μ-law / A-law by table lookup, bit-exact with the ITU-T G.191 STL (g711.c). The tables are
// built once from the STL algorithm (thread-safe static init) so the hot path is one load per sample.
// A-law codes include the even-bit inversion (XOR 0x55): they are the octets of RTP PT 8 (RFC 3551 §4.5.14).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {
namespace g711 {

// Tables: encode is indexed by the uint16_t bit pattern of the sample, decode by the code octet.
const uint8_t* ulawEncodeTable();   // 65536 entries
const uint8_t* alawEncodeTable();   // 65536 entries
const int16_t* ulawDecodeTable();   // 256 entries
const int16_t* alawDecodeTable();   // 256 entries

inline uint8_t linearToUlaw(int16_t s) { return ulawEncodeTable()[static_cast<uint16_t>(s)]; }
inline uint8_t linearToAlaw(int16_t s) { return alawEncodeTable()[static_cast<uint16_t>(s)]; }
inline int16_t ulawToLinear(uint8_t c) { return ulawDecodeTable()[c]; }
inline int16_t alawToLinear(uint8_t c) { return alawDecodeTable()[c]; }

// Buffer forms at the codec's own rate (8 kHz); no resampling. `out` must hold n items.
void encodeUlaw(const int16_t* in, size_t n, uint8_t* out);
void encodeAlaw(const int16_t* in, size_t n, uint8_t* out);
void decodeUlaw(const uint8_t* in, size_t n, int16_t* out);
void decodeAlaw(const uint8_t* in, size_t n, int16_t* out);

}  // namespace g711
}  // namespace tg
