// Random Programs for the glibc runner's tests: no corruption, but every path a reused child's
// reset must undo (mmapped chunks left alive, trims, mallopt, memalign and realloc giving tails
// back to top, the break moved far) and, when asked, writes into live blocks and the mallopt
// parameters that reach further (M_PERTURB fills, M_MMAP_THRESHOLD). One home for the
// glibc_side and runner_reset tests, with how they find the runner's processes.
#ifndef HEAPTWIN_ORACLE_GLIBC_RESET_PROGRAMS_FOR_TESTS_H_
#define HEAPTWIN_ORACLE_GLIBC_RESET_PROGRAMS_FOR_TESTS_H_

#include <dirent.h>
#include <sys/types.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "program/op.h"

namespace heaptwin {

struct ResetProgramOptions {
  int ops = 40;
  // write8 into a live block's data, or now and then its neighbour's header (kept children must
  // undo it: runner_guard.c).
  bool writes = false;
  // mallopt M_PERTURB and M_MMAP_THRESHOLD too, not only M_MXFAST and M_TOP_PAD.
  bool every_mallopt = false;
};

inline Program reset_program(std::mt19937_64& rng, const ResetProgramOptions& options) {
  Program p;
  for (int i = 0; i < 12; ++i) p.intern("s" + std::to_string(i));
  std::vector<bool> live(13, false);
  const uint64_t sizes[] = {0x18,  0x28,   0x88,   0x100,   0x408,
                            0x500, 0x1000, 0x8000, 0x21000, 0x50000};
  for (int i = 0; i < options.ops; ++i) {
    Op op;
    SlotId s = static_cast<SlotId>(1 + rng() % 12);
    uint64_t size = sizes[rng() % 10] + rng() % 0x20;
    switch (rng() % 13) {
      case 12:
        if (!options.writes || !live[s]) continue;
        op.kind = OpKind::kWrite8;
        op.src = s;
        op.offset = rng() % 4 == 0 ? -8 : static_cast<int64_t>(rng() % 0x18) & ~int64_t{7};
        op.value.literal = rng() % 2 ? rng() : 0x21;
        break;
      case 0:
        op.kind = OpKind::kCalloc;
        op.dst = s;
        op.a = 1;
        op.b = size;
        break;
      case 1:
      case 2:
        op.kind = OpKind::kRealloc;
        op.dst = op.src = s;
        op.a = size;
        break;
      case 3:
        op.kind = OpKind::kMemalign;
        op.dst = s;
        op.a = 0x40 << (rng() % 7);  // at most a page: a larger one depends on where mmap put it
        op.b = size;
        break;
      case 4:
      case 5:
      case 6:
        op.kind = live[s] ? OpKind::kFree : OpKind::kMalloc;
        op.src = s;
        op.dst = live[s] ? kNullSlot : s;
        op.a = size;
        break;
      case 7:
        op.kind = OpKind::kTrim;
        op.a = rng() % 0x2000;
        break;
      case 8: {
        op.kind = OpKind::kMallopt;
        const MalloptParam params[] = {MalloptParam::kMxFast, MalloptParam::kTopPad,
                                       MalloptParam::kPerturb, MalloptParam::kMmapThreshold};
        const MalloptParam param = params[rng() % (options.every_mallopt ? 4 : 2)];
        op.param = static_cast<int32_t>(param);
        op.a = param == MalloptParam::kMxFast          ? rng() % 0xa0
               : param == MalloptParam::kPerturb       ? 1 + rng() % 0xff
               : param == MalloptParam::kMmapThreshold ? 0x100 << (rng() % 12)
                                                       : rng() % 0x40000;
        break;
      }
      default:
        op.kind = OpKind::kMalloc;
        op.dst = s;
        op.a = size;
        break;
    }
    if (op.kind == OpKind::kRealloc && !live[s]) continue;  // no use after free
    if (op.kind == OpKind::kFree) live[s] = false;
    if (op.allocates()) live[s] = true;
    p.ops.push_back(op);
  }
  return p;
}

// The pids of the processes whose parent is `parent` (from /proc/*/stat).
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  while (dirent* e = proc ? readdir(proc) : nullptr) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) continue;
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') out.push_back(pid);
  }
  if (proc) closedir(proc);
  return out;
}

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_RESET_PROGRAMS_FOR_TESTS_H_
