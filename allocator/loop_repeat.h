// Proof that a loop which writes memory came back to a state it was in before, so it never ends
// (glibc hangs there; malloc_consolidate walking a cyclic fastbin, whose writes can keep the
// cycle). A state is the loop's own variables (three words, the key) and all of memory. Brent's
// algorithm places checkpoints ever further apart; at each, the key is kept and every word the loop
// stores from then on is logged with the value it held at the checkpoint (ChunkMemory::store
// calls before_store). Back at the same key with every logged word holding that value again, the
// state is the checkpoint's exactly, and a deterministic loop repeats from there for ever. Where
// a list walk writes nothing, list_cycle.h is enough. Writes that bypass ChunkMemory::store
// (main_arena fields set through references) belong in the key. Plain memory, no allocation.
#ifndef HEAPTWIN_ALLOCATOR_LOOP_REPEAT_H_
#define HEAPTWIN_ALLOCATOR_LOOP_REPEAT_H_

#include <cstdint>
#include <cstring>

namespace heaptwin::alloc {

class LoopRepeat {
 public:
  // A new loop: no checkpoint yet.
  void start() {
    have_checkpoint_ = false;
    power_ = 1;
    steps_ = 1;
    count_ = 0;
    window_valid_ = false;
  }
  // Before every store of the loop (addr is owned; `old` is what it holds now).
  void before_store(uint64_t addr, uint64_t old) {
    if (!window_valid_) return;
    for (int i = 0; i < count_; ++i) {
      if (addrs_[i] == addr) return;  // its checkpoint value is logged already
    }
    if (count_ == kWords) {  // too many words for this window: no proof from it
      window_valid_ = false;
      return;
    }
    addrs_[count_] = addr;
    olds_[count_] = old;
    ++count_;
  }
  // At the loop's head, its variables in k0..k2: whether the state repeats a checkpoint's.
  bool repeats(uint64_t k0, uint64_t k1, uint64_t k2) {
    if (have_checkpoint_ && window_valid_ && k0 == key_[0] && k1 == key_[1] && k2 == key_[2] &&
        memory_as_at_checkpoint()) {
      return true;
    }
    if (steps_ == power_) {  // a new checkpoint, twice as far from the last
      key_[0] = k0;
      key_[1] = k1;
      key_[2] = k2;
      have_checkpoint_ = true;
      count_ = 0;
      window_valid_ = true;
      power_ *= 2;
      steps_ = 0;
    }
    ++steps_;
    return false;
  }

 private:
  static constexpr int kWords = 64;

  bool memory_as_at_checkpoint() const {
    for (int i = 0; i < count_; ++i) {
      uint64_t now;
      std::memcpy(&now, reinterpret_cast<const void*>(addrs_[i]), sizeof now);
      if (now != olds_[i]) return false;
    }
    return true;
  }

  uint64_t key_[3] = {};
  bool have_checkpoint_ = false;
  bool window_valid_ = false;
  uint64_t power_ = 1;
  uint64_t steps_ = 1;
  int count_ = 0;
  uint64_t addrs_[kWords] = {};
  uint64_t olds_[kWords] = {};
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_LOOP_REPEAT_H_
