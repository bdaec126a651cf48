// The reference model as a side: runs a Program through the Policy, checks every result against
// the invariant layer, and reports glibc-comparable Outcomes (and snapshots when asked).
//
// It has no opinion (kNoOpinion) from the first op it cannot predict to the end of the Program:
// a write8 outside a live block, a free/realloc/malloc_usable_size of a pointer that is not live,
// alignments above a page, requests the kernel might or might not grant, unknown tunables.
// A result that breaks an invariant ends the Program with an Abort whose message starts
// "model invariant:", which no real glibc prints, so the differ always reports it.
#ifndef HEAPTWIN_ORACLE_MODEL_MODEL_SIDE_H_
#define HEAPTWIN_ORACLE_MODEL_MODEL_SIDE_H_

#include <memory>
#include <string>

#include "oracle/model/params.h"
#include "oracle/side.h"

namespace heaptwin {

// "model": glibc 2.36's policy with default parameters.
std::unique_ptr<Side> make_model_side(const std::string& name, std::string* error);

namespace model {
// A model side with explicit parameters: tests plant bugs through params.bug.
std::unique_ptr<Side> make_model_side_with(const std::string& name, const Params& params);
}  // namespace model

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_MODEL_MODEL_SIDE_H_
