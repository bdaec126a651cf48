#include "oracle/block_invariants.h"

#include <cstdio>

namespace heaptwin {

namespace {

// Blocks up to this size are written and checked whole; bigger ones at both ends (a huge mapped
// block would otherwise cost its size in time, and in memory once written).
constexpr uint64_t kWholeBlock = 1024;
constexpr uint64_t kEnd = kWholeBlock / 2;

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

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

const unsigned char* bytes(uint64_t addr) { return reinterpret_cast<const unsigned char*>(addr); }

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
  for (int k = 0; k < count; ++k) {
    auto* out = reinterpret_cast<unsigned char*>(p);
    for (uint64_t off = r[k].lo; off < r[k].hi; ++off) out[off] = pattern_byte(op, off);
  }
}

std::string BlockInvariants::check_pattern(uint64_t p, uint64_t n, size_t op,
                                           const char* when) const {
  if (!contents_) return "";
  Range r[2];
  const int count = sampled(n, r);
  for (int k = 0; k < count; ++k) {
    for (uint64_t off = r[k].lo; off < r[k].hi; ++off) {
      if (bytes(p)[off] != pattern_byte(op, off)) {
        return "block.contents_changed: byte " + hex(off) + " of the block at " + hex(p) +
               " (written by op " + std::to_string(op) + ") changed " + when + ": " +
               hex(bytes(p)[off]) + " instead of " + hex(pattern_byte(op, off)) + ".";
      }
    }
  }
  return "";
}

std::string BlockInvariants::add(size_t op, uint64_t p, uint64_t request) {
  const uint64_t end = p + request;
  // The first live block that ends after p starts before end: they overlap.
  auto next = blocks_.lower_bound(p);
  if (next != blocks_.end() && next->first < end) {
    return "block.overlap: the new block [" + hex(p) + ", " + hex(end) +
           ") overlaps the live block at " + hex(next->first) + " (op " +
           std::to_string(next->second.op) + ").";
  }
  if (next != blocks_.begin()) {
    auto prev = std::prev(next);
    if (prev->second.end > p) {
      return "block.overlap: the new block at " + hex(p) + " lies inside the live block [" +
             hex(prev->first) + ", " + hex(prev->second.end) + ") (op " +
             std::to_string(prev->second.op) + ").";
    }
  }
  blocks_[p] = {end, request, op};
  return "";
}

std::string BlockInvariants::on_allocated(size_t op, uint64_t p, uint64_t request,
                                          uint64_t alignment, uint64_t usable, bool zeroed) {
  if (!active_ || p == 0) return "";
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
    Range r[2];
    const int count = sampled(request, r);
    for (int k = 0; k < count; ++k) {
      for (uint64_t off = r[k].lo; off < r[k].hi; ++off) {
        if (bytes(p)[off] != 0) {
          return "block.calloc_not_zero: byte " + hex(off) + " of the calloc block at " + hex(p) +
                 " is " + hex(bytes(p)[off]) + ".";
        }
      }
    }
  }
  write_pattern(p, request, op);
  return "";
}

std::string BlockInvariants::before_free(uint64_t p) {
  if (!active_ || p == 0) return "";
  auto it = blocks_.find(p);
  if (it == blocks_.end()) {
    stop();  // a double free or a foreign pointer: the Program means it
    return "";
  }
  std::string broken = check_pattern(p, it->second.request, it->second.op, "before free");
  blocks_.erase(it);
  return broken;
}

std::string BlockInvariants::before_realloc(uint64_t old) {
  have_pending_ = false;
  if (!active_ || old == 0) return "";
  auto it = blocks_.find(old);
  if (it == blocks_.end()) {
    stop();
    return "";
  }
  std::string broken = check_pattern(old, it->second.request, it->second.op, "before realloc");
  pending_ = it->second;
  have_pending_ = true;
  blocks_.erase(it);
  return broken;
}

std::string BlockInvariants::after_realloc(size_t op, uint64_t old, uint64_t new_p,
                                           uint64_t request, uint64_t usable) {
  if (!active_) return "";
  if (!have_pending_) return on_allocated(op, new_p, request, 0, usable, false);  // realloc(NULL)
  have_pending_ = false;
  const Block was = pending_;
  if (new_p == 0) {
    // realloc(p, 0) freed it; a failed realloc left it as it was.
    if (request != 0) blocks_[old] = was;
    return "";
  }
  // The old contents, up to the smaller size, at the same offsets of the new block.
  if (!contents_) return on_allocated(op, new_p, request, 0, usable, false);
  const uint64_t kept = was.request < request ? was.request : request;
  Range r[2];
  const int count = sampled(was.request, r);
  for (int k = 0; k < count; ++k) {
    for (uint64_t off = r[k].lo; off < r[k].hi && off < kept; ++off) {
      if (bytes(new_p)[off] != pattern_byte(was.op, off)) {
        return "block.realloc_lost_contents: byte " + hex(off) + " of the block realloc moved from " +
               hex(old) + " to " + hex(new_p) + " is " + hex(bytes(new_p)[off]) + " instead of " +
               hex(pattern_byte(was.op, off)) + ".";
      }
    }
  }
  return on_allocated(op, new_p, request, 0, usable, false);
}

}  // namespace heaptwin
