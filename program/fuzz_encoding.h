// The fuzz byte encoding: every byte string decodes to a valid Program (no fuzz input is
// wasted), and encode() writes the canonical bytes of a Program, so encode(decode(x)) is a
// fixed point after one round. The format is documented in docs/fuzz-encoding.md.
#ifndef HEAPTWIN_PROGRAM_FUZZ_ENCODING_H_
#define HEAPTWIN_PROGRAM_FUZZ_ENCODING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "program/op.h"

namespace heaptwin {

inline constexpr uint8_t kFuzzFormatV1 = 0x01;
// v1 with read8 (opcode 15, which is a free in v1); the encoder writes it only for Programs that
// read.
inline constexpr uint8_t kFuzzFormatV2 = 0x02;
// v2 with threads: an op's first byte names its thread in its high nibble (8 + N: tN; below 8:
// the thread of the op before). The encoder writes it only for Programs that use threads.
inline constexpr uint8_t kFuzzFormatV3 = 0x03;
// v3 with repeats: an op's first byte below 0x80 holds a repeat count in its high nibble (a
// malloc, calloc or aligned op assigns consecutive slots, a free frees consecutive live slots).
// Every byte 0 other than 1, 2 and 3 reads as v4 (the newest format, what a random input reads
// as); the encoder writes 0x04, and only for Programs that a repeat makes shorter.
inline constexpr uint8_t kFuzzFormatV4 = 0x04;
inline constexpr int kFuzzSlots = 31;  // s0..s30

struct DecodeOptions {
  // write8 ops (heap corruption) are decoded only for targets that want them; otherwise their
  // opcode reads as malloc, and a slot a read8 assigned reads as null where an op names it (a
  // value read from memory is no block).
  bool allow_corruption = true;
  size_t max_ops = 1024;  // the rest of a longer input is ignored
  // Format v3's (and v4's) thread nibbles are read only where threads are wanted; otherwise
  // every op runs on the main thread (t0).
  bool allow_threads = true;
};

Program decode_fuzz(const uint8_t* data, size_t size, const DecodeOptions& options = {});
inline Program decode_fuzz(const std::string& bytes, const DecodeOptions& options = {}) {
  return decode_fuzz(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), options);
}

// The canonical bytes. Fails (nullopt, *error says why) only when the Program cannot be
// expressed: more than kFuzzSlots slots, or a thread past kMaxThreads.
std::optional<std::string> encode_fuzz(const Program& program, std::string* error);

}  // namespace heaptwin

#endif  // HEAPTWIN_PROGRAM_FUZZ_ENCODING_H_
