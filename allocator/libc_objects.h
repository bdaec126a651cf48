// Where libc's malloc objects live: main_arena, mp_, tcache_key, __malloc_initialized,
// perturb_byte and global_max_fast. The twin side lays them out in its simulated libc data at the
// distances and page offsets the release's libc has them (oracle/twin_side.cc, GlibcLayout::libc);
// allocator tests and benches use one LibcData block (2.36's distances); the drop-in library puts
// each at the address of that symbol in the libc the process loaded, so a leaked bin address gives
// the real libc base and a write through an address derived from it lands where it would under
// glibc.
#ifndef HEAPTWIN_ALLOCATOR_LIBC_OBJECTS_H_
#define HEAPTWIN_ALLOCATOR_LIBC_OBJECTS_H_

#include <cstdint>

#include "allocator/layout.h"
#include "allocator/profile.h"

namespace heaptwin::alloc {

// Each object's extent as a release has it, where the twin's copy differs from 2.36's: what the
// twin lays out for that release (release_layout, allocator.cc), what the drop-in's `heaptwin
// exec` compares with the sizes in the process's libc (tools/exec_libc_data.h), and what its heap
// checker reads by (allocator/preload/twin_check_layout.h).
struct ReleaseLayout {
  uint64_t mp_bytes;          // sizeof (struct malloc_par): MallocParLayout::bytes
  uint64_t arena_skip;        // bytes of the twin's malloc_state before the release's main_arena
  uint64_t main_arena_bytes;  // sizeof (struct malloc_state): the twin's struct less arena_skip
  uint64_t max_fast_bytes;    // global_max_fast: 8, one from 2.37 (none from 2.43: the twin's own)
  uint64_t tcache_entries;    // tcache_perthread_struct's entries[]: 0x40, 2.30 0x80, 2.42 0x98
};
ReleaseLayout release_layout(const GlibcProfile& profile);

struct LibcObjects {
  unsigned char* mp = nullptr;  // the release's malloc_par (layout.h, MallocParLayout)
  // The twin's malloc_state (2.36's struct); the release's main_arena is arena_skip bytes into it
  // (Allocator::arena_name_offset: 0x58 from 2.43, 8 before 2.27).
  MallocState* main_arena = nullptr;
  uint64_t* tcache_key = nullptr;
  uint8_t* malloc_initialized = nullptr;
  int32_t* perturb_byte = nullptr;
  uint64_t* global_max_fast = nullptr;  // its first byte only from 2.37 (max_fast_bytes)

  // Each object's extent in the release, as the Allocator sets them for its profile (the
  // defaults are 2.36's): only these bytes are libc's object. The overlay's first arena_skip
  // bytes belong to whatever libc keeps before main_arena (from 2.43 stdin's _IO_wide_data_0):
  // the twin never writes them.
  uint64_t mp_bytes = sizeof(MallocPar);
  uint64_t arena_skip = 0;
  uint64_t max_fast_bytes = 8;

  // get_max_fast, and the store set_max_fast makes: a uint8_t from 2.37 ("malloc: Switch
  // global_max_fast to uint8_t"), so a program's write of a large value keeps only its low byte.
  uint64_t max_fast() const {
    return max_fast_bytes == 1 ? *reinterpret_cast<const uint8_t*>(global_max_fast)
                               : *global_max_fast;
  }
  void set_max_fast(uint64_t v) const {
    if (max_fast_bytes == 1) {
      *reinterpret_cast<uint8_t*>(global_max_fast) = static_cast<uint8_t>(v);
    } else {
      *global_max_fast = v;
    }
  }

  // Every object inside `block`.
  static LibcObjects in(LibcData* block) {
    LibcObjects o;
    o.mp = block->mp_;
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

  // fn(address, bytes) for each object, as the release has it.
  template <typename Fn>
  void each(Fn fn) const {
    fn(address(mp), mp_bytes);
    fn(address(main_arena) + arena_skip, sizeof *main_arena - arena_skip);
    fn(address(tcache_key), sizeof *tcache_key);
    fn(address(malloc_initialized), sizeof *malloc_initialized);
    fn(address(perturb_byte), sizeof *perturb_byte);
    fn(address(global_max_fast), max_fast_bytes);
  }

 private:
  template <typename T>
  static uint64_t address(T* p) {
    return reinterpret_cast<uint64_t>(p);
  }
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_LIBC_OBJECTS_H_
