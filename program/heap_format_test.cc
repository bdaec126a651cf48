#include "program/heap_format.h"

#include <gtest/gtest.h>

#include <string>

namespace heaptwin {
namespace {

Program parse_ok(const std::string& text) {
  std::string error;
  auto p = parse_heap(text, "t.heap", &error);
  EXPECT_TRUE(p.has_value()) << error;
  return p.value_or(Program{});
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto p = parse_heap(text, "t.heap", &error);
  EXPECT_FALSE(p.has_value()) << "parsed: " << text;
  return error;
}

TEST(HeapFormat, ParsesEveryOpOfTheDesignExample) {
  Program p = parse_ok(
      "# the example of design.md\n"
      "a = malloc 0x18\n"
      "b = calloc 4 0x20\n"
      "c = realloc a 0x100        # realloc null 0x20 is malloc\n"
      "d = memalign 0x40 0x100\n"
      "e = aligned_alloc 16 32\n"
      "f = posix_memalign 0x20 0x30\n"
      "g = valloc 0x10\n"
      "h = pvalloc 0x10\n"
      "free b\n"
      "malloc_usable_size c\n"
      "write8 c 0x0 0x4141414141414141\n"
      "mallopt M_MXFAST 0\n"
      "trim 0\n");
  ASSERT_EQ(p.ops.size(), 13u);
  EXPECT_EQ(p.ops[0].kind, OpKind::kMalloc);
  EXPECT_EQ(p.ops[0].a, 0x18u);
  EXPECT_EQ(p.ops[1].kind, OpKind::kCalloc);
  EXPECT_EQ(p.ops[1].a, 4u);
  EXPECT_EQ(p.ops[1].b, 0x20u);
  EXPECT_EQ(p.ops[2].kind, OpKind::kRealloc);
  EXPECT_EQ(p.ops[2].src, p.find("a"));
  EXPECT_EQ(p.ops[3].kind, OpKind::kMemalign);
  EXPECT_EQ(p.ops[3].a, 0x40u);
  EXPECT_EQ(p.ops[5].kind, OpKind::kPosixMemalign);
  EXPECT_EQ(p.ops[8].kind, OpKind::kFree);
  EXPECT_EQ(p.ops[9].kind, OpKind::kUsableSize);
  EXPECT_EQ(p.ops[10].value.literal, 0x4141414141414141u);
  EXPECT_EQ(p.ops[11].param, static_cast<int32_t>(MalloptParam::kMxFast));
  EXPECT_EQ(p.ops[12].kind, OpKind::kTrim);
}

TEST(HeapFormat, Read8AssignsWhatItReadToASlotOthersUse) {
  Program p = parse_ok(
      "a = malloc 0x500\nfd = read8 a 0\nsize = read8 a -0x8\ntop = read8 fd 0x0\n"
      "write8 fd 0 a-0x10\nwrite8 a 8 fd+0x10\nfree fd\nx = read8 null 0x8\nfd = read8 fd 8\n");
  ASSERT_EQ(p.ops.size(), 9u);
  EXPECT_EQ(p.ops[1].kind, OpKind::kRead8);
  EXPECT_EQ(p.ops[1].dst, p.find("fd"));
  EXPECT_EQ(p.ops[1].src, p.find("a"));
  EXPECT_EQ(p.ops[2].offset, -8);
  EXPECT_EQ(p.ops[3].src, p.find("fd"));
  EXPECT_EQ(p.ops[4].src, p.find("fd"));
  EXPECT_EQ(p.ops[5].value.slot, p.find("fd"));
  EXPECT_EQ(p.ops[7].src, kNullSlot);
  EXPECT_EQ(p.ops[8].dst, p.ops[8].src);  // reassigned from itself
  EXPECT_TRUE(p.ops[1].assigns());
  EXPECT_FALSE(p.ops[1].allocates());
  EXPECT_EQ(print_op(p, p.ops[2]), "size = read8 a -0x8");
  EXPECT_EQ(parse_ok(print_heap(p)), p);
}

TEST(HeapFormat, NullIsAlwaysASlotAndReassignmentIsAllowed) {
  Program p = parse_ok("a = realloc null 0x20\na = realloc a 0x100\nfree null\n");
  EXPECT_EQ(p.ops[0].src, kNullSlot);
  EXPECT_EQ(p.ops[1].src, p.ops[1].dst);
  EXPECT_EQ(p.slot_count(), 2u);
}

TEST(HeapFormat, NumbersDecimalHexAndNegative) {
  Program p = parse_ok("a = malloc 24\nb = malloc 0X1f\nc = malloc -1\nwrite8 a -0x8 0x421\n");
  EXPECT_EQ(p.ops[0].a, 24u);
  EXPECT_EQ(p.ops[1].a, 0x1fu);
  EXPECT_EQ(p.ops[2].a, ~uint64_t{0});
  EXPECT_EQ(p.ops[3].offset, -8);
}

TEST(HeapFormat, WriteValues) {
  Program p = parse_ok(
      "a = malloc 0x18\nb = malloc 0x18\n"
      "write8 a 0 b\nwrite8 a 0 b+0x10\nwrite8 a 0 b-16\nwrite8 a 0 heap+0x2a0\n"
      "write8 a 0 protect(a, heap+0x2a0)\nwrite8 a 0 protect(heap+0x10,0x41)\n");
  EXPECT_EQ(p.ops[2].value.kind, Value::Kind::kSlot);
  EXPECT_EQ(p.ops[3].value.delta, 0x10);
  EXPECT_EQ(p.ops[4].value.delta, -16);
  EXPECT_EQ(p.ops[5].value.kind, Value::Kind::kHeap);
  EXPECT_EQ(p.ops[6].value.kind, Value::Kind::kProtect);
  EXPECT_FALSE(p.ops[6].value.pos_is_heap);
  EXPECT_EQ(p.ops[6].value.target_kind, Value::Kind::kHeap);
  EXPECT_EQ(p.ops[6].value.target_delta, 0x2a0);
  EXPECT_TRUE(p.ops[7].value.pos_is_heap);
  EXPECT_EQ(p.ops[7].value.target_literal, 0x41u);
}

TEST(HeapFormat, MalloptByNameOrNumber) {
  Program p = parse_ok("mallopt M_TRIM_THRESHOLD -1\nmallopt -3 0x1000\nmallopt M_ARENA_MAX 1\n");
  EXPECT_EQ(p.ops[0].param, -1);
  EXPECT_EQ(static_cast<int64_t>(p.ops[0].a), -1);
  EXPECT_EQ(p.ops[1].param, -3);
  EXPECT_EQ(p.ops[2].param, -8);
}

struct ErrorCase {
  const char* text;
  const char* expected;  // a substring of the message
};

class HeapFormatErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(HeapFormatErrors, NameFileLineAndWhatWasExpected) {
  std::string e = parse_error(GetParam().text);
  EXPECT_NE(e.find(GetParam().expected), std::string::npos) << e;
}

INSTANTIATE_TEST_SUITE_P(
    EveryPath, HeapFormatErrors,
    ::testing::Values(
        ErrorCase{"a = malloc 1\nfrob a\n", "t.heap:2: unknown op 'frob'"},
        ErrorCase{"a = mallocc 1\n", "t.heap:1: unknown allocation 'mallocc'"},
        ErrorCase{"malloc 0x10\n", "needs a slot to assign"},
        ErrorCase{"a = malloc\n", "expected a size after 'malloc', found end of line"},
        ErrorCase{"a = malloc 0xzz\n", "found '0xzz' (not a number)"},
        ErrorCase{"a = malloc 12abc\n", "not a number"},
        ErrorCase{"a = malloc 0x10000000000000000\n", "out of range (more than 64 bits)"},
        ErrorCase{"a = malloc 99999999999999999999\n", "out of range"},
        ErrorCase{"a = malloc -0x8000000000000001\n", "out of range (below -2^63)"},
        ErrorCase{"a = malloc 1 2\n", "unexpected extra operand '2'"},
        ErrorCase{"free a\n", "t.heap:1: unknown slot 'a' (no earlier line assigns it)"},
        ErrorCase{"free\n", "expected a slot name, found end of line"},
        ErrorCase{"free 12\n", "expected a slot name, found '12'"},
        ErrorCase{"free heap\n", "found the keyword 'heap'"},
        ErrorCase{"a = realloc b 0x10\n", "unknown slot 'b'"},
        ErrorCase{"null = malloc 1\n", "'null' always holds NULL"},
        ErrorCase{"heap = malloc 1\n", "expected a slot name before '='"},
        ErrorCase{"free = malloc 1\n", "expected a slot name before '='"},
        ErrorCase{"1a = malloc 1\n", "expected a slot name before '='"},
        ErrorCase{"a =\n", "expected an allocation after '='"},
        ErrorCase{"a = calloc 4\n", "expected an element size after the count"},
        ErrorCase{"a = memalign 0x40\n", "expected a size after the alignment"},
        ErrorCase{"a = malloc 1\nwrite8 a\n", "expected an offset after the slot"},
        ErrorCase{"a = malloc 1\nwrite8 a 0\n", "expected a value to write"},
        ErrorCase{"a = malloc 1\nwrite8 a 0 b+8\n", "unknown slot 'b'"},
        ErrorCase{"a = malloc 1\nwrite8 a 0 a+zz\n", "expected a number after '+'"},
        ErrorCase{"a = malloc 1\nwrite8 a 0 protect(a heap)\n", "expected 'protect(POS, TARGET)'"},
        ErrorCase{"a = malloc 1\nwrite8 a 0 protect(a, heap\n", "expected ')'"},
        ErrorCase{"a = malloc 1\nwrite8 a 0 0x1 0x2\n", "unexpected extra operand '0x2'"},
        ErrorCase{"mallopt M_FOO 1\n", "expected a mallopt parameter"},
        ErrorCase{"mallopt M_MXFAST\n", "expected a value after the parameter"},
        ErrorCase{"mallopt M_MXFAST 0x100000000\n", "out of range (mallopt takes an int)"},
        ErrorCase{"trim\n", "expected a pad after 'trim'"},
        ErrorCase{"a = malloc 1\nread8 a 0\n",
                  "'read8' needs a slot to assign: expected 'NAME = read8 SLOT OFFSET'"},
        ErrorCase{"a = malloc 1\nv = read8 a\n", "expected an offset after the slot"},
        ErrorCase{"v = read8 a 0\n", "unknown slot 'a'"},
        ErrorCase{"a = malloc 1\nv = read8 a 0 8\n", "unexpected extra operand '8'"},
        ErrorCase{"a = malloc 1\nnull = read8 a 0\n", "'null' always holds NULL"},
        ErrorCase{"a = malloc 1\nread8 = read8 a 0\n", "expected a slot name before '='"},
        ErrorCase{"a = malloc 1\n\n\n  bogus\n", "t.heap:4:"},
        ErrorCase{"a = malloc 1\nt8: free a\n",
                  "t.heap:2: thread 't8' is past the limit: at most 8 threads (t0 to t7)"},
        ErrorCase{"t99999999999: a = malloc 1\n", "expected a thread before ':' (t0 to t7)"},
        ErrorCase{"x1: a = malloc 1\n",
                  "t.heap:1: expected a thread before ':' (t0 to t7), found 'x1'"},
        ErrorCase{"t: a = malloc 1\n", "found 't'"},
        ErrorCase{"t-1: a = malloc 1\n", "found 't-1'"},
        ErrorCase{"t1:\n", "t.heap:1: expected an op after 't1:', found end of line"},
        ErrorCase{"t1: t2: a = malloc 1\n", "unknown op 't2:'"}));

TEST(HeapFormat, NulByteIsReported) {
  std::string text("a = malloc 1\nb = ma\0lloc 1\n", 27);
  std::string error;
  EXPECT_FALSE(parse_heap(text, "bin", &error).has_value());
  EXPECT_NE(error.find("bin:2: unexpected NUL byte"), std::string::npos) << error;
}

// The format has no slot limit of its own (it stopped at 4,095 until issue 14): a recorded
// trace with a hundred thousand pointers live at once parses, prints and parses back the same.
TEST(HeapFormat, AHundredThousandSlotsLiveAtOnce) {
  constexpr size_t kSlots = 100000;
  std::string text;
  for (size_t i = 1; i <= kSlots; ++i) text += "p" + std::to_string(i) + " = malloc 0x18\n";
  for (size_t i = kSlots; i >= 1; --i) text += "free p" + std::to_string(i) + "\n";
  text += "p70000 = realloc p99999 0x20   # a slot reassigned\n";
  Program p = parse_ok(text);
  ASSERT_EQ(p.slot_count(), kSlots + 1);
  ASSERT_EQ(p.ops.size(), 2 * kSlots + 1);
  EXPECT_EQ(p.ops[kSlots - 1].dst, static_cast<SlotId>(kSlots));  // p100000 = malloc
  EXPECT_EQ(p.ops[kSlots].src, static_cast<SlotId>(kSlots));      // free p100000
  EXPECT_EQ(p.ops.back().src, static_cast<SlotId>(99999));
  EXPECT_EQ(p.ops.back().dst, static_cast<SlotId>(70000));
  EXPECT_EQ(p.slot_names[70000], "p70000");
  EXPECT_EQ(parse_ok(print_heap(p)), p);
}

TEST(HeapFormat, PrintThenParseGivesTheSameProgram) {
  const char* text =
      "a = malloc 0x18\nb = calloc 4 0x20\nc = realloc a 0x100\nd = memalign 0x40 0x100\n"
      "e = aligned_alloc 16 32\nf = posix_memalign 0x20 0x30\ng = valloc 0x10\n"
      "h = pvalloc 0x10\nfree b\nmalloc_usable_size c\nwrite8 c -0x8 0x4141414141414141\n"
      "write8 c 3 b+0x10\nwrite8 c 0 b-0x11\nwrite8 c 0 heap+0x2a0\n"
      "write8 b 0 protect(b, heap+0x2a0)\nwrite8 b 0 protect(heap-8, c)\n"
      "write8 b 0 protect(c+8, 0x1234)\nmallopt M_MXFAST 0\nmallopt M_TRIM_THRESHOLD -1\n"
      "mallopt 77 5\ntrim 0\nx = malloc -1\nx = realloc x 0\nfree null\n";
  Program p = parse_ok(text);
  std::string printed = print_heap(p);
  Program again = parse_ok(printed);
  EXPECT_EQ(p, again) << printed;
  EXPECT_EQ(printed, print_heap(again));
}

TEST(HeapFormat, AThreadPrefixNamesTheThreadThatRunsTheOp) {
  Program p = parse_ok(
      "a = malloc 0x18\n"
      "t1: b = malloc 0x20     # thread 1's first op creates it\n"
      "t1:free a\n"
      "  t7:  mallopt M_ARENA_MAX 2\n"
      "t0: c = malloc 0x30\n"
      "t03: free c\n");
  ASSERT_EQ(p.ops.size(), 6u);
  const int expected[] = {0, 1, 1, 7, 0, 3};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(p.ops[i].thread, expected[i]) << i;
  EXPECT_EQ(p.ops[2].kind, OpKind::kFree);
  EXPECT_TRUE(p.uses_threads());
  // The main thread prints without a prefix; the same op on another thread is another op.
  EXPECT_EQ(print_op(p, p.ops[1]), "t1: b = malloc 0x20");
  EXPECT_EQ(print_op(p, p.ops[4]), "c = malloc 0x30");
  EXPECT_EQ(print_heap(p),
            "a = malloc 0x18\nt1: b = malloc 0x20\nt1: free a\nt7: mallopt M_ARENA_MAX 0x2\n"
            "c = malloc 0x30\nt3: free c\n");
  EXPECT_EQ(parse_ok(print_heap(p)), p);
  Program on_t0 = p;
  on_t0.ops[1].thread = 0;
  EXPECT_FALSE(on_t0 == p);
  EXPECT_FALSE(parse_ok("a = malloc 1\nt0: free a\n").uses_threads());
}

TEST(HeapFormat, PrintOpIsOneLine) {
  Program p = parse_ok("a = malloc 24\nwrite8 a -16 protect(a, a+0x10)\n");
  EXPECT_EQ(print_op(p, p.ops[0]), "a = malloc 0x18");
  EXPECT_EQ(print_op(p, p.ops[1]), "write8 a -0x10 protect(a, a+0x10)");
}

// An attack written for safe-linking, as an attacker writes it on a release without it.
TEST(HeapFormat, PlainPointersDropProtect) {
  std::string error;
  auto p = parse_heap(
      "a = malloc 0x18\nb = malloc 0x18\nwrite8 b 0 protect(b, heap+0x2a0)\n"
      "write8 a 0 protect(heap+0x10, a+0x8)\nwrite8 a 8 b+0x10\n",
      "t.heap", &error);
  ASSERT_TRUE(p.has_value()) << error;
  const Program plain = with_plain_pointers(*p);
  EXPECT_EQ(print_op(plain, plain.ops[2]), "write8 b 0x0 heap+0x2a0");
  EXPECT_EQ(print_op(plain, plain.ops[3]), "write8 a 0x0 a+0x8");
  EXPECT_EQ(print_op(plain, plain.ops[4]), "write8 a 0x8 b+0x10");  // not a protect(): kept
}

}  // namespace
}  // namespace heaptwin
