#include "bench/bench_inputs.h"

#include "oracle/comparability.h"

namespace heaptwin::bench {

namespace {

size_t op_count(const std::string& bytes, size_t len, const DecodeOptions& decode) {
  return decode_fuzz(reinterpret_cast<const uint8_t*>(bytes.data()), len, decode).ops.size();
}

}  // namespace

uint64_t requested_bytes(const Program& program) {
  uint64_t total = 0;
  for (const Op& op : program.ops) {
    if (!op.allocates()) continue;
    const uint64_t n = op.request_bytes();
    if (n < (uint64_t{1} << 40)) total += n;  // larger ones are refused at once (ENOMEM)
  }
  return total;
}

std::string random_input(std::mt19937_64& rng, size_t ops, const DecodeOptions& decode,
                         uint64_t budget) {
  auto random_bytes = [&rng](std::string* t, size_t n) {
    for (size_t i = 0; i < n; ++i) t->push_back(static_cast<char>(rng()));
  };
  // Whole ops only: op k starts at s.size(). Format v3 where the target decodes threads (its
  // ops then move between threads; v1 would keep every op on t0).
  std::string s(1, static_cast<char>(decode.allow_threads ? kFuzzFormatV3 : kFuzzFormatV1));
  for (size_t k = 0; k + 1 < ops; ++k) {
    DecodeOptions upto = decode;
    upto.max_ops = k + 2;  // no op is decoded differently for ending the decoding early
    bool kept = false;
    for (int draw = 0; draw < 1000 && !kept; ++draw) {
      std::string t = s;
      random_bytes(&t, 64);  // more than any op takes
      // The new op must start right at s.size(), so that s stays a run of whole ops.
      while (op_count(t, t.size(), upto) < k + 2) random_bytes(&t, 64);
      DecodeOptions one_more = decode;
      one_more.max_ops = k + 1;
      Program p = decode_fuzz(t, one_more);
      if (p.ops.size() != k + 1 || requested_bytes(p) > budget || refused_before_running(p)) {
        continue;
      }
      // The op ends where the next one starts: one byte before the shortest prefix of t that
      // decodes to k+2 ops (the op count grows by at most one per byte: every op starts at a
      // byte of its own).
      size_t lo = s.size() + 2, hi = t.size();
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (op_count(t, mid, upto) >= k + 2) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      s = t.substr(0, lo - 1);
      kept = true;
    }
    if (!kept) return "";
  }
  random_bytes(&s, 1);  // the last op: its first byte
  return s;
}

}  // namespace heaptwin::bench
