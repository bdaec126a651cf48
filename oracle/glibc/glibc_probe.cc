#include "oracle/glibc/glibc_probe.h"

#include "oracle/glibc/glibc_snapshots.h"
#include "oracle/glibc/libc_symbols.h"

namespace heaptwin {

Program ArenaProbe::program() {
  Program p;
  SlotId a = p.intern("a"), g = p.intern("g");
  Op op;
  op.kind = OpKind::kMalloc;
  op.dst = a;
  op.a = 0x500;
  p.ops.push_back(op);
  op.dst = g;
  op.a = 0x18;
  p.ops.push_back(op);
  Op f;
  f.kind = OpKind::kFree;
  f.src = a;
  p.ops.push_back(f);
  Op m;
  m.kind = OpKind::kMallopt;
  m.param = static_cast<int32_t>(MalloptParam::kMxFast);
  m.a = 0x48;
  p.ops.push_back(m);
  return p;
}

bool ArenaProbe::read_data(pid_t child, std::vector<uint64_t>* words) {
  if (data_start_ == 0 && !find_libc_data(child, &data_start_, &data_end_)) return false;
  words->assign((data_end_ - data_start_) / 8, 0);
  ChildMemory mem(child, 0, 0);
  return mem.read(data_start_, words->data(), words->size() * 8);
}

void ArenaProbe::step(pid_t child, size_t index, uint64_t pointer, uint64_t heap_base) {
  if (!error_.empty()) return;
  ChildMemory mem(child, 0, 0);
  if (index == 0) chunk_user_ = pointer;
  if (index == 2) {
    uint64_t fd = 0, bk = 0;
    if (!mem.read_u64(chunk_user_, &fd) || !mem.read_u64(chunk_user_ + 8, &bk) || fd != bk) {
      error_ = "the freed chunk's fd/bk do not point at one bin head";
      return;
    }
    arena_ = fd - (layout_.bins - 0x10);
    if (!read_data(child, &before_)) error_ = "libc's data not readable";
  }
  if (index == 3) {
    std::vector<uint64_t> after;
    if (!read_data(child, &after) || after.size() != before_.size()) {
      error_ = "libc's data not readable";
      return;
    }
    find_words(after, heap_base);
  }
}

void ArenaProbe::find_words(const std::vector<uint64_t>& after, uint64_t heap_base) {
  for (size_t i = 0; i < after.size(); ++i) {
    uint64_t addr = data_start_ + 8 * i;
    if (after[i] == 0x50 && before_[i] != 0x50 && before_[i] <= 0xb0) {
      max_fast_ = max_fast_ ? 1 : addr;  // 1: ambiguous
    }
    uint64_t sbrk_at = 8 * i + layout_.mp_sbrk_base, bins_at = 8 * i + layout_.mp_tcache_bins;
    if (bins_at + 8 <= after.size() * 8 && after[sbrk_at / 8] == heap_base &&
        after[bins_at / 8] <= kTcacheBins && after[i] >= 0x1000 /* trim_threshold */) {
      mp_ = mp_ ? 1 : addr;
    }
  }
  if (max_fast_ == 1 || mp_ == 1) {
    error_ = "more than one candidate for mp_ or global_max_fast";
    max_fast_ = mp_ = 0;
  }
}

}  // namespace heaptwin
