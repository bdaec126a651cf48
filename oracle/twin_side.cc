#include "oracle/twin_side.h"

#include <algorithm>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"
#include "oracle/arena_chunk_name.h"
#include "oracle/block_invariants.h"
#include "oracle/error_in_message.h"
#include "oracle/heap_check.h"
#include "oracle/heap_check_incremental.h"
#include "oracle/heap_view.h"
#include "oracle/read_arena_heaps.h"
#include "oracle/read_namer.h"
#include "oracle/twin_fatal_handler.h"
#include "oracle/twin_op.h"
#include "oracle/twin_release.h"

namespace heaptwin {

namespace {

using alloc::Addr;

constexpr uint64_t kHeapWindow = uint64_t{4} << 30;  // docs/op-semantics.md: heap-relative faults

// How many bytes real glibc surely writes by memset within `timeout_ms` of CPU time, its
// runner's limit per op: 512 KiB a millisecond, a quarter of what this VM wrote into fresh pages
// (4 KiB faults: 32 MiB in 28 ms). A larger memset (a forged chunk size in a heap of GiBs makes
// calloc clear it all) may finish, fault or time out there, as fast as the machine is.
uint64_t memset_budget(int timeout_ms) {
  return static_cast<uint64_t>(timeout_ms > 0 ? timeout_ms : RunOptions{}.timeout_ms) << 19;
}

class TwinSide : public Side {
 public:
  TwinSide(std::string name, std::unique_ptr<alloc::SimulatedMemory> memory,
           const alloc::GlibcProfile& release, GlibcLayout layout)
      : name_(std::move(name)),
        memory_(std::move(memory)),
        release_(release),
        layout_(std::move(layout)),
        arena_layout_(to_arena_layout(layout_)),
        blocks_(
            [this](uint64_t addr, uint64_t n) { return memory_->owns_heap_or_mapping(addr, n); }) {}

  std::string name() const override { return name_; }

  Trace run(const Program& program, const RunOptions& options) override {
    Trace trace;
    trace.side = name_;
    trace.outcomes.reserve(program.ops.size());
    // A snapshot is large (every bin's list): growing the vector would move them all.
    if (options.snapshots) trace.states.reserve(program.ops.size());
    if (options.digests) trace.digests.reserve(program.ops.size());
    ArenaDigestPace pace{};
    memory_->reset();
    const alloc::LibcObjects data = libc_objects(static_cast<char*>(memory_->data()));
    alloc::Allocator twin(memory_.get(), data, &fatal_, profile_for(release_, options));
    twin.set_memset_budget(memset_budget(options.timeout_ms));
    // The allocator writes libc's objects through references, not its write log: the next
    // reset clears them, and what else of the data block the log names.
    twin.libc().each([this](uint64_t at, uint64_t n) { memory_->note_written(at, n); });
    slots_.assign(program.slot_count(), 0);
    heap_base_ = memory_->heap_base();
    SimulatedMemoryReader reader(*memory_);
    namer_.start(program);
    // The contents rules write a pattern into every block: a Program that reads would read it,
    // not what glibc leaves there.
    const bool check_contents = options.check_contents && !namer_.active();
    blocks_.reset(check_contents);
    bool check_heap_now = options.check_heap;
    if (check_heap_now) checker_.reset();
    // Every store the allocator makes goes to a log (the checker's, or the side's own), and
    // after each op into the memory's record of written pages: the next Program's memory is
    // cleared where this one wrote, and nowhere else.
    alloc::WriteLog* log = check_heap_now ? checker_.write_log() : own_log_.log();
    log->clear();
    twin.set_write_log(log);

    arena_ = twin.main_arena();
    uint32_t started_threads = 1;  // bit t: thread t exists (t0 always)
    for (size_t i = 0; i < program.ops.size(); ++i) {
      const Op& op = program.ops[i];
      if (op.thread != 0) {
        if (!twin.threads_modelled()) {
          trace.outcomes.push_back(Outcome::no_opinion());
          trace.unmodelled = "op " + std::to_string(i + 1) + " runs on thread t" +
                             std::to_string(op.thread) +
                             ": the twin models threads in 2.35 .. 2.41 only (docs/threads.md)";
          break;
        }
        // The block rules follow blocks in every arena; the heap checker goes on with main_arena
        // and t0's tcache (check_location).
        if (!(started_threads >> op.thread & 1) && !create_thread(twin, &trace)) {
          trace.outcomes.push_back(fatal_outcome(read_places(twin)));
          if (fatal_.kind == JumpingFatalHandler::Kind::kUnmodelled)
            trace.unmodelled = fatal_.message;
          break;
        }
        started_threads |= 1u << op.thread;
        twin.set_thread(op.thread);
      }
      if (op.kind == OpKind::kWrite8) {
        // (execute() marks the word it writes as written; the allocator's own writes, however
        // corrupted the heap, all go through its write log.)
        check_heap_now = false;  // the Program corrupts on purpose from here on
        blocks_.stop();
      }
      const bool blocks_on = options.check_heap || check_contents;
      if (blocks_on && blocks_.active()) note(&trace, i, blocks_before(op));
      RawResult r;
      const bool ran = run_guarded(twin, op, &r);
      // What is read after an op (the digest, snapshots, the tcache) is t0's, as the runner's
      // main thread reads it.
      if (op.thread != 0) twin.set_thread(0);
      if (!ran) {
        trace.outcomes.push_back(fatal_outcome(read_places(twin)));
        if (fatal_.kind == JumpingFatalHandler::Kind::kUnmodelled)
          trace.unmodelled = fatal_.message;
        break;
      }
      if (r.unsupported) {
        trace.error = std::string("the twin does not implement ") + op_name(op.kind) + " yet (op " +
                      std::to_string(i + 1) + ")";
        break;
      }
      // The runner reads the chunk header of every pointer an op returns (to tell mmapped
      // chunks): a pointer a corrupted list made up can have no readable header, and then the
      // runner faults right there. So does the twin, instead of reading past its memory.
      if (const uint64_t bad = unreadable_header(r); bad != 0) {
        fatal_.kind = JumpingFatalHandler::Kind::kFault;
        fatal_.address = bad;
        trace.outcomes.push_back(fatal_outcome(read_places(twin)));
        break;
      }
      trace.outcomes.push_back(outcome_of(twin, op, r));
      namer_.after(op, trace.outcomes.back(), r.pointer);
      if (twin.arena_set_up_again()) {
        check_heap_now = false;  // glibc (before 2.27) wiped its own arena: see the allocator
        blocks_.stop();
      }
      note_writes(*log);  // before the checker reads the log (and empties it)
      if (blocks_on && blocks_.active()) {
        note(&trace, i, blocks_after(i, op, r));
        if (check_contents && r.allocates && r.pointer != 0) {
          note_pattern_writes(r.pointer, op.kind == OpKind::kRealloc ? op.a : op.request_bytes());
        }
      }
      // A double free that glibc does not catch (a fastbin chunk freed twice, not at the top) is
      // no heap bug: the checker stops where the block invariants saw the Program mean it.
      if (!blocks_.active()) check_heap_now = false;
      // The threads' tcaches: none in a single-threaded Program.
      const HeapLocation& loc = locate(twin, options.thread_tcaches ? started_threads & ~1u : 0);
      if (options.digests) trace.digests.push_back(digest(loc, &pace));
      if (options.snapshots || options.inspect || (check_heap_now && trace.violation.empty())) {
        if (options.snapshots) trace.states.push_back(read_arena(reader, loc, layout_));
        if (options.inspect) options.inspect(i, reader, loc, layout_);
        if (check_heap_now && trace.violation.empty()) {
          const size_t every = options.full_check_every;
          const bool last = i + 1 == program.ops.size();
          const bool full = (every != 0 && (i + 1) % every == 0) || last;
          const HeapLocation checked = check_location(twin, loc);
          auto found = full ? checker_.full_check(*memory_, checked, layout_, 1, last)
                            : checker_.check_op(*memory_, checked, layout_, 1);
          if (!found.empty()) note(&trace, i, "heap checker: " + to_string(found.front()));
        }
      }
      log->clear();
    }
    note_writes(*log);  // an op that ended the Program wrote too
    if (check_clearing_ && trace.error.empty()) check_clearing(&trace);
    return trace;
  }

 private:
  // The first header word of a returned pointer that is not this twin's memory (p - 8, then
  // p - 16 for an mmapped chunk's prev_size), or 0 when both can be read.
  uint64_t unreadable_header(const RawResult& r) const {
    if (!r.allocates || r.pointer == 0) return 0;
    if (!memory_->owns(r.pointer - 8, 8)) return r.pointer - 8;
    uint64_t head = 0;
    std::memcpy(&head, reinterpret_cast<const void*>(r.pointer - 8), 8);
    if ((head & alloc::kIsMmapped) && !memory_->owns(r.pointer - 16, 8)) return r.pointer - 16;
    return 0;
  }

  // malloc's objects in the libc data block at the distances and page offsets the release's libc
  // has them (GlibcLayout::libc), main_arena() on the release's main_arena.
  alloc::LibcObjects libc_objects(char* block) const {
    const GlibcLayout::LibcSymbols& s = layout_.libc;
    const uint64_t base = std::min({s.mp, s.main_arena, s.tcache_key, s.malloc_initialized,
                                    s.perturb_byte, s.global_max_fast}) &
                          ~uint64_t{0xfff};
    auto at = [&](uint64_t symbol) { return block + (symbol - base); };
    alloc::LibcObjects o;
    o.mp = reinterpret_cast<unsigned char*>(at(s.mp));
    o.main_arena = reinterpret_cast<alloc::MallocState*>(
        at(s.main_arena) - alloc::Allocator::arena_name_offset(release_));
    o.tcache_key = reinterpret_cast<uint64_t*>(at(s.tcache_key));
    o.malloc_initialized = reinterpret_cast<uint8_t*>(at(s.malloc_initialized));
    o.perturb_byte = reinterpret_cast<int32_t*>(at(s.perturb_byte));
    o.global_max_fast = reinterpret_cast<uint64_t*>(at(s.global_max_fast));
    return o;
  }

  // HEAPTWIN_CHECK_CLEARING=1 (tests): after each Program, every page of the simulated memory's
  // kept spans that no write was noted for must read as zeros, or the next Program could see
  // bytes this one left where the reset clears nothing.
  void check_clearing(Trace* trace) const {
    uint64_t at = 0;
    if (memory_->unmarked_pages_read_as_zeros(&at)) return;
    char text[160];
    std::snprintf(text, sizeof text,
                  "twin: 0x%llx (heap+0x%llx) holds bytes no noted write put there: the next "
                  "Program would see them",
                  static_cast<unsigned long long>(at),
                  static_cast<unsigned long long>(at - heap_base_));
    trace->error = text;
  }

  static void note(Trace* trace, size_t op, const std::string& what) {
    if (what.empty() || !trace->violation.empty()) return;
    trace->violation = what;
    trace->violation_op = op;
  }

  // ---- the block invariants (oracle/block_invariants.h) around each op ------------------------

  std::string blocks_before(const Op& op) {
    if (op.kind == OpKind::kFree) return blocks_.before_free(slots_[op.src]);
    if (op.kind == OpKind::kRealloc) return blocks_.before_realloc(slots_[op.src]);
    return "";
  }

  std::string blocks_after(size_t i, const Op& op, const RawResult& r) {
    if (!r.allocates) return "";
    const uint64_t usable = r.pointer ? usable_bytes(r.pointer) : 0;
    if (op.kind == OpKind::kRealloc) {
      return blocks_.after_realloc(i, realloc_source_, r.pointer, op.a, usable);
    }
    return blocks_.on_allocated(i, r.pointer, op.request_bytes(), op.promised_alignment(), usable,
                                op.kind == OpKind::kCalloc);
  }

  // What malloc_usable_size means, read from the chunk header: mmapped chunks lose both header
  // words, heap chunks only their size word (the next chunk's prev_size is theirs). From 2.43
  // an mmapped chunk's size leaves its header out (GlibcProfile::mmap_chunk_offset).
  uint64_t usable_bytes(Addr p) const {
    uint64_t head = 0;
    std::memcpy(&head, reinterpret_cast<const void*>(p - 8), 8);
    const uint64_t size = head & ~uint64_t{7};
    const uint64_t overhead = (head & alloc::kIsMmapped) && !release_.mmap_chunk_offset ? 16 : 8;
    return size > overhead ? size - overhead : 0;
  }

  // Runs one op; false when it ended in an abort, fault or hang (fatal_ says which). setjmp lives
  // in this small frame so no caller variable can be clobbered by the jump back.
  // The runner's t0 starts a thread just before its first op: pthread_create callocs the new
  // thread's DTV in t0's arena, 0x11 entries of 16 bytes in a process whose only TLS is libc's
  // (docs/heap-format.md). False when that call ended the Program (an abort, a fault).
  // The DTV's place goes into the trace: ld.so fills it (comparability rule reads_a_threads_dtv).
  bool create_thread(alloc::Allocator& twin, Trace* trace) {
    fatal_.kind = JumpingFatalHandler::Kind::kNone;
    if (setjmp(fatal_.env) == 0) {
      twin.set_thread(0);
      twin.clear_errno();
      const Addr dtv = twin.calloc(0x11, 0x10).raw();
      ArenaChunkName name;
      if (dtv >= heap_base_ && dtv < memory_->brk()) {
        trace->thread_dtvs.push_back(HeapPlace{0, 0, static_cast<int64_t>(dtv - heap_base_)});
      } else if (dtv != 0 && arena_chunk_name(read_owned_word, memory_.get(), twin.main_arena(),
                                              arena_layout_.binmap + 16, dtv, &name)) {
        // The creating thread's arena need not be main_arena (arena_get_retry moves a thread).
        trace->thread_dtvs.push_back(
            HeapPlace{name.arena, name.heap, static_cast<int64_t>(name.offset)});
      }
    }
    return fatal_.kind == JumpingFatalHandler::Kind::kNone;
  }

  bool run_guarded(alloc::Allocator& twin, const Op& op, RawResult* r) {
    fatal_.kind = JumpingFatalHandler::Kind::kNone;
    if (setjmp(fatal_.env) == 0) {
      TwinOp run{&twin,
                 memory_.get(),
                 &fatal_,
                 &slots_,
                 heap_base_,
                 arena_,
                 arena_layout_.arena_bytes,
                 &realloc_source_};
      run.execute(op, r);
    }
    return fatal_.kind == JumpingFatalHandler::Kind::kNone;
  }

  Outcome outcome_of(const alloc::Allocator& twin, const Op& op, const RawResult& r) {
    if (op.kind == OpKind::kRead8) {
      // The threads' heaps, found as the runner's child finds them (read_arena_heaps.h).
      ReadPlaces places = read_places(twin);
      ReadArenaHeap heaps[READ_ARENA_HEAPS_MAX];
      places.arena_heaps = heaps;
      places.arena_heap_count =
          read_arena_heaps(read_owned_word, memory_.get(), twin.main_arena(),
                           arena_layout_.binmap + 16, arena_layout_.top, r.value, r.read_at, heaps);
      return namer_.read(places, r.value, r.read_at, twin.tcache());
    }
    Returned returned;
    returned.pointer = r.pointer;
    returned.error = r.error;
    returned.value = r.value;
    returned.heap_end = memory_->brk();
    if (r.allocates && r.pointer != 0) {
      uint64_t head = 0;
      std::memcpy(&head, reinterpret_cast<const void*>(r.pointer - 8), 8);
      if (head & alloc::kIsMmapped) {
        // The mapping's length: prev_size (memalign's leader) + size. docs/op-semantics.md.
        uint64_t lead = 0;
        std::memcpy(&lead, reinterpret_cast<const void*>(r.pointer - 16), 8);
        returned.mapping_bytes = (head & ~uint64_t{7}) + lead;
      }
    }
    if (twin.multi_threaded()) name_arena_chunk(twin, r, &returned);
    return returned_outcome(op, returned, heap_base_);
  }

  // A word of the twin's memory (ArenaWordReader), 0 where it owns none (a forged pointer).
  static int read_owned_word(void* ctx, uint64_t address, uint64_t* out) {
    if (!static_cast<const alloc::SimulatedMemory*>(ctx)->owns(address, 8)) return 0;
    std::memcpy(out, reinterpret_cast<const void*>(address), 8);
    return 1;
  }

  // A chunk of a non-main arena's heap, named as the runner names it (arena_chunk_name.h).
  void name_arena_chunk(const alloc::Allocator& twin, const RawResult& r,
                        Returned* returned) const {
    if (!r.allocates || r.pointer == 0 ||
        (r.pointer >= heap_base_ && r.pointer < returned->heap_end))
      return;
    uint64_t head = 0;
    std::memcpy(&head, reinterpret_cast<const void*>(r.pointer - 8), 8);
    if ((head & (alloc::kNonMainArena | alloc::kIsMmapped)) != alloc::kNonMainArena) return;
    ArenaChunkName name;
    if (arena_chunk_name(read_owned_word, memory_.get(), twin.main_arena(),
                         arena_layout_.binmap + 16, r.pointer, &name)) {
      returned->arena = name.arena;
      returned->arena_heap = name.heap;
      returned->arena_heap_offset = name.offset;
    }
  }

  Outcome fatal_outcome(const ReadPlaces& places) const {
    switch (fatal_.kind) {
      case JumpingFatalHandler::Kind::kAbort: {
        // Before 2.26 the message names a pointer: as the glibc side names it.
        const std::string m = fatal_.message;
        const size_t prefix = sizeof kErrorInPrefix - 1;
        if (m.compare(0, prefix, kErrorInPrefix) == 0) {
          return Outcome::abort(error_in_message(m.substr(prefix), places));
        }
        return Outcome::abort(m);
      }
      case JumpingFatalHandler::Kind::kFault: {
        uint64_t a = fatal_.address;
        bool in_heap = a >= heap_base_ && a - heap_base_ < kHeapWindow;
        return Outcome::fault(SIGSEGV, in_heap ? a - heap_base_ : a, in_heap);
      }
      case JumpingFatalHandler::Kind::kUnmodelled: return Outcome::no_opinion();
      default: return Outcome::timeout();
    }
  }

  // The contents rules write a pattern into a block's first and last bytes
  // (BlockInvariants::each_written).
  void note_pattern_writes(uint64_t p, uint64_t n) {
    BlockInvariants::each_written(
        n, [&](uint64_t off, uint64_t bytes) { memory_->note_written(p + off, bytes); });
  }

  // What an op wrote, into the memory's record of written pages (SimulatedMemory::note_written).
  void note_writes(const alloc::WriteLog& log) {
    if (log.overflowed || log.ranges_overflowed) {
      memory_->note_unknown_writes();
      return;
    }
    memory_->note_words(log.entries, log.size);
    for (int i = 0; i < log.range_count; ++i)
      memory_->note_written(log.ranges[i].addr, log.ranges[i].n);
  }

  // The arena digest (oracle/arena_walk.h), paced as the glibc runner paces its own, read
  // straight from the twin's memory: the regions it reads (heap, main_arena, mp_,
  // global_max_fast, the tcache struct) are all this process's.
  uint64_t digest(const HeapLocation& loc, ArenaDigestPace* pace) const {
    ArenaWhere where{loc.heap_base,       loc.heap_end, loc.arena,       loc.mp,
                     loc.global_max_fast, loc.tcache,   &owned_readable, memory_.get()};
    where.threads = loc.threads;
    where.thread_tcaches = loc.thread_tcaches.data();
    return arena_digest_here_paced(&arena_layout_, &where, pace);
  }

  // ArenaWhere.probe: other arenas' memory, which the twin's memory owns where it is readable.
  static int owned_readable(void* ctx, uint64_t address, uint64_t n) {
    return static_cast<const alloc::SimulatedMemory*>(ctx)->owns(address, n);
  }

  // Where read8 values point, in this twin's memory (oracle/read_value.h).
  ReadPlaces read_places(const alloc::Allocator& twin) const {
    ReadPlaces p{};
    p.heap_base = heap_base_;
    p.heap_end = memory_->brk();
    p.arena = twin.main_arena();
    p.arena_bytes = arena_layout_.arena_bytes;
    p.mp = reinterpret_cast<uint64_t>(twin.libc().mp);
    p.mp_bytes = arena_layout_.mp_bytes;
    p.global_max_fast = reinterpret_cast<uint64_t>(twin.libc().global_max_fast);
    return p;
  }

  // What the heap checker reads: with threads, main_arena and t0's tcache (what is read after
  // every op), whose lists end at another arena's chunk (check::cached_from_elsewhere); threads'
  // arenas and their tcaches are not checked.
  static HeapLocation check_location(const alloc::Allocator& twin, HeapLocation loc) {
    loc.other_arenas = twin.multi_threaded();
    return loc;
  }

  // Where things are after an op, with Allocator::thread_tcache of each thread of `threads`
  // (bit t: thread t), into loc_ (no HeapLocation made per op).
  const HeapLocation& locate(const alloc::Allocator& twin, uint32_t threads) {
    HeapLocation& loc = loc_;
    loc.threads = threads;
    for (uint32_t t = 1; threads != 0 && t < ARENA_MAX_THREADS; ++t) {
      if (threads >> t & 1) loc.thread_tcaches[t] = twin.thread_tcache(static_cast<int>(t));
    }
    loc.heap_base = heap_base_;
    loc.heap_end = memory_->brk();
    loc.arena = twin.main_arena();
    loc.mp = reinterpret_cast<uint64_t>(twin.libc().mp);
    loc.global_max_fast = reinterpret_cast<uint64_t>(twin.libc().global_max_fast);
    loc.tcache = twin.tcache();
    return loc;
  }

  std::string name_;
  std::unique_ptr<alloc::SimulatedMemory> memory_;
  alloc::GlibcProfile release_;
  GlibcLayout layout_;
  ArenaLayout arena_layout_;
  JumpingFatalHandler fatal_;
  std::vector<Addr> slots_;
  uint64_t heap_base_ = 0;
  const bool check_clearing_ = std::getenv("HEAPTWIN_CHECK_CLEARING") != nullptr;
  Addr arena_ = 0;    // &main_arena
  HeapLocation loc_;  // locate()
  ReadNamer namer_;
  BlockInvariants blocks_;
  Addr realloc_source_ = 0;
  IncrementalHeapChecker checker_;
  // The write log when the checker is off.
  struct OwnLog {
    std::vector<uint64_t> entries = std::vector<uint64_t>(1 << 14);
    alloc::WriteLog log_;
    alloc::WriteLog* log() {
      log_.entries = entries.data();
      log_.capacity = entries.size();
      return &log_;
    }
  } own_log_;  // kept across runs: its tables are reserved once
};

}  // namespace

std::unique_ptr<Side> make_twin_side(const std::string& name, std::string* error) {
  const std::string version = side_release(name);
  alloc::GlibcProfile release;
  std::optional<GlibcLayout> layout = glibc_layout(version);
  if (!alloc::GlibcProfile::for_version(version.c_str(), &release) || !layout) {
    *error =
        "no twin of glibc " + version + " (known: " + alloc::GlibcProfile::known_versions() + ")";
    return nullptr;
  }
  auto memory = std::make_unique<alloc::SimulatedMemory>();
  memory->track_writes();  // the side reports every write (TwinSide::note_writes)
  if (!memory->ok()) {
    *error = "twin: cannot reserve address space for the simulated heap";
    return nullptr;
  }
  return std::make_unique<TwinSide>(name, std::move(memory), release, std::move(*layout));
}

}  // namespace heaptwin
