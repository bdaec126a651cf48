// `heaptwin exec --trace` (trace_writer.cc): the program's malloc calls as a .heap script. Each
// returned pointer gets a slot, reused once the pointer is freed; realloc keeps its block's slot;
// what the trace cannot name becomes a comment; the script parses and replays.
#include "allocator/preload/trace_writer.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "program/heap_format.h"

namespace heaptwin::preload {
namespace {

constexpr char kHeader[] =
    "# heaptwin exec --trace: the malloc calls of one process, in order. A slot name is\n"
    "# reused once its pointer is freed (the format allows reassigning a slot).\n";

// A TraceWriter over an in-memory file; text() flushes and reads back what it wrote.
class Trace {
 public:
  explicit Trace(uint64_t max_ops = 0) : fd_(memfd_create("trace", 0)), writer_(new TraceWriter) {
    writer_->open(fd_, max_ops);
  }
  ~Trace() { close(fd_); }
  TraceWriter& operator*() { return *writer_; }
  TraceWriter* operator->() { return writer_.get(); }

  // The calls written so far, without the header.
  std::string text() {
    writer_->flush();
    std::string all;
    char buf[4096];
    ssize_t n;
    for (off_t at = 0; (n = pread(fd_, buf, sizeof buf, at)) > 0; at += n) all.append(buf, n);
    EXPECT_EQ(all.compare(0, sizeof kHeader - 1, kHeader), 0) << all;
    return all.substr(sizeof kHeader - 1);
  }

 private:
  int fd_;
  std::unique_ptr<TraceWriter> writer_;
};

TEST(TraceWriterTest, EveryCallIsALineOfAScriptThatParses) {
  Trace t;
  t->allocation(0x55550010, "malloc", 0x18);
  t->allocation(0x55550030, "calloc", 4, 0x20, 2);
  t->realloc(0x55551000, 0x55550010, 0x100);
  t->usable_size(0x55551000);
  t->free(0x55550030);
  t->allocation(0x55552000, "memalign", 0x40, 0x100, 2);
  t->mallopt(1, 0);
  t->mallopt(-8, -1);
  t->trim(0);
  const std::string text = t.text();
  EXPECT_EQ(text,
            "p1 = malloc 0x18   # 0x55550010\n"
            "p2 = calloc 0x4 0x20   # 0x55550030\n"
            "p1 = realloc p1 0x100   # 0x55551000\n"
            "malloc_usable_size p1\n"
            "free p2\n"
            "p2 = memalign 0x40 0x100   # 0x55552000\n"
            "mallopt 1 0\n"
            "mallopt -8 -1\n"
            "trim 0x0\n");
  std::string error;
  auto program = parse_heap(kHeader + text, "trace.heap", &error);
  ASSERT_TRUE(program.has_value()) << error;
  EXPECT_EQ(program->ops.size(), 9u);
}

TEST(TraceWriterTest, AFreedPointersSlotIsTheNextOneTaken) {
  Trace t;
  t->allocation(0x1000, "malloc", 0x18);
  t->allocation(0x2000, "malloc", 0x18);
  t->allocation(0x3000, "malloc", 0x18);
  t->free(0x2000);
  t->free(0x1000);
  t->allocation(0x4000, "malloc", 0x18);  // the slot freed last
  t->allocation(0x5000, "malloc", 0x18);
  t->allocation(0x6000, "malloc", 0x18);  // a new one only when none is free
  const std::string text = t.text();
  EXPECT_NE(text.find("p1 = malloc 0x18   # 0x4000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("p2 = malloc 0x18   # 0x5000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("p4 = malloc 0x18   # 0x6000\n"), std::string::npos) << text;
}

TEST(TraceWriterTest, ReallocFollowsGlibcsRulesForTheOldBlock) {
  Trace t;
  t->allocation(0x1000, "malloc", 0x18);
  t->allocation(0x2000, "malloc", 0x18);
  // NULL for a non-zero size: the old block stays allocated, p1 keeps it.
  t->realloc(0, 0x1000, -1ull);
  // realloc(p, 0) frees it and returns NULL: p2's slot is free again.
  t->realloc(0, 0x2000, 0);
  t->allocation(0x3000, "malloc", 0x18);
  t->free(0x1000);
  EXPECT_EQ(t.text(),
            "p1 = malloc 0x18   # 0x1000\n"
            "p2 = malloc 0x18   # 0x2000\n"
            "p3 = realloc p1 0xffffffffffffffff   # NULL\n"
            "p2 = realloc p2 0x0   # NULL\n"
            "p2 = malloc 0x18   # 0x3000\n"
            "free p1\n");
}

TEST(TraceWriterTest, PointersItNeverSawBecomeComments) {
  Trace t;
  t->free(0x1234);
  t->free(0);  // free(NULL): nothing to say
  t->realloc(0x2000, 0x5678, 0x20);
  t->usable_size(0x9999);
  EXPECT_EQ(t.text(),
            "# free of a pointer not returned by a traced call: 0x1234\n"
            "# realloc of a pointer not returned by a traced call: 0x5678\n"
            "p1 = realloc null 0x20   # 0x2000\n");
}

TEST(TraceWriterTest, APointerReturnedAgainWithoutATracedFreeGetsANewLife) {
  // Freed behind the trace's back (by a path that is not traced): its old slot goes.
  Trace t;
  t->allocation(0x1000, "malloc", 0x18);
  t->allocation(0x1000, "malloc", 0x18);
  t->free(0x1000);
  EXPECT_EQ(t.text(),
            "p1 = malloc 0x18   # 0x1000\n"
            "p1 = malloc 0x18   # 0x1000\n"
            "free p1\n");
}

TEST(TraceWriterTest, MaxOpsStopsTheTraceWithAComment) {
  Trace t(/*max_ops=*/2);
  t->allocation(0x1000, "malloc", 0x18);
  t->free(0x1000);
  EXPECT_FALSE(t->active());
  t->allocation(0x2000, "malloc", 0x18);
  EXPECT_EQ(t.text(),
            "p1 = malloc 0x18   # 0x1000\n"
            "free p1\n"
            "# trace stopped after 2 calls (heaptwin exec --trace-max-ops)\n");
}

TEST(TraceWriterTest, AWriterNeverOpenedWritesNothing) {
  TraceWriter* w = new TraceWriter;  // constant-initialised: closed, fd 0 untouched
  EXPECT_FALSE(w->active());
  w->allocation(0x1000, "malloc", 0x18);
  w->comment("nothing");
  delete w;
}

}  // namespace
}  // namespace heaptwin::preload
