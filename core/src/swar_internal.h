// Eight bytes of text tested as one 64-bit word ("SIMD within a register"):
// the plain-byte runs of the JSON scanner and of the text checks, on every
// target (wasm included). Internal to core/src.
#ifndef CASESYNC_CORE_SRC_SWAR_INTERNAL_H_
#define CASESYNC_CORE_SRC_SWAR_INTERNAL_H_

#include <cstdint>
#include <cstring>

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

}  // namespace casesync::swar

#endif  // CASESYNC_CORE_SRC_SWAR_INTERNAL_H_
