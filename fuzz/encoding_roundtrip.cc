// Fuzz target: the byte encoding is total and canonical. Every input decodes to a Program whose
// printed form parses back to it, and encode(decode(x)) is a fixed point after one round.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "program/fuzz_encoding.h"
#include "program/heap_format.h"

namespace {

[[noreturn]] void fail(const char* what, const heaptwin::Program& p) {
  // What was found in one line first (as every finding's report), then the Program.
  std::fprintf(
      stderr,
      "\n==== heaptwin encoding_roundtrip finding: %s\n==== the input as a .heap script:\n%s====\n",
      what, heaptwin::print_heap(p).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  heaptwin::Program p = heaptwin::decode_fuzz(data, size);
  std::string error;
  auto parsed = heaptwin::parse_heap(heaptwin::print_heap(p), "decoded", &error);
  if (!parsed || !(*parsed == p)) fail("decoded program does not print/parse back", p);
  auto once = heaptwin::encode_fuzz(p, &error);
  if (!once) fail("a decoded program cannot be encoded", p);
  heaptwin::Program back = heaptwin::decode_fuzz(*once);
  if (!(back == p)) fail("decode(encode(p)) != p", p);
  auto twice = heaptwin::encode_fuzz(back, &error);
  if (!twice || *twice != *once) fail("encoding is not canonical", p);
  return 0;
}
