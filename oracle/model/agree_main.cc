// model_agree: runs N random Programs (fixed seeds) through the model and real glibc and prints
// the first divergence of each disagreeing Program. Usage: model_agree [N] [first_seed] [ops]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "oracle/executor.h"
#include "oracle/model/random_programs.h"

using namespace heaptwin;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100;
  const uint64_t first = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 1;
  model::RandomProgramOptions ro;
  if (argc > 3) ro.ops = std::atoi(argv[3]);
  JudgeConfig config;
  config.name = "model_agree";
  config.sides = {"model", "glibc"};
  config.compare_state =
      false;  // the model predicts no memory (its snapshots: ./heaptwin run --state)
  // MODEL_AGREE_TUNABLES="glibc.malloc.tcache_count=0,glibc.malloc.mxfast=0"
  if (const char* t = std::getenv("MODEL_AGREE_TUNABLES")) {
    std::string all = t;
    size_t start = 0;
    while (start < all.size()) {
      size_t comma = all.find(',', start);
      if (comma == std::string::npos) comma = all.size();
      const std::string kv = all.substr(start, comma - start);
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) config.tunables.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
      start = comma + 1;
    }
  }
  std::string error;
  auto executor = Executor::create(config, &error);
  if (!executor) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  int disagree = 0, full = 0;
  long no_opinion_ops = 0, ops = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t seed = first + i;
    Program p = model::random_program(seed, ro);
    const Verdict v = executor->judge(p);
    if (v.traces.size() < 2) continue;
    const Trace& model_trace = v.traces[0];
    const Trace& glibc_trace = v.traces[1];
    if (std::getenv("MODEL_AGREE_DUMP") && i == 0) {
      for (size_t k = 0; k < glibc_trace.outcomes.size(); ++k)
        std::printf(
            "%3zu %-28s %-28s\n", k,
            k < model_trace.outcomes.size() ? to_string(model_trace.outcomes[k]).c_str() : "-",
            to_string(glibc_trace.outcomes[k]).c_str());
    }
    for (const Outcome& o : model_trace.outcomes) {
      ++ops;
      if (o.kind == OutcomeKind::kNoOpinion) ++no_opinion_ops;
    }
    if (model_trace.outcomes.size() && model_trace.outcomes.back().kind != OutcomeKind::kNoOpinion)
      ++full;
    for (size_t k = 0; k < model_trace.outcomes.size(); ++k) {
      if (model_trace.outcomes[k].kind == OutcomeKind::kNoOpinion) {
        if (std::getenv("MODEL_AGREE_WHY") && k < glibc_trace.outcomes.size())
          std::printf("seed %llu op %zu: %s, glibc: %s\n", (unsigned long long)seed, k,
                      op_name(p.ops[k].kind), to_string(glibc_trace.outcomes[k]).c_str());
        break;
      }
    }
    if (v.finding()) {
      ++disagree;
      if (disagree <= 5)
        std::printf("seed %llu:\n%s\n", (unsigned long long)seed, v.report(p).c_str());
    }
  }
  std::printf("%d programs, %d disagree, %d predicted to the end, %ld/%ld ops no opinion\n", n,
              disagree, full, no_opinion_ops, ops);
  return disagree ? 1 : 0;
}
