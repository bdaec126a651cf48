// Where libc's malloc objects live: main_arena, mp_, tcache_key, __malloc_initialized,
// perturb_byte and global_max_fast. The twin side lays them out in its simulated libc data at the
// distances and page offsets the release's libc has them (oracle/twin_side.cc, GlibcLayout::libc);
// allocator tests and benches use one LibcData block (2.36's distances); the drop-in library puts each at the
// address of that symbol in the libc the process loaded, so a leaked bin address gives the real
// libc base and a write through an address derived from it lands where it would under glibc.
#ifndef HEAPTWIN_ALLOCATOR_LIBC_OBJECTS_H_
#define HEAPTWIN_ALLOCATOR_LIBC_OBJECTS_H_

#include <cstdint>

#include "allocator/layout.h"

namespace heaptwin::alloc {

struct LibcObjects {
  MallocPar* mp = nullptr;
  MallocState* main_arena = nullptr;
  uint64_t* tcache_key = nullptr;
  uint8_t* malloc_initialized = nullptr;
  int32_t* perturb_byte = nullptr;
  uint64_t* global_max_fast = nullptr;

  // Every object inside `block`.
  static LibcObjects in(LibcData* block) {
    LibcObjects o;
    o.mp = &block->mp_;
    o.main_arena = &block->main_arena;
    o.tcache_key = &block->tcache_key;
    o.malloc_initialized = &block->malloc_initialized;
    o.perturb_byte = &block->perturb_byte;
    o.global_max_fast = &block->global_max_fast;
    return o;
  }

  // The lowest address of any object and the end of the highest: the range the allocator reads
  // as libc's data (bin heads are chunks inside main_arena).
  uint64_t lowest() const {
    uint64_t lo = ~uint64_t{0};
    each([&lo](uint64_t at, uint64_t) { lo = at < lo ? at : lo; });
    return lo;
  }
  uint64_t end() const {
    uint64_t hi = 0;
    each([&hi](uint64_t at, uint64_t bytes) { hi = at + bytes > hi ? at + bytes : hi; });
    return hi;
  }

  // fn(address, bytes) for each object.
  template <typename Fn>
  void each(Fn fn) const {
    fn(address(mp), sizeof *mp);
    fn(address(main_arena), sizeof *main_arena);
    fn(address(tcache_key), sizeof *tcache_key);
    fn(address(malloc_initialized), sizeof *malloc_initialized);
    fn(address(perturb_byte), sizeof *perturb_byte);
    fn(address(global_max_fast), sizeof *global_max_fast);
  }

 private:
  template <typename T>
  static uint64_t address(T* p) { return reinterpret_cast<uint64_t>(p); }
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_LIBC_OBJECTS_H_
