// A fixed-size text buffer for the checker's messages: the freestanding stand-in for the string
// concatenation the messages were first written with. Text that does not fit is cut.
#ifndef HEAPTWIN_ORACLE_CHECK_TEXT_H_
#define HEAPTWIN_ORACLE_CHECK_TEXT_H_

#include <cstddef>
#include <cstdint>

#include "oracle/check/types.h"

namespace heaptwin::check {

class Text {
 public:
  Text(char* buf, size_t capacity) : buf_(buf), cap_(capacity) {
    if (cap_ > 0) buf_[0] = '\0';
  }
  Text& add(const char* s);
  Text& add(char c);
  Text& hex(uint64_t v);  // "0x2a0"
  Text& dec(uint64_t v);
  const char* c_str() const { return buf_; }
  size_t size() const { return n_; }

 private:
  char* buf_;
  size_t cap_;
  size_t n_ = 0;
};

// "heap+0x2a0" inside [heap_base, heap_end], else the raw address.
void add_at(Text* t, const Where& where, uint64_t addr);
// One finding as a report line: "op 3: bin.fd_bk_mismatch at chunk heap+0x2a0 (size 0x90) in
// smallbins[0x90]: <message>" (op_index < 0: no "op N: "); oracle/heap_check.h's to_string.
void add_finding(Text* t, const Finding& f, uint64_t heap_base, int64_t op_index);

// pwndbg's names: "unsortedbin", "smallbins[0x90]", "largebins[0x400-0x430]", "fastbins[0x20]",
// "tcachebins[0x20]"; nothing for BinKind::kNone.
void add_bin_name(Text* t, BinId bin);

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_TEXT_H_
