#include "tools/export_c_reads.h"
#include "program/hex.h"

#include <cinttypes>
#include <cstdio>
#include <optional>

#include "oracle/heap_view.h"

namespace heaptwin {

// oracle/read_value.h and .c as text (generated: the genrule read_value_source in BUILD.bazel).
extern const char kReadValueHeader[];
extern const char kReadValueSource[];

namespace {

// read_value.c without its #include of read_value.h, which is pasted just before it.
std::string source_without_include() {
  std::string s = kReadValueSource;
  const std::string include = "#include \"oracle/read_value.h\"\n";
  const size_t at = s.find(include);
  if (at != std::string::npos) s.erase(at, include.size());
  return s;
}

// After the pasted read_value.c. UNSORTED_HEAD and ARENA_BYTES come from the release's layout.
constexpr const char* kReadSupport = R"C(
/* ---- read8: where values point in this process --------------------------------------------
 * heaptwin's sides name what a read8 read by what it points into (the code above, pasted from
 * heaptwin's oracle/read_value.c): the heap, main_arena, the mapping of an mmapped chunk the
 * Program holds. main_arena is found before the first op by a child process: a freed chunk too
 * big for the tcache and the fastbins goes to the unsorted bin, whose head inside main_arena its
 * fd then points at. The child's malloc is the child's own; this process's heap stays untouched.
 * (mp_ and global_max_fast, which the sides also name, are not found here.) */

#include <sys/wait.h>

static struct ReadPlaces read_places;
static struct ReadMapping read_mappings[READ_SLOTS]; /* per slot id: length 0 when none */

/* Volatile, as the slots are: the compiler must keep both allocations, and not follow the
 * chunk's address past its free. */
static void *volatile probe_chunk, *volatile probe_guard;
static volatile uint64_t probe_fd_at;

static uint64_t probe_unsorted_head(void) {
  int fds[2], status;
  uint64_t head = 0;
  pid_t child;
  if (pipe(fds) != 0) return 0;
  child = fork();
  if (child == 0) {
    probe_chunk = malloc(0x500);
    probe_guard = malloc(0x18); /* keeps the chunk from merging into top */
    probe_fd_at = addr(probe_chunk);
    free(probe_chunk);
    head = *(volatile uint64_t *)(uintptr_t)probe_fd_at;
    _exit(write(fds[1], &head, sizeof head) == (ssize_t)sizeof head ? 0 : 1);
  }
  close(fds[1]);
  if (child < 0 || read(fds[0], &head, sizeof head) != (ssize_t)sizeof head) head = 0;
  close(fds[0]);
  if (child > 0) waitpid(child, &status, 0);
  return head;
}

static void find_read_places(void) {
  uint64_t head = probe_unsorted_head();
  read_places.heap_base = heap_base;
  if (head == 0) {
    say("# note: main_arena not found (the probe failed): values in it print as numbers\n");
    return;
  }
  read_places.arena = head - UNSORTED_HEAD;
  read_places.arena_bytes = ARENA_BYTES;
}

/* The mapping of the mmapped chunk slot `slot` holds now, if it holds one. */
static void note_mapping(size_t slot, void *p) {
  uint64_t size, lead;
  read_mappings[slot].length = 0;
  if (p == NULL) return;
  memcpy(&size, (const char *)p - 8, sizeof size);
  if (!(size & 2)) return;
  memcpy(&lead, (const char *)p - 16, sizeof lead);
  read_mappings[slot] = read_mapping_of_chunk(addr(p), (size & ~(uint64_t)7) + lead);
}

static void forget_mapping(size_t slot) { read_mappings[slot].length = 0; }

/* The 8 bytes at the slot's pointer + offset, printed by name; the slot assigned holds them. */
static void *read8(void *slot, int64_t offset) {
  uint64_t at = addr(slot) + (uint64_t)offset, raw;
  struct ReadValue v;
  char text[160];
  raw = *(volatile uint64_t *)(uintptr_t)at;
  read_places.heap_end = addr(sbrk(0));
  read_places.mappings = read_mappings;
  read_places.mapping_count = READ_SLOTS;
  v = read_value(&read_places, raw, at);
  read_value_text(&v, text, sizeof text);
  put("read ");
  put(text);
  end_line();
  return (void *)(uintptr_t)raw;
}
)C";

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

}  // namespace

std::string read8_support_code(const Program& program, const std::string& release) {
  const std::optional<GlibcLayout> layout = glibc_layout(release.empty() ? "2.36" : release);
  const GlibcLayout l = layout ? *layout : *glibc_layout("2.36");
  const ArenaLayout arena = to_arena_layout(l);
  std::string code =
      "\n/* ---- heaptwin's oracle/read_value.h and read_value.c -------------------------- */\n";
  code += kReadValueHeader;
  code += source_without_include();
  std::string support = kReadSupport;
  support = replaced(support, "READ_SLOTS", std::to_string(program.slot_count()));
  support = replaced(support, "UNSORTED_HEAD", hex(l.bin_at(0, 1)));
  support = replaced(support, "ARENA_BYTES", hex(arena.arena_bytes));
  return code + support;
}

std::string read8_code(const std::string& dst, const std::string& src, int64_t offset) {
  const std::string off = offset < 0 ? "-" + hex(0 - static_cast<uint64_t>(offset))
                                     : hex(static_cast<uint64_t>(offset));
  return "  " + dst + " = read8(" + src + ", " + off + ");\n";
}

std::string follow_mappings_code(const Op& op, const std::string& dst) {
  std::string code;
  if (op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) {
    code += "  forget_mapping(" + std::to_string(op.src) + ");\n";
  }
  if (op.allocates()) code += "  note_mapping(" + std::to_string(op.dst) + ", " + dst + ");\n";
  if (op.kind == OpKind::kRead8) code += "  forget_mapping(" + std::to_string(op.dst) + ");\n";
  return code;
}

}  // namespace heaptwin
