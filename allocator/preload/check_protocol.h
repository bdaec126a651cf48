// `heaptwin exec --check`: after every malloc-family call the library sends where the heap is to
// the heaptwin process that started it and waits for its verdict. heaptwin reads this process's
// memory (process_vm_readv), runs the heap checker (oracle/heap_check.h) and answers kCheckOk,
// or prints the violations and answers kCheckFailed, on which the library aborts. The checker
// itself needs the C++ library, which the preload library must not load (its start-up
// allocation would shift every address); so it runs outside.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_

#include <cstdint>

namespace heaptwin::preload {

inline constexpr uint64_t kCheckMagic = 0x6b63656877697468ull;  // "htwihcek"
inline constexpr char kCheckOk = 'k';
inline constexpr char kCheckFailed = 'x';

struct CheckRequest {
  uint64_t magic = kCheckMagic;
  uint64_t op_index = 0;         // this call's number: malloc-family calls so far, this one included
  uint64_t heap_base = 0;        // mp_.sbrk_base, or sbrk(0) while there is no heap
  uint64_t heap_end = 0;         // sbrk(0)
  uint64_t arena = 0;            // &main_arena
  uint64_t mp = 0;               // &mp_
  uint64_t global_max_fast = 0;  // &global_max_fast
  uint64_t tcache = 0;           // the tcache struct (user pointer), 0 before the first malloc
  char call[32] = {};            // "malloc 0x18" (truncated)
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_
