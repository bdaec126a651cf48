// The heap checker: every invariant glibc's MALLOC_DEBUG do_check_* functions assert, and more,
// checked over any ptmalloc heap through a MemoryReader (the twin's memory, or real glibc's inside
// the runner). It only reads, bounds every walk and never trusts a pointer before reading it, so a
// corrupted heap yields violations, never a crash or a hang.
//
// This is the C++ face of the checker; the checker itself is freestanding (oracle/check/), so
// the drop-in library can run it inside the program it checks. check_heap is the full check,
// whose cost grows with the heap; oracle/heap_check_incremental.h checks after each op only
// what the op touched.
//
// Every rule has a stable id ("bin.fd_bk_mismatch"); check_rules() lists them with what they mean.
// The rules hold on real glibc 2.36 after every op of every golden scenario (a rule that real
// glibc breaks is a wrong rule).
#ifndef HEAPTWIN_ORACLE_HEAP_CHECK_H_
#define HEAPTWIN_ORACLE_HEAP_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "oracle/check/types.h"
#include "oracle/heap_view.h"
#include "oracle/memory_reader.h"

namespace heaptwin {

struct Violation {
  std::string rule;       // stable id, e.g. "bin.fd_bk_mismatch"
  std::string message;    // one sentence, addresses as heap offsets
  int64_t op_index = -1;  // the op after which it was seen; filled by the caller
  int64_t chunk = -1;     // chunk start - heap base; -1 when the rule is not about one chunk
  uint64_t chunk_size = 0;
  std::string bin;  // "tcachebins[0x20]", "fastbins[0x30]", "unsortedbin", "smallbins[0x90]",
                    // "largebins[0x400-0x430]"; empty when no bin is involved
};

// "op 3: bin.fd_bk_mismatch at chunk heap+0x2a0 (size 0x90) in smallbins[0x90]: <message>".
std::string to_string(const Violation& v);

struct CheckRule {
  const char* id;
  const char* meaning;  // one line, for `heaptwin check --rules` and the docs
};
// Every rule the checker knows, in the order it checks them.
const std::vector<CheckRule>& check_rules();

struct CheckOptions {
  size_t max_violations = 32;  // stop collecting after this many
};

// Every violation found (empty: the heap is sound). A heap that does not exist yet (no malloc
// so far) is sound.
std::vector<Violation> check_heap(const MemoryReader& mem, const HeapLocation& loc,
                                  const GlibcLayout& layout, const CheckOptions& options = {});

// pwndbg's name for the bin that holds chunks of `size` in the regular bins (index 1..126), the
// fastbins (index 0..9) and the tcache (index 0..63).
std::string regular_bin_name(int index);
std::string fastbin_name(int index);
std::string tcache_bin_name(int index);
// glibc's bin_index(size) for the regular bins (small: size >> 4; large: largebin_index_64).
int bin_index_for_size(uint64_t size);

// Between this API and the freestanding checker (oracle/check/).
check::Layout check_layout(const GlibcLayout& layout);
Violation violation_of(const check::Finding& f, uint64_t heap_base);
// A MemoryReader seen as the checker's Reader.
class CheckReader : public check::Reader {
 public:
  explicit CheckReader(const MemoryReader& mem) : mem_(mem) {}
  bool read(uint64_t addr, void* out, size_t n) const override { return mem_.read(addr, out, n); }

 private:
  const MemoryReader& mem_;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_HEAP_CHECK_H_
