// Eight bytes of text tested as one 64-bit word ("SIMD within a register"):
// the plain-byte runs of the JSON scanner and of the text checks, on every
// target (wasm included); and sixteen at a time with SSE2 where the target
// has it (the native server). Internal to core/src.
#ifndef CASESYNC_CORE_SRC_SWAR_INTERNAL_H_
#define CASESYNC_CORE_SRC_SWAR_INTERNAL_H_

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace casesync::swar {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// The eight bytes at `p`, unaligned.
inline uint64_t Load(const char* p) {
  uint64_t w = 0;
  std::memcpy(&w, p, 8);
  return w;
}

// Non-zero when some byte of `w` is below `n` (n <= 0x80): the subtraction
// borrows into the high bit of such a byte. Exact for the word as a whole
// (which byte it was is not told).
inline uint64_t HasByteBelow(uint64_t w, uint8_t n) {
  return (w - kOnes * n) & ~w & kHighBits;
}

// Non-zero when some byte of `w` equals `b`; exact for the word as a whole.
inline uint64_t HasByte(uint64_t w, uint8_t b) {
  return HasByteBelow(w ^ (kOnes * b), 1);
}

// Non-zero when some byte of `w` has its high bit set (not ASCII).
inline uint64_t HasHighByte(uint64_t w) { return w & kHighBits; }

#if defined(__SSE2__)
// The sixteen bytes at `p`, unaligned.
inline __m128i Load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
// Bit i set when byte i of `block` is `b`.
inline int Mask16Equal(__m128i block, char b) {
  return _mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8(b)));
}
// Bit i set when byte i of `block` is below 0x20 (bytes compare as signed:
// those of 0x80 and above are negative, and excluded).
inline int Mask16Control(__m128i block) {
  return _mm_movemask_epi8(
      _mm_and_si128(_mm_cmplt_epi8(block, _mm_set1_epi8(0x20)),
                    _mm_cmpgt_epi8(block, _mm_set1_epi8(-1))));
}
#endif

}  // namespace casesync::swar

#endif  // CASESYNC_CORE_SRC_SWAR_INTERNAL_H_
