#include "oracle/check/text.h"

namespace heaptwin::check {

Text& Text::add(const char* s) {
  while (*s != '\0' && n_ + 1 < cap_) buf_[n_++] = *s++;
  if (cap_ > 0) buf_[n_] = '\0';
  return *this;
}

Text& Text::add(char c) {
  const char s[2] = {c, '\0'};
  return add(s);
}

Text& Text::hex(uint64_t v) {
  char s[20];
  int n = 0;
  do {
    s[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  char out[24] = {'0', 'x'};
  for (int i = 0; i < n; ++i) out[2 + i] = s[n - 1 - i];
  out[2 + n] = '\0';
  return add(out);
}

Text& Text::dec(uint64_t v) {
  char s[24];
  int n = 0;
  do {
    s[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  char out[24];
  for (int i = 0; i < n; ++i) out[i] = s[n - 1 - i];
  out[n] = '\0';
  return add(out);
}

void add_at(Text* t, const Where& where, uint64_t addr) {
  if (addr >= where.heap_base && addr <= where.heap_end) {
    t->add("heap+").hex(addr - where.heap_base);
  } else {
    t->hex(addr);
  }
}

int bin_index_for_size(uint64_t sz) {
  if (sz < kMinLargeSize) return static_cast<int>(sz >> 4);
  if ((sz >> 6) <= 48) return static_cast<int>(48 + (sz >> 6));
  if ((sz >> 9) <= 20) return static_cast<int>(91 + (sz >> 9));
  if ((sz >> 12) <= 10) return static_cast<int>(110 + (sz >> 12));
  if ((sz >> 15) <= 4) return static_cast<int>(119 + (sz >> 15));
  if ((sz >> 18) <= 2) return static_cast<int>(124 + (sz >> 18));
  return 126;
}

uint64_t large_bin_start(int i) {
  // bin_index_for_size is monotonic: the smallest multiple of 16 whose index reaches i.
  uint64_t lo = kMinLargeSize >> 4, hi = uint64_t{1} << 36;  // in units of 16 bytes
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (bin_index_for_size(mid << 4) >= i) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo << 4;
}

void add_finding(Text* t, const Finding& f, uint64_t heap_base, int64_t op_index) {
  if (op_index >= 0) t->add("op ").dec(static_cast<uint64_t>(op_index)).add(": ");
  t->add(f.rule);
  if (f.chunk != 0) {
    t->add(" at chunk heap+").hex(f.chunk - heap_base);
    if (f.chunk_size != 0) t->add(" (size ").hex(f.chunk_size).add(")");
  }
  if (f.bin.kind != BinKind::kNone) {
    t->add(" in ");
    add_bin_name(t, f.bin);
  }
  t->add(": ").add(f.message);
}

void add_bin_name(Text* t, BinId b) {
  switch (b.kind) {
    case BinKind::kNone: return;
    case BinKind::kRegular:
      if (b.index == 1) {
        t->add("unsortedbin");
      } else if (b.index >= 2 && b.index < 64) {
        t->add("smallbins[").hex(static_cast<uint64_t>(b.index) << 4).add("]");
      } else if (b.index >= 64 && b.index < kBins - 1) {
        t->add("largebins[").hex(large_bin_start(b.index));
        if (b.index == kBins - 2) {
          t->add("+]");
        } else {
          t->add("-").hex(large_bin_start(b.index + 1) - 0x10).add("]");
        }
      } else {
        t->add("bins[").dec(static_cast<uint64_t>(b.index)).add("]");
      }
      return;
    case BinKind::kFast:
      t->add("fastbins[").hex(static_cast<uint64_t>(b.index + 2) << 4).add("]");
      return;
    case BinKind::kTcache:
      t->add("tcachebins[").hex(tcache_bin_first_size(b.index));
      if (b.index >= 64) t->add("-").hex(tcache_bin_last_size(b.index));  // a large bin
      t->add("]");
      return;
  }
}

}  // namespace heaptwin::check
