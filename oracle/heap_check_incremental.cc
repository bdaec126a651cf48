#include "oracle/heap_check_incremental.h"

#include <cstring>

namespace heaptwin {

namespace {
constexpr size_t kLogEntries = size_t{1} << 16;       // an op that stores more: a full check
constexpr uint64_t kRegionBytes = uint64_t{3} << 30;  // address space, touched as heaps need
}  // namespace

IncrementalHeapChecker::IncrementalHeapChecker() : log_entries_(kLogEntries) {
  ok_ = region_.reserve(kRegionBytes) && check_.init(&region_);
  log_.entries = log_entries_.data();
  log_.capacity = log_entries_.size();
}

IncrementalHeapChecker::~IncrementalHeapChecker() { region_.release(); }

const check::Layout& IncrementalHeapChecker::layout_of(const GlibcLayout& layout) {
  if (layout.version != layout_version_) {
    layout_ = check_layout(layout);
    layout_version_ = layout.version;
  }
  return layout_;
}

void IncrementalHeapChecker::reset() {
  check_.reset();
  log_.clear();
}

namespace {

// This process's memory, as both readers: read in place where `mem` owns it.
class OwnMemory : public MemoryReader, public check::Reader {
 public:
  explicit OwnMemory(const alloc::Memory& mem) : mem_(mem) {}
  bool read(uint64_t addr, void* out, size_t n) const override {
    if (!mem_.owns(addr, n)) return false;
    std::memcpy(out, reinterpret_cast<const void*>(addr), n);
    return true;
  }
  const unsigned char* direct(uint64_t addr, size_t n) const override {
    return mem_.owns(addr, n) ? reinterpret_cast<const unsigned char*>(addr) : nullptr;
  }

 private:
  const alloc::Memory& mem_;
};

}  // namespace

std::vector<Violation> IncrementalHeapChecker::check_op(const MemoryReader& mem,
                                                        const HeapLocation& loc,
                                                        const GlibcLayout& layout,
                                                        size_t max_violations) {
  std::vector<Violation> v = run(CheckReader(mem), mem, loc, layout, log_.entries, log_.size,
                                 !log_.overflowed, max_violations);
  log_.clear();
  return v;
}

std::vector<Violation> IncrementalHeapChecker::check_op(const alloc::Memory& mem,
                                                        const HeapLocation& loc,
                                                        const GlibcLayout& layout,
                                                        size_t max_violations) {
  const OwnMemory own(mem);
  std::vector<Violation> v =
      run(own, own, loc, layout, log_.entries, log_.size, !log_.overflowed, max_violations);
  log_.clear();
  return v;
}

std::vector<Violation> IncrementalHeapChecker::check_op(const MemoryReader& mem,
                                                        const HeapLocation& loc,
                                                        const GlibcLayout& layout,
                                                        const uint64_t* written, size_t count,
                                                        size_t max_violations) {
  return run(CheckReader(mem), mem, loc, layout, written, count, true, max_violations);
}

std::vector<Violation> IncrementalHeapChecker::run(const check::Reader& reader,
                                                   const MemoryReader& mem, const HeapLocation& loc,
                                                   const GlibcLayout& layout,
                                                   const uint64_t* written, size_t count,
                                                   bool complete, size_t max_violations) {
  last_incremental_.clear();
  if (!ok_) return check_heap(mem, loc, layout, CheckOptions{max_violations});
  findings_.resize(max_violations);
  check::Findings out(findings_.data(), findings_.size());
  const uint64_t full_before = check_.stats().full;
  check_.check_op(reader, loc, layout_of(layout), written, count, complete, &out);
  if (out.empty()) return {};
  std::vector<Violation> found;
  for (size_t i = 0; i < out.size(); ++i) found.push_back(violation_of(out[i], loc.heap_base));
  if (check_.stats().full != full_before) return found;  // a full check reported them
  // Reported as the full check reports them.
  last_incremental_ = found;
  std::vector<Violation> full = check_heap(mem, loc, layout, CheckOptions{max_violations});
  return full.empty() ? found : full;
}

std::vector<Violation> IncrementalHeapChecker::full_check(const MemoryReader& mem,
                                                          const HeapLocation& loc,
                                                          const GlibcLayout& layout,
                                                          size_t max_violations) {
  return full(CheckReader(mem), mem, loc, layout, max_violations);
}

std::vector<Violation> IncrementalHeapChecker::full_check(const alloc::Memory& mem,
                                                          const HeapLocation& loc,
                                                          const GlibcLayout& layout,
                                                          size_t max_violations, bool last) {
  const OwnMemory own(mem);
  return full(own, own, loc, layout, max_violations, last);
}

std::vector<Violation> IncrementalHeapChecker::full(const check::Reader& reader,
                                                    const MemoryReader& mem,
                                                    const HeapLocation& loc,
                                                    const GlibcLayout& layout,
                                                    size_t max_violations, bool last) {
  if (!ok_) return check_heap(mem, loc, layout, CheckOptions{max_violations});
  findings_.resize(max_violations);
  check::Findings out(findings_.data(), findings_.size());
  check_.full_check(reader, loc, layout_of(layout), &out, !last);
  std::vector<Violation> found;
  for (size_t i = 0; i < out.size(); ++i) found.push_back(violation_of(out[i], loc.heap_base));
  return found;
}

}  // namespace heaptwin
