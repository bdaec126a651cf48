#include "oracle/block_invariants.h"
#include "program/hex.h"

#include <array>
#include <cstdio>
#include <cstring>

namespace heaptwin {

namespace {

constexpr uint64_t kWholeBlock = BlockInvariants::kWholeBlock;
constexpr uint64_t kEnd = BlockInvariants::kEnd;

struct Range {
  uint64_t lo, hi;  // offsets into the block
};

// The sampled offsets of a block of n bytes: one range or two.
int sampled(uint64_t n, Range out[2]) {
  if (n <= kWholeBlock) {
    out[0] = {0, n};
    return 1;
  }
  out[0] = {0, kEnd};
  out[1] = {n - kEnd, n};
  return 2;
}

unsigned char pattern_byte(size_t op, uint64_t offset) {
  // Differs from op to op and along the block; never the same for two neighbouring offsets.
  return static_cast<unsigned char>((offset * 0x9d) ^ (op * 0x3b) ^ 0x5a ^ (offset >> 8));
}

// The same pattern eight bytes at a time (x86_64: little endian). In a stretch of 256 offsets
// from a multiple of 256, offset >> 8 is one value: the pattern there is the op-independent
// column (offset * 0x9d) & 0xff (32 words) xored with one byte repeated. The loops below go a
// stretch at a time: whole words inside it, single bytes at ragged ends.
constexpr std::array<uint64_t, 32> multiplier_column() {
  std::array<uint64_t, 32> words{};
  for (uint64_t w = 0; w < 32; ++w) {
    for (uint64_t j = 0; j < 8; ++j) words[w] |= (((8 * w + j) * 0x9d) & 0xff) << (8 * j);
  }
  return words;
}
constexpr std::array<uint64_t, 32> kColumn = multiplier_column();
constexpr uint64_t kEveryByte = 0x0101010101010101ull;

// What one stretch should hold.
struct Stretch {
  uint64_t xor_word;  // the byte the column is xored with, repeated
  uint64_t mask;      // all ones; zero where the block should hold zeros

  uint64_t word(uint64_t off) const { return (kColumn[(off & 0xff) / 8] ^ xor_word) & mask; }
  unsigned char byte(uint64_t off) const {
    return static_cast<unsigned char>(word(off & ~uint64_t{7}) >> (8 * (off & 7)));
  }
};

// What the sampled bytes of a block should hold: the pattern of an op, or zeros (calloc).
class Expected {
 public:
  static Expected pattern_of(size_t op) { return Expected(op, ~uint64_t{0}); }
  static Expected zeros() { return Expected(0, 0); }
  // The stretch that holds `off`.
  Stretch at(uint64_t off) const {
    const uint64_t k = static_cast<unsigned char>((op_ * 0x3b) ^ 0x5a ^ (off >> 8));
    return Stretch{k * kEveryByte, mask_};
  }

 private:
  Expected(size_t op, uint64_t mask) : op_(op), mask_(mask) {}
  size_t op_;
  uint64_t mask_;
};

// A whole stretch of the pattern (`xor_word` as in Stretch) at `out`, and the same as a check:
// fixed-length loops over the column, which the compiler turns into vector code.
void fill_whole_stretch(unsigned char* __restrict out, uint64_t xor_word) {
  for (size_t w = 0; w < kColumn.size(); ++w) {
    const uint64_t v = kColumn[w] ^ xor_word;
    std::memcpy(out + 8 * w, &v, sizeof v);
  }
}
bool whole_stretch_differs(const unsigned char* in, const Stretch& s) {
  uint64_t d = 0;
  for (size_t w = 0; w < kColumn.size(); ++w) {
    uint64_t v;
    std::memcpy(&v, in + 8 * w, sizeof v);
    d |= v ^ ((kColumn[w] ^ s.xor_word) & s.mask);
  }
  return d != 0;
}

// The end of the stretch that holds `off`, or hi when that comes first.
uint64_t stretch_end(uint64_t off, uint64_t hi) {
  const uint64_t end = (off | 0xff) + 1;
  return end < hi ? end : hi;
}

const unsigned char* bytes(uint64_t addr) { return reinterpret_cast<const unsigned char*>(addr); }

uint64_t load_word(uint64_t addr) {
  uint64_t w;
  std::memcpy(&w, reinterpret_cast<const void*>(addr), sizeof w);
  return w;
}

// The first offset in [lo, hi) where the block at p differs from `e`, or hi.
uint64_t first_difference(uint64_t p, uint64_t lo, uint64_t hi, const Expected& e) {
  for (uint64_t off = lo; off < hi;) {
    const uint64_t end = stretch_end(off, hi);
    const Stretch s = e.at(off);
    for (; off < end && off % 8 != 0; ++off) {
      if (bytes(p)[off] != s.byte(off)) return off;
    }
    if (off % 256 == 0 && end - off == 256 && !whole_stretch_differs(bytes(p) + off, s)) {
      off = end;
      continue;
    }
    for (; off + 32 <= end; off += 32) {  // four words, one branch; a difference: see below
      const uint64_t d = (load_word(p + off) ^ s.word(off)) |
                         (load_word(p + off + 8) ^ s.word(off + 8)) |
                         (load_word(p + off + 16) ^ s.word(off + 16)) |
                         (load_word(p + off + 24) ^ s.word(off + 24));
      if (d != 0) break;
    }
    for (; off + 8 <= end; off += 8) {
      const uint64_t d = load_word(p + off) ^ s.word(off);
      if (d != 0) return off + static_cast<uint64_t>(__builtin_ctzll(d)) / 8;
    }
    for (; off < end; ++off) {
      if (bytes(p)[off] != s.byte(off)) return off;
    }
  }
  return hi;
}

// Writes the pattern of `op` over [lo, hi) of the block at p, the same way.
void fill(uint64_t p, uint64_t lo, uint64_t hi, size_t op) {
  const Expected e = Expected::pattern_of(op);
  auto* out = reinterpret_cast<unsigned char*>(p);
  for (uint64_t off = lo; off < hi;) {
    const uint64_t end = stretch_end(off, hi);
    const Stretch s = e.at(off);
    for (; off < end && off % 8 != 0; ++off) out[off] = s.byte(off);
    if (off % 256 == 0 && end - off == 256) {
      fill_whole_stretch(out + off, s.xor_word);
      off = end;
      continue;
    }
    for (; off + 8 <= end; off += 8) {
      const uint64_t w = s.word(off);
      std::memcpy(out + off, &w, sizeof w);
    }
    for (; off < end; ++off) out[off] = s.byte(off);
  }
}

}  // namespace

void BlockInvariants::reset(bool contents) {
  blocks_.clear();
  active_ = true;
  contents_ = contents;
  have_pending_ = false;
}

void BlockInvariants::write_pattern(uint64_t p, uint64_t n, size_t op) const {
  if (!contents_) return;
  Range r[2];
  const int count = sampled(n, r);
  for (int k = 0; k < count; ++k) fill(p, r[k].lo, r[k].hi, op);
}

std::string BlockInvariants::check_pattern(uint64_t p, uint64_t n, size_t op,
                                           const char* when) const {
  if (!contents_) return {};
  Range r[2];
  const int count = sampled(n, r);
  const Expected e = Expected::pattern_of(op);
  for (int k = 0; k < count; ++k) {
    const uint64_t off = first_difference(p, r[k].lo, r[k].hi, e);
    if (off == r[k].hi) continue;
    return "block.contents_changed: byte " + hex(off) + " of the block at " + hex(p) +
           " (written by op " + std::to_string(op) + ") changed " + when + ": " +
           hex(bytes(p)[off]) + " instead of " + hex(pattern_byte(op, off)) + ".";
  }
  return {};
}

std::string BlockInvariants::check_zeroed(uint64_t p, uint64_t n) const {
  Range r[2];
  const int count = sampled(n, r);
  for (int k = 0; k < count; ++k) {
    const uint64_t off = first_difference(p, r[k].lo, r[k].hi, Expected::zeros());
    if (off == r[k].hi) continue;
    return "block.calloc_not_zero: byte " + hex(off) + " of the calloc block at " + hex(p) +
           " is " + hex(bytes(p)[off]) + ".";
  }
  return {};
}

// The old contents, up to the smaller size (`kept`), at the same offsets of the new block.
std::string BlockInvariants::check_carried(uint64_t old, uint64_t new_p, const Block& was,
                                           uint64_t kept) const {
  Range r[2];
  const int count = sampled(was.request, r);
  const Expected e = Expected::pattern_of(was.op);
  for (int k = 0; k < count; ++k) {
    const uint64_t hi = r[k].hi < kept ? r[k].hi : kept;
    if (r[k].lo >= hi) continue;
    const uint64_t off = first_difference(new_p, r[k].lo, hi, e);
    if (off == hi) continue;
    return "block.realloc_lost_contents: byte " + hex(off) + " of the block realloc moved from " +
           hex(old) + " to " + hex(new_p) + " is " + hex(bytes(new_p)[off]) + " instead of " +
           hex(pattern_byte(was.op, off)) + ".";
  }
  return {};
}

std::string BlockInvariants::add(size_t op, uint64_t p, uint64_t request) {
  const uint64_t end = p + request;
  const auto near = blocks_.around(p);
  // The first live block at or after p starts before end: they overlap.
  if (near.at_or_above && near.at_or_above->key < end) {
    return "block.overlap: the new block [" + hex(p) + ", " + hex(end) +
           ") overlaps the live block at " + hex(near.at_or_above->key) + " (op " +
           std::to_string(near.at_or_above->value.op) + ").";
  }
  if (near.below && near.below->value.end > p) {
    return "block.overlap: the new block at " + hex(p) + " lies inside the live block [" +
           hex(near.below->key) + ", " + hex(near.below->value.end) + ") (op " +
           std::to_string(near.below->value.op) + ").";
  }
  if (near.at_or_above && near.at_or_above->key == p) {
    blocks_.insert_or_assign(p, {end, request, op});  // an empty block where one was: replaced
  } else {
    blocks_.insert_at(near, p, {end, request, op});
  }
  return {};
}

std::string BlockInvariants::on_allocated(size_t op, uint64_t p, uint64_t request,
                                          uint64_t alignment, uint64_t usable, bool zeroed) {
  if (!active_ || p == 0) return {};
  const uint64_t align = alignment > 16 ? alignment : 16;
  if (p % align != 0) {
    return "block.misaligned: " + hex(p) + " is not a multiple of " + hex(align) + ".";
  }
  if (usable < request) {
    return "block.too_small: the block at " + hex(p) + " offers " + hex(usable) +
           " usable bytes for a request of " + hex(request) + ".";
  }
  if (request != 0 && !owns_(p, request)) {
    return "block.not_owned: [" + hex(p) + ", " + hex(p + request) +
           ") is not in the heap or a mapping.";
  }
  if (std::string broken = add(op, p, request); !broken.empty()) return broken;
  if (zeroed) {
    if (std::string broken = check_zeroed(p, request); !broken.empty()) return broken;
  }
  write_pattern(p, request, op);
  return {};
}

std::string BlockInvariants::before_free(uint64_t p) {
  if (!active_ || p == 0) return {};
  const Block* b = blocks_.find(p);
  if (!b) {
    stop();  // a double free or a foreign pointer: the Program means it
    return {};
  }
  std::string broken = check_pattern(p, b->request, b->op, "before free");
  blocks_.erase(p);
  return broken;
}

std::string BlockInvariants::before_realloc(uint64_t old) {
  have_pending_ = false;
  if (!active_ || old == 0) return {};
  const Block* b = blocks_.find(old);
  if (!b) {
    stop();
    return {};
  }
  std::string broken = check_pattern(old, b->request, b->op, "before realloc");
  pending_ = *b;
  have_pending_ = true;
  blocks_.erase(old);
  return broken;
}

std::string BlockInvariants::after_realloc(size_t op, uint64_t old, uint64_t new_p,
                                           uint64_t request, uint64_t usable) {
  if (!active_) return {};
  if (!have_pending_) return on_allocated(op, new_p, request, 0, usable, false);  // realloc(NULL)
  have_pending_ = false;
  const Block was = pending_;
  if (new_p == 0) {
    // realloc(p, 0) freed it; a failed realloc left it as it was.
    if (request != 0) blocks_.insert_or_assign(old, was);
    return {};
  }
  if (!contents_) return on_allocated(op, new_p, request, 0, usable, false);
  const uint64_t kept = was.request < request ? was.request : request;
  if (std::string lost = check_carried(old, new_p, was, kept); !lost.empty()) return lost;
  return on_allocated(op, new_p, request, 0, usable, false);
}

}  // namespace heaptwin
