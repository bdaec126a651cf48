#include "oracle/heap_check_incremental.h"

namespace heaptwin {

namespace {
constexpr size_t kLogEntries = size_t{1} << 16;   // an op that stores more: a full check
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

std::vector<Violation> IncrementalHeapChecker::check_op(const MemoryReader& mem, const HeapLocation& loc,
                                                        const GlibcLayout& layout, size_t max_violations) {
  std::vector<Violation> v =
      run(mem, loc, layout, log_.entries, log_.size, !log_.overflowed, max_violations);
  log_.clear();
  return v;
}

std::vector<Violation> IncrementalHeapChecker::check_op(const MemoryReader& mem, const HeapLocation& loc,
                                                        const GlibcLayout& layout, const uint64_t* written,
                                                        size_t count, size_t max_violations) {
  return run(mem, loc, layout, written, count, true, max_violations);
}

std::vector<Violation> IncrementalHeapChecker::run(const MemoryReader& mem, const HeapLocation& loc,
                                                   const GlibcLayout& layout, const uint64_t* written,
                                                   size_t count, bool complete, size_t max_violations) {
  last_incremental_.clear();
  if (!ok_) return check_heap(mem, loc, layout, CheckOptions{max_violations});
  findings_.resize(max_violations);
  check::Findings out(findings_.data(), findings_.size());
  const uint64_t full_before = check_.stats().full;
  check_.check_op(CheckReader(mem), check_where(loc), layout_of(layout), written, count, complete, &out);
  std::vector<Violation> found;
  for (size_t i = 0; i < out.size(); ++i) found.push_back(violation_of(out[i], loc.heap_base));
  if (found.empty() || check_.stats().full != full_before) return found;  // a full check reported them
  // Reported as the full check reports them.
  last_incremental_ = found;
  std::vector<Violation> full = check_heap(mem, loc, layout, CheckOptions{max_violations});
  return full.empty() ? found : full;
}

std::vector<Violation> IncrementalHeapChecker::full_check(const MemoryReader& mem, const HeapLocation& loc,
                                                          const GlibcLayout& layout, size_t max_violations) {
  if (!ok_) return check_heap(mem, loc, layout, CheckOptions{max_violations});
  findings_.resize(max_violations);
  check::Findings out(findings_.data(), findings_.size());
  check_.full_check(CheckReader(mem), check_where(loc), layout_of(layout), &out);
  std::vector<Violation> found;
  for (size_t i = 0; i < out.size(); ++i) found.push_back(violation_of(out[i], loc.heap_base));
  return found;
}

}  // namespace heaptwin
