#include "program/op.h"

#include <limits>

namespace heaptwin {

bool Value::operator==(const Value& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kLiteral: return literal == o.literal;
    case Kind::kSlot: return slot == o.slot && delta == o.delta;
    case Kind::kHeap: return delta == o.delta;
    case Kind::kProtect:
      if (pos_is_heap != o.pos_is_heap || delta != o.delta) return false;
      if (!pos_is_heap && slot != o.slot) return false;
      if (target_kind != o.target_kind) return false;
      switch (target_kind) {
        case Kind::kLiteral: return target_literal == o.target_literal;
        case Kind::kSlot: return target_slot == o.target_slot && target_delta == o.target_delta;
        case Kind::kHeap: return target_delta == o.target_delta;
        case Kind::kProtect: return false;  // never nested
      }
  }
  return false;
}

bool Op::operator==(const Op& o) const {
  if (kind != o.kind || thread != o.thread) return false;
  switch (kind) {
    case OpKind::kMalloc:
    case OpKind::kValloc:
    case OpKind::kPvalloc: return dst == o.dst && a == o.a;
    case OpKind::kCalloc:
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign: return dst == o.dst && a == o.a && b == o.b;
    case OpKind::kRealloc: return dst == o.dst && src == o.src && a == o.a;
    case OpKind::kFree:
    case OpKind::kUsableSize: return src == o.src;
    case OpKind::kWrite8: return src == o.src && offset == o.offset && value == o.value;
    case OpKind::kRead8: return dst == o.dst && src == o.src && offset == o.offset;
    case OpKind::kMallopt: return param == o.param && a == o.a;
    case OpKind::kTrim: return a == o.a;
  }
  return false;
}

bool Op::allocates() const {
  switch (kind) {
    case OpKind::kMalloc:
    case OpKind::kCalloc:
    case OpKind::kRealloc:
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign:
    case OpKind::kValloc:
    case OpKind::kPvalloc: return true;
    default: return false;
  }
}

uint64_t Op::promised_alignment() const {
  switch (kind) {
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign: {
      uint64_t rounded = 1;
      while (rounded < alignment() && rounded < (uint64_t{1} << 62)) rounded <<= 1;
      return rounded;
    }
    case OpKind::kValloc:
    case OpKind::kPvalloc: return 4096;
    default: return 16;
  }
}

uint64_t Op::request_bytes() const {
  switch (kind) {
    case OpKind::kMalloc:
    case OpKind::kRealloc:
    case OpKind::kValloc:
    case OpKind::kPvalloc: return bytes();
    case OpKind::kCalloc: {
      uint64_t product;
      if (__builtin_mul_overflow(count(), element_size(), &product))
        return std::numeric_limits<uint64_t>::max();
      return product;
    }
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign: return aligned_bytes();
    default: return 0;
  }
}

bool Program::uses_threads() const {
  for (const Op& op : ops) {
    if (op.thread != 0) return true;
  }
  return false;
}

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kMalloc: return "malloc";
    case OpKind::kCalloc: return "calloc";
    case OpKind::kRealloc: return "realloc";
    case OpKind::kFree: return "free";
    case OpKind::kMemalign: return "memalign";
    case OpKind::kAlignedAlloc: return "aligned_alloc";
    case OpKind::kPosixMemalign: return "posix_memalign";
    case OpKind::kValloc: return "valloc";
    case OpKind::kPvalloc: return "pvalloc";
    case OpKind::kUsableSize: return "malloc_usable_size";
    case OpKind::kWrite8: return "write8";
    case OpKind::kMallopt: return "mallopt";
    case OpKind::kTrim: return "trim";
    case OpKind::kRead8: return "read8";
  }
  return "?";
}

const char* mallopt_name(int32_t param) {
  switch (static_cast<MalloptParam>(param)) {
    case MalloptParam::kMxFast: return "M_MXFAST";
    case MalloptParam::kTrimThreshold: return "M_TRIM_THRESHOLD";
    case MalloptParam::kTopPad: return "M_TOP_PAD";
    case MalloptParam::kMmapThreshold: return "M_MMAP_THRESHOLD";
    case MalloptParam::kMmapMax: return "M_MMAP_MAX";
    case MalloptParam::kCheckAction: return "M_CHECK_ACTION";
    case MalloptParam::kPerturb: return "M_PERTURB";
    case MalloptParam::kArenaTest: return "M_ARENA_TEST";
    case MalloptParam::kArenaMax: return "M_ARENA_MAX";
  }
  return nullptr;
}

Program with_plain_pointers(const Program& program) {
  Program out = program;
  for (Op& op : out.ops) {
    if (op.kind != OpKind::kWrite8 || op.value.kind != Value::Kind::kProtect) continue;
    const Value& p = op.value;
    Value plain;
    plain.kind = p.target_kind;
    plain.slot = p.target_slot;
    plain.delta = p.target_delta;
    plain.literal = p.target_literal;
    op.value = plain;
  }
  return out;
}

}  // namespace heaptwin
