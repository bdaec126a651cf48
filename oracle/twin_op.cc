#include "oracle/twin_op.h"

#include <cstring>

namespace heaptwin {

void TwinOp::execute(const Op& op, RawResult* r) {
  alloc::Allocator& twin = *this->twin;
  std::vector<alloc::Addr>& held = *slots;
  twin.clear_errno();
  switch (op.kind) {
    case OpKind::kMalloc: r->pointer = twin.malloc(op.bytes()).raw(); break;
    case OpKind::kCalloc: r->pointer = twin.calloc(op.count(), op.element_size()).raw(); break;
    case OpKind::kRealloc:
      *realloc_source = held[op.src];
      r->pointer = twin.realloc(alloc::UserAddr{held[op.src]}, op.bytes()).raw();
      break;
    case OpKind::kMemalign:
      r->pointer = twin.memalign(op.alignment(), op.aligned_bytes()).raw();
      break;
    case OpKind::kAlignedAlloc:
      r->pointer = twin.aligned_alloc(op.alignment(), op.aligned_bytes()).raw();
      break;
    case OpKind::kPosixMemalign: {
      alloc::UserAddr p = 0;
      int e = twin.posix_memalign(&p, op.alignment(), op.aligned_bytes());
      r->allocates = true;
      r->pointer = e == 0 ? p.raw() : 0;
      r->error = e;
      r->value = static_cast<uint64_t>(e);
      held[op.dst] = r->pointer;
      return;
    }
    case OpKind::kValloc: r->pointer = twin.valloc(op.bytes()).raw(); break;
    case OpKind::kPvalloc: r->pointer = twin.pvalloc(op.bytes()).raw(); break;
    case OpKind::kFree: twin.free(alloc::UserAddr{held[op.src]}); return;
    case OpKind::kUsableSize:
      r->value = twin.malloc_usable_size(alloc::UserAddr{held[op.src]});
      return;
    case OpKind::kMallopt:
      r->value =
          static_cast<uint64_t>(static_cast<int64_t>(twin.mallopt(op.param, op.mallopt_value())));
      return;
    case OpKind::kTrim:
      r->value = static_cast<uint64_t>(static_cast<int64_t>(twin.malloc_trim(op.pad())));
      return;
    case OpKind::kWrite8: {
      uint64_t value = resolve_value(op.value);
      alloc::Addr at = held[op.src] + static_cast<uint64_t>(op.offset);
      check_program_access(at);
      std::memcpy(reinterpret_cast<void*>(at), &value, 8);
      memory->note_written(at, 8);  // the next Program's memory is cleared there
      return;
    }
    case OpKind::kRead8: {
      const alloc::Addr at = held[op.src] + static_cast<uint64_t>(op.offset);
      check_program_access(at);
      std::memcpy(&r->value, reinterpret_cast<const void*>(at), 8);
      r->read_at = at;
      held[op.dst] = r->value;
      return;
    }
    default: r->unsupported = true; return;
  }
  r->allocates = true;
  r->error = twin.last_errno();
  held[op.dst] = r->pointer;
}

void TwinOp::check_program_access(alloc::Addr at) const {
  if (memory->owns_heap_or_mapping(at, 8)) return;
  if (at >= arena && at - arena <= arena_bytes - 8) return;
  if (memory->owns(at, 1) || memory->owns(at + 7, 1)) {
    alloc::report_unmodelled(fatal, "the Program reads or writes libc's data outside main_arena");
  }
  alloc::report_fault(fatal, at);
}

uint64_t TwinOp::address_of(Value::Kind kind, SlotId slot, int64_t delta, uint64_t literal) const {
  switch (kind) {
    case Value::Kind::kSlot: return (*slots)[slot] + static_cast<uint64_t>(delta);
    case Value::Kind::kHeap: return heap_base + static_cast<uint64_t>(delta);
    default: return literal;
  }
}

uint64_t TwinOp::resolve_value(const Value& v) const {
  if (v.kind != Value::Kind::kProtect) return address_of(v.kind, v.slot, v.delta, v.literal);
  uint64_t pos = (v.pos_is_heap ? heap_base : (*slots)[v.slot]) + static_cast<uint64_t>(v.delta);
  uint64_t target = address_of(v.target_kind, v.target_slot, v.target_delta, v.target_literal);
  return (pos >> 12) ^ target;
}

}  // namespace heaptwin
