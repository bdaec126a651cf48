#include "program/fuzz_encoding.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {
namespace {

std::string random_bytes(std::mt19937_64& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

bool slots_are_valid(const Program& p) {
  // Every operand names a slot assigned by an earlier op (or null), as the parser demands.
  std::vector<bool> assigned(p.slot_count(), false);
  assigned[kNullSlot] = true;
  for (const Op& op : p.ops) {
    if (op.src >= p.slot_count() || !assigned[op.src]) return false;
    if (op.kind == OpKind::kWrite8) {
      const Value& v = op.value;
      if (v.kind == Value::Kind::kSlot && !assigned[v.slot]) return false;
      if (v.kind == Value::Kind::kProtect) {
        if (!v.pos_is_heap && !assigned[v.slot]) return false;
        if (v.target_kind == Value::Kind::kSlot && !assigned[v.target_slot]) return false;
      }
    }
    if (op.assigns()) {
      if (op.dst == kNullSlot || op.dst >= p.slot_count()) return false;
      assigned[op.dst] = true;
    }
  }
  return true;
}

// What every decoded input must be: its slots valid, and its printed form parsing back to it
// (every decoded input is readable). Asserts: call it under ASSERT_NO_FATAL_FAILURE.
void check_readable(const Program& p, int input) {
  ASSERT_TRUE(slots_are_valid(p)) << "input #" << input;
  std::string error;
  auto again = parse_heap(print_heap(p), "decoded", &error);
  ASSERT_TRUE(again.has_value()) << error << "\n" << print_heap(p);
  ASSERT_EQ(*again, p) << print_heap(p);
}

// check_readable, and its encoding (into *bytes) decodes back to it.
void check_round_trip(const Program& p, int input, std::string* bytes) {
  ASSERT_NO_FATAL_FAILURE(check_readable(p, input));
  std::string error;
  auto once = encode_fuzz(p, &error);
  ASSERT_TRUE(once.has_value()) << error;
  ASSERT_EQ(decode_fuzz(*once), p) << "input #" << input << "\n" << print_heap(p);
  *bytes = *once;
}

// Random bytes of format v2 (read8 decoded).
std::string random_v2_bytes(std::mt19937_64& rng, size_t max_len) {
  std::string s = random_bytes(rng, max_len);
  if (s.empty()) s.push_back('\0');
  s[0] = static_cast<char>(kFuzzFormatV2);
  return s;
}

TEST(FuzzEncoding, EveryByteStringDecodesToAValidProgram) {
  std::mt19937_64 rng(20261122);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = random_bytes(rng, 300);
    ASSERT_NO_FATAL_FAILURE(check_readable(decode_fuzz(bytes), i));
  }
}

TEST(FuzzEncoding, EncodeOfDecodeIsAFixedPointAfterOneRound) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = random_bytes(rng, 300);
    Program p = decode_fuzz(bytes);
    std::string error;
    auto once = encode_fuzz(p, &error);
    ASSERT_TRUE(once.has_value()) << error;
    EXPECT_EQ(decode_fuzz(*once), p) << "input #" << i;
    auto twice = encode_fuzz(decode_fuzz(*once), &error);
    ASSERT_TRUE(twice.has_value()) << error;
    ASSERT_EQ(*twice, *once) << "input #" << i;
  }
}

TEST(FuzzEncoding, FormatV2DecodesReadsAndKeepsEveryPropertyOfV1) {
  std::mt19937_64 rng(18);
  size_t reads = 0;
  for (int i = 0; i < 8000; ++i) {
    const std::string bytes = random_v2_bytes(rng, 300);
    Program p = decode_fuzz(bytes);
    std::string once;
    ASSERT_NO_FATAL_FAILURE(check_round_trip(p, i, &once));
    for (const Op& op : p.ops) reads += op.kind == OpKind::kRead8;
  }
  EXPECT_GT(reads, 8000u);  // opcode 15: one op in 16
}

TEST(FuzzEncoding, FormatV1HasNoReads) {
  // Opcode 15 stays a free in v1: inputs written before v2 decode as they did.
  std::string v1("\x01\x00\x03\x03\x0f\x00", 6);  // s3 = malloc 0x18; free s3
  Program p = decode_fuzz(v1);
  ASSERT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.ops[1].kind, OpKind::kFree);
  v1[0] = static_cast<char>(kFuzzFormatV2);
  p = decode_fuzz(v1);
  ASSERT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.ops[1].kind, OpKind::kRead8);
}

TEST(FuzzEncoding, ReadsFavourFreedChunksAndTheWordsAroundAHeader) {
  std::mt19937_64 rng(5);
  int reads = 0, of_freed = 0, near_header = 0;
  for (int i = 0; i < 4000; ++i) {
    Program p = decode_fuzz(random_v2_bytes(rng, 200));
    std::vector<bool> freed(p.slot_count(), false);
    for (const Op& op : p.ops) {
      if (op.kind == OpKind::kRead8) {
        bool any_freed = false;
        for (bool f : freed) any_freed |= f;
        if (any_freed) {
          ++reads;
          of_freed += freed[op.src];
        }
        near_header += op.offset >= -0x10 && op.offset <= 0x18;
      }
      if (op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) freed[op.src] = true;
      if (op.assigns()) freed[op.dst] = false;
    }
  }
  ASSERT_GT(reads, 1000);
  EXPECT_GT(of_freed, reads * 4 / 10) << of_freed << " of " << reads;
  EXPECT_GT(near_header, reads * 8 / 10);
}

// 5,000 Programs decoded with corruption off (DecodeOptions::allow_corruption) from random
// inputs of up to 200 bytes: any (v1 or v2), or v2 only.
std::vector<Program> decoded_without_corruption(uint64_t seed, bool v2_only) {
  std::mt19937_64 rng(seed);
  DecodeOptions options;
  options.allow_corruption = false;
  std::vector<Program> out;
  for (int i = 0; i < 5000; ++i) {
    out.push_back(
        decode_fuzz(v2_only ? random_v2_bytes(rng, 200) : random_bytes(rng, 200), options));
  }
  return out;
}

TEST(FuzzEncoding, NoCorruptionModeNeverUsesAReadValueAsAPointer) {
  for (const Program& p : decoded_without_corruption(12, /*v2_only=*/true)) {
    std::vector<bool> read(p.slot_count(), false);
    for (const Op& op : p.ops) {
      ASSERT_FALSE(op.src != kNullSlot && read[op.src]) << print_heap(p);
      if (op.assigns()) read[op.dst] = op.kind == OpKind::kRead8;
    }
  }
}

TEST(FuzzEncoding, NoCorruptionModeNeverDecodesWrite8) {
  for (const Program& p : decoded_without_corruption(11, /*v2_only=*/false)) {
    for (const Op& op : p.ops) ASSERT_NE(op.kind, OpKind::kWrite8);
  }
}

// A hand-written script through encode_fuzz, whose first byte must be `format`, and back through
// decode_fuzz: the same ops, the slots renamed s0, s1, ... in order. What came back.
Program round_trip(const std::string& text, uint8_t format) {
  const Program p = parse_script(text);
  EXPECT_FALSE(p.ops.empty());
  std::string error;
  auto bytes = encode_fuzz(p, &error);
  if (!bytes) {
    ADD_FAILURE() << error;
    return Program();
  }
  EXPECT_EQ((*bytes)[0], static_cast<char>(format));
  const Program back = decode_fuzz(*bytes);
  EXPECT_EQ(back.ops.size(), p.ops.size());
  Program renamed;
  for (size_t i = 1; i < p.slot_count(); ++i) renamed.intern("s" + std::to_string(i - 1));
  renamed.ops = p.ops;
  EXPECT_EQ(back, renamed) << print_heap(back);
  return back;
}

TEST(FuzzEncoding, HandWrittenScriptsSurviveEncodeAndDecode) {
  const Program back = round_trip(
      "a = malloc 0x18\nb = malloc 0x20000\nc = calloc 3 0x409\nfree a\nfree a\n"
      "d = realloc b 0x12345\ne = memalign 0x1000 0x30\nf = posix_memalign 24 8\n"
      "g = pvalloc 1\nwrite8 d -0x8 0x431\nwrite8 a 0 protect(a, heap+0x2a0)\n"
      "mallopt M_MMAP_MAX 0\nmallopt 99 -5\ntrim 0x10000\nmalloc_usable_size c\n"
      "h = malloc 0xdeadbeefcafe\n",
      kFuzzFormatV1);
  // Names become s0..; everything else is kept.
  EXPECT_EQ(print_heap(back).substr(0, 16), "s0 = malloc 0x18");
}

TEST(FuzzEncoding, ScriptsThatReadEncodeAsFormatV2) {
  round_trip(
      "a = malloc 0x500\nb = malloc 0x18\nfree a\nfd = read8 a 0\nsize = read8 b -8\n"
      "far = read8 fd 0x1234\nfree b\nnext = read8 b 0x18\nx = read8 null 0x8\n",
      kFuzzFormatV2);
}

TEST(FuzzEncoding, BoundarySizesTakeOneByte) {
  std::string error;
  for (uint64_t size : {0x18ull, 0x3f8ull, 0x408ull, 0x20000ull, ~0ull}) {
    Program p;
    Op op;
    op.kind = OpKind::kMalloc;
    op.dst = p.intern("s0");
    op.a = size;
    p.ops.push_back(op);
    auto bytes = encode_fuzz(p, &error);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(bytes->size(), 4u) << std::hex << size;  // format, opcode, slot, size
  }
}

TEST(FuzzEncoding, FreesFavourLiveSlots) {
  // With blocks live, nearly every free byte names one of them.
  std::mt19937_64 rng(3);
  int frees = 0, of_live = 0;
  for (int i = 0; i < 2000; ++i) {
    Program p = decode_fuzz(random_bytes(rng, 200));
    std::vector<bool> live(p.slot_count(), false);
    for (const Op& op : p.ops) {
      if (op.kind == OpKind::kFree) {
        ++frees;
        of_live += live[op.src];
        live[op.src] = false;
      } else if (op.allocates()) {
        if (op.kind == OpKind::kRealloc) live[op.src] = false;
        live[op.dst] = true;
      }
    }
  }
  EXPECT_GT(of_live, frees * 6 / 10) << of_live << " of " << frees;
}

TEST(FuzzEncoding, TooManySlotsIsAnError) {
  Program p;
  for (int i = 0; i < 40; ++i) {
    Op op;
    op.kind = OpKind::kMalloc;
    op.dst = p.intern("x" + std::to_string(i));
    p.ops.push_back(op);
  }
  std::string error;
  EXPECT_FALSE(encode_fuzz(p, &error).has_value());
  EXPECT_NE(error.find("at most 31"), std::string::npos) << error;
}

// Bytes written by hand from docs/fuzz-encoding.md (not from the encoder): the decoder must read
// them as the document says. Round-trip tests cannot see a constant the encoder and decoder share
// moving (the read offset escape, the freed-slot bound); this one does.
TEST(FuzzEncoding, BytesDecodeAsTheDocumentSays) {
  const std::string v2(
      "\x02"                   // format v2
      "\x00\x01\x10"           // 0 malloc: dst s1, size 0x10 * 8
      "\x06\x00"               // 6 free: ref 0, the 0th live slot (s1)
      "\x0f\x02\x00\x01"       // 15 read8: dst s2, freed slot 0 (s1), offset 1 % 6: bk
      "\x0f\x03\x00\xef"       // offset 0xef < 0xf0: 239 % 6 = 5: 0x18
      "\x0f\x04\x00\xf0\xfe"   // offset 0xf0: a signed follows, (int8)0xfe * 8
      "\x0c\x00\x05\x04\x02",  // 12 aligned: 0 % 5 memalign, dst s5, align 1 << 4, size 2 * 8
      24);
  EXPECT_EQ(print_heap(decode_fuzz(v2)),
            "s1 = malloc 0x80\n"
            "free s1\n"
            "s2 = read8 s1 0x8\n"
            "s3 = read8 s1 0x18\n"
            "s4 = read8 s1 -0x10\n"
            "s5 = memalign 0x10 0x10\n");
  // The same opcode in v1 is a free; ref 0 with nothing live names s0, never assigned: null.
  EXPECT_EQ(print_heap(decode_fuzz(std::string("\x01\x0f\x00", 3))), "free null\n");
  // A 22-bit size: 0xc1 then two bytes little-endian, (1 << 16) | 0x0302.
  EXPECT_EQ(print_heap(decode_fuzz(std::string("\x01\x00\x01\xc1\x02\x03", 6))),
            "s1 = malloc 0x10302\n");
}

// Format v3 by hand: the high nibble of an op's first byte, 8 + N, moves the Program to thread N;
// below 8 it stays on the thread it was on. v1 and v2 ignore the nibble, as they always did.
TEST(FuzzEncoding, FormatV3NamesThreadsInTheFirstBytesHighNibble) {
  const std::string v3(
      "\x03"               // format v3
      "\x00\x01\x03"       // malloc s1 0x18, on t0
      "\x90\x02\x04"       // 0x90: nibble 9 = t1, malloc s2 0x20
      "\x76\x00"           // 0x76: nibble 7 < 8, stays on t1: free the 0th live (s1)
      "\xf0\x03\x05"       // nibble 15 = t7
      "\x80\x04\x06"       // nibble 8 = t0
      "\x9f\x05\x00\x00",  // t1, opcode 15: read8 in v3 as in v2
      18);
  EXPECT_EQ(print_heap(decode_fuzz(v3)),
            "s1 = malloc 0x18\n"
            "t1: s2 = malloc 0x20\n"
            "t1: free s1\n"
            "t7: s3 = malloc 0x28\n"
            "s4 = malloc 0x30\n"
            "t1: s5 = read8 s1 0x0\n");
  // The same bytes as v2 and v1: the nibbles mean nothing, as before v3.
  std::string v2 = v3;
  v2[0] = static_cast<char>(kFuzzFormatV2);
  EXPECT_EQ(print_heap(decode_fuzz(v2)),
            "s1 = malloc 0x18\ns2 = malloc 0x20\nfree s1\ns3 = malloc 0x28\ns4 = malloc 0x30\n"
            "s5 = read8 s1 0x0\n");
  std::string v1 = v3;
  v1[0] = static_cast<char>(kFuzzFormatV1);
  EXPECT_EQ(print_heap(decode_fuzz(v1)),
            "s1 = malloc 0x18\ns2 = malloc 0x20\nfree s1\ns3 = malloc 0x28\ns4 = malloc 0x30\n"
            "free s4\ns0 = malloc 0x0\n");  // 15 is a free in v1: ref 5 % 3 live is s4
  // Where threads are not wanted, v3 is v2.
  DecodeOptions no_threads;
  no_threads.allow_threads = false;
  EXPECT_EQ(decode_fuzz(v3, no_threads), decode_fuzz(v2));
  // The encoder writes the nibble only where the thread changes: the canonical bytes.
  std::string error;
  auto canonical = encode_fuzz(decode_fuzz(v3), &error);
  ASSERT_TRUE(canonical.has_value()) << error;
  EXPECT_EQ(*canonical, std::string("\x03\x00\x01\x03\x90\x02\x04\x06\x00\xf0\x03\x05\x80\x04\x06"
                                    "\x9f\x05\x00\x00",
                                    19));
}

TEST(FuzzEncoding, FormatV3RoundTripsAndThreadlessProgramsKeepTheirFormat) {
  std::mt19937_64 rng(33);
  size_t threaded = 0;
  for (int i = 0; i < 8000; ++i) {
    std::string bytes = random_bytes(rng, 300);
    if (bytes.empty()) bytes.push_back('\0');
    bytes[0] = static_cast<char>(kFuzzFormatV3);
    Program p = decode_fuzz(bytes);
    std::string once;
    ASSERT_NO_FATAL_FAILURE(check_round_trip(p, i, &once));
    // Threads take v3, or v4 where a repeat shortens the Program; v3 means threads.
    const uint8_t format = static_cast<uint8_t>(once[0]);
    EXPECT_TRUE(p.uses_threads() ? format == kFuzzFormatV3 || format == kFuzzFormatV4
                                 : format != kFuzzFormatV3)
        << "input #" << i;
    threaded += p.uses_threads();
  }
  EXPECT_GT(threaded, 6000u);
  // A Program on t0 only encodes as before threads existed.
  Program plain = decode_fuzz(std::string("\x01\x00\x01\x03\x06\x00", 6));
  std::string error;
  EXPECT_EQ(*encode_fuzz(plain, &error), std::string("\x01\x00\x01\x03\x06\x00", 6));
  Program past = plain;
  past.ops[0].thread = kMaxThreads;
  EXPECT_FALSE(encode_fuzz(past, &error).has_value());
  EXPECT_NE(error.find("t0 to t7"), std::string::npos) << error;
}

// Format v4 by hand (docs/fuzz-encoding.md): the high nibble of an op's first byte below 8 is a
// repeat count, 0 -> 1, 1 -> 7, 2 -> 8, 3 -> 3, 4 -> 2, 5..7 -> 1.
TEST(FuzzEncoding, FormatV4RepeatsAnOpByTheCountInItsHighNibble) {
  const std::string v4(
      "\x04"                  // format v4
      "\x10\x1e\x11"          // 1: 7 times malloc 0x88, dst s30: s30, then s0 .. s5 (wrapping)
      "\x4a\x07\x04\x06"      // 4: 2 times calloc 0x20 0x30, dst s7: s7, s8
      "\x3c\x00\x09\x06\x02"  // 3: 3 times memalign 0x40 0x10, dst s9: s9, s10, s11
      "\x26\xe1"              // 2: 8 frees from s1 (escape form): s1, then the next live ones
      "\x16\x00"              // 1: 7 frees from the 0th live slot, s0: only 4 are live
      "\x26\xff"              // 2: a free of null is not repeated
      "\x56\x00"              // 5: spare, one op: the 0th live slot: none live, s0
      "\x2b\x0c\xff\x03"      // 2 on realloc: not repeated
      "\x1e\x02\x00"          // 1 on trim: not repeated
      "\x7f\x0d\xe2\x00",     // 7 (spare) on read8: one op, s13 = read8 s2 0
      31);
  const std::string expected =
      "s30 = malloc 0x88\ns0 = malloc 0x88\ns1 = malloc 0x88\ns2 = malloc 0x88\n"
      "s3 = malloc 0x88\ns4 = malloc 0x88\ns5 = malloc 0x88\n"
      "s7 = calloc 0x20 0x30\ns8 = calloc 0x20 0x30\n"
      "s9 = memalign 0x40 0x10\ns10 = memalign 0x40 0x10\ns11 = memalign 0x40 0x10\n"
      "free s1\nfree s2\nfree s3\nfree s4\nfree s5\nfree s7\nfree s8\nfree s9\n"
      "free s0\nfree s10\nfree s11\nfree s30\n"
      "free null\n"
      "free s0\n"
      "s12 = realloc null 0x18\n"
      "trim 0x0\n"
      "s13 = read8 s2 0x0\n";
  EXPECT_EQ(print_heap(decode_fuzz(v4)), expected);
  // Every byte 0 but 1, 2 and 3 is v4 (a random input's byte 0 is).
  for (int format : {0x00, 0x05, 0x41, 0x80, 0xff}) {
    std::string other = v4;
    other[0] = static_cast<char>(format);
    EXPECT_EQ(print_heap(decode_fuzz(other)), expected) << format;
  }
  // v3 reads the nibbles below 8 as "the same thread": one op each, as before v4 (s1 and s2
  // are never assigned there: null).
  std::string v3 = v4;
  v3[0] = static_cast<char>(kFuzzFormatV3);
  EXPECT_EQ(print_heap(decode_fuzz(v3)),
            "s30 = malloc 0x88\ns7 = calloc 0x20 0x30\ns9 = memalign 0x40 0x10\nfree null\n"
            "free s7\nfree null\nfree s9\ns12 = realloc null 0x18\ntrim 0x0\n"
            "s13 = read8 null 0x0\n");
}

TEST(FuzzEncoding, FormatV4CountsShareTheNibbleWithThreadsAndStopAtTheOpLimit) {
  // 0x90: t1 (a thread switch is one op); then 0x20: 8 mallocs on t1, s2 .. s9.
  const std::string bytes("\x04\x90\x01\x03\x20\x02\x03", 7);
  std::string eight;
  for (int i = 2; i <= 9; ++i) eight += "t1: s" + std::to_string(i) + " = malloc 0x18\n";
  EXPECT_EQ(print_heap(decode_fuzz(bytes)), "t1: s1 = malloc 0x18\n" + eight);
  // Where threads are not wanted, nibbles 8..15 are one op on t0; the counts stay.
  DecodeOptions no_threads;
  no_threads.allow_threads = false;
  std::string on_t0;
  for (int i = 1; i <= 9; ++i) on_t0 += "s" + std::to_string(i) + " = malloc 0x18\n";
  EXPECT_EQ(print_heap(decode_fuzz(bytes, no_threads)), on_t0);
  // A repeat stops at max_ops.
  DecodeOptions five;
  five.max_ops = 5;
  EXPECT_EQ(decode_fuzz(bytes, five).ops.size(), 5u);
  // Where write8 is not decoded, opcode 13 is a malloc, and repeats as one: 0x4d = 2 times.
  DecodeOptions no_corruption;
  no_corruption.allow_corruption = false;
  EXPECT_EQ(print_heap(decode_fuzz(std::string("\x04\x4d\x03\x04", 4), no_corruption)),
            "s3 = malloc 0x20\ns4 = malloc 0x20\n");
}

// The encoder writes a count where ops chain, in as few pieces as the counts allow (the larger
// first on a tie); format v4 only when a repeat is written.
TEST(FuzzEncoding, FormatV4EncoderWritesTheFewestRepeats) {
  auto encoded = [](const std::string& script) {
    std::string error;
    auto p = parse_heap(script, "hand", &error);
    EXPECT_TRUE(p.has_value()) << error;
    auto bytes = encode_fuzz(*p, &error);
    EXPECT_TRUE(bytes.has_value()) << error;
    EXPECT_EQ(decode_fuzz(*bytes), *p) << script;
    return *bytes;
  };
  auto mallocs = [](int from, int n, const char* size) {
    std::string s;
    for (int i = from; i < from + n; ++i)
      s += "s" + std::to_string(i % 31) + " = malloc " + size + "\n";
    return s;
  };
  // 7 mallocs and 7 frees of them: two ops.
  std::string frees;
  for (int i = 0; i < 7; ++i) frees += "free s" + std::to_string(i) + "\n";
  EXPECT_EQ(encoded(mallocs(0, 7, "0x88") + frees), std::string("\x04\x10\x00\x11\x16\x00", 6));
  // 4 = 3 + 1 (not 2 + 2), 5 = 3 + 2, 14 = 7 + 7 (not 8 + 3 + 3), 13 = 8 + 3 + 2, 9 = 8 + 1.
  EXPECT_EQ(encoded(mallocs(0, 4, "0x18")), std::string("\x04\x30\x00\x03\x00\x03\x03", 7));
  EXPECT_EQ(encoded(mallocs(0, 5, "0x18")), std::string("\x04\x30\x00\x03\x40\x03\x03", 7));
  EXPECT_EQ(encoded(mallocs(0, 14, "0x18")), std::string("\x04\x10\x00\x03\x10\x07\x03", 7));
  EXPECT_EQ(encoded(mallocs(0, 13, "0x18")),
            std::string("\x04\x20\x00\x03\x30\x08\x03\x40\x0b\x03", 10));
  EXPECT_EQ(encoded(mallocs(0, 9, "0x18")), std::string("\x04\x20\x00\x03\x00\x08\x03", 7));
  // The dst wraps from s30 to s0; a size or a slot out of step ends the run.
  EXPECT_EQ(encoded(mallocs(29, 3, "0x18")), std::string("\x04\x30\x1d\x03", 4));
  EXPECT_EQ(encoded("s0 = malloc 0x18\ns1 = malloc 0x20\ns3 = malloc 0x20\n"),
            std::string("\x01\x00\x00\x03\x00\x01\x04\x00\x03\x04", 10));
  // 6 mallocs are 3 + 3. Frees walk the live slots upwards and wrap: s4, s5, then s0, s1, s2
  // chain (3 + 2: ref 4, the 4th live slot, then ref 0, s1); s3 is live but was not freed.
  EXPECT_EQ(encoded(mallocs(0, 6, "0x18") + "free s4\nfree s5\nfree s0\nfree s1\nfree s2\n"),
            std::string("\x04\x30\x00\x03\x30\x03\x03\x36\x04\x46\x00", 11));
  // A free that skips a live slot ends the run: s1 is live between s0 and s2.
  EXPECT_EQ(encoded(mallocs(0, 3, "0x18") + "free s0\nfree s2\n"),
            std::string("\x04\x30\x00\x03\x06\x00\x06\x01", 8));
  // A thread switch stands alone: t1's first malloc, then 2 of them.
  EXPECT_EQ(encoded("t1: s0 = malloc 0x18\nt1: s1 = malloc 0x18\nt1: s2 = malloc 0x18\n"),
            std::string("\x04\x90\x00\x03\x40\x01\x03", 7));
  // Nothing to repeat: the format of before.
  EXPECT_EQ(encoded("s0 = malloc 0x18\nfree s0\nfree s0\n"),
            std::string("\x01\x00\x00\x03\x06\x00\x06\xe0", 8));
}

TEST(FuzzEncoding, FormatV4RoundTripsAndRandomInputsRepeatModestly) {
  std::mt19937_64 rng(44);
  size_t ops = 0, first_bytes = 0, repeated = 0;
  for (int i = 0; i < 8000; ++i) {
    std::string bytes = random_bytes(rng, 300);
    if (bytes.empty()) bytes.push_back('\0');
    bytes[0] = static_cast<char>(kFuzzFormatV4);
    Program p = decode_fuzz(bytes);
    std::string once;
    ASSERT_NO_FATAL_FAILURE(check_round_trip(p, i, &once));
    ops += p.ops.size();
    std::string v3 = bytes;
    v3[0] = static_cast<char>(kFuzzFormatV3);
    first_bytes += decode_fuzz(v3).ops.size();  // one op per first byte
    repeated += once[0] == static_cast<char>(kFuzzFormatV4);
  }
  // A random first byte stands for 2 ops when it repeats (12 opcodes of 16), else 1: 1.75 in all,
  // less as frees run out of live slots.
  const double per_byte = static_cast<double>(ops) / static_cast<double>(first_bytes);
  EXPECT_GT(per_byte, 1.3);
  EXPECT_LT(per_byte, 1.8);
  EXPECT_GT(repeated, 7000u);
}

TEST(FuzzEncoding, EmptyAndHeaderOnlyInputsAreEmptyPrograms) {
  EXPECT_TRUE(decode_fuzz(std::string()).ops.empty());
  EXPECT_TRUE(decode_fuzz(std::string("\x01")).ops.empty());
}

}  // namespace
}  // namespace heaptwin
