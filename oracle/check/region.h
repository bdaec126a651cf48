// Memory for the checker's tables, straight from mmap: reserved once (MAP_NORESERVE, so only the
// pages it touches cost anything) and handed out by a bump pointer. Inside the drop-in library the
// reservation sits at a fixed address beside the library, away from the mmap area, so checking
// does not move the program's own mappings.
#ifndef HEAPTWIN_ORACLE_CHECK_REGION_H_
#define HEAPTWIN_ORACLE_CHECK_REGION_H_

#include <cstddef>
#include <cstdint>

namespace heaptwin::check {

class Region {
 public:
  Region() = default;
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  // Unmaps the reservation (not in the drop-in library, which keeps it for the process's life).
  void release();

  // Reserves `bytes` of address space, at `hint` when that is free (0: anywhere). False when the
  // kernel refuses.
  bool reserve(uint64_t bytes, uint64_t hint = 0);
  bool reserved() const { return base_ != 0; }
  // `bytes` of zeroed memory, page-aligned; nullptr when the reservation is used up.
  void* take(uint64_t bytes);
  // Gives the pages of [p, p + bytes) back to the kernel (they read as zeros again).
  static void discard(void* p, uint64_t bytes);

 private:
  uint64_t base_ = 0;
  uint64_t size_ = 0;
  uint64_t used_ = 0;
};

// An array of T (trivially copyable) with a fixed capacity taken from a Region.
template <typename T>
class Array {
 public:
  bool init(Region* region, size_t capacity) {
    data_ = static_cast<T*>(region->take(capacity * sizeof(T)));
    capacity_ = data_ != nullptr ? capacity : 0;
    size_ = 0;
    return data_ != nullptr;
  }
  // False (nothing added) when full.
  bool push(const T& v) {
    if (size_ >= capacity_) return false;
    data_[size_++] = v;
    return true;
  }
  void clear() { size_ = 0; }
  void resize(size_t n) { size_ = n <= capacity_ ? n : capacity_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }

 private:
  T* data_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_REGION_H_
