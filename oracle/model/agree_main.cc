// model_agree: runs N random Programs (fixed seeds) through the model and real glibc and prints
// the first divergence of each disagreeing Program. Usage: model_agree [N] [first_seed] [ops]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "oracle/differ.h"
#include "oracle/model/model_side.h"
#include "oracle/model/random_programs.h"
#include "oracle/side.h"

using namespace heaptwin;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100;
  const uint64_t first = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 1;
  model::RandomProgramOptions ro;
  if (argc > 3) ro.ops = std::atoi(argv[3]);
  std::string error;
  auto glibc = make_side("glibc", &error);
  if (!glibc) { std::fprintf(stderr, "%s\n", error.c_str()); return 2; }
  auto model = make_side("model", &error);
  int disagree = 0, full = 0;
  long no_opinion_ops = 0, ops = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t seed = first + i;
    Program p = model::random_program(seed, ro);
    RunOptions opt;
    opt.snapshots = std::getenv("MODEL_AGREE_STATE") != nullptr;
    // MODEL_AGREE_TUNABLES="glibc.malloc.tcache_count=0,glibc.malloc.mxfast=0"
    if (const char* t = std::getenv("MODEL_AGREE_TUNABLES")) {
      std::string all = t;
      size_t start = 0;
      while (start < all.size()) {
        size_t comma = all.find(',', start);
        if (comma == std::string::npos) comma = all.size();
        const std::string kv = all.substr(start, comma - start);
        const size_t eq = kv.find('=');
        if (eq != std::string::npos) opt.tunables.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
        start = comma + 1;
      }
    }
    std::vector<Trace> traces = {model->run(p, opt), glibc->run(p, opt)};
    // The size of a stale last_remainder (one that no longer starts a chunk) is whatever bytes
    // lie there in glibc's memory; the model reports 0. MODEL_AGREE_STATE=blind skips it.
    if (opt.snapshots && std::string(std::getenv("MODEL_AGREE_STATE")) == "blind") {
      for (size_t k = 0; k < traces[0].states.size() && k < traces[1].states.size(); ++k)
        if (traces[0].states[k].last_remainder.size == 0) traces[1].states[k].last_remainder.size = 0;
    }
    DiffResult r = diff_traces(traces);
    if (std::getenv("MODEL_AGREE_DUMP") && i == 0) {
      for (size_t k = 0; k < traces[1].outcomes.size(); ++k)
        std::printf("%3zu %-28s %-28s\n", k, to_string(traces[0].outcomes[k]).c_str(),
                    to_string(traces[1].outcomes[k]).c_str());
    }
    for (const Outcome& o : traces[0].outcomes) { ++ops; if (o.kind == OutcomeKind::kNoOpinion) ++no_opinion_ops; }
    if (traces[0].outcomes.size() && traces[0].outcomes.back().kind != OutcomeKind::kNoOpinion) ++full;
    for (size_t k = 0; k < traces[0].outcomes.size(); ++k) {
      if (traces[0].outcomes[k].kind == OutcomeKind::kNoOpinion) {
        if (std::getenv("MODEL_AGREE_WHY"))
          std::printf("seed %llu op %zu: %s, glibc: %s\n", (unsigned long long)seed, k,
                      op_name(p.ops[k].kind), to_string(traces[1].outcomes[k]).c_str());
        break;
      }
    }
    if (!r.agree()) {
      ++disagree;
      if (disagree <= 5) std::printf("seed %llu:\n%s\n", (unsigned long long)seed, format_divergence(p, traces, r).c_str());
    }
  }
  std::printf("%d programs, %d disagree, %d predicted to the end, %ld/%ld ops no opinion\n", n, disagree, full,
              no_opinion_ops, ops);
  return disagree ? 1 : 0;
}
